// `borex report --html` on a batch directory made by hand (no model): the page's summary,
// comparisons and image rows, its references, its escaping and its choice of images.
#include "borex/app/html_report.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <opencv2/imgcodecs.hpp>
#include <set>
#include <sstream>

#include "borex/app/batch.h"
#include "borex/app/curves.h"
#include "borex/app/report.h"
#include "borex/core/error.h"
#include "borex/io/csv.h"
#include "borex/io/json_file.h"
#include "borex/io/npy.h"
#include "support/html_references.h"
#include "support/temp_dir.h"

namespace borex::app {
namespace {

namespace fs = std::filesystem;

// Ids that break a page that does not escape text and URLs, or JSON in a script element (the
// second is a file in a directory "e<").
const std::string kOddId = "b<&\"#%odd";
const std::string kScriptId = "e</script><!--x";

class HtmlReportTest : public testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    fs::create_directories(Path("voc/JPEGImages"));
    for (const std::string& dir : {"out/maps/rise", "out/maps/borex:rise", "out/curves/rise"})
      fs::create_directories(Path(dir));
    io::WriteJson(Path("out/batch.json"), {{"voc_root", Path("voc")}, {"split", "test"}});
    std::string rise = io::CsvLine(BatchCsvHeader()), borex = rise;
    for (int i = 0; i < static_cast<int>(ids_.size()); ++i) {
      const std::string& id = ids_[i];
      cv::Mat image(40, 60, CV_8UC3);
      cv::randu(image, 0, 255);
      ASSERT_TRUE(cv::imwrite(NewFile("voc/JPEGImages/" + id + ".png"), image));
      cv::Mat map(32, 32, CV_32F);
      cv::randu(map, -1, 1);
      io::WriteNpy(NewFile("out/maps/rise/" + id + ".npy"), map);
      if (i != 0) io::WriteNpy(NewFile("out/maps/borex:rise/" + id + ".npy"), map);  // 0: no map
      // The refinement is better on insertion and deletion for every image, worse on F-measure
      // for every image, and hits where the prior misses on one image and misses where it hits
      // on another (a tie). The second refined map holds its prior upside down. The first three
      // images show one item of the label, the last two several (counted in the prior's CSV).
      rise += io::CsvLine(Row(id, 0.3 + 0.1 * i, 0.2, 0.5, i == 2 ? 0 : 1, "", i < 3 ? "1" : "2"));
      borex += io::CsvLine(Row(id, 0.5 + 0.1 * i, 0.1 + 0.01 * i, 0.4 - 0.01 * i, i == 3 ? 0 : 1,
                               i == 1 ? "-0.5" : "1.5"));
      if (i < 2) {  // curves saved for rise's first two images only
        metrics::Evaluation e;
        e.insertion.scores = {0.1, 0.6, 0.9};
        e.deletion.scores = {0.9, 0.3, 0.1};
        e.insertion.fractions = e.deletion.fractions = {0, 0.5, 1};
        std::ofstream(NewFile("out/curves/rise/" + id + ".csv")) << CurvesCsv(e);
      }
    }
    std::ofstream(Path("out/rise.csv")) << rise;
    std::ofstream(Path("out/borex:rise.csv")) << borex;
  }

  // Path(name), its directory created.
  std::string NewFile(const std::string& name) const {
    fs::create_directories(fs::path(Path(name)).parent_path());
    return Path(name);
  }

  static std::vector<std::string> Row(const std::string& id, double insertion, double deletion,
                                      double f_measure, int pointing_hit,
                                      const std::string& prior_coefficient = "",
                                      const std::string& label_items = "") {
    // image_id, label, label_items, label_probability, label_rank, insertion, deletion, the
    // sums, f_measure, its sum, pointing_hit, average_drop, average_gain, hide_top,
    // prior_coefficient, prior_coefficient_sd, hyperparameter_weight, model_calls, seconds
    return {id,
            "1",
            label_items,
            "0.75",
            "1",
            std::to_string(insertion),
            std::to_string(deletion),
            "4",
            "2",
            std::to_string(f_measure),
            "",
            std::to_string(pointing_hit),
            "5",
            "1",
            "-0.1",
            prior_coefficient,
            "",
            "",
            "40",
            "0.5"};
  }

