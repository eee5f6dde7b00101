#include "borex/app/batch.h"

#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <exception>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <utility>

#include "borex/app/curves.h"
#include "borex/app/prepared_image.h"
#include "borex/core/error.h"
#include "borex/dataset/label_map.h"
#include "borex/dataset/video_clips.h"
#include "borex/explain/rise.h"
#include "borex/io/atomic_file.h"
#include "borex/io/csv.h"
#include "borex/io/input_file.h"
#include "borex/io/json_file.h"
#include "borex/io/npy.h"
#include "borex/io/video.h"
#include "borex/mask/segments.h"
#include "borex/refine/refiner.h"

namespace borex::app {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// A per-image seed, so an image's maps do not depend on the shard or on the images before it.
uint64_t ImageSeed(uint64_t seed, const std::string& id) {
  uint64_t hash = 14695981039346656037ull;  // FNV-1a
  for (const unsigned char c : id) hash = (hash ^ c) * 1099511628211ull;
  return hash ^ (seed * 0x9E3779B97F4A7C15ull);
}

std::vector<std::string> Split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::stringstream stream(text);
  for (std::string part; std::getline(stream, part, separator);) parts.push_back(part);
  if (!text.empty() && text.back() == separator) parts.emplace_back();
  return parts;
}

BatchMethod ParseBatchMethod(const std::string& name, const refine::RefineOptions& base,
                             const std::string& option) {
  BatchMethod method;
  method.name = name;
  const std::vector<std::string> parts = Split(name, ':');
  if (parts.empty() || parts[0].empty()) throw OptionError(option, "empty method name");
  if (parts[0] != "borex" && parts[0] != "mokuwe") {
    if (parts.size() > 2 || (parts.size() == 2 && parts[1] != "segments"))
      throw OptionError(option, "'" + name +
                                    "': a method's only variant is segments (borex:* take "
                                    "no-flip, simple-average, no-prior, box)");
    method.method = explain::ParseSingleMapMethod(parts[0], option);
    method.segments = parts.size() == 2;
    if (method.segments && base.map_segment_weight == 0)
      throw OptionError(option,
                        "'" + name + "': moves the map as --map-segments W does: give W > 0");
    method.refine = base;
    return method;
  }
  method.refines = true;
  if (parts[0] == "mokuwe") {
    if (parts.size() > 1) throw OptionError(option, "'" + name + "': mokuwe takes no variants");
    method.refine = base.Algorithm1();
    return method;
  }
  if (parts.size() < 2 || parts[1].empty())
    throw OptionError(option, "'" + name + "': name the prior, e.g. borex:rise or borex:none");
  method.refine = base;
  method.has_prior = parts[1] != "none";
  if (method.has_prior) method.method = explain::ParseSingleMapMethod(parts[1], option, "none");
  // --no-prior (base.use_prior false) applies to every borex:* method, like :no-prior.
  method.refine.use_prior = method.has_prior && base.use_prior;
  for (size_t i = 2; i < parts.size(); ++i) {
    const std::string& variant = parts[i];
    if (variant == "no-flip") {
      method.refine.flip = false;
    } else if (variant == "simple-average") {
      method.refine.weighted_average = false;
    } else if (variant == "no-prior") {
      method.refine.use_prior = false;
    } else if (variant == "box") {
      method.refine.aggregation = refine::Aggregation::kBox;
    } else {
      throw OptionError(option, "'" + name + "': unknown variant '" + variant +
                                    "' (no-flip, simple-average, no-prior, box)");
    }
  }
  // A prior the refinement does not use is neither computed nor checked, and fits no coefficient.
  method.has_prior = method.has_prior && method.refine.use_prior;
  return method;
}

std::string Number(double value) { return fmt::format("{}", value); }

// What the batch keeps for one method across images.
struct MethodRun {
  BatchMethod method;
  std::unique_ptr<io::CsvAppender> csv;
  std::set<std::string> done;  // image ids with a row
  long rows_written = 0;
  long model_calls = 0;
  double seconds = 0;  // producing maps (evaluation excluded)
  // Rows (resumed ones included) whose refined map holds its prior upside down: the fitted
  // coefficient a < 0 (methods that fit one: FitsPrior).
  long maps_against_prior = 0;
  std::string map_dir;
  std::string curve_dir;  // empty: curves are not kept
};

// The maps of one image, computed at most once per method and shared by borex:* methods.
class ImageMaps {
 public:
  ImageMaps(model::Classifier& classifier, const PreparedImage& image, int label, uint64_t seed,
            const BatchOptions& options, const std::map<std::string, MethodRun*>& runs,
            const std::string& id)
      : classifier_(classifier),
        image_(image),
        label_(label),
        seed_(seed),
        options_(options),
        runs_(runs),
        id_(id) {}

  // The map of a plain method: already computed, else read from this batch's earlier output,
  // else computed now.
  cv::Mat Plain(explain::Method method) {
    const std::string name = explain::MethodName(method);
    if (!Known(method)) {
      const long calls_before = classifier_.model_calls();
      const auto start = Clock::now();
      // The map first: a function's arguments are evaluated in no set order, and the cost must be
      // read after the map is computed.
      const cv::Mat map = explain::Explain(classifier_, image_.working, label_, Options(method));
      Provide(method, map, classifier_.model_calls() - calls_before, SecondsSince(start));
    }
    return maps_[name];
  }

