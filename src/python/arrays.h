// numpy arrays in and out of the Python module. Every check of an array given by the caller
// throws OptionError naming the argument ("image: ..."), which the module raises as ValueError.
#pragma once

#include <pybind11/numpy.h>

#include <opencv2/core.hpp>
#include <string>
#include <vector>

namespace borex::python {

// "(4, 5)", as numpy prints a shape.
std::string ShapeText(const pybind11::array& array);

// An H x W x 3 RGB image, uint8 or float32 in [0, 1], as CV_32FC3 in [0, 1]: uint8 scaled by
// 1/255 exactly as io::ReadImageRgb scales a PNG, so that an array and its file give the same
// maps bit for bit.
cv::Mat ImageFromArray(const pybind11::handle& array, const std::string& name);

// An H x W map (float32 or float64, every value finite) of an image of `image_size`, as
// CV_32FC1.
cv::Mat MapFromArray(const pybind11::handle& array, const std::string& name,
                     const cv::Size& image_size);

// A CV_32FC1 map as a float32 H x W array (a copy).
pybind11::array_t<float> ArrayFromMap(const cv::Mat& map);

// CV_32FC3 images of one size as one float32 [N, H, W, 3] array (a copy).
pybind11::array_t<float> BatchArray(const std::vector<cv::Mat>& images);

}  // namespace borex::python
