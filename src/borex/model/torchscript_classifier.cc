// The only library translation unit that includes LibTorch headers (they take tens of seconds to
// compile): loading TorchScript, batched forward passes, and layer gradients for Grad-CAM.
#include "borex/model/torchscript_classifier.h"

#include <ATen/Parallel.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/jit/api/function_impl.h>
#include <torch/csrc/jit/passes/inliner.h>
#include <torch/csrc/jit/runtime/graph_executor.h>
#include <torch/cuda.h>
#include <torch/script.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <opencv2/imgproc.hpp>
#include <sstream>

#include "borex/core/error.h"
#include "borex/core/threads.h"
#include "borex/model/open_classifier.h"

namespace borex::model {
namespace {

using Clock = std::chrono::steady_clock;

// The path of module instances that a node came from after inlining ("layer4", "0", "conv1").
// Entries named SELF are calls to another method of the same module and "?" entries are plain
// functions; neither is part of the submodule path.
std::vector<std::string> ModulePath(torch::jit::Node* node) {
  std::vector<std::string> path;
  const auto callstack = node->callstack();
  if (!callstack) return path;
  for (const auto& entry : (*callstack)->vec()) {
    const auto& instance = std::get<2>(entry);
    if (instance && instance->instance_name() != "SELF") path.push_back(instance->instance_name());
  }
  return path;
}

// One line saying why LibTorch failed: c10 errors without their backtrace; the TorchScript
// interpreter's errors ("The following operation failed ...", a traceback, then the cause) by
// their last line.
std::string TorchErrorLine(const std::exception& error) {
  if (const auto* c10_error = dynamic_cast<const c10::Error*>(&error)) {
    const std::string what = c10_error->what_without_backtrace();
    return what.substr(0, what.find('\n'));
  }
  std::string what = error.what();
  while (!what.empty() && (what.back() == '\n' || what.back() == ' ')) what.pop_back();
  return what.substr(what.rfind('\n') + 1);
}

std::vector<std::string> SplitPath(const std::string& layer) {
  std::vector<std::string> parts;
  std::stringstream stream(layer);
  for (std::string part; std::getline(stream, part, '.');) parts.push_back(part);
  return parts;
}

}  // namespace

struct TorchScriptClassifier::Impl {
  torch::jit::Module module;
  torch::Device device{torch::kCPU};
  std::string path;
  // Grad-CAM graphs (forward returning (logits, activation)), built once per layer.
  std::map<std::string, std::shared_ptr<torch::jit::GraphFunction>> layer_functions;

  // [N, 3, H, W] for an image model; for a video model the stacked clips (T·H rows) become
  // [N, 3, T, H, W] or [N, T, 3, H, W] as the model's layout says.
  torch::Tensor ToInput(const std::vector<cv::Mat>& images, const ModelInfo& info) const {
    return Normalise(ToPixels(images).to(device), info);
  }

  // The images as one CPU tensor [N, H, W, 3] of RGB [0, 1] pixels.
  static torch::Tensor ToPixels(const std::vector<cv::Mat>& images) {
    const int rows = images.front().rows, cols = images.front().cols;
    auto batch = torch::empty({static_cast<long>(images.size()), rows, cols, 3}, torch::kFloat32);
    float* data = batch.data_ptr<float>();
    const size_t image_floats = static_cast<size_t>(rows) * cols * 3;
    for (size_t n = 0; n < images.size(); ++n) {
      const cv::Mat& image = images[n];
      BOREX_CHECK(image.type() == CV_32FC3 && image.rows == rows && image.cols == cols);
      if (image.isContinuous()) {
        std::memcpy(data + n * image_floats, image.ptr<float>(), image_floats * sizeof(float));
      } else {
        for (int r = 0; r < rows; ++r)
          std::memcpy(data + n * image_floats + static_cast<size_t>(r) * cols * 3,
                      image.ptr<float>(r), static_cast<size_t>(cols) * 3 * sizeof(float));
      }
    }
    return batch;
  }

