#include "borex/app/html_report.h"

#include <spdlog/fmt/fmt.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <opencv2/imgproc.hpp>
#include <set>

#include "borex/app/batch.h"
#include "borex/app/curves.h"
#include "borex/app/report.h"
#include "borex/core/error.h"
#include "borex/core/random.h"
#include "borex/dataset/video_clips.h"
#include "borex/dataset/voc.h"
#include "borex/io/atomic_file.h"
#include "borex/io/csv.h"
#include "borex/io/heatmap.h"
#include "borex/io/image.h"
#include "borex/io/json_file.h"
#include "borex/io/npy.h"
#include "borex/io/video.h"

namespace borex::app {
namespace {

namespace fs = std::filesystem;

constexpr int kThumbnailSide = 160;  // pixels: the longer side of the pictures in the rows

// The metrics each method's cell shows and the rows sort and filter by.
const std::vector<std::pair<std::string, std::string>>& ShownMetrics() {
  // prior_coefficient: a refinement's fitted weight of its prior (a < 0: the prior upside down),
  // shown and sortable only for the methods that fit one.
  static const std::vector<std::pair<std::string, std::string>> metrics = {
      {"insertion", "ins"},
      {"deletion", "del"},
      {"f_measure", "F"},
      {"pointing_hit", "hit"},
      {"prior_coefficient", "a"}};
  return metrics;
}

// The image columns of the CSVs the page shows under each image and sorts by, with their
// abbreviations.
const std::vector<std::pair<std::string, std::string>>& ShownImageColumns() {
  static const std::vector<std::pair<std::string, std::string>> columns = {
      {"label_items", "items"}, {"label_probability", "p(label)"}, {"label_rank", "rank"}};
  return columns;
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

// The dataset the batch ran on, as its batch.json (of the directory or of a shard) names it; for
// clips also the frames the model saw (0, frame_stride, ..., `frames` of them: settings.json), of
// which the page shows the middle one.
struct Dataset {
  std::string root;
  bool video = false;
  int frames = 0, frame_stride = 1;
  int MiddleFrame() const { return frames / 2; }  // of the map's frames
};
Dataset FindDataset(const std::vector<std::string>& dirs) {
  for (const std::string& dir : dirs) {
    const std::string path = dir + "/batch.json";
    if (!fs::exists(path)) continue;
    const nlohmann::json batch = io::ReadJson(path);
    if (batch.contains("voc_root"))
      return {
          io::JsonField(batch, "voc_root", io::IsJsonString, "a string", path).get<std::string>()};
    if (!batch.contains("video_root")) continue;
    Dataset clips{
        io::JsonField(batch, "video_root", io::IsJsonString, "a string", path).get<std::string>(),
        true};
    const std::string settings_path = dir + "/settings.json";
    if (!fs::exists(settings_path))
      throw InputError(settings_path, "missing: it says which frames of the clips the model saw");
    const nlohmann::json video = io::JsonField(
        io::ReadJson(settings_path), "video",
        [](const nlohmann::json& value) { return value.is_object(); },
        "an object (batch.json names clips)", settings_path);
    clips.frames = io::JsonField(video, "frames", io::IsJsonPositiveInteger, "a positive integer",
                                 settings_path, "video: ")
                       .get<int>();
    clips.frame_stride = io::JsonField(video, "frame_stride", io::IsJsonPositiveInteger,
                                       "a positive integer", settings_path, "video: ")
                             .get<int>();
    return clips;
  }
  throw InputError(dirs.front() + "/batch.json", "no batch.json here names the dataset");
}

// The row's picture (CV_32FC3 RGB): the image, or the clip's middle frame of those the model saw.
cv::Mat RowPicture(const Dataset& dataset, const std::string& path) {
  if (!dataset.video) return io::ReadImageRgb(path);
  io::ClipSampling sampling;
  sampling.frames = 1;
  sampling.start = dataset.MiddleFrame() * dataset.frame_stride;
  return io::ReadVideoClip(path, sampling).front();
}

// The map of the row's picture: the image's, or the clip's map of its middle frame.
cv::Mat RowMap(const Dataset& dataset, const std::string& path) {
  if (!dataset.video) return io::ReadNpyMap(path);
  const std::vector<cv::Mat> frames = io::ReadNpyMap3D(path);
  if (static_cast<int>(frames.size()) != dataset.frames)
    throw InputError(path, fmt::format("has {} frames, but the model saw {} (settings.json)",
                                       frames.size(), dataset.frames));
  return frames[dataset.MiddleFrame()];
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

// A curve as the `points` of an SVG polyline in the page's 150 x 70 plot, in whole pixels (its
// size on screen), at most about 60 segments: finer steps do not show at this size, and the
// curves are most of the page's data (issue 13: 8.6 MB for 5,000 images with one decimal).
std::string CurvePoints(const metrics::Curve& curve) {
  const size_t n = curve.scores.size();
  const size_t stride = std::max<size_t>(1, (n + 58) / 60);
  std::vector<size_t> shown;
  for (size_t i = 0; i < n; i += stride) shown.push_back(i);
  if (n > 0 && shown.back() != n - 1) shown.push_back(n - 1);  // always end at the last point
  std::string points;
  for (const size_t i : shown)
    points +=
        fmt::format("{}{:.0f},{:.0f}", points.empty() ? "" : " ", 2 + 146 * curve.fractions[i],
                    68 - 66 * std::clamp(curve.scores[i], 0.0, 1.0));
  return points;
}

// `data` as the text of a <script> element: every '<', '>' and '&' written as a \u escape (they
// occur only inside JSON strings), so that no id holding "</script>" or "<!--" can end the
// element or change how the HTML parser reads it.
std::string ScriptJson(const nlohmann::json& data) {
  const std::string text = data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (c == '<')
      out += "\\u003c";
    else if (c == '>')
      out += "\\u003e";
    else if (c == '&')
      out += "\\u0026";
    else
      out += c;
  }
  return out;
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

// The page's rows, built from its data (report-data) one page at a time, so that opening the
// page costs the same for 100 images as for 5,000; sorting and filtering work on the data.
const char* kScript = R"js(
(function () {
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var body = document.querySelector('#images tbody');
  var page = 0, shown = [];
  var $ = function (id) { return document.getElementById(id); };
  var key = $('key'), order = $('order'), text = $('filter'), op = $('op'), bound = $('bound');
  var metric_index = {}, image_index = {};
  data.metrics.forEach(function (metric, i) { metric_index[metric[0]] = i; });
  data.image_columns.forEach(function (column, i) { image_index[column[0]] = i; });
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }
  // The sort key's value of a row: its id, an image column, or one method's metric (NaN when
  // missing).
  function value(row) {
    if (key.value === 'id') return row.id;
    if (key.value.slice(0, 2) === 'i-') {
      var w = row.img[image_index[key.value.slice(2)]];
      return w === null ? NaN : w;
    }
    var k = key.value.split('-'), cell = row.m[+k[0].slice(1)];
    var v = cell ? cell.v[metric_index[k[1]]] : null;
    return v === null ? NaN : v;
  }
  function picture(url, row, alt) {
    return '<img loading="lazy" src="' + esc(url) + '" width="' + row.w + '" height="' + row.h +
      '" alt="' + esc(alt) + '">';
  }
  function html(row) {
    var attributes = ' data-id="' + esc(row.id) + '"', described = [];
    data.image_columns.forEach(function (column, i) {
      var v = row.img[i];
      attributes += ' data-i-' + column[0] + '="' + (v === null ? '' : v) + '"';
      if (v !== null) described.push(column[1] + ' ' + (column[0] === 'label_probability' ? v.toFixed(3) : v));
    });
    var cells = '<td>' + esc(row.id) + '<br>' + picture(row.image, row, row.id) +
      (described.length ? '<br><span class="metrics">' + described.join(' ') + '</span>' : '') +
      (data.video ? '<br><span class="none">' + esc(data.video) + '</span>' : '') + '</td>';
    data.methods.forEach(function (method, m) {
      var cell = row.m[m];
      data.metrics.forEach(function (metric, i) {
        attributes += ' data-m' + m + '-' + metric[0] + '="' + (cell && cell.v[i] !== null ? cell.v[i] : '') + '"';
      });
      if (!cell) { cells += '<td class="none">no row</td>'; return; }
      var td = '<td>';
      if (cell.overlay) td += picture(cell.overlay, row, method + ' on ' + row.id) + '<br>';
      else td += '<span class="none">no map</span><br>';
      td += '<span class="metrics">' + data.metrics.filter(function (metric, i) {
        return metric[0] !== 'prior_coefficient' || cell.v[i] !== null;
      }).map(function (metric) {
        var v = cell.v[metric_index[metric[0]]];
        return metric[1] + ' ' + (v === null ? '–' : metric[0] === 'pointing_hit' ? (v ? 'yes' : 'no') : v.toFixed(3));
      }).join(' ') + '</span><br>';
      td += cell.curves ? '<svg class="curves" width="150" height="70" viewBox="0 0 150 70"><title>' +
        esc(method + ' on ' + row.id + ': insertion (blue), deletion (orange)') + '</title>' +
        '<rect x="0.5" y="0.5" width="149" height="69" fill="none" stroke="#bbb"/>' +
        '<polyline fill="none" stroke="#1e6ec8" stroke-width="1.5" points="' + cell.curves[0] + '"/>' +
        '<polyline fill="none" stroke="#f08214" stroke-width="1.5" points="' + cell.curves[1] + '"/></svg>'
        : '<span class="none">no curves saved</span>';
      cells += td + '</td>';
    });
    return '<tr class="image"' + attributes + '>' + cells + '</tr>';
  }
  // Filters and sorts the data, then builds the rows of one page only.
  function select() {
    var needle = text.value.toLowerCase(), b = parseFloat(bound.value), sign = order.value === 'desc' ? -1 : 1;
    shown = data.rows.filter(function (row) {
      if (row.id.toLowerCase().indexOf(needle) < 0) return false;
      if (isNaN(b) || key.value === 'id') return true;
      return op.value === '<' ? value(row) < b : value(row) > b;
    });
    var values = new Map(shown.map(function (row) { return [row, value(row)]; }));
    shown.sort(function (a, c) {
      var u = values.get(a), w = values.get(c);
      if (key.value === 'id') return sign * (u < w ? -1 : u > w ? 1 : 0);
      if (isNaN(u)) return isNaN(w) ? 0 : 1;
      return isNaN(w) ? -1 : sign * (u - w);
    });
  }
  function render() {
    var pages = Math.max(1, Math.ceil(shown.length / data.page_size));
    page = Math.max(0, Math.min(page, pages - 1));
    body.innerHTML = shown.slice(page * data.page_size, (page + 1) * data.page_size).map(html).join('');
    $('page').textContent = 'page ' + (page + 1) + ' of ' + pages + ' (' + shown.length + ' images)';
  }
  [key, order, text, op, bound].forEach(function (e) {
    e.addEventListener('input', function () { page = 0; select(); render(); });
  });
  $('prev').addEventListener('click', function () { page -= 1; render(); });
  $('next').addEventListener('click', function () { page += 1; render(); });
  select();
  render();
})();
)js";

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
                           const std::vector<RefinementComparison>& comparisons,
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
  if (dataset.video) {
    const dataset::VideoClipDataset clips(dataset.root);
    for (const std::string& id : ids) image_paths.push_back(clips.ClipPath(id));
  } else {
    const dataset::VocDataset voc(dataset.root);
    for (const std::string& id : ids) image_paths.push_back(voc.ImagePath(id));
  }
  std::vector<std::map<std::string, const std::vector<std::string>*>> rows(methods.size());
  for (size_t m = 0; m < methods.size(); ++m)
    for (const auto& row : methods[m].rows) rows[m][row[0]] = &row;

