#include "borex/io/video.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <set>
#include <string_view>
#include <system_error>

#include "borex/core/error.h"
#include "borex/io/heatmap.h"
#include "borex/io/image.h"

namespace borex::io {
namespace fs = std::filesystem;
namespace {

std::string SizeText(const cv::Size& size) {
  return std::to_string(size.width) + "x" + std::to_string(size.height);
}

std::string FramesText(long long count) {
  return std::to_string(count) + (count == 1 ? " frame" : " frames");
}

std::string Lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

bool IsDigit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

// Natural order: runs of digits compare by value ("2" < "10"), other characters one by one;
// names equal that way ("01.png", "1.png") keep their plain order.
bool NaturalLess(const std::string& a, const std::string& b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (!IsDigit(a[i]) || !IsDigit(b[j])) {
      if (a[i] != b[j]) return a[i] < b[j];
      ++i, ++j;
      continue;
    }
    size_t i_end = i, j_end = j;
    while (i_end < a.size() && IsDigit(a[i_end])) ++i_end;
    while (j_end < b.size() && IsDigit(b[j_end])) ++j_end;
    while (i + 1 < i_end && a[i] == '0') ++i;  // leading zeros do not count
    while (j + 1 < j_end && b[j] == '0') ++j;
    const std::string_view x(a.data() + i, i_end - i), y(b.data() + j, j_end - j);
    if (x.size() != y.size()) return x.size() < y.size();
    if (x != y) return x < y;
    i = i_end, j = j_end;
  }
  if (i == a.size() && j == b.size()) return a < b;
  return i == a.size();
}

// The frame images of a directory in natural order of their names.
std::vector<fs::path> FrameFiles(const std::string& directory) {
  static const std::set<std::string> kExtensions = {".png",  ".jpg",  ".jpeg", ".bmp", ".tif",
                                                    ".tiff", ".webp", ".pgm",  ".ppm", ".pnm"};
  std::vector<fs::path> files;
  std::error_code error;
  for (fs::directory_iterator entry(directory, error), end; !error && entry != end;
       entry.increment(error)) {
    const std::string name = entry->path().filename().string();
    std::error_code ignored;
    if (name.empty() || name[0] == '.' || !entry->is_regular_file(ignored)) continue;
    if (kExtensions.count(Lowercase(entry->path().extension().string())) > 0)
      files.push_back(entry->path());
  }
  if (error) throw InputError(directory, "cannot list the directory (" + error.message() + ")");
  if (files.empty())
    throw InputError(directory, "directory has no frame images (.png, .jpg, .bmp, .tif, .webp)");
  std::sort(files.begin(), files.end(), [](const fs::path& a, const fs::path& b) {
    return NaturalLess(a.filename().string(), b.filename().string());
  });
  return files;
}

// While alive, OpenCV logs nothing: with cv::CAP_ANY every backend that cannot read a file logs
// an error of its own, which would bury borex's one-line message. (The level is process-wide.)
class QuietOpenCvLog {
 public:
  QuietOpenCvLog()
      : previous_(cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT)) {}
  ~QuietOpenCvLog() { cv::utils::logging::setLogLevel(previous_); }
  QuietOpenCvLog(const QuietOpenCvLog&) = delete;
  QuietOpenCvLog& operator=(const QuietOpenCvLog&) = delete;

 private:
  cv::utils::logging::LogLevel previous_;
};

// FFmpeg prints its own errors ("moov atom not found") before borex's one-line message; only
// fatal ones are kept unless the user set OPENCV_FFMPEG_LOGLEVEL. OpenCV reads the variable
// when it first initialises FFmpeg, so this runs before any capture or writer is opened.
void QuietFfmpegLog() {
  static const bool once = [] {
    ::setenv("OPENCV_FFMPEG_LOGLEVEL", "8", /*overwrite=*/0);  // AV_LOG_FATAL
    return true;
  }();
  (void)once;
}

// Opens `path` with FFmpeg, else with whichever backend takes it; false when none does.
bool OpenVideo(cv::VideoCapture& capture, const std::string& path, int fallback_api) {
  QuietFfmpegLog();
  try {
    if (capture.open(path, cv::CAP_FFMPEG)) return true;
    const QuietOpenCvLog quiet;
    return capture.open(path, fallback_api);
  } catch (const cv::Exception&) {
    capture.release();
    return false;
  }
}

