// NumPy .npy files: the interchange format for saliency maps and priors (numpy.save/numpy.load).
#pragma once

#include <opencv2/core.hpp>
#include <string>
#include <vector>

namespace borex::io {

// Reads a 2-D map as CV_32FC1 (H x W). Accepts float32 and float64 in either byte order and in
// C or Fortran order (numpy.save writes Fortran order for transposed arrays). Axes of length 1
// beyond the two image axes are dropped, so (1, H, W), (H, W, 1) and (1, 1, H, W) read as
// (H, W). float64 values are rounded to float32 (values beyond float32's range become ±inf).
// Throws InputError naming the file: "file does not exist", "not an NPY file (bad magic
// bytes)", "dtype int64 not supported: use float32 or float64", "expected a 2-D array (H, W),
// got shape (3, 224, 224)", "truncated: ..." and so on.
cv::Mat ReadNpyMap(const std::string& path);

// Writes a single-channel map as float32, C order, shape (H, W), atomically. Maps of other
// depths are converted to float32.
void WriteNpy(const std::string& path, const cv::Mat& map);

// A (T, H, W) float32/float64 volume (e.g. a video saliency map) as T CV_32FC1 frames. Only
// C order (np.ascontiguousarray) is accepted for volumes; a 2-D array reads as one frame.
std::vector<cv::Mat> ReadNpyMap3D(const std::string& path);

// Writes T single-channel frames of one size as a float32 (T, H, W) volume, atomically.
void WriteNpy3D(const std::string& path, const std::vector<cv::Mat>& frames);

}  // namespace borex::io
