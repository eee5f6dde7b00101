// `borex evaluate` as a library call on the region model (tests/data/region_model.pt: logit 0 =
// 20 * mean over rows 8..15, cols 16..23 of the 32x32 input - 5, logit 1 = 0), where every
// metric of a map that marks exactly that region has a closed form.
#include "borex/app/evaluate_job.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include <spdlog/fmt/fmt.h>

#include <opencv2/imgcodecs.hpp>

#include "borex/app/curves.h"
#include "borex/core/error.h"
#include "borex/io/csv.h"
#include "borex/io/npy.h"
#include "borex/model/torchscript_classifier.h"
#include "support/temp_dir.h"

namespace borex::app {
namespace {

namespace fs = std::filesystem;
const std::string kData = std::string(BOREX_SOURCE_DIR) + "/tests/data/";

double Sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

class EvaluateJobTest : public borex::testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    // The region at the image file's resolution (40x48: rows 10..19, cols 24..35) and at the
    // model's (32x32).
    cv::Mat large = cv::Mat::zeros(40, 48, CV_32F), small = cv::Mat::zeros(32, 32, CV_32F);
    large(cv::Rect(24, 10, 12, 10)).setTo(1);
    small(cv::Rect(16, 8, 8, 8)).setTo(1);
    io::WriteNpy(Path("map.npy"), large);
    io::WriteNpy(Path("map32.npy"), small);
    // VOC boxes: 1-based inclusive, in the file's 48x40 frame.
    std::ofstream(Path("boxes.xml"))
        << "<annotation><size><width>48</width><height>40</height></size>"
           "<object><name>other</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>5</xmax>"
           "<ymax>5</ymax></bndbox></object>"
           "<object><name>target</name><bndbox><xmin>25</xmin><ymin>11</ymin><xmax>36</xmax>"
           "<ymax>20</ymax></bndbox></object></annotation>";
  }

  EvaluateJobOptions Job(const std::string& map = "map.npy") const {
    EvaluateJobOptions job;
    job.image_path = kData + "region_image_40x48.png";
    job.saliency_path = Path(map);
    job.annotation_path = Path("boxes.xml");
    job.json_path = Path("eval.json");
    job.metrics.step = 64;  // the region's size: k = 0, 64, ..., 1024 (17 points)
    return job;
  }

  // Evaluates with tests/data/region_model.pt, as the CLI loads it.
  static EvaluateJobResult Evaluate(const EvaluateJobOptions& job) {
    model::ModelOptions options;
    options.path = kData + "region_model.pt";
    options.threads = 1;
    model::TorchScriptClassifier classifier(options);
    return RunEvaluateJob(classifier, job);
  }

  nlohmann::json ReadJson() const {
    std::ifstream in(Path("eval.json"));
    return nlohmann::json::parse(in);
  }
};