// A decoded video frame (8-bit BGR or gray) as CV_32FC3 RGB in [0, 1].
cv::Mat DecodedFrameToRgb(const cv::Mat& decoded) {
  cv::Mat scaled, rgb;
  decoded.convertTo(scaled, CV_32F, 1.0 / 255);
  cv::cvtColor(scaled, rgb, decoded.channels() == 1 ? cv::COLOR_GRAY2RGB : cv::COLOR_BGR2RGB);
  return rgb;
}

// The frames of a clip that `take` selects, and how many frames were seen: all of the clip, or
// `stop` when it has more.
struct DecodedClip {
  std::vector<cv::Mat> frames;
  int first_index = 0;  // index of frames[0] in the clip
  int seen = 0;
};

void AddFrame(DecodedClip& clip, int index, const cv::Mat& frame, const std::string& path,
              const std::string& file) {
  if (clip.frames.empty()) {
    clip.first_index = index;
  } else if (frame.size() != clip.frames.front().size()) {
    throw InputError(
        path, "frame " + std::to_string(index) + (file.empty() ? "" : " (" + file + ")") + " is " +
                  SizeText(frame.size()) + " but frame " + std::to_string(clip.first_index) +
                  " is " + SizeText(clip.frames.front().size()));
  }
  clip.frames.push_back(frame);
}

DecodedClip DecodeClip(const std::string& path, const std::function<bool(int)>& take, int stop) {
  std::error_code error;
  if (!fs::exists(path, error)) throw InputError(path, "does not exist");
  DecodedClip clip;
  if (fs::is_directory(path, error)) {
    const std::vector<fs::path> files = FrameFiles(path);
    clip.seen = static_cast<int>(std::min<size_t>(files.size(), stop));
    for (int index = 0; index < clip.seen; ++index)
      if (take(index))
        AddFrame(clip, index, ReadImageRgb(files[index].string()), path,
                 files[index].filename().string());
    return clip;
  }
  cv::VideoCapture capture;
  if (!OpenVideo(capture, path, cv::CAP_ANY))
    throw InputError(path, "cannot be opened as a video (not a video file, or no decoder for it)");
  for (int index = 0; index < stop && capture.grab(); ++index) {
    clip.seen = index + 1;
    if (!take(index)) continue;
    cv::Mat decoded;
    if (!capture.retrieve(decoded) || decoded.empty())
      throw InputError(path, "frame " + std::to_string(index) + " cannot be decoded");
    AddFrame(clip, index, DecodedFrameToRgb(decoded), path, "");
  }
  if (clip.seen == 0) throw InputError(path, "has no frames");
  return clip;
}

bool Takes(const ClipSampling& sampling, int index) {
  if (index < sampling.start || (index - sampling.start) % sampling.stride != 0) return false;
  return sampling.frames == 0 || (index - sampling.start) / sampling.stride < sampling.frames;
}

void CheckClipLength(long long frames, const ClipSampling& sampling, const std::string& path) {
  if (frames >= sampling.RequiredFrames()) return;
  if (frames == 0) throw InputError(path, "has no frames");
  std::string request;
  if (sampling.frames > 0) {
    request = "--frames " + std::to_string(sampling.frames);
    if (sampling.stride != 1) request += " with --frame-stride " + std::to_string(sampling.stride);
  }
  if (sampling.start != 0)
    request += (request.empty() ? "--start-frame " : " from --start-frame ") +
               std::to_string(sampling.start);
  throw InputError(path, "has " + FramesText(frames) + "; " + request + " needs " +
                             std::to_string(sampling.RequiredFrames()));
}

// FFmpeg's encoders here take yuv420p and crop odd sizes: such frames are padded to even ones.
cv::Size EncodedSize(const cv::Size& size, const VideoCodec& codec) {
  if (codec.api != cv::CAP_FFMPEG) return size;
  return {size.width + size.width % 2, size.height + size.height % 2};
}

