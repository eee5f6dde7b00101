#include "borex/app/batch.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>

#include "borex/app/curves.h"
#include "borex/app/prepared_image.h"
#include "borex/app/report.h"
#include "borex/core/error.h"
#include "borex/dataset/voc.h"
#include "borex/gp/hyperparameters.h"
#include "borex/io/csv.h"
#include "borex/io/json_file.h"
#include "borex/io/npy.h"
#include "borex/mask/segments.h"
#include "borex/model/torchscript_classifier.h"
#include "support/curve_area.h"
#include "support/fake_classifier.h"
#include "support/html_references.h"
#include "support/message_of.h"
#include "support/temp_dir.h"

namespace borex::app {
namespace {

using borex::testing::MessageOf;

namespace fs = std::filesystem;

const std::string kSource = BOREX_SOURCE_DIR;
const std::string kTiny = kSource + "/tests/data/voc_tiny";

TEST(BatchMethodsTest, ParsesMethodsPriorsAndVariants) {
  refine::RefineOptions base;
  base.iterations = 7;
  const auto methods = ParseBatchMethods(
      "rise,gradcam++,mokuwe,borex:rise,borex:gradcam++:no-flip:simple-average,borex:none,"
      "borex:rise:box:no-prior",
      base, "--methods");
  ASSERT_EQ(methods.size(), 7u);
  EXPECT_FALSE(methods[0].refines);
  EXPECT_EQ(methods[1].method, explain::Method::kGradCamPlusPlus);
  EXPECT_TRUE(methods[2].refines);
  EXPECT_FALSE(methods[2].has_prior);
  EXPECT_FALSE(methods[2].refine.flip);
  EXPECT_FALSE(methods[2].refine.weighted_average);
  EXPECT_FALSE(methods[2].refine.use_prior);
  EXPECT_TRUE(methods[3].refines && methods[3].has_prior && methods[3].refine.flip &&
              methods[3].refine.weighted_average && methods[3].refine.use_prior);
  EXPECT_EQ(methods[3].refine.iterations, 7);
  EXPECT_EQ(methods[4].method, explain::Method::kGradCamPlusPlus);
  EXPECT_FALSE(methods[4].refine.flip);
  EXPECT_FALSE(methods[4].refine.weighted_average);
  EXPECT_TRUE(methods[4].refine.use_prior);
  EXPECT_FALSE(methods[5].has_prior);
  EXPECT_FALSE(methods[5].refine.use_prior);
  EXPECT_TRUE(methods[5].refine.flip);
  // Bug: :no-prior still computed (and checked) the prior it does not use.
  EXPECT_FALSE(methods[6].has_prior);
  EXPECT_EQ(methods[6].refine.aggregation, refine::Aggregation::kBox);
  EXPECT_FALSE(methods[6].refine.use_prior);
  for (const char* bad :
       {"", "rise,rise", "lime", "borex", "borex:lime", "borex:rise:fast", "rise:no-flip",
        "mokuwe:no-flip", "rise,", "rise:segments", "borex:rise:segments"})
    EXPECT_THROW(ParseBatchMethods(bad, base, "--methods"), OptionError) << bad;
  base.map_segment_weight = 0.5;  // the move :segments applies
  const auto blended = ParseBatchMethods("rise:segments,gradcam++", base, "--methods");
  EXPECT_TRUE(blended[0].segments);
  EXPECT_FALSE(blended[0].refines);
  EXPECT_EQ(blended[0].method, explain::Method::kRise);
  EXPECT_FALSE(blended[1].segments);
  EXPECT_THROW(ParseBatchMethods("rise:segments:segments", base, "--methods"), OptionError);
}

class BatchTest : public testing::TempDirTest {
 protected:
  BatchOptions Options(const std::string& out) const {
    BatchOptions options;
    options.voc_root = kTiny;
    options.split = "test";
    options.out_dir = out;
    options.methods = "rise,borex:rise,borex:none";
    options.explain.rise.masks = 16;
    options.refine.iterations = 4;
    options.metrics.step = 4096;
    return options;
  }
  // Options for a fake classifier, whose classes the dataset does not name: `methods` on the
  // first `limit` images, into fake/.
  BatchOptions FakeOptions(const std::string& methods, int limit) const {
    BatchOptions options = Options(Path("fake"));
    options.methods = methods;
    options.limit = limit;
    options.allow_unmatched = true;
    return options;
  }
  // Runs the batch with a freshly loaded model_ (as the CLI does).
  BatchResult Run(const BatchOptions& options) const {
    model::TorchScriptClassifier classifier(model_);
    return RunBatch(classifier, options);
  }
  static std::vector<std::vector<std::string>> Rows(const std::string& path) {
    return io::ReadCsv(path).rows;
  }
  // The rows without their timing column, which differs between runs.
  static std::vector<std::vector<std::string>> Values(const std::string& path) {
    auto rows = Rows(path);
    for (auto& row : rows) row.pop_back();
    return rows;
  }
  model::ModelOptions model_ = [] {
    model::ModelOptions model;
    model.path = kSource + "/models/fashion_scenes_resnet.pt";
    model.threads = 2;
    return model;
  }();
};

TEST_F(BatchTest, WritesOneRowAndMapPerImageAndMethodAndResumes) {
  const BatchOptions options = Options(Path("out"));
  const nlohmann::json summary = Run(options).summary;
  EXPECT_EQ(summary["images_processed"], 6);
  EXPECT_TRUE(summary["skipped"].empty());
  for (const std::string method : {"rise", "borex:rise", "borex:none"}) {
    const io::CsvTable table = io::ReadCsv(Path("out/" + method + ".csv"));
    EXPECT_EQ(table.header, BatchCsvHeader());
    ASSERT_EQ(table.rows.size(), 6u) << method;
    for (const auto& row : table.rows) {
      const cv::Mat map = io::ReadNpyMap(Path("out/maps/" + method + "/" + row[0] + ".npy"));
      EXPECT_EQ(map.size(), cv::Size(128, 128));
      EXPECT_FALSE(row[table.RequireColumn("f_measure")].empty());
    }
  }
  // The label is the annotated class (the bundled model's names are the dataset's).
  EXPECT_EQ(Rows(Path("out/rise.csv"))[2][1], "1");  // test_000002: trouser
  // BOREx's model calls: 2 per iteration (the flipped and the masked image).
  EXPECT_EQ(Rows(Path("out/borex:rise.csv"))[0][BatchCsvHeader().size() - 2], "8");

  const auto before = Values(Path("out/borex:rise.csv"));
  const nlohmann::json again = Run(options).summary;
  EXPECT_EQ(again["images_processed"], 0);
  EXPECT_EQ(again["rows_resumed"], 18);
  std::ifstream runs(Path("out/batch_runs.jsonl"));
  std::string first, second;
  std::getline(runs, first);
  std::getline(runs, second);
  EXPECT_EQ(nlohmann::json::parse(first)["images_processed"], 6);
  EXPECT_EQ(nlohmann::json::parse(second)["images_processed"], 0);
  EXPECT_EQ(Values(Path("out/borex:rise.csv")), before);

  // A lost borex row is recomputed from the stored prior map, identically.
  {
    std::ofstream cut(Path("out/borex:rise.csv"), std::ios::trunc);
    cut << io::CsvLine(BatchCsvHeader());
  }
  Run(options);
  EXPECT_EQ(Values(Path("out/borex:rise.csv")), before);
}

// METHOD:segments: METHOD's own map (the same computation, no model call more) moved over the
// image's segments as --map-segments moves BOREx's.
TEST_F(BatchTest, SegmentsVariantIsTheMethodsMapBlendedOverTheImagesSegments) {
  BatchOptions options = Options(Path("out"));
  options.methods = "rise,rise:segments";
  options.limit = 2;
  options.refine.map_segment_weight = 0.5;
  options.refine.map_segment_form = mask::SegmentForm::kRaise;
  Run(options);
  const auto plain = Rows(Path("out/rise.csv")), blended = Rows(Path("out/rise:segments.csv"));
  ASSERT_EQ(plain.size(), 2u);
  ASSERT_EQ(blended.size(), 2u);
  model::TorchScriptClassifier classifier(model_);
  mask::SegmentOptions segments;
  segments.scale = options.refine.level_set_segments;
  const size_t calls = BatchCsvHeader().size() - 2;
  for (size_t i = 0; i < plain.size(); ++i) {
    const std::string id = plain[i][0];
    EXPECT_EQ(blended[i][calls], plain[i][calls]);
    const PreparedImage image = PrepareImage(classifier, kTiny + "/JPEGImages/" + id + ".png");
    const cv::Mat expected = mask::SegmentBlend(
        io::ReadNpyMap(Path("out/maps/rise/" + id + ".npy")),
        mask::SegmentLabels(image.working, segments), 0.5, options.refine.map_segment_form);
    EXPECT_EQ(cv::norm(io::ReadNpyMap(Path("out/maps/rise:segments/" + id + ".npy")), expected,
                       cv::NORM_INF),
              0.0)
        << id;
  }
  options.voc_root.clear();  // a clip dataset has no image segments
  options.video_root = kSource + "/tests/data/video_tiny";
  EXPECT_THROW(options.Check(), OptionError);
}

TEST_F(BatchTest, SavedCurvesGiveEachRowsAreas) {
  BatchOptions options = Options(Path("out"));
  options.methods = "rise,borex:rise";
  options.limit = 3;
  options.save_curves = true;
  Run(options);
  for (const std::string method : {"rise", "borex:rise"}) {
    const io::CsvTable table = io::ReadCsv(Path("out/" + method + ".csv"));
    ASSERT_EQ(table.rows.size(), 3u);
    for (const auto& row : table.rows) {
      const SavedCurves curves =
          ReadCurvesCsv(Path("out/curves/" + method + "/" + row[0] + ".csv"));
      for (const auto& [curve, column] :
           {std::pair<const metrics::Curve&, std::string>{curves.insertion, "insertion"},
            {curves.deletion, "deletion"}}) {
        ASSERT_EQ(curve.scores.size(), 128u * 128u / 4096u + 1u);  // --step 4096
        EXPECT_NEAR(testing::TrapezoidArea(curve), std::stod(row[table.RequireColumn(column)]),
                    1e-12)
            << row[0];
      }
    }
  }
  // Without --save-curves no curves are kept.
  options.out_dir = Path("plain");
  options.save_curves = false;
  Run(options);
  EXPECT_FALSE(fs::exists(Path("plain/curves")));
}

TEST_F(BatchTest, ShardsPartitionTheImagesAndReportMergesThem) {
  BatchOptions options = Options(Path("out"));
  options.methods = "gradcam++,borex:gradcam++";
  for (int k = 1; k <= 2; ++k) {
    options.shard = {k, 2};
    Run(options);
  }
  EXPECT_EQ(Rows(Path("out/shard-1-of-2/gradcam++.csv")).size(), 3u);
  EXPECT_EQ(Rows(Path("out/shard-2-of-2/gradcam++.csv")).size(), 3u);
  ReportOptions report;
  report.dirs = {Path("out")};
  report.json_path = Path("summary.json");
  const nlohmann::json summary = RunReport(report);
  EXPECT_EQ(summary["methods"]["gradcam++"]["images"], 6);
  EXPECT_EQ(Rows(Path("out/borex:gradcam++.csv")).size(), 6u);
  EXPECT_TRUE(fs::exists(Path("summary.json")));

  // The unsharded run gives the same values: seeds depend on the image, not the shard.
  BatchOptions whole = Options(Path("whole"));
  whole.methods = options.methods;
  Run(whole);
  auto sorted = [](std::vector<std::vector<std::string>> rows) {
    std::sort(rows.begin(), rows.end());
    return rows;
  };
  EXPECT_EQ(sorted(Values(Path("out/borex:gradcam++.csv"))),
            sorted(Values(Path("whole/borex:gradcam++.csv"))));
}

TEST_F(BatchTest, ReportRejectsConflictingRows) {
  fs::create_directories(dir_ / "out/shard-1-of-2");
  const std::string header = io::CsvLine(BatchCsvHeader());
  // id, label, label_items, label_probability, label_rank, the metrics, prior_coefficient,
  // prior_coefficient_sd, hyperparameter_weight, cost; and the metrics and cost of the version
  // before the image columns, which had prior_coefficient only.
  const std::string metrics = ",0.5,0.1,1,1,0.2,2,1,10,0,0.2,,,,5,";
  const std::string older_metrics = ",0.5,0.1,1,1,0.2,2,1,10,0,0.2,,5,";
  std::ofstream(Path("out/rise.csv")) << header << "a,1,1,0.9,1" << metrics << "0.1\n";
  // a again in a file of the version before the image columns, differing in seconds: the same
  // row (the columns that file lacks agree with any value).
  std::ofstream(Path("out/shard-1-of-2/rise.csv"))
      << io::CsvLine(OlderBatchCsvHeaders().at(1)) << "a,1" << older_metrics << "0.3\nb,1"
      << older_metrics << "0.1\n";
  ReportOptions report;
  report.dirs = {Path("out")};
  const nlohmann::json summary = RunReport(report);
  EXPECT_EQ(summary["methods"]["rise"]["images"], 2);
  EXPECT_DOUBLE_EQ(summary["methods"]["rise"]["pointing_hit"].get<double>(), 1);
  // The merged file holds b with its image columns empty (unknown): a later file's values for
  // them agree, and fill them.
  std::ofstream(Path("out/shard-1-of-2/rise.csv")) << header << "b,1,2,0.4,2" << metrics << "0.1\n";
  RunReport(report);
  const io::CsvTable merged = io::ReadCsv(Path("out/rise.csv"));
  EXPECT_EQ(merged.rows.at(1).at(merged.RequireColumn("label_items")), "2");
  // Another value is a conflict, in the image columns as in the others; an empty metric is one.
  for (const std::string& conflict :
       {"a,2,1,0.9,1" + metrics + "0.1", "a,1,2,0.9,1" + metrics + "0.1",
        "a,1,1,0.8,1" + metrics + "0.1",
        std::string("a,1,1,0.9,1,,0.1,1,1,0.2,2,1,10,0,0.2,,,,5,0.1")}) {
    std::ofstream(Path("out/shard-1-of-2/rise.csv")) << header << conflict << "\n";
    EXPECT_THROW(RunReport(report), InputError) << conflict;
  }
  std::ofstream(Path("out/shard-1-of-2/rise.csv")) << "image_id,x\n";
  EXPECT_THROW(RunReport(report), InputError);
}

// Bug: a conflict in one method's rows stopped the report after it had rewritten the merged CSVs
// of the methods before it; a cell that is not a number stopped it with "stod", and "nan" was
// averaged; an output named like a file the report reads overwrote it.
TEST_F(BatchTest, ReportChecksEveryMethodAndItsOutputsBeforeWritingAny) {
  fs::create_directories(dir_ / "out/shard-1-of-2");
  const std::string header = io::CsvLine(BatchCsvHeader());
  const std::string metrics = ",0.5,0.1,1,1,0.2,2,1,10,0,0.2,,,,5,";
  // "gradcam" merges cleanly and sorts before "rise", whose second file conflicts.
  std::ofstream(Path("out/gradcam.csv")) << header << "a,1,1,0.9,1" << metrics << "0.1\n";
  std::ofstream(Path("out/shard-1-of-2/gradcam.csv"))
      << header << "b,1,1,0.9,1" << metrics << "0.1\n";
  std::ofstream(Path("out/rise.csv")) << header << "a,1,1,0.9,1" << metrics << "0.1\n";
  std::ofstream(Path("out/shard-1-of-2/rise.csv")) << header << "a,2,1,0.9,1" << metrics << "0.1\n";
  ReportOptions report;
  report.dirs = {Path("out")};
  EXPECT_THROW(RunReport(report), InputError);
  EXPECT_EQ(Rows(Path("out/gradcam.csv")).size(), 1u);  // not merged: nothing was written

  std::ofstream(Path("out/shard-1-of-2/rise.csv")) << header << "b,1,1,0.9,1,abc,0.1,1,1,0.2,2,1,"
                                                   << "10,0,0.2,,,,5,0.1\n";
  try {
    RunReport(report);
    ADD_FAILURE() << "a non-numeric cell was read";
  } catch (const InputError& e) {
    EXPECT_NE(
        std::string(e.what()).find("image 'b': column 'insertion' has 'abc', not a finite number"),
        std::string::npos)
        << e.what();
  }
  std::ofstream(Path("out/shard-1-of-2/rise.csv")) << header << "b,1,1,0.9,1,nan,0.1,1,1,0.2,2,1,"
                                                   << "10,0,0.2,,,,5,0.1\n";
  EXPECT_THROW(RunReport(report), InputError);
  EXPECT_EQ(Rows(Path("out/gradcam.csv")).size(), 1u);

  std::ofstream(Path("out/shard-1-of-2/rise.csv")) << header << "b,1,1,0.9,1" << metrics << "0.1\n";
  for (const std::string& output : {"out/rise.csv", "out/shard-1-of-2/gradcam.csv"}) {
    report.json_path = Path(output);
    try {
      RunReport(report);
      ADD_FAILURE() << "--json " << output << " overwrote an input";
    } catch (const OptionError& e) {
      EXPECT_EQ(std::string(e.what()).rfind("--json: ", 0), 0u) << e.what();
    }
  }
  report.json_path = Path("summary");
  report.markdown_path = Path("summary");
  EXPECT_THROW(RunReport(report), OptionError);
  EXPECT_EQ(Rows(Path("out/gradcam.csv")).size(), 1u);
  EXPECT_EQ(Rows(Path("out/rise.csv")).size(), 1u);
  report.markdown_path = Path("summary.md");
  EXPECT_EQ(RunReport(report)["methods"]["rise"]["images"], 2);
  EXPECT_EQ(Rows(Path("out/gradcam.csv")).size(), 2u);
}

// borex:PRIOR's rows record the fitted coefficient a of the prior mean, with the std of a's prior
// of the most likely grid point (one of the grid's), and every refinement's row the posterior
// weight of its most likely hyperparameters (the defaults average the final map over them); the
// batch and the report count the maps with a < 0 (the prior upside down), resumed rows included.
TEST_F(BatchTest, RecordsThePriorsCoefficientAndCountsMapsAgainstThePrior) {
  BatchOptions options = Options(Path("out"));
  options.limit = 3;
  Run(options);
  const io::CsvTable refined = io::ReadCsv(Path("out/borex:rise.csv"));
  const int a = refined.RequireColumn("prior_coefficient");
  const int sd = refined.RequireColumn("prior_coefficient_sd");
  const int weight = refined.RequireColumn("hyperparameter_weight");
  const std::vector<double> sd_grid = gp::CoefficientSdGrid();
  for (const auto& row : refined.rows) {
    EXPECT_TRUE(std::isfinite(std::stod(row[a]))) << row[0];
    EXPECT_TRUE(std::any_of(sd_grid.begin(), sd_grid.end(), [&](double grid) {
      return std::abs(std::stod(row[sd]) - grid) < 1e-9 * grid;
    })) << row[sd];
  }
  for (const std::string method : {"rise", "borex:none"})  // no prior fitted
    for (const auto& row : Rows(Path("out/" + method + ".csv"))) {
      EXPECT_EQ(row[a], "") << method;
      EXPECT_EQ(row[sd], "") << method;
    }
  // Refined: a weight in (0, 1], below 1 where the grid's points share the evidence.
  for (const std::string method : {"borex:rise", "borex:none"}) {
    double smallest = 1;
    for (const auto& row : Rows(Path("out/" + method + ".csv"))) {
      EXPECT_GT(std::stod(row[weight]), 0) << method;
      EXPECT_LE(std::stod(row[weight]), 1) << method;
      smallest = std::min(smallest, std::stod(row[weight]));
    }
    EXPECT_LT(smallest, 1) << method;
  }
  for (const auto& row : Rows(Path("out/rise.csv"))) EXPECT_EQ(row[weight], "");

  // A resumed CSV's rows count too: one row's a made negative, another row dropped.
  auto rows = refined.rows;
  rows[0][a] = "-0.5";
  long negative = 1;
  for (size_t i = 1; i < 3; ++i) negative += std::stod(rows[i][a]) < 0;
  const long recomputed = std::stod(rows[2][a]) < 0;
  rows.pop_back();
  {
    std::ofstream cut(Path("out/borex:rise.csv"), std::ios::trunc);
    cut << io::CsvLine(BatchCsvHeader());
    for (const auto& row : rows) cut << io::CsvLine(row);
  }
  const BatchResult result = Run(options);
  EXPECT_EQ(result.summary["methods"]["borex:rise"]["maps_against_prior"], negative);
  EXPECT_TRUE(result.summary["methods"]["rise"]["maps_against_prior"].is_null());
  EXPECT_EQ(result.methods[1].maps_against_prior, negative);
  EXPECT_EQ(result.methods[0].maps_against_prior, -1);
  EXPECT_EQ(std::stod(Rows(Path("out/borex:rise.csv"))[2][a]) < 0, recomputed);

  ReportOptions report;
  report.dirs = {Path("out")};
  const nlohmann::json summary = RunReport(report);
  EXPECT_EQ(summary["methods"]["borex:rise"]["maps_against_prior"], negative);
  EXPECT_TRUE(summary["methods"]["rise"]["maps_against_prior"].is_null());
  const std::string note =
      "borex:rise: " + std::to_string(negative) + " of 3 refined maps hold their prior upside down";
  EXPECT_NE(ReportMarkdown(summary).find(note), std::string::npos);
  report.html = true;
  RunReport(report);
  std::ifstream page(Path("out/report.html"));
  EXPECT_NE(std::string(std::istreambuf_iterator<char>(page), {}).find(note), std::string::npos);
}

// A directory written by an earlier version (before the hyperparameter columns, before the image
// columns too, and before prior_coefficient too) resumes in its own columns and merges.
TEST_F(BatchTest, ResumesAndMergesCsvsOfAnEarlierVersion) {
  BatchOptions options = Options(Path("out"));
  options.methods = "rise,borex:rise";
  options.limit = 3;
  Run(options);
  const std::vector<std::string>& header = BatchCsvHeader();
  const auto current = Rows(Path("out/borex:rise.csv"));
  ASSERT_EQ(OlderBatchCsvHeaders().size(), 3u);
  ASSERT_EQ(OlderBatchCsvHeaders()[0].size() + 2, header.size());
  ASSERT_EQ(OlderBatchCsvHeaders()[1].size() + BatchImageColumns().size(),
            OlderBatchCsvHeaders()[0].size());
  ASSERT_EQ(OlderBatchCsvHeaders()[2].size() + 1, OlderBatchCsvHeaders()[1].size());
  for (const std::vector<std::string>& older : OlderBatchCsvHeaders()) {
    // The rows in the older header's columns.
    std::vector<std::vector<std::string>> kept;
    for (const auto& row : current) {
      kept.emplace_back();
      for (const std::string& column : older)
        kept.back().push_back(
            row[std::find(header.begin(), header.end(), column) - header.begin()]);
    }
    auto before = kept;
    for (auto& row : before) row.pop_back();  // the timing column, as Values() drops it
    kept.pop_back();                          // the last image is computed again
    {
      std::ofstream cut(Path("out/borex:rise.csv"), std::ios::trunc);
      cut << io::CsvLine(older);
      for (const auto& row : kept) cut << io::CsvLine(row);
    }
    const nlohmann::json again = Run(options).summary;
    EXPECT_EQ(again["rows_resumed"], 3 + 2);
    const io::CsvTable table = io::ReadCsv(Path("out/borex:rise.csv"));
    EXPECT_EQ(table.header, older);
    EXPECT_EQ(Values(Path("out/borex:rise.csv")), before);
    ReportOptions report;
    report.dirs = {Path("out")};
    const nlohmann::json summary = RunReport(report);
    EXPECT_EQ(summary["methods"]["borex:rise"]["images"], 3);
    EXPECT_EQ(summary["methods"]["borex:rise"]["maps_against_prior"].is_null(),
              older.size() < OlderBatchCsvHeaders()[1].size());
  }
}

// The image's own columns: the items of the label in its annotation, and the model's
// probability and rank of the label on the whole image, the same in every method's CSV.
TEST_F(BatchTest, RecordsTheLabelsItemsProbabilityAndRank) {
  BatchOptions options = Options(Path("out"));
  options.methods = "rise,borex:rise";
  Run(options);
  model::TorchScriptClassifier classifier(model_);
  const std::vector<std::string>& names = classifier.info().class_names;
  const io::CsvTable table = io::ReadCsv(Path("out/rise.csv"));
  ASSERT_EQ(table.rows.size(), 6u);
  const int items = table.RequireColumn("label_items");
  const int probability = table.RequireColumn("label_probability");
  const int rank = table.RequireColumn("label_rank");
  int several = 0;
  for (const auto& row : table.rows) {
    const int label = std::stoi(row[1]);
    const dataset::Annotation annotation =
        dataset::ReadVocAnnotation(kTiny + "/Annotations/" + row[0] + ".xml");
    const auto count = std::count_if(annotation.objects.begin(), annotation.objects.end(),
                                     [&](const auto& o) { return o.name == names[label]; });
    EXPECT_EQ(row[items], std::to_string(count)) << row[0];
    several += count > 1;
    const PreparedImage image = PrepareImage(classifier, kTiny + "/JPEGImages/" + row[0] + ".png");
    EXPECT_NEAR(std::stod(row[probability]), image.probabilities[label], 1e-6) << row[0];
    int higher = 0;
    for (Eigen::Index c = 0; c < image.probabilities.size(); ++c)
      higher += image.probabilities[c] > image.probabilities[label];
    EXPECT_EQ(row[rank], std::to_string(1 + higher)) << row[0];
  }
  EXPECT_EQ(several, 2);  // test_000002 and test_000016 show two items
  // The same image columns in the refinement's CSV; the report does not average them.
  const io::CsvTable refined = io::ReadCsv(Path("out/borex:rise.csv"));
  for (size_t i = 0; i < table.rows.size(); ++i)
    for (const std::string& column : BatchImageColumns())
      EXPECT_EQ(refined.rows[i][refined.RequireColumn(column)],
                table.rows[i][table.RequireColumn(column)]);
  ReportOptions report;
  report.dirs = {Path("out")};
  EXPECT_FALSE(RunReport(report)["methods"]["rise"].contains("label_probability"));
}

// A plain method's row carries the cost of its map: Grad-CAM++'s one gradient pass and its time
// (read after the map is computed, not before).
TEST_F(BatchTest, APlainMapsRowCountsItsModelCallsAndTime) {
  BatchOptions options = Options(Path("out"));
  options.methods = "gradcam++";
  options.limit = 2;
  Run(options);
  const io::CsvTable table = io::ReadCsv(Path("out/gradcam++.csv"));
  ASSERT_EQ(table.rows.size(), 2u);
  for (const auto& row : table.rows) {
    EXPECT_EQ(row[table.RequireColumn("model_calls")], "1") << row[0];
    EXPECT_GT(std::stod(row[table.RequireColumn("seconds")]), 1e-4) << row[0];
  }
}

TEST_F(BatchTest, SkipsBrokenImagesWithAReason) {
  fs::copy(kTiny, dir_ / "voc", fs::copy_options::recursive);
  fs::remove(dir_ / "voc/Annotations/test_000001.xml");
  std::ofstream(Path("voc/Annotations/test_000002.xml")) << "<annotation><object>";
  fs::remove(dir_ / "voc/JPEGImages/test_000003.png");
  {
    std::ofstream ids(Path("voc/ImageSets/Main/test.txt"), std::ios::app);
    ids << "test_000099\n";
  }
  BatchOptions options = Options(Path("out"));
  options.voc_root = Path("voc");
  options.methods = "gradcam";
  const nlohmann::json summary = Run(options).summary;
  EXPECT_EQ(summary["images_processed"], 3);
  ASSERT_EQ(summary["skipped"].size(), 4u);
  EXPECT_NE(summary["skipped"][0]["reason"].get<std::string>().find("test_000001.xml"),
            std::string::npos);
  EXPECT_EQ(Rows(Path("out/gradcam.csv")).size(), 3u);
}

TEST_F(BatchTest, RefusesToMixResultsOfOtherSettings) {
  BatchOptions options = Options(Path("out"));
  options.methods = "gradcam";
  options.limit = 1;
  Run(options);
  model_.threads = 1;  // threads do not change results
  EXPECT_NO_THROW(Run(options));
  options.refine.kappa = 3;  // BOREx settings do, even for methods not yet run
  EXPECT_THROW(Run(options), InputError);
  options = Options(Path("out"));
  options.methods = "gradcam";
  options.limit = 1;
  options.metrics.step = 1024;
  EXPECT_THROW(Run(options), InputError);
  // Shards written with other settings cannot be merged.
  options.out_dir = Path("out");
  options.shard = {1, 2};
  Run(options);
  ReportOptions report;
  report.dirs = {Path("out")};
  EXPECT_THROW(RunReport(report), InputError);
}

// A directory written before a setting existed (its settings.json without the key) resumes and
// merges with runs that leave the setting at the behaviour it had then, and not otherwise.
TEST_F(BatchTest, SettingsAddedLaterReadAsTheirEarlierBehaviour) {
  BatchOptions options = Options(Path("out"));
  options.methods = "gradcam";
  options.limit = 1;
  options.shard = {1, 2};
  // The squares' GP: the behaviour of a directory written before these settings existed.
  options.refine.gp_domain = refine::GpDomain::kMasks;
  Run(options);
  const std::string recorded = Path("out/shard-1-of-2/settings.json");
  nlohmann::json settings = io::ReadJson(recorded);
  // Each setting added since the format began, with the behaviour before it.
  const std::pair<const char*, nlohmann::json> added[] = {
      {"nonnegative_prior_coefficient", false},
      {"gp_over", "masks"},
      {"prior_level_sets", nlohmann::json::array()},
      {"posterior_level_sets", nlohmann::json::array()},
      {"level_set_segments", 0.0},
      {"map_segment_weight", 0.0},
      {"map_segment_form", "none"},
      {"fit_noise_variance", false},
      {"fit_prior_coefficient_sd", false},
      {"average_hyperparameters", false},
      {"deviation_floors", nlohmann::json::array()},
      {"rise_observations", "off"},
      {"rise_observation_limit", 0}};
  for (const auto& [key, before] : added) {
    ASSERT_TRUE(settings["refine"].contains(key)) << key;
    settings["refine"].erase(key);
  }
  std::ofstream(recorded) << settings.dump(2);
  for (const auto& [key, before] : added)
    EXPECT_EQ(ReadBatchSettings(recorded)["refine"][key], before) << key;
  EXPECT_NO_THROW(Run(options));  // resumes
  options.shard = {2, 2};
  Run(options);
  ReportOptions report;
  report.dirs = {Path("out")};
  EXPECT_NO_THROW(RunReport(report));  // merges with a shard that records the key
  options.shard = {1, 2};
  options.refine.nonnegative_prior_coefficient = true;  // another behaviour: refused
  try {
    Run(options);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("nonnegative_prior_coefficient"), std::string::npos)
        << e.what();
  }
}

// --rise-observations: the batch hands each RISE prior's samples to its refinement (the tiny set's
// noisy 16-mask priors mark several places in some scenes), off refines as before, and the prior's
// own rows are the same either way.
TEST_F(BatchTest, RiseObservationsReachTheRefinerFromTheSharedPasses) {
  BatchOptions options = Options(Path("regions"));
  options.methods = "rise,borex:rise";
  BatchOptions off = options;
  off.out_dir = Path("off");
  off.refine.rise_observations = refine::RiseObservations::kOff;
  Run(options);
  Run(off);
  EXPECT_EQ(Values(Path("regions/rise.csv")), Values(Path("off/rise.csv")));
  int differ = 0;
  for (const auto& row : Rows(Path("off/borex:rise.csv"))) {
    const cv::Mat a = io::ReadNpyMap(Path("regions/maps/borex:rise/" + row[0] + ".npy"));
    const cv::Mat b = io::ReadNpyMap(Path("off/maps/borex:rise/" + row[0] + ".npy"));
    differ += cv::norm(a, b, cv::NORM_INF) > 0;
  }
  EXPECT_GT(differ, 0);
  EXPECT_EQ(io::ReadJson(Path("regions/settings.json"))["refine"]["rise_observations"], "regions");
  EXPECT_EQ(io::ReadJson(Path("regions/settings.json"))["refine"]["rise_observation_limit"], 100);
  EXPECT_EQ(io::ReadJson(Path("off/settings.json"))["refine"]["rise_observation_limit"], 0);
}

// --rise-observation-limit: the shared passes keep the first L samples, and a resumed refinement
// (its prior read from disk, the samples drawn again) reads the same L: the maps are those of
// one uninterrupted run, and differ from the maps with every sample.
TEST_F(BatchTest, RiseObservationLimitHoldsInTheSharedPassesAndOnResume) {
  BatchOptions all = Options(Path("all"));
  all.methods = "rise,borex:rise";
  BatchOptions limited = all;
  limited.out_dir = Path("limited");
  limited.refine.rise_observation_limit = 5;  // of the 16 masks
  Run(all);
  Run(limited);
  const auto maps = [this](const std::string& dir) {
    std::vector<cv::Mat> read;
    for (const auto& row : Rows(Path(dir + "/borex:rise.csv")))
      read.push_back(io::ReadNpyMap(Path(dir + "/maps/borex:rise/" + row[0] + ".npy")));
    return read;
  };
  const std::vector<cv::Mat> first = maps("limited"), every = maps("all");
  ASSERT_EQ(first.size(), every.size());
  int differ = 0;
  for (size_t i = 0; i < first.size(); ++i)
    differ += cv::norm(first[i], every[i], cv::NORM_INF) > 0;
  EXPECT_GT(differ, 0);
  {
    std::ofstream cut(Path("limited/borex:rise.csv"), std::ios::trunc);
    cut << io::CsvLine(BatchCsvHeader());
  }
  Run(limited);  // the RISE maps are read from disk; the samples drawn again
  const std::vector<cv::Mat> resumed = maps("limited");
  ASSERT_EQ(resumed.size(), first.size());
  for (size_t i = 0; i < first.size(); ++i)
    EXPECT_EQ(cv::norm(resumed[i], first[i], cv::NORM_INF), 0.0) << i;
}

TEST_F(BatchTest, TwoBatchesCannotWriteOneDirectory) {
  fs::create_directories(dir_ / "out");
  const int fd = ::open(Path("out/.batch.lock").c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);  // as a running batch holds it
  BatchOptions options = Options(Path("out"));
  options.methods = "gradcam";
  EXPECT_THROW(Run(options), OutputError);
  ::close(fd);
  options.limit = 1;
  EXPECT_NO_THROW(Run(options));
}

TEST_F(BatchTest, RejectsBadOptionsBeforeWork) {
  BatchOptions options = Options(Path("out"));
  options.methods = "rise,nope";
  EXPECT_THROW(Run(options), OptionError);
  options = Options(Path("out"));
  options.voc_root = Path("absent");
  EXPECT_THROW(Run(options), InputError);
  options = Options(Path("out"));
  options.label_map_path = Path("absent_map.txt");
  EXPECT_THROW(Run(options), InputError);
  EXPECT_FALSE(fs::exists(Path("out/rise.csv")) && !io::ReadCsv(Path("out/rise.csv")).rows.empty());
  // Bug: the refinement's settings checked against the image's size (the squares' stride) failed
  // after the output directory and its settings.json were written, so the corrected run was
  // refused as "other settings".
  options = Options(Path("sized"));
  options.refine.stride = 100000;
  EXPECT_THROW(Run(options), OptionError);
  EXPECT_FALSE(fs::exists(Path("sized")));
  options.methods = "gradcam";  // no refinement: its stride does not matter
  options.limit = 1;
  EXPECT_NO_THROW(Run(options));
  // Bug: a video model on an image dataset was refused naming refine's --image.
  model::ModelOptions video_model = model_;
  video_model.frames = 4;
  model::TorchScriptClassifier video(video_model);
  options = Options(Path("kind"));
  EXPECT_EQ(MessageOf<OptionError>([&] {
              RunBatch(video, options);
            }).rfind("--voc-root: the model is a video model (4 frames)", 0),
            0u);
  options.voc_root.clear();
  options.video_root = kSource + "/tests/data/video_tiny";
  EXPECT_EQ(MessageOf<OptionError>([&] {
              Run(options);
            }).rfind("--video-root: the model is an image model", 0),
            0u);
  EXPECT_FALSE(fs::exists(Path("kind")));
  // Bug: a --target-layer the model lacks failed on the first Grad-CAM map, after the directory
  // was made, and the corrected run was refused as "other settings".
  for (const char* methods : {"gradcam++", "borex:opticam"}) {
    options = Options(Path("layer"));
    options.methods = methods;
    options.explain.cam.target_layer = "layer9";
    try {
      Run(options);
      ADD_FAILURE() << "ran: " << methods;
    } catch (const OptionError& e) {
      EXPECT_EQ(std::string(e.what()).rfind("--target-layer: ", 0), 0u) << e.what();
    }
    EXPECT_FALSE(fs::exists(Path("layer")));
  }
}

// Bug: the output directory, settings.json and the CSV headers were written before the label map
// was checked against the model, so a corrected rerun refused to resume.
// Bug: --classes with fewer names than the model's outputs skipped every image with exit 0,
// after writing the output directory.
TEST_F(BatchTest, AModelThatFailsOnEveryImageStopsBeforeWriting) {
  std::ofstream(Path("three.txt")) << "a\nb\nc\n";
  model::ModelOptions model = model_;
  model.classes_file = Path("three.txt");
  model::TorchScriptClassifier classifier(model);
  BatchOptions options = Options(Path("out"));
  options.allow_unmatched = true;
  try {
    RunBatch(classifier, options);
    ADD_FAILURE() << "ran";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("3 class names"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(Path("out")));
}

TEST_F(BatchTest, NothingIsWrittenBeforeTheLabelMapIsCheckedAgainstTheModel) {
  std::ofstream(Path("labels.txt")) << "12 trouser\n";  // the model has 10 classes
  BatchOptions options = Options(Path("out"));
  options.label_map_path = Path("labels.txt");
  EXPECT_THROW(Run(options), InputError);
  EXPECT_FALSE(fs::exists(Path("out")));
  std::ofstream(Path("labels.txt")) << "1 trouser\n";
  options.limit = 3;  // test_000002 is a trouser
  options.methods = "gradcam";
  EXPECT_GE(Run(options).images_processed, 1);
}

// Bug: ParseBatchMethod overwrote the batch-level use_prior, so --no-prior did nothing while
// settings.json recorded it; and a batch-level algorithm was ignored.
TEST_F(BatchTest, BatchLevelNoPriorRunsAndAlgorithmIsRefused) {
  BatchOptions variant = Options(Path("variant"));
  variant.methods = "borex:rise:no-prior";
  variant.limit = 2;
  BatchOptions flag = variant;
  flag.out_dir = Path("flag");
  flag.methods = "borex:rise";
  flag.refine.use_prior = false;
  Run(variant);
  Run(flag);
  EXPECT_EQ(Values(Path("flag/borex:rise.csv")), Values(Path("variant/borex:rise:no-prior.csv")));
  // No coefficient is fitted without a prior: the column is empty (it read 0).
  const auto& header = BatchCsvHeader();
  const size_t column =
      std::find(header.begin(), header.end(), "prior_coefficient") - header.begin();
  for (const auto& row : Rows(Path("flag/borex:rise.csv"))) EXPECT_EQ(row.at(column), "");
  EXPECT_FALSE(io::ReadJson(Path("flag/settings.json"))["refine"]["use_prior"].get<bool>());

  BatchOptions mokuwe = Options(Path("mokuwe"));
  mokuwe.refine = refine::RefineOptions::Mokuwe();
  try {
    Run(mokuwe);
    ADD_FAILURE() << "a batch-level algorithm was accepted";
  } catch (const OptionError& e) {
    EXPECT_NE(std::string(e.what()).find("--algorithm"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(Path("mokuwe")));
}

// Bug: without classes.txt, borex assumed VOC's 20 names, matched none of the model's, and
// explained the top-1 class without F-measure, with one warning line as the only sign.
TEST_F(BatchTest, VocWithoutClassesTxtTakesTheAnnotatedNames) {
  fs::copy(kTiny, dir_ / "voc", fs::copy_options::recursive);
  fs::remove(dir_ / "voc/classes.txt");
  BatchOptions options = Options(Path("out"));
  options.voc_root = Path("voc");
  options.methods = "gradcam";
  const BatchResult result = Run(options);
  EXPECT_EQ(result.images_processed, 6);
  const io::CsvTable table = io::ReadCsv(Path("out/gradcam.csv"));
  for (const auto& row : table.rows)
    EXPECT_FALSE(row[table.RequireColumn("f_measure")].empty()) << row[0];
  EXPECT_EQ(table.rows[2][1], "1");  // test_000002: trouser, as with classes.txt

  // Annotations whose names no model class has: one line, nothing written, unless allowed.
  for (const auto& entry : fs::directory_iterator(dir_ / "voc/Annotations")) {
    std::ifstream in(entry.path());
    std::string xml((std::istreambuf_iterator<char>(in)), {});
    for (size_t at = xml.find("<name>"); at != std::string::npos; at = xml.find("<name>", at + 1))
      xml.replace(at + 6, xml.find("</name>", at) - at - 6, "unicorn");
    std::ofstream(entry.path(), std::ios::trunc) << xml;
  }
  options.out_dir = Path("unmatched");
  try {
    Run(options);
    ADD_FAILURE() << "no annotated class matched, yet the batch ran";
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("is one of the annotated classes (unicorn)"), std::string::npos) << what;
    EXPECT_NE(what.find("--allow-unmatched"), std::string::npos) << what;
  }
  EXPECT_FALSE(fs::exists(Path("unmatched")));
  options.allow_unmatched = true;
  EXPECT_EQ(Run(options).images_processed, 6);
  const io::CsvTable unmatched = io::ReadCsv(Path("unmatched/gradcam.csv"));
  EXPECT_TRUE(unmatched.rows[0][unmatched.RequireColumn("f_measure")].empty());
}

// Several images in flight: their RISE masks, refinement rounds and metric curves share forward
// passes. With a model that scores each image independently of its batch (the fake one), every
// row and map is bit for bit the one a batch of one image at a time writes, for every kind of
// method, Algorithm 1 and :no-flip at Q = 1 included.
TEST_F(BatchTest, ImagesInFlightWriteTheSameRowsAndMapsAsOneAtATime) {
  const std::vector<std::string> methods = {
      "rise", "pn-rise", "borex:rise", "borex:pn-rise:no-flip", "mokuwe", "borex:none"};
  testing::RegionClassifier fake(cv::Rect(40, 40, 48, 48));
  for (const int acquisition_batch : {1, 3}) {
    const std::string tag = "q" + std::to_string(acquisition_batch);
    BatchOptions one = Options(Path(tag + "_one"));
    one.methods.clear();
    for (const std::string& method : methods)
      one.methods += (one.methods.empty() ? "" : ",") + method;
    one.allow_unmatched = true;  // the fake's classes are not the dataset's
    one.refine.acquisition_batch = acquisition_batch;
    one.refine.iterations = 5;
    BatchOptions many = one;
    many.out_dir = Path(tag + "_many");
    many.images_in_flight = 4;         // 6 images: 4, then 2
    many.explain.rise.batch_size = 7;  // passes straddle images
    many.metrics.batch_size = 7;
    RunBatch(fake, one);
    RunBatch(fake, many);
    for (const std::string& method : methods) {
      const auto rows = Values(Path(tag + "_one/" + method + ".csv"));
      ASSERT_EQ(rows.size(), 6u) << method;
      EXPECT_EQ(Values(Path(tag + "_many/" + method + ".csv")), rows) << tag << " " << method;
      for (const auto& row : rows) {
        const cv::Mat a = io::ReadNpyMap(Path(tag + "_one/maps/" + method + "/" + row[0] + ".npy"));
        const cv::Mat b =
            io::ReadNpyMap(Path(tag + "_many/maps/" + method + "/" + row[0] + ".npy"));
        EXPECT_EQ(cv::norm(a, b, cv::NORM_INF), 0.0) << tag << " " << method << " " << row[0];
      }
    }
  }
}

// The bundled model on LibTorch's CPU kernels is not exactly batch-invariant: an image's logits
// can differ in the last float bits with the size of its batch. Images in flight then change
// the numbers only at that level.
TEST_F(BatchTest, ImagesInFlightWithTheBundledModelAgreeToFloatRounding) {
  BatchOptions one = Options(Path("one"));
  one.methods = "rise,borex:rise,mokuwe";
  one.refine.acquisition_batch = 2;
  one.refine.iterations = 4;
  one.limit = 4;
  BatchOptions many = one;
  many.out_dir = Path("many");
  many.images_in_flight = 3;
  Run(one);
  Run(many);
  for (const std::string method : {"rise", "borex:rise", "mokuwe"}) {
    const auto rows = Values(Path("one/" + method + ".csv"));
    const auto other = Values(Path("many/" + method + ".csv"));
    ASSERT_EQ(rows.size(), 4u);
    ASSERT_EQ(other.size(), 4u);
    for (size_t i = 0; i < rows.size(); ++i) {
      EXPECT_EQ(other[i][0], rows[i][0]);
      for (size_t j = 1; j < rows[i].size(); ++j) {
        if (rows[i][j].empty()) {
          EXPECT_TRUE(other[i][j].empty());
          continue;
        }
        const double a = std::stod(rows[i][j]), b = std::stod(other[i][j]);
        EXPECT_NEAR(a, b, 1e-5 * std::max(1.0, std::abs(a))) << method << " " << rows[i][0];
      }
      const cv::Mat a = io::ReadNpyMap(Path("one/maps/" + method + "/" + rows[i][0] + ".npy"));
      const cv::Mat b = io::ReadNpyMap(Path("many/maps/" + method + "/" + rows[i][0] + ".npy"));
      double low = 0, high = 0;
      cv::minMaxLoc(cv::abs(a), &low, &high);
      EXPECT_LE(cv::norm(a, b, cv::NORM_INF), 1e-5 * high) << method << " " << rows[i][0];
    }
  }
}

// The app layer runs on any model::Classifier: a fake one that is not a TorchScript model.
TEST_F(BatchTest, RunsOnAnyClassifier) {
  testing::RegionClassifier fake(cv::Rect(40, 40, 48, 48));
  BatchOptions options = Options(Path("fake"));
  options.methods = "rise,borex:rise";
  options.limit = 2;
  options.allow_unmatched = true;  // the fake's classes are not the dataset's
  const BatchResult result = RunBatch(fake, options);
  EXPECT_EQ(result.images_processed, 2);
  ASSERT_EQ(result.methods.size(), 2u);
  EXPECT_EQ(result.methods[1].name, "borex:rise");
  EXPECT_EQ(result.methods[1].rows_written, 2);
  EXPECT_EQ(result.methods[1].model_calls, 2 * 4 * 2);  // 4 iterations, 2 images each
  EXPECT_EQ(Rows(Path("fake/rise.csv")).size(), 2u);
}

// batch.json names the dataset by its absolute path, so that `report --html` finds the images
// from any directory; an older batch.json with a relative path is read relative to the current
// directory, as before.
TEST_F(BatchTest, BatchJsonNamesTheDatasetSoThatReportRunsFromAnywhere) {
  struct WorkingDirectory {  // restores the test's directory however the test ends
    fs::path saved = fs::current_path();
    ~WorkingDirectory() { fs::current_path(saved); }
  } restore;
  fs::create_directories(Path("work"));
  fs::current_path(Path("work"));
  BatchOptions options = Options("out");
  options.voc_root = fs::relative(kTiny).string();
  ASSERT_TRUE(fs::path(options.voc_root).is_relative());
  options.methods = "rise";
  options.limit = 1;
  Run(options);
  const std::string batch_json = Path("work/out/batch.json");
  EXPECT_TRUE(fs::equivalent(io::ReadJson(batch_json)["voc_root"].get<std::string>(), kTiny));
  EXPECT_TRUE(fs::path(io::ReadJson(batch_json)["voc_root"].get<std::string>()).is_absolute());

  fs::current_path(dir_);
  ReportOptions report;
  report.dirs = {Path("work/out")};
  report.html = true;
  EXPECT_EQ(RunReport(report)["html"]["images_shown"], 1);

  nlohmann::json old = io::ReadJson(batch_json);
  old["voc_root"] = fs::relative(kTiny).string();  // relative to here, not to work/
  io::WriteJson(batch_json, old);
  EXPECT_EQ(RunReport(report)["html"]["images_shown"], 1);
  fs::current_path(Path("work"));
  EXPECT_THROW(RunReport(report), InputError);
}

// A batch over a clip dataset (tests/data/video_tiny: 3 clips of 4 frames of 16x16) with the
// tiny 3D-CNN test model run on 4 frames, its classes mapped to the dataset's.
TEST_F(BatchTest, VideoBatchWritesVolumesAndScoresClipsAgainstPerFrameBoxes) {
  std::ofstream(Path("labels.txt")) << "0 trouser\n1 coat\n2 bag\n";
  BatchOptions options = Options(Path("video"));
  options.voc_root.clear();
  options.video_root = kSource + "/tests/data/video_tiny";
  model_.path = kSource + "/tests/data/tiny_video_cam.pt";
  model_.frames = 4;
  options.label_map_path = Path("labels.txt");
  options.label_top_k = 3;
  options.methods = "rise,gradcam++,borex:rise";
  options.refine.mask_sizes = refine::ParseMaskSizes("4,6");
  options.metrics.step = 64;
  const nlohmann::json summary = Run(options).summary;
  EXPECT_EQ(summary["images_processed"], 3) << summary.dump();
  for (const std::string method : {"rise", "gradcam++", "borex:rise"}) {
    const io::CsvTable table = io::ReadCsv(Path("video/" + method + ".csv"));
    ASSERT_EQ(table.rows.size(), 3u) << method;
    for (const auto& row : table.rows) {
      const auto volume = io::ReadNpyMap3D(Path("video/maps/" + method + "/" + row[0] + ".npy"));
      ASSERT_EQ(volume.size(), 4u);
      EXPECT_EQ(volume[0].size(), cv::Size(16, 16));
      EXPECT_FALSE(row[table.RequireColumn("f_measure")].empty());
    }
  }
  // The report shows each clip's middle frame (2 of the 4 the model saw, every frame) and each
  // method's map of that frame over it.
  ReportOptions report;
  report.dirs = {Path("video")};
  report.html = true;
  EXPECT_EQ(RunReport(report)["html"]["images_shown"], 3);
  std::ifstream page_file(Path("video/report.html"));
  const nlohmann::json data = testing::ReportData({std::istreambuf_iterator<char>(page_file), {}});
  EXPECT_EQ(data["video"], "clip frame 2: the middle of the 4 frames the model saw");
  ASSERT_EQ(data["rows"].size(), 3u);
  const cv::Mat middle =
      cv::imread(kSource + "/tests/data/video_tiny/clips/test_000000/000002.png");
  const cv::Mat shown = cv::imread(Path("video/" + testing::ReportPictures(data)[0]));
  ASSERT_EQ(shown.size(), middle.size());
  EXPECT_EQ(cv::norm(shown, middle, cv::NORM_INF), 0);
  const std::vector<std::string> pictures = testing::ReportPictures(data);
  EXPECT_EQ(pictures.size(), 3u * 4u);  // the frame and three maps over it, of 3 clips
  for (const std::string& picture : pictures)
    EXPECT_EQ(cv::imread(Path("video/" + picture)).size(), cv::Size(16, 16)) << picture;

  // Resuming reads the stored volumes back.
  const nlohmann::json again = Run(options).summary;
  EXPECT_EQ(again["rows_resumed"], 9);
  // Clips and images are not mixed up: a VOC root and a clip root together are refused.
  options.voc_root = kTiny;
  EXPECT_THROW(Run(options), OptionError);
}

// A map holds its prior upside down when the fitted coefficient a < 0; a = 0 (the prior not
// used) is not counted.
TEST_F(BatchTest, ReportCountsOnlyNegativeCoefficientsAsMapsAgainstThePrior) {
  fs::create_directories(dir_ / "out");
  const std::string metrics = ",1,1,0.9,1,0.5,0.1,1,1,0.2,2,1,10,0,0.2,";
  std::ofstream(Path("out/borex:rise.csv"))
      << io::CsvLine(BatchCsvHeader()) << "a" << metrics << "-0.5,0.1,1,5,0.1\n"
      << "b" << metrics << "0,0.1,1,5,0.1\n"
      << "c" << metrics << "0.3,0.1,1,5,0.1\n";
  ReportOptions report;
  report.dirs = {Path("out")};
  const nlohmann::json summary = RunReport(report);
  EXPECT_EQ(summary["methods"]["borex:rise"]["images"], 3);
  EXPECT_EQ(summary["methods"]["borex:rise"]["maps_against_prior"], 1);
}

// Files whose names start with '.' (an atomic write's temporaries, editors' backups) are no
// method's rows; directories whose settings differ cannot be merged.
TEST_F(BatchTest, ReportSkipsHiddenCsvsAndRefusesDifferingSettings) {
  fs::create_directories(dir_ / "out/shard-1-of-2");
  const std::string row = "a,1,1,0.9,1,0.5,0.1,1,1,0.2,2,1,10,0,0.2,,,,5,0.1\n";
  std::ofstream(Path("out/rise.csv")) << io::CsvLine(BatchCsvHeader()) << row;
  std::ofstream(Path("out/.rise.csv.tmp.1.2.csv")) << io::CsvLine(BatchCsvHeader()) << row;
  ReportOptions report;
  report.dirs = {Path("out")};
  const nlohmann::json summary = RunReport(report);
  EXPECT_EQ(summary["methods"].size(), 1u) << summary["methods"].dump();
  EXPECT_TRUE(summary["methods"].contains("rise"));
  std::ofstream(Path("out/settings.json")) << R"({"format": "borex-batch-settings/2", "seed": 1})";
  std::ofstream(Path("out/shard-1-of-2/settings.json"))
      << R"({"format": "borex-batch-settings/2", "seed": 2})";
  try {
    RunReport(report);
    ADD_FAILURE() << "differing settings were merged";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), Path("out/shard-1-of-2/settings.json") +
                                         ": settings differ from " + Path("out/settings.json") +
                                         " (results of different runs cannot be merged)");
  }
}

// images_per_minute is 60 over the mean seconds per image: 0.2 s and 0.3 s, 240 a minute.
TEST_F(BatchTest, ReportsImagesPerMinuteFromTheMeanSecondsPerImage) {
  fs::create_directories(dir_ / "out");
  const std::string metrics = ",1,1,0.9,1,0.5,0.1,1,1,0.2,2,1,10,0,0.2,,,,5,";
  std::ofstream(Path("out/rise.csv"))
      << io::CsvLine(BatchCsvHeader()) << "a" << metrics << "0.2\nb" << metrics << "0.3\n";
  ReportOptions report;
  report.dirs = {Path("out")};
  const nlohmann::json summary = RunReport(report);
  EXPECT_DOUBLE_EQ(summary["methods"]["rise"]["seconds"].get<double>(), 0.25);
  EXPECT_DOUBLE_EQ(summary["methods"]["rise"]["images_per_minute"].get<double>(), 240);
}

// A resumed row holds its prior upside down when its coefficient a < 0; a = 0 does not.
TEST_F(BatchTest, AResumedRowWithACoefficientOfZeroIsNotAgainstThePrior) {
  testing::RegionClassifier fake(cv::Rect(40, 40, 48, 48));
  BatchOptions options = FakeOptions("borex:rise", 2);
  RunBatch(fake, options);
  io::CsvTable table = io::ReadCsv(Path("fake/borex:rise.csv"));
  ASSERT_EQ(table.rows.size(), 2u);
  const int a = table.RequireColumn("prior_coefficient");
  table.rows[0][a] = "0";
  table.rows[1][a] = "0.25";
  {
    std::ofstream cut(Path("fake/borex:rise.csv"), std::ios::trunc);
    cut << io::CsvLine(table.header) << io::CsvLine(table.rows[0]) << io::CsvLine(table.rows[1]);
  }
  const BatchResult result = RunBatch(fake, options);
  ASSERT_EQ(result.methods.size(), 1u);
  EXPECT_EQ(result.methods[0].rows_total, 2);
  EXPECT_EQ(result.methods[0].maps_against_prior, 0);
}

// The label's rank counts the classes whose probability is higher: a class as likely as the
// label (here every class: logits 0 and 0) does not push it down.
TEST_F(BatchTest, ATieWithTheLabelStillRanksItFirst) {
  testing::RegionClassifier fake(cv::Rect(40, 40, 48, 48), /*gain=*/0, /*bias=*/0);
  BatchOptions options = FakeOptions("rise", 1);
  RunBatch(fake, options);
  const io::CsvTable table = io::ReadCsv(Path("fake/rise.csv"));
  ASSERT_EQ(table.rows.size(), 1u);
  EXPECT_EQ(table.rows[0][table.RequireColumn("label_probability")], "0.5");
  EXPECT_EQ(table.rows[0][table.RequireColumn("label_rank")], "1");
}

// The masks decide a RISE map, the batch size of the forward passes does not: a resumed batch
// may change the one, not the other.
TEST_F(BatchTest, ResumingMayChangeTheRiseBatchSizeButNotTheMasks) {
  testing::RegionClassifier fake(cv::Rect(40, 40, 48, 48));
  BatchOptions options = FakeOptions("rise", 1);
  RunBatch(fake, options);
  options.explain.rise.batch_size = options.explain.rise.batch_size + 3;
  EXPECT_NO_THROW(RunBatch(fake, options));
  options.explain.rise.masks = 32;
  EXPECT_THROW(RunBatch(fake, options), InputError);
}

}  // namespace
}  // namespace borex::app