TEST_F(EvaluateJobTest, EveryMetricMatchesItsClosedForm) {
  EvaluateJobOptions job = Job();
  job.fail_below = {{"insertion", 0.5}, {"pointing_hit", 1}};
  job.fail_above = {{"deletion", 0.3}};
  const EvaluateJobResult evaluated = Evaluate(job);
  const nlohmann::json& result = evaluated.summary;
  EXPECT_EQ(ReadJson(), result);
  for (const char* key : {"insertion", "deletion", "insertion_sum", "deletion_sum", "f_measure",
                          "f_measure_sum", "f_measure_product", "f_measure_product_sum",
                          "pointing_hit", "average_drop", "average_gain", "label", "model_calls",
                          "curves", "infill", "class_name", "image", "saliency", "thresholds"})
    EXPECT_TRUE(result.contains(key)) << key;
  EXPECT_EQ(result["label"], 0);
  EXPECT_EQ(result["class_name"], "target");
  EXPECT_EQ(result["infill"], "black");
  EXPECT_EQ(result["curves"]["step"], 64);
  EXPECT_EQ(result["model_calls"], 2 * 17);  // the evaluation's own: curves of 17 points

  // The top 64 pixels are the region: revealed (insertion) or blacked out (deletion) at k = 64.
  const double hidden = Sigmoid(-5), shown = Sigmoid(15);
  const auto insertion = result["curves"]["insertion"].get<std::vector<double>>();
  const auto deletion = result["curves"]["deletion"].get<std::vector<double>>();
  ASSERT_EQ(insertion.size(), 17u);
  ASSERT_EQ(deletion.size(), 17u);
  for (size_t i = 0; i < 17; ++i) {
    EXPECT_NEAR(insertion[i], i == 0 ? hidden : shown, 1e-5) << i;
    EXPECT_NEAR(deletion[i], i == 0 ? shown : hidden, 1e-5) << i;
  }
  EXPECT_NEAR(result["insertion"].get<double>(), (hidden + 16 * shown - (hidden + shown) / 2) / 16,
              1e-5);
  EXPECT_NEAR(result["deletion"].get<double>(), (shown + 16 * hidden - (hidden + shown) / 2) / 16,
              1e-5);
  EXPECT_NEAR(result["insertion_sum"].get<double>(), hidden + 16 * shown, 1e-4);
  EXPECT_NEAR(result["deletion_sum"].get<double>(), shown + 16 * hidden, 1e-4);
  // The box is the region: at k = 64 j, P = 1 / j and R = 1.
  double f_sum = 0, product_sum = 0;
  for (int j = 1; j <= 16; ++j) f_sum += 2.0 / (j + 1), product_sum += 1.0 / j;
  EXPECT_NEAR(result["f_measure_sum"].get<double>(), f_sum, 1e-12);
  EXPECT_NEAR(result["f_measure"].get<double>(), f_sum / 16, 1e-12);
  EXPECT_NEAR(result["f_measure_product_sum"].get<double>(), product_sum, 1e-12);
  EXPECT_NEAR(result["f_measure_product"].get<double>(), product_sum / 16, 1e-12);
  EXPECT_EQ(result["pointing_hit"], true);
  // The map keeps the region and blacks out the rest: the score does not move.
  EXPECT_NEAR(result["average_drop"].get<double>(), 0, 1e-3);
  EXPECT_NEAR(result["average_gain"].get<double>(), 0, 1e-3);
  // Hide-top: the top 10% (102 pixels) include the whole region, now black.
  EXPECT_EQ(result["hide_percent"], 10.0);
  EXPECT_EQ(result["hide_top_pixels"], 102);
  EXPECT_NEAR(result["hide_top"].get<double>(), hidden - shown, 1e-5);
  EXPECT_NEAR(result["hide_top_score"].get<double>(), hidden, 1e-5);

  ASSERT_EQ(result["thresholds"].size(), 3u);
  EXPECT_TRUE(evaluated.passed());
  const auto& check = result["thresholds"][2];
  EXPECT_EQ(check["metric"], "deletion");
  EXPECT_EQ(check["kind"], "fail_above");
  EXPECT_EQ(check["bound"], 0.3);
  EXPECT_EQ(check["value"], result["deletion"]);
  EXPECT_EQ(check["passed"], true);
}

TEST_F(EvaluateJobTest, FailedCheckStillWritesTheJsonAndMapsAtTheModelSizeAgree) {
  const nlohmann::json first = Evaluate(Job()).summary;
  fs::remove(Path("eval.json"));
  EvaluateJobOptions job = Job("map32.npy");
  job.label = "target";
  job.fail_below = {{"f_measure", 0.99}, {"insertion", 0.5}};
  const EvaluateJobResult evaluated = Evaluate(job);
  const nlohmann::json& result = evaluated.summary;
  EXPECT_FALSE(evaluated.passed());
  ASSERT_EQ(evaluated.thresholds.size(), 2u);
  EXPECT_FALSE(evaluated.thresholds[0].passed);
  EXPECT_TRUE(evaluated.thresholds[0].below);
  EXPECT_EQ(evaluated.thresholds[0].metric, "f_measure");
  EXPECT_TRUE(evaluated.thresholds[1].passed);
  const nlohmann::json written = ReadJson();
  EXPECT_EQ(written["thresholds"][0]["metric"], "f_measure");
  EXPECT_EQ(written["thresholds"][0]["kind"], "fail_below");
  EXPECT_EQ(written["thresholds"][0]["passed"], false);
  EXPECT_EQ(written["thresholds"][1]["passed"], true);
  // The 32x32 map is the 40x48 one at the model's size.
  for (const char* key : {"insertion", "deletion", "f_measure", "pointing_hit"})
    EXPECT_EQ(result[key], first[key]) << key;
}

