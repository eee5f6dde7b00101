// The Python module `borex` (docs/python.md): borex.refine, borex.explain and borex.evaluate on
// numpy arrays, borex.batch on a dataset. Their keyword arguments are the executable's long flags
// with underscores: they are turned back into flags and parsed by the executable's own definitions
// (src/cli/commands.h), so that names, defaults and checks have one source. The work runs without
// the GIL; a Python callable model takes it for each forward pass (callable_classifier.h).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "arrays.h"
#include "borex/app/batch.h"
#include "borex/app/evaluate_job.h"
#include "borex/app/image_job.h"
#include "borex/core/error.h"
#include "borex/model/open_classifier.h"
#include "callable_classifier.h"
#include "commands.h"

namespace py = pybind11;
using namespace pybind11::literals;  // "name"_a

namespace borex::python {
namespace {

// The model argument: a model file's path or a callable (with its description).
struct ModelArgument {
  std::string path;
  std::optional<CallableModel> callable;
};

ModelArgument ReadModelArgument(const py::object& model) {
  ModelArgument argument;
  if (py::isinstance<CallableModel>(model)) {
    argument.callable = model.cast<CallableModel>();
  } else if (py::isinstance<py::str>(model) || py::hasattr(model, "__fspath__")) {
    argument.path = py::str(py::module_::import("os").attr("fspath")(model));
  } else if (PyCallable_Check(model.ptr()) != 0) {
    argument.callable = CallableModel{model, ScoreUnits::kLogits, {}};
  } else {
    throw OptionError("model",
                      "expected a model file's path or a callable f(batch) -> scores, "
                      "got " +
                          std::string(py::str(py::type::of(model).attr("__name__"))));
  }
  return argument;
}

// The flags that describe a model file, refused with a callable (which takes RGB in [0, 1] and
// knows its own preprocessing), each with what to do instead.
const std::vector<std::pair<const char*, const char*>>& ModelFileFlags() {
  static const std::vector<std::pair<const char*, const char*>> flags = {
      {"--mean", "normalise inside the callable"},
      {"--std", "normalise inside the callable"},
      {"--device", "the callable decides where it runs"},
      {"--threads", "the callable decides how it runs"},
      {"--classes", "give class_names to borex.CallableModel"},
      {"--frames", "the module explains images"},
      {"--frame-stride", "the module explains images"},
      {"--video-layout", "the module explains images"}};
  return flags;
}

// The flags of the executable that have no keyword here: the inputs are arguments (arrays, or
// batch's dataset), the module explains images, not clips, and shows no progress.
bool NotAKeyword(const CLI::Option& option) {
  static const std::vector<std::string> flags = {
      "--model",      "--image",    "--video",        "--start-frame", "--fps",
      "--frame-pngs", "--saliency", "--progress",     "--label",       "--prior",
      "--seed",       "--method",   "--prior-method", "--voc-root",    "--video-root",
      "--split",      "--methods",  "--no-progress"};
  for (const std::string& flag : flags)
    if (option.check_name(flag)) return true;
  return false;
}

// A value given for a flag as the flag's text: numbers as Python prints them (shortest
// round-trip), strings as they are.
std::string FlagText(const py::handle& value, const std::string& flag) {
  if (py::isinstance<py::bool_>(value)) throw OptionError(flag, "takes a value, not True or False");
  return py::str(value);
}

// One command's flags, registered as the executable registers them, given as the keyword
// arguments of `function` (e.g. borex.refine).
class CommandLine {
 public:
  explicit CommandLine(const std::string& function) : function_(function), command_(function) {
    command_.allow_extras(false);
  }
  CLI::App& command() { return command_; }

