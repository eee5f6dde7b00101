// The whole file is written by xtensor (xt::dump_npy) but read here: xtensor 0.24's load_npy
// (1) decodes the header length through a signed char, so a header whose length has a low byte
// >= 0x80 (e.g. 182 or 246 bytes, which numpy writes for long shapes or descr strings) is read
// with a length near 65535; (2) never checks that the data was fully read, so a truncated file
// yields uninitialised memory; and (3) allocates whatever size the header claims before reading,
// so a corrupt shape can exhaust memory. Here the claimed size is checked against the file's size
// first. Its header parser (xt::detail::parse_header) is not used either: it calls back() on
// empty strings for headers such as "\n" or "{'shape':}" (undefined behaviour, found by
// tests/fuzz/npy_fuzz) and reads a shape "(-1, 2x)" as (2^64 - 1, 2).
#include "borex/io/npy.h"

#include <xtensor/xadapt.hpp>
#include <xtensor/xnpy.hpp>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "borex/core/error.h"
#include "borex/io/atomic_file.h"
#include "borex/io/input_file.h"

namespace borex::io {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLength = 6;

struct NpyArray {
  std::vector<size_t> shape;
  bool fortran_order = false;
  std::vector<float> values;  // in file order (C or Fortran)
};

std::string ShapeText(const std::vector<size_t>& shape) {
  std::ostringstream text;
  text << "(";
  for (size_t i = 0; i < shape.size(); ++i) text << (i ? ", " : "") << shape[i];
  text << (shape.size() == 1 ? ",)" : ")");
  return text.str();
}

// numpy's name for a descr such as "<i8" -> "int64", "|b1" -> "bool".
std::string DtypeName(const std::string& descr) {
  const char kind = descr.size() > 1 ? descr[1] : '?';
  // At most two digits: 8 * atoi("99999999999") overflows (found by tests/fuzz/prior_map_fuzz).
  const int bytes = descr.size() > 2 && descr.size() <= 4 ? std::atoi(descr.c_str() + 2) : 0;
  if (bytes <= 0) return "'" + descr + "'";
  switch (kind) {
    case 'f':
      return "float" + std::to_string(8 * bytes);
    case 'i':
      return "int" + std::to_string(8 * bytes);
    case 'u':
      return "uint" + std::to_string(8 * bytes);
    case 'c':
      return "complex" + std::to_string(8 * bytes);
    case 'b':
      return "bool";
    default:
      return "'" + descr + "'";
  }
}

bool HostIsLittleEndian() {
  const uint16_t probe = 1;
  unsigned char first;
  std::memcpy(&first, &probe, 1);
  return first == 1;
}

std::string ReadWholeFile(const std::string& path) {
  CheckInputFile(path, "an NPY file");
  std::ifstream stream(path, std::ios::binary);
  if (!stream) throw InputError(path, "cannot open for reading");
  std::string bytes((std::istreambuf_iterator<char>(stream)), std::istreambuf_iterator<char>());
  if (stream.bad()) throw InputError(path, "read error");
  return bytes;
}

// The header dictionary as numpy writes it, "{'descr': '<f4', 'fortran_order': False,
// 'shape': (224, 224), }" padded with spaces and ended by '\n': a Python dict literal of these
// three keys (in any order) with a string, a bool and a tuple of integers. Throws
// std::runtime_error naming the first thing it does not accept.
class HeaderParser {
 public:
  explicit HeaderParser(const std::string& text) : text_(text) {}

  void Parse(std::string* descr, bool* fortran_order, std::vector<size_t>* shape) {
    bool seen[3] = {false, false, false};
    Expect('{');
    while (!Accept('}')) {
      const std::string key = String();
      Expect(':');
      if (key == "descr") {
        *descr = String();
        seen[0] = true;
      } else if (key == "fortran_order") {
        *fortran_order = Bool();
        seen[1] = true;
      } else if (key == "shape") {
        *shape = Shape();
        seen[2] = true;
      } else {
        throw std::runtime_error("unexpected key '" + key + "'");
      }
      if (!Accept(',')) {
        Expect('}');
        break;
      }
    }
    SkipSpace();
    if (position_ != text_.size()) throw std::runtime_error("text after the dictionary");
    if (!seen[0] || !seen[1] || !seen[2])
      throw std::runtime_error("missing '" +
                               std::string(!seen[0]   ? "descr"
                                           : !seen[1] ? "fortran_order"
                                                      : "shape") +
                               "' key");
  }

