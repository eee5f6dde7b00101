// RISE on clips (random 3D grids) and the trilinear upsampling of 3D-layer CAMs.
#include <gtest/gtest.h>

#include <cmath>
#include <opencv2/imgproc.hpp>

#include "borex/explain/fido.h"
#include "borex/explain/grad_cam.h"
#include "borex/explain/opti_cam.h"
#include "borex/explain/rise.h"
#include "borex/model/torchscript_classifier.h"
#include "borex/refine/refiner.h"
#include "support/fake_classifier.h"

namespace borex::explain {
namespace {

// PyTorch's F.interpolate(mode="trilinear", align_corners=False), written out per voxel: the
// source coordinate (u + 0.5)·in/out − 0.5, clamped at 0, and linear weights on each axis.
double Trilinear(const cv::Mat& map, int depth, int t, int y, int x, int frames, cv::Size size) {
  const int rows = map.rows / depth, cols = map.cols;
  auto axis = [](int u, int in, int out, int& low, int& high, double& w) {
    const double s = std::max(0.0, (u + 0.5) * in / out - 0.5);
    low = std::min(static_cast<int>(s), in - 1);
    high = std::min(low + 1, in - 1);
    w = s - low;
  };
  int t0, t1, y0, y1, x0, x1;
  double wt, wy, wx;
  axis(t, depth, frames, t0, t1, wt);
  axis(y, rows, size.height, y0, y1, wy);
  axis(x, cols, size.width, x0, x1, wx);
  auto at = [&](int d, int r, int c) {
    return static_cast<double>(map.at<float>(d * rows + r, c));
  };
  auto plane = [&](int d) {
    return (1 - wy) * ((1 - wx) * at(d, y0, x0) + wx * at(d, y0, x1)) +
           wy * ((1 - wx) * at(d, y1, x0) + wx * at(d, y1, x1));
  };
  return (1 - wt) * plane(t0) + wt * plane(t1);
}

TEST(UpsampleClipMapTest, EqualsTrilinearInterpolationWithoutCornerAlignment) {
  constexpr int depth = 3, rows = 4, cols = 5, frames = 8;
  const cv::Size size(15, 12);
  cv::Mat map(depth * rows, cols, CV_32FC1);
  cv::randu(map, 0, 1);
  const cv::Mat up = UpsampleClipMap(map, depth, frames, size);
  ASSERT_EQ(up.size(), cv::Size(15, frames * 12));
  for (int t = 0; t < frames; ++t)
    for (int y = 0; y < size.height; ++y)
      for (int x = 0; x < size.width; ++x)
        EXPECT_NEAR(up.at<float>(t * size.height + y, x),
                    Trilinear(map, depth, t, y, x, frames, size), 1e-5)
            << t << "," << y << "," << x;
}

TEST(UpsampleClipMapTest, OneFrameIsPlainBilinearResizing) {
  cv::Mat map(3, 4, CV_32FC1);
  cv::randu(map, 0, 1);
  cv::Mat expected;
  cv::resize(map, expected, cv::Size(8, 6), 0, 0, cv::INTER_LINEAR);
  EXPECT_EQ(cv::norm(UpsampleClipMap(map, 1, 1, cv::Size(8, 6)), expected, cv::NORM_INF), 0.0);
}

// RISE extended to clips puts its mass on the region the model watches, in the frames it
// watches, and on nothing else, whether hidden voxels become the mean colour or black.
TEST(VideoRiseTest, SaliencyLiesOnTheWatchedRegionInTheWatchedFrames) {
  constexpr int frames = 8, rows = 24, cols = 24;
  const cv::Rect region(14, 4, 6, 6);
  cv::Mat clip(frames * rows, cols, CV_32FC3, cv::Scalar::all(0.5));
  for (int t = 0; t < frames; ++t) clip(region + cv::Point(0, t * rows)).setTo(cv::Scalar::all(1));
  for (const auto& [seed, infill] :
       {std::pair{0u, mask::Infill::kMean}, std::pair{1u, mask::Infill::kMean},
        std::pair{2u, mask::Infill::kBlack}}) {
    // Hidden voxels become 0 or the mean colour 0.5: the gain spans logits -4..4 between the
    // region hidden and shown, and the probability is 0.5 when half of it is visible.
    const double fill = infill == mask::Infill::kMean ? 0.5 : 0.0, gain = 8.0 / (1 - fill);
    testing::VideoRegionClassifier model(frames, rows, region, 2, 4, gain, -gain * (1 + fill) / 2);
    RiseOptions options;
    options.infill = infill;
    options.masks = 1500;
    options.grid = 4;
    options.grid_frames = 4;
    options.seed = seed;
    const cv::Mat map = ComputeRise(model, clip, 0, options);
    ASSERT_EQ(map.size(), clip.size());
    double watched = 0, unwatched = 0;
    for (int t = 0; t < frames; ++t) {
      const double value = cv::mean(map(region + cv::Point(0, t * rows)))[0];
      (t >= 2 && t <= 4 ? watched : unwatched) += value;
    }
    watched /= 3;
    unwatched /= 5;
    cv::Mat outside(map.size(), CV_8U, cv::Scalar(255));
    for (int t = 0; t < frames; ++t) outside(region + cv::Point(0, t * rows)).setTo(0);
    const double elsewhere = cv::mean(map, outside)[0];
    EXPECT_GT(watched, unwatched * 1.1) << seed;
    EXPECT_GT(watched, elsewhere * 1.1) << seed;
    // The same seed, the same map.
    EXPECT_EQ(cv::norm(map, ComputeRise(model, clip, 0, options), cv::NORM_INF), 0.0);
  }
}

// The same on the TorchScript video test model (tests/data/video_region_model.json: rows
// 8..15, cols 16..23 of frames 2..4 of 8 frames of 32x32), and BOREx refining that map.
TEST(VideoRiseTest, TorchScriptRegionModelGetsItsSaliencyThereFromRiseAndFromBorex) {
  model::ModelOptions options;
  options.path = std::string(BOREX_SOURCE_DIR) + "/tests/data/video_region_model.pt";
  options.threads = 1;
  model::TorchScriptClassifier classifier(options);
  const cv::Rect region(16, 8, 8, 8);
  cv::Mat clip(8 * 32, 32, CV_32FC3, cv::Scalar::all(0.3));
  for (int t = 0; t < 8; ++t) clip(region + cv::Point(0, t * 32)).setTo(cv::Scalar::all(0.6));
  RiseOptions rise;
  rise.masks = 600;
  rise.grid = 4;
  const cv::Mat prior = ComputeRise(classifier, clip, 0, rise);
  refine::RefineOptions refine_options;
  // Cuboids deep and wide enough to cover the watched region: the flipped observation of one
  // that does is +1, of one that misses it -1.
  refine_options.iterations = 30;
  refine_options.mask_sizes = refine::ParseMaskSizes("8,12");
  refine_options.mask_frames = {3, 4};
  refine_options.kappa = 1.0;  // 30 steps: exploit near the prior (κ = 10 explores for longer)
  const cv::Mat refined = refine::RunRefinement(classifier, clip, 0, prior, refine_options).map;
  for (const cv::Mat* map : {&prior, &refined}) {
    cv::Mat outside(map->size(), CV_8U, cv::Scalar(255));
    double watched = 0;
    for (int t = 2; t <= 4; ++t) {
      watched += cv::mean((*map)(region + cv::Point(0, t * 32)))[0] / 3;
      outside(region + cv::Point(0, t * 32)).setTo(0);
    }
    EXPECT_GT(watched, cv::mean(*map, outside)[0] + 1e-4) << (map == &prior ? "RISE" : "BOREx");
  }
}

TEST(VideoGradCamTest, TheMapCoversEveryFrameAtTheInputResolution) {
  model::ModelOptions options;
  options.path = std::string(BOREX_SOURCE_DIR) + "/tests/data/tiny_video_cam.pt";
  options.threads = 1;
  model::TorchScriptClassifier classifier(options);
  cv::Mat clip(8 * 16, 16, CV_32FC3);
  cv::randu(clip, 0, 1);
  GradCamOptions cam;
  cam.variant = CamVariant::kGradCamPlusPlus;
  const cv::Mat map = ComputeGradCam(classifier, clip, 1, cam);
  ASSERT_EQ(map.size(), clip.size());
  // The layer's CAM upsampled over every frame, divided by its maximum.
  const model::LayerGradients layer =
      classifier.TargetLayerGradients(clip, 1, ResolveTargetLayer(classifier, cam.target_layer));
  const cv::Mat raw =
      UpsampleClipMap(CamFromGradients(layer, cam.variant), layer.depth, 8, cv::Size(16, 16));
  double low, high, raw_high;
  cv::minMaxLoc(map, &low, &high);
  cv::minMaxLoc(raw, nullptr, &raw_high);
  ASSERT_GT(raw_high, 0.0);
  EXPECT_GE(low, 0.0);
  EXPECT_FLOAT_EQ(static_cast<float>(high), 1.0f);
  EXPECT_LT(cv::norm(map, raw / raw_high, cv::NORM_INF), 1e-6);
}

TEST(VideoOptiCamTest, OptimisesThe3DLayerAndGrowsTheMaskedLogit) {
  // tiny_video_cam.pt's target layer is 3D ([1, 6, 8, 8, 8]): the weights combine d x h x w maps
  // upsampled trilinearly; Adam must not lower the masked logit from the uniform start.
  model::ModelOptions options;
  options.path = std::string(BOREX_SOURCE_DIR) + "/tests/data/tiny_video_cam.pt";
  options.threads = 1;
  model::TorchScriptClassifier classifier(options);
  cv::Mat clip(8 * 16, 16, CV_32FC3);
  cv::randu(clip, 0, 1);
  const cv::Mat black = cv::Mat::zeros(clip.size(), CV_32FC3);
  OptiCamOptions opticam;
  opticam.iterations = 1;
  const double start = ComputeOptiCam(classifier, clip, 1, opticam, black).logit;
  opticam.iterations = 30;
  const OptiCamResult result = ComputeOptiCam(classifier, clip, 1, opticam, black);
  ASSERT_EQ(result.map.size(), clip.size());
  EXPECT_EQ(result.weights.size(), 6);
  double low, high;
  cv::minMaxLoc(result.map, &low, &high);
  EXPECT_GE(low, 0.0);
  EXPECT_NEAR(high, 1.0, 1e-6);
  EXPECT_GT(result.logit, start);
}

TEST(VideoFidoTest, SmallestDestroyingRegionIsTheCuboidTheModelWatches) {
  // video_region_model.pt: logit 0 = 20 · mean over frames 2..4, rows 8..15, cols 16..23 − 5.
  model::ModelOptions options;
  options.path = std::string(BOREX_SOURCE_DIR) + "/tests/data/video_region_model.pt";
  options.threads = 1;
  model::TorchScriptClassifier classifier(options);
  cv::Mat clip(8 * 32, 32, CV_32FC3, cv::Scalar::all(0.25));
  const cv::Rect region(16, 8, 8, 8);
  for (int t = 2; t <= 4; ++t) clip(region + cv::Point(0, t * 32)).setTo(cv::Scalar::all(1.0));
  FidoOptions fido;
  fido.objective = FidoObjective::kSmallestDestroying;
  fido.iterations = 150;
  const cv::Mat map = ComputeFido(classifier, clip, 0, fido, cv::Mat::zeros(clip.size(), CV_32FC3));
  ASSERT_EQ(map.size(), clip.size());
  for (int t = 0; t < 8; ++t) {
    const double inside = cv::mean(map(region + cv::Point(0, t * 32)))[0];
    if (t >= 2 && t <= 4)
      EXPECT_GT(inside, 0.7) << "frame " << t;
    else
      EXPECT_LT(inside, 0.2) << "frame " << t;  // the same pixels in frames it ignores
  }
}

}  // namespace
}  // namespace borex::explain