// Writes `frames` (padded to `size`) to `file` with `codec`; false if the writer does not open.
bool WriteWithCodec(const std::string& file, const std::vector<cv::Mat>& frames, double fps,
                    const VideoCodec& codec, const cv::Size& size) {
  BOREX_CHECK_EQ(codec.fourcc.size(), 4u);
  const std::string& c = codec.fourcc;
  QuietFfmpegLog();
  cv::VideoWriter writer;
  try {
    if (!writer.open(file, codec.api, cv::VideoWriter::fourcc(c[0], c[1], c[2], c[3]), fps, size))
      return false;
    cv::Mat padded;
    for (const cv::Mat& frame : frames) {
      cv::copyMakeBorder(frame, padded, 0, size.height - frame.rows, 0, size.width - frame.cols,
                         cv::BORDER_REPLICATE);
      writer.write(padded);
    }
    writer.release();
  } catch (const cv::Exception&) {
    return false;
  }
  return true;
}

// Whether `file` decodes to exactly `count` frames of `size`.
bool ReadsBack(const std::string& file, const VideoCodec& codec, size_t count,
               const cv::Size& size) {
  cv::VideoCapture capture;
  if (!OpenVideo(capture, file, codec.api)) return false;
  size_t frames = 0;
  for (cv::Mat frame; capture.read(frame); ++frames)
    if (frame.size() != size) return false;
  return frames == count;
}

}  // namespace

std::vector<cv::Mat> ReadVideoFrames(const std::string& path) {
  return DecodeClip(
             path, [](int) { return true; }, INT_MAX)
      .frames;
}

void ClipSampling::Check() const {
  if (frames < 0)
    throw OptionError("--frames", "must be >= 0 (0 = every frame), got " + std::to_string(frames));
  if (stride < 1)
    throw OptionError("--frame-stride", "must be >= 1, got " + std::to_string(stride));
  if (start < 0) throw OptionError("--start-frame", "must be >= 0, got " + std::to_string(start));
}

long long ClipSampling::RequiredFrames() const {
  return frames > 0 ? start + static_cast<long long>(frames - 1) * stride + 1 : start + 1LL;
}

std::vector<cv::Mat> SampleFrames(const std::vector<cv::Mat>& all, const ClipSampling& sampling,
                                  const std::string& path) {
  sampling.Check();
  CheckClipLength(static_cast<long long>(all.size()), sampling, path);
  std::vector<cv::Mat> taken;
  for (size_t index = 0; index < all.size(); ++index)
    if (Takes(sampling, static_cast<int>(index))) taken.push_back(all[index]);
  return taken;
}

std::vector<cv::Mat> ReadVideoClip(const std::string& path, const ClipSampling& sampling) {
  sampling.Check();
  const long long required = sampling.RequiredFrames();
  const int stop =
      sampling.frames == 0 || required > INT_MAX ? INT_MAX : static_cast<int>(required);
  DecodedClip clip = DecodeClip(
      path, [&](int index) { return Takes(sampling, index); }, stop);
  CheckClipLength(clip.seen, sampling, path);
  return std::move(clip.frames);
}

cv::Mat StackFrames(const std::vector<cv::Mat>& frames) {
  BOREX_CHECK(!frames.empty());
  for (const cv::Mat& frame : frames) {
    BOREX_CHECK(frame.size() == frames.front().size());
    BOREX_CHECK_EQ(frame.type(), frames.front().type());
  }
  cv::Mat stacked;
  cv::vconcat(frames, stacked);
  return stacked;
}

std::vector<cv::Mat> UnstackFrames(const cv::Mat& stacked, int frames) {
  BOREX_CHECK_GT(frames, 0);
  BOREX_CHECK(!stacked.empty());
  BOREX_CHECK_EQ(stacked.rows % frames, 0);
  const int height = stacked.rows / frames;
  std::vector<cv::Mat> bands;
  bands.reserve(frames);
  for (int t = 0; t < frames; ++t) bands.push_back(stacked.rowRange(t * height, (t + 1) * height));
  return bands;
}

