#include "borex/io/image.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string_view>
#include <utility>
#include <vector>

#include "borex/core/error.h"
#include "borex/io/atomic_file.h"
#include "borex/io/input_file.h"
#include "borex/io/npy.h"

namespace borex::io {
namespace {

// Counted directly: OpenCV's matrix expressions may simplify x - x to zero, hiding NaN.
void CheckFinite(const std::string& path, const cv::Mat& map) {
  int non_finite = 0;
  for (int r = 0; r < map.rows; ++r) {
    const float* row = map.ptr<float>(r);
    for (int c = 0; c < map.cols; ++c) non_finite += !std::isfinite(row[c]);
  }
  if (non_finite > 0)
    throw InputError(path, std::to_string(non_finite) + " of " + std::to_string(map.total()) +
                               " values are NaN or infinite");
}

std::string LowerExtension(const std::string& path) {
  std::string extension = std::filesystem::path(path).extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return extension;
}

bool IsSpace(char c) { return std::isspace(static_cast<uint8_t>(c)) != 0; }

// PAM's "WIDTH <n>" and "HEIGHT <n>" header lines up to ENDHDR, read as OpenCV's decoder reads
// them (a differing reading let a fuzzer's header past this check): a line's identifier ends at
// whitespace and compares as a C string, so up to a NUL byte ("HEIGHT\0\x08 32768" is HEIGHT);
// its value is the rest of the line after whitespace, which may cross a line break; a line
// starting with '#' is a comment. Any value's leading digits count, so an odd value can only
// make the size larger than OpenCV's, never smaller.
std::pair<long long, long long> DeclaredPamSize(const std::string& bytes) {
  long long width = -1, height = -1;
  size_t at = 2;
  const auto skip_space = [&] {
    while (at < bytes.size() && IsSpace(bytes[at])) ++at;
  };
  while (true) {
    skip_space();
    if (at >= bytes.size()) break;
    if (bytes[at] == '#') {
      at = bytes.find_first_of("\r\n", at);
      if (at == std::string::npos) break;
      continue;
    }
    size_t end = at;
    while (end < bytes.size() && !IsSpace(bytes[end])) ++end;
    const std::string identifier = bytes.substr(at, end - at).c_str();  // up to a NUL byte
    at = end;
    if (identifier == "ENDHDR") break;
    if (at < bytes.size() && bytes[at] != '\n' && bytes[at] != '\r') skip_space();
    long long number = 0;
    for (; at < bytes.size() && std::isdigit(static_cast<uint8_t>(bytes[at])); ++at)
      number = std::min(10 * number + (bytes[at] - '0'), kMaxImagePixels + 1);
    if (identifier == "WIDTH") width = number;
    if (identifier == "HEIGHT") height = number;
    at = bytes.find_first_of("\r\n", at);  // the rest of the value
    if (at == std::string::npos) break;
  }
  return {width, height};
}

// The width x height declared by the header of a PNG, JPEG, BMP, PNM/PAM or PFM file (`bytes` is
// its beginning, or all of it for JPEG, PNM and PAM), or -1 x -1 when the format is another or the
// header is cut short (OpenCV then reports the file as undecodable).
std::pair<long long, long long> DeclaredSize(const std::string& bytes) {
  const auto byte = [&](size_t i) {
    return static_cast<long long>(static_cast<uint8_t>(bytes[i]));
  };
  const auto big_endian = [&](size_t at, int count) {
    long long value = 0;
    for (int i = 0; i < count; ++i) value = value << 8 | byte(at + i);
    return value;
  };
  const auto little_endian = [&](size_t at, int count) {
    long long value = 0;
    for (int i = count - 1; i >= 0; --i) value = value << 8 | byte(at + i);
    return value;
  };
  const std::pair<long long, long long> unknown{-1, -1};
  if (bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0)
    return bytes.size() >= 24 ? std::pair{big_endian(16, 4), big_endian(20, 4)} : unknown;
  if (bytes.compare(0, 2, "BM") == 0 && bytes.size() >= 26) {
    const long long header = little_endian(14, 4);
    if (header == 12) return {little_endian(18, 2), little_endian(20, 2)};  // OS/2 bitmap
    const long long height = static_cast<int32_t>(little_endian(22, 4));    // < 0: top-down
    return {static_cast<int32_t>(little_endian(18, 4)), height < 0 ? -height : height};
  }
  if (bytes.size() >= 2 && bytes[0] == 'P' && std::strchr("123456Ff", bytes[1]) != nullptr) {
    // "P5 <width> <height> ...": numbers between whitespace and '#' comments (to the end of the
    // line); as OpenCV reads them, the byte that ends a number is skipped whatever it is.
    long long numbers[2] = {-1, -1};
    size_t at = 2;
    for (long long& number : numbers) {
      while (at < bytes.size() && !std::isdigit(static_cast<uint8_t>(bytes[at]))) {
        if (bytes[at] == '#')
          at = bytes.find_first_of("\r\n", at);
        else if (std::isspace(static_cast<uint8_t>(bytes[at])))
          ++at;
        else
          return unknown;
      }
      if (at >= bytes.size()) return unknown;
      number = 0;
      for (; at < bytes.size() && std::isdigit(static_cast<uint8_t>(bytes[at])); ++at)
        number = std::min(10 * number + (bytes[at] - '0'), kMaxImagePixels + 1);
      ++at;
    }
    return {numbers[0], numbers[1]};
  }
  if (bytes.compare(0, 2, "P7") == 0) return DeclaredPamSize(bytes);
  if (bytes.compare(0, 2, "\xff\xd8") == 0) {
    // Segments up to the first start of frame (SOF0..SOF15 but DHT C4, JPG C8, DAC CC).
    for (size_t at = 2; at + 9 <= bytes.size();) {
      if (byte(at) != 0xff) return unknown;
      const long long marker = byte(at + 1);
      if (marker == 0xff) {  // fill byte
        ++at;
        continue;
      }
      if (marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc)
        return {big_endian(at + 7, 2), big_endian(at + 5, 2)};
      at += 2 + big_endian(at + 2, 2);
    }
  }
  return unknown;
}

// Whether cv::imread would hand these leading bytes to OpenCV's DICOM decoder: its signature is
// "DICM" at byte 128, and it is tried after the BMP, HDR, JPEG, WebP, Sun raster, PNM, PAM, PFM,
// TIFF and PNG decoders. Debian's GDCM asserts, aborting the process, on malformed files (a
// fuzzer's 135-byte "P7T..." file). A file that starts with a fixed-prefix signature of a decoder
// tried earlier (PNG, JPEG, TIFF, BMP) is decoded as that format whatever byte 128 holds.
bool ReachesDicomDecoder(const std::string& bytes) {
  if (bytes.size() < 132 || bytes.compare(128, 4, "DICM") != 0) return false;
  using namespace std::string_view_literals;
  for (const std::string_view earlier :
       {"\x89PNG\r\n\x1a\n"sv, "\xff\xd8\xff"sv, "II*\0"sv, "MM\0*"sv, "BM"sv})
    if (std::string_view(bytes).substr(0, earlier.size()) == earlier) return false;
  return true;
}

// Where a PNG or JPEG file (all of `bytes`) is cut short, as a phrase ("ends inside its IDAT
// chunk"), or "" when it is complete, another format, or its structure is not one this walk
// follows (OpenCV then decides). libpng refuses a cut PNG only after printing its own line to
// stderr; libjpeg decodes a cut JPEG with grey in place of the missing rows, warning only there.
std::string Truncation(const std::string& bytes) {
  const auto big_endian = [&](size_t at, int count) {
    uint64_t value = 0;
    for (int i = 0; i < count; ++i) value = value << 8 | static_cast<uint8_t>(bytes[at + i]);
    return value;
  };
  if (bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0) {
    // Chunks: a 4-byte length, a 4-letter type, the data and a 4-byte CRC, up to IEND.
    for (size_t at = 8; at + 8 <= bytes.size();) {
      const std::string type = bytes.substr(at + 4, 4);
      const bool named = std::all_of(type.begin(), type.end(),
                                     [](char c) { return std::isalpha(static_cast<uint8_t>(c)); });
      if (big_endian(at, 4) + 12 > bytes.size() - at)
        return "ends inside its " + (named ? type + " chunk" : std::string("chunks"));
      if (type == "IEND") return "";
      at += 12 + big_endian(at, 4);
    }
    return "ends before its IEND chunk";
  }
  if (bytes.compare(0, 2, "\xff\xd8") == 0) {
    // Segments (a marker, a 2-byte length and data) up to the first start of scan, whose coded
    // data cannot hold the end-of-image marker FF D9 (a coded FF byte is followed by 00 or D0-D7).
    for (size_t at = 2; at < bytes.size();) {
      if (static_cast<uint8_t>(bytes[at]) != 0xff) return "";
      if (at + 4 > bytes.size()) return "ends inside its header";
      const uint8_t marker = static_cast<uint8_t>(bytes[at + 1]);
      if (marker == 0xff) {  // fill byte
        ++at;
        continue;
      }
      if (marker == 0xda)
        return bytes.find("\xff\xd9", at) == std::string::npos ? "has no end-of-image marker" : "";
      at += 2 + big_endian(at + 2, 2);
    }
    return "ends inside its header";
  }
  return "";
}

// IMREAD_UNCHANGED keeps 16-bit depth and alpha (the default flags would reduce both to 8-bit
// BGR) and, like PIL, ignores EXIF orientation.
cv::Mat DecodeImageFile(const std::string& path, const char* kind) {
  CheckInputFile(path, kind);
  CheckImageFile(path);
  cv::Mat decoded;
  try {
    decoded = cv::imread(path, cv::IMREAD_UNCHANGED);
  } catch (const cv::Exception& e) {  // e.g. a header beyond OpenCV's own size limits
    throw InputError(path, "cannot decode image: " + e.err);
  }
  if (decoded.empty())
    throw InputError(path, "cannot decode image (not a supported image format?)");
  return decoded;
}

// Divisor that maps the depth's full range onto [0, 1]; 0 for depths not supported.
double FullScale(int depth) {
  switch (depth) {
    case CV_8U:
      return 255.0;
    case CV_16U:
      return 65535.0;
    case CV_32F:
    case CV_64F:
      return 1.0;
    default:
      return 0.0;
  }
}

std::string DepthName(int depth) {
  static const char* const kNames[] = {"8U", "8S", "16U", "16S", "32S", "32F", "64F", "16F"};
  return depth >= 0 && depth < 8 ? kNames[depth] : "unknown";
}

}  // namespace

cv::Mat ReadImageRgb(const std::string& path) {
  const cv::Mat decoded = DecodeImageFile(path, "an image");
  const double full_scale = FullScale(decoded.depth());
  if (full_scale == 0)
    throw InputError(path, "unsupported pixel type " + DepthName(decoded.depth()) +
                               " (use 8-bit, 16-bit or float images)");
  // Scale first: cvtColor does not take every depth (64-bit float), float takes all.
  cv::Mat scaled;
  decoded.convertTo(scaled, CV_32F, 1.0 / full_scale);
  cv::Mat image;
  switch (scaled.channels()) {
    case 1:
      cv::cvtColor(scaled, image, cv::COLOR_GRAY2RGB);
      break;
    case 2: {  // gray + alpha
      cv::Mat gray;
      cv::extractChannel(scaled, gray, 0);
      cv::cvtColor(gray, image, cv::COLOR_GRAY2RGB);
      break;
    }
    case 3:
      cv::cvtColor(scaled, image, cv::COLOR_BGR2RGB);
      break;
    case 4:
      cv::cvtColor(scaled, image, cv::COLOR_BGRA2RGB);
      break;
    default:
      throw InputError(path,
                       "unsupported number of channels " + std::to_string(decoded.channels()));
  }
  if (decoded.depth() == CV_32F || decoded.depth() == CV_64F) {
    // Float images (TIFF, EXR) can hold anything; the convention is [0, 1]. NaN becomes 0.
    cv::patchNaNs(image, 0.0);
    cv::min(cv::max(image, 0.0), 1.0, image);
  }
  return image;
}

cv::Mat ReadPriorMap(const std::string& path) {
  cv::Mat prior;
  if (LowerExtension(path) == ".npy") {
    prior = ReadNpyMap(path);
  } else {
    const cv::Mat decoded = DecodeImageFile(path, "a prior image");
    const double full_scale = FullScale(decoded.depth());
    if (full_scale == 0)
      throw InputError(path, "unsupported pixel type " + DepthName(decoded.depth()) +
                                 " for a prior image (use 8-bit, 16-bit or float)");
    std::vector<cv::Mat> channels;
    cv::split(decoded, channels);
    // Colour channels only: a 2- or 4-channel image's last channel is alpha, ignored.
    const int colour_channels = decoded.channels() == 2 || decoded.channels() == 4
                                    ? decoded.channels() - 1
                                    : decoded.channels();
    for (int c = 1; c < colour_channels; ++c) {
      const int differing = cv::countNonZero(channels[c] != channels[0]);
      if (differing > 0)
        throw InputError(path, "prior image must be grayscale (its colour channels differ at " +
                                   std::to_string(differing) + " pixels)");
    }
    channels[0].convertTo(prior, CV_32F, 1.0 / full_scale);
  }
  CheckFinite(path, prior);
  return prior;
}

cv::Mat ReadClipMap(const std::string& path, int frames) {
  const std::vector<cv::Mat> volume = ReadNpyMap3D(path);
  if (static_cast<int>(volume.size()) != frames)
    throw InputError(path, "has " + std::to_string(volume.size()) + " frame" +
                               (volume.size() == 1 ? "" : "s") + " but the clip has " +
                               std::to_string(frames) + " (expected a (T, H, W) array)");
  cv::Mat stacked;
  cv::vconcat(volume, stacked);
  CheckFinite(path, stacked);
  return stacked;
}

void CheckImageFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes(4096, '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  bytes.resize(static_cast<size_t>(in.gcount()));
  if (ReachesDicomDecoder(bytes))
    throw InputError(path,
                     "carries DICOM's marker (\"DICM\" at byte 128); borex does not read DICOM "
                     "files (convert to PNG or TIFF)");
  // JPEG: the frame header follows EXIF & co.; PNM and PAM: comments may fill any length; PNG
  // and JPEG: their ends show a cut file.
  if (bytes.compare(0, 2, "\xff\xd8") == 0 || bytes.compare(0, 1, "P") == 0 ||
      bytes.compare(0, 1, "\x89") == 0)
    bytes += std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  const auto [width, height] = DeclaredSize(bytes);
  if (width > 0 && height > 0 &&
      (width > kMaxImagePixels || height > kMaxImagePixels || width * height > kMaxImagePixels))
    throw InputError(path, "declares a " + std::to_string(width) + "x" + std::to_string(height) +
                               " image, more than the " + std::to_string(kMaxImagePixels) +
                               " pixels borex reads");
  if (const std::string cut = Truncation(bytes); !cut.empty())
    throw InputError(path, std::string(bytes[0] == '\x89' ? "the PNG" : "the JPEG") + " file " +
                               cut + " (truncated, or still being copied?)");
}

std::string EncodeImage(const std::string& path, const cv::Mat& bgr8) {
  BOREX_CHECK(!bgr8.empty());
  BOREX_CHECK(bgr8.depth() == CV_8U);
  const std::string extension = std::filesystem::path(path).extension().string();
  if (extension.empty() || !cv::haveImageWriter(path))
    throw OutputError(path,
                      "unknown image file extension \"" + extension + "\" (use .png or .jpg)");
  std::vector<uchar> encoded;
  bool ok = false;
  try {
    ok = cv::imencode(extension, bgr8, encoded);
  } catch (const cv::Exception& e) {
    throw OutputError(path, "cannot encode image: " + e.err);
  }
  if (!ok) throw OutputError(path, "cannot encode image as " + extension);
  return {encoded.begin(), encoded.end()};
}

void WriteImage(const std::string& path, const cv::Mat& bgr8) {
  WriteBytesAtomically(path, EncodeImage(path, bgr8));
}

}  // namespace borex::io