  // Whether the plain map is at hand without computing it (computed, or read from this batch's
  // earlier output, which this call then keeps).
  bool Known(explain::Method method) {
    const std::string name = explain::MethodName(method);
    if (maps_.count(name) > 0) return true;
    auto run = runs_.find(name);
    if (run == runs_.end() || run->second->done.count(id_) == 0) return false;
    const std::string path = MapPath(*run->second, id_);
    if (!std::filesystem::exists(path)) return false;
    const cv::Mat map = ReadMapFor(image_, path);
    if (map.size() != image_.working.size()) return false;
    maps_[name] = map;
    return true;
  }

  // The options this image's plain map of `method` is computed with.
  explain::ExplainOptions Options(explain::Method method) const {
    explain::ExplainOptions explain = options_.explain;
    explain.method = method;
    explain.rise.seed = seed_;
    explain.rise.positive_negative = method == explain::Method::kPnRise;
    return explain;
  }

  // A plain map computed elsewhere (with other images), its cost, and for RISE the samples it was
  // made of when a refinement will read them (empty otherwise).
  void Provide(explain::Method method, const cv::Mat& map, long calls, double seconds,
               explain::RiseSamples samples = {}) {
    const std::string name = explain::MethodName(method);
    maps_[name] = map;
    costs_[name] = {calls, seconds};
    if (!samples.masks.empty()) samples_[name] = std::move(samples);
  }

  // Model calls and seconds of the plain map computed here, whichever method asked for it first.
  std::pair<long, double> Cost(explain::Method method) const {
    const auto found = costs_.find(explain::MethodName(method));
    return found == costs_.end() ? std::pair<long, double>{0, 0} : found->second;
  }

  // The refinement of a borex:* or mokuwe method for this image, ready to step (its prior, if
  // any, computed first and charged to the prior's own row).
  std::unique_ptr<refine::Refiner> MakeRefiner(const BatchMethod& method) {
    const cv::Mat prior = method.has_prior ? Plain(method.method) : cv::Mat();
    refine::RefineOptions refine = method.refine;
    refine.seed = seed_;
    const cv::Size frame = image_.working_frame_size();
    refine.Check(frame.height, frame.width, image_.frames);
    refine::PriorSamples samples;
    if (const int read = RiseSamplesRead(method, image_.frames); read > 0) {
      samples.rise = SamplesOf(method.method, read);
      samples.unmasked_logits = image_.logits;
    }
    return std::make_unique<refine::Refiner>(classifier_, image_.working, label_, prior, refine,
                                             samples);
  }

  // How many of its RISE or PN-RISE prior's samples `method` reads (RiseSamplesRead; 0: none).
  static int RiseSamplesRead(const BatchMethod& method, int frames) {
    const bool rise_prior =
        method.method == explain::Method::kRise || method.method == explain::Method::kPnRise;
    return method.refines && method.has_prior && rise_prior ? method.refine.RiseSamplesRead(frames)
                                                            : 0;
  }

  static std::string MapPath(const MethodRun& run, const std::string& id) {
    return run.map_dir + "/" + id + ".npy";
  }

 private:
  // The samples of this image's RISE or PN-RISE map: those provided (as many as the most any
  // refinement reads), else the first `count` drawn and scored again (the map was read from an
  // earlier run's output; the same seed gives the same masks and map). The calls of that second
  // pass are charged to no row.
  explain::RiseSamples SamplesOf(explain::Method method, int count) {
    const std::string name = explain::MethodName(method);
    if (samples_.count(name) == 0)
      explain::Explain(classifier_, image_.working, label_, Options(method), &samples_[name],
                       count);
    return samples_[name];
  }

  model::Classifier& classifier_;
  const PreparedImage& image_;
  int label_;
  uint64_t seed_;
  const BatchOptions& options_;
  const std::map<std::string, MethodRun*>& runs_;
  std::string id_;
  std::map<std::string, cv::Mat> maps_;
  std::map<std::string, std::pair<long, double>> costs_;
  std::map<std::string, explain::RiseSamples> samples_;
};

// The items of a batch: the images of a PascalVOC split, or the clips of a clip dataset
// (dataset/video_clips.h) for a video model.
class BatchSource {
 public:
  virtual ~BatchSource() = default;
  virtual std::string root() const = 0;
  virtual std::vector<std::string> SplitIds(const std::string& split) const = 0;
  virtual const std::vector<std::string>& class_names() const = 0;
  virtual PreparedImage Prepare(model::Classifier& classifier, const std::string& id) const = 0;
  virtual std::string AnnotationPath(const std::string& id) const = 0;
  // The annotated objects (their names choose the label), read once per item.
  virtual dataset::Annotation ReadAnnotation(const std::string& id) = 0;
  // The ground-truth region of `class_name` at the working resolution (stacked for a clip).
  virtual cv::Mat Region(const std::string& id, const dataset::Annotation& annotation,
                         const std::string& class_name, const PreparedImage& image) const = 0;
};

class VocSource : public BatchSource {
 public:
  explicit VocSource(const std::string& root) : voc_(root) {}
  std::string root() const override { return voc_.root(); }
  std::vector<std::string> SplitIds(const std::string& split) const override {
    return voc_.SplitIds(split);
  }
  const std::vector<std::string>& class_names() const override { return voc_.class_names(); }
  PreparedImage Prepare(model::Classifier& classifier, const std::string& id) const override {
    return PrepareImage(classifier, voc_.ImagePath(id));
  }
  std::string AnnotationPath(const std::string& id) const override {
    return voc_.AnnotationPath(id);
  }
  dataset::Annotation ReadAnnotation(const std::string& id) override {
    return dataset::ReadVocAnnotation(voc_.AnnotationPath(id));
  }
  cv::Mat Region(const std::string& id, const dataset::Annotation& annotation,
                 const std::string& class_name, const PreparedImage& image) const override {
    return voc_.Region(id, annotation, class_name, image.original.size(), image.working.size());
  }