TEST_F(EvaluateJobTest, WritesTheCurvesAsCsvAndPlot) {
  EvaluateJobOptions job = Job();
  job.curves_prefix = Path("cat");
  const EvaluateJobResult result = Evaluate(job);
  const metrics::Evaluation& e = result.evaluation;
  const io::CsvTable table = io::ReadCsv(Path("cat_curves.csv"));
  EXPECT_EQ(table.header, (std::vector<std::string>{"curve", "step", "fraction", "score"}));
  ASSERT_EQ(table.rows.size(), 2u * 17u);  // k = 0, 64, ..., 1024 for each curve
  EXPECT_EQ(table.rows[0], (std::vector<std::string>{"insertion", "0", "0",
                                                     fmt::format("{}", e.insertion.scores[0])}));
  EXPECT_EQ(table.rows[17][0], "deletion");
  EXPECT_EQ(std::stod(table.rows[18][2]), 64.0 / 1024);
  const SavedCurves saved = ReadCurvesCsv(Path("cat_curves.csv"));
  EXPECT_EQ(saved.insertion.scores, e.insertion.scores);  // full precision
  EXPECT_EQ(saved.deletion.fractions, e.deletion.fractions);

  const cv::Mat plot = cv::imread(Path("cat_curves.png"));
  ASSERT_FALSE(plot.empty());
  EXPECT_EQ(plot.size(), cv::Size(480, 340));
  // Both curves are drawn: pixels of each curve's colour.
  const auto count = [&](const cv::Scalar& bgr) {
    cv::Mat hits;
    cv::inRange(plot, bgr - cv::Scalar::all(8), bgr + cv::Scalar::all(8), hits);
    return cv::countNonZero(hits);
  };
  EXPECT_GT(count({200, 110, 30}), 100);
  EXPECT_GT(count({20, 130, 240}), 100);

  // An unwritable prefix fails before the model runs, and nothing is written.
  job.curves_prefix = Path("absent/cat");
  job.json_path = Path("other.json");
  EXPECT_THROW(Evaluate(job), OutputError);
  EXPECT_FALSE(fs::exists(Path("other.json")));
}