 private:
  void SkipSpace() {
    while (position_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[position_])))
      ++position_;
  }
  bool Accept(char c) {
    SkipSpace();
    if (position_ >= text_.size() || text_[position_] != c) return false;
    ++position_;
    return true;
  }
  void Expect(char c) {
    if (!Accept(c)) throw std::runtime_error(std::string("expected '") + c + "'");
  }
  std::string String() {
    SkipSpace();
    const char quote = position_ < text_.size() ? text_[position_] : '\0';
    if (quote != '\'' && quote != '"') throw std::runtime_error("expected a quoted string");
    const size_t end = text_.find(quote, position_ + 1);
    if (end == std::string::npos) throw std::runtime_error("unterminated string");
    std::string value = text_.substr(position_ + 1, end - position_ - 1);
    position_ = end + 1;
    return value;
  }
  bool Bool() {
    SkipSpace();
    for (const bool value : {true, false}) {
      const std::string word = value ? "True" : "False";
      if (text_.compare(position_, word.size(), word) == 0) {
        position_ += word.size();
        return value;
      }
    }
    throw std::runtime_error("expected True or False");
  }
  std::vector<size_t> Shape() {
    std::vector<size_t> shape;
    Expect('(');
    while (!Accept(')')) {
      SkipSpace();
      size_t dim = 0, digits = 0;
      for (; position_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[position_]));
           ++position_, ++digits) {
        const size_t digit = static_cast<size_t>(text_[position_] - '0');
        if (dim > (std::numeric_limits<size_t>::max() - digit) / 10)
          throw std::runtime_error("shape dimension out of range");
        dim = 10 * dim + digit;
      }
      if (digits == 0) throw std::runtime_error("expected a non-negative integer in the shape");
      shape.push_back(dim);
      if (!Accept(',')) {
        Expect(')');
        break;
      }
    }
    return shape;
  }

  const std::string& text_;
  size_t position_ = 0;
};

template <typename T>
void ConvertValues(const char* data, size_t count, bool swap_bytes, std::vector<float>& out) {
  out.resize(count);
  for (size_t i = 0; i < count; ++i) {
    unsigned char raw[sizeof(T)];
    std::memcpy(raw, data + i * sizeof(T), sizeof(T));
    if (swap_bytes) std::reverse(raw, raw + sizeof(T));
    T value;
    std::memcpy(&value, raw, sizeof(T));
    out[i] = static_cast<float>(value);
  }
}

NpyArray ReadNpyArray(const std::string& path) {
  const std::string bytes = ReadWholeFile(path);
  if (bytes.size() < kMagicLength + 2 || bytes.compare(0, kMagicLength, kMagic) != 0)
    throw InputError(path, "not an NPY file (bad magic bytes)");
  const auto byte_at = [&](size_t i) { return static_cast<unsigned char>(bytes[i]); };
  const int major_version = byte_at(kMagicLength);
  // Version 1.0 has a 2-byte header length; 2.0 and 3.0 (UTF-8 header) a 4-byte one.
  size_t length_bytes;
  if (major_version == 1) {
    length_bytes = 2;
  } else if (major_version == 2 || major_version == 3) {
    length_bytes = 4;
  } else {
    throw InputError(path, "unsupported NPY format version " + std::to_string(major_version));
  }
  const size_t header_start = kMagicLength + 2 + length_bytes;
  if (bytes.size() < header_start) throw InputError(path, "truncated NPY header");
  size_t header_length = 0;
  for (size_t i = 0; i < length_bytes; ++i)
    header_length |= static_cast<size_t>(byte_at(kMagicLength + 2 + i)) << (8 * i);
  if (bytes.size() < header_start + header_length) throw InputError(path, "truncated NPY header");
  const std::string header = bytes.substr(header_start, header_length);

  NpyArray array;
  std::string descr;
  try {
    HeaderParser(header).Parse(&descr, &array.fortran_order, &array.shape);
  } catch (const std::runtime_error& e) {
    std::string dictionary = header.substr(0, header.find('\n'));
    dictionary.erase(dictionary.find_last_not_of(' ') + 1);
    throw InputError(path, std::string("bad NPY header (") + e.what() + "): " + dictionary);
  }

  const std::string dtype = DtypeName(descr);
  if (descr.size() != 3 || descr[1] != 'f' || (descr[2] != '4' && descr[2] != '8'))
    throw InputError(path, "dtype " + dtype + " not supported: use float32 or float64");
  const size_t word_size = descr[2] == '4' ? 4 : 8;

  size_t count = 1;
  for (const size_t dim : array.shape) {
    if (dim != 0 && count > std::numeric_limits<size_t>::max() / word_size / dim)
      throw InputError(path, "impossible shape " + ShapeText(array.shape));
    count *= dim;
  }
  const size_t data_bytes = count * word_size;
  const size_t available = bytes.size() - header_start - header_length;
  if (available < data_bytes)
    throw InputError(path, "truncated: shape " + ShapeText(array.shape) + " " + dtype + " needs " +
                               std::to_string(data_bytes) + " bytes of data, file has " +
                               std::to_string(available));

  const bool file_little_endian = descr[0] != '>';
  const bool swap_bytes = file_little_endian != HostIsLittleEndian();
  const char* data = bytes.data() + header_start + header_length;
  if (word_size == 4)
    ConvertValues<float>(data, count, swap_bytes, array.values);
  else
    ConvertValues<double>(data, count, swap_bytes, array.values);
  return array;
}

