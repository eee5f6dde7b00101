#include "borex/app/curves.h"

#include <spdlog/fmt/fmt.h>

#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "borex/core/error.h"
#include "borex/io/atomic_file.h"
#include "borex/io/csv.h"

namespace borex::app {
namespace {

const std::vector<std::string>& CurvesHeader() {
  static const std::vector<std::string> header = {"curve", "step", "fraction", "score"};
  return header;
}

const cv::Scalar kInsertionColour(200, 110, 30);  // BGR: blue
const cv::Scalar kDeletionColour(20, 130, 240);   // BGR: orange

}  // namespace

std::string CurvesCsv(const metrics::Evaluation& evaluation) {
  std::string text = io::CsvLine(CurvesHeader());
  for (const auto& [name, curve] :
       {std::pair<const char*, const metrics::Curve&>{"insertion", evaluation.insertion},
        {"deletion", evaluation.deletion}}) {
    BOREX_CHECK_EQ(curve.scores.size(), curve.fractions.size());
    for (size_t i = 0; i < curve.scores.size(); ++i)
      text += io::CsvLine({name, std::to_string(i), fmt::format("{}", curve.fractions[i]),
                           fmt::format("{}", curve.scores[i])});
  }
  return text;
}

SavedCurves ReadCurvesCsv(const std::string& path) {
  const io::CsvTable table = io::ReadCsv(path);
  if (table.header != CurvesHeader())
    throw InputError(path, "not a curves CSV (header is not curve,step,fraction,score)");
  SavedCurves curves;
  for (const auto& row : table.rows) {
    metrics::Curve* curve = row[0] == "insertion"  ? &curves.insertion
                            : row[0] == "deletion" ? &curves.deletion
                                                   : nullptr;
    if (curve == nullptr) throw InputError(path, "unknown curve '" + row[0] + "'");
    const std::string where = row[0] + " step " + row[1];
    curve->fractions.push_back(io::CellNumber(row[2], path, where + ": fraction"));
    curve->scores.push_back(io::CellNumber(row[3], path, where + ": score"));
  }
  return curves;
}

cv::Mat PlotCurves(const metrics::Evaluation& evaluation) {
  const cv::Size size(480, 340);
  const int left = 56, right = 20, top = 28, bottom = 76;
  const int width = size.width - left - right, height = size.height - top - bottom;
  cv::Mat plot(size, CV_8UC3, cv::Scalar::all(255));
  const auto at = [&](double fraction, double score) {
    return cv::Point(left + static_cast<int>(std::lround(fraction * width)),
                     top + static_cast<int>(std::lround((1 - score) * height)));
  };
  const cv::Scalar grey(200, 200, 200), black(0, 0, 0);
  const int font = cv::FONT_HERSHEY_SIMPLEX;
  for (const double tick : {0.0, 0.25, 0.5, 0.75, 1.0}) {
    cv::line(plot, at(tick, 0), at(tick, 1), grey, 1);
    cv::line(plot, at(0, tick), at(1, tick), grey, 1);
    const std::string label = fmt::format("{:g}", tick);
    cv::putText(plot, label, at(tick, 0) + cv::Point(-8, 18), font, 0.4, black, 1, cv::LINE_AA);
    cv::putText(plot, label, at(0, tick) + cv::Point(-34, 4), font, 0.4, black, 1, cv::LINE_AA);
  }
  cv::rectangle(plot, at(0, 1), at(1, 0), black, 1);
  cv::putText(plot, "fraction of pixels", at(0.5, 0) + cv::Point(-60, 38), font, 0.45, black, 1,
              cv::LINE_AA);
  cv::putText(plot, "score", cv::Point(4, 16), font, 0.45, black, 1, cv::LINE_AA);
  const std::pair<const metrics::Curve*, cv::Scalar> curves[] = {
      {&evaluation.insertion, kInsertionColour}, {&evaluation.deletion, kDeletionColour}};
  for (const auto& [curve, colour] : curves) {
    std::vector<cv::Point> points;
    points.reserve(curve->scores.size());
    for (size_t i = 0; i < curve->scores.size(); ++i)
      points.push_back(at(curve->fractions[i], std::clamp(curve->scores[i], 0.0, 1.0)));
    cv::polylines(plot, points, false, colour, 2, cv::LINE_AA);
  }
  // The legend below the axes, where no curve can hide it.
  const std::string labels[] = {fmt::format("insertion AUC {:.4f}", evaluation.insertion.auc),
                                fmt::format("deletion AUC {:.4f}", evaluation.deletion.auc)};
  for (int i = 0; i < 2; ++i) {
    const cv::Point entry(left + 200 * i, size.height - 12);
    cv::line(plot, entry + cv::Point(0, -4), entry + cv::Point(20, -4), curves[i].second, 2,
             cv::LINE_AA);
    cv::putText(plot, labels[i], entry + cv::Point(28, 0), font, 0.42, black, 1, cv::LINE_AA);
  }
  return plot;
}

void WriteCurves(const std::string& prefix, const metrics::Evaluation& evaluation) {
  const std::string csv_path = prefix + "_curves.csv", png_path = prefix + "_curves.png";
  io::AtomicOutputSet outputs;
  const std::string csv_tmp = outputs.Stage(csv_path), png_tmp = outputs.Stage(png_path);
  std::ofstream csv(csv_tmp, std::ios::binary);
  csv << CurvesCsv(evaluation);
  csv.close();
  if (!csv) throw OutputError(csv_path, "cannot write");
  if (!cv::imwrite(png_tmp, PlotCurves(evaluation))) throw OutputError(png_path, "cannot write");
  outputs.Commit();
}

}  // namespace borex::app