 private:
  dataset::VocDataset voc_;
};

class ClipSource : public BatchSource {
 public:
  explicit ClipSource(const std::string& root) : clips_(root) {}
  std::string root() const override { return clips_.root(); }
  std::vector<std::string> SplitIds(const std::string& split) const override {
    return clips_.SplitIds(split);
  }
  const std::vector<std::string>& class_names() const override { return clips_.class_names(); }
  PreparedImage Prepare(model::Classifier& classifier, const std::string& id) const override {
    return PrepareVideo(classifier, clips_.ClipPath(id), 0);
  }
  std::string AnnotationPath(const std::string& id) const override {
    return clips_.AnnotationPath(id);
  }
  dataset::Annotation ReadAnnotation(const std::string& id) override {
    annotation_ = clips_.ReadAnnotation(id);
    dataset::Annotation names;
    names.path = annotation_.path;
    for (const dataset::ClipObject& object : annotation_.objects)
      names.objects.push_back({object.name, {}, false});
    return names;
  }
  cv::Mat Region(const std::string& id, const dataset::Annotation&, const std::string& class_name,
                 const PreparedImage& image) const override {
    BOREX_CHECK_EQ(annotation_.id, id);
    return dataset::ClipRegionMask(annotation_, class_name, image.working_frame_size(),
                                   image.first_frame, image.frame_stride, image.frames);
  }

 private:
  dataset::VideoClipDataset clips_;
  dataset::ClipAnnotation annotation_;  // of the item whose annotation was read last
};

// What decides the numbers in a batch's rows (not threads, batch sizes or the method list):
// resuming or merging rows computed under other settings would mix results.
nlohmann::json ResultSettings(const BatchOptions& options, const model::ModelInfo& info) {
  nlohmann::json rise = options.explain.rise.ToJson();
  rise.erase("batch_size");
  return {{"format", "borex-batch-settings/2"},
          {"model", std::filesystem::path(info.source).filename().string()},
          {"mean", {info.mean[0], info.mean[1], info.mean[2]}},
          {"std", {info.std[0], info.std[1], info.std[2]}},
          {"input_size", {info.input_size.height, info.input_size.width}},
          {"classes", info.class_names},
          {"video", info.is_video()
                        ? nlohmann::json({{"frames", info.frames},
                                          {"frame_stride", info.frame_stride},
                                          {"layout", model::VideoLayoutName(info.layout)},
                                          {"grid_frames", options.explain.rise.grid_frames}})
                        : nlohmann::json(nullptr)},
          {"label_map", options.label_map_path},
          {"label_top_k", options.label_top_k},
          {"rise", rise},
          {"target_layer", options.explain.cam.target_layer},
          {"refine", options.refine.ToJson(!options.video_root.empty())},
          {"metrics",
           {{"step", options.metrics.step},
            {"infill", mask::InfillName(options.metrics.infill)},
            {"pointing_tolerance", options.metrics.pointing_tolerance},
            {"hide_percent", options.metrics.hide_percent}}}};
}

// Checks `settings` against DIR/settings.json when a run recorded it (reads only).
void CheckRecordedSettings(const std::string& dir, const nlohmann::json& settings) {
  const std::string path = dir + "/settings.json";
  if (!std::filesystem::exists(path)) return;
  const nlohmann::json recorded = ReadBatchSettings(path);
  if (recorded == settings) return;
  const nlohmann::json patch = nlohmann::json::diff(recorded, settings);
  throw InputError(path, "this output directory holds results computed with other settings (" +
                             patch.front().value("path", std::string("?")) +
                             " differs): use another --out, or the same flags");
}

// An exclusive lock on DIR for this process's lifetime: two batches appending to the same CSVs
// would duplicate rows.
class DirectoryLock {
 public:
  explicit DirectoryLock(const std::string& dir) {
    const std::string path = dir + "/.batch.lock";
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw OutputError(path, std::string("cannot open: ") + std::strerror(errno));
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      ::close(fd_);
      throw OutputError(dir,
                        "another borex batch is writing this directory (wait for it, or "
                        "use another --out or --shard)");
    }
  }
  ~DirectoryLock() { ::close(fd_); }  // closing releases the lock
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;

 private:
  int fd_ = -1;
};

void MakeDirectories(const std::string& path) {
  std::error_code error;
  std::filesystem::create_directories(path, error);
  if (error) throw OutputError(path, "cannot create directory: " + error.message());
}

// The distinct object names the annotations of `ids` use, in order of first appearance (an
// unreadable annotation is skipped here, and reported when its image's turn comes).
std::vector<std::string> AnnotatedNames(BatchSource& source, const std::vector<std::string>& ids) {
  std::vector<std::string> names;
  for (const std::string& id : ids) {
    try {
      for (const std::string& name : source.ReadAnnotation(id).Names())
        if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    } catch (const InputError&) {
    }
  }
  return names;
}

std::string NameList(const std::vector<std::string>& names) {
  std::string list;
  for (size_t i = 0; i < names.size() && i < 6; ++i) list += (i ? ", " : "") + names[i];
  return names.size() > 6 ? list + ", ..." : list;
}