  // Each refinement against its prior (CompareRefinements), one row per metric and subset.
  std::string rows_of_comparisons;
  for (const RefinementComparison& c : comparisons) {
    const std::string cells =
        c.better && c.worse
            ? fmt::format(
                  "<td class=\"number\">{}</td><td class=\"number\">{:.4f}</td>"
                  "<td class=\"number\">{:.4f}</td><td class=\"number\">{:.3g}</td>"
                  "<td class=\"number\">{:.3g}</td><td>{}</td>",
                  c.better->n, c.better->mean_a, c.better->mean_b, c.better->p_value,
                  c.worse->p_value, c.Verdict())
            : "<td colspan=\"6\" class=\"none\">not tested: " + Escape(c.not_tested) + "</td>";
    rows_of_comparisons += fmt::format(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{} {}</td>{}</tr>\n", Escape(c.refined),
        Escape(c.prior), c.subset, c.metric, c.higher_is_better ? "↑" : "↓", cells);
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

  std::string head = "<tr><th>image</th>";
  std::string keys = "<option value=\"id\">image id</option>";
  nlohmann::json data = {{"methods", nlohmann::json::array()},
                         {"metrics", nlohmann::json::array()},
                         {"image_columns", nlohmann::json::array()},
                         {"page_size", options.page_size},
                         {"rows", nlohmann::json::array()}};
  for (const auto& [metric, abbreviation] : ShownMetrics())
    data["metrics"].push_back({metric, abbreviation});
  for (const auto& [column, abbreviation] : ShownImageColumns()) {
    data["image_columns"].push_back({column, abbreviation});
    keys += fmt::format("<option value=\"i-{}\">{}</option>", column, column);
  }
  if (dataset.video)  // the caption of each clip's picture
    data["video"] = fmt::format("clip frame {}: the middle of the {} frames the model saw",
                                dataset.MiddleFrame() * dataset.frame_stride, dataset.frames);
  for (size_t m = 0; m < methods.size(); ++m) {
    head += "<th>" + Escape(methods[m].name) + "</th>";
    data["methods"].push_back(methods[m].name);
    const bool fits_prior = MapsAgainstPrior(methods[m].summary) >= 0;
    for (const auto& [metric, abbreviation] : ShownMetrics())
      if (metric != "prior_coefficient" || fits_prior)
        keys += fmt::format("<option value=\"m{}-{}\">{} {}</option>", m, metric,
                            Escape(methods[m].name), metric);
  }
  head += "</tr>\n";

  // Writes a picture under the staging directory (ids may hold '/'); returns its URL in the page.
  // No fsync each: one SyncFileSystem before the directory is renamed (thousands of files).
  const auto write_picture = [&](const std::string& file, const cv::Mat& bgr) {
    const std::string path = staging + "/" + file;
    fs::create_directories(fs::path(path).parent_path());
    io::WriteBytesUnsynced(path, io::EncodeImage(path, bgr));
    return "report_files/" + UrlPath(file);
  };
  const std::vector<std::string>& header = BatchCsvHeader();
  for (size_t i = 0; i < ids.size(); ++i) {
    const std::string& id = ids[i];
    nlohmann::json row = {{"id", id}, {"m", nlohmann::json::array()}};
    const cv::Mat thumbnail = Thumbnail(RowPicture(dataset, image_paths[i]));
    row["image"] = write_picture("images/" + id + ".png", ToBgr8(thumbnail));
    row["w"] = thumbnail.cols;
    row["h"] = thumbnail.rows;
    // The image's columns, from the first method whose row has them (an older CSV's are empty).
    row["img"] = nlohmann::json::array();
    for (const auto& [column, abbreviation] : ShownImageColumns()) {
      const size_t at = std::find(header.begin(), header.end(), column) - header.begin();
      nlohmann::json value = nullptr;
      for (size_t m = 0; m < methods.size() && value.is_null(); ++m)
        if (const auto found = rows[m].find(id);
            found != rows[m].end() && !(*found->second)[at].empty())
          value = io::CellNumber((*found->second)[at], methods[m].csv_path,
                                 "image '" + id + "': column '" + column + "'");
      row["img"].push_back(value);
    }
    bool all_curves = true;
    for (size_t m = 0; m < methods.size(); ++m) {
      const auto found = rows[m].find(id);
      if (found == rows[m].end()) {
        row["m"].push_back(nullptr);
        all_curves = false;
        continue;
      }
      const std::vector<std::string>& values = *found->second;
      nlohmann::json cell = {{"v", nlohmann::json::array()}};
      for (const auto& [metric, abbreviation] : ShownMetrics()) {
        const std::string& value =
            values[std::find(header.begin(), header.end(), metric) - header.begin()];
        cell["v"].push_back(value.empty() ? nlohmann::json(nullptr)
                                          : nlohmann::json(std::stod(value)));
      }
      const std::string map_path = FindFile(dirs, "maps", methods[m].name, id, ".npy");
      if (!map_path.empty())
        cell["overlay"] = write_picture(methods[m].name + "/" + id + ".png",
                                        io::RenderOverlay(thumbnail, RowMap(dataset, map_path)));
      const std::string curves_path = FindFile(dirs, "curves", methods[m].name, id, ".csv");
      if (curves_path.empty()) {
        all_curves = false;
      } else {
        const SavedCurves curves = ReadCurvesCsv(curves_path);
        cell["curves"] = {CurvePoints(curves.insertion), CurvePoints(curves.deletion)};
      }
      row["m"].push_back(std::move(cell));
    }
    report.images_with_curves += all_curves;
    data["rows"].push_back(std::move(row));
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
        SummaryCell(s["insertion"], "{:.4f}"), SummaryCell(s["deletion"], "{:.4f}"),
        SummaryCell(s["f_measure"], "{:.4f}"), SummaryCell(s["pointing_hit"], "{:.3f}"),
        SummaryCell(s["average_drop"], "{:.2f}"), SummaryCell(s["average_gain"], "{:.2f}"),
        SummaryCell(s["model_calls"], "{:.0f}"), SummaryCell(s["seconds"], "{:.3f}"),
        SummaryCell(s["images_per_minute"], "{:.1f}"));
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
  for (const ReportedMethod& method : methods)
    if (const std::string note = MapsAgainstPriorNote(method.name, MapsAgainstPrior(method.summary),
                                                      method.summary.at("images").get<long>());
        !note.empty())
      html += "<p>" + Escape(note) + "</p>\n";
  if (!rows_of_comparisons.empty())
    html += fmt::format(
        "<h2>BOREx against its prior</h2>\n<p>Wilcoxon signed-rank tests on the paired "
        "per-image values (A: BOREx, B: the prior), one-sided each way: p (better) asks whether "
        "A is better than B, p (worse) whether it is worse (↑: higher is better, ↓: lower).</p>\n"
        "<table id=\"comparisons\"><tr><th>A</th><th>B</th><th>images</th><th>metric</th>"
        "<th>pairs</th>"
        "<th>mean A</th><th>mean B</th><th>p (better)</th><th>p (worse)</th><th>verdict</th>"
        "</tr>\n{}</table>\n",
        rows_of_comparisons);
  html += fmt::format(
      "<h2>Images</h2>\n<p>{}. Curves: <span class=\"legend\"><span "
      "style=\"background:#1e6ec8\"></span> insertion <span style=\"background:#f08214\"></span> "
      "deletion</span> (x: fraction of pixels, y: score).</p>\n"
      "<noscript><p class=\"none\">The image rows are built by this page's script, which is off: "
      "the tables above are complete; each image's pictures are in report_files/ (images/ID.png, "
      "METHOD/ID.png) and its metrics in the batch's METHOD.csv.</p></noscript>\n"
      "<div class=\"controls\"><label>image id <input id=\"filter\" type=\"search\"></label>"
      "<label>sort by <select id=\"key\">{}</select></label><select id=\"order\">"
      "<option value=\"asc\">ascending</option><option value=\"desc\">descending</option>"
      "</select><label>show only <select id=\"op\"><option>&lt;</option><option>&gt;</option>"
      "</select><input id=\"bound\" type=\"number\" step=\"any\" size=\"6\"></label>"
      "<button id=\"prev\">previous</button><button id=\"next\">next</button>"
      "<span id=\"page\"></span></div>\n"
      "<table id=\"images\"><thead>{}</thead><tbody></tbody></table>\n"
      "<script type=\"application/json\" id=\"report-data\">{}</script>\n"
      "<script>{}</script>\n</body></html>\n",
      shown, keys, head, ScriptJson(data), kScript);

  // The pictures replace the earlier report's, then the page is written.
  io::SyncFileSystem(staging);
  fs::remove_all(files);
  fs::rename(staging, files);
  io::WriteBytesAtomically(report.path, html);
  return report;
}

}  // namespace borex::app
