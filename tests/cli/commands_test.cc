// The commands' own conversions of their flags (Job() and Options() of src/cli/*_command.cc),
// parsed in process: what each command adds to the shared flags of common_options_test.cc.
#include "commands.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "borex/core/error.h"
#include "support/message_of.h"
#include "support/parse_command.h"

namespace borex::cli {
namespace {

using testing::MessageOf;
using testing::ParseCommand;

app::RefineJobOptions RefineJob(const std::vector<std::string>& flags) {
  return ParseCommand(&AddRefineCommandFlags, {"--model", "m.pt", "--out", "o"}, flags)
      ->flags->Job();
}

app::ExplainJobOptions ExplainJob(const std::vector<std::string>& flags) {
  return ParseCommand(&AddExplainCommandFlags, {"--model", "m.pt", "--out", "o"}, flags)
      ->flags->Job();
}

app::BatchOptions BatchOptionsOf(const std::vector<std::string>& flags) {
  return ParseCommand(&AddBatchCommandFlags, {"--model", "m.pt", "--split", "val", "--out", "o"},
                      flags)
      ->flags->Options();
}

app::EvaluateJobOptions EvaluateJob(const std::vector<std::string>& flags) {
  return ParseCommand(&AddEvaluateCommandFlags, {"--model", "m.pt", "--saliency", "s.npy"}, flags)
      ->flags->Job();
}

// A clip's GP is the squares' unless --gp-over pixels: the refine and batch commands tell the
// flags whether they run clips.
TEST(CommandsTest, RefineAndBatchRefuseThePixelFieldsOptionsForAClip) {
  const std::string refused = "--level-set-segments: needs the pixel field (for a clip";
  EXPECT_EQ(MessageOf<OptionError>([] {
              RefineJob({"--video", "clip.mp4", "--level-set-segments", "100"});
            }).rfind(refused, 0),
            0u);
  EXPECT_EQ(MessageOf<OptionError>([] {
              BatchOptionsOf({"--video-root", "clips", "--level-set-segments", "100"});
            }).rfind(refused, 0),
            0u);
  EXPECT_EQ(RefineJob({"--level-set-segments", "100"}).refine.level_set_segments, 100);
  EXPECT_EQ(BatchOptionsOf({"--voc-root", "voc", "--level-set-segments", "100"})
                .refine.level_set_segments,
            100);
}

// --prior-infill applies only where the prior is computed by a method that hides pixels.
TEST(CommandsTest, RefineTakesThePriorsInfillOnlyWhereThePriorHidesPixels) {
  for (const std::vector<std::string>& prior : std::vector<std::vector<std::string>>{
           {"--prior", "p.npy"}, {"--prior-method", "none"}, {"--prior-method", "gradcam++"}}) {
    SCOPED_TRACE(prior.front() + " " + prior.back());
    EXPECT_EQ(MessageOf<OptionError>([&] {
                RefineJob({prior.front(), prior.back(), "--prior-infill", "blur"});
              }).rfind("--prior-infill: the prior hides no pixels", 0),
              0u);
  }
  const app::RefineJobOptions job =
      RefineJob({"--prior-method", "opticam", "--prior-infill", "blur"});
  EXPECT_EQ(job.prior.rise.infill, mask::Infill::kBlur);
  EXPECT_EQ(job.prior.optimising_infill, mask::Infill::kBlur);
  EXPECT_EQ(job.prior.infill_flag, "--prior-infill");
  // Not given, each method keeps its own default in-fill.
  const app::RefineJobOptions defaults = RefineJob({});
  const explain::ExplainOptions prior = explain::ExplainOptions::Prior();
  EXPECT_EQ(defaults.prior.rise.infill, prior.rise.infill);
  EXPECT_EQ(defaults.prior.optimising_infill, prior.optimising_infill);
  EXPECT_NE(prior.rise.infill, prior.optimising_infill);
}

TEST(CommandsTest, RefineAndExplainApplyTheirOwnMethodsFlags) {
  const app::RefineJobOptions refine =
      RefineJob({"--opticam-normalization", "minmax", "--colormap", "turbo"});
  EXPECT_EQ(refine.prior.opticam.normalization, explain::CamNormalization::kMinMax);
  EXPECT_EQ(refine.common.render.colormap, io::Colormap::kTurbo);
  EXPECT_EQ(RefineJob({}).prior.opticam.normalization, explain::CamNormalization::kMax);

  const app::ExplainJobOptions explain =
      ExplainJob({"--method", "opticam", "--score", "logit", "--opticam-normalization", "minmax",
                  "--rise-infill", "noise", "--colormap", "turbo"});
  EXPECT_EQ(explain.explain.method, explain::Method::kOptiCam);
  EXPECT_EQ(explain.explain.rise.score, model::ScoreKind::kLogit);
  EXPECT_EQ(explain.explain.opticam.normalization, explain::CamNormalization::kMinMax);
  EXPECT_EQ(explain.explain.rise.infill, mask::Infill::kNoise);
  EXPECT_EQ(explain.explain.optimising_infill, mask::Infill::kNoise);
  EXPECT_EQ(explain.explain.infill_flag, "--rise-infill");
  EXPECT_EQ(explain.common.render.colormap, io::Colormap::kTurbo);
  EXPECT_EQ(MessageOf<OptionError>([] {
              ExplainJob({"--method", "gradcam", "--infill", "blur"});
            }).rfind("--rise-infill: gradcam hides no pixels", 0),
            0u);
}

TEST(CommandsTest, BatchAndEvaluateTakeTheMetricsSubstrate) {
  EXPECT_EQ(BatchOptionsOf({"--voc-root", "voc"}).metrics.infill, mask::Infill::kBlack);
  EXPECT_EQ(BatchOptionsOf({"--voc-root", "voc", "--substrate", "blur"}).metrics.infill,
            mask::Infill::kBlur);
  EXPECT_EQ(EvaluateJob({}).metrics.infill, mask::Infill::kBlack);
  EXPECT_EQ(EvaluateJob({"--infill", "mean"}).metrics.infill, mask::Infill::kMean);
}

TEST(CommandsTest, EvaluateKeepsItsBoundsApart) {
  const app::EvaluateJobOptions job = EvaluateJob(
      {"--fail-below", "insertion=0.5", "f_measure=0.2", "--fail-above", "deletion=0.25"});
  using Bounds = std::vector<std::pair<std::string, double>>;
  EXPECT_EQ(job.fail_below, (Bounds{{"insertion", 0.5}, {"f_measure", 0.2}}));
  EXPECT_EQ(job.fail_above, (Bounds{{"deletion", 0.25}}));
}

}  // namespace
}  // namespace borex::cli