  // `value` for `flag`: None leaves the flag out; True/False set a switch; a list or tuple is
  // one comma-separated value (several values for a flag that takes several); a dict's items
  // are KEY=VALUE values (--fail-below={"insertion": 0.5}).
  void Add(const std::string& flag, const py::handle& value) {
    const CLI::Option* option = command_.get_option_no_throw(flag);
    BOREX_CHECK(option != nullptr);
    if (value.is_none()) return;
    const bool is_switch = option->get_items_expected_max() == 0;
    if (py::isinstance<py::bool_>(value)) {
      if (!is_switch) throw OptionError(flag, "takes a value, not True or False");
      arguments_.push_back(flag + (value.cast<bool>() ? "" : "=false"));
      return;
    }
    if (is_switch) throw OptionError(flag, "is a switch: give True or False");
    std::vector<std::string> values;
    if (py::isinstance<py::dict>(value)) {
      for (const auto& [key, item] : value.cast<py::dict>())
        values.push_back(std::string(py::str(key)) + "=" + FlagText(item, flag));
    } else if (py::isinstance<py::list>(value) || py::isinstance<py::tuple>(value)) {
      for (const py::handle item : value) values.push_back(FlagText(item, flag));
    } else {
      values.push_back(FlagText(value, flag));
    }
    if (option->get_items_expected_max() > 1) {
      for (const std::string& text : values) arguments_.push_back(flag + "=" + text);
      return;
    }
    std::string joined;
    for (const std::string& text : values) joined += (joined.empty() ? "" : ",") + text;
    arguments_.push_back(flag + "=" + joined);
  }

  // Each keyword argument NAME=VALUE as the flag --NAME (underscores for dashes); OptionError
  // naming the keyword when there is no such flag, or it is an argument here.
  void AddKeywords(const py::kwargs& options) {
    for (const auto& [key, value] : options) {
      const std::string name = py::str(key);
      std::string flag = "--" + name;
      for (char& c : flag)
        if (c == '_') c = '-';
      const CLI::Option* option = command_.get_option_no_throw(flag);
      if (option == nullptr || name.find('-') != std::string::npos)
        throw OptionError(name, "not an option of " + function_ + " (docs/python.md lists them)");
      if (NotAKeyword(*option))
        throw OptionError(name, "not a keyword of " + function_ +
                                    " (an input, given as an argument, or the executable's "
                                    "only: see docs/python.md)");
      Add(flag, value);
    }
  }

  // Parses the flags added; OptionError-like ValueError for CLI11's own complaints. The inputs
  // that are flags of the executable are arguments here: never required.
  void Parse() {
    for (const char* flag : {"--model", "--out", "--saliency", "--split"})
      if (CLI::Option* option = command_.get_option_no_throw(flag)) option->required(false);
    std::vector<std::string> reversed(arguments_.rbegin(), arguments_.rend());  // CLI11's order
    try {
      command_.parse(reversed);
    } catch (const CLI::ParseError& e) {
      throw OptionError(function_, e.what());
    }
  }

