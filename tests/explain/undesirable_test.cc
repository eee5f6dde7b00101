// The undesirable-pixel maps against a brute-force recomputation of their estimators, and on
// the distractor model of scripts/make_test_models.py (planted regions: A supports class 0, the
// distractor B hinders it, C supports class 1).
#include "borex/explain/undesirable.h"

#include <gtest/gtest.h>

#include <cmath>

#include "borex/core/error.h"
#include "borex/explain/method.h"
#include "borex/io/image.h"
#include "borex/mask/rise_masks.h"
#include "borex/metrics/metrics.h"
#include "borex/model/torchscript_classifier.h"
#include "support/fake_classifier.h"

namespace borex::explain {
namespace {

const std::string kData = std::string(BOREX_SOURCE_DIR) + "/tests/data/";

// Three classes with linear logits of three 2x2 regions of an 8x8 image: logit 0 = 4 mean(A)
// - 6 mean(B) + 1, logit 1 = 5 mean(C) - 2, logit 2 = 0.
class ThreeRegionClassifier : public model::Classifier {
 public:
  ThreeRegionClassifier() {
    info_.class_names = {"target", "other", "rest"};
    info_.mean = {0.3f, 0.5f, 0.7f};
  }
  Eigen::MatrixXf Logits(const std::vector<cv::Mat>& images) override {
    Eigen::MatrixXf logits = Eigen::MatrixXf::Zero(static_cast<Eigen::Index>(images.size()), 3);
    auto mean = [](const cv::Mat& image, const cv::Rect& rect) {
      const cv::Scalar m = cv::mean(image(rect));
      return (m[0] + m[1] + m[2]) / 3.0;
    };
    for (size_t n = 0; n < images.size(); ++n) {
      const auto i = static_cast<Eigen::Index>(n);
      logits(i, 0) = static_cast<float>(4 * mean(images[n], a) - 6 * mean(images[n], b) + 1);
      logits(i, 1) = static_cast<float>(5 * mean(images[n], c) - 2);
    }
    model_calls_ += static_cast<long>(images.size());
    return logits;
  }
  model::LayerGradients TargetLayerGradients(const cv::Mat&, int, const std::string&) override {
    throw Error("no layers");
  }
  const model::ModelInfo& info() const override { return info_; }
  int num_classes() const override { return 3; }

  const cv::Rect a{1, 1, 2, 2}, b{5, 1, 2, 2}, c{3, 5, 2, 2};

