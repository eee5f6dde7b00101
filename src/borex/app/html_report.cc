#include "borex/app/html_report.h"

#include <spdlog/fmt/fmt.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <map>
#include <opencv2/imgproc.hpp>
#include <set>

#include "borex/app/batch.h"
#include "borex/app/curves.h"
#include "borex/core/error.h"
#include "borex/core/random.h"
#include "borex/dataset/voc.h"
#include "borex/io/atomic_file.h"
#include "borex/io/heatmap.h"
#include "borex/io/image.h"
#include "borex/io/json_file.h"
#include "borex/io/npy.h"

namespace borex::app {
namespace {

namespace fs = std::filesystem;

constexpr int kThumbnailSide = 160;  // pixels: the longer side of the pictures in the rows

// The metrics each method's cell shows and the rows sort and filter by.
const std::vector<std::pair<std::string, std::string>>& ShownMetrics() {
  static const std::vector<std::pair<std::string, std::string>> metrics = {
      {"insertion", "ins"}, {"deletion", "del"}, {"f_measure", "F"}, {"pointing_hit", "hit"}};
  return metrics;
}

std::string Escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// A relative path as a URL: every byte but unreserved ones and '/' percent-encoded, so that ids
// with '#', '?', '%' or ':' stay one file name.
std::string UrlPath(const std::string& path) {
  std::string url;
  for (const unsigned char c : path) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/')
      url += static_cast<char>(c);
    else
      url += fmt::format("%{:02X}", c);
  }
  return url;
}

std::string Cell(const nlohmann::json& value, const char* format) {
  return value.is_null() ? "–" : fmt::format(fmt::runtime(format), value.get<double>());
}

// The dataset the batch ran on, as its batch.json (of the directory or of a shard) names it.
struct Dataset {
  std::string root;
  bool video = false;
};
Dataset FindDataset(const std::vector<std::string>& dirs) {
  for (const std::string& dir : dirs) {
    const std::string path = dir + "/batch.json";
    if (!fs::exists(path)) continue;
    const nlohmann::json batch = io::ReadJson(path);
    if (batch.contains("voc_root")) return {batch["voc_root"].get<std::string>(), false};
    if (batch.contains("video_root")) return {batch["video_root"].get<std::string>(), true};
  }
  throw InputError(dirs.front() + "/batch.json", "no batch.json here names the dataset");
}

// Image ids with a row in any method's CSV, sorted; then the first `limit` or a seeded sample.
std::vector<std::string> ChooseImages(const std::vector<ReportedMethod>& methods,
                                      const HtmlReportOptions& options, long* total) {
  std::set<std::string> all;
  for (const ReportedMethod& method : methods)
    for (const auto& row : method.rows) all.insert(row[0]);
  std::vector<std::string> ids(all.begin(), all.end());
  *total = static_cast<long>(ids.size());
  if (options.sample > 0 && static_cast<size_t>(options.sample) < ids.size()) {
    Random random(options.seed);
    for (int i = 0; i < options.sample; ++i)  // a partial Fisher-Yates shuffle
      std::swap(ids[i], ids[i + random.UniformInt(static_cast<int>(ids.size()) - i)]);
    ids.resize(options.sample);
    std::sort(ids.begin(), ids.end());
  } else if (options.sample == 0 && options.limit > 0 &&
             static_cast<size_t>(options.limit) < ids.size()) {
    ids.resize(options.limit);
  }
  return ids;
}

// The first of DIR/SUBDIR/METHOD/ID.EXT over the directories that exists, or "".
std::string FindFile(const std::vector<std::string>& dirs, const std::string& subdir,
                     const std::string& method, const std::string& id, const std::string& ext) {
  for (const std::string& dir : dirs) {
    std::string path = dir + "/" + subdir + "/" + method + "/" + id + ext;
    if (fs::exists(path)) return path;
  }
  return "";
}

// Insertion and deletion in a 150 x 70 SVG. At most about 60 segments per curve: finer steps do
// not show at this size and would make a page of hundreds of rows heavy.
std::string CurvesSvg(const SavedCurves& curves, const std::string& title) {
  const auto polyline = [](const metrics::Curve& curve, const char* colour) {
    const size_t n = curve.scores.size();
    const size_t stride = std::max<size_t>(1, (n + 58) / 60);
    std::vector<size_t> shown;
    for (size_t i = 0; i < n; i += stride) shown.push_back(i);
    if (n > 0 && shown.back() != n - 1) shown.push_back(n - 1);  // always end at the last point
    std::string points;
    for (const size_t i : shown)
      points += fmt::format("{:.1f},{:.1f} ", 2 + 146 * curve.fractions[i],
                            68 - 66 * std::clamp(curve.scores[i], 0.0, 1.0));
    return fmt::format(R"(<polyline fill="none" stroke="{}" stroke-width="1.5" points="{}"/>)",
                       colour, points);
  };
  return fmt::format(
      R"(<svg class="curves" width="150" height="70" viewBox="0 0 150 70"><title>{}</title>)"
      R"(<rect x="0.5" y="0.5" width="149" height="69" fill="none" stroke="#bbb"/>{}{}</svg>)",
      Escape(title), polyline(curves.insertion, "#1e6ec8"), polyline(curves.deletion, "#f08214"));
}

// The image as a CV_8UC3 BGR picture for the page.
cv::Mat ToBgr8(const cv::Mat& rgb) {
  cv::Mat rgb8, bgr;
  rgb.convertTo(rgb8, CV_8UC3, 255.0);
  cv::cvtColor(rgb8, bgr, cv::COLOR_RGB2BGR);
  return bgr;
}

// The image shrunk so that its longer side is at most kThumbnailSide (CV_32FC3 RGB).
cv::Mat Thumbnail(const cv::Mat& rgb) {
  const double scale =
      std::min(1.0, static_cast<double>(kThumbnailSide) / std::max(rgb.rows, rgb.cols));
  if (scale >= 1) return rgb;
  cv::Mat small;
  cv::resize(rgb, small, cv::Size(), scale, scale, cv::INTER_AREA);
  return small;
}

// The page's sorting, filtering and paging; every row shows without it.
const char* kScript = R"(
(function () {
  var body = document.querySelector('#images tbody');
  var rows = Array.prototype.slice.call(body.rows);
  var size = parseInt(body.parentNode.getAttribute('data-page-size'), 10), page = 0;
  var $ = function (id) { return document.getElementById(id); };
  var key = $('key'), order = $('order'), text = $('filter'), op = $('op'), bound = $('bound');
  function value(row) {
    var v = row.getAttribute('data-' + key.value);
    return v === null || v === '' ? NaN : parseFloat(v);
  }
  function update() {
    var needle = text.value.toLowerCase(), b = parseFloat(bound.value), sign = order.value === 'desc' ? -1 : 1;
    var shown = rows.filter(function (row) {
      if (row.getAttribute('data-id').toLowerCase().indexOf(needle) < 0) return false;
      if (isNaN(b) || key.value === 'id') return true;
      return op.value === '<' ? value(row) < b : value(row) > b;
    });
    shown.sort(function (a, c) {
      if (key.value === 'id') {
        var x = a.getAttribute('data-id'), y = c.getAttribute('data-id');
        return sign * (x < y ? -1 : x > y ? 1 : 0);
      }
      var u = value(a), w = value(c);
      if (isNaN(u)) return isNaN(w) ? 0 : 1;
      return isNaN(w) ? -1 : sign * (u - w);
    });
    var pages = Math.max(1, Math.ceil(shown.length / size));
    page = Math.min(page, pages - 1);
    rows.forEach(function (row) { row.hidden = true; });
    shown.forEach(function (row, i) { body.appendChild(row); row.hidden = Math.floor(i / size) !== page; });
    $('page').textContent = 'page ' + (page + 1) + ' of ' + pages + ' (' + shown.length + ' images)';
  }
  [key, order, text, op, bound].forEach(function (e) {
    e.addEventListener('input', function () { page = 0; update(); });
  });
  $('prev').addEventListener('click', function () { page = Math.max(0, page - 1); update(); });
  $('next').addEventListener('click', function () { page += 1; update(); });
  update();
})();
)";