std::vector<cv::Mat> RenderHeatmapFrames(const cv::Mat& stacked_map, int frames,
                                         const cv::Mat& stacked_rgb, const RenderOptions& options,
                                         const std::optional<ValueRange>& range) {
  const ValueRange clip_range = range ? *range : ColourRange(stacked_map, options);
  const std::vector<cv::Mat> maps = UnstackFrames(stacked_map, frames);
  const std::vector<cv::Mat> images =
      stacked_rgb.empty() ? std::vector<cv::Mat>() : UnstackFrames(stacked_rgb, frames);
  std::vector<cv::Mat> rendered;
  rendered.reserve(frames);
  for (int t = 0; t < frames; ++t)
    rendered.push_back(images.empty() ? RenderHeatmap(maps[t], options, clip_range)
                                      : RenderOverlay(images[t], maps[t], options, clip_range));
  return rendered;
}

std::vector<VideoCodec> VideoCodecsFor(const std::string& path) {
  const std::string extension = Lowercase(fs::path(path).extension().string());
  const std::vector<VideoCodec> mjpeg = {{"MJPG", ".avi", cv::CAP_OPENCV_MJPEG},
                                         {"MJPG", ".avi", cv::CAP_FFMPEG}};
  std::vector<VideoCodec> codecs;
  if (extension == ".mp4")
    codecs = {{"avc1", ".mp4", cv::CAP_FFMPEG},
              {"H264", ".mp4", cv::CAP_FFMPEG},
              {"mp4v", ".mp4", cv::CAP_FFMPEG}};
  else if (extension != ".avi")
    throw OutputError(path, "unknown video file extension \"" +
                                fs::path(path).extension().string() + "\" (use .mp4 or .avi)");
  codecs.insert(codecs.end(), mjpeg.begin(), mjpeg.end());
  return codecs;
}

VideoWriteResult WriteVideo(AtomicOutputSet& outputs, const std::string& path,
                            const std::vector<cv::Mat>& bgr8_frames, double fps,
                            const std::vector<VideoCodec>& codecs) {
  BOREX_CHECK(!bgr8_frames.empty());
  BOREX_CHECK(fps >= kMinFramesPerSecond && fps <= kMaxFramesPerSecond);
  const cv::Size frame_size = bgr8_frames.front().size();
  for (const cv::Mat& frame : bgr8_frames) {
    BOREX_CHECK_EQ(frame.type(), CV_8UC3);
    BOREX_CHECK(frame.size() == frame_size);
  }
  const std::vector<VideoCodec> candidates = codecs.empty() ? VideoCodecsFor(path) : codecs;
  CheckWritable(path);
  const std::string requested = fs::path(path).extension().string();
  std::string tried;
  for (const VideoCodec& codec : candidates) {
    const bool own_container = Lowercase(codec.extension) == Lowercase(requested);
    const std::string final_path =
        own_container ? path : fs::path(path).replace_extension(codec.extension).string();
    const cv::Size size = EncodedSize(frame_size, codec);
    AtomicOutputSet trial;  // removes the trial file unless it is moved into `outputs`
    const std::string trial_path = trial.Stage(final_path);
    if (!WriteWithCodec(trial_path, bgr8_frames, fps, codec, size) ||
        !ReadsBack(trial_path, codec, bgr8_frames.size(), size)) {
      tried += (tried.empty() ? "" : ", ") + codec.fourcc + " " + codec.extension;
      continue;
    }
    const std::string staged = outputs.Stage(final_path);
    if (std::rename(trial_path.c_str(), staged.c_str()) != 0)
      throw OutputError(final_path, "cannot rename " + trial_path + " onto " + staged + " (" +
                                        std::strerror(errno) + ")");
    VideoWriteResult result{final_path, codec.fourcc, !own_container, ""};
    if (result.fallback)
      result.note = path + ": cannot write " + requested + " here (tried " + tried + "); wrote " +
                    final_path + " (" + codec.fourcc + ") instead";
    if (size != frame_size)
      result.note += (result.note.empty() ? final_path + ": " : "; ") + "padded the " +
                     SizeText(frame_size) + " frames to " + SizeText(size) +
                     " (the encoder needs even sizes)";
    return result;
  }
  throw OutputError(path, "no video writer works here (tried " + tried + ")");
}

VideoWriteResult WriteVideo(const std::string& path, const std::vector<cv::Mat>& bgr8_frames,
                            double fps) {
  AtomicOutputSet outputs;
  VideoWriteResult result = WriteVideo(outputs, path, bgr8_frames, fps);
  outputs.Commit();
  return result;
}

}  // namespace borex::io