  ReportOptions Options() const {
    ReportOptions options;
    options.dirs = {Path("out")};
    options.html = true;
    return options;
  }

  // The report.html of the batch directory `dir`.
  std::string Page(const std::string& dir = "out") const {
    std::ifstream in(Path(dir + "/report.html"));
    return {std::istreambuf_iterator<char>(in), {}};
  }

  static size_t Count(const std::string& text, const std::string& needle) {
    size_t count = 0;
    for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
      ++count;
    return count;
  }

  // Image ids of the page's rows, in order.
  std::vector<std::string> RowIds() const {
    std::vector<std::string> ids;
    const nlohmann::json data = testing::ReportData(Page());
    for (const nlohmann::json& row : data["rows"]) ids.push_back(row["id"]);
    return ids;
  }

  std::vector<std::string> ids_ = {"a_first", kOddId, "c_third", "d_fourth", kScriptId};
};

TEST_F(HtmlReportTest, ShowsEveryMethodImageMapAndCurve) {
  const nlohmann::json summary = RunReport(Options());
  EXPECT_EQ(summary["html"]["path"], Path("out/report.html"));
  EXPECT_EQ(summary["html"]["images"], 5);
  EXPECT_EQ(summary["html"]["images_shown"], 5);
  EXPECT_EQ(summary["html"]["images_with_curves"], 0);  // borex:rise has none
  const std::string page = Page();
  for (const std::string method : {"rise", "borex:rise"})
    EXPECT_EQ(Count(page, "<tr class=\"method\" data-method=\"" + method + "\">"), 1u) << method;
  // borex:rise against rise, each metric tested for "better" and then for "worse": higher
  // insertion and lower deletion on every image (exact p = 1/32 one way, 1 the other), lower
  // F-measure on every image, and one hit against one miss in the pointing game. Then the same
  // on the images with one item (three) and with several (two).
  const nlohmann::json& comparisons = summary["comparisons"];
  EXPECT_FALSE(summary["html"].contains("comparisons"));
  ASSERT_EQ(comparisons.size(), 12u);
  const std::vector<std::pair<std::string, std::string>> tests = {{"insertion", "greater"},
                                                                  {"deletion", "less"},
                                                                  {"f_measure", "greater"},
                                                                  {"pointing_hit", "greater"}};
  const std::vector<std::pair<std::string, nlohmann::json>> subsets = {
      {"all", nlohmann::json::array()},
      {"one item", {Path("out/rise.csv") + ":label_items<2"}},
      {"several items", {Path("out/rise.csv") + ":label_items>1"}}};
  for (size_t s = 0; s < subsets.size(); ++s)
    for (size_t t = 0; t < tests.size(); ++t) {
      const nlohmann::json& c = comparisons[s * tests.size() + t];
      EXPECT_EQ(c["refined"], "borex:rise");
      EXPECT_EQ(c["prior"], "rise");
      EXPECT_EQ(c["subset"], subsets[s].first) << s;
      EXPECT_EQ(c["metric"], tests[t].first) << t;
      EXPECT_EQ(c["higher_is_better"], tests[t].first != "deletion") << t;
      EXPECT_EQ(c["better"]["alternative"], tests[t].second) << t;
      EXPECT_NE(c["worse"]["alternative"], tests[t].second) << t;
      for (const char* test : {"better", "worse"}) {
        EXPECT_EQ(c[test]["where"], subsets[s].second) << s;
        EXPECT_EQ(c[test]["n"], std::vector<int>({5, 3, 2})[s]) << s;
      }
    }
  // All images: insertion and deletion better on every image (exact p = 1/32 one way, 1 the
  // other), F-measure worse on every image, the pointing game a tie of one hit and one miss.
  for (const int t : {0, 1}) {
    EXPECT_NEAR(comparisons[t]["better"]["p_value"], 1.0 / 32, 1e-12) << t;
    EXPECT_NEAR(comparisons[t]["worse"]["p_value"], 1.0, 1e-12) << t;
    EXPECT_EQ(comparisons[t]["verdict"], "better (p = 0.031)") << t;
  }
  EXPECT_NEAR(comparisons[2]["better"]["p_value"], 1.0, 1e-12);
  EXPECT_NEAR(comparisons[2]["worse"]["p_value"], 1.0 / 32, 1e-12);
  EXPECT_EQ(comparisons[2]["verdict"], "worse (p = 0.031)");
  EXPECT_EQ(comparisons[3]["better"]["n_nonzero"], 2);
  EXPECT_NEAR(comparisons[3]["better"]["p_value"], comparisons[3]["worse"]["p_value"].get<double>(),
              1e-12);
  EXPECT_GT(comparisons[3]["better"]["p_value"].get<double>(), 0.5);
  EXPECT_EQ(comparisons[3]["verdict"], "no difference at the 5% level");
  // Better insertion on each subset's every image: exact p = 1/8 and 1/4.
  EXPECT_NEAR(comparisons[4]["better"]["p_value"], 1.0 / 8, 1e-12);
  EXPECT_NEAR(comparisons[8]["better"]["p_value"], 1.0 / 4, 1e-12);
  EXPECT_NE(page.find("<table id=\"comparisons\">"), std::string::npos);
  EXPECT_EQ(Count(page, "<td>better (p = 0.031)</td>"), 2u);  // insertion, deletion
  EXPECT_EQ(Count(page, "<td>worse (p = 0.031)</td>"), 1u);   // F-measure
  // pointing on all images; every metric on each subset, too small for p < 0.05
  EXPECT_EQ(Count(page, "<td>no difference at the 5% level</td>"), 9u);
  EXPECT_EQ(Count(page, "<td>one item</td>"), 4u);
  EXPECT_EQ(Count(page, "<td>several items</td>"), 4u);
  // No server, nothing fetched: no absolute or remote references.
  EXPECT_EQ(page.find("http"), std::string::npos);
  // Without scripts the page says where the pictures are.
  EXPECT_EQ(Count(page, "<noscript>"), 1u);
  // The maps against their prior: counted under the table, and sortable by a for borex:rise only.
  EXPECT_NE(page.find("borex:rise: 1 of 5 refined maps hold their prior upside down"),
            std::string::npos);
  EXPECT_EQ(Count(page, "prior_coefficient</option>"), 1u);
  EXPECT_EQ(Count(page, "<option value=\"m0-prior_coefficient\">"), 1u);
  for (const char* column : {"label_items", "label_probability", "label_rank"})
    EXPECT_EQ(Count(page, "<option value=\"i-" + std::string(column) + "\">"), 1u) << column;

  // The rows are data for the page's script, not HTML: the ids, odd ones included, come back
  // exactly from the element's text as an HTML parser delimits it, and no id can end the element
  // or open a comment.
  EXPECT_EQ(Count(page, "<tbody></tbody>"), 1u);
  EXPECT_EQ(Count(page, "</script>"), 2u);
  EXPECT_EQ(Count(page, "<!--"), 0u);
  EXPECT_EQ(page.find(kOddId), std::string::npos);
  const nlohmann::json data = testing::ReportData(page);
  EXPECT_EQ(data["methods"], nlohmann::json({"borex:rise", "rise"}));
  EXPECT_EQ(data["page_size"], 50);
  ASSERT_EQ(data["rows"].size(), 5u);
  int curves = 0, maps = 0;
  for (size_t i = 0; i < ids_.size(); ++i) {
    const nlohmann::json& row = data["rows"][i];
    EXPECT_EQ(row["id"], ids_[i]);
    ASSERT_EQ(row["m"].size(), 2u);
    // rise, the second method by name: its insertion, deletion, F-measure and hit, and no prior
    // coefficient; borex:rise's coefficient.
    const nlohmann::json& values = row["m"][1]["v"];
    ASSERT_EQ(values.size(), 5u);
    EXPECT_NEAR(values[0].get<double>(), 0.3 + 0.1 * static_cast<double>(i), 1e-6);
    EXPECT_NEAR(values[1].get<double>(), 0.2, 1e-6);
    EXPECT_NEAR(values[2].get<double>(), 0.5, 1e-6);
    EXPECT_EQ(values[3], i == 2 ? 0 : 1);
    EXPECT_TRUE(values[4].is_null());
    EXPECT_EQ(row["m"][0]["v"][4], i == 1 ? -0.5 : 1.5);
    // The image's columns: borex:rise's rows (the first method) lack the items, rise's have them.
    EXPECT_EQ(row["img"], nlohmann::json({i < 3 ? 1.0 : 2.0, 0.75, 1.0})) << i;
    for (const nlohmann::json& cell : row["m"]) {
      curves += cell.contains("curves");
      maps += cell.contains("overlay");
    }
  }
  EXPECT_EQ(curves, 2);    // rise's first two
  EXPECT_EQ(maps, 5 + 4);  // borex:rise has no map of the first
  EXPECT_EQ(data["rows"][1]["image"], "report_files/images/b%3C%26%22%23%25odd.png");

  // Every picture exists and decodes: the image and each map over it.
  const std::vector<std::string> pictures = testing::ReportPictures(data);
  EXPECT_EQ(pictures.size(), 5u + 5u + 4u);
  for (const std::string& picture : pictures) {
    EXPECT_EQ(picture.rfind("report_files/", 0), 0u) << picture;
    const cv::Mat image = cv::imread(Path("out/" + picture));
    EXPECT_FALSE(image.empty()) << picture;
    EXPECT_EQ(image.size(), cv::Size(60, 40)) << picture;
  }
}