// Which model class stands for which dataset class. The dataset's classes are its classes.txt
// (VOC's 20 without one) and every name its annotations use, so a VOC-layout dataset of other
// classes needs no classes.txt. With no --label-map, model classes match annotated names by
// name; when none does, the batch stops unless --allow-unmatched.
dataset::LabelMap MakeLabelMap(const BatchOptions& options, const model::Classifier& classifier,
                               BatchSource& source, const std::vector<std::string>& ids) {
  const std::vector<std::string> annotated = AnnotatedNames(source, ids);
  if (!options.label_map_path.empty()) {
    std::vector<std::string> known = source.class_names();
    for (const std::string& name : annotated)
      if (std::find(known.begin(), known.end(), name) == known.end()) known.push_back(name);
    return dataset::LabelMap::FromFile(options.label_map_path, classifier.num_classes(), known);
  }
  const std::vector<std::string>& model_classes = classifier.info().class_names;
  dataset::LabelMap map = dataset::LabelMap::FromClassNames(model_classes, annotated);
  if (!map.empty()) return map;
  const std::string annotated_names =
      "the annotated classes (" + (annotated.empty() ? "none" : NameList(annotated)) + ")";
  const std::string why =
      model_classes.empty()
          ? "the model has no class names to match with " + annotated_names
          : "no model class (" + NameList(model_classes) + ") is one of " + annotated_names;
  if (!options.allow_unmatched)
    throw InputError(source.root(), why +
                                        ": give --label-map (or --classes), or --allow-unmatched "
                                        "to explain each image's top-1 class without F-measure "
                                        "or pointing game");
  spdlog::warn("batch: {}: explaining each image's top-1 class, without F-measure or pointing game",
               why);
  return map;
}

struct EvaluationCost {
  long model_calls = 0;
  double seconds = 0;
};

// One image of the images in flight: everything its rows need.
struct InFlight {
  std::string id;
  PreparedImage image;
  int label = 0;
  int label_items = -1;  // objects annotated with the label's class; -1: no class name matched
  cv::Mat region;
  uint64_t seed = 0;
  std::unique_ptr<ImageMaps> maps;
  bool failed = false;
};

// Reads the image's annotation, chooses its label and region. Throws InputError.
void Target(InFlight& item, const dataset::LabelMap& label_map, BatchSource& source,
            const BatchOptions& options) {
  const dataset::Annotation annotation = source.ReadAnnotation(item.id);
  dataset::TargetLabel target{item.image.top1, ""};
  if (!label_map.empty()) {
    target = dataset::ChooseTargetLabel(item.image.probabilities, label_map, annotation,
                                        options.label_top_k);
    if (target.label < 0)
      throw InputError(source.AnnotationPath(item.id), "none of the model's top-" +
                                                           std::to_string(options.label_top_k) +
                                                           " classes is annotated");
  }
  item.label = target.label;
  if (!target.class_name.empty())
    item.label_items = static_cast<int>(std::count_if(
        annotation.objects.begin(), annotation.objects.end(),
        [&](const dataset::AnnotatedObject& o) { return o.name == target.class_name; }));
  item.region = target.class_name.empty()
                    ? cv::Mat()
                    : source.Region(item.id, annotation, target.class_name, item.image);
  item.seed = ImageSeed(options.refine.seed, item.id);
}

// The image's own columns: how many items carry the label (empty when no annotated class is
// the label), the model's probability of the label on the whole image, and the label's rank
// among the classes (1: the model's top class). They let a comparison be split by subset
// (`borex compare --where`, the HTML report) without the annotations or the model.
std::vector<std::string> ImageColumns(const InFlight& item) {
  const Eigen::VectorXf& probabilities = item.image.probabilities;
  const float probability = probabilities[item.label];
  const long rank = 1 + (probabilities.array() > probability).count();
  return {item.label_items < 0 ? "" : std::to_string(item.label_items), Number(probability),
          std::to_string(rank)};
}

// A map of one image for one method, with the cost of producing it.
struct ProducedMap {
  InFlight* item;
  cv::Mat map;
  long calls = 0;
  double seconds = 0;
  // A refinement's: its fitted a and the std of a's prior it was fitted under (FitsPrior), and
  // the most likely hyperparameters' posterior weight (1 unless averaged). Else empty.
  std::string prior_coefficient, prior_coefficient_sd, hyperparameter_weight;
};

// Whether the method's refinement fits the prior's coefficient a (m = a·ī0 + b), which the
// CSV's prior_coefficient column then records.
bool FitsPrior(const BatchMethod& method) {
  return method.refines && method.has_prior &&
         method.refine.prior_mean == refine::PriorMean::kFitted;
}

// The CSV's prior_coefficient column (empty: not fitted) as "the map holds its prior upside
// down"; `csv` and `id` name the cell when it is not a number (an edited file being resumed).
bool AgainstPrior(const std::string& prior_coefficient, const std::string& csv,
                  const std::string& id) {
  return !prior_coefficient.empty() &&
         io::CellNumber(prior_coefficient, csv, "image '" + id + "': column 'prior_coefficient'") <
             0;
}