 private:
  std::string function_;
  CLI::App command_;
  std::vector<std::string> arguments_;
};

// The classifier the model argument and the parsed model flags describe.
std::unique_ptr<model::Classifier> MakeClassifier(const ModelArgument& argument,
                                                  cli::ModelFlags flags, const CLI::App& command) {
  if (!argument.callable) {
    const model::ModelOptions options = flags.Options();
    const py::gil_scoped_release release;  // loading takes a while
    return model::OpenClassifier(options);
  }
  for (const auto& [flag, instead] : ModelFileFlags())
    if (command.count(flag) > 0)
      throw OptionError(flag, std::string("does not apply to a Python callable: ") + instead);
  const py::object function = argument.callable->function;
  const std::string name = py::hasattr(function, "__qualname__")
                               ? std::string(py::str(function.attr("__qualname__")))
                               : std::string(py::str(py::type::of(function).attr("__qualname__")));
  flags.model.path = "python:" + name;  // the model's name in the summary
  model::ModelInfo info;
  info.source = flags.model.path;
  info.device = "python";
  info.input_size = flags.Options().input_size.value_or(cv::Size(0, 0));
  return std::make_unique<CallableClassifier>(*argument.callable, std::move(info));
}

py::object ToPython(const nlohmann::json& document) {
  return py::module_::import("json").attr("loads")(document.dump());
}

// A progress callback that lets Ctrl-C stop a refinement between two steps and a batch between
// two images (the GIL is not held during the work).
struct CheckInterrupt {
  template <typename... Progress>
  void operator()(const Progress&... /*progress*/) const {
    const py::gil_scoped_acquire gil;
    if (PyErr_CheckSignals() != 0) throw py::error_already_set();
  }
};

// A call's model argument, and its command's flags (registered by `add_flags`, as the
// executable registers them) parsed from the explicit arguments (flag, value) and the keywords.
template <typename Flags>
struct ParsedCall {
  ModelArgument model;
  std::unique_ptr<CommandLine> line;  // keeps what `flags` reads (which flags were given)
  std::shared_ptr<Flags> flags;
};

template <typename Flags>
ParsedCall<Flags> ParseCall(const std::string& function,
                            std::shared_ptr<Flags> (*add_flags)(CLI::App&), const py::object& model,
                            const std::vector<std::pair<const char*, py::object>>& arguments,
                            const py::kwargs& options) {
  ParsedCall<Flags> call;
  call.model = ReadModelArgument(model);
  call.line = std::make_unique<CommandLine>(function);
  call.flags = add_flags(call.line->command());
  if (!call.model.path.empty()) call.line->Add("--model", py::str(call.model.path));
  for (const auto& [flag, value] : arguments) call.line->Add(flag, value);
  call.line->AddKeywords(options);
  call.line->Parse();
  return call;
}

py::tuple Refine(const py::object& model, const py::object& image, const py::object& label,
                 const py::object& prior, const py::object& prior_method, const py::object& seed,
                 const py::kwargs& options) {
  const auto call =
      ParseCall("borex.refine", &cli::AddRefineCommandFlags, model,
                {{"--label", label}, {"--prior-method", prior_method}, {"--seed", seed}}, options);
  const app::RefineJobOptions job = call.flags->Job();
  job.CheckSettings();
  // The prior array is the command line's --prior, which excludes computing one: refused rather
  // than ignored, as the executable refuses --prior with either flag.
  if (!prior.is_none())
    for (const char* flag : {"--prior-method", "--prior-infill"})
      if (call.line->command().count(flag) > 0)
        throw OptionError(flag, "the prior is given (prior=): nothing computes one");
  const cv::Mat rgb = ImageFromArray(image, "image");
  const cv::Mat prior_map = prior.is_none() ? cv::Mat() : MapFromArray(prior, "prior", rgb.size());
  const std::unique_ptr<model::Classifier> classifier =
      MakeClassifier(call.model, call.flags->model, call.line->command());
  app::RefineJobResult result;
  {
    const py::gil_scoped_release release;
    result = app::RefineImage(*classifier, rgb, prior_map, job, CheckInterrupt{});
  }
  return py::make_tuple(ArrayFromMap(result.maps.front()), ToPython(result.summary));
}

py::tuple Explain(const py::object& model, const py::object& image, const py::object& label,
                  const py::object& method, const py::object& seed, const py::kwargs& options) {
  const auto call =
      ParseCall("borex.explain", &cli::AddExplainCommandFlags, model,
                {{"--label", label}, {"--method", method}, {"--seed", seed}}, options);
  const app::ExplainJobOptions job = call.flags->Job();
  job.common.CheckSettings();
  const cv::Mat rgb = ImageFromArray(image, "image");
  const std::unique_ptr<model::Classifier> classifier =
      MakeClassifier(call.model, call.flags->model, call.line->command());
  app::ImageJobResult result;
  {
    const py::gil_scoped_release release;
    result = app::ExplainImage(*classifier, rgb, job);
  }
  py::object maps;
  if (job.explain.method == explain::Method::kUndesirable)
    maps = py::dict("hinder"_a = ArrayFromMap(result.maps.at(0)),
                    "others"_a = ArrayFromMap(result.maps.at(1)));
  else
    maps = ArrayFromMap(result.maps.front());
  return py::make_tuple(maps, ToPython(result.summary));
}

py::object Evaluate(const py::object& model, const py::object& image, const py::object& saliency,
                    const py::object& label, const py::object& seed, const py::kwargs& options) {
  const auto call = ParseCall("borex.evaluate", &cli::AddEvaluateCommandFlags, model,
                              {{"--label", label}, {"--seed", seed}}, options);
  const app::EvaluateJobOptions job = call.flags->Job();
  job.CheckSettings();
  const cv::Mat rgb = ImageFromArray(image, "image");
  const cv::Mat map = MapFromArray(saliency, "saliency", rgb.size());
  const std::unique_ptr<model::Classifier> classifier =
      MakeClassifier(call.model, call.flags->model, call.line->command());
  app::EvaluateJobResult result;
  {
    const py::gil_scoped_release release;
    result = app::EvaluateImage(*classifier, rgb, map, job);
  }
  return ToPython(result.summary);
}

py::dict Batch(const py::object& model, const py::object& voc_root, const py::object& out,
               const py::object& split, const py::object& methods, const py::object& seed,
               const py::kwargs& options) {
  const auto call = ParseCall("borex.batch", &cli::AddBatchCommandFlags, model,
                              {{"--voc-root", voc_root},
                               {"--out", out},
                               {"--split", split},
                               {"--methods", methods},
                               {"--seed", seed}},
                              options);
  const app::BatchOptions batch = call.flags->Options();
  batch.Check();  // every option before the model is loaded
  const std::unique_ptr<model::Classifier> classifier =
      MakeClassifier(call.model, call.flags->model, call.line->command());
  app::BatchResult result;
  {
    const py::gil_scoped_release release;
    result = app::RunBatch(*classifier, batch, CheckInterrupt{});
  }
  py::dict skipped, method_results;
  for (const auto& [id, reason] : result.skipped) skipped[py::str(id)] = reason;
  for (const app::BatchMethodResult& method : result.methods)
    method_results[py::str(method.name)] =
        py::dict("csv_path"_a = method.csv_path, "rows_written"_a = method.rows_written,
                 "rows_total"_a = method.rows_total, "model_calls"_a = method.model_calls,
                 "seconds"_a = method.seconds);
  return py::dict(
      "out_dir"_a = result.out_dir, "images_in_shard"_a = result.images_in_shard,
      "images_processed"_a = result.images_processed, "rows_resumed"_a = result.rows_resumed,
      "skipped"_a = skipped, "methods"_a = method_results, "model_calls"_a = result.model_calls,
      "model_seconds"_a = result.model_seconds, "total_seconds"_a = result.total_seconds);
}

// borex::Error as the Python exception that fits: a bad argument or option value is a
// ValueError, a file that cannot be read or written an OSError, the rest a RuntimeError; the
// message is borex's one line. (pybind11's translator type takes the pointer by value.)
void TranslateErrors(std::exception_ptr error) {  // NOLINT(performance-unnecessary-value-param)
  try {
    if (error) std::rethrow_exception(error);
  } catch (const OptionError& e) {
    PyErr_SetString(PyExc_ValueError, e.what());
  } catch (const InputError& e) {
    PyErr_SetString(PyExc_OSError, e.what());
  } catch (const OutputError& e) {
    PyErr_SetString(PyExc_OSError, e.what());
  } catch (const Error& e) {
    PyErr_SetString(PyExc_RuntimeError, e.what());
  }
}

void SetLogLevel(const std::string& level) {
  const spdlog::level::level_enum parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off")
    throw OptionError("level", "'" + level + "' is not one of debug, info, warning, error, off");
  spdlog::set_level(parsed);
}

}  // namespace
}  // namespace borex::python

