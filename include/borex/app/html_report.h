// `borex report OUT --html`: OUT/report.html, one page that needs no server and fetches nothing:
// the per-method summary, each borex:X against X (app/compare.h's CompareRefinements), and one row
// per image with the image (a clip: the middle one of the frames its model saw), each method's map
// over it (io::RenderOverlay), its metrics and its insertion and deletion curves (SVG, from `batch
// --save-curves`). The rows are data in the page (one JSON script block); its inline script sorts
// and filters the data and builds the rows of one page at a time, so that only `page_size` rows are
// ever in the document. Without scripts the page shows its tables and says where the pictures are.
// The pictures are PNG files under OUT/report_files/, referenced relative to OUT.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "borex/app/compare.h"

namespace borex::app {

struct HtmlReportOptions {
  // At most this many images, the first by id (0: all). The page opens as fast with 5,000 as
  // with 100 (it builds one page of rows; its data grows by 1.2 KB an image), so the limit is set
  // by writing the pictures, 4 to 13 ms an image on a loaded 2-core machine (5,000: 18 to 66 s;
  // docs/benchmarks.md, "The HTML report"), and by covering a VOC test split (4,952 images).
  int limit = 5000;
  int sample = 0;          // instead: this many images drawn at random (0: use limit)
  std::uint64_t seed = 0;  // draws the sample
  int page_size = 50;      // rows the page's script shows at a time
  void Check() const;      // throws OptionError naming --limit / --sample / --page-size
};

// One method of a batch: its merged rows (columns BatchCsvHeader()), where they are, and
// RunReport's summary of them.
struct ReportedMethod {
  std::string name, csv_path;
  std::vector<std::vector<std::string>> rows;
  nlohmann::json summary;
};

struct HtmlReport {
  std::string path;                   // OUT/report.html
  long images = 0, images_shown = 0;  // rows of any method, and those on the page
  long images_with_curves = 0;        // shown images with every method's curves saved
};

// Writes dirs.front()/report.html and its report_files/ (replacing an earlier report's). `dirs`:
// the batch directory, then its shard directories (where maps and curves are looked for); the
// dataset is the one its batch.json names; `comparisons` (CompareRefinements of the methods) are
// shown as a table. Throws InputError naming the file when the dataset or an image shown is
// missing, before anything is written.
HtmlReport WriteHtmlReport(const std::vector<std::string>& dirs,
                           const std::vector<ReportedMethod>& methods,
                           const std::vector<RefinementComparison>& comparisons,
                           const HtmlReportOptions& options);

}  // namespace borex::app