TEST_F(EvaluateJobTest, BadInputsThrowAndWriteNothing) {
  const auto expect_error = [this](const EvaluateJobOptions& job, ExitCode code,
                                   const std::string& needle) {
    try {
      Evaluate(job);
      ADD_FAILURE() << "no error for " << needle;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), code) << e.what();
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
    }
    EXPECT_FALSE(fs::exists(Path("eval.json"))) << needle;
  };
  io::WriteNpy(Path("wrong.npy"), cv::Mat::zeros(20, 20, CV_32F));
  expect_error(Job("wrong.npy"), ExitCode::kInputError, "wrong.npy: map is 20x20");
  cv::Mat nan = cv::Mat::ones(40, 48, CV_32F);
  nan.at<float>(3, 4) = std::nanf("");
  io::WriteNpy(Path("nan.npy"), nan);
  expect_error(Job("nan.npy"), ExitCode::kInputError, "nan.npy");
  std::ofstream(Path("other.xml"))
      << "<annotation><object><name>other</name><bndbox><xmin>1</xmin><ymin>1</ymin>"
         "<xmax>5</xmax><ymax>5</ymax></bndbox></object></annotation>";
  EvaluateJobOptions no_box = Job();
  no_box.annotation_path = Path("other.xml");
  expect_error(no_box, ExitCode::kInputError, "other.xml: no box of class 'target'");

  // Checks need no model: the CLI runs them before it loads one.
  const auto expect_check_error = [](const EvaluateJobOptions& job, const std::string& needle) {
    try {
      job.Check();
      ADD_FAILURE() << "no error for " << needle;
    } catch (const OptionError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  EvaluateJobOptions unknown = Job();
  unknown.fail_above = {{"nope", 1}};
  expect_check_error(unknown, "--fail-above: unknown metric 'nope'");
  EvaluateJobOptions absent = unknown;
  absent.fail_above.clear();
  absent.annotation_path.clear();
  for (const char* metric : {"f_measure", "f_measure_product_sum", "pointing_hit"}) {
    absent.fail_below = {{metric, 0.1}};
    expect_check_error(absent, "--fail-below: '" + std::string(metric) + "' needs");
  }
  absent.fail_below = {{"average_drop", 1}};  // a metric that needs no annotation
  EXPECT_NO_THROW(absent.Check());
}

// Bug: --json named like the saliency map or the annotation overwrote it, and --json named like
// a file of --curves lost one of the two.
TEST_F(EvaluateJobTest, OutputsThatWouldOverwriteAnInputOrEachOtherAreRefused) {
  const auto map_bytes = fs::file_size(Path("map.npy")),
             xml_bytes = fs::file_size(Path("boxes.xml"));
  const auto expect_refused = [](const EvaluateJobOptions& job, const std::string& start) {
    try {
      Evaluate(job);
      ADD_FAILURE() << "ran: " << start;
    } catch (const OptionError& e) {
      EXPECT_EQ(std::string(e.what()).rfind(start, 0), 0u) << e.what();
    }
  };
  EvaluateJobOptions job = Job();
  job.json_path = Path("map.npy");
  expect_refused(job, "--json: " + job.json_path + " would overwrite --saliency ");
  job.json_path = Path("boxes.xml");
  expect_refused(job, "--json: " + job.json_path + " would overwrite --annotation ");
  job.json_path = Path("c_curves.csv");
  job.curves_prefix = Path("c");
  expect_refused(job, "--curves: " + Path("c_curves.csv") + " is also the file of --json");
  EXPECT_EQ(fs::file_size(Path("map.npy")), map_bytes);
  EXPECT_EQ(fs::file_size(Path("boxes.xml")), xml_bytes);
  EXPECT_FALSE(fs::exists(Path("c_curves.csv")));
}

TEST(ParseThresholdTest, MetricEqualsValue) {
  EXPECT_EQ(ParseThreshold("insertion=0.5", "--fail-below"),
            std::make_pair(std::string("insertion"), 0.5));
  EXPECT_EQ(ParseThreshold("deletion=-1e-3", "--fail-above"),
            std::make_pair(std::string("deletion"), -1e-3));
  for (const char* bad : {"insertion", "=0.5", "insertion=", "insertion=0.5x", "insertion=nan",
                          "insertion=inf", "insertion=abc", ""}) {
    try {
      ParseThreshold(bad, "--fail-below");
      ADD_FAILURE() << bad;
    } catch (const OptionError& e) {
      EXPECT_EQ(std::string(e.what()),
                "--fail-below: '" + std::string(bad) + "' is not METRIC=VALUE");
    }
  }
}

// The JSON names each input by its role: the image, and the map it scored.
TEST_F(EvaluateJobTest, TheJsonNamesTheImageAndTheSaliencyMapItScored) {
  const nlohmann::json result = Evaluate(Job()).summary;
  EXPECT_EQ(result["image"], kData + "region_image_40x48.png");
  EXPECT_EQ(result["saliency"], Path("map.npy"));
  EXPECT_EQ(ReadJson()["saliency"], Path("map.npy"));
}

}  // namespace
}  // namespace borex::app
