#include "borex/io/image.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <opencv2/imgcodecs.hpp>
#include <string>
#include <utility>
#include <vector>

#include "borex/core/error.h"
#include "borex/io/npy.h"
#include "support/temp_dir.h"

namespace borex::io {
namespace {
namespace fs = std::filesystem;

class ImageTest : public borex::testing::TempDirTest {
 protected:
  std::string Imwrite(const std::string& name, const cv::Mat& image) const {
    EXPECT_TRUE(cv::imwrite(Path(name), image));
    return Path(name);
  }
  // Expects `call` to throw an InputError/OutputError E whose message is exactly "<path>: <what>".
  template <typename E, typename F>
  static void ExpectError(F call, const std::string& path, const std::string& what) {
    try {
      call();
      ADD_FAILURE() << "no error for " << path;
    } catch (const E& e) {
      EXPECT_EQ(std::string(e.what()), path + ": " + what);
    }
  }
};

TEST_F(ImageTest, ReadImageRgbReordersChannelsAndScales) {
  cv::Mat bgr(2, 3, CV_8UC3, cv::Scalar(10, 20, 30));  // B, G, R
  bgr.at<cv::Vec3b>(1, 2) = cv::Vec3b(255, 0, 128);
  const cv::Mat image = ReadImageRgb(Imwrite("a.png", bgr));
  ASSERT_EQ(image.type(), CV_32FC3);
  ASSERT_EQ(image.size(), cv::Size(3, 2));
  const cv::Vec3f first = image.at<cv::Vec3f>(0, 0);
  EXPECT_FLOAT_EQ(first[0], 30 / 255.f);  // R first
  EXPECT_FLOAT_EQ(first[1], 20 / 255.f);
  EXPECT_FLOAT_EQ(first[2], 10 / 255.f);
  const cv::Vec3f last = image.at<cv::Vec3f>(1, 2);
  EXPECT_FLOAT_EQ(last[0], 128 / 255.f);
  EXPECT_FLOAT_EQ(last[1], 0.f);
  EXPECT_FLOAT_EQ(last[2], 1.f);
}

TEST_F(ImageTest, ReadImageRgbExpandsGrayscale) {
  cv::Mat gray(2, 2, CV_8UC1, cv::Scalar(51));
  const cv::Mat image = ReadImageRgb(Imwrite("g.png", gray));
  ASSERT_EQ(image.type(), CV_32FC3);
  for (int c = 0; c < 3; ++c) EXPECT_FLOAT_EQ(image.at<cv::Vec3f>(1, 1)[c], 0.2f);
}

TEST_F(ImageTest, ReadImageRgbScales16Bit) {
  cv::Mat deep(1, 3, CV_16UC3);
  deep.at<cv::Vec3w>(0, 0) = cv::Vec3w(65535, 32768, 0);
  deep.at<cv::Vec3w>(0, 1) = cv::Vec3w(257, 257, 257);
  deep.at<cv::Vec3w>(0, 2) = cv::Vec3w(1, 2, 3);
  const cv::Mat image = ReadImageRgb(Imwrite("deep.png", deep));
  EXPECT_FLOAT_EQ(image.at<cv::Vec3f>(0, 0)[0], 0.f);  // R was stored last
  EXPECT_FLOAT_EQ(image.at<cv::Vec3f>(0, 0)[1], 32768 / 65535.f);
  EXPECT_FLOAT_EQ(image.at<cv::Vec3f>(0, 0)[2], 1.f);
  EXPECT_FLOAT_EQ(image.at<cv::Vec3f>(0, 1)[0], 257 / 65535.f);  // not 1.0 as an 8-bit scale gives
  EXPECT_FLOAT_EQ(image.at<cv::Vec3f>(0, 2)[0], 3 / 65535.f);
}

TEST_F(ImageTest, ReadImageRgbDropsAlpha) {
  cv::Mat bgra(2, 2, CV_8UC4, cv::Scalar(0, 0, 255, 0));  // fully transparent red
  const cv::Mat image = ReadImageRgb(Imwrite("alpha.png", bgra));
  ASSERT_EQ(image.type(), CV_32FC3);
  EXPECT_EQ(image.at<cv::Vec3f>(0, 0), cv::Vec3f(1, 0, 0));
}

// A hand-made PNG of colour type 4 (gray + alpha; OpenCV cannot write one): pixels (gray, alpha)
// (102, 0) (255, 128) / (0, 255) (51, 7).
const std::string kGrayAlphaPng =
    std::string(BOREX_SOURCE_DIR) + "/tests/data/io/gray_alpha_2x2.png";

TEST_F(ImageTest, ReadImageRgbReadsGrayAlphaAsGray) {
  const cv::Mat image = ReadImageRgb(kGrayAlphaPng);
  ASSERT_EQ(image.type(), CV_32FC3);
  for (int c = 0; c < 3; ++c) {
    EXPECT_FLOAT_EQ(image.at<cv::Vec3f>(0, 0)[c], 0.4f);  // alpha 0 ignored, not composited
    EXPECT_FLOAT_EQ(image.at<cv::Vec3f>(1, 1)[c], 0.2f);
  }
}

TEST_F(ImageTest, ReadPriorMapReadsGrayAlphaIgnoringAlpha) {
  const cv::Mat prior = ReadPriorMap(kGrayAlphaPng);
  ASSERT_EQ(prior.type(), CV_32FC1);
  EXPECT_FLOAT_EQ(prior.at<float>(0, 1), 1.f);
  EXPECT_FLOAT_EQ(prior.at<float>(1, 0), 0.f);
  EXPECT_FLOAT_EQ(prior.at<float>(1, 1), 0.2f);
}

TEST_F(ImageTest, ReadImageRgbErrorsNameTheFile) {
  ExpectError<InputError>([&] { ReadImageRgb(Path("missing.png")); }, Path("missing.png"),
                          "file does not exist");
  std::ofstream(Path("text.png")) << "not an image";
  ExpectError<InputError>([&] { ReadImageRgb(Path("text.png")); }, Path("text.png"),
                          "cannot decode image (not a supported image format?)");
  ExpectError<InputError>([&] { ReadImageRgb(dir_.string()); }, dir_.string(),
                          "is a directory, not an image");
}

TEST_F(ImageTest, ReadPriorMapFromGrayscalePng) {
  cv::Mat gray(1, 3, CV_8UC1);
  gray.at<uchar>(0, 0) = 0;
  gray.at<uchar>(0, 1) = 128;
  gray.at<uchar>(0, 2) = 255;
  const cv::Mat prior = ReadPriorMap(Imwrite("prior.png", gray));
  ASSERT_EQ(prior.type(), CV_32FC1);
  EXPECT_FLOAT_EQ(prior.at<float>(0, 0), 0.f);
  EXPECT_FLOAT_EQ(prior.at<float>(0, 1), 128 / 255.f);
  EXPECT_FLOAT_EQ(prior.at<float>(0, 2), 1.f);
  cv::Mat deep(1, 1, CV_16UC1, cv::Scalar(65535));
  EXPECT_FLOAT_EQ(ReadPriorMap(Imwrite("deep.png", deep)).at<float>(0, 0), 1.f);
}

TEST_F(ImageTest, ReadPriorMapAcceptsGrayStoredAsColourButRejectsColour) {
  cv::Mat gray_as_bgr(2, 2, CV_8UC3, cv::Scalar(64, 64, 64));
  EXPECT_FLOAT_EQ(ReadPriorMap(Imwrite("gray_rgb.png", gray_as_bgr)).at<float>(1, 1), 64 / 255.f);
  cv::Mat colour = gray_as_bgr.clone();
  colour.at<cv::Vec3b>(0, 1) = cv::Vec3b(64, 64, 65);
  ExpectError<InputError>([&] { ReadPriorMap(Imwrite("colour.png", colour)); }, Path("colour.png"),
                          "prior image must be grayscale (its colour channels differ at 1 pixels)");
}

TEST_F(ImageTest, ReadPriorMapFromNpyByExtension) {
  cv::Mat map(3, 4, CV_32FC1);
  cv::randn(map, 0, 1);
  WriteNpy(Path("prior.NPY"), map);
  EXPECT_EQ(cv::norm(ReadPriorMap(Path("prior.NPY")), map, cv::NORM_INF), 0.0);
}

TEST_F(ImageTest, ReadPriorMapRejectsNonFiniteValuesWithCount) {
  cv::Mat map = cv::Mat::zeros(2, 3, CV_32FC1);
  map.at<float>(0, 1) = std::numeric_limits<float>::quiet_NaN();
  map.at<float>(1, 0) = std::numeric_limits<float>::infinity();
  map.at<float>(1, 2) = -std::numeric_limits<float>::infinity();
  WriteNpy(Path("bad.npy"), map);
  ExpectError<InputError>([&] { ReadPriorMap(Path("bad.npy")); }, Path("bad.npy"),
                          "3 of 6 values are NaN or infinite");
  map.at<float>(0, 1) = std::numeric_limits<float>::max();  // large but finite is fine
  map.at<float>(1, 0) = map.at<float>(1, 2) = 0;
  WriteNpy(Path("ok.npy"), map);
  EXPECT_NO_THROW(ReadPriorMap(Path("ok.npy")));
}

TEST_F(ImageTest, ReadPriorMapErrorsNameTheFile) {
  ExpectError<InputError>([&] { ReadPriorMap(Path("missing.png")); }, Path("missing.png"),
                          "file does not exist");
  ExpectError<InputError>([&] { ReadPriorMap(Path("missing.npy")); }, Path("missing.npy"),
                          "file does not exist");
}

// Found by tests/fuzz/prior_map_fuzz: a 68-byte PNG declaring 32768 x 32768 16-bit RGBA made
// OpenCV allocate 8 GiB before finding the data missing.
TEST_F(ImageTest, ReadPriorMapRejectsHugeDeclaredSizesBeforeDecoding) {
  cv::Mat small(3, 4, CV_16UC4, cv::Scalar::all(1000));
  std::string png;
  {
    std::vector<uchar> encoded;
    ASSERT_TRUE(cv::imencode(".png", small, encoded));
    png.assign(encoded.begin(), encoded.end());
  }
  png.replace(16, 8, std::string("\x00\x00\x80\x00\x00\x00\x80\x00", 8));  // IHDR width, height
  const std::string path = Path("huge.png");
  std::ofstream(path, std::ios::binary) << png;
  ExpectError<InputError>([&] { ReadPriorMap(path); }, path,
                          "declares a 32768x32768 image, more than the 67108864 pixels borex "
                          "reads");
  const std::string pgm = Path("huge.pgm");
  std::ofstream(pgm, std::ios::binary) << "P5\n# comment\n65536 1025\n65535\n";
  ExpectError<InputError>([&] { ReadImageRgb(pgm); }, pgm,
                          "declares a 65536x1025 image, more than the 67108864 pixels borex "
                          "reads");
  // At the limit, the header check lets it through (then the missing data is the error).
  std::ofstream(Path("ok.pgm"), std::ios::binary) << "P5\n8192 8192\n255\n";
  ExpectError<InputError>([&] { ReadPriorMap(Path("ok.pgm")); }, Path("ok.pgm"),
                          "cannot decode image (not a supported image format?)");
  const cv::Mat jpeg(2, 3, CV_8UC1, cv::Scalar(128));
  EXPECT_EQ(ReadPriorMap(Imwrite("ok.jpg", jpeg)).size(), cv::Size(3, 2));

  // PAM headers as OpenCV reads them. Found by prior_map_fuzz in CI: an identifier compares up
  // to a NUL byte ("HEIGHT\0\x08" is HEIGHT), which a whitespace tokenizer missed, and OpenCV
  // allocated 8 GiB. Also a comment naming ENDHDR, a value on the next line, and a header
  // beyond the first 4096 bytes.
  constexpr char kNulPam[] =
      "P7\nWIDTH 32768\nHEIGHT\0\x08 32768\nDEPTH 4\nMAXVAL 65535\nTUPLTYPE RGB_ALPHA\nENDHDR\n";
  const auto pam = [&](const std::string& name, const std::string& header) {
    std::string path = Path(name);
    std::ofstream(path, std::ios::binary) << header;
    return path;
  };
  for (const auto& [name, header] :
       {std::pair{"nul.pam", std::string(kNulPam, sizeof kNulPam - 1)},
        std::pair{"comment.pam",
                  std::string("P7\n# ENDHDR\nWIDTH 32768\nHEIGHT 32768\nDEPTH 1\nMAXVAL "
                              "255\nENDHDR\n")},
        std::pair{"next_line.pam",
                  std::string("P7\nWIDTH \n32768\nHEIGHT 32768\nDEPTH 1\nMAXVAL 255\nENDHDR\n")},
        std::pair{"long.pam", "P7\n" + std::string(5000, '#') +
                                  "\nWIDTH 32768\nHEIGHT 32768\nDEPTH 1\nMAXVAL 255\nENDHDR\n"}}) {
    const std::string path = pam(name, header);
    ExpectError<InputError>([&] { ReadPriorMap(path); }, path,
                            "declares a 32768x32768 image, more than the 67108864 pixels borex "
                            "reads");
  }
  // A PAM that OpenCV decodes, read by both: the check lets it through.
  cv::Mat rgb(2, 3, CV_8UC3, cv::Scalar(10, 20, 30));
  std::vector<uchar> encoded;
  ASSERT_TRUE(cv::imencode(".pam", rgb, encoded));
  const std::string ok_pam = pam("ok.pam", std::string(encoded.begin(), encoded.end()));
  EXPECT_NO_THROW(CheckImageFile(ok_pam));
  EXPECT_EQ(ReadImageRgb(ok_pam).size(), cv::Size(3, 2));
  EXPECT_NO_THROW(CheckImageFile(Path("ok.jpg")));
}

// OpenCV hands a file with "DICM" at byte 128 to GDCM unless an earlier decoder claims it, and
// GDCM aborts on malformed files (CI's fuzz smoke, 2026-12-04): such files are refused first.
TEST_F(ImageTest, FilesForOpenCvsDicomDecoderAreRefusedBeforeDecoding) {
  const auto with_dicom_marker = [&](const std::string& name, std::string bytes) {
    bytes.resize(std::max<size_t>(bytes.size(), 135), '\n');
    bytes.replace(128, 4, "DICM");
    std::ofstream(Path(name), std::ios::binary) << bytes;
    return Path(name);
  };
  const std::string what =
      "carries DICOM's marker (\"DICM\" at byte 128); borex does not read DICOM files (convert "
      "to PNG or TIFF)";
  const std::string fuzzed = with_dicom_marker("fuzzed.png", "P7T\xfeq\n?MAXVAL 65535\nEND\n");
  ExpectError<InputError>([&] { ReadPriorMap(fuzzed); }, fuzzed, what);
  ExpectError<InputError>([&] { ReadImageRgb(fuzzed); }, fuzzed, what);
  const std::string preamble = with_dicom_marker("dicom.dcm", std::string(128, '\0'));
  ExpectError<InputError>([&] { CheckImageFile(preamble); }, preamble, what);

  // BMP and uncompressed TIFF, whose decoders OpenCV tries first, with "DICM" in their pixels.
  cv::Mat bgr(8, 8, CV_8UC3, cv::Scalar(1, 2, 3));
  for (const auto& [name, params] :
       {std::pair{"pixels.bmp", std::vector<int>{}},
        std::pair{"pixels.tif", std::vector<int>{cv::IMWRITE_TIFF_COMPRESSION, 1}}}) {
    std::vector<uchar> encoded;
    ASSERT_TRUE(cv::imencode(fs::path(name).extension().string(), bgr, encoded, params));
    ASSERT_GT(encoded.size(), 132U);
    const std::string path = with_dicom_marker(name, std::string(encoded.begin(), encoded.end()));
    const cv::Mat image = ReadImageRgb(path);
    EXPECT_EQ(image.size(), bgr.size()) << name;
    EXPECT_GT(cv::norm(image, cv::Mat(8, 8, CV_32FC3, cv::Scalar(3 / 255.0, 2 / 255.0, 1 / 255.0)),
                       cv::NORM_INF),
              0.1)
        << name << ": the marker was written over pixels";
  }
}

// A PNG or JPEG cut short (a copy still running, a download stopped) is refused naming the file:
// libpng refused the PNG only after its own line on stderr, and libjpeg decodes the JPEG with grey
// in place of the missing rows.
TEST_F(ImageTest, FilesCutShortAreRefusedBeforeDecoding) {
  cv::Mat bgr(64, 64, CV_8UC3);
  cv::randu(bgr, 0, 256);
  const auto encode = [&](const std::string& extension) {
    std::vector<uchar> encoded;
    EXPECT_TRUE(cv::imencode(extension, bgr, encoded));
    return std::string(encoded.begin(), encoded.end());
  };
  const auto write = [&](const std::string& name, const std::string& bytes) {
    std::ofstream(Path(name), std::ios::binary) << bytes;
    return Path(name);
  };
  const std::string png = encode(".png");
  ASSERT_EQ(png.substr(37, 4), "IDAT");  // the chunk after the 13-byte IHDR at byte 8
  ASSERT_EQ(png.substr(png.size() - 8, 4), "IEND");
  for (const auto& [length, where] :
       {std::pair{png.size() - 1, std::string("ends inside its IEND chunk")},
        std::pair{png.size() - 12, std::string("ends before its IEND chunk")},
        std::pair{size_t{42}, std::string("ends inside its IDAT chunk")},
        std::pair{size_t{20}, std::string("ends inside its IHDR chunk")}}) {
    const std::string path = write("cut.png", png.substr(0, length));
    ExpectError<InputError>([&] { ReadImageRgb(path); }, path,
                            "the PNG file " + where + " (truncated, or still being copied?)");
  }
  const std::string unnamed =
      write("unnamed.png", png.substr(0, 8) + "\xff\xff\xff\xff\x01\x02\x03\x04");
  ExpectError<InputError>(
      [&] { ReadImageRgb(unnamed); }, unnamed,
      "the PNG file ends inside its chunks (truncated, or still being copied?)");
  const std::string jpeg = encode(".jpg");
  ASSERT_EQ(jpeg.substr(jpeg.size() - 2), "\xff\xd9");
  const std::string cut_jpeg = jpeg.substr(0, jpeg.size() * 2 / 3);
  std::vector<uchar> cut_bytes(cut_jpeg.begin(), cut_jpeg.end());
  EXPECT_FALSE(cv::imdecode(cut_bytes, cv::IMREAD_UNCHANGED).empty());  // why the check is ours
  for (const auto& [length, where] :
       {std::pair{jpeg.size() * 2 / 3, std::string("has no end-of-image marker")},
        std::pair{size_t{10}, std::string("ends inside its header")}}) {
    const std::string path = write("cut.jpg", jpeg.substr(0, length));
    ExpectError<InputError>([&] { ReadImageRgb(path); }, path,
                            "the JPEG file " + where + " (truncated, or still being copied?)");
    ExpectError<InputError>([&] { ReadPriorMap(path); }, path,
                            "the JPEG file " + where + " (truncated, or still being copied?)");
  }
  // Complete files decode, also with bytes after their end.
  for (const auto& [name, bytes] :
       {std::pair{"whole.png", png}, std::pair{"whole.jpg", jpeg},
        std::pair{"trailing.png", png + "extra"}, std::pair{"trailing.jpg", jpeg + "extra"}})
    EXPECT_EQ(ReadImageRgb(write(name, bytes)).size(), bgr.size()) << name;
}

TEST_F(ImageTest, WriteImageEncodesByExtensionAtomically) {
  cv::Mat bgr(4, 5, CV_8UC3);
  cv::randu(bgr, 0, 256);
  WriteImage(Path("out.png"), bgr);
  const cv::Mat back = cv::imread(Path("out.png"), cv::IMREAD_UNCHANGED);
  ASSERT_EQ(back.type(), CV_8UC3);
  EXPECT_EQ(cv::norm(back, bgr, cv::NORM_INF), 0.0);  // PNG is lossless
  WriteImage(Path("out.jpg"), bgr);
  std::ifstream jpeg(Path("out.jpg"), std::ios::binary);
  char magic[2] = {};
  jpeg.read(magic, 2);
  EXPECT_EQ(static_cast<unsigned char>(magic[0]), 0xFF);  // JPEG SOI marker, not PNG
  EXPECT_EQ(static_cast<unsigned char>(magic[1]), 0xD8);
  size_t entries = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir_)) ++entries;
  EXPECT_EQ(entries, 2u) << "no temporary files left behind";
}

