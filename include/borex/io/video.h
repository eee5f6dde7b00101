// Video clips: reading them (any container OpenCV's FFmpeg backend decodes, or a folder of
// numbered frame images), sampling the T frames a video model takes, the "stacked" layout borex
// computes on, and writing heat-map videos.
//
// The stacked layout: a clip of T frames of H x W is ONE CV_32FC3 RGB image in [0, 1] of
// (T*H) rows x W cols, frame t in rows [t*H, (t+1)*H). Its saliency map is a CV_32FC1 (T*H) x W
// Mat, whose memory is exactly a row-major (T, H, W) float array (WriteNpy3D(UnstackFrames(map,
// T)) saves it with numpy's shape (T, H, W)).
//
//   const cv::Mat clip = StackFrames(ReadVideoClip("clip.mp4", sampling));  // (T*H) x W
//   ... explain: a (T*H) x W map ...
//   AtomicOutputSet outputs;
//   const VideoWriteResult video =
//       WriteVideo(outputs, "out/clip.mp4", RenderHeatmapFrames(map, T, clip, 0.5), 8);
//   if (!video.note.empty()) std::cerr << video.note << "\n";
//   outputs.Commit();  // with the other outputs staged in `outputs`
//
// Writing, as measured on Debian 12 (OpenCV 4.6.0, FFmpeg 5.1 with libx264; video_test.cc checks
// what the tests rely on):
//   .mp4 'avc1'  H.264 (libx264 through FFmpeg): works; the first choice (plays in browsers).
//   .mp4 'H264'  FFmpeg rejects this tag for MP4 and substitutes 'avc1' (the same encoder).
//   .mp4 'mp4v'  MPEG-4 Part 2 through FFmpeg: works; the choice where libx264 is missing.
//   .avi 'MJPG'  Motion-JPEG through OpenCV's built-in writer (cv::CAP_OPENCV_MJPEG): works
//                everywhere (no FFmpeg needed) and keeps odd sizes; the fallback for .mp4.
//   FFmpeg's encoders here take yuv420p frames: odd widths or heights are silently cropped by
//   one pixel, so WriteVideo pads such frames (replicating the last row/column) for them.
// Reading: FFmpeg decodes all of the above (and a single still image, as a 1-frame clip).
#pragma once

#include <opencv2/core.hpp>
#include <optional>
#include <string>
#include <vector>

#include "borex/io/atomic_file.h"
#include "borex/io/heatmap.h"

namespace borex::io {

// Every frame of `path` as CV_32FC3 RGB in [0, 1]. `path` is a video file (read through
// cv::CAP_FFMPEG, falling back to cv::CAP_ANY) or a directory of frame images (.png, .jpg, .bmp,
// .tif, .webp, ...; hidden files and other files ignored), read with ReadImageRgb in the natural
// order of their names (2.png before 10.png). Throws InputError naming `path`: "does not exist",
// "cannot be opened as a video", "has no frames", "directory has no frame images (...)", "frame 7
// is 64x48 but frame 0 is 112x112".
std::vector<cv::Mat> ReadVideoFrames(const std::string& path);

// Which frames of a clip a video model sees: frames start, start + stride, ..., `frames` of them.
struct ClipSampling {
  int frames = 0;  // --frames: T, the number of frames taken; 0 = every frame from `start` on
  int stride = 1;  // --frame-stride: step between two taken frames, >= 1
  int start = 0;   // --start-frame: the first frame taken (0-based)

  // Throws OptionError naming --frames, --frame-stride or --start-frame.
  void Check() const;
  // Frames the clip must have: start + (frames - 1) * stride + 1 (start + 1 when frames = 0).
  long long RequiredFrames() const;
};

// The frames of `all` that `sampling` takes (shallow copies). Throws InputError naming `path`
// when the clip is too short: "clip.mp4: has 10 frames; --frames 16 with --frame-stride 2 needs
// 31".
std::vector<cv::Mat> SampleFrames(const std::vector<cv::Mat>& all, const ClipSampling& sampling,
                                  const std::string& path);

// SampleFrames(ReadVideoFrames(path), sampling, path) without holding the frames it does not
// take: only taken frames are converted (and, for a directory, read), and decoding stops after
// the last one. Sizes are checked over the taken frames.
std::vector<cv::Mat> ReadVideoClip(const std::string& path, const ClipSampling& sampling);

// The frames (all of one size and type) one above the other: (T*H) x W.
cv::Mat StackFrames(const std::vector<cv::Mat>& frames);

// The `frames` row bands of `stacked`, as views sharing its data (clone one to change it alone).
// stacked.rows must be a multiple of `frames`.
std::vector<cv::Mat> UnstackFrames(const cv::Mat& stacked, int frames);

// Per-frame CV_8UC3 BGR renderings of a stacked saliency map: RenderHeatmap of each frame or,
// when `stacked_rgb` (the stacked clip, CV_32FC3) is not empty, RenderOverlay onto its frames
// (the map is resized to the clip's frame size when they differ). All frames share ONE colour
// range, by default ColourRange over the whole clip, so frames compare by colour.
std::vector<cv::Mat> RenderHeatmapFrames(const cv::Mat& stacked_map, int frames,
                                         const cv::Mat& stacked_rgb,
                                         const RenderOptions& options = {},
                                         const std::optional<ValueRange>& range = std::nullopt);

// One way of writing a video: a FourCC, the container extension it goes in and the
// cv::VideoWriter backend (cv::CAP_FFMPEG, cv::CAP_OPENCV_MJPEG).
struct VideoCodec {
  std::string fourcc;     // "avc1"
  std::string extension;  // ".mp4"
  int api = 0;            // a cv::VideoCaptureAPIs value
};

// What WriteVideo tries for `path`, in order. ".mp4": avc1, H264, mp4v (FFmpeg), then MJPG in an
// .avi next to it (the fallback). ".avi": MJPG (OpenCV's writer, then FFmpeg's). Any other
// extension: OutputError "unknown video file extension".
std::vector<VideoCodec> VideoCodecsFor(const std::string& path);

struct VideoWriteResult {
  std::string path;       // the final path written: `path`, or the .avi next to it on fallback
  std::string codec;      // the FourCC used: "avc1", "mp4v", "MJPG"
  bool fallback = false;  // true when `path`'s own container could not be written
  std::string note;       // one line for the user (fallback, padding), or "" when none
};

// The frame rates WriteVideo accepts: FFMPEG's mp4 writer refuses or rounds rates below about
// one frame in 500 s and refuses those above 2^31, and no player shows more than a few hundred.
inline constexpr double kMinFramesPerSecond = 0.01;
inline constexpr double kMaxFramesPerSecond = 1000;

// Writes CV_8UC3 BGR frames (all of one size) as a video at `fps` frames per second, staged in
// `outputs`: the caller commits it together with its other outputs. Each codec of `codecs`
// (VideoCodecsFor(path) when empty) is tried in a private temporary file, which is kept only if
// it reads back with every frame at the expected size; it is then staged under its final name.
// Throws OutputError naming `path` when the directory cannot be written or no codec works.
VideoWriteResult WriteVideo(AtomicOutputSet& outputs, const std::string& path,
                            const std::vector<cv::Mat>& bgr8_frames, double fps,
                            const std::vector<VideoCodec>& codecs = {});

// The same, committed at once.
VideoWriteResult WriteVideo(const std::string& path, const std::vector<cv::Mat>& bgr8_frames,
                            double fps);

}  // namespace borex::io