const char* kStyle = R"(
body { font: 14px sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; margin-bottom: 1.5em; }
th, td { border: 1px solid #ccc; padding: 4px 8px; vertical-align: top; }
th { background: #f2f2f2; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
.metrics { font-size: 12px; white-space: nowrap; }
.none { color: #888; font-size: 12px; }
.controls { margin: 0.5em 0 1em; }
.controls * { margin-right: 0.5em; }
.legend span { display: inline-block; width: 1.5em; height: 3px; vertical-align: middle; }
)";

}  // namespace

void HtmlReportOptions::Check() const {
  if (limit < 0) throw OptionError("--limit", "must not be negative");
  if (sample < 0) throw OptionError("--sample", "must not be negative");
  if (page_size < 1) throw OptionError("--page-size", "must be at least 1");
}

HtmlReport WriteHtmlReport(const std::vector<std::string>& dirs,
                           const std::vector<ReportedMethod>& methods,
                           const HtmlReportOptions& options) {
  options.Check();
  BOREX_CHECK(!dirs.empty());
  const std::string& out = dirs.front();
  HtmlReport report;
  report.path = out + "/report.html";
  const Dataset dataset = FindDataset(dirs);
  const std::vector<std::string> ids = ChooseImages(methods, options, &report.images);
  report.images_shown = static_cast<long>(ids.size());
  // Every input that can be missing, found before anything is written.
  std::vector<std::string> image_paths;
  image_paths.reserve(ids.size());
  if (!dataset.video) {
    const dataset::VocDataset voc(dataset.root);
    for (const std::string& id : ids) image_paths.push_back(voc.ImagePath(id));
  }
  std::vector<std::map<std::string, const std::vector<std::string>*>> rows(methods.size());
  for (size_t m = 0; m < methods.size(); ++m)
    for (const auto& row : methods[m].rows) rows[m][row[0]] = &row;

  // Each borex:X[:variants] against X, on the areas (BOREx paper section 4).
  std::string comparisons;
  for (const ReportedMethod& method : methods) {
    if (method.name.rfind("borex:", 0) != 0) continue;
    const std::string prior = method.name.substr(6, method.name.find(':', 6) - 6);
    const auto found = std::find_if(methods.begin(), methods.end(),
                                    [&](const ReportedMethod& m) { return m.name == prior; });
    if (found == methods.end()) continue;
    for (const auto& [metric, alternative] :
         {std::pair<std::string, stats::Alternative>{"insertion", stats::Alternative::kGreater},
          {"deletion", stats::Alternative::kLess}}) {
      CompareOptions compare;
      compare.a_path = method.csv_path;
      compare.b_path = found->csv_path;
      compare.metric = metric;
      compare.alternative = alternative;
      compare.intersect = true;
      std::string cells;
      try {
        const CompareResult result = RunCompare(compare);
        cells = fmt::format(
            "<td>{}</td><td class=\"number\">{}</td><td class=\"number\">{:.4f}</td>"
            "<td class=\"number\">{:.4f}</td><td class=\"number\">{:.3g}</td><td>{}</td>",
            stats::AlternativeName(alternative), result.n, result.mean_a, result.mean_b,
            result.p_value, Escape(result.Verdict()));
        report.comparisons.push_back(result);
      } catch (const InputError& e) {  // e.g. identical values: nothing to test
        cells = "<td colspan=\"6\" class=\"none\">not tested: " + Escape(e.what()) + "</td>";
      }
      comparisons += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td>{}</tr>\n",
                                 Escape(method.name), Escape(prior), metric, cells);
    }
  }

  // The pictures go to a fresh directory that replaces report_files/ once the page is complete.
  const std::string files = out + "/report_files";
  const std::string staging = fmt::format("{}/.report_files.tmp.{}", out, ::getpid());
  fs::remove_all(staging);
  fs::create_directories(staging + "/images");
  struct Cleanup {
    std::string path;
    ~Cleanup() {
      std::error_code ignored;
      fs::remove_all(path, ignored);
    }
  } cleanup{staging};
  for (const ReportedMethod& method : methods) fs::create_directories(staging + "/" + method.name);

  std::string head = "<tr><th>image</th>";
  std::string keys = "<option value=\"id\">image id</option>";
  for (size_t m = 0; m < methods.size(); ++m) {
    head += "<th>" + Escape(methods[m].name) + "</th>";
    for (const auto& [metric, abbreviation] : ShownMetrics())
      keys += fmt::format("<option value=\"m{}-{}\">{} {}</option>", m, metric,
                          Escape(methods[m].name), metric);
  }
  head += "</tr>\n";

  std::string body;
  for (size_t i = 0; i < ids.size(); ++i) {
    const std::string& id = ids[i];
    cv::Mat thumbnail;
    std::string row_attributes = " data-id=\"" + Escape(id) + "\"";
    std::string cells;
    if (dataset.video) {
      cells += "<td>" + Escape(id) + "<br><span class=\"none\">clip: not drawn</span></td>";
    } else {
      thumbnail = Thumbnail(io::ReadImageRgb(image_paths[i]));
      const std::string file = "images/" + id + ".png";
      io::WriteImage(staging + "/" + file, ToBgr8(thumbnail));
      cells += fmt::format(
          "<td>{}<br><img loading=\"lazy\" src=\"report_files/{}\" width=\"{}\" height=\"{}\" "
          "alt=\"{}\"></td>",
          Escape(id), UrlPath(file), thumbnail.cols, thumbnail.rows, Escape(id));
    }
    bool all_curves = true;
    for (size_t m = 0; m < methods.size(); ++m) {
      const auto row = rows[m].find(id);
      if (row == rows[m].end()) {
        cells += "<td class=\"none\">no row</td>";
        all_curves = false;
        continue;
      }
      const std::vector<std::string>& values = *row->second;
      const std::vector<std::string>& header = BatchCsvHeader();
      std::string cell = "<td>";
      const std::string map_path = FindFile(dirs, "maps", methods[m].name, id, ".npy");
      if (!dataset.video && map_path.empty()) {
        cell += "<span class=\"none\">no map</span><br>";
      } else if (!dataset.video) {
        const std::string file = methods[m].name + "/" + id + ".png";
        io::WriteImage(staging + "/" + file,
                       io::RenderOverlay(thumbnail, io::ReadNpyMap(map_path)));
        cell += fmt::format(
            "<img loading=\"lazy\" src=\"report_files/{}\" width=\"{}\" height=\"{}\" "
            "alt=\"{} on {}\"><br>",
            UrlPath(file), thumbnail.cols, thumbnail.rows, Escape(methods[m].name), Escape(id));
      }
      cell += "<span class=\"metrics\">";
      for (const auto& [metric, abbreviation] : ShownMetrics()) {
        const size_t column = std::find(header.begin(), header.end(), metric) - header.begin();
        const std::string& value = values[column];
        row_attributes += fmt::format(" data-m{}-{}=\"{}\"", m, metric, Escape(value));
        const std::string shown = value.empty() ? "–"
                                  : metric == "pointing_hit"
                                      ? (value == "1" ? "yes" : "no")
                                      : fmt::format("{:.3f}", std::stod(value));
        cell += fmt::format("{} {} ", abbreviation, shown);
      }
      cell += "</span><br>";
      const std::string curves_path = FindFile(dirs, "curves", methods[m].name, id, ".csv");
      if (curves_path.empty()) {
        cell += "<span class=\"none\">no curves saved</span>";
        all_curves = false;
      } else {
        cell += CurvesSvg(ReadCurvesCsv(curves_path),
                          methods[m].name + " on " + id + ": insertion (blue), deletion (orange)");
      }
      cells += cell + "</td>";
    }
    report.images_with_curves += all_curves;
    body += "<tr class=\"image\"" + row_attributes + ">" + cells + "</tr>\n";
  }

  std::string summary;
  for (const ReportedMethod& method : methods) {
    const nlohmann::json& s = method.summary;
    summary += fmt::format(
        "<tr class=\"method\" data-method=\"{}\"><td>{}</td><td class=\"number\">{}</td>"
        "<td class=\"number\">{}</td><td class=\"number\">{}</td><td class=\"number\">{}</td>"
        "<td class=\"number\">{}</td><td class=\"number\">{}</td><td class=\"number\">{}</td>"
        "<td class=\"number\">{}</td><td class=\"number\">{}</td><td class=\"number\">{}</td>"
        "</tr>\n",
        Escape(method.name), Escape(method.name), s["images"].get<long>(),
        Cell(s["insertion"], "{:.4f}"), Cell(s["deletion"], "{:.4f}"),
        Cell(s["f_measure"], "{:.4f}"), Cell(s["pointing_hit"], "{:.3f}"),
        Cell(s["average_drop"], "{:.2f}"), Cell(s["average_gain"], "{:.2f}"),
        Cell(s["model_calls"], "{:.0f}"), Cell(s["seconds"], "{:.3f}"),
        Cell(s["images_per_minute"], "{:.1f}"));
  }
  const std::string shown =
      report.images_shown == report.images ? fmt::format("all {} images", report.images)
      : options.sample > 0 ? fmt::format("{} of {} images, drawn at random (seed {})",
                                         report.images_shown, report.images, options.seed)
                           : fmt::format("the first {} of {} images by id (--limit, --sample)",
                                         report.images_shown, report.images);
  std::string html = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<title>borex report: {}</title><style>{}</style></head><body>\n"
      "<h1>borex report</h1>\n<p>Batch <code>{}</code> on <code>{}</code>.</p>\n"
      "<h2>Methods</h2>\n<table id=\"summary\"><tr><th>method</th><th>images</th>"
      "<th>insertion ↑</th><th>deletion ↓</th><th>F-measure ↑</th><th>pointing ↑</th>"
      "<th>AD ↓</th><th>AG ↑</th><th>model calls</th><th>s / image</th><th>images / min</th>"
      "</tr>\n{}</table>\n",
      Escape(out), kStyle, Escape(out), Escape(dataset.root), summary);
  if (!comparisons.empty())
    html += fmt::format(
        "<h2>BOREx against its prior</h2>\n<p>Wilcoxon signed-rank test on the paired "
        "per-image values (A: BOREx, B: the prior; one-sided).</p>\n<table id=\"comparisons\">"
        "<tr><th>A</th><th>B</th><th>metric</th><th>alternative</th><th>pairs</th>"
        "<th>mean A</th><th>mean B</th><th>p</th><th>verdict</th></tr>\n{}</table>\n",
        comparisons);
  html += fmt::format(
      "<h2>Images</h2>\n<p>{}. Curves: <span class=\"legend\"><span "
      "style=\"background:#1e6ec8\"></span> insertion <span style=\"background:#f08214\"></span> "
      "deletion</span> (x: fraction of pixels, y: score).</p>\n"
      "<div class=\"controls\"><label>image id <input id=\"filter\" type=\"search\"></label>"
      "<label>sort by <select id=\"key\">{}</select></label><select id=\"order\">"
      "<option value=\"asc\">ascending</option><option value=\"desc\">descending</option>"
      "</select><label>show only <select id=\"op\"><option>&lt;</option><option>&gt;</option>"
      "</select><input id=\"bound\" type=\"number\" step=\"any\" size=\"6\"></label>"
      "<button id=\"prev\">previous</button><button id=\"next\">next</button>"
      "<span id=\"page\"></span></div>\n"
      "<table id=\"images\" data-page-size=\"{}\"><thead>{}</thead><tbody>\n{}</tbody></table>\n"
      "<script>{}</script>\n</body></html>\n",
      shown, keys, options.page_size, head, body, kScript);

  // The pictures replace the earlier report's, then the page is written.
  fs::remove_all(files);
  fs::rename(staging, files);
  io::WriteBytesAtomically(report.path, html);
  return report;
}

}  // namespace borex::app
