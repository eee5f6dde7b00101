#include "arrays.h"

#include <cmath>
#include <cstdio>
#include <cstring>

#include "borex/core/error.h"

namespace py = pybind11;

namespace borex::python {
namespace {

// `object` as a numpy array (lists and anything with __array__ convert); OptionError otherwise.
py::array AsArray(const py::handle& object, const std::string& name) {
  py::array array = py::array::ensure(object);
  if (!array) PyErr_Clear();          // ensure() leaves numpy's conversion error set
  if (!array || array.ndim() == 0) {  // e.g. a path: numpy makes a 0-d array of it
    throw OptionError(name, "expected a numpy array, got " +
                                std::string(py::str(py::type::of(object).attr("__name__"))));
  }
  return array;
}

template <typename T>
bool HasType(const py::array& array) {
  return py::isinstance<py::array_t<T>>(array);
}

std::string DtypeName(const py::array& array) { return py::str(array.dtype()); }

std::string Number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

// The C-contiguous data of `array`, whose dtype is T (a copy only when it is strided).
template <typename T>
py::array_t<T, py::array::c_style> Contiguous(const py::array& array) {
  return py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(array);
}

// OptionError naming `name` when any value of `values` is NaN or infinite.
void CheckFinite(const cv::Mat& values, const std::string& name) {
  const cv::Mat flat = values.reshape(1, 1);
  long bad = 0;
  for (int i = 0; i < flat.cols; ++i) bad += std::isfinite(flat.at<float>(i)) ? 0 : 1;
  if (bad > 0)
    throw OptionError(name, std::to_string(bad) + " of " + std::to_string(flat.cols) +
                                " values are NaN or infinite");
}

}  // namespace

std::string ShapeText(const py::array& array) {
  std::string text = "(";
  for (py::ssize_t axis = 0; axis < array.ndim(); ++axis)
    text += (axis > 0 ? ", " : "") + std::to_string(array.shape(axis));
  return text + (array.ndim() == 1 ? ",)" : ")");
}

cv::Mat ImageFromArray(const py::handle& object, const std::string& name) {
  const py::array array = AsArray(object, name);
  if (array.ndim() != 3 || array.shape(2) != 3)
    throw OptionError(name, "shape " + ShapeText(array) + ", expected (H, W, 3): an RGB image");
  if (array.shape(0) == 0 || array.shape(1) == 0) throw OptionError(name, "has no pixels");
  const int rows = static_cast<int>(array.shape(0)), cols = static_cast<int>(array.shape(1));
  cv::Mat image;
  if (HasType<uint8_t>(array)) {
    const auto data = Contiguous<uint8_t>(array);
    // As io::ReadImageRgb scales an 8-bit file.
    cv::Mat(rows, cols, CV_8UC3, const_cast<uint8_t*>(data.data()))
        .convertTo(image, CV_32F, 1.0 / 255);
    return image;
  }
  if (!HasType<float>(array))
    throw OptionError(name, "dtype " + DtypeName(array) + ", expected float32 in [0, 1] or uint8");
  const auto data = Contiguous<float>(array);
  image = cv::Mat(rows, cols, CV_32FC3, const_cast<float*>(data.data())).clone();
  CheckFinite(image, name);
  double low = 0, high = 0;
  cv::minMaxLoc(image.reshape(1), &low, &high);
  if (low < 0 || high > 1)
    throw OptionError(name, "float32 values span [" + Number(low) + ", " + Number(high) +
                                "], expected [0, 1] (or give uint8)");
  return image;
}

cv::Mat MapFromArray(const py::handle& object, const std::string& name,
                     const cv::Size& image_size) {
  const py::array array = AsArray(object, name);
  const std::string expected =
      "(" + std::to_string(image_size.height) + ", " + std::to_string(image_size.width) + ")";
  if (array.ndim() != 2)
    throw OptionError(
        name, "shape " + ShapeText(array) + ", expected (H, W) = " + expected + ", the image's");
  if (array.shape(0) != image_size.height || array.shape(1) != image_size.width)
    throw OptionError(name,
                      "shape " + ShapeText(array) + " but the image is " + expected + " (H, W)");
  cv::Mat map;
  if (HasType<float>(array)) {
    const auto data = Contiguous<float>(array);
    map = cv::Mat(image_size, CV_32FC1, const_cast<float*>(data.data())).clone();
  } else if (HasType<double>(array)) {
    const auto data = Contiguous<double>(array);
    cv::Mat(image_size, CV_64FC1, const_cast<double*>(data.data())).convertTo(map, CV_32F);
  } else {
    throw OptionError(name, "dtype " + DtypeName(array) + ", expected float32 or float64");
  }
  CheckFinite(map, name);
  return map;
}

py::array_t<float> ArrayFromMap(const cv::Mat& map) {
  BOREX_CHECK_EQ(map.type(), CV_32FC1);
  py::array_t<float> array({map.rows, map.cols});
  for (int row = 0; row < map.rows; ++row)
    std::memcpy(array.mutable_data(row, 0), map.ptr<float>(row), sizeof(float) * map.cols);
  return array;
}

py::array_t<float> BatchArray(const std::vector<cv::Mat>& images) {
  BOREX_CHECK(!images.empty());
  const int rows = images.front().rows, cols = images.front().cols;
  py::array_t<float> batch({static_cast<int>(images.size()), rows, cols, 3});
  for (size_t n = 0; n < images.size(); ++n) {
    const cv::Mat& image = images[n];
    BOREX_CHECK(image.type() == CV_32FC3 && image.rows == rows && image.cols == cols);
    for (int row = 0; row < rows; ++row)
      std::memcpy(batch.mutable_data(static_cast<py::ssize_t>(n), row, 0, 0), image.ptr<float>(row),
                  sizeof(float) * 3 * cols);
  }
  return batch;
}

}  // namespace borex::python
