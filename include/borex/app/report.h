// `borex report`: merges the per-method CSVs of a batch and of its shards (OUT/METHOD.csv and
// OUT/shard-K-of-N/METHOD.csv) into OUT/METHOD.csv, and summarises each method: mean metrics,
// pointing-game accuracy, model calls and images per minute; with `html`, also OUT/report.html
// (app/html_report.h).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "borex/app/html_report.h"

namespace borex::app {

struct ReportOptions {
  std::vector<std::string> dirs;  // batch output directories; merged CSVs go to the first
  std::string json_path;          // summary JSON (optional)
  std::string markdown_path;      // summary as a Markdown table (optional)
  bool merge = true;              // write the merged OUT/METHOD.csv files
  bool html = false;              // write OUT/report.html (needs the merged CSVs)
  HtmlReportOptions html_options;
};

// Throws InputError when two files give the same image different labels or metric values
// (different datasets or settings), or when a file's header is not a batch CSV header. The
// summary's "comparisons" holds each refinement against its prior (CompareRefinements,
// RefinementComparison::ToJson each), unless a method's rows stay spread over unmerged files;
// with `html` its "html" holds the page's path, images, images_shown and images_with_curves.
nlohmann::json RunReport(const ReportOptions& options);

// The summary as a Markdown table (one row per method), then a MapsAgainstPriorNote line per
// method that has such maps, then the comparisons as a table.
std::string ReportMarkdown(const nlohmann::json& summary);

// A method's summary's count of refined maps with a negative fitted prior coefficient; -1 for a
// method that fits none.
long MapsAgainstPrior(const nlohmann::json& method_summary);

// A summary's number formatted by `format` (fmt), or "–" where it is null (no value): a cell of
// the Markdown and HTML tables.
std::string SummaryCell(const nlohmann::json& value, const char* format);

// One sentence on a method's refined maps that hold their prior upside down (fitted prior
// coefficient < 0), for `batch`'s last lines and `report`'s outputs; "" when `count` ≤ 0.
std::string MapsAgainstPriorNote(const std::string& method, long count, long images);

}  // namespace borex::app
