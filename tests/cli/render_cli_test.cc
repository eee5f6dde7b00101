// End-to-end tests of how refine and explain draw their maps (issue 13): the min-max JET default,
// the rendering flags, what PREFIX.json records, and bad values.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "borex/io/heatmap.h"
#include "borex/io/image.h"
#include "borex/io/npy.h"
#include "support/run_borex.h"
#include "support/temp_dir.h"

namespace {

const std::string kSource = BOREX_SOURCE_DIR;
const std::string kRegionModel = kSource + "/tests/data/region_model.pt";
const std::string kRegionImage = kSource + "/tests/data/region_image.png";
const std::string kDistractorArgs = "--model " + kSource + "/tests/data/distractor_model.pt " +
                                    "--image " + kSource + "/tests/data/distractor_image.png";

using borex::io::RenderOptions;
using borex::testing::CommandResult;
using borex::testing::RunBorex;

class RenderCliTest : public borex::testing::TempDirTest {
 protected:
  void ExpectCleanFailure(const std::string& args, int status, const std::string& needle) {
    borex::testing::ExpectCleanFailure(args, status, needle, dir_);
  }

  std::string Refine(const std::string& out, const std::string& extra = "") const {
    return "refine --model " + kRegionModel + " --image " + kRegionImage +
           " --iterations 5 --mask-sizes 6,10 --masks 40 --out " + Path(out) + " " + extra;
  }

  nlohmann::json ReadJson(const std::string& name) const {
    std::ifstream in(Path(name));
    return nlohmann::json::parse(in);
  }

