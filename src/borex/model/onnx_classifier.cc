#include "borex/model/onnx_classifier.h"

#include <chrono>
#include <fstream>
#include <iterator>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/dnn.hpp>
#include <regex>
#include <sstream>

#include "borex/core/error.h"
#include "borex/io/protobuf_wire.h"
#include "borex/model/onnx_model_proto.h"

namespace borex::model {
namespace {

using Clock = std::chrono::steady_clock;

// One line from an OpenCV error: its description without the "OpenCV(4.6.0) file:line: error:"
// prefixes (nested errors repeat them) and the "> " continuation marks.
std::string OpenCvErrorLine(const cv::Exception& error) {
  static const std::regex kPrefix(R"(OpenCV\([^)]*\) [^ ]+:[0-9]+: error: )");
  const std::string text =
      std::regex_replace(error.err.empty() ? error.what() : error.err, kPrefix, "");
  std::string line;
  std::istringstream lines(text);
  for (std::string part; std::getline(lines, part);) {
    while (!part.empty() && (part.front() == '>' || part.front() == ' ')) part.erase(0, 1);
    if (!part.empty()) line += (line.empty() ? "" : " ") + part;
  }
  return line.empty() ? "unknown OpenCV error" : line;
}

std::string ShapeString(const std::vector<int64_t>& dims) {
  std::string text = "[";
  for (size_t i = 0; i < dims.size(); ++i)
    text += (i ? ", " : "") + (dims[i] < 0 ? std::string("?") : std::to_string(dims[i]));
  return text + "]";
}

// The model input for `batch` images of `working_size` (video: the stacked clip), as
// TorchScriptClassifier builds it: [N, 3, H, W], [N, 3, T, H, W] or [N, T, 3, H, W].
std::vector<int64_t> InputShape(const ModelInfo& info, const cv::Size& working_size, int batch) {
  const int64_t rows = working_size.height / info.clip_frames(), cols = working_size.width;
  if (!info.is_video()) return {batch, 3, rows, cols};
  if (info.layout == VideoLayout::kNCTHW) return {batch, 3, info.frames, rows, cols};
  return {batch, info.frames, 3, rows, cols};
}

}  // namespace

struct OnnxClassifier::Impl {
  cv::dnn::Net net;
  std::string path;
  std::vector<int64_t> declared_shape;  // the graph's input dims, -1 where not fixed

  // `count` model inputs from `images` (CV_32FC3, RGB [0, 1], equal sizes; video: stacked clips),
  // (x - mean) / std per channel; images past the end repeat the last one (fixed-batch padding).
  static cv::Mat Blob(const std::vector<cv::Mat>& images, size_t begin, int count,
                      const ModelInfo& info) {
    const cv::Size size = images[begin].size();
    const int frames = info.clip_frames(), rows = size.height / frames, cols = size.width;
    BOREX_CHECK_EQ(size.height % frames, 0);
    std::vector<int> shape;
    for (const int64_t dim : InputShape(info, size, count)) shape.push_back(static_cast<int>(dim));
    cv::Mat blob(static_cast<int>(shape.size()), shape.data(), CV_32F);
    float* data = blob.ptr<float>();
    const size_t plane = static_cast<size_t>(rows) * cols;
    const bool channel_first = !info.is_video() || info.layout == VideoLayout::kNCTHW;
    cv::Mat normalised;
    std::vector<cv::Mat> planes(3);
    for (int n = 0; n < count; ++n) {
      const cv::Mat& image = images[std::min(begin + n, images.size() - 1)];
      BOREX_CHECK(image.type() == CV_32FC3 && image.size() == size);
      cv::subtract(image, cv::Scalar(info.mean[0], info.mean[1], info.mean[2]), normalised);
      cv::divide(normalised, cv::Scalar(info.std[0], info.std[1], info.std[2]), normalised);
      for (int t = 0; t < frames; ++t) {
        for (int c = 0; c < 3; ++c) {
          const size_t index = channel_first ? (static_cast<size_t>(n) * 3 + c) * frames + t
                                             : (static_cast<size_t>(n) * frames + t) * 3 + c;
          planes[c] = cv::Mat(rows, cols, CV_32F, data + index * plane);
        }
        cv::split(normalised.rowRange(t * rows, (t + 1) * rows), planes);
      }
    }
    return blob;
  }

  // One forward pass; OpenCV's errors as they come.
  cv::Mat Run(const cv::Mat& blob) {
    net.setInput(blob);
    return net.forward();
  }

  void CheckOutput(const cv::Mat& output, int count) const {
    if (output.dims != 2 || output.size[0] != count) {
      const std::vector<int64_t> dims(output.size.p, output.size.p + output.dims);
      throw ModelError(path + ": model output has shape " + ShapeString(dims) +
                       ", expected [N, C] = [" + std::to_string(count) + ", C]");
    }
  }

