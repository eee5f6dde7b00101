// `borex report --html` of a small batch, opened in headless Chromium: the page renders, every
// picture it references exists and decodes, and the screenshot is not blank. Skipped when no
// chromium is installed (scripts/install_deps.sh --ci installs it).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

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

class ReportBrowserTest : public borex::testing::TempDirTest {};

TEST_F(ReportBrowserTest, ReportPageRendersWithEveryPicture) {
  const std::string chromium = FindChromium();
  if (chromium.empty()) GTEST_SKIP() << "chromium is not installed";
  const std::string out = Path("out");
  const auto batch = RunBorex(
      "batch --model " + kSource + "/models/fashion_scenes_resnet.pt --voc-root " + kSource +
      "/tests/data/voc_tiny --split test --methods rise,borex:rise --masks 16 --iterations 8 "
      "--step 4096 --threads 1 --no-progress --save-curves --out " +
      out);
  ASSERT_EQ(batch.status, 0) << batch.err;
  const auto report = RunBorex("report " + out + " --html");
  ASSERT_EQ(report.status, 0) << report.err;

  std::ifstream in(out + "/report.html");
  const std::string page{std::istreambuf_iterator<char>(in), {}};
  const std::vector<std::string> references = borex::testing::HtmlReferences(page);
  EXPECT_EQ(references.size(), 6u * 3u);  // the image and both maps over it, of 6 images
  for (const std::string& reference : references)
    EXPECT_FALSE(cv::imread(out + "/" + reference).empty()) << reference;
  EXPECT_EQ(page.find("no curves saved"), std::string::npos);

  const std::string screenshot = Path("page.png");
  const std::string command =
      "timeout 120 '" + chromium + "' --headless --no-sandbox --disable-gpu --user-data-dir='" +
      Path("profile") + "' --screenshot='" + screenshot + "' --window-size=1200,900 'file://" +
      out + "/report.html' >/dev/null 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  const cv::Mat shot = cv::imread(screenshot);
  ASSERT_FALSE(shot.empty()) << screenshot;
  EXPECT_EQ(shot.size(), cv::Size(1200, 900));
  // A blank page is one colour; text alone is mostly white. The pictures make it vary.
  cv::Mat gray;
  cv::cvtColor(shot, gray, cv::COLOR_BGR2GRAY);
  cv::Scalar mean, deviation;
  cv::meanStdDev(gray, mean, deviation);
  EXPECT_GT(deviation[0], 20.0);

  // The page's script, driven as a reader would: sort by the first method's insertion,
  // descending, and show only the rows above a bound.
  const double bound = 0.45;
  std::string driven = page;
  driven.insert(driven.rfind("</body>"),
                "<script>var key = document.getElementById('key'); key.value = 'm0-insertion';"
                "document.getElementById('order').value = 'desc';"
                "document.getElementById('op').value = '>';"
                "document.getElementById('bound').value = '" +
                    std::to_string(bound) + "'; key.dispatchEvent(new Event('input'));</script>");
  std::ofstream(out + "/driven.html") << driven;
  const std::string dom = Path("dom.html");
  const std::string dump =
      "timeout 120 '" + chromium + "' --headless --no-sandbox --disable-gpu --user-data-dir='" +
      Path("profile") + "' --dump-dom 'file://" + out + "/driven.html' >'" + dom + "' 2>/dev/null";
  ASSERT_EQ(std::system(dump.c_str()), 0) << dump;
  std::ifstream dom_in(dom);
  const std::string rendered{std::istreambuf_iterator<char>(dom_in), {}};
  std::vector<double> shown;
  const std::string marker = "<tr class=\"image\"", value = "data-m0-insertion=\"";
  for (size_t at = rendered.find(marker); at != std::string::npos;
       at = rendered.find(marker, at + 1)) {
    const std::string tag = rendered.substr(at, rendered.find('>', at) - at);
    if (tag.find(" hidden") == std::string::npos)
      shown.push_back(std::stod(tag.substr(tag.find(value) + value.size())));
  }
  size_t above = 0;  // borex:rise, the first method by name
  for (const auto& row : borex::io::ReadCsv(out + "/borex:rise.csv").rows)
    above += std::stod(row[2]) > bound;
  EXPECT_EQ(shown.size(), above);
  EXPECT_GT(above, 0u);
  EXPECT_TRUE(std::is_sorted(shown.rbegin(), shown.rend()));
  for (const double insertion : shown) EXPECT_GT(insertion, bound);
}

}  // namespace
