#include "borex/explain/soft_mask.h"

#include <gtest/gtest.h>

#include "borex/core/random.h"
#include "borex/explain/grad_cam.h"

namespace borex::explain {
namespace {

Eigen::VectorXf RandomVector(long size, uint64_t seed) {
  Random random(seed);
  Eigen::VectorXf v(size);
  for (long i = 0; i < size; ++i) v[i] = static_cast<float>(random.UniformDouble());
  return v;
}

struct UpsampleCase {
  int depth, rows, cols, frames, frame_rows, frame_cols;
};

class MapUpsamplerTest : public ::testing::TestWithParam<UpsampleCase> {};

TEST_P(MapUpsamplerTest, ApplyEqualsUpsampleClipMap) {
  const UpsampleCase c = GetParam();
  const MapUpsampler upsampler(c.depth, cv::Size(c.cols, c.rows), c.frames,
                               cv::Size(c.frame_cols, c.frame_rows));
  const Eigen::VectorXf grid = RandomVector(static_cast<long>(c.depth) * c.rows * c.cols, 1);
  const cv::Mat expected = UpsampleClipMap(VectorToMap(grid, c.depth * c.rows, c.cols), c.depth,
                                           c.frames, cv::Size(c.frame_cols, c.frame_rows));
  const Eigen::VectorXf upsampled = upsampler.Apply(grid);
  ASSERT_EQ(upsampled.size(), static_cast<long>(expected.total()));
  EXPECT_LT((upsampled - MapToVector(expected)).cwiseAbs().maxCoeff(), 1e-5);
}

TEST_P(MapUpsamplerTest, AdjointSatisfiesTheInnerProductIdentity) {
  // <U a, b> = <a, Uᵀ b> for random a, b: Adjoint is the transpose of Apply.
  const UpsampleCase c = GetParam();
  const MapUpsampler upsampler(c.depth, cv::Size(c.cols, c.rows), c.frames,
                               cv::Size(c.frame_cols, c.frame_rows));
  const Eigen::VectorXf a = RandomVector(upsampler.grid_values(), 2);
  const Eigen::VectorXf b = RandomVector(upsampler.pixels(), 3);
  EXPECT_NEAR(upsampler.Apply(a).dot(b), a.dot(upsampler.Adjoint(b)), 1e-3);
}

INSTANTIATE_TEST_SUITE_P(Shapes, MapUpsamplerTest,
                         ::testing::Values(UpsampleCase{1, 4, 4, 1, 32, 32},
                                           UpsampleCase{1, 3, 5, 1, 20, 17},
                                           UpsampleCase{1, 8, 8, 1, 8, 8},
                                           UpsampleCase{2, 3, 3, 5, 12, 9},
                                           UpsampleCase{4, 2, 2, 4, 6, 6}));

TEST(SoftMaskTest, BlendsImageAndFillAndDifferentiatesTheBlend) {
  cv::Mat image(1, 2, CV_32FC3), fill(1, 2, CV_32FC3), gradient(1, 2, CV_32FC3);
  image.at<cv::Vec3f>(0, 0) = {1, 0.5, 0};
  image.at<cv::Vec3f>(0, 1) = {0.2, 0.4, 0.6};
  fill.setTo(cv::Scalar(0.5, 0.5, 0.5));
  gradient.at<cv::Vec3f>(0, 0) = {1, 2, 3};
  gradient.at<cv::Vec3f>(0, 1) = {-1, 0, 1};
  Eigen::VectorXf keep(2);
  keep << 1.0f, 0.25f;
  const cv::Mat masked = SoftMasked(image, fill, keep);
  EXPECT_EQ(masked.at<cv::Vec3f>(0, 0), image.at<cv::Vec3f>(0, 0));  // kept: untouched
  EXPECT_NEAR(masked.at<cv::Vec3f>(0, 1)[0], 0.5 + 0.25 * (0.2 - 0.5), 1e-6);
  const Eigen::VectorXf d_keep = KeepGradient(gradient, image, fill);
  EXPECT_NEAR(d_keep[0], 1 * 0.5 + 2 * 0 + 3 * -0.5, 1e-6);
  EXPECT_NEAR(d_keep[1], -1 * -0.3 + 0 + 1 * 0.1, 1e-6);
}

}  // namespace
}  // namespace borex::explain