TEST_F(ImageTest, WriteImageRejectsUnknownExtension) {
  const cv::Mat bgr(2, 2, CV_8UC3, cv::Scalar::all(0));
  ExpectError<OutputError>([&] { WriteImage(Path("out.xyz"), bgr); }, Path("out.xyz"),
                           "unknown image file extension \".xyz\" (use .png or .jpg)");
  ExpectError<OutputError>([&] { WriteImage(Path("out"), bgr); }, Path("out"),
                           "unknown image file extension \"\" (use .png or .jpg)");
  EXPECT_FALSE(fs::exists(Path("out.xyz")));
}

// The sizes that BMP and JPEG headers declare, each read where its format puts it: a top-down
// BMP's height is negative; a JPEG's frame header holds the height before the width.
TEST_F(ImageTest, HugeTopDownBmpAndJpegAreRefusedNamingWidthByHeight) {
  const auto encoded = [](const std::string& extension) {
    std::vector<uchar> bytes;
    EXPECT_TRUE(cv::imencode(extension, cv::Mat(3, 4, CV_8UC3, cv::Scalar(1, 2, 3)), bytes));
    return std::string(bytes.begin(), bytes.end());
  };
  std::string bmp = encoded(".bmp");
  ASSERT_EQ(bmp[14], 40);                                  // BITMAPINFOHEADER
  bmp.replace(18, 4, std::string("\x00\x80\x00\x00", 4));  // width 32768
  bmp.replace(22, 4, std::string("\x00\x80\xff\xff", 4));  // height -32768: top-down
  const std::string bmp_path = Path("huge.bmp");
  std::ofstream(bmp_path, std::ios::binary) << bmp;
  ExpectError<InputError>([&] { ReadPriorMap(bmp_path); }, bmp_path,
                          "declares a 32768x32768 image, more than the 67108864 pixels borex "
                          "reads");
  std::string jpeg = encoded(".jpg");
  const size_t sof = jpeg.find("\xff\xc0");  // baseline frame header: length, precision, H, W
  ASSERT_NE(sof, std::string::npos);
  jpeg.replace(sof + 5, 4, std::string("\x08\x00\xff\xff", 4));  // height 2048, width 65535
  const std::string jpeg_path = Path("huge.jpg");
  std::ofstream(jpeg_path, std::ios::binary) << jpeg;
  ExpectError<InputError>([&] { ReadImageRgb(jpeg_path); }, jpeg_path,
                          "declares a 65535x2048 image, more than the 67108864 pixels borex "
                          "reads");
}

}  // namespace
}  // namespace borex::io
