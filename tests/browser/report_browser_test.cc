// `borex report --html` of a small batch, opened in headless Chromium: the page renders, every
// picture it references exists and decodes, the screenshot is not blank, and the script's sorting,
// filtering and paging leave the right rows in the document; a large batch's page holds one page
// of rows. Skipped when no
// chromium is installed (scripts/install_deps.sh --ci installs it).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <set>

#include "borex/io/csv.h"
#include "support/html_references.h"
#include "support/run_borex.h"
#include "support/temp_dir.h"

namespace {

namespace fs = std::filesystem;
using borex::testing::RunBorex;

const std::string kSource = BOREX_SOURCE_DIR;

// The chromium executable on PATH, or "".
std::string FindChromium() {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "";
  for (size_t begin = 0, end = 0; begin <= dirs.size(); begin = end + 1) {
    end = std::min(dirs.find(':', begin), dirs.size());
    for (const char* name : {"chromium", "chromium-browser"}) {
      const fs::path candidate = fs::path(dirs.substr(begin, end - begin)) / name;
      if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    }
  }
  return "";
}

class ReportBrowserTest : public borex::testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    chromium_ = FindChromium();
  }

  // Runs headless Chromium on a file with `flags`; its output to `out` (or nowhere).
  void RunChromium(const std::string& flags, const std::string& html,
                   const std::string& out = "/dev/null") const {
    const std::string command =
        "timeout 120 '" + chromium_ + "' --headless --no-sandbox --disable-gpu --user-data-dir='" +
        Path("profile") + "' " + flags + " 'file://" + html + "' >'" + out + "' 2>/dev/null";
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
  }

  // The document after the page's scripts and then `script` have run (a copy of the page next to
  // it, so that its pictures resolve).
  std::string DomAfter(const std::string& path, const std::string& script) const {
    std::ifstream in(path);
    std::string driven{std::istreambuf_iterator<char>(in), {}};
    driven.insert(driven.rfind("</body>"), "<script>" + script + "</script>");
    const std::string html = path + ".driven.html", dom = Path("dom.html");
    std::ofstream(html) << driven;
    RunChromium("--dump-dom", html, dom);
    std::ifstream dumped(dom);
    return {std::istreambuf_iterator<char>(dumped), {}};
  }

  // The document's table of images (not the script, whose text builds its rows).
  static std::string ImagesTable(const std::string& dom) {
    const size_t begin = dom.find("<table id=\"images\"");
    return dom.substr(begin, dom.find("</table>", begin) - begin);
  }

  // The opening tags of the table's image rows, in order.
  static std::vector<std::string> Rows(const std::string& dom) {
    const std::string table = ImagesTable(dom), marker = "<tr class=\"image\"";
    std::vector<std::string> tags;
    for (size_t at = table.find(marker); at != std::string::npos; at = table.find(marker, at + 1))
      tags.push_back(table.substr(at, table.find('>', at) - at));
    return tags;
  }

  // An attribute's value in an opening tag.
  static std::string Attribute(const std::string& tag, const std::string& name) {
    const std::string key = " " + name + "=\"";
    const size_t begin = tag.find(key) + key.size();
    return tag.substr(begin, tag.find('"', begin) - begin);
  }

  // `borex batch` of the bundled scene model on tests/data/voc_tiny into out/.
  void RunBatch(const std::string& flags) const {
    const auto batch = RunBorex("batch --model " + kSource +
                                "/models/fashion_scenes_resnet.pt --voc-root " + kSource +
                                "/tests/data/voc_tiny --split test --masks 16 --iterations 8 "
                                "--step 4096 --threads 1 --no-progress --save-curves --out " +
                                Path("out") + " " + flags);
    ASSERT_EQ(batch.status, 0) << batch.err;
  }

  std::string chromium_;
};