// Without --html the summary still holds the comparisons, and its Markdown shows them.
TEST_F(HtmlReportTest, TheSummaryAndItsMarkdownCompareEachRefinementWithItsPrior) {
  ReportOptions options = Options();
  options.html = false;
  const nlohmann::json summary = RunReport(options);
  EXPECT_FALSE(summary.contains("html"));
  ASSERT_EQ(summary["comparisons"].size(), 12u);
  const std::string markdown = ReportMarkdown(summary);
  EXPECT_NE(markdown.find("| borex:rise | rise | all | insertion ↑ | 5 | 0.7000 | 0.5000 | "
                          "0.0312 | 1 | better (p = 0.031) |"),
            std::string::npos)
      << markdown;
  EXPECT_NE(markdown.find("| borex:rise | rise | several items | deletion ↓ | 2 |"),
            std::string::npos)
      << markdown;
  EXPECT_EQ(Count(markdown, "| borex:rise | rise |"), 12u);
}

TEST_F(HtmlReportTest, LimitAndSampleChooseTheImagesDeterministically) {
  ReportOptions options = Options();
  options.html_options.limit = 2;
  EXPECT_EQ(RunReport(options)["html"]["images_shown"], 2);
  EXPECT_EQ(RowIds(), (std::vector<std::string>{"a_first", kOddId}));
  // A report replaces the previous one's pictures.
  EXPECT_FALSE(fs::exists(Path("out/report_files/images/c_third.png")));

  options.html_options.sample = 3;
  std::set<std::vector<std::string>> samples;
  for (const std::uint64_t seed : {1, 2, 3, 4, 5}) {
    options.html_options.seed = seed;
    RunReport(options);
    const std::vector<std::string> ids = RowIds();
    EXPECT_EQ(ids.size(), 3u);
    EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
    RunReport(options);
    EXPECT_EQ(RowIds(), ids) << "seed " << seed;  // the same seed, the same images
    samples.insert(ids);
  }
  EXPECT_GT(samples.size(), 1u);  // the seed decides

  options.html_options.sample = -1;
  EXPECT_THROW(RunReport(options), OptionError);
}