  // PREFIX.png and PREFIX_overlay.png must be what the library draws from PREFIX.npy.
  void ExpectDrawnWith(const std::string& prefix, const std::string& image,
                       const RenderOptions& options) const {
    const cv::Mat map = borex::io::ReadNpyMap(Path(prefix + ".npy"));
    const cv::Mat heat = cv::imread(Path(prefix + ".png")),
                  overlay = cv::imread(Path(prefix + "_overlay.png"));
    EXPECT_EQ(cv::norm(heat, borex::io::RenderHeatmap(map, options), cv::NORM_INF), 0) << prefix;
    EXPECT_EQ(
        cv::norm(overlay, borex::io::RenderOverlay(borex::io::ReadImageRgb(image), map, options),
                 cv::NORM_INF),
        0)
        << prefix;
  }
};

TEST_F(RenderCliTest, RefineDrawsMinMaxJetAtHalfAlphaByDefaultAndRecordsIt) {
  const CommandResult run = RunBorex(Refine("map"));
  ASSERT_EQ(run.status, 0) << run.err;
  ExpectDrawnWith("map", kRegionImage, RenderOptions());
  const nlohmann::json map = ReadJson("map.json")["map"];
  const nlohmann::json& rendering = map["rendering"];
  EXPECT_EQ(rendering["colormap"], "jet");
  EXPECT_EQ(rendering["normalize"], "minmax");
  EXPECT_EQ(rendering["alpha"], 0.5);
  EXPECT_EQ(rendering["outlier_percent"], 2.0);
  EXPECT_EQ(rendering["colorbar"], false);
  EXPECT_EQ(rendering["value_range"], nlohmann::json({map["min"], map["max"]}));
}

TEST_F(RenderCliTest, FlagsChangeTheDrawingAndTheSummary) {
  const CommandResult run =
      RunBorex(Refine("flags",
                      "--colormap viridis --normalize percentile --outlier-percent 10 "
                      "--overlay-alpha 0.3 --colorbar"));
  ASSERT_EQ(run.status, 0) << run.err;
  RenderOptions options;
  options.colormap = borex::io::Colormap::kViridis;
  options.normalize = borex::io::Normalization::kPercentile;
  options.outlier_percent = 10;
  options.alpha = 0.3;
  options.colorbar = true;
  ExpectDrawnWith("flags", kRegionImage, options);
  const nlohmann::json rendering = ReadJson("flags.json")["map"]["rendering"];
  nlohmann::json expected = options.ToJson();
  expected["value_range"] = rendering["value_range"];
  EXPECT_EQ(rendering, expected);
  EXPECT_EQ(rendering["colormap"], "viridis");
  EXPECT_EQ(rendering["normalize"], "percentile");
  EXPECT_EQ(rendering["outlier_percent"], 10.0);
  const cv::Mat map = borex::io::ReadNpyMap(Path("flags.npy"));
  const borex::io::ValueRange range = borex::io::ColourRange(map, options);
  EXPECT_EQ(rendering["value_range"], nlohmann::json({range.low, range.high}));
  double high = 0;
  cv::minMaxLoc(map, nullptr, &high);
  EXPECT_LT(range.high, high);                                      // clipped
  EXPECT_GT(cv::imread(Path("flags_overlay.png")).cols, map.cols);  // the colour bar
}

TEST_F(RenderCliTest, ExplainTakesTheFlagsToo) {
  ASSERT_EQ(RunBorex("explain --model " + kRegionModel + " --image " + kRegionImage +
                     " --masks 40 --colormap turbo --normalize signed --out " + Path("rise"))
                .status,
            0);
  RenderOptions options;
  options.colormap = borex::io::Colormap::kTurbo;
  options.normalize = borex::io::Normalization::kSigned;
  ExpectDrawnWith("rise", kRegionImage, options);
  EXPECT_EQ(ReadJson("rise.json")["map"]["rendering"]["normalize"], "signed");
}

TEST_F(RenderCliTest, UndesirableMapsKeepTheSignedViewUnlessAskedOtherwise) {
  const std::string args =
      "explain " + kDistractorArgs + " --method undesirable --masks 40 --grid 4 --out ";
  ASSERT_EQ(RunBorex(args + Path("u") + " --overlay-alpha 0.8").status, 0);
  RenderOptions signed_view = RenderOptions::Signed();
  signed_view.alpha = 0.8;
  const std::string image = kSource + "/tests/data/distractor_image.png";
  ExpectDrawnWith("u_hinder", image, signed_view);
  ExpectDrawnWith("u_others", image, signed_view);
  const nlohmann::json maps = ReadJson("u.json")["maps"];
  EXPECT_EQ(maps["hinder"]["rendering"]["colormap"], "diverging");
  EXPECT_EQ(maps["others"]["rendering"]["alpha"], 0.8);
  ASSERT_EQ(RunBorex(args + Path("jet") + " --colormap jet").status, 0);
  RenderOptions jet_signed = RenderOptions::Signed();
  jet_signed.colormap = borex::io::Colormap::kJet;
  ExpectDrawnWith("jet_hinder", image, jet_signed);
}

TEST_F(RenderCliTest, BadValuesFailWithOneLineNamingTheOption) {
  ExpectCleanFailure(Refine("map", "--colormap hot"), 2,
                     "--colormap: 'hot' is not one of jet, turbo, viridis, diverging");
  ExpectCleanFailure(Refine("map", "--normalize max"), 2,
                     "--normalize: 'max' is not one of minmax, percentile, signed");
  ExpectCleanFailure(Refine("map", "--overlay-alpha 1.5"), 2, "--overlay-alpha");
  ExpectCleanFailure(Refine("map", "--outlier-percent 100"), 2, "--outlier-percent");
  ExpectCleanFailure("explain --model " + kRegionModel + " --image " + kRegionImage +
                         " --overlay-alpha -1 --out " + Path("map"),
                     2, "--overlay-alpha");
}

TEST_F(RenderCliTest, HelpExplainsEveryChoice) {
  const CommandResult run = RunBorex("explain --help");
  for (const char* text :
       {"--colormap", "jet", "turbo", "viridis", "diverging", "--normalize", "minmax", "percentile",
        "signed", "--outlier-percent", "--overlay-alpha", "--colorbar"})
    EXPECT_NE(run.out.find(text), std::string::npos) << text;
}

}  // namespace
