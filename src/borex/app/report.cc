#include "borex/app/report.h"

#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "borex/app/batch.h"
#include "borex/core/error.h"
#include "borex/io/atomic_file.h"
#include "borex/io/csv.h"
#include "borex/io/json_file.h"
#include "borex/stats/wilcoxon.h"

namespace borex::app {
namespace {

namespace fs = std::filesystem;

// The batch directories to merge: each DIR and its shard-* subdirectories.
std::vector<fs::path> BatchDirectories(const std::vector<std::string>& dirs) {
  std::vector<fs::path> found;
  for (const std::string& dir : dirs) {
    if (!fs::is_directory(dir)) throw InputError(dir, "no such batch output directory");
    found.emplace_back(dir);
    std::vector<fs::path> shards;
    for (const auto& entry : fs::directory_iterator(dir))
      if (entry.is_directory() && entry.path().filename().string().rfind("shard-", 0) == 0)
        shards.push_back(entry.path());
    std::sort(shards.begin(), shards.end());
    found.insert(found.end(), shards.begin(), shards.end());
  }
  return found;
}

// The settings every directory recorded (settings.json) must be the same.
nlohmann::json CommonSettings(const std::vector<fs::path>& dirs) {
  nlohmann::json settings;
  std::string first;
  for (const fs::path& dir : dirs) {
    const fs::path path = dir / "settings.json";
    if (!fs::exists(path)) continue;
    const nlohmann::json recorded = ReadBatchSettings(path.string());
    if (first.empty()) {
      settings = recorded;
      first = path.string();
    } else if (recorded != settings) {
      throw InputError(path.string(), "settings differ from " + first +
                                          " (results of different runs cannot be merged)");
    }
  }
  return settings;
}

// Method name -> its CSV files, in the order found (the main directory's first).
std::map<std::string, std::vector<std::string>> FindMethodCsvs(const std::vector<fs::path>& dirs) {
  std::map<std::string, std::vector<std::string>> files;
  for (const fs::path& dir : dirs) {
    std::vector<fs::path> found;
    for (const auto& entry : fs::directory_iterator(dir))
      if (entry.is_regular_file() && entry.path().extension() == ".csv" &&
          entry.path().filename().string()[0] != '.')
        found.push_back(entry.path());
    std::sort(found.begin(), found.end());
    for (const fs::path& path : found) files[path.stem().string()].push_back(path.string());
  }
  return files;
}

// Rows of one method merged by image id; duplicates must agree on everything but the cost.
struct MergedMethod {
  std::vector<std::vector<std::string>> rows;
  size_t sources = 0;
};

MergedMethod Merge(const std::vector<std::string>& paths) {
  const std::vector<std::string>& header = BatchCsvHeader();
  const size_t cost_columns = 2;  // model_calls, seconds: may differ between re-runs
  MergedMethod merged;
  std::map<std::string, std::pair<size_t, std::string>> seen;  // id -> (row, file)
  const auto has = [](const std::vector<std::string>& columns, const std::string& column) {
    return std::find(columns.begin(), columns.end(), column) != columns.end();
  };
  // The columns added since an older version: a file of that version lacks them, and a merge
  // that included one wrote them empty, so there an empty cell is unknown rather than empty.
  std::vector<bool> added(header.size());
  for (size_t column = 0; column < header.size(); ++column)
    for (const std::vector<std::string>& older : OlderBatchCsvHeaders())
      added[column] = added[column] || !has(older, header[column]);
  std::vector<std::vector<bool>> unknown;  // per merged row, its unknown cells
  for (const std::string& path : paths) {
    const io::CsvTable table = io::ReadCsv(path);
    const auto rows = io::RowsWithColumns(table, header, OlderBatchCsvHeaders());
    const auto unknown_cells = [&](const std::vector<std::string>& row) {
      std::vector<bool> cells(header.size());
      for (size_t column = 0; column < header.size(); ++column)
        cells[column] =
            added[column] && (row[column].empty() || !has(table.header, header[column]));
      return cells;
    };
    ++merged.sources;
    for (const auto& row : rows) {
      const auto found = seen.find(row[0]);
      if (found == seen.end()) {
        seen[row[0]] = {merged.rows.size(), path};
        merged.rows.push_back(row);
        unknown.push_back(unknown_cells(row));
        continue;
      }
      // An unknown cell agrees with any value; the known one is kept.
      auto& kept = merged.rows[found->second.first];
      std::vector<bool>& kept_unknown = unknown[found->second.first];
      const std::vector<bool> row_unknown = unknown_cells(row);
      for (size_t column = 0; column + cost_columns < row.size(); ++column) {
        if (row_unknown[column] || row[column] == kept[column]) continue;
        if (!kept_unknown[column])
          throw InputError(path, "image " + row[0] + " has other values than in " +
                                     found->second.second +
                                     " (different datasets or settings in one output directory?)");
        kept[column] = row[column];
        kept_unknown[column] = false;
      }
    }
  }
  return merged;
}

// A metric cell as a number: InputError naming the method's files, the image and the column for
// a cell that is not a finite number (an edited or corrupted CSV).
double CellValue(const std::string& cell, const std::vector<std::string>& paths,
                 const std::string& image, const std::string& column) {
  std::string files;
  for (const std::string& path : paths) files += (files.empty() ? "" : ", ") + path;
  return io::CellNumber(cell, files, "image '" + image + "': column '" + column + "'");
}

nlohmann::json Summarise(const std::vector<std::vector<std::string>>& rows,
                         const std::vector<std::string>& paths) {
  const std::vector<std::string>& header = BatchCsvHeader();
  nlohmann::json summary = {{"images", rows.size()}};
  const std::vector<std::string>& image_columns = BatchImageColumns();
  for (size_t column = 2; column < header.size(); ++column) {
    // The image's own columns are the same for every method: not a result of it.
    if (std::count(image_columns.begin(), image_columns.end(), header[column]) > 0) continue;
    std::vector<double> values;
    for (const auto& row : rows)
      if (!row[column].empty())
        values.push_back(CellValue(row[column], paths, row[0], header[column]));
    summary[header[column]] =
        values.empty() ? nlohmann::json(nullptr) : nlohmann::json(stats::Mean(values));
    if (header[column] == "f_measure") summary["images_with_region"] = values.size();
    if (header[column] == "prior_coefficient")  // refined maps holding their prior upside down
      summary["maps_against_prior"] =
          values.empty() ? nlohmann::json(nullptr)
                         : nlohmann::json(std::count_if(values.begin(), values.end(),
                                                        [](double a) { return a < 0; }));
  }
  const double seconds = summary["seconds"].is_null() ? 0 : summary["seconds"].get<double>();
  summary["images_per_minute"] = seconds > 0 ? nlohmann::json(60.0 / seconds) : nullptr;
  return summary;
}

}  // namespace

std::string SummaryCell(const nlohmann::json& value, const char* format) {
  return value.is_null() ? "–" : fmt::format(fmt::runtime(format), value.get<double>());
}

nlohmann::json RunReport(const ReportOptions& options) {
  if (options.dirs.empty()) throw OptionError("DIR", "give at least one batch output directory");
  if (options.html) options.html_options.Check();
  const std::vector<fs::path> dirs = BatchDirectories(options.dirs);
  const nlohmann::json settings = CommonSettings(dirs);
  const auto files = FindMethodCsvs(dirs);
  if (files.empty()) throw InputError(options.dirs.front(), "no method CSV files found");
  nlohmann::json methods = nlohmann::json::object();
  std::vector<ReportedMethod> reported;
  // Each method's file with all its rows, for the comparisons: none when a method's rows are
  // spread over files that are not merged (--no-merge).
  std::vector<std::pair<std::string, std::string>> complete_csvs;
  bool all_complete = true;
  // The outputs may not be files the report reads (nor one another).
  std::vector<io::NamedFile> inputs;
  for (const fs::path& dir : dirs)
    for (const char* name : {"settings.json", "batch.json"})
      inputs.push_back({"DIR", (dir / name).string()});
  for (const auto& [method, paths] : files)
    for (const std::string& path : paths) inputs.push_back({"DIR", path});
  io::CheckOutputsDistinct({{"--json", options.json_path}, {"--markdown", options.markdown_path}},
                           inputs);
  // Every method merged and summarised before any file is written: a conflict in one method's
  // rows leaves every merged CSV as it was.
  struct Merged {
    std::string method, target;
    std::vector<std::vector<std::string>> rows;
    size_t sources;
    bool only_target;
  };
  std::vector<Merged> merges;
  for (const auto& [method, paths] : files) {
    MergedMethod merged = Merge(paths);
    methods[method] = Summarise(merged.rows, paths);
    methods[method]["sources"] = paths;
    const std::string target = options.dirs.front() + "/" + method + ".csv";
    const bool only_target = paths.size() == 1 && fs::equivalent(paths.front(), target);
    if (options.html && !options.merge && !only_target)
      throw OptionError(
          "--html", "compares the merged rows of " + method + ": drop --no-merge, or merge first");
    merges.push_back({method, target, std::move(merged.rows), paths.size(), only_target});
  }
  for (Merged& merged : merges) {
    if (options.merge && !merged.only_target) {
      std::string text = io::CsvLine(BatchCsvHeader());
      for (const auto& row : merged.rows) text += io::CsvLine(row);
      io::WriteBytesAtomically(merged.target, text);
      spdlog::info("report: {} rows from {} files -> {}", merged.rows.size(), merged.sources,
                   merged.target);
    }
    all_complete &= options.merge || merged.only_target;
    complete_csvs.emplace_back(merged.method, merged.target);
    if (options.html)
      reported.push_back(
          {merged.method, merged.target, std::move(merged.rows), methods[merged.method]});
  }
  nlohmann::json summary = {{"dirs", options.dirs}, {"settings", settings}, {"methods", methods}};
  const std::vector<RefinementComparison> comparisons =
      all_complete ? CompareRefinements(complete_csvs) : std::vector<RefinementComparison>();
  if (all_complete) {
    summary["comparisons"] = nlohmann::json::array();
    for (const RefinementComparison& comparison : comparisons)
      summary["comparisons"].push_back(comparison.ToJson());
  }
  if (options.html) {
    std::vector<std::string> dir_names;
    dir_names.reserve(dirs.size());
    for (const fs::path& dir : dirs) dir_names.push_back(dir.string());
    const HtmlReport html = WriteHtmlReport(dir_names, reported, comparisons, options.html_options);
    summary["html"] = {{"path", html.path},
                       {"images", html.images},
                       {"images_shown", html.images_shown},
                       {"images_with_curves", html.images_with_curves}};
  }
  if (!options.json_path.empty()) io::WriteJson(options.json_path, summary);
  if (!options.markdown_path.empty())
    io::WriteBytesAtomically(options.markdown_path, ReportMarkdown(summary));
  return summary;
}

std::string ReportMarkdown(const nlohmann::json& summary) {
  std::string text =
      "| method | images | insertion ↑ | deletion ↓ | F-measure ↑ | pointing ↑ | AD ↓ | AG ↑ | "
      "model calls | s / image | images / min |\n"
      "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& [method, m] : summary["methods"].items()) {
    text += fmt::format(
        "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n", method,
        m["images"].get<long>(), SummaryCell(m["insertion"], "{:.4f}"),
        SummaryCell(m["deletion"], "{:.4f}"), SummaryCell(m["f_measure"], "{:.4f}"),
        SummaryCell(m["pointing_hit"], "{:.3f}"), SummaryCell(m["average_drop"], "{:.2f}"),
        SummaryCell(m["average_gain"], "{:.2f}"), SummaryCell(m["model_calls"], "{:.0f}"),
        SummaryCell(m["seconds"], "{:.3f}"), SummaryCell(m["images_per_minute"], "{:.1f}"));
  }
  for (const auto& [method, m] : summary["methods"].items()) {
    const std::string note =
        MapsAgainstPriorNote(method, MapsAgainstPrior(m), m["images"].get<long>());
    if (!note.empty()) text += "\n" + note + "\n";
  }
  const auto comparisons = summary.find("comparisons");
  if (comparisons == summary.end() || comparisons->empty()) return text;
  text +=
      "\nBOREx against its prior (Wilcoxon signed-rank, one-sided each way; ↑: higher is better, "
      "↓: lower):\n\n"
      "| refined | prior | images | metric | pairs | mean refined | mean prior | p (better) | "
      "p (worse) | verdict |\n"
      "|---|---|---|---|---:|---:|---:|---:|---:|---|\n";
  for (const nlohmann::json& c : *comparisons) {
    const std::string metric = fmt::format("{} {}", c["metric"].get<std::string>(),
                                           c["higher_is_better"].get<bool>() ? "↑" : "↓");
    const std::string tests =
        c.contains("better")
            ? fmt::format("{} | {:.4f} | {:.4f} | {:.3g} | {:.3g}", c["better"]["n"].get<int>(),
                          c["better"]["mean_a"].get<double>(), c["better"]["mean_b"].get<double>(),
                          c["better"]["p_value"].get<double>(), c["worse"]["p_value"].get<double>())
            : "– | – | – | – | –";
    text += fmt::format("| {} | {} | {} | {} | {} | {} |\n", c["refined"].get<std::string>(),
                        c["prior"].get<std::string>(), c["subset"].get<std::string>(), metric,
                        tests, c["verdict"].get<std::string>());
  }
  return text;
}

long MapsAgainstPrior(const nlohmann::json& method_summary) {
  const auto against = method_summary.find("maps_against_prior");  // null: no a fitted
  return against != method_summary.end() && against->is_number() ? against->get<long>() : -1;
}

std::string MapsAgainstPriorNote(const std::string& method, long count, long images) {
  if (count <= 0) return "";
  return fmt::format(
      "{}: {} of {} refined maps hold their prior upside down (prior_coefficient < 0: the "
      "observations contradict the prior, often where the model barely sees the label).",
      method, count, images);
}

}  // namespace borex::app
