#include "borex/core/enum_names.h"

#include <gtest/gtest.h>

#include "borex/explain/method.h"
#include "borex/gp/kernel.h"
#include "borex/mask/infill.h"
#include "borex/model/classifier.h"
#include "borex/refine/refine_options.h"
#include "borex/stats/wilcoxon.h"

namespace borex {
namespace {

enum class Colour { kRed, kGreen, kBlue };

TEST(EnumNamesTest, ParsesNamesAliasesAndListsEachValueOnce) {
  const EnumNames<Colour> names{{Colour::kRed, "red"},
                                {Colour::kGreen, "green"},
                                {Colour::kBlue, "blue"},
                                {Colour::kRed, "r"}};
  EXPECT_EQ(names.Parse("green", "--colour"), Colour::kGreen);
  EXPECT_EQ(names.Parse("r", "--colour"), Colour::kRed);
  EXPECT_EQ(names.Name(Colour::kRed), "red");  // the first name is the name
  EXPECT_EQ(names.List(), "red, green, blue");
  try {
    names.Parse("Green", "--colour");
    ADD_FAILURE();
  } catch (const OptionError& e) {
    EXPECT_EQ(std::string(e.what()), "--colour: 'Green' is not one of red, green, blue");
  }
}

// Every enum's name parses back to it: the tables cannot drift from the names they print.
TEST(EnumNamesTest, EveryLibraryEnumRoundTrips) {
  for (auto m :
       {explain::Method::kRise, explain::Method::kPnRise, explain::Method::kGradCam,
        explain::Method::kGradCamPlusPlus, explain::Method::kOptiCam, explain::Method::kFidoSsr,
        explain::Method::kFidoSdr, explain::Method::kUndesirable})
    EXPECT_EQ(explain::ParseMethod(explain::MethodName(m), "--method"), m);
  for (auto i : {mask::Infill::kBlack, mask::Infill::kMean, mask::Infill::kBlur,
                 mask::Infill::kNoise, mask::Infill::kInpaint})
    EXPECT_EQ(mask::ParseInfill(mask::InfillName(i), "--bo-infill"), i);
  for (auto k : {gp::MaternNu::kOneHalf, gp::MaternNu::kThreeHalves, gp::MaternNu::kFiveHalves})
    EXPECT_EQ(gp::ParseMaternNu(gp::MaternName(k)), k);
  for (auto s :
       {model::ScoreKind::kProbability, model::ScoreKind::kLogit, model::ScoreKind::kLogOdds})
    EXPECT_EQ(model::ParseScoreKind(model::ScoreKindName(s)), s);
  for (auto l : {model::VideoLayout::kNCTHW, model::VideoLayout::kNTCHW})
    EXPECT_EQ(model::ParseVideoLayout(model::VideoLayoutName(l), "--video-layout"), l);
  EXPECT_EQ(model::ParseVideoLayout("ntchw", "--video-layout"),
            model::VideoLayout::kNTCHW);  // an alias
  for (auto a :
       {stats::Alternative::kTwoSided, stats::Alternative::kGreater, stats::Alternative::kLess})
    EXPECT_EQ(stats::ParseAlternative(stats::AlternativeName(a), "--alternative"), a);
  for (auto a : {refine::Aggregation::kPointwise, refine::Aggregation::kBox})
    EXPECT_EQ(refine::ParseAggregation(refine::AggregationName(a)), a);
  for (auto a : {refine::Algorithm::kBorex, refine::Algorithm::kMokuwe})
    EXPECT_EQ(refine::ParseAlgorithm(refine::AlgorithmName(a)), a);
  for (const char* preset : {"kriging", "paper", "code", "mokuwe"})
    EXPECT_EQ(refine::RefineOptions::FromPreset(preset).preset, preset);
  EXPECT_THROW(refine::RefineOptions::FromPreset("fast"), OptionError);
}

}  // namespace
}  // namespace borex
