#include "borex/mask/infill.h"

#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

#include "borex/core/error.h"

namespace borex::mask {
namespace {

const cv::Vec3f kMean(0.485f, 0.456f, 0.406f);
const Infill kAll[] = {Infill::kBlack, Infill::kMean, Infill::kBlur, Infill::kNoise,
                       Infill::kInpaint};

cv::Mat RandomImage(int rows, int cols, int seed) {
  cv::Mat image(rows, cols, CV_32FC3);
  cv::RNG(seed).fill(image, cv::RNG::UNIFORM, 0.0, 1.0);
  return image;
}

cv::Mat Uniform(int rows, int cols, const cv::Vec3f& colour) {
  return cv::Mat(rows, cols, CV_32FC3, cv::Scalar(colour[0], colour[1], colour[2]));
}

// A hidden region: the rectangle set to 255.
cv::Mat Hidden(cv::Size size, const cv::Rect& rect) {
  cv::Mat hidden(size, CV_8UC1, cv::Scalar(0));
  hidden(rect).setTo(255);
  return hidden;
}

float MaxDifference(const cv::Vec3f& a, const cv::Vec3f& b) {
  return std::max({std::abs(a[0] - b[0]), std::abs(a[1] - b[1]), std::abs(a[2] - b[2])});
}

TEST(InfillTest, ParsesEveryNameAndNamesTheFlagInErrors) {
  for (const Infill infill : kAll) EXPECT_EQ(ParseInfill(InfillName(infill), "--infill"), infill);
  EXPECT_EQ(InfillName(Infill::kInpaint), "inpaint");
  EXPECT_EQ(ParseInfill("blur", "--substrate"), Infill::kBlur);
  try {
    ParseInfill("grey", "--prior-infill");
    FAIL();
  } catch (const OptionError& e) {
    EXPECT_EQ(std::string(e.what()),
              "--prior-infill: 'grey' is not one of black, mean, blur, noise, inpaint");
  }
  EXPECT_THROW(ParseInfill("Black", "--infill"), OptionError);
  EXPECT_THROW(ParseInfill("", "--infill"), OptionError);
}

TEST(InfillTest, OnlyInpaintDependsOnTheMask) {
  for (const Infill infill : kAll)
    EXPECT_EQ(InfillIsMaskIndependent(infill), infill != Infill::kInpaint) << InfillName(infill);
  const Infiller inpaint(RandomImage(8, 8, 1), Infill::kInpaint, kMean, 8, 0);
  EXPECT_THROW(inpaint.fill(), Error);
}

// Every in-fill with a hard mask: visible pixels untouched bit for bit, hidden ones as documented.
TEST(InfillTest, HardMaskKeepsVisiblePixelsAndFillsHiddenOnesAsDocumented) {
  const cv::Mat image = RandomImage(30, 40, 2);
  const cv::Rect rect(7, 5, 12, 9);
  const cv::Mat hidden = Hidden(image.size(), rect);
  cv::Mat blurred;
  cv::GaussianBlur(image, blurred, cv::Size(11, 11), 5.0);
  for (const Infill infill : kAll) {
    const Infiller infiller(image, infill, kMean, image.rows, 3);
    EXPECT_EQ(infiller.infill(), infill);
    EXPECT_EQ(infiller.image().data, image.data);
    cv::Mat out;
    infiller.ApplyHidden(hidden, out);
    ASSERT_EQ(out.type(), CV_32FC3);
    ASSERT_EQ(out.size(), image.size());
    for (int r = 0; r < image.rows; ++r)
      for (int c = 0; c < image.cols; ++c) {
        const cv::Vec3f pixel = out.at<cv::Vec3f>(r, c);
        if (!rect.contains({c, r})) {
          ASSERT_EQ(pixel, image.at<cv::Vec3f>(r, c)) << InfillName(infill) << r << "," << c;
          continue;
        }
        switch (infill) {
          case Infill::kBlack:
            ASSERT_EQ(pixel, cv::Vec3f(0, 0, 0));
            break;
          case Infill::kMean:
            ASSERT_EQ(pixel, kMean);
            break;
          case Infill::kBlur:
            ASSERT_EQ(pixel, blurred.at<cv::Vec3f>(r, c));
            break;
          case Infill::kNoise:
            ASSERT_EQ(pixel, infiller.fill().at<cv::Vec3f>(r, c));
            for (int k = 0; k < 3; ++k) ASSERT_TRUE(pixel[k] >= 0 && pixel[k] <= 1);
            break;
          case Infill::kInpaint:
            for (int k = 0; k < 3; ++k) ASSERT_TRUE(pixel[k] >= 0 && pixel[k] <= 1);
            break;
        }
      }
    if (InfillIsMaskIndependent(infill)) {
      EXPECT_EQ(infiller.FillFor(hidden).data, infiller.fill().data) << "shared, not copied";
    }
  }
}

TEST(InfillTest, NoiseIsUniformAndDeterministicUnderTheSeed) {
  const cv::Mat image = RandomImage(40, 50, 4);
  const cv::Mat a = Infiller(image, Infill::kNoise, kMean, 40, 7).fill();
  const cv::Mat b = Infiller(image, Infill::kNoise, kMean, 40, 7).fill();
  const cv::Mat c = Infiller(image, Infill::kNoise, kMean, 40, 8).fill();
  EXPECT_EQ(cv::norm(a, b, cv::NORM_INF), 0.0);
  EXPECT_GT(cv::norm(a, c, cv::NORM_INF), 0.5);
  double low = 0, high = 0;
  cv::minMaxLoc(a.reshape(1), &low, &high);
  EXPECT_GE(low, 0.0);
  EXPECT_LE(high, 1.0);
  EXPECT_LT(low, 0.01);
  EXPECT_GT(high, 0.99);
  const cv::Scalar mean = cv::mean(a);
  for (int k = 0; k < 3; ++k) EXPECT_NEAR(mean[k], 0.5, 0.02);
  // Not the image: the noise does not depend on it.
  EXPECT_EQ(cv::norm(a, Infiller(RandomImage(40, 50, 5), Infill::kNoise, kMean, 40, 7).fill(),
                     cv::NORM_INF),
            0.0);
}

// Telea's 8-bit inpainting is off by up to 2 levels of 255 on a uniform colour (plus half a level
// rounding to 8 bits).
TEST(InfillTest, InpaintFillsAHoleInAUniformImageWithItsColour) {
  const cv::Vec3f colour(0.2f, 0.6f, 0.8f);
  const cv::Mat image = Uniform(32, 32, colour);
  const cv::Rect rect(10, 12, 9, 8);
  const Infiller infiller(image, Infill::kInpaint, kMean, 32, 0);
  const cv::Mat fill = infiller.FillFor(Hidden(image.size(), rect));
  for (int r = rect.y; r < rect.y + rect.height; ++r)
    for (int c = rect.x; c < rect.x + rect.width; ++c)
      EXPECT_LE(MaxDifference(fill.at<cv::Vec3f>(r, c), colour), 3.01f / 255) << r << "," << c;
}

TEST(InfillTest, InpaintTakesEachSideFromItsNeighbours) {
  const cv::Vec3f red(1, 0, 0), blue(0, 0, 1);
  cv::Mat image = Uniform(40, 40, red);
  image.colRange(20, 40).setTo(cv::Scalar(blue[0], blue[1], blue[2]));
  const cv::Rect rect(14, 14, 12, 12);  // columns 14..25 across the edge at 20
  const Infiller infiller(image, Infill::kInpaint, kMean, 40, 0);
  const cv::Mat fill = infiller.FillFor(Hidden(image.size(), rect));
  for (int r = rect.y; r < rect.y + rect.height; ++r) {
    const cv::Vec3f left = fill.at<cv::Vec3f>(r, rect.x), right = fill.at<cv::Vec3f>(r, 25);
    EXPECT_GT(left[0], 0.75f) << r;
    EXPECT_LT(left[2], 0.25f) << r;
    EXPECT_GT(right[2], 0.75f) << r;
    EXPECT_LT(right[0], 0.25f) << r;
  }
}

TEST(InfillTest, InpaintOfAFrameWithNothingVisibleIsTheMeanColour) {
  const cv::Mat image = RandomImage(20, 10, 6);  // two frames of 10 rows
  const Infiller infiller(image, Infill::kInpaint, kMean, 10, 0);
  cv::Mat hidden(image.size(), CV_8UC1, cv::Scalar(255));
  hidden.rowRange(10, 20).setTo(0);
  hidden.at<uchar>(15, 5) = 255;  // frame 1: one hidden pixel, inpainted from its frame
  cv::Mat out;
  infiller.ApplyHidden(hidden, out);
  for (int r = 0; r < 10; ++r)
    for (int c = 0; c < 10; ++c) ASSERT_EQ(out.at<cv::Vec3f>(r, c), kMean);
  for (int r = 10; r < 20; ++r)
    for (int c = 0; c < 10; ++c)
      if (r != 15 || c != 5) {
        ASSERT_EQ(out.at<cv::Vec3f>(r, c), image.at<cv::Vec3f>(r, c));
      }
  EXPECT_NE(out.at<cv::Vec3f>(15, 5), kMean);
}

// Soft masks: exactly the image where keep = 1, exactly the fill where keep = 0, linear between.
TEST(InfillTest, SoftMasksBlendLinearly) {
  const cv::Mat image = RandomImage(16, 18, 7);
  cv::Mat keep(image.size(), CV_32FC1);
  cv::randu(keep, 0.0, 1.0);
  keep.rowRange(0, 4).setTo(1);
  keep.rowRange(12, 16).setTo(0);
  for (const Infill infill : kAll) {
    const Infiller infiller(image, infill, kMean, image.rows, 11);
    const cv::Mat fill = infiller.FillFor(keep < 0.5);
    cv::Mat out(image.size(), CV_32FC3);
    const uchar* buffer = out.data;
    infiller.Apply(keep, out);
    EXPECT_EQ(out.data, buffer) << "reused";
    for (int r = 0; r < image.rows; ++r)
      for (int c = 0; c < image.cols; ++c) {
        const float m = keep.at<float>(r, c);
        const cv::Vec3f x = image.at<cv::Vec3f>(r, c), f = fill.at<cv::Vec3f>(r, c),
                        o = out.at<cv::Vec3f>(r, c);
        if (m == 1)
          ASSERT_EQ(o, x) << InfillName(infill);
        else if (m == 0)
          ASSERT_EQ(o, f) << InfillName(infill);
        else
          ASSERT_LE(MaxDifference(o, m * x + (1 - m) * f), 1e-6f) << InfillName(infill);
      }
  }
  // Black: m·x exactly.
  cv::Mat out, keep3;
  Infiller(image, Infill::kBlack, kMean, image.rows, 0).Apply(keep, out);
  cv::merge(std::vector<cv::Mat>{keep, keep, keep}, keep3);
  EXPECT_LE(cv::norm(out, image.mul(keep3), cv::NORM_INF), 1e-6);
}

TEST(InfillTest, CuboidOnAOneFrameClipEqualsTheBox) {
  const cv::Mat image = RandomImage(24, 20, 8);
  const PixelBox box = SquareBox(9, 6, 7, 24, 20);
  for (const Infill infill : kAll) {
    const Infiller infiller(image, infill, kMean, 24, 5);
    for (const bool keep_only : {false, true}) {
      cv::Mat hidden = Hidden(image.size(), box.rect());
      if (keep_only) hidden = 255 - hidden;
      cv::Mat expected, from_box, actual;
      infiller.ApplyHidden(hidden, expected);
      OccludeBox(image, box, keep_only, infiller.FillFor(hidden), from_box);
      infiller.ApplyCuboid(Cuboid{box, 0, 1}, keep_only, actual);
      EXPECT_EQ(cv::norm(expected, actual, cv::NORM_INF), 0.0) << InfillName(infill) << keep_only;
      EXPECT_EQ(cv::norm(from_box, actual, cv::NORM_INF), 0.0) << InfillName(infill) << keep_only;
    }
  }
}

TEST(InfillTest, CuboidHidesOnlyItsFrames) {
  constexpr int rows = 10, cols = 12;
  const cv::Mat clip = RandomImage(3 * rows, cols, 9);
  const Cuboid cuboid{SquareBox(5, 6, 4, rows, cols), 1, 1};
  for (const Infill infill : kAll) {
    const Infiller infiller(clip, infill, kMean, rows, 5);
    cv::Mat hidden, only;
    infiller.ApplyCuboid(cuboid, false, hidden);
    infiller.ApplyCuboid(cuboid, true, only);
    for (const int frame : {0, 2}) {
      const cv::Range band(frame * rows, (frame + 1) * rows);
      EXPECT_EQ(cv::norm(hidden.rowRange(band), clip.rowRange(band), cv::NORM_INF), 0.0);
      EXPECT_GT(cv::norm(only.rowRange(band), clip.rowRange(band), cv::NORM_INF), 0.0);
    }
    const cv::Rect square = cuboid.square.rect() + cv::Point(0, rows);
    EXPECT_EQ(cv::norm(only(square), clip(square), cv::NORM_INF), 0.0) << InfillName(infill);
    EXPECT_GT(cv::norm(hidden(square), clip(square), cv::NORM_INF), 0.0) << InfillName(infill);
  }
}

// A 2-frame clip, one colour per frame: blur and inpaint never take pixels of the other frame.
TEST(InfillTest, FramesDoNotMixInBlurOrInpaint) {
  constexpr int rows = 16, cols = 16;
  const cv::Vec3f top(0.9f, 0.1f, 0.1f), bottom(0.1f, 0.1f, 0.9f);
  cv::Mat clip(2 * rows, cols, CV_32FC3);
  clip.rowRange(0, rows).setTo(cv::Scalar(top[0], top[1], top[2]));
  clip.rowRange(rows, 2 * rows).setTo(cv::Scalar(bottom[0], bottom[1], bottom[2]));
  clip.at<cv::Vec3f>(3, 4) = cv::Vec3f(0.5f, 0.5f, 0.5f);  // some structure for the blur

  const cv::Mat blur = Infiller(clip, Infill::kBlur, kMean, rows, 0).fill();
  for (int frame = 0; frame < 2; ++frame) {
    const cv::Range band(frame * rows, (frame + 1) * rows);
    cv::Mat expected;
    cv::GaussianBlur(clip.rowRange(band).clone(), expected, cv::Size(11, 11), 5.0);
    EXPECT_EQ(cv::norm(blur.rowRange(band), expected, cv::NORM_INF), 0.0) << frame;
  }

  // Holes at the frames' shared edge: the last rows of frame 0 and the first rows of frame 1.
  cv::Mat hidden(clip.size(), CV_8UC1, cv::Scalar(0));
  hidden(cv::Rect(4, rows - 5, 8, 10)).setTo(255);
  const cv::Mat fill = Infiller(clip, Infill::kInpaint, kMean, rows, 0).FillFor(hidden);
  for (int r = rows - 5; r < rows + 5; ++r)
    for (int c = 4; c < 12; ++c)
      EXPECT_LE(MaxDifference(fill.at<cv::Vec3f>(r, c), r < rows ? top : bottom), 3.01f / 255)
          << r << "," << c;
}

TEST(InfillTest, RejectsBadInput) {
  const cv::Mat image = RandomImage(10, 10, 10);
  EXPECT_THROW((void)Infiller(cv::Mat(10, 10, CV_8UC3), Infill::kBlack, kMean, 10, 0), Error);
  EXPECT_THROW((void)Infiller(image, Infill::kBlack, kMean, 3, 0),
               Error);  // 10 rows: not frames of 3
  const Infiller infiller(image, Infill::kInpaint, kMean, 10, 0);
  EXPECT_THROW(infiller.FillFor(cv::Mat(5, 5, CV_8UC1, cv::Scalar(0))), Error);
  cv::Mat out;
  EXPECT_THROW(infiller.Apply(cv::Mat(10, 10, CV_8UC1), out), Error);
}

}  // namespace
}  // namespace borex::mask