TEST_F(HtmlReportTest, ASampleTakesEveryImageEquallyOften) {
  // Three of five images: each is in a uniform sample with probability 3/5. Over 300 seeds the
  // count's standard deviation is about 8.5 (a shuffle that swaps with any position, not only
  // the ones not yet drawn, takes them 146-223 times in 300).
  ReportOptions options = Options();
  options.html_options.sample = 3;
  std::map<std::string, int> taken;
  for (std::uint64_t seed = 0; seed < 300; ++seed) {
    options.html_options.seed = seed;
    RunReport(options);
    for (const std::string& id : RowIds()) ++taken[id];
  }
  for (const std::string& id : ids_) EXPECT_NEAR(taken[id], 180, 30) << id;
}

TEST_F(HtmlReportTest, CurvesAreDrawnThroughAtMostSixtyOneOfTheirPointsToTheLast) {
  // 150 points: every third (0, 3, ..., 147) and the last, 51 in all, on the 150 x 70 box
  // (x = 2 + 146 f, y = 68 − 66 s); an insertion score above 1 stays on the box's top edge.
  metrics::Evaluation e;
  for (int k = 0; k < 150; ++k) {
    e.insertion.fractions.push_back(k / 149.0);
    e.insertion.scores.push_back(1.5 * k / 149.0);
    e.deletion.scores.push_back(1 - k / 149.0);
  }
  e.deletion.fractions = e.insertion.fractions;
  std::ofstream(Path("out/curves/rise/a_first.csv")) << CurvesCsv(e);
  RunReport(Options());
  const nlohmann::json curves = testing::ReportData(Page())["rows"][0]["m"][1]["curves"];
  ASSERT_EQ(curves.size(), 2u);
  std::vector<std::string> points;
  std::istringstream insertion(curves[0].get<std::string>());
  for (std::string point; insertion >> point;) points.push_back(point);
  ASSERT_EQ(points.size(), 51u);
  EXPECT_EQ(points.front(), "2,68");
  EXPECT_EQ(points[1], "5,66");  // k = 3: x = 4.94, y = 68 − 66 · 0.0302 = 66.0
  EXPECT_EQ(points.back(), "148,2");
  EXPECT_EQ(curves[1].get<std::string>().substr(0, 5), "2,2 5");
}