  // [N, H, W, 3] RGB [0, 1] pixels (video: stacked clips) to the model's normalised input;
  // differentiable, so input gradients flow back to the pixels.
  torch::Tensor Normalise(const torch::Tensor& batch, const ModelInfo& info) const {
    const long rows = batch.size(1), cols = batch.size(2);
    const auto mean = torch::tensor({info.mean[0], info.mean[1], info.mean[2]}).to(device);
    const auto std = torch::tensor({info.std[0], info.std[1], info.std[2]}).to(device);
    if (!info.is_video())
      return ((batch.permute({0, 3, 1, 2}) - mean.view({1, 3, 1, 1})) / std.view({1, 3, 1, 1}))
          .contiguous();
    BOREX_CHECK_EQ(rows % info.frames, 0);
    // Normalise channels-last, then move the channel axis where the layout wants it.
    auto clip =
        ((batch - mean) / std).view({batch.size(0), info.frames, rows / info.frames, cols, 3});
    clip = info.layout == VideoLayout::kNCTHW ? clip.permute({0, 4, 1, 2, 3})
                                              : clip.permute({0, 1, 4, 2, 3});
    return clip.contiguous();
  }

  // "[1, 3, 16, 112, 112]" for a model input of `working_size` (a stacked clip for video).
  static std::string InputShape(const ModelInfo& info, const cv::Size& working_size) {
    if (!info.is_video())
      return "[1, 3, " + std::to_string(working_size.height) + ", " +
             std::to_string(working_size.width) + "]";
    const std::string t = std::to_string(info.frames),
                      h = std::to_string(working_size.height / info.frames),
                      w = std::to_string(working_size.width);
    return info.layout == VideoLayout::kNCTHW ? "[1, 3, " + t + ", " + h + ", " + w + "]"
                                              : "[1, " + t + ", 3, " + h + ", " + w + "]";
  }

  torch::Tensor CheckedLogits(const torch::jit::IValue& output, long batch) const {
    if (!output.isTensor())
      throw ModelError(path + ": model output is not a tensor (expected logits [N, C])");
    const torch::Tensor& logits = output.toTensor();
    if (logits.dim() != 2 || logits.size(0) != batch)
      throw ModelError(path + ": model output has shape " + ShapeString(logits) +
                       ", expected [N, C] = [" + std::to_string(batch) + ", C]");
    if (!torch::isfinite(logits).all().item<bool>()) throw NonFiniteLogitsError(path);
    return logits.to(torch::kCPU, torch::kFloat32);
  }

  // forward() on a model input, checked; LibTorch's errors become one-line ModelErrors.
  torch::Tensor ForwardLogits(const torch::Tensor& input, long batch) {
    try {
      return CheckedLogits(module.forward({input}), batch);
    } catch (const Error&) {
      throw;
    } catch (const std::exception& e) {
      throw ModelError(path + ": forward pass failed (" + TorchErrorLine(e) + ")");
    }
  }

  static std::string ShapeString(const torch::Tensor& t) {
    std::ostringstream out;
    out << t.sizes();
    return out.str();
  }

