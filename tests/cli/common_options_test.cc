// The flags the commands share (src/cli/common_options.cc), registered on a CLI11 app and parsed
// in process: each flag sets its own field and no other, the refusals, the preprocessing and the
// rendering flags. The end-to-end tests (cli_test.cc) run a few of them through the executable.
#include "common_options.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "borex/core/error.h"
#include "commands.h"
#include "support/parse_command.h"

namespace borex::cli {
namespace {

using refine::RefineOptions;

// The refine command's flags, given after the required ones.
std::unique_ptr<testing::ParsedCommand<RefineCommandFlags>> ParseRefine(
    const std::vector<std::string>& flags) {
  return testing::ParseCommand(&AddRefineCommandFlags,
                               {"--model", "m.pt", "--image", "i.png", "--out", "o"}, flags);
}

RefineOptions RefineOptionsOf(const std::vector<std::string>& flags, bool clip = false) {
  return ParseRefine(flags)->flags->refine.Parse(clip);
}

// Every field of the options: ToJson's, with the fields it resolves or leaves out as they are.
nlohmann::json Fields(const RefineOptions& options) {
  nlohmann::json fields = options.ToJson();
  fields.update(
      nlohmann::json{{"gp_domain", refine::GpDomainName(options.gp_domain)},
                     {"map_segment_form", refine::SegmentFormName(options.map_segment_form)},
                     {"prior_level_sets", options.prior_level_sets},
                     {"posterior_level_sets", options.posterior_level_sets},
                     {"deviation_floors", options.deviation_floors},
                     {"level_set_segments", options.level_set_segments},
                     {"map_segment_weight", options.map_segment_weight},
                     {"rise_observations", refine::RiseObservationsName(options.rise_observations)},
                     {"rise_observation_limit", options.rise_observation_limit},
                     {"noise_variance", options.noise_variance},
                     {"mask_frames", options.mask_frames},
                     {"frame_step", options.frame_step},
                     {"length_scale_frame", options.length_scale_frame},
                     {"length_scale_depth", options.length_scale_depth},
                     {"max_gp_megabytes", options.max_gp_megabytes}});
  return fields;
}

std::string Joined(const std::vector<std::string>& words) {
  std::string text;
  for (const std::string& word : words) text += (text.empty() ? "" : " ") + word;
  return text;
}

struct FlagCase {
  std::vector<std::string> flags;
  std::function<void(RefineOptions&)> expect;  // the defaults' change the flags make
};

TEST(RefineFlagsTest, EachFlagSetsItsOwnFieldAndNoOther) {
  const std::vector<FlagCase> cases = {
      {{"--prior-scale", "0.37"}, [](auto& o) { o.prior_mean_abs = 0.37; }},
      {{"--iterations", "7"}, [](auto& o) { o.iterations = 7; }},
      {{"--stride", "3"}, [](auto& o) { o.stride = 3; }},
      {{"--noise", "0.05"}, [](auto& o) { o.noise_variance = 0.05; }},
      {{"--kappa", "4.5"}, [](auto& o) { o.kappa = 4.5; }},
      {{"--seed", "11"}, [](auto& o) { o.seed = 11; }},
      {{"--mask-frame-step", "3"}, [](auto& o) { o.frame_step = 3; }},
      {{"--max-gp-memory", "123"}, [](auto& o) { o.max_gp_megabytes = 123; }},
      {{"--squash", "2.5"}, [](auto& o) { o.squash = 2.5; }},
      {{"--hyperopt"}, [](auto& o) { o.hyperopt = true; }},
      {{"--hyperopt-tolerance", "0.7"}, [](auto& o) { o.hyperopt_tolerance = 0.7; }},
      {{"--no-fit-signal-variance"}, [](auto& o) { o.fit_signal_variance = false; }},
      {{"--fit-length-scale"}, [](auto& o) { o.fit_length_scale = true; }},
      {{"--fit-length-scale", "--no-fit-signal-variance"},
       [](auto& o) {
         o.fit_length_scale = true;
         o.fit_signal_variance = false;
       }},
      {{"--fit-noise-variance"}, [](auto& o) { o.fit_noise_variance = true; }},
      {{"--fit-rise-observation-noise"}, [](auto& o) { o.fit_rise_observation_noise = true; }},
      {{"--prior-coefficient-sd", "2.5"}, [](auto& o) { o.prior_coefficient_sd = 2.5; }},
      {{"--no-fit-prior-coefficient-sd"}, [](auto& o) { o.fit_prior_coefficient_sd = false; }},
      {{"--no-average-hyperparameters"}, [](auto& o) { o.average_hyperparameters = false; }},
      {{"--nonnegative-prior-coefficient"},
       [](auto& o) { o.nonnegative_prior_coefficient = true; }},
      {{"--nonnegative-prior-coefficient", "--no-nonnegative-prior-coefficient"}, [](auto&) {}},
      {{"--jitter", "0.5"}, [](auto& o) { o.jitter = 0.5; }},
      {{"--acquisition-batch", "2"}, [](auto& o) { o.acquisition_batch = 2; }},
      {{"--level-set-segments", "150"}, [](auto& o) { o.level_set_segments = 150; }},
      {{"--map-segments", "0.3"}, [](auto& o) { o.map_segment_weight = 0.3; }},
      {{"--map-segments", "0.3", "--map-segments-form", "blend"},
       [](auto& o) {
         o.map_segment_weight = 0.3;
         o.map_segment_form = mask::SegmentForm::kBlend;
       }},
      {{"--rise-observation-limit", "40"}, [](auto& o) { o.rise_observation_limit = 40; }},
      {{"--mask-sizes", "0.25,60px"},
       [](auto& o) { o.mask_sizes = refine::ParseMaskSizes("0.25,60px"); }},
      {{"--kernel", "matern52"}, [](auto& o) { o.kernel = gp::MaternNu::kFiveHalves; }},
      {{"--length-scale", "9"}, [](auto& o) { o.length_scale_position = o.length_scale_size = 9; }},
      {{"--length-scale", "9,15"},
       [](auto& o) {
         o.length_scale_position = 9;
         o.length_scale_size = 15;
       }},
      {{"--mask-frames", "2,4"},
       [](auto& o) {
         o.mask_frames = {2, 4};
       }},
      {{"--length-scale-frames", "3"},
       [](auto& o) { o.length_scale_frame = o.length_scale_depth = 3; }},
      {{"--length-scale-frames", "3,5"},
       [](auto& o) {
         o.length_scale_frame = 3;
         o.length_scale_depth = 5;
       }},
      {{"--score", "logit"}, [](auto& o) { o.score = model::ScoreKind::kLogit; }},
      {{"--aggregation", "pointwise"},
       [](auto& o) { o.aggregation = refine::Aggregation::kPointwise; }},
      {{"--prior-mean", "fixed"}, [](auto& o) { o.prior_mean = refine::PriorMean::kFixed; }},
      {{"--prior-basis", "mass"}, [](auto& o) { o.prior_basis = refine::PriorBasis::kMaskMass; }},
      {{"--gp-over", "masks"}, [](auto& o) { o.gp_domain = refine::GpDomain::kMasks; }},
      {{"--rise-observations", "all"},
       [](auto& o) { o.rise_observations = refine::RiseObservations::kAll; }},
      {{"--prior-level-sets", "0.1,0.3"},
       [](auto& o) {
         o.prior_level_sets = {0.1, 0.3};
       }},
      {{"--prior-level-sets", "none"}, [](auto& o) { o.prior_level_sets.clear(); }},
      {{"--posterior-level-sets", "0.2"}, [](auto& o) { o.posterior_level_sets = {0.2}; }},
      {{"--posterior-level-sets", "none"}, [](auto& o) { o.posterior_level_sets.clear(); }},
      {{"--deviation-floors", "0.3,0.1"},
       [](auto& o) {
         o.deviation_floors = {0.3, 0.1};
       }},
      {{"--bo-infill", "blur"}, [](auto& o) { o.infill = mask::Infill::kBlur; }},
      {{"--occlude", "black"}, [](auto& o) { o.infill = mask::Infill::kBlack; }},
      {{"--no-flip"}, [](auto& o) { o.flip = false; }},
      {{"--simple-average"}, [](auto& o) { o.weighted_average = false; }},
      {{"--no-prior"}, [](auto& o) { o.use_prior = false; }},
      {{"--algorithm", "mokuwe"},
       [](auto& o) {
         o = o.Algorithm1();
         o.algorithm = refine::Algorithm::kMokuwe;
       }},
      {{"--preset", "paper"}, [](auto& o) { o = RefineOptions::FromPreset("paper"); }},
      {{"--preset", "code", "--kappa", "2"},
       [](auto& o) {
         o = RefineOptions::FromPreset("code");
         o.kappa = 2;
       }},
  };
  for (const FlagCase& flag_case : cases) {
    SCOPED_TRACE(Joined(flag_case.flags));
    RefineOptions expected;
    flag_case.expect(expected);
    EXPECT_EQ(Fields(RefineOptionsOf(flag_case.flags)), Fields(expected));
  }
}

// The pixel field's options, where the GP is the squares' (--gp-over masks, or auto for a clip),
// are refused by name rather than left inactive; off-switches of options on by default are not.
TEST(RefineFlagsTest, ThePixelFieldsOptionsAreRefusedWhereTheGpIsTheSquares) {
  const std::vector<std::vector<std::string>> field_options = {
      {"--level-set-segments", "100"}, {"--map-segments", "0.2"},
      {"--prior-level-sets", "0.1"},   {"--posterior-level-sets", "none"},
      {"--deviation-floors", "0.3"},   {"--fit-prior-coefficient-sd"},
      {"--average-hyperparameters"},   {"--fit-rise-observation-noise"}};
  for (const std::vector<std::string>& option : field_options) {
    SCOPED_TRACE(Joined(option));
    std::vector<std::string> over_masks = option;
    over_masks.insert(over_masks.end(), {"--gp-over", "masks"});
    for (const auto& [flags, clip] : {std::pair{over_masks, false}, std::pair{option, true}}) {
      try {
        RefineOptionsOf(flags, clip);
        ADD_FAILURE() << "accepted" << (clip ? " for a clip" : "");
      } catch (const OptionError& e) {
        EXPECT_EQ(std::string(e.what()).rfind(option.front() + ": needs the pixel field", 0), 0u)
            << e.what();
      }
    }
    std::vector<std::string> clip_over_pixels = option;
    clip_over_pixels.insert(clip_over_pixels.end(), {"--gp-over", "pixels"});
    EXPECT_NO_THROW(RefineOptionsOf(clip_over_pixels, /*clip=*/true));
    EXPECT_NO_THROW(RefineOptionsOf(option, /*clip=*/false));
  }
  for (const char* off : {"--no-fit-prior-coefficient-sd", "--no-average-hyperparameters",
                          "--no-fit-rise-observation-noise"}) {
    SCOPED_TRACE(off);
    EXPECT_NO_THROW(RefineOptionsOf({off, "--gp-over", "masks"}));
    EXPECT_NO_THROW(RefineOptionsOf({off}, /*clip=*/true));
  }
}

TEST(RefineFlagsTest, LengthScalesMustBePositiveAndSeedsNotNegative) {
  for (const auto& [option, value] :
       {std::pair{"--length-scale", "9,0"}, std::pair{"--length-scale", "-2"},
        std::pair{"--length-scale-frames", "2,-1"}, std::pair{"--length-scale", "1,2,3"}}) {
    SCOPED_TRACE(std::string(option) + " " + value);
    EXPECT_THROW(RefineOptionsOf({option, value}), OptionError);
  }
  EXPECT_THROW(ParseRefine({"--seed", "-1"}), CLI::ValidationError);
}

TEST(ModelFlagsTest, InputSizeIsHeightThenWidthInWholePixels) {
  const model::ModelOptions options =
      ParseRefine({"--input-size", "20,30"})->flags->model.Options();
  ASSERT_TRUE(options.input_size.has_value());
  EXPECT_EQ(*options.input_size, cv::Size(30, 20));
  for (const char* size : {"20,30.5", "20.5,30", "0,30", "20,0", "20"}) {
    SCOPED_TRACE(size);
    EXPECT_THROW(ParseRefine({"--input-size", size})->flags->model.Options(), OptionError);
  }
}

TEST(ModelFlagsTest, EachPreprocessingFlagSetsItsOwnField) {
  const model::ModelOptions defaults = ParseRefine({})->flags->model.Options();
  const model::ModelOptions std_only =
      ParseRefine({"--std", "0.5,0.25,0.125"})->flags->model.Options();
  ASSERT_TRUE(std_only.std.has_value());
  EXPECT_EQ(*std_only.std, cv::Vec3f(0.5F, 0.25F, 0.125F));
  EXPECT_EQ(std_only.mean, defaults.mean);
  const model::ModelOptions both =
      ParseRefine({"--mean", "0.1,0.2,0.3", "--std", "0.5,0.25,0.125"})->flags->model.Options();
  EXPECT_EQ(both.mean, std::optional(cv::Vec3f(0.1F, 0.2F, 0.3F)));
  EXPECT_EQ(both.std, std_only.std);
  const model::ModelOptions video =
      ParseRefine({"--frames", "4", "--frame-stride", "3", "--video-layout", "NTCHW"})
          ->flags->model.Options();
  EXPECT_EQ(video.frames, std::optional(4));
  EXPECT_EQ(video.frame_stride, std::optional(3));
  EXPECT_EQ(video.layout, model::VideoLayout::kNTCHW);
}

// Options() checks what it built, so that a bad value stops the command before the model loads.
TEST(ModelFlagsTest, TheOptionsAreChecked) {
  for (const auto& [option, value] :
       {std::pair{"--frames", "0"}, std::pair{"--frame-stride", "-2"}, std::pair{"--threads", "-1"},
        std::pair{"--std", "0,1,1"}, std::pair{"--device", "tpu"}}) {
    SCOPED_TRACE(std::string(option) + " " + value);
    try {
      ParseRefine({option, value})->flags->model.Options();
      ADD_FAILURE() << "accepted";
    } catch (const OptionError& e) {
      EXPECT_EQ(std::string(e.what()).rfind(option, 0), 0u) << e.what();
    }
  }
}

// Each rendering flag given overrides that field of both the saliency and the signed rendering;
// a flag not given keeps each one's own default.
TEST(RenderFlagsTest, AFlagGivenSetsBothRenderingsAndOneNotGivenKeepsEach) {
  const app::ImageJobOptions given =
      ParseRefine({"--colormap", "viridis", "--normalize", "percentile", "--outlier-percent", "5",
                   "--overlay-alpha", "0.8", "--colorbar"})
          ->flags->Job()
          .common;
  for (const io::RenderOptions& render : {given.render, given.signed_render}) {
    EXPECT_EQ(render.colormap, io::Colormap::kViridis);
    EXPECT_EQ(render.normalize, io::Normalization::kPercentile);
    EXPECT_EQ(render.outlier_percent, 5);
    EXPECT_EQ(render.alpha, 0.8);
    EXPECT_TRUE(render.colorbar);
  }
  const app::ImageJobOptions defaults;
  for (const char* flag : {"--colorbar", "--overlay-alpha"}) {
    SCOPED_TRACE(flag);
    std::vector<std::string> flags = {flag};
    if (std::string(flag) == "--overlay-alpha") flags.push_back("0.8");
    const app::ImageJobOptions one = ParseRefine(flags)->flags->Job().common;
    EXPECT_EQ(one.render.colorbar, flags.size() == 1);
    EXPECT_EQ(one.signed_render.colorbar, flags.size() == 1);
    EXPECT_EQ(one.render.alpha, flags.size() == 1 ? defaults.render.alpha : 0.8);
    EXPECT_EQ(one.signed_render.alpha, flags.size() == 1 ? defaults.signed_render.alpha : 0.8);
    EXPECT_EQ(one.render.colormap, defaults.render.colormap);
    EXPECT_EQ(one.signed_render.colormap, defaults.signed_render.colormap);
    EXPECT_EQ(one.signed_render.normalize, defaults.signed_render.normalize);
  }
}

TEST(OutputListTest, NamesTheFilesSeparatedByCommas) {
  EXPECT_EQ(OutputList({}), "");
  EXPECT_EQ(OutputList({"o.npy"}), "o.npy");
  EXPECT_EQ(OutputList({"o.npy", "o.png", "o.json"}), "o.npy, o.png, o.json");
}

}  // namespace
}  // namespace borex::cli