TEST_F(ReportBrowserTest, ReportPageRendersWithEveryPicture) {
  if (chromium_.empty()) GTEST_SKIP() << "chromium is not installed";
  const std::string out = Path("out");
  RunBatch("--methods rise,borex:rise");
  const auto report = RunBorex("report " + out + " --html --page-size 4");
  ASSERT_EQ(report.status, 0) << report.err;

  const std::string html = out + "/report.html";
  std::ifstream in(html);
  const std::string page{std::istreambuf_iterator<char>(in), {}};
  const nlohmann::json data = borex::testing::ReportData(page);
  const std::vector<std::string> pictures = borex::testing::ReportPictures(data);
  EXPECT_EQ(pictures.size(), 6u * 3u);  // the image and both maps over it, of 6 images
  for (const std::string& picture : pictures)
    EXPECT_FALSE(cv::imread(out + "/" + picture).empty()) << picture;
  for (const nlohmann::json& row : data["rows"])
    for (const nlohmann::json& cell : row["m"]) EXPECT_TRUE(cell.contains("curves")) << row;

  const std::string screenshot = Path("page.png");
  RunChromium("--screenshot='" + screenshot + "' --window-size=1200,900", html);
  const cv::Mat shot = cv::imread(screenshot);
  ASSERT_FALSE(shot.empty()) << screenshot;
  EXPECT_EQ(shot.size(), cv::Size(1200, 900));
  // A blank page is one colour; text alone is mostly white. The pictures make it vary.
  cv::Mat gray;
  cv::cvtColor(shot, gray, cv::COLOR_BGR2GRAY);
  cv::Scalar mean, deviation;
  cv::meanStdDev(gray, mean, deviation);
  EXPECT_GT(deviation[0], 20.0);

  // The first page: 4 rows by id, each with its image, both maps and both curves.
  const std::string first_dom = DomAfter(html, ""), first = ImagesTable(first_dom);
  const std::vector<std::string> first_rows = Rows(first);
  ASSERT_EQ(first_rows.size(), 4u);
  EXPECT_NE(first_dom.find("page 1 of 2 (6 images)"), std::string::npos);
  std::set<std::string> ids;
  for (const std::string& tag : first_rows) ids.insert(Attribute(tag, "data-id"));
  const std::vector<std::string> shown_pictures = borex::testing::HtmlReferences(first);
  EXPECT_EQ(shown_pictures.size(), 4u * 3u);
  for (const std::string& picture : shown_pictures)
    EXPECT_FALSE(cv::imread(out + "/" + picture).empty()) << picture;
  size_t svgs = 0;
  for (size_t at = first.find("<svg class=\"curves\""); at != std::string::npos;
       at = first.find("<svg class=\"curves\"", at + 1))
    ++svgs;
  EXPECT_EQ(svgs, 4u * 2u);
  // borex:rise's cells end with its fitted prior coefficient a; rise's, which has none, do not.
  size_t with_a = 0;
  for (const char* hit : {"hit yes a ", "hit no a "})
    for (size_t at = first.find(hit); at != std::string::npos; at = first.find(hit, at + 1))
      ++with_a;
  EXPECT_EQ(with_a, 4u);
  EXPECT_EQ(first.find("a –"), std::string::npos);

  // The second page shows the other 2 images.
  const std::string second = DomAfter(html, "document.getElementById('next').click();");
  EXPECT_NE(second.find("page 2 of 2 (6 images)"), std::string::npos);
  const std::vector<std::string> second_rows = Rows(second);
  ASSERT_EQ(second_rows.size(), 2u);
  for (const std::string& tag : second_rows)
    EXPECT_TRUE(ids.insert(Attribute(tag, "data-id")).second) << tag;
  EXPECT_EQ(ids.size(), 6u);

  // Driven as a reader would: sort by the first method's insertion, descending, and show only
  // the rows above a bound.
  const double bound = 0.45;
  const std::string driven =
      DomAfter(html,
               "var key = document.getElementById('key'); key.value = 'm0-insertion';"
               "document.getElementById('order').value = 'desc';"
               "document.getElementById('op').value = '>';"
               "document.getElementById('bound').value = '" +
                   std::to_string(bound) + "'; key.dispatchEvent(new Event('input'));");
  std::vector<double> above;  // borex:rise, the first method by name
  const borex::io::CsvTable table = borex::io::ReadCsv(out + "/borex:rise.csv");
  const int insertion = table.RequireColumn("insertion");
  for (const auto& row : table.rows)
    if (std::stod(row[insertion]) > bound) above.push_back(std::stod(row[insertion]));
  std::sort(above.rbegin(), above.rend());
  ASSERT_GT(above.size(), 0u);
  EXPECT_NE(driven.find("(" + std::to_string(above.size()) + " images)"), std::string::npos);
  std::vector<double> shown;
  for (const std::string& tag : Rows(driven))
    shown.push_back(std::stod(Attribute(tag, "data-m0-insertion")));
  above.resize(std::min<size_t>(above.size(), 4));  // the first page of them
  ASSERT_EQ(shown.size(), above.size());
  for (size_t i = 0; i < shown.size(); ++i) EXPECT_NEAR(shown[i], above[i], 1e-9) << i;

  // By an image column: the scenes with several items of the label (two of the six), each with
  // its items, its label's probability and rank under the image.
  const std::string several =
      DomAfter(html,
               "var key = document.getElementById('key'); key.value = 'i-label_items';"
               "document.getElementById('op').value = '>';"
               "document.getElementById('bound').value = '1';"
               "key.dispatchEvent(new Event('input'));");
  EXPECT_NE(several.find("(2 images)"), std::string::npos);
  const std::vector<std::string> several_rows = Rows(several);
  ASSERT_EQ(several_rows.size(), 2u);
  for (const std::string& tag : several_rows) {
    EXPECT_EQ(Attribute(tag, "data-i-label_items"), "2") << tag;
    EXPECT_EQ(Attribute(tag, "data-i-label_rank").empty(), false) << tag;
  }
  EXPECT_NE(several.find("items 2 p(label) "), std::string::npos);
}

// A large batch (2,000 images, faked from 2 real ones by scripts/fake_large_batch.py): the page
// holds them all as data but only one page of rows in its document.
TEST_F(ReportBrowserTest, ALargeBatchPutsOnlyOnePageOfRowsInTheDocument) {
  if (chromium_.empty()) GTEST_SKIP() << "chromium is not installed";
  RunBatch("--methods rise --limit 2");
  const std::string fake = "/usr/bin/python3 '" + kSource + "/scripts/fake_large_batch.py' '" +
                           Path("out") + "' '" + Path("fake") + "' --images 2000";
  ASSERT_EQ(std::system(fake.c_str()), 0) << fake;
  const auto report = RunBorex("report " + Path("fake/batch") + " --html --limit 0");
  ASSERT_EQ(report.status, 0) << report.err;
  const std::string html = Path("fake/batch/report.html");
  std::ifstream in(html);
  const std::string page{std::istreambuf_iterator<char>(in), {}};
  EXPECT_EQ(borex::testing::ReportData(page)["rows"].size(), 2000u);

  const std::string dom = DomAfter(html, "");
  EXPECT_EQ(Rows(dom).size(), 50u);  // --page-size's default
  EXPECT_NE(dom.find("page 1 of 40 (2000 images)"), std::string::npos);
}

}  // namespace
