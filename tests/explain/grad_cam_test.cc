#include "borex/explain/grad_cam.h"

#include <gtest/gtest.h>

namespace borex::explain {
namespace {

// Two channels on a 1 x 2 grid, values chosen so every term is easy to compute by hand.
model::LayerGradients HandExample() {
  model::LayerGradients layer;
  layer.channels = 2;
  layer.rows = 1;
  layer.cols = 2;
  layer.activations.resize(2, 2);
  layer.activations << 1, 3,  // A^0
      2, 0;                   // A^1
  layer.gradients.resize(2, 2);
  layer.gradients << 0.5, 1.5,  // g^0
      -1, 2;                    // g^1
  return layer;
}

TEST(CamFromGradientsTest, GradCamEqualsHandComputation) {
  // w0 = (0.5 + 1.5)/2 = 1, w1 = (-1 + 2)/2 = 0.5; map = ReLU(w0 A0 + w1 A1) = [2, 3].
  const cv::Mat map = CamFromGradients(HandExample(), CamVariant::kGradCam);
  EXPECT_FLOAT_EQ(map.at<float>(0, 0), 2.0f);
  EXPECT_FLOAT_EQ(map.at<float>(0, 1), 3.0f);
}

TEST(CamFromGradientsTest, GradCamPlusPlusEqualsHandComputation) {
  // Channel 0: ΣA = 4; α = g²/(2g² + 4g³): g=0.5 → 0.25/(0.5+0.5) = 0.25; g=1.5 → 2.25/(4.5+13.5)
  // = 0.125; w0 = 0.25·0.5 + 0.125·1.5 = 0.3125.
  // Channel 1: ΣA = 2; g=-1 → 1/(2-2) undefined → α = 0; g=2 → 4/(8+16) = 1/6; ReLU(g) weights:
  // w1 = 0·0 + (1/6)·2 = 1/3. map = ReLU([0.3125 + 2/3, 0.9375 + 0]) = [0.97917, 0.9375].
  const cv::Mat map = CamFromGradients(HandExample(), CamVariant::kGradCamPlusPlus);
  EXPECT_NEAR(map.at<float>(0, 0), 0.3125 + 2.0 / 3.0, 1e-6);
  EXPECT_NEAR(map.at<float>(0, 1), 0.9375, 1e-6);
}

TEST(CamFromGradientsTest, NegativeCombinationsAreClippedToZero) {
  model::LayerGradients layer = HandExample();
  layer.gradients *= -1;
  const cv::Mat map = CamFromGradients(layer, CamVariant::kGradCam);
  EXPECT_EQ(cv::countNonZero(map), 0);
}

}  // namespace
}  // namespace borex::explain