  // One forward pass, checked to give [count, C]; OpenCV's errors become one-line ModelErrors.
  cv::Mat Forward(const cv::Mat& blob, int count) {
    cv::Mat output;
    try {
      output = Run(blob);
    } catch (const cv::Exception& e) {
      throw ModelError(path + ": forward pass failed (" + OpenCvErrorLine(e) + ")");
    }
    CheckOutput(output, count);
    return output;
  }
};

OnnxClassifier::OnnxClassifier(const ModelOptions& options) : impl_(std::make_unique<Impl>()) {
  options.Check();
  impl_->path = options.path;
  if (options.device != "cpu")
    throw OptionError("--device", "ONNX models run on the CPU (OpenCV's DNN module); '" +
                                      options.device + "' is for TorchScript models");
  if (options.threads > 0) cv::setNumThreads(options.threads);

  std::ifstream in(options.path, std::ios::binary);
  if (!in) throw InputError(options.path, "cannot open model file (does it exist?)");
  const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) throw InputError(options.path, "cannot read model file");
  OnnxModelProto proto;
  try {
    proto = ParseOnnxModelProto(bytes);
  } catch (const io::ProtobufError& e) {
    throw InputError(options.path, std::string("not a readable ONNX model (") + e.what() + ")");
  }
  // OpenCV logs the node that failed to import on stderr before throwing; the exception says it
  // again, in borex's one line.
  const auto log_level = cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
  try {
    impl_->net = cv::dnn::readNetFromONNX(bytes.data(), bytes.size());
  } catch (const cv::Exception& e) {
    cv::utils::logging::setLogLevel(log_level);
    throw InputError(options.path,
                     "OpenCV cannot import this ONNX model (" + OpenCvErrorLine(e) + ")");
  }
  cv::utils::logging::setLogLevel(log_level);
  if (impl_->net.empty()) throw InputError(options.path, "OpenCV imported an empty network");
  impl_->net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
  impl_->net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
  impl_->declared_shape = proto.input_shape;
  if (!proto.input_shape.empty() && proto.input_shape.front() > 0)
    fixed_batch_ = static_cast<int>(proto.input_shape.front());

  const auto metadata = proto.metadata.find(kMetadataKey);
  if (metadata != proto.metadata.end()) ParseModelMetadata(options.path, metadata->second, info_);
  info_.format = "ONNX";
  ApplyModelOptions(options, info_);
  // A graph with a fixed spatial size needs no input_size in its metadata.
  const auto& dims = proto.input_shape;
  if (info_.input_size.area() == 0 && dims.size() == (info_.is_video() ? 5u : 4u) &&
      dims[dims.size() - 2] > 0 && dims.back() > 0)
    info_.input_size = cv::Size(static_cast<int>(dims.back()), static_cast<int>(dims.end()[-2]));
}

OnnxClassifier::~OnnxClassifier() = default;

void OnnxClassifier::Validate(const cv::Size& working_size) {
  if (working_size == validated_size_) return;
  const std::vector<int64_t> wanted = InputShape(info_, working_size, 1);
  const std::vector<int64_t>& declared = impl_->declared_shape;
  const std::string hint = info_.is_video() ? "; check --input-size, --frames and --video-layout"
                                            : "; check --input-size";
  if (!declared.empty()) {
    bool fits = declared.size() == wanted.size();
    for (size_t i = 1; fits && i < wanted.size(); ++i)
      fits = declared[i] < 0 || declared[i] == wanted[i];
    if (!fits)
      throw ModelError(impl_->path + ": the graph's input is " + ShapeString(declared) +
                       " but borex would give it " + ShapeString(wanted) + hint);
  }
  const std::vector<cv::Mat> blank{cv::Mat(working_size, CV_32FC3, cv::Scalar::all(0.5))};
  const int count = std::max(1, fixed_batch_);
  cv::Mat logits;
  try {
    logits = impl_->Run(Impl::Blob(blank, 0, count, info_));
  } catch (const cv::Exception& e) {
    throw ModelError(impl_->path + ": model rejected a " + ShapeString(wanted) + " input (" +
                     OpenCvErrorLine(e) + ")" + hint);
  }
  impl_->CheckOutput(logits, count);
  num_classes_ = logits.size[1];
  info_.CheckClassCount(num_classes_);
  validated_size_ = working_size;
}

Eigen::MatrixXf OnnxClassifier::Logits(const std::vector<cv::Mat>& images) {
  BOREX_CHECK(!images.empty());
  const auto start = Clock::now();
  const size_t step = fixed_batch_ > 0 ? static_cast<size_t>(fixed_batch_) : images.size();
  Eigen::MatrixXf result;
  for (size_t begin = 0; begin < images.size(); begin += step) {
    const cv::Mat output = impl_->Forward(Impl::Blob(images, begin, static_cast<int>(step), info_),
                                          static_cast<int>(step));
    if (result.size() == 0) result.resize(static_cast<Eigen::Index>(images.size()), output.cols);
    const size_t rows = std::min(step, images.size() - begin);
    // OpenCV's output is row-major [N, C]; Eigen's default is column-major.
    using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    result.middleRows(static_cast<Eigen::Index>(begin), static_cast<Eigen::Index>(rows)) =
        Eigen::Map<const RowMajor>(output.ptr<float>(), static_cast<Eigen::Index>(rows),
                                   output.cols);
  }
  model_calls_ += static_cast<long>(images.size());
  model_seconds_ += std::chrono::duration<double>(Clock::now() - start).count();
  if (!result.allFinite()) throw NonFiniteLogitsError(impl_->path);
  return result;
}

}  // namespace borex::model