// Scores the maps (all at once: metrics::EvaluateAll), writes each and appends its row (after the
// map: a row always has its map).
template <typename Fail>
void WriteRows(const std::vector<ProducedMap>& produced, MethodRun& run,
               model::Classifier& classifier, const BatchOptions& options,
               EvaluationCost& evaluation_cost, Fail fail) {
  if (produced.empty()) return;
  std::vector<metrics::EvaluationInput> inputs;
  inputs.reserve(produced.size());
  for (const ProducedMap& p : produced)
    inputs.push_back({p.item->image.working, p.map, p.item->label, p.item->region, p.item->seed});
  const auto evaluation_start = Clock::now();
  std::vector<metrics::Evaluation> evaluations;
  // One bad map (InputError) or a failed pass: the maps one by one, to tell whose.
  const auto failed = [&](const Error& e) {
    if (produced.size() == 1) {
      produced.front().item->failed = true;
      fail(produced.front().item->id, e);
      return;
    }
    for (const ProducedMap& p : produced)
      WriteRows(std::vector<ProducedMap>{p}, run, classifier, options, evaluation_cost, fail);
  };
  try {
    evaluations = metrics::EvaluateAll(classifier, inputs, options.metrics);
  } catch (const InputError& e) {
    return failed(e);
  } catch (const ModelError& e) {
    return failed(e);
  }
  evaluation_cost.seconds += SecondsSince(evaluation_start);
  for (size_t i = 0; i < produced.size(); ++i) {
    const ProducedMap& p = produced[i];
    const metrics::Evaluation& evaluation = evaluations[i];
    evaluation_cost.model_calls += evaluation.model_calls;
    if (!run.curve_dir.empty())
      io::WriteBytesAtomically(run.curve_dir + "/" + p.item->id + ".csv", CurvesCsv(evaluation));
    // WriteNpy writes atomically itself; given the final path, its errors name that path.
    const std::string map_path = ImageMaps::MapPath(run, p.item->id);
    if (p.item->image.video)
      io::WriteNpy3D(map_path, io::UnstackFrames(p.map, p.item->image.frames));  // (T, H, W)
    else
      io::WriteNpy(map_path, p.map);
    std::vector<std::string> row = {p.item->id, std::to_string(p.item->label)};
    for (std::string& value : ImageColumns(*p.item)) row.push_back(std::move(value));
    for (std::string& value : evaluation.CsvValues()) row.push_back(std::move(value));
    for (const std::string* value :
         {&p.prior_coefficient, &p.prior_coefficient_sd, &p.hyperparameter_weight})
      row.push_back(*value);
    row.push_back(std::to_string(p.calls));
    row.push_back(Number(p.seconds));
    run.csv->Append(row);
    run.maps_against_prior += AgainstPrior(p.prior_coefficient, run.csv->path(), p.item->id);
    run.done.insert(p.item->id);
    ++run.rows_written;
    run.model_calls += p.calls;
    run.seconds += p.seconds;
  }
}

// Every method not yet done for the images in flight, method by method. A refining method
// steps all their refiners together (refine::RefineTogether: one forward pass per round for all
// of them), and each method's maps are scored together; each image's map, calls and seconds are
// its own. `fail` is called once per image that fails, which then takes no further part.
template <typename Fail>
void ProcessImages(std::vector<InFlight>& items, model::Classifier& classifier,
                   const BatchOptions& options, std::vector<MethodRun>& runs,
                   EvaluationCost& evaluation_cost, Fail fail) {
  const auto guarded = [&](InFlight& item, const auto& work) {
    if (item.failed) return;
    try {
      work();
    } catch (const InputError& e) {
      item.failed = true;
      fail(item.id, e);
    } catch (const ModelError& e) {
      item.failed = true;
      fail(item.id, e);
    }
  };
  // The RISE and PN-RISE maps any method needs (its own rows, or as priors), of all the images
  // at once: their masks share forward passes.
  for (const explain::Method method : {explain::Method::kRise, explain::Method::kPnRise}) {
    std::vector<InFlight*> missing;
    int samples_kept = 0;  // the most any pending refinement reads
    for (InFlight& item : items) {
      bool needed = false;
      for (const MethodRun& run : runs) {
        const bool pending =
            !item.failed && run.done.count(item.id) == 0 && run.method.method == method;
        needed |= pending && (!run.method.refines || run.method.has_prior);
        if (pending)
          samples_kept =
              std::max(samples_kept, ImageMaps::RiseSamplesRead(run.method, item.image.frames));
      }
      if (needed && !item.maps->Known(method)) missing.push_back(&item);
    }
    if (missing.empty()) continue;
    std::vector<explain::MaskJob> jobs;
    std::vector<int> labels;
    for (InFlight* item : missing) {
      jobs.push_back({item->image.working, item->maps->Options(method).rise});
      labels.push_back(item->label);
    }
    const long calls_before = classifier.model_calls();
    const auto start = Clock::now();
    std::vector<cv::Mat> maps;
    std::vector<explain::RiseSamples> samples;
    try {
      maps = explain::ComputeRiseAll(classifier, jobs, labels,
                                     samples_kept > 0 ? &samples : nullptr, samples_kept);
    } catch (const ModelError& e) {  // a shared forward pass: every image in it fails
      for (InFlight* item : missing) {
        item->failed = true;
        fail(item->id, e);
      }
      continue;
    }
    // Each image is charged its share: its masks, and the time in proportion.
    const double calls = static_cast<double>(classifier.model_calls() - calls_before);
    const double seconds = SecondsSince(start);
    long total_masks = 0;
    for (const explain::MaskJob& job : jobs) total_masks += job.options.masks;
    for (size_t i = 0; i < missing.size(); ++i) {
      const double share = static_cast<double>(jobs[i].options.masks) / total_masks;
      missing[i]->maps->Provide(method, maps[i], std::lround(calls * share), seconds * share,
                                samples_kept > 0 ? std::move(samples[i]) : explain::RiseSamples());
    }
  }
  for (MethodRun& run : runs) {
    const auto todo = [&](const InFlight& item) {
      return !item.failed && run.done.count(item.id) == 0;
    };
    std::vector<ProducedMap> produced;
    if (!run.method.refines) {
      for (InFlight& item : items)
        if (todo(item))
          guarded(item, [&] {
            cv::Mat map = item.maps->Plain(run.method.method);
            auto [calls, seconds] = item.maps->Cost(run.method.method);
            if (run.method.segments) {
              const auto start = Clock::now();
              mask::SegmentOptions segments;
              segments.scale = run.method.refine.level_set_segments;
              map = mask::SegmentBlend(map, mask::SegmentLabels(item.image.working, segments),
                                       run.method.refine.map_segment_weight,
                                       run.method.refine.map_segment_form);
              seconds += SecondsSince(start);
            }
            produced.push_back({&item, map, calls, seconds, "", "", ""});
          });
    } else {
      std::vector<InFlight*> refined;
      std::vector<std::unique_ptr<refine::Refiner>> refiners;
      for (InFlight& item : items)
        if (todo(item))
          guarded(item, [&] {
            refiners.push_back(item.maps->MakeRefiner(run.method));
            refined.push_back(&item);
          });
      std::vector<refine::Refiner*> pointers;
      pointers.reserve(refiners.size());
      for (const auto& refiner : refiners) pointers.push_back(refiner.get());
      try {
        refine::RefineTogether(classifier, pointers, options.explain.rise.batch_size);
        for (size_t i = 0; i < refined.size(); ++i) {
          const refine::RefineResult result = refiners[i]->Finish();
          const bool fits_prior = FitsPrior(run.method);
          produced.push_back({refined[i], result.map, result.model_calls, result.total_seconds,
                              fits_prior ? Number(result.prior_coefficient) : "",
                              fits_prior ? Number(result.prior_coefficient_sd) : "",
                              Number(result.hyperparameter_weight)});
        }
      } catch (const ModelError& e) {  // a shared forward pass: every image in it fails
        for (InFlight* item : refined) {
          item->failed = true;
          fail(item->id, e);
        }
        continue;
      }
    }
    WriteRows(produced, run, classifier, options, evaluation_cost, fail);
  }
}

}  // namespace

