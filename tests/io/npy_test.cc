#include "borex/io/npy.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>
#include <xtensor/xarray.hpp>
#include <xtensor/xnpy.hpp>

#include "borex/core/error.h"
#include "support/temp_dir.h"

namespace borex::io {
namespace {
namespace fs = std::filesystem;

// An .npy file's bytes exactly as numpy.save lays them out: magic, version, little-endian
// header length, the header dictionary padded with spaces and ended by '\n' so that the data
// starts at a multiple of 64 bytes, then the raw data. `extra_padding` lengthens the header.
std::string NpyBytes(const std::string& descr, bool fortran_order, const std::string& shape,
                     const std::string& data, int major_version = 1, int extra_padding = 0) {
  std::string dictionary = "{'descr': '" + descr +
                           "', 'fortran_order': " + (fortran_order ? "True" : "False") +
                           ", 'shape': " + shape + ", }";
  dictionary += std::string(extra_padding, ' ');
  const size_t length_bytes = major_version == 1 ? 2 : 4;
  const size_t preamble = 8 + length_bytes;
  size_t header_length = dictionary.size() + 1;
  header_length += (64 - (preamble + header_length) % 64) % 64;
  std::string header = dictionary + std::string(header_length - dictionary.size() - 1, ' ') + "\n";
  std::string bytes = "\x93NUMPY";
  bytes += static_cast<char>(major_version);
  bytes += '\0';
  for (size_t i = 0; i < length_bytes; ++i)
    bytes += static_cast<char>((header.size() >> (8 * i)) & 0xff);
  return bytes + header + data;
}

template <typename T>
std::string RawBytes(const std::vector<T>& values, bool big_endian = false) {
  std::string bytes;
  for (const T value : values) {
    char raw[sizeof(T)];
    std::memcpy(raw, &value, sizeof(T));
    if (big_endian) std::reverse(raw, raw + sizeof(T));  // the test host is little-endian
    bytes.append(raw, sizeof(T));
  }
  return bytes;
}

class NpyTest : public borex::testing::TempDirTest {
 protected:
  std::string WriteFile(const std::string& name, const std::string& bytes) const {
    std::ofstream(Path(name), std::ios::binary) << bytes;
    return Path(name);
  }
  static std::string ReadFile(const std::string& path) {
    std::ifstream stream(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(stream), std::istreambuf_iterator<char>());
  }
  // Expects ReadNpyMap(path) to throw InputError with exactly "<path>: <what>".
  static void ExpectReadError(const std::string& path, const std::string& what) {
    try {
      ReadNpyMap(path);
      ADD_FAILURE() << "no error for " << path;
    } catch (const InputError& e) {
      EXPECT_EQ(std::string(e.what()), path + ": " + what);
      EXPECT_EQ(e.code(), ExitCode::kInputError);
    }
  }
};

const std::vector<float> kSixValues{0.5f, -1.25f, 3.0f, 1e-7f, -0.0f, 42.0f};

void ExpectTwoByThree(const cv::Mat& map) {
  ASSERT_EQ(map.type(), CV_32FC1);
  ASSERT_EQ(map.rows, 2);
  ASSERT_EQ(map.cols, 3);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(map.at<float>(i / 3, i % 3), kSixValues[i]) << i;
}

TEST_F(NpyTest, ReadsFloat32) {
  ExpectTwoByThree(
      ReadNpyMap(WriteFile("a.npy", NpyBytes("<f4", false, "(2, 3)", RawBytes(kSixValues)))));
}

TEST_F(NpyTest, ReadsFloat64RoundedToFloat32) {
  const std::vector<double> values{0.1, -2.5, 1e300, 3.0, 0.0, 1.0 / 3};
  const cv::Mat map =
      ReadNpyMap(WriteFile("a.npy", NpyBytes("<f8", false, "(3, 2)", RawBytes(values))));
  ASSERT_EQ(map.type(), CV_32FC1);
  ASSERT_EQ(map.size(), cv::Size(2, 3));
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(map.at<float>(i / 2, i % 2), static_cast<float>(values[i])) << i;
}

TEST_F(NpyTest, ReadsBigEndian) {
  ExpectTwoByThree(
      ReadNpyMap(WriteFile("a.npy", NpyBytes(">f4", false, "(2, 3)", RawBytes(kSixValues, true)))));
  const std::vector<double> doubles(kSixValues.begin(), kSixValues.end());
  ExpectTwoByThree(
      ReadNpyMap(WriteFile("b.npy", NpyBytes(">f8", false, "(2, 3)", RawBytes(doubles, true)))));
}

TEST_F(NpyTest, ReadsFortranOrder) {
  // Column by column: (0,0) (1,0) (0,1) (1,1) (0,2) (1,2).
  const std::vector<float> column_major{kSixValues[0], kSixValues[3], kSixValues[1],
                                        kSixValues[4], kSixValues[2], kSixValues[5]};
  ExpectTwoByThree(
      ReadNpyMap(WriteFile("a.npy", NpyBytes("<f4", true, "(2, 3)", RawBytes(column_major)))));
}

TEST_F(NpyTest, SqueezesUnitAxes) {
  for (const std::string shape : {"(1, 2, 3)", "(2, 3, 1)", "(1, 1, 2, 3)", "(2, 1, 3)"})
    ExpectTwoByThree(
        ReadNpyMap(WriteFile("a.npy", NpyBytes("<f4", false, shape, RawBytes(kSixValues)))));
}

TEST_F(NpyTest, ReadsVersion2And3Headers) {
  ExpectTwoByThree(
      ReadNpyMap(WriteFile("v2.npy", NpyBytes("<f4", false, "(2, 3)", RawBytes(kSixValues), 2))));
  ExpectTwoByThree(
      ReadNpyMap(WriteFile("v3.npy", NpyBytes("<f4", false, "(2, 3)", RawBytes(kSixValues), 3))));
}

TEST_F(NpyTest, ReadsHeaderWhoseLengthHasHighLowByte) {
  // A 182-byte (0xB6) header: xtensor 0.24's own reader sign-extends that byte and misreads the
  // length, which is why the preamble is decoded by borex.
  const std::string bytes = NpyBytes("<f4", false, "(2, 3)", RawBytes(kSixValues), 1, 100);
  ASSERT_EQ(static_cast<unsigned char>(bytes[8]), 0xB6);
  ExpectTwoByThree(ReadNpyMap(WriteFile("a.npy", bytes)));
}

TEST_F(NpyTest, IgnoresTrailingBytesAfterData) {
  ExpectTwoByThree(ReadNpyMap(
      WriteFile("a.npy", NpyBytes("<f4", false, "(2, 3)", RawBytes(kSixValues) + "junk"))));
}

TEST_F(NpyTest, RejectsOtherDtypes) {
  const std::string data(48, '\0');
  ExpectReadError(WriteFile("i8.npy", NpyBytes("<i8", false, "(2, 3)", data)),
                  "dtype int64 not supported: use float32 or float64");
  ExpectReadError(WriteFile("u1.npy", NpyBytes("|u1", false, "(2, 3)", data)),
                  "dtype uint8 not supported: use float32 or float64");
  ExpectReadError(WriteFile("f2.npy", NpyBytes("<f2", false, "(2, 3)", data)),
                  "dtype float16 not supported: use float32 or float64");
  ExpectReadError(WriteFile("b1.npy", NpyBytes("|b1", false, "(2, 3)", data)),
                  "dtype bool not supported: use float32 or float64");
  // Found by tests/fuzz/prior_map_fuzz: the size's bits overflowed int.
  ExpectReadError(WriteFile("f9.npy", NpyBytes("<f66666666664", false, "(2, 3)", data)),
                  "dtype '<f66666666664' not supported: use float32 or float64");
}

TEST_F(NpyTest, RejectsWrongNumberOfDimensionsStatingTheShape) {
  const std::string data(size_t{3} * 4 * 5 * 4, '\0');
  ExpectReadError(WriteFile("3d.npy", NpyBytes("<f4", false, "(3, 4, 5)", data)),
                  "expected a 2-D array (H, W), got shape (3, 4, 5)");
  ExpectReadError(WriteFile("1d.npy", NpyBytes("<f4", false, "(5,)", data)),
                  "expected a 2-D array (H, W), got shape (5,)");
  ExpectReadError(WriteFile("0d.npy", NpyBytes("<f4", false, "()", data)),
                  "expected a 2-D array (H, W), got shape ()");
}

TEST_F(NpyTest, RejectsEmptyArray) {
  ExpectReadError(WriteFile("a.npy", NpyBytes("<f4", false, "(0, 3)", "")),
                  "empty array of shape (0, 3)");
}

TEST_F(NpyTest, RejectsTruncatedData) {
  const std::string bytes = NpyBytes("<f4", false, "(2, 3)", RawBytes(kSixValues));
  ExpectReadError(WriteFile("a.npy", bytes.substr(0, bytes.size() - 5)),
                  "truncated: shape (2, 3) float32 needs 24 bytes of data, file has 19");
}

TEST_F(NpyTest, RejectsTruncatedHeader) {
  const std::string bytes = NpyBytes("<f4", false, "(2, 3)", RawBytes(kSixValues));
  ExpectReadError(WriteFile("a.npy", bytes.substr(0, 40)), "truncated NPY header");
  ExpectReadError(WriteFile("b.npy", bytes.substr(0, 9)), "truncated NPY header");
}

TEST_F(NpyTest, RejectsHugeClaimedShapeWithoutAllocating) {
  ExpectReadError(
      WriteFile("a.npy", NpyBytes("<f4", false, "(100000000, 100000000)", RawBytes(kSixValues))),
      "truncated: shape (100000000, 100000000) float32 needs 40000000000000000 bytes of data, "
      "file has 24");
}

TEST_F(NpyTest, RejectsNonNpyFilesAndBadHeaders) {
  ExpectReadError(WriteFile("a.npy", "P5\n2 2\n255\n...."), "not an NPY file (bad magic bytes)");
  ExpectReadError(WriteFile("empty.npy", ""), "not an NPY file (bad magic bytes)");
  std::string bad_version = NpyBytes("<f4", false, "(2, 3)", RawBytes(kSixValues));
  bad_version[6] = 9;
  ExpectReadError(WriteFile("v9.npy", bad_version), "unsupported NPY format version 9");
  const std::string structured = NpyBytes("[('a', '<f4')]", false, "(2, 3)", RawBytes(kSixValues));
  try {
    ReadNpyMap(WriteFile("s.npy", structured));
    ADD_FAILURE() << "structured dtype accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(Path("s.npy") + ": bad NPY header (", 0), 0u) << e.what();
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << "one line";
  }
}

// Found by tests/fuzz/npy_fuzz: xtensor's header parser read past empty strings.
TEST_F(NpyTest, RejectsEmptyOrIncompleteHeaderDictionaries) {
  const std::string data = RawBytes(kSixValues);
  ExpectReadError(WriteFile("empty.npy", std::string("\x93NUMPY\x01\x00\x00\x00", 10)),
                  "bad NPY header (expected '{'): ");
  const std::string no_shape = "{'descr': '<f4', 'fortran_order': False, 'shape': }\n";
  ExpectReadError(
      WriteFile("s.npy", std::string("\x93NUMPY\x01\x00", 8) + static_cast<char>(no_shape.size()) +
                             '\0' + no_shape + data),
      "bad NPY header (expected '('): {'descr': '<f4', 'fortran_order': False, "
      "'shape': }");
  try {
    ReadNpyMap(WriteFile("neg.npy", NpyBytes("<f4", false, "(-1, 3)", data)));
    ADD_FAILURE() << "negative dimension accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(Path("neg.npy") + ": bad NPY header (", 0), 0u)
        << e.what();
  }
  // Keys in another order than numpy's are still a valid dictionary.
  const std::string reordered = "{'shape': (2, 3), 'fortran_order': False, 'descr': '<f4'}\n";
  ExpectTwoByThree(ReadNpyMap(WriteFile("r.npy", std::string("\x93NUMPY\x01\x00", 8) +
                                                     static_cast<char>(reordered.size()) + '\0' +
                                                     reordered + data)));
}

TEST_F(NpyTest, RejectsMissingFileAndDirectory) {
  ExpectReadError(Path("missing.npy"), "file does not exist");
  ExpectReadError(dir_.string(), "is a directory, not an NPY file");
}

TEST_F(NpyTest, WriteNpyProducesNumpyLayoutAndRoundTrips) {
  cv::Mat map(5, 7, CV_32FC1);
  cv::randu(map, -10, 10);
  const std::string path = Path("map.npy");
  WriteNpy(path, map);
  const std::string bytes = ReadFile(path);
  ASSERT_GE(bytes.size(), 10u);
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  const size_t header_length =
      static_cast<unsigned char>(bytes[8]) | static_cast<unsigned char>(bytes[9]) << 8;
  EXPECT_EQ((10 + header_length) % 64, 0u) << "numpy.load needs 16-byte alignment at least";
  EXPECT_EQ(bytes.size(), 10 + header_length + size_t{5} * 7 * 4);
  const std::string header = bytes.substr(10, header_length);
  EXPECT_NE(header.find("'descr': '<f4'"), std::string::npos) << header;
  EXPECT_NE(header.find("'fortran_order': False"), std::string::npos) << header;
  EXPECT_NE(header.find("'shape': (5, 7)"), std::string::npos) << header;
  EXPECT_EQ(header.back(), '\n');
  const cv::Mat back = ReadNpyMap(path);
  EXPECT_EQ(cv::norm(back, map, cv::NORM_INF), 0.0);
}

TEST_F(NpyTest, WriteNpyOutputIsReadByXtensor) {
  cv::Mat map(3, 4, CV_32FC1);
  cv::randu(map, 0, 1);
  WriteNpy(Path("map.npy"), map);
  const xt::xarray<float> loaded = xt::load_npy<float>(Path("map.npy"));
  ASSERT_EQ(loaded.shape().size(), 2u);
  EXPECT_EQ(loaded.shape()[0], 3u);
  EXPECT_EQ(loaded.shape()[1], 4u);
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 4; ++c) EXPECT_EQ(loaded(r, c), map.at<float>(r, c));
}

TEST_F(NpyTest, ReadsFilesWrittenByXtensor) {
  const xt::xarray<double> doubles = {{1.5, -2.0, 0.25}, {4.0, 5.0, 1e-3}};
  xt::dump_npy(Path("d.npy"), doubles);
  xt::xarray<float> floats = xt::xarray<float>::from_shape({3, 1});
  for (size_t i = 0; i < 3; ++i) floats(i, 0) = 7.f + static_cast<float>(i);
  xt::dump_npy(Path("f.npy"), floats);
  const cv::Mat from_doubles = ReadNpyMap(Path("d.npy"));
  ASSERT_EQ(from_doubles.size(), cv::Size(3, 2));
  for (int r = 0; r < 2; ++r)
    for (int c = 0; c < 3; ++c)
      EXPECT_EQ(from_doubles.at<float>(r, c), static_cast<float>(doubles(r, c)));
  const cv::Mat from_floats = ReadNpyMap(Path("f.npy"));
  ASSERT_EQ(from_floats.size(), cv::Size(1, 3));
  EXPECT_EQ(from_floats.at<float>(2, 0), 9.f);
}

TEST_F(NpyTest, WriteNpyConvertsDepthAndHandlesRoi) {
  cv::Mat doubles(6, 6, CV_64FC1);
  cv::randu(doubles, -1, 1);
  const cv::Mat roi = doubles(cv::Rect(1, 2, 3, 4));  // not continuous
  WriteNpy(Path("roi.npy"), roi);
  cv::Mat expected;
  roi.convertTo(expected, CV_32F);
  EXPECT_EQ(cv::norm(ReadNpyMap(Path("roi.npy")), expected, cv::NORM_INF), 0.0);
  EXPECT_THROW(WriteNpy(Path("rgb.npy"), cv::Mat(2, 2, CV_32FC3)), Error);
}

TEST_F(NpyTest, WriteNpyIntoMissingDirectoryIsOutputError) {
  EXPECT_THROW(WriteNpy(Path("no/such/dir/map.npy"), cv::Mat::zeros(2, 2, CV_32FC1)), OutputError);
}

TEST_F(NpyTest, VolumeRoundTrip) {
  std::vector<cv::Mat> frames;
  for (int t = 0; t < 3; ++t) {
    frames.emplace_back(4, 5, CV_32FC1);
    cv::randu(frames.back(), -1, 1);
  }
  WriteNpy3D(Path("video.npy"), frames);
  const xt::xarray<float> loaded = xt::load_npy<float>(Path("video.npy"));
  EXPECT_EQ(loaded.shape(), (std::vector<size_t>{3, 4, 5}));
  const std::vector<cv::Mat> back = ReadNpyMap3D(Path("video.npy"));
  ASSERT_EQ(back.size(), 3u);
  for (int t = 0; t < 3; ++t) EXPECT_EQ(cv::norm(back[t], frames[t], cv::NORM_INF), 0.0) << t;
  // A volume is not a 2-D map, and a 2-D map is a one-frame volume.
  ExpectReadError(Path("video.npy"), "expected a 2-D array (H, W), got shape (3, 4, 5)");
  const std::vector<cv::Mat> single =
      ReadNpyMap3D(WriteFile("map.npy", NpyBytes("<f4", false, "(2, 3)", RawBytes(kSixValues))));
  ASSERT_EQ(single.size(), 1u);
  ExpectTwoByThree(single[0]);
  EXPECT_THROW(WriteNpy3D(Path("bad.npy"), {frames[0], cv::Mat::zeros(2, 2, CV_32FC1)}), Error);
}

TEST_F(NpyTest, VolumeRejectsFourDimensionsAndFortranOrder) {
  const std::string data(size_t{2} * 2 * 2 * 2 * 4, '\0');
  try {
    ReadNpyMap3D(WriteFile("4d.npy", NpyBytes("<f4", false, "(2, 2, 2, 2)", data)));
    ADD_FAILURE();
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()),
              Path("4d.npy") + ": expected a 3-D array (T, H, W), got shape (2, 2, 2, 2)");
  }
  EXPECT_THROW(ReadNpyMap3D(WriteFile("f.npy", NpyBytes("<f4", true, "(2, 2, 4)", data))),
               InputError);
}

// A one-frame volume in Fortran order is a Fortran-order map (only T > 1 is refused).
TEST_F(NpyTest, VolumeReadsOneFortranOrderFrame) {
  const std::vector<float> column_major{kSixValues[0], kSixValues[3], kSixValues[1],
                                        kSixValues[4], kSixValues[2], kSixValues[5]};
  for (const std::string shape : {"(1, 2, 3)", "(2, 3)"}) {
    const std::vector<cv::Mat> volume =
        ReadNpyMap3D(WriteFile("f.npy", NpyBytes("<f4", true, shape, RawBytes(column_major))));
    ASSERT_EQ(volume.size(), 1u) << shape;
    ExpectTwoByThree(volume[0]);
  }
}

// A shape whose element count fits size_t but whose byte count does not (2^62 float32 values:
// 2^64 bytes, 0 after wrapping) fails the size check.
TEST_F(NpyTest, RejectsAShapeWhoseByteCountOverflows) {
  ExpectReadError(
      WriteFile("a.npy", NpyBytes("<f4", false, "(4611686018427387904, 1)", RawBytes(kSixValues))),
      "impossible shape (4611686018427387904, 1)");
}

// A header must hold all three keys and nothing after the dictionary; a dtype is exactly three
// characters ("<f48" is no float32).
TEST_F(NpyTest, RejectsAMissingKeyTrailingTextAndALongerDtype) {
  const std::string data = RawBytes(kSixValues);
  const auto with_header = [&](const std::string& name, const std::string& header) {
    return WriteFile(name, std::string("\x93NUMPY\x01\x00", 8) + static_cast<char>(header.size()) +
                               '\0' + header + data);
  };
  ExpectReadError(with_header("order.npy", "{'descr': '<f4', 'shape': (2, 3), }\n"),
                  "bad NPY header (missing 'fortran_order' key): {'descr': '<f4', 'shape': (2, "
                  "3), }");
  ExpectReadError(
      with_header("after.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)} x\n"),
      "bad NPY header (text after the dictionary): {'descr': '<f4', 'fortran_order': False, "
      "'shape': (2, 3)} x");
  ExpectReadError(WriteFile("f48.npy", NpyBytes("<f48", false, "(2, 3)", data)),
                  "dtype float384 not supported: use float32 or float64");
}

}  // namespace
}  // namespace borex::io