  // Copies forward's graph, inlines every submodule call and returns a function whose second
  // output is the value the submodule at `layer` returned (the last value produced inside that
  // submodule and consumed outside it). Works for scripted and traced modules alike, without
  // re-exporting the model.
  std::shared_ptr<torch::jit::GraphFunction> LayerFunction(const std::string& layer) {
    auto found = layer_functions.find(layer);
    if (found != layer_functions.end()) return found->second;
    const auto wanted = SplitPath(layer);
    auto graph = module.get_method("forward").graph()->copy();
    torch::jit::Inline(*graph);
    auto inside = [&](torch::jit::Node* node) {
      const auto path = ModulePath(node);
      return path.size() >= wanted.size() && std::equal(wanted.begin(), wanted.end(), path.begin());
    };
    torch::jit::Value* activation = nullptr;
    for (torch::jit::Node* node : graph->nodes()) {
      if (!inside(node)) continue;
      for (torch::jit::Value* output : node->outputs()) {
        if (!output->type()->isSubtypeOf(*c10::TensorType::get())) continue;
        for (const auto& use : output->uses())
          if (!inside(use.user)) activation = output;
      }
    }
    if (activation == nullptr)
      throw OptionError("--target-layer", "no submodule '" + layer + "' producing a tensor in " +
                                              path + " (use a path such as layer4 or features.7)");
    torch::jit::Value* logits = graph->outputs()[0];
    graph->eraseOutput(0);
    graph->registerOutput(graph->insertNode(graph->createTuple({logits, activation}))->output());
    auto function =
        std::make_shared<torch::jit::GraphFunction>("borex_forward_with_" + layer, graph, nullptr);
    layer_functions[layer] = function;
    return function;
  }
};

TorchScriptClassifier::TorchScriptClassifier(const ModelOptions& options)
    : impl_(std::make_unique<Impl>()) {
  options.Check();
  impl_->path = options.path;
  if (options.device == "cuda") {
    if (!torch::cuda::is_available())
      throw OptionError("--device",
                        "cuda requested but CUDA is not available (no GPU, or this "
                        "LibTorch was built without CUDA)");
    impl_->device = torch::Device(torch::kCUDA);
  }
  const int threads = options.threads > 0 ? options.threads : HardwareThreads();
  at::set_num_threads(threads);

  std::ifstream probe(options.path, std::ios::binary);
  if (!probe) throw InputError(options.path, "cannot open model file (does it exist?)");
  probe.close();
  torch::jit::ExtraFilesMap extra_files{{kMetadataKey, ""}};
  try {
    impl_->module = torch::jit::load(options.path, impl_->device, extra_files);
  } catch (const c10::Error& e) {
    std::string what = e.what_without_backtrace();
    what = what.substr(0, what.find('\n'));
    throw InputError(options.path, "not a loadable TorchScript model (" + what + ")");
  }
  impl_->module.eval();
  if (!extra_files[kMetadataKey].empty())
    ParseModelMetadata(options.path, extra_files[kMetadataKey], info_);
  info_.format = "TorchScript";
  ApplyModelOptions(options, info_);
}

TorchScriptClassifier::~TorchScriptClassifier() = default;

void TorchScriptClassifier::Validate(const cv::Size& working_size) {
  if (working_size == validated_size_) return;
  c10::InferenceMode guard;
  const std::vector<cv::Mat> blank{cv::Mat(working_size, CV_32FC3, cv::Scalar::all(0.5))};
  torch::Tensor logits;
  try {
    logits = impl_->CheckedLogits(impl_->module.forward({impl_->ToInput(blank, info_)}), 1);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw ModelError(impl_->path + ": model rejected a " + Impl::InputShape(info_, working_size) +
                     " input (" + TorchErrorLine(e) + "); check --input-size" +
                     (info_.is_video() ? ", --frames and --video-layout" : ""));
  }
  num_classes_ = static_cast<int>(logits.size(1));
  info_.CheckClassCount(num_classes_);
  validated_size_ = working_size;
}

Eigen::MatrixXf TorchScriptClassifier::Logits(const std::vector<cv::Mat>& images) {
  BOREX_CHECK(!images.empty());
  const auto start = Clock::now();
  c10::InferenceMode guard;
  const torch::Tensor logits =
      impl_->ForwardLogits(impl_->ToInput(images, info_), static_cast<long>(images.size()));
  Eigen::MatrixXf result(logits.size(0), logits.size(1));
  // torch is row-major [N, C]; Eigen's default is column-major.
  Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> view(
      logits.data_ptr<float>(), logits.size(0), logits.size(1));
  result = view;
  model_calls_ += static_cast<long>(images.size());
  model_seconds_ += std::chrono::duration<double>(Clock::now() - start).count();
  return result;
}

void TorchScriptClassifier::CheckTargetLayer(const std::string& layer) {
  impl_->LayerFunction(layer);  // built once and kept for TargetLayerGradients
}

LayerGradients TorchScriptClassifier::TargetLayerGradients(const cv::Mat& image, int label,
                                                           const std::string& layer) {
  const auto start = Clock::now();
  auto function = impl_->LayerFunction(layer);
  // The profiling graph executor re-optimises a graph after its first runs; the optimised
  // gradient graph of this function then returned other (wrong) layer gradients from the second
  // image on. Unoptimised execution keeps every call identical to the first (and to PyTorch's
  // hooks).
  torch::jit::GraphOptimizerEnabledGuard unoptimised(false);
  torch::AutoGradMode grad_mode(true);
  auto input = impl_->ToInput({image}, info_).requires_grad_(true);
  torch::Tensor logits, activation;
  try {
    auto outputs = (*function)({impl_->module._ivalue(), input}).toTuple();
    logits = outputs->elements()[0].toTensor();
    activation = outputs->elements()[1].toTensor();
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw ModelError(impl_->path + ": forward pass failed (" + TorchErrorLine(e) + ")");
  }
  if (logits.dim() != 2 || label < 0 || label >= logits.size(1))
    throw ModelError(impl_->path + ": model output is not [N, C] with C > label");
  if (!torch::isfinite(logits).all().item<bool>()) throw NonFiniteLogitsError(impl_->path);
  // A 2D layer gives [1, K, h, w]; a 3D layer of a video model [1, K, d, h, w].
  const int spatial_dims = info_.is_video() ? 3 : 2;
  if (activation.dim() != 2 + spatial_dims || activation.size(0) != 1)
    throw OptionError("--target-layer",
                      "'" + layer + "' outputs shape " + Impl::ShapeString(activation) +
                          (info_.is_video() ? ", expected a 3D-convolutional [1, K, d, h, w] tensor"
                                            : ", expected a convolutional [1, K, h, w] tensor"));
  auto gradient = torch::autograd::grad({logits.index({0, label})}, {activation},
                                        /*grad_outputs=*/{}, /*retain_graph=*/false,
                                        /*create_graph=*/false, /*allow_unused=*/true)[0];
  if (!gradient.defined()) gradient = torch::zeros_like(activation);
  LayerGradients result;
  result.channels = static_cast<int>(activation.size(1));
  result.depth = spatial_dims == 3 ? static_cast<int>(activation.size(2)) : 1;
  result.rows = static_cast<int>(activation.size(activation.dim() - 2));
  result.cols = static_cast<int>(activation.size(activation.dim() - 1));
  using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const auto to_matrix = [&](const torch::Tensor& t) -> Eigen::MatrixXf {
    auto cpu = t.detach().to(torch::kCPU, torch::kFloat32).contiguous();
    return Eigen::Map<const RowMajor>(cpu.data_ptr<float>(), result.channels,
                                      static_cast<long>(result.depth) * result.rows * result.cols);
  };
  result.activations = to_matrix(activation);
  result.gradients = to_matrix(gradient);
  auto cpu_logits = logits.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  result.logits = Eigen::Map<const Eigen::VectorXf>(cpu_logits.data_ptr<float>(), logits.size(1));
  model_calls_ += 1;
  model_seconds_ += std::chrono::duration<double>(Clock::now() - start).count();
  return result;
}

InputGradients TorchScriptClassifier::ScoreInputGradients(const std::vector<cv::Mat>& images,
                                                          int label, ScoreKind kind) {
  BOREX_CHECK(!images.empty());
  const auto start = Clock::now();
  torch::jit::GraphOptimizerEnabledGuard unoptimised(false);  // see TargetLayerGradients
  torch::AutoGradMode grad_mode(true);
  // The leaf is the batch of [0, 1] pixels, so the gradient includes the normalisation.
  const int rows = images.front().rows, cols = images.front().cols;
  auto pixels = Impl::ToPixels(images).to(impl_->device).requires_grad_(true);
  const torch::Tensor logits =
      impl_->ForwardLogits(impl_->Normalise(pixels, info_), static_cast<long>(images.size()));
  if (label < 0 || label >= logits.size(1))
    throw ModelError(impl_->path + ": model output is not [N, C] with C > label");
  torch::Tensor scores;
  switch (kind) {
    case ScoreKind::kLogit:
      scores = logits.select(1, label);
      break;
    case ScoreKind::kProbability:
      scores = torch::softmax(logits, 1).select(1, label);
      break;
    case ScoreKind::kLogOdds: {
      auto others = logits.clone();
      others.select(1, label).fill_(-std::numeric_limits<float>::infinity());
      scores = logits.select(1, label) - torch::logsumexp(others, 1);
      break;
    }
  }
  // Images are independent (eval mode), so one backward pass of the sum gives every gradient.
  auto gradient = torch::autograd::grad({scores.sum()}, {pixels})[0].to(torch::kCPU).contiguous();
  auto cpu_scores = scores.detach().to(torch::kCPU).contiguous();
  InputGradients result;
  result.scores = Eigen::Map<const Eigen::VectorXf>(cpu_scores.data_ptr<float>(), scores.size(0));
  for (size_t n = 0; n < images.size(); ++n)
    result.gradients.push_back(
        cv::Mat(rows, cols, CV_32FC3, gradient[static_cast<long>(n)].data_ptr<float>()).clone());
  model_calls_ += static_cast<long>(images.size());
  model_seconds_ += std::chrono::duration<double>(Clock::now() - start).count();
  return result;
}

}  // namespace borex::model