TEST_F(HtmlReportTest, ImagesLargerThanTheThumbnailAreShrunkToItsSide) {
  cv::Mat image(240, 400, CV_8UC3);
  cv::randu(image, 0, 255);
  ASSERT_TRUE(cv::imwrite(Path("voc/JPEGImages/a_first.png"), image));
  RunReport(Options());
  const nlohmann::json row = testing::ReportData(Page())["rows"][0];
  EXPECT_EQ(row["w"], 160);
  EXPECT_EQ(row["h"], 96);
  for (const std::string& picture :
       {row["image"].get<std::string>(), row["m"][1]["overlay"].get<std::string>()})
    EXPECT_EQ(cv::imread(Path("out/" + picture)).size(), cv::Size(160, 96)) << picture;
}

TEST_F(HtmlReportTest, AClipsPictureIsTheMiddleOfTheFramesTheModelSaw) {
  // Ten frames, red = 20 t; the model saw frames 0, 2, 4, 6 (settings.json). The middle one of
  // those four is the third, clip frame 4, and the map's third frame (its left half 1, the rest
  // 0) goes over it.
  for (const std::string sub : {"clips/c1", "annotations", "splits"})
    fs::create_directories(Path("clips/" + sub));
  std::ofstream(Path("clips/classes.txt")) << "shirt\nshoe\n";
  for (int t = 0; t < 10; ++t)
    ASSERT_TRUE(cv::imwrite(Path("clips/clips/c1/f" + std::to_string(t) + ".png"),
                            cv::Mat(16, 24, CV_8UC3, cv::Scalar(0, 0, 20 * t))));
  io::WriteJson(NewFile("clip_out/batch.json"), {{"video_root", Path("clips")}});
  io::WriteJson(Path("clip_out/settings.json"), {{"video", {{"frames", 4}, {"frame_stride", 2}}}});
  std::vector<cv::Mat> maps(4);
  for (cv::Mat& map : maps) map = cv::Mat::zeros(16, 24, CV_32F);
  maps[2].colRange(0, 12).setTo(1);
  io::WriteNpy3D(NewFile("clip_out/maps/rise/c1.npy"), maps);
  std::ofstream(Path("clip_out/rise.csv"))
      << io::CsvLine(BatchCsvHeader()) << io::CsvLine(Row("c1", 0.5, 0.2, 0.5, 1));
  ReportOptions options;
  options.dirs = {Path("clip_out")};
  options.html = true;
  RunReport(options);
  const nlohmann::json data = testing::ReportData(Page("clip_out"));
  EXPECT_EQ(data["video"], "clip frame 4: the middle of the 4 frames the model saw");
  const nlohmann::json& row = data["rows"][0];
  const cv::Mat picture = cv::imread(Path("clip_out/" + row["image"].get<std::string>()));
  EXPECT_EQ(picture.at<cv::Vec3b>(8, 12), cv::Vec3b(0, 0, 80));
  const cv::Mat overlay = cv::imread(Path("clip_out/" + row["m"][0]["overlay"].get<std::string>()));
  ASSERT_EQ(overlay.size(), cv::Size(24, 16));
  EXPECT_GT(cv::norm(cv::mean(overlay.colRange(0, 12)) - cv::mean(overlay.colRange(12, 24))), 30);
}