nlohmann::json ReadBatchSettings(const std::string& path) {
  // Settings added after borex-batch-settings/2 began, with the behaviour before they existed.
  static const std::pair<const char*, nlohmann::json> kAdded[] = {
      {"/refine/nonnegative_prior_coefficient", false},
      {"/refine/gp_over", "masks"},
      {"/refine/prior_level_sets", nlohmann::json::array()},
      {"/refine/posterior_level_sets", nlohmann::json::array()},
      {"/refine/level_set_segments", 0.0},
      {"/refine/map_segment_weight", 0.0},
      {"/refine/map_segment_form", "none"},
      {"/refine/fit_noise_variance", false},
      {"/refine/fit_prior_coefficient_sd", false},
      {"/refine/average_hyperparameters", false},
      {"/refine/deviation_floors", nlohmann::json::array()},
      {"/refine/rise_observations", "off"},
      // before the limit, the field read every mask of the prior
      {"/refine/rise_observation_limit", 0},
      {"/refine/fit_rise_observation_noise", false}};
  nlohmann::json settings = io::ReadJson(path);
  for (const auto& [pointer, before] : kAdded) {
    const nlohmann::json::json_pointer key(pointer);
    if (settings.contains(key.parent_pointer()) && !settings.contains(key)) settings[key] = before;
  }
  return settings;
}

std::vector<BatchMethod> ParseBatchMethods(const std::string& list,
                                           const refine::RefineOptions& base,
                                           const std::string& option) {
  std::vector<BatchMethod> methods;
  for (const std::string& name : Split(list, ',')) {
    BatchMethod method = ParseBatchMethod(name, base, option);
    for (const BatchMethod& other : methods)
      if (other.name == name) throw OptionError(option, "'" + name + "' is listed twice");
    methods.push_back(method);
  }
  if (methods.empty()) throw OptionError(option, "no method given");
  return methods;
}

void BatchOptions::Check() const {
  if (voc_root.empty() && video_root.empty())
    throw OptionError("--voc-root", "a dataset directory (or --video-root) is required");
  if (!voc_root.empty() && !video_root.empty())
    throw OptionError("--video-root", "give either --voc-root or --video-root, not both");
  if (split.empty()) throw OptionError("--split", "a split name is required");
  if (out_dir.empty()) throw OptionError("--out", "an output directory is required");
  if (label_top_k < 1) throw OptionError("--label-top-k", "must be at least 1");
  if (limit < 0) throw OptionError("--limit", "must not be negative");
  if (images_in_flight < 1)
    throw OptionError("--images-in-flight",
                      "must be at least 1, got " + std::to_string(images_in_flight));
  if (!label_map_path.empty()) io::CheckInputFile(label_map_path, "a label map file");
  explain.rise.Check();
  metrics.Check();
  if (refine.algorithm != refine::Algorithm::kBorex)
    throw OptionError("--algorithm",
                      "a batch chooses the algorithm per method: list mokuwe (Algorithm 1) in "
                      "--methods instead");
  refine.CheckSettings();
  for (const BatchMethod& method : ParseBatchMethods(methods, refine, "--methods")) {
    if (method.refines) method.refine.CheckSettings();
    if (method.segments && !video_root.empty())
      throw OptionError("--methods", "'" + method.name + "': segments are of images, not clips");
  }
}

const std::vector<std::string>& BatchCsvHeader() {
  static const std::vector<std::string> header = [] {
    std::vector<std::string> columns = {"image_id", "label"};
    for (const std::string& column : BatchImageColumns()) columns.push_back(column);
    for (const std::string& column : metrics::Evaluation::CsvColumns()) columns.push_back(column);
    for (const char* column :
         {"prior_coefficient", "prior_coefficient_sd", "hyperparameter_weight"})
      columns.push_back(column);
    columns.push_back("model_calls");
    columns.push_back("seconds");
    return columns;
  }();
  return header;
}

