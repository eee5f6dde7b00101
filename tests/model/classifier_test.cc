// The scores every method reads off a model's logits (model/classifier.cc), against closed forms.
#include "borex/model/classifier.h"

#include <gtest/gtest.h>

#include <cmath>

namespace borex::model {
namespace {

TEST(ClassScoresTest, ProbabilityLogitAndLogOddsEqualTheirClosedForms) {
  Eigen::MatrixXf logits(2, 3);
  logits << 1.0f, 2.0f, -0.5f,  //
      0.0f, 0.0f, 0.0f;
  const double sum = std::exp(1.0) + std::exp(2.0) + std::exp(-0.5);
  const double p = std::exp(1.0) / sum;  // class 0 of the first row
  const Eigen::VectorXf probability = ClassScores(logits, 0, ScoreKind::kProbability);
  EXPECT_NEAR(probability[0], p, 1e-6);
  EXPECT_NEAR(probability[1], 1.0 / 3, 1e-6);
  EXPECT_FLOAT_EQ(ClassScores(logits, 1, ScoreKind::kLogit)[0], 2.0f);
  // log(p / (1 − p)): the label against all the other classes together.
  const Eigen::VectorXf log_odds = ClassScores(logits, 0, ScoreKind::kLogOdds);
  EXPECT_NEAR(log_odds[0], std::log(p / (1 - p)), 1e-5);
  EXPECT_NEAR(log_odds[1], std::log(0.5), 1e-6);  // 1/3 against 2/3
}

TEST(ClassScoresTest, LargeLogitsGiveFiniteProbabilities) {
  // exp(1000) overflows a float: the softmax must be taken relative to the row's maximum.
  Eigen::MatrixXf logits(1, 2);
  logits << 1000.0f, 999.0f;
  const Eigen::MatrixXf p = Softmax(logits);
  ASSERT_TRUE(p.allFinite());
  EXPECT_NEAR(p(0, 0), 1 / (1 + std::exp(-1.0)), 1e-6);
  EXPECT_NEAR(p(0, 1), 1 / (1 + std::exp(1.0)), 1e-6);
  EXPECT_NEAR(ClassScores(logits, 0, ScoreKind::kLogOdds)[0], 1.0, 1e-4);
}

}  // namespace
}  // namespace borex::model