TEST_F(HtmlReportTest, AMissingImageFailsBeforeAnythingIsWritten) {
  fs::remove(Path("voc/JPEGImages/c_third.png"));
  try {
    RunReport(Options());
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("c_third"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(Path("out/report.html")));
  EXPECT_FALSE(fs::exists(Path("out/report_files")));

  fs::remove(Path("out/batch.json"));
  EXPECT_THROW(RunReport(Options()), InputError);
}

// batch.json and, for clips, settings.json are read field by field: a wrong or missing field is
// one line naming the file and the field, and nothing is written.
TEST_F(HtmlReportTest, ABadDatasetRecordIsOneLineNamingTheFileAndField) {
  const auto expect_error = [&](const std::string& file, const std::string& needle) {
    try {
      RunReport(Options());
      ADD_FAILURE() << "no error for " << needle;
    } catch (const InputError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(Path(file)), std::string::npos) << what;
      EXPECT_NE(what.find(needle), std::string::npos) << what;
    }
    EXPECT_FALSE(fs::exists(Path("out/report.html")));
  };
  io::WriteJson(Path("out/batch.json"), {{"voc_root", 7}});
  expect_error("out/batch.json", "\"voc_root\" must be a string, got 7");

  io::WriteJson(Path("out/batch.json"), {{"video_root", Path("voc")}});
  expect_error("out/settings.json", "missing");
  io::WriteJson(Path("out/settings.json"), {{"seed", 0}});
  expect_error("out/settings.json", "no \"video\" field");
  io::WriteJson(Path("out/settings.json"), {{"video", {{"frames", 16}}}});
  expect_error("out/settings.json", "video: no \"frame_stride\" field");
  io::WriteJson(Path("out/settings.json"), {{"video", {{"frames", "16"}, {"frame_stride", 1}}}});
  expect_error("out/settings.json", "video: \"frames\" must be a positive integer, got \"16\"");
  io::WriteJson(Path("out/settings.json"), {{"video", {{"frames", 16}, {"frame_stride", 0}}}});
  expect_error("out/settings.json", "\"frame_stride\" must be a positive integer, got 0");
}

}  // namespace
}  // namespace borex::app