const std::vector<std::string>& BatchImageColumns() {
  static const std::vector<std::string> columns = {"label_items", "label_probability",
                                                   "label_rank"};
  return columns;
}

const std::vector<std::vector<std::string>>& OlderBatchCsvHeaders() {
  static const std::vector<std::vector<std::string>> headers = [] {
    const auto without = [](std::vector<std::string> header,
                            const std::vector<std::string>& columns) {
      for (const std::string& column : columns)
        header.erase(std::find(header.begin(), header.end(), column));
      return header;
    };
    const std::vector<std::string> before_hyperparameters =
        without(BatchCsvHeader(), {"prior_coefficient_sd", "hyperparameter_weight"});
    const std::vector<std::string> before_image_columns =
        without(before_hyperparameters, BatchImageColumns());
    return std::vector<std::vector<std::string>>{
        before_hyperparameters, before_image_columns,
        without(before_image_columns, {"prior_coefficient"})};
  }();
  return headers;
}

std::string BatchOutputDir(const BatchOptions& options) {
  return options.shard.count > 1 ? options.out_dir + "/shard-" + options.shard.Name()
                                 : options.out_dir;
}

BatchResult RunBatch(model::Classifier& classifier, const BatchOptions& batch_options,
                     const BatchProgress& progress) {
  const auto start = Clock::now();
  const long calls_before = classifier.model_calls();
  const double model_seconds_before = classifier.model_seconds();
  batch_options.Check();
  // The model's kind decides the dataset's; the per-image check would name refine's flags.
  if (classifier.info().is_video() && batch_options.video_root.empty())
    throw OptionError("--voc-root", "the model is a video model (" +
                                        std::to_string(classifier.info().frames) +
                                        " frames): give a clip dataset with --video-root");
  if (!classifier.info().is_video() && !batch_options.video_root.empty())
    throw OptionError("--video-root",
                      "the model is an image model (no frames in its metadata): give an image "
                      "dataset with --voc-root, or --frames T to use it as a video model");
  BatchOptions options = batch_options;
  options.explain.rise.seed = options.refine.seed;  // ImageMaps derives each image's from it
  options.explain.rise.score = options.refine.score;
  const std::vector<BatchMethod> methods =
      ParseBatchMethods(options.methods, options.refine, "--methods");
  for (const BatchMethod& method : methods)
    if (!method.refines || method.has_prior)
      explain::CheckMethodSupported(classifier, method.method, options.explain, "--methods");
  std::unique_ptr<BatchSource> source;
  if (options.video_root.empty())
    source = std::make_unique<VocSource>(options.voc_root);
  else
    source = std::make_unique<ClipSource>(options.video_root);
  BatchSource& voc = *source;
  std::vector<std::string> ids = voc.SplitIds(options.split);
  if (options.limit > 0 && static_cast<size_t>(options.limit) < ids.size())
    ids.resize(options.limit);
  std::vector<std::string> shard_ids;
  for (size_t i = 0; i < ids.size(); ++i)
    if (options.shard.Contains(i)) shard_ids.push_back(ids[i]);

  // The last inputs, checked before anything is written: the recorded settings, the model on
  // the first image that loads (kept for its turn), and the label map against its classes.
  const std::string out_dir = BatchOutputDir(options);
  const nlohmann::json settings = ResultSettings(options, classifier.info());
  CheckRecordedSettings(out_dir, settings);
  std::optional<std::pair<std::string, PreparedImage>> probe;
  std::exception_ptr model_failure;  // the first image's, when the model fails on every image
  for (const std::string& id : shard_ids) {
    try {
      probe.emplace(id, voc.Prepare(classifier, id));
      break;
    } catch (const InputError&) {  // skipped, with its reason, when its turn comes
    } catch (const ModelError&) {
      if (!model_failure) model_failure = std::current_exception();
    }
  }
  // A model that fails on every image (e.g. --classes of another length than its outputs) stops
  // the batch before anything is written, rather than skipping every image.
  if (!probe && model_failure) std::rethrow_exception(model_failure);
  std::optional<dataset::LabelMap> label_map;
  if (probe) label_map = MakeLabelMap(options, classifier, voc, ids);
  // The settings that depend on the image's size, on the first image's.
  if (probe) {
    const PreparedImage& image = probe->second;
    const cv::Size frame = image.working_frame_size();
    for (const BatchMethod& method : methods)
      if (method.refines) method.refine.Check(frame.height, frame.width, image.frames);
  }

  MakeDirectories(out_dir);
  const DirectoryLock lock(out_dir);
  io::RemoveStaleTemporaries(out_dir);       // left by a killed run; under the lock, all stale
  CheckRecordedSettings(out_dir, settings);  // again: another batch may have recorded them
  if (!std::filesystem::exists(out_dir + "/settings.json"))
    io::WriteJson(out_dir + "/settings.json", settings);
  std::vector<MethodRun> runs(methods.size());
  std::map<std::string, MethodRun*> runs_by_name;
  long resumed_rows = 0;
  for (size_t m = 0; m < methods.size(); ++m) {
    MethodRun& run = runs[m];
    run.method = methods[m];
    run.map_dir = out_dir + "/maps/" + run.method.name;
    MakeDirectories(run.map_dir);
    io::RemoveStaleTemporaries(run.map_dir);
    if (options.save_curves) {
      run.curve_dir = out_dir + "/curves/" + run.method.name;
      MakeDirectories(run.curve_dir);
      io::RemoveStaleTemporaries(run.curve_dir);
    }
    run.csv = std::make_unique<io::CsvAppender>(out_dir + "/" + run.method.name + ".csv",
                                                BatchCsvHeader(), OlderBatchCsvHeaders());
    const auto& header = BatchCsvHeader();
    const size_t prior_column =
        std::find(header.begin(), header.end(), "prior_coefficient") - header.begin();
    for (const auto& row : run.csv->existing_rows()) {
      run.done.insert(row[0]);
      run.maps_against_prior += AgainstPrior(row[prior_column], run.csv->path(), row[0]);
    }
    resumed_rows += static_cast<long>(run.done.size());
    runs_by_name[run.method.name] = &run;
  }
  std::vector<std::string> pending;
  for (const std::string& id : shard_ids)
    for (const MethodRun& run : runs)
      if (run.done.count(id) == 0) {
        pending.push_back(id);
        break;
      }
  spdlog::info("batch: {} {} in {}/{} (shard {}), {} already done, {} to do; methods: {}",
               shard_ids.size(), options.video_root.empty() ? "images" : "clips", voc.root(),
               options.split, options.shard.Name(), shard_ids.size() - pending.size(),
               pending.size(), options.methods);

  BatchResult result;
  auto skip = [&](const std::string& id, const Error& e) {
    spdlog::warn("batch: skipping {}: {}", id, e.what());
    result.skipped.emplace_back(id, e.what());
  };
  EvaluationCost evaluation;
  int finished = 0;
  const size_t in_flight = static_cast<size_t>(options.images_in_flight);
  for (size_t first = 0; first < pending.size(); first += in_flight) {
    const auto group_start = Clock::now();
    const size_t last = std::min(pending.size(), first + in_flight);
    std::vector<InFlight> items;
    items.reserve(last - first);
    for (size_t i = first; i < last; ++i) {
      const std::string& id = pending[i];
      try {
        InFlight item;
        item.id = id;
        if (probe && probe->first == id) {
          item.image = std::move(probe->second);
          probe.reset();
        } else {
          item.image = voc.Prepare(classifier, id);
        }
        Target(item, *label_map, voc, options);
        items.push_back(std::move(item));
        items.back().maps =
            std::make_unique<ImageMaps>(classifier, items.back().image, items.back().label,
                                        items.back().seed, options, runs_by_name, id);
      } catch (const InputError& e) {
        skip(id, e);
      } catch (const ModelError& e) {
        skip(id, e);
      }
    }
    ProcessImages(items, classifier, options, runs, evaluation, skip);
    const double seconds_each = SecondsSince(group_start) / static_cast<double>(last - first);
    for (size_t i = first; i < last; ++i)
      if (progress)
        progress(++finished, static_cast<int>(pending.size()), pending[i], seconds_each);
  }

  result.out_dir = out_dir;
  result.images_in_shard = static_cast<long>(shard_ids.size());
  result.images_processed = static_cast<long>(pending.size() - result.skipped.size());
  result.rows_resumed = resumed_rows;
  result.model_calls = classifier.model_calls() - calls_before;
  result.model_seconds = classifier.model_seconds() - model_seconds_before;
  result.total_seconds = SecondsSince(start);
  nlohmann::json per_method = nlohmann::json::object();
  for (const MethodRun& run : runs) {
    const bool fits_prior = FitsPrior(run.method);
    result.methods.push_back({run.method.name, run.csv->path(), run.rows_written,
                              static_cast<long>(run.done.size()), run.model_calls, run.seconds,
                              fits_prior ? run.maps_against_prior : -1});
    per_method[run.method.name] = {
        {"csv", run.csv->path()},
        {"rows_written", run.rows_written},
        {"rows_total", run.done.size()},
        {"model_calls", run.model_calls},
        {"seconds", run.seconds},
        {"maps_against_prior",
         fits_prior ? nlohmann::json(run.maps_against_prior) : nlohmann::json(nullptr)},
        {"images_per_minute",
         run.seconds > 0 ? nlohmann::json(60.0 * run.rows_written / run.seconds) : nullptr}};
  }
  nlohmann::json skipped = nlohmann::json::array();
  for (const auto& [id, reason] : result.skipped)
    skipped.push_back({{"image_id", id}, {"reason", reason}});
  nlohmann::json summary = {
      {"version", BOREX_VERSION},
      // Absolute, so that `report --html` finds the images from any directory.
      {options.video_root.empty() ? "voc_root" : "video_root",
       std::filesystem::absolute(voc.root()).lexically_normal().string()},
      {"split", options.split},
      {"shard", options.shard.Name()},
      {"images_in_shard", result.images_in_shard},
      {"images_processed", result.images_processed},
      {"rows_resumed", resumed_rows},
      {"skipped", skipped},
      {"methods", per_method},
      {"evaluation", {{"model_calls", evaluation.model_calls}, {"seconds", evaluation.seconds}}},
      {"model_calls", result.model_calls},
      {"model_seconds", result.model_seconds},
      {"total_seconds", result.total_seconds},
      {"total_over_model_time", result.model_seconds > 0
                                    ? nlohmann::json(result.total_seconds / result.model_seconds)
                                    : nullptr}};
  io::WriteJson(out_dir + "/batch.json", summary);
  // batch.json describes the last run; every run's costs are kept, one JSON line each, so that
  // a resumed batch's total time can still be told.
  nlohmann::json run = summary;
  run.erase("skipped");
  io::AppendLineDurably(out_dir + "/batch_runs.jsonl", run.dump() + "\n");
  result.summary = std::move(summary);
  return result;
}

}  // namespace borex::app