 private:
  model::ModelInfo info_;
};

cv::Mat TinyImage() {
  cv::Mat image(8, 8, CV_32FC3, cv::Scalar(0.5, 0.4, 0.6));
  for (int r = 0; r < 8; ++r)
    for (int c = 0; c < 8; ++c)
      image.at<cv::Vec3f>(r, c)[(r + c) % 3] = 0.1f * static_cast<float>((r * 8 + c) % 10);
  return image;
}

double Score(const Eigen::MatrixXf& logits, int j, model::ScoreKind kind) {
  return model::ClassScores(logits, j, kind)[0];
}

// The estimators of undesirable.h written out pixel by pixel in double precision, each masked
// image built and scored on its own.
UndesirableMaps BruteForce(const cv::Mat& image, int label, const RiseOptions& options) {
  ThreeRegionClassifier model;
  mask::RiseMaskOptions mask_options;
  mask_options.grid = options.grid;
  mask_options.keep_prob = options.keep_prob;
  mask::RiseMaskGenerator generator(mask_options, image.rows, image.cols, options.seed);
  // A constant in-fill (black or the model's mean): the colour of any hidden pixel.
  const cv::Vec3f fill = options.infill == mask::Infill::kMean ? model.info().mean : cv::Vec3f();
  const Eigen::MatrixXf base_logits = model.Logits({image});
  const Eigen::MatrixXf p = model::Softmax(base_logits);
  const double base = Score(base_logits, label, options.score);
  std::vector<cv::Mat> masks;
  std::vector<double> change, weighted;  // s_c(I⊙M_i) − s_c(I);  Σ_{j≠c} p_j s_j(I⊙M_i)
  for (int i = 0; i < options.masks; ++i) {
    const cv::Mat m = generator.Next();
    cv::Mat masked = image.clone();
    for (int r = 0; r < image.rows; ++r)
      for (int c = 0; c < image.cols; ++c) {
        const float v = m.at<float>(r, c);
        masked.at<cv::Vec3f>(r, c) = v * image.at<cv::Vec3f>(r, c) + (1 - v) * fill;
      }
    const Eigen::MatrixXf logits = model.Logits({masked});
    change.push_back(Score(logits, label, options.score) - base);
    double w = 0;
    for (int j = 0; j < 3; ++j)
      if (j != label) w += p(0, j) * Score(logits, j, options.score);
    weighted.push_back(w);
    masks.push_back(m);
  }
  double mean_weighted = 0;
  for (double w : weighted) mean_weighted += w / options.masks;
  UndesirableMaps maps{cv::Mat(image.size(), CV_32F), cv::Mat(image.size(), CV_32F)};
  for (int r = 0; r < image.rows; ++r)
    for (int c = 0; c < image.cols; ++c) {
      double hinder = 0, hidden = 0, others = 0, shown = 0;
      for (int i = 0; i < options.masks; ++i) {
        const double v = masks[i].at<float>(r, c);
        hinder += change[i] * (1 - v);
        hidden += 1 - v;
        others += weighted[i] * v;
        shown += v;
      }
      maps.hinder.at<float>(r, c) = static_cast<float>(hidden > 0 ? hinder / hidden : 0);
      maps.others.at<float>(r, c) =
          static_cast<float>(shown > 0 ? others / shown - mean_weighted : 0);
    }
  return maps;
}

TEST(UndesirableTest, MatchesTheEstimatorsComputedByHand) {
  for (const model::ScoreKind score : {model::ScoreKind::kProbability, model::ScoreKind::kLogit})
    for (const int label : {0, 1}) {
      RiseOptions options;
      options.masks = 23;
      options.grid = 3;
      options.keep_prob = 0.4;
      options.batch_size = 5;  // not a divisor of 23: the last batch is partial
      options.seed = 11;
      options.score = score;
      options.infill =
          score == model::ScoreKind::kLogit ? mask::Infill::kMean : mask::Infill::kBlack;
      ThreeRegionClassifier model;
      const UndesirableMaps maps = ComputeUndesirable(model, TinyImage(), label, options);
      const UndesirableMaps reference = BruteForce(TinyImage(), label, options);
      ASSERT_EQ(maps.hinder.size(), cv::Size(8, 8));
      ASSERT_EQ(maps.hinder.type(), CV_32FC1);
      ASSERT_EQ(maps.others.size(), cv::Size(8, 8));
      EXPECT_LT(cv::norm(maps.hinder, reference.hinder, cv::NORM_INF), 1e-5) << label;
      EXPECT_LT(cv::norm(maps.others, reference.others, cv::NORM_INF), 1e-5) << label;
      EXPECT_GT(cv::norm(maps.hinder, cv::NORM_INF), 1e-3);  // not trivially zero
      EXPECT_GT(cv::norm(maps.others, cv::NORM_INF), 1e-4);
      EXPECT_EQ(model.model_calls(), 1 + 23);  // the unmasked image, then one pass per mask
    }
}

TEST(UndesirableTest, RejectsBadLabelsAndOptions) {
  ThreeRegionClassifier model;
  RiseOptions options;
  options.masks = 4;
  EXPECT_THROW(ComputeUndesirable(model, TinyImage(), 3, options), Error);
  EXPECT_THROW(ComputeUndesirable(model, TinyImage(), -1, options), Error);
  options.masks = 0;
  EXPECT_THROW(ComputeUndesirable(model, TinyImage(), 0, options), OptionError);
}

TEST(UndesirableTest, ExplainAndPriorsRejectTheTwoMapMethod) {
  EXPECT_EQ(ParseMethod("undesirable", "--method"), Method::kUndesirable);
  EXPECT_EQ(MethodName(Method::kUndesirable), "undesirable");
  ThreeRegionClassifier model;
  ExplainOptions options;
  options.method = Method::kUndesirable;
  try {
    Explain(model, TinyImage(), 0, options);
    FAIL() << "Explain accepted undesirable";
  } catch (const OptionError& e) {
    EXPECT_NE(std::string(e.what()).find("two signed maps"), std::string::npos) << e.what();
  }
  EXPECT_EQ(model.model_calls(), 0);
  try {
    ParseSingleMapMethod("undesirable", "--prior-method");
    FAIL() << "ParseSingleMapMethod accepted undesirable";
  } catch (const OptionError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("--prior-method: undesirable gives two", 0), 0)
        << e.what();
  }
  EXPECT_EQ(ParseSingleMapMethod("rise", "--prior-method"), Method::kRise);
  // An unknown name's error lists what is accepted: not undesirable, and the caller's extra name.
  for (const std::string also : {"", "none"}) {
    try {
      ParseSingleMapMethod("bogus", "--prior-method", also);
      FAIL() << "ParseSingleMapMethod accepted bogus";
    } catch (const OptionError& e) {
      EXPECT_EQ(std::string(e.what()),
                "--prior-method: 'bogus' is not one of rise, pn-rise, gradcam, gradcam++, "
                "opticam, fido-ssr, fido-sdr" +
                    (also.empty() ? std::string() : ", " + also));
    }
  }
}

// The distractor model (tests/data/distractor_model.pt) on its image: p ~ [0.83, 0.17, 0.003].
class DistractorModelTest : public ::testing::Test {
 protected:
  DistractorModelTest() {
    model::ModelOptions options;
    options.path = kData + "distractor_model.pt";
    options.threads = 1;
    classifier_ = std::make_unique<model::TorchScriptClassifier>(options);
    image_ = io::ReadImageRgb(kData + "distractor_image.png");
  }