PYBIND11_MODULE(borex, module) {
  using namespace borex::python;
  module.doc() =
      "borex: saliency maps for image classifiers, refined by Bayesian optimisation (BOREx, "
      "Kikuchi et al., ACCV 2022). docs/python.md describes the module.";
  module.attr("__version__") = BOREX_VERSION;
  // Log lines go to stderr, as the executable's; warnings only, unless set_log_level says more.
  auto logger = spdlog::get("borex");
  if (!logger) logger = spdlog::stderr_color_mt("borex");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("borex: [%l] %v");
  spdlog::set_level(spdlog::level::warn);
  py::register_exception_translator(TranslateErrors);

  py::class_<CallableModel>(module, "CallableModel",
                            "A Python function as a black-box model: function(batch) -> scores, "
                            "batch float32 [N, H, W, 3] RGB in [0, 1], scores [N, C].")
      .def(py::init([](const py::function& function, const std::string& scores,
                       std::vector<std::string> class_names) {
             return CallableModel{function, ParseScoreUnits(scores), std::move(class_names)};
           }),
           "function"_a, py::kw_only(), "scores"_a = "logits",
           "class_names"_a = std::vector<std::string>{},
           "scores: what the function returns, \"logits\" (any real numbers; the methods take "
           "their softmax as probabilities) or \"probabilities\" (each in [0, 1]). class_names: "
           "one per class, for the summaries and for label=NAME.")
      .def_readonly("function", &CallableModel::function)
      .def_property_readonly(
          "scores", [](const CallableModel& model) { return ScoreUnitsName(model.scores); })
      .def_readonly("class_names", &CallableModel::class_names)
      .def("__repr__", [](const CallableModel& model) {
        return "borex.CallableModel(" + std::string(py::repr(model.function)) + ", scores='" +
               ScoreUnitsName(model.scores) + "')";
      });

  module.def(
      "refine", &Refine, "model"_a, "image"_a, "label"_a = py::none(), "prior"_a = py::none(),
      "prior_method"_a = py::none(), "seed"_a = 0,
      "Refine a saliency map with BOREx: `borex refine` on an array.\n\n"
      "model: a TorchScript (.pt) or ONNX (.onnx) file's path, a callable f(batch) -> logits, or a "
      "borex.CallableModel. image: H x W x 3 RGB, uint8 or float32 in [0, 1]. label: a "
      "class index or name (None: the top-1 class). prior: an H x W map (None: computed "
      "with prior_method, None for RISE; neither prior_method nor prior_infill with a prior). "
      "Other keyword arguments are refine's flags with underscores "
      "(iterations=30, mask_sizes=[0.2, 0.4], preset='paper', out='out/x' to also write "
      "the files). Returns (map, summary): the float32 H x W map and the summary the "
      "executable writes to PREFIX.json, as a dict.");
  module.def("explain", &Explain, "model"_a, "image"_a, "label"_a = py::none(), "method"_a = "rise",
             "seed"_a = 0,
             "A saliency map from one method: `borex explain` on an array.\n\n"
             "Arguments as borex.refine's; method: rise | pn-rise | gradcam | gradcam++ | opticam "
             "| fido-ssr | fido-sdr | undesirable (the CAMs, Opti-CAM and FIDO need a TorchScript "
             "model). Other keyword arguments are explain's flags with underscores (masks=2000). "
             "Returns (map, summary); for undesirable the map is a dict {hinder, others}.");
  module.def("evaluate", &Evaluate, "model"_a, "image"_a, "saliency"_a, "label"_a = py::none(),
             "seed"_a = 0,
             "Every metric of a saliency map: `borex evaluate` on arrays.\n\n"
             "saliency: an H x W map of the image. Other keyword arguments are evaluate's flags "
             "with underscores (step=, substrate=, annotation='boxes.xml', fail_below={...}). "
             "Returns the summary the executable writes with --json, as a dict.");
  module.def("batch", &Batch, "model"_a, "voc_root"_a, "out"_a, "split"_a = py::none(),
             "methods"_a = py::none(), "seed"_a = 0,
             "Run methods over a PascalVOC-layout split and score every map: `borex batch`.\n\n"
             "model: as borex.refine's. voc_root: the dataset's root (ImageSets/Main/SPLIT.txt, "
             "JPEGImages/, Annotations/). out: the output directory (OUT/METHOD.csv, "
             "OUT/maps/METHOD/ID.npy; resumed when it holds a finished part). split: the split's "
             "name (required). methods: a comma-separated string or a list (None: batch's "
             "default). Other keyword arguments are batch's flags with underscores (masks=16, "
             "iterations=25, step=4096, limit=10). Returns a dict: out_dir, images_in_shard, "
             "images_processed, rows_resumed, skipped {id: reason}, methods {name: {csv_path, "
             "rows_written, rows_total, model_calls, seconds}}, model_calls, model_seconds, "
             "total_seconds.");
  module.def("set_log_level", &SetLogLevel, "level"_a,
             "How much borex logs to stderr: debug | info | warning (the default) | error | off.");
}
