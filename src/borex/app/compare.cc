#include "borex/app/compare.h"

#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <unordered_map>

#include "borex/core/error.h"
#include "borex/core/parse.h"
#include "borex/io/atomic_file.h"
#include "borex/io/csv.h"
#include "borex/io/json_file.h"

namespace borex::app {
namespace {

// A CSV of `borex batch` with its rows indexed by image_id.
struct IndexedCsv {
  io::CsvTable table;
  std::vector<std::string> ids;                    // in file order
  std::unordered_map<std::string, size_t> row_of;  // image_id -> row

  const std::string& path() const { return table.path; }
  bool Has(const std::string& id) const { return row_of.count(id) > 0; }
  const std::string& Field(const std::string& id, int column) const {
    return table.rows[row_of.at(id)][column];
  }
};

IndexedCsv ReadIndexed(const std::string& path) {
  IndexedCsv csv;
  csv.table = io::ReadCsv(path);
  const int id_column = csv.table.RequireColumn("image_id");
  for (size_t row = 0; row < csv.table.rows.size(); ++row) {
    const std::string& id = csv.table.rows[row][id_column];
    // Line numbers assume one line per record (batch CSVs have no quoted newlines).
    if (id.empty()) throw InputError(path, fmt::format("line {}: empty image_id", row + 2));
    const auto [found, inserted] = csv.row_of.emplace(id, row);
    if (!inserted)
      throw InputError(path, fmt::format("image_id '{}' appears twice (lines {} and {})", id,
                                         found->second + 2, row + 2));
    csv.ids.push_back(id);
  }
  return csv;
}

// The value of `column` (named `name`) for image `id`; InputError when empty or not a number.
double RequireValue(const IndexedCsv& csv, const std::string& id, int column,
                    const std::string& name) {
  const std::string& field = csv.Field(id, column);
  if (field.empty())
    throw InputError(csv.path(), fmt::format("image '{}': no value in column '{}'", id, name));
  return io::CellNumber(field, csv.path(), fmt::format("image '{}': column '{}'", id, name));
}

// The ids of `a` that are also in `b`, in a's order; InputError when none are, or when the sets
// differ and `intersect` is false.
std::vector<std::string> PairIds(const IndexedCsv& a, const IndexedCsv& b, bool intersect) {
  std::vector<std::string> common, only_a, only_b;
  for (const std::string& id : a.ids) (b.Has(id) ? common : only_a).push_back(id);
  for (const std::string& id : b.ids)
    if (!a.Has(id)) only_b.push_back(id);
  if (common.empty())
    throw InputError(a.path(),
                     fmt::format("no image_id in common with {} (different datasets?)", b.path()));
  if (only_a.empty() && only_b.empty()) return common;
  auto example = [](const std::vector<std::string>& ids) {
    return ids.empty() ? std::string() : fmt::format(" (e.g. '{}')", ids.front());
  };
  if (!intersect)
    throw InputError(a.path(),
                     fmt::format("the image ids differ from {}: {} only in {}{}, {} only in {}{}; "
                                 "--intersect compares the {} in common",
                                 b.path(), only_a.size(), a.path(), example(only_a), only_b.size(),
                                 b.path(), example(only_b), common.size()));
  spdlog::warn("compare: {} images only in {}, {} only in {}: comparing the {} in common",
               only_a.size(), a.path(), only_b.size(), b.path(), common.size());
  return common;
}

void CheckLabels(const IndexedCsv& a, const IndexedCsv& b, const std::vector<std::string>& ids) {
  const int label_a = a.table.Column("label"), label_b = b.table.Column("label");
  if (label_a < 0 || label_b < 0) return;
  for (const std::string& id : ids)
    if (a.Field(id, label_a) != b.Field(id, label_b))
      throw InputError(a.path(),
                       fmt::format("image '{}' has label {} here but {} in {} (different "
                                   "datasets or label choices?)",
                                   id, a.Field(id, label_a), b.Field(id, label_b), b.path()));
}

// Keeps the ids whose row in filter.path satisfies the filter.
std::vector<std::string> ApplyFilter(const CompareFilter& filter, const IndexedCsv& csv,
                                     const std::vector<std::string>& ids) {
  const int column = csv.table.RequireColumn(filter.metric);
  std::vector<std::string> kept;
  size_t absent = 0, empty = 0;
  for (const std::string& id : ids) {
    if (!csv.Has(id)) {
      ++absent;
      continue;
    }
    if (csv.Field(id, column).empty()) {
      ++empty;
      continue;
    }
    const double value = RequireValue(csv, id, column, filter.metric);
    if (filter.op == '<' ? value < filter.value : value > filter.value) kept.push_back(id);
  }
  if (absent > 0)
    spdlog::warn("compare: --where {}: {} of the {} paired images are not in {}; dropping them",
                 filter.text, absent, ids.size(), csv.path());
  if (empty > 0)
    spdlog::warn("compare: --where {}: {} of the {} paired images have no {} in {}; dropping them",
                 filter.text, empty, ids.size(), filter.metric, csv.path());
  spdlog::debug("compare: --where {}: {} of {} pairs kept", filter.text, kept.size(), ids.size());
  return kept;
}

}  // namespace

CompareFilter ParseCompareFilter(const std::string& text, const std::string& option) {
  const auto malformed = [&](const std::string& why) {
    return OptionError(option, fmt::format("'{}': {} (expected PATH:METRIC<VALUE or "
                                           "PATH:METRIC>VALUE, e.g. rise.csv:insertion<0.6)",
                                           text, why));
  };
  CompareFilter filter;
  filter.text = text;
  const size_t op = text.find_last_of("<>");
  if (op == std::string::npos) throw malformed("no '<' or '>'");
  const size_t colon = text.rfind(':', op);
  if (colon == std::string::npos) throw malformed("no ':' between the file and the metric");
  filter.path = text.substr(0, colon);
  filter.metric = text.substr(colon + 1, op - colon - 1);
  filter.op = text[op];
  if (filter.path.empty()) throw malformed("no file");
  if (filter.metric.empty()) throw malformed("no metric");
  if (filter.metric.find_first_of("<>") != std::string::npos) throw malformed("two bounds");
  const std::optional<double> bound = ToNumber(text.substr(op + 1));
  if (!bound) throw malformed("the bound is not a number");
  filter.value = *bound;
  return filter;
}

nlohmann::json CompareResult::ToJson() const {
  nlohmann::json json = {{"a", a},
                         {"b", b},
                         {"metric", metric},
                         {"alternative", stats::AlternativeName(alternative)},
                         {"where", where},
                         {"n", n},
                         {"n_nonzero", n_nonzero},
                         {"statistic", statistic},
                         {"p_value", p_value},
                         {"method", stats::PValueMethodName(method)},
                         {"exact", exact},
                         {"median_a", median_a},
                         {"median_b", median_b},
                         {"mean_a", mean_a},
                         {"mean_b", mean_b}};
  if (fail_at > 0) {
    json["fail_at"] = fail_at;
    json["check_failed"] = check_failed;
  }
  return json;
}

std::string CompareResult::Verdict(double alpha) const {
  const std::string p = fmt::format("{:.2g}", p_value);
  const std::string level = fmt::format("{:g}%", alpha * 100);
  const bool significant = p_value < alpha;
  switch (alternative) {
    case stats::Alternative::kGreater:
      return significant ? "A > B at p = " + p
                         : fmt::format("no evidence that A > B at the {} level (p = {})", level, p);
    case stats::Alternative::kLess:
      return significant ? "A < B at p = " + p
                         : fmt::format("no evidence that A < B at the {} level (p = {})", level, p);
    case stats::Alternative::kTwoSided:
      break;
  }
  if (!significant)
    return fmt::format("no evidence of a difference at the {} level (p = {}, two-sided)", level, p);
  const double center = n_nonzero * (n_nonzero + 1) / 4.0;  // r+ under the null, on average
  return fmt::format("A {} B at p = {} (two-sided)", r_plus > center ? ">" : "<", p);
}

namespace {

// The CSVs a comparison has read, by path as given: A, B and the filters' files, kept across the
// comparisons that share them.
using CsvCache = std::map<std::string, IndexedCsv>;

const IndexedCsv& Load(CsvCache& files, const std::string& path) {
  auto found = files.find(path);
  if (found == files.end()) found = files.emplace(path, ReadIndexed(path)).first;
  return found->second;
}

// RunCompare, reading each file once into `files`.
CompareResult RunCompareWith(const CompareOptions& options, CsvCache& files) {
  if (options.a_path.empty() || options.b_path.empty())
    throw OptionError(options.a_path.empty() ? "A" : "B", "a batch CSV file is required");
  if (options.metric.empty()) throw OptionError("--metric", "a metric column is required");
  if (!(options.fail_at >= 0 && options.fail_at < 1))
    throw OptionError("--fail-at",
                      fmt::format("{} is not a significance level in (0, 1) (0, the default, "
                                  "checks nothing)",
                                  options.fail_at));
  std::vector<CompareFilter> filters;
  for (const std::string& text : options.where) filters.push_back(ParseCompareFilter(text));
  std::vector<io::NamedFile> inputs = {{"A", options.a_path}, {"B", options.b_path}};
  for (const CompareFilter& filter : filters) inputs.push_back({"--where", filter.path});
  io::CheckOutputsDistinct({{"--json", options.json_path}}, inputs);

  const IndexedCsv& a = Load(files, options.a_path);
  const IndexedCsv& b = Load(files, options.b_path);
  const int column_a = a.table.RequireColumn(options.metric);
  const int column_b = b.table.RequireColumn(options.metric);

  std::vector<std::string> ids = PairIds(a, b, options.intersect);
  CheckLabels(a, b, ids);
  const size_t paired = ids.size();
  for (const CompareFilter& filter : filters)
    ids = ApplyFilter(filter, Load(files, filter.path), ids);
  if (ids.empty()) {
    std::string all;
    for (const std::string& text : options.where) all += (all.empty() ? "" : " and ") + text;
    throw OptionError("--where",
                      fmt::format("none of the {} paired images satisfies {}", paired, all));
  }

  std::vector<double> values_a, values_b;
  for (const std::string& id : ids) {
    values_a.push_back(RequireValue(a, id, column_a, options.metric));
    values_b.push_back(RequireValue(b, id, column_b, options.metric));
  }
  if (values_a == values_b)
    throw InputError(a.path(), fmt::format("all {} paired values of '{}' equal those of {}: "
                                           "nothing to test (the same results twice?)",
                                           ids.size(), options.metric, b.path()));
  const stats::WilcoxonResult test =
      stats::WilcoxonSignedRank(values_a, values_b, options.alternative);

  CompareResult result;
  result.a = options.a_path;
  result.b = options.b_path;
  result.metric = options.metric;
  result.alternative = options.alternative;
  result.where = options.where;
  result.n = static_cast<int>(ids.size());
  result.n_nonzero = test.n;
  result.statistic = test.statistic;
  result.p_value = test.p_value;
  result.exact = test.exact;
  result.method = test.method;
  result.r_plus = test.r_plus;
  result.median_a = stats::Median(values_a);
  result.median_b = stats::Median(values_b);
  result.mean_a = stats::Mean(values_a);
  result.mean_b = stats::Mean(values_b);
  result.fail_at = options.fail_at;
  result.check_failed = options.fail_at > 0 && result.p_value < options.fail_at;
  if (!options.json_path.empty()) io::WriteJson(options.json_path, result.ToJson());
  return result;
}

// The subsets a refinement is compared on: all images, and those with one item of the label and
// with several when the prior's CSV counts them, as --where filters on that CSV.
std::vector<std::pair<std::string, std::vector<std::string>>> ItemSubsets(const IndexedCsv& prior) {
  std::vector<std::pair<std::string, std::vector<std::string>>> subsets = {{"all", {}}};
  const std::vector<std::string>& header = prior.table.header;
  const auto column = std::find(header.begin(), header.end(), "label_items");
  if (column == header.end()) return subsets;
  bool single = false, several = false;
  for (const std::vector<std::string>& row : prior.table.rows) {
    const std::optional<double> items = ToNumber(row[column - header.begin()]);
    if (items) (*items > 1 ? several : single) = true;
  }
  if (single) subsets.push_back({"one item", {prior.path() + ":label_items<2"}});
  if (several) subsets.push_back({"several items", {prior.path() + ":label_items>1"}});
  return subsets;
}

}  // namespace

CompareResult RunCompare(const CompareOptions& options) {
  CsvCache files;
  return RunCompareWith(options, files);
}

std::string RefinementComparison::Verdict() const {
  if (!better || !worse) return "not tested";
  if (better->p_value < 0.05) return fmt::format("better (p = {:.2g})", better->p_value);
  if (worse->p_value < 0.05) return fmt::format("worse (p = {:.2g})", worse->p_value);
  return "no difference at the 5% level";
}

nlohmann::json RefinementComparison::ToJson() const {
  nlohmann::json json = {{"refined", refined},
                         {"prior", prior},
                         {"subset", subset},
                         {"metric", metric},
                         {"higher_is_better", higher_is_better},
                         {"verdict", Verdict()}};
  if (better && worse) {
    json["better"] = better->ToJson();
    json["worse"] = worse->ToJson();
  } else {
    json["not_tested"] = not_tested;
  }
  return json;
}

std::vector<RefinementComparison> CompareRefinements(
    const std::vector<std::pair<std::string, std::string>>& methods) {
  std::vector<RefinementComparison> comparisons;
  CsvCache files;  // each CSV read once for all the comparisons
  for (const auto& [name, csv] : methods) {
    if (name.rfind("borex:", 0) != 0) continue;
    const std::string prior = name.substr(6, name.find(':', 6) - 6);
    const auto found = std::find_if(methods.begin(), methods.end(),
                                    [&](const auto& method) { return method.first == prior; });
    if (found == methods.end()) continue;
    for (const auto& [subset, where] : ItemSubsets(Load(files, found->second)))
      for (const auto& [metric, higher_is_better] :
           {std::pair<std::string, bool>{"insertion", true},
            {"deletion", false},
            {"f_measure", true},
            {"pointing_hit", true}}) {
        RefinementComparison comparison;
        comparison.refined = name;
        comparison.prior = prior;
        comparison.subset = subset;
        comparison.metric = metric;
        comparison.higher_is_better = higher_is_better;
        CompareOptions compare;
        compare.a_path = csv;
        compare.b_path = found->second;
        compare.metric = metric;
        compare.where = where;
        compare.intersect = true;
        const auto up = stats::Alternative::kGreater, down = stats::Alternative::kLess;
        try {
          compare.alternative = higher_is_better ? up : down;
          comparison.better = RunCompareWith(compare, files);
          compare.alternative = higher_is_better ? down : up;
          comparison.worse = RunCompareWith(compare, files);
        } catch (const Error& e) {  // no values, or every pair equal: nothing to test
          comparison.better.reset();
          comparison.worse.reset();
          comparison.not_tested = e.what();
        }
        comparisons.push_back(std::move(comparison));
      }
  }
  return comparisons;
}

}  // namespace borex::app