  static double MeanIn(const cv::Mat& map, const cv::Rect& rect) { return cv::mean(map(rect))[0]; }
  static double MeanOutside(const cv::Mat& map, const cv::Rect& rect) {
    cv::Mat outside(map.size(), CV_8U, cv::Scalar(255));
    outside(rect).setTo(0);
    return cv::mean(map, outside)[0];
  }
  static cv::Point ArgMax(const cv::Mat& map) {
    cv::Point peak;
    cv::minMaxLoc(map, nullptr, nullptr, nullptr, &peak);
    return peak;
  }

  // (x, y, width, height) of rows 4..11 x cols 4..11, rows 4..11 x cols 20..27, rows 20..27 x
  // cols 12..19.
  const cv::Rect a_{4, 4, 8, 8}, b_{20, 4, 8, 8}, c_{12, 20, 8, 8};
  std::unique_ptr<model::TorchScriptClassifier> classifier_;
  cv::Mat image_;
};

TEST_F(DistractorModelTest, HinderPointsAtTheDistractorAndOthersAtTheOtherClass) {
  ASSERT_EQ(image_.size(), cv::Size(32, 32));
  for (const model::ScoreKind score : {model::ScoreKind::kProbability, model::ScoreKind::kLogit})
    for (const uint64_t seed : {0u, 1u}) {
      RiseOptions options;
      options.masks = 2000;
      options.grid = 4;
      options.seed = seed;
      options.score = score;
      options.batch_size = 100;
      const UndesirableMaps maps = ComputeUndesirable(*classifier_, image_, 0, options);
      const std::string what = model::ScoreKindName(score) + " seed " + std::to_string(seed);
      // Hiding B raises class 0; hiding A lowers it.
      EXPECT_GT(MeanIn(maps.hinder, b_), MeanOutside(maps.hinder, b_)) << what;
      EXPECT_TRUE(b_.contains(ArgMax(maps.hinder))) << what << " " << ArgMax(maps.hinder);
      EXPECT_LT(MeanIn(maps.hinder, a_), MeanOutside(maps.hinder, a_)) << what;
      // C is the evidence of class 1.
      EXPECT_GT(MeanIn(maps.others, c_), MeanOutside(maps.others, c_)) << what;
      EXPECT_TRUE(c_.contains(ArgMax(maps.others))) << what << " " << ArgMax(maps.others);
      EXPECT_GT(MeanIn(maps.others, c_), MeanIn(maps.others, b_)) << what;

      // The seed's check: hiding the top 10% of the hinder map (about the distractor's 64 of
      // 1024 pixels and their neighbours) raises the target's score; hiding the top of -hinder
      // (the target's own evidence) lowers it.
      const metrics::MetricOptions metric_options;
      const metrics::HideTop hinder_top = metrics::HideTopChange(
          *classifier_, image_, metrics::RankPixels(maps.hinder), 0, metric_options);
      EXPECT_GT(hinder_top.change, 0.05) << what;
      EXPECT_EQ(hinder_top.pixels, 102);
      const metrics::HideTop support_top = metrics::HideTopChange(
          *classifier_, image_, metrics::RankPixels(-maps.hinder), 0, metric_options);
      EXPECT_LT(support_top.change, -0.05) << what;
    }
}

TEST(UndesirableVideoTest, WorksOnStackedClips) {
  // Logit 0 depends on the region in frames 1..2 of a 4-frame clip: hiding it lowers class 0
  // (hinder < 0 there), and with two classes, showing it lowers the other class (others < 0).
  const int frames = 4, rows = 12, cols = 12;
  const cv::Rect region(4, 4, 4, 4);
  testing::VideoRegionClassifier model(frames, rows, region, 1, 2, 10.0, -5.0);
  const cv::Mat clip(frames * rows, cols, CV_32FC3, cv::Scalar::all(0.8));
  RiseOptions options;
  options.masks = 300;
  options.grid = 3;
  options.grid_frames = 2;
  const UndesirableMaps maps = ComputeUndesirable(model, clip, 0, options);
  ASSERT_EQ(maps.hinder.size(), clip.size());
  ASSERT_EQ(maps.others.size(), clip.size());
  cv::Point low;
  cv::minMaxLoc(maps.hinder, nullptr, nullptr, &low);
  EXPECT_TRUE(low.y / rows >= 1 && low.y / rows <= 2 && region.contains({low.x, low.y % rows}))
      << low;
  cv::minMaxLoc(maps.others, nullptr, nullptr, &low);
  EXPECT_TRUE(low.y / rows >= 1 && low.y / rows <= 2 && region.contains({low.x, low.y % rows}))
      << low;
  EXPECT_EQ(model.model_calls(), 1 + 300);
}

}  // namespace
}  // namespace borex::explain