// Drops length-1 axes (leading ones first) until `wanted` axes remain; the data order is
// unchanged by dropping a length-1 axis, in C and in Fortran order alike.
std::vector<size_t> SqueezeTo(std::vector<size_t> shape, size_t wanted) {
  for (size_t i = 0; i < shape.size() && shape.size() > wanted;) {
    if (shape[i] == 1)
      shape.erase(shape.begin() + static_cast<std::ptrdiff_t>(i));
    else
      ++i;
  }
  return shape;
}

int CheckedDim(const std::string& path, const std::vector<size_t>& shape, size_t dim) {
  if (dim == 0) throw InputError(path, "empty array of shape " + ShapeText(shape));
  if (dim > static_cast<size_t>(std::numeric_limits<int>::max()))
    throw InputError(path, "array too large: shape " + ShapeText(shape));
  return static_cast<int>(dim);
}

cv::Mat ContinuousFloatMap(const cv::Mat& map, const char* what) {
  BOREX_CHECK(!map.empty());
  if (map.channels() != 1)
    throw Error(std::string(what) + ": expected a single-channel map, got " +
                std::to_string(map.channels()) + " channels");
  cv::Mat floats;
  if (map.depth() == CV_32F)
    floats = map.isContinuous() ? map : map.clone();
  else
    map.convertTo(floats, CV_32F);
  return floats;
}

}  // namespace

cv::Mat ReadNpyMap(const std::string& path) {
  NpyArray array = ReadNpyArray(path);
  const std::vector<size_t> shape = SqueezeTo(array.shape, 2);
  if (shape.size() != 2)
    throw InputError(path, "expected a 2-D array (H, W), got shape " + ShapeText(array.shape));
  const int rows = CheckedDim(path, array.shape, shape[0]);
  const int cols = CheckedDim(path, array.shape, shape[1]);
  if (!array.fortran_order) return cv::Mat(rows, cols, CV_32FC1, array.values.data()).clone();
  // Fortran order of (H, W) is C order of (W, H).
  cv::Mat map;
  cv::transpose(cv::Mat(cols, rows, CV_32FC1, array.values.data()), map);
  return map;
}

void WriteNpy(const std::string& path, const cv::Mat& map) {
  cv::Mat floats = ContinuousFloatMap(map, "WriteNpy");
  const std::vector<size_t> shape{static_cast<size_t>(floats.rows),
                                  static_cast<size_t>(floats.cols)};
  auto view = xt::adapt(floats.ptr<float>(), floats.total(), xt::no_ownership(), shape);
  WriteBytesAtomically(path, xt::dump_npy(view));
}

std::vector<cv::Mat> ReadNpyMap3D(const std::string& path) {
  NpyArray array = ReadNpyArray(path);
  std::vector<size_t> shape = SqueezeTo(array.shape, 3);
  if (shape.size() == 2) shape.insert(shape.begin(), 1);
  if (shape.size() != 3)
    throw InputError(path, "expected a 3-D array (T, H, W), got shape " + ShapeText(array.shape));
  if (array.fortran_order && shape[0] > 1)
    throw InputError(path,
                     "Fortran-order volumes not supported: save np.ascontiguousarray(volume)");
  const int frames = CheckedDim(path, array.shape, shape[0]);
  const int rows = CheckedDim(path, array.shape, shape[1]);
  const int cols = CheckedDim(path, array.shape, shape[2]);
  std::vector<cv::Mat> volume;
  for (int t = 0; t < frames; ++t) {
    float* frame_data = array.values.data() + static_cast<size_t>(t) * rows * cols;
    if (array.fortran_order) {
      cv::Mat frame;
      cv::transpose(cv::Mat(cols, rows, CV_32FC1, frame_data), frame);
      volume.push_back(frame);
    } else {
      volume.push_back(cv::Mat(rows, cols, CV_32FC1, frame_data).clone());
    }
  }
  return volume;
}

void WriteNpy3D(const std::string& path, const std::vector<cv::Mat>& frames) {
  BOREX_CHECK(!frames.empty());
  const cv::Size size = frames.front().size();
  std::vector<float> values;
  values.reserve(frames.size() * frames.front().total());
  for (const cv::Mat& frame : frames) {
    BOREX_CHECK(frame.size() == size);
    const cv::Mat floats = ContinuousFloatMap(frame, "WriteNpy3D");
    values.insert(values.end(), floats.ptr<float>(), floats.ptr<float>() + floats.total());
  }
  const std::vector<size_t> shape{frames.size(), static_cast<size_t>(size.height),
                                  static_cast<size_t>(size.width)};
  auto view = xt::adapt(values.data(), values.size(), xt::no_ownership(), shape);
  WriteBytesAtomically(path, xt::dump_npy(view));
}

}  // namespace borex::io
