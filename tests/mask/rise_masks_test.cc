#include "borex/mask/rise_masks.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <vector>

#include "borex/core/error.h"

namespace borex::mask {
namespace {

RiseMaskOptions Options(int grid, double keep_prob) {
  RiseMaskOptions options;
  options.grid = grid;
  options.keep_prob = keep_prob;
  return options;
}

TEST(RiseMaskTest, OptionsCheckNamesTheOption) {
  EXPECT_NO_THROW(RiseMaskOptions().Check());
  try {
    Options(0, 0.5).Check();
    FAIL();
  } catch (const OptionError& e) {
    EXPECT_EQ(std::string(e.what()), "--grid: must be at least 1, got 0");
  }
  for (const double p : {0.0, 1.0, -0.5, std::nan("")}) {
    try {
      Options(8, p).Check();
      ADD_FAILURE() << p;
    } catch (const OptionError& e) {
      EXPECT_EQ(std::string(e.what()).rfind("--keep-prob: must be in (0, 1), got ", 0), 0u);
    }
  }
  EXPECT_THROW(RiseMaskGenerator(Options(0, 0.5), 10, 10, 0), OptionError);
}

TEST(RiseMaskTest, ShapeTypeRangeAndCellSize) {
  RiseMaskGenerator generator(Options(8, 0.5), 100, 150, 1);
  EXPECT_EQ(generator.cell_size(), cv::Size(19, 13));  // ceil(150/8), ceil(100/8)
  for (int n = 0; n < 20; ++n) {
    const cv::Mat mask = generator.Next();
    ASSERT_EQ(mask.type(), CV_32FC1);
    ASSERT_EQ(mask.size(), cv::Size(150, 100));
    double low, high;
    cv::minMaxLoc(mask, &low, &high);
    ASSERT_GE(low, 0.0);
    ASSERT_LE(high, 1.0);
  }
}

TEST(RiseMaskTest, EachCallReturnsANewMatrix) {
  RiseMaskGenerator generator(Options(4, 0.5), 20, 20, 2);
  const cv::Mat first = generator.Next(), kept = first.clone();
  const cv::Mat second = generator.Next();
  EXPECT_NE(first.data, second.data);
  EXPECT_EQ(cv::norm(first, kept, cv::NORM_INF), 0.0);
}

// E[m(λ)] = p1 at every pixel. Over N masks the average mask value has standard error
// sd(per-mask mean) / sqrt(N); 5 standard errors is the tolerance. A per-pixel mean's standard
// error is at most sqrt(p1 (1 - p1) / N) (mask values lie in [0, 1] with mean p1).
TEST(RiseMaskTest, MeanIsKeepProbabilityOverallAndAtCornersAndCentre) {
  for (const double p : {0.5, 0.3}) {
    const int n = 2000, size = 112;
    RiseMaskGenerator generator(Options(8, p), size, size, 3);
    std::vector<double> mask_means;
    double corner_sum = 0, far_corner_sum = 0, centre_sum = 0;
    for (int i = 0; i < n; ++i) {
      const cv::Mat mask = generator.Next();
      mask_means.push_back(cv::mean(mask)[0]);
      corner_sum += mask.at<float>(0, 0);
      far_corner_sum += mask.at<float>(size - 1, size - 1);
      centre_sum += mask.at<float>(size / 2, size / 2);
    }
    double mean = 0, square = 0;
    for (const double m : mask_means) mean += m / n;
    for (const double m : mask_means) square += (m - mean) * (m - mean) / (n - 1);
    const double standard_error = std::sqrt(square / n);
    EXPECT_LT(standard_error, 0.005) << "test too weak to detect a bias";
    EXPECT_NEAR(mean, p, 5 * standard_error) << "p1 = " << p;
    const double pixel_tolerance = 5 * std::sqrt(p * (1 - p) / n);
    EXPECT_NEAR(corner_sum / n, p, pixel_tolerance) << "p1 = " << p;
    EXPECT_NEAR(far_corner_sum / n, p, pixel_tolerance) << "p1 = " << p;
    EXPECT_NEAR(centre_sum / n, p, pixel_tolerance) << "p1 = " << p;
  }
}

TEST(RiseMaskTest, GridCellsAreBernoulliKeepProbability) {
  const int n = 1000, s = 8;
  RiseMaskGenerator generator(Options(s, 0.3), 64, 64, 4);
  double ones = 0;
  for (int i = 0; i < n; ++i) {
    generator.Next();
    const cv::Mat& grid = generator.last_grid();
    ASSERT_EQ(grid.size(), cv::Size(s, s));
    ASSERT_EQ(cv::countNonZero((grid != 0) & (grid != 1)), 0) << "binary";
    ones += cv::sum(grid)[0];
  }
  const double cells = static_cast<double>(n) * s * s;
  EXPECT_NEAR(ones / cells, 0.3, 5 * std::sqrt(0.3 * 0.7 / cells));
}

TEST(RiseMaskTest, SameSeedSameMasksDifferentSeedDifferentMasks) {
  RiseMaskGenerator a(Options(7, 0.5), 50, 60, 99), b(Options(7, 0.5), 50, 60, 99),
      c(Options(7, 0.5), 50, 60, 100);
  int differing = 0;
  for (int i = 0; i < 5; ++i) {
    const cv::Mat mask_a = a.Next(), mask_b = b.Next(), mask_c = c.Next();
    EXPECT_EQ(cv::norm(mask_a, mask_b, cv::NORM_INF), 0.0) << i;
    differing += cv::norm(mask_a, mask_c, cv::NORM_INF) > 0;
  }
  EXPECT_EQ(differing, 5);
}

TEST(RiseMaskTest, SeedZeroStreamIsPinned) {
  // Pins the draw order (grid row-major, then row shift, then column shift) and the
  // Random recipe, so a change that would alter every seeded run is noticed.
  RiseMaskGenerator generator(Options(4, 0.5), 16, 16, 0);
  generator.Next();
  const cv::Mat& grid = generator.last_grid();
  std::string cells;
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) cells += grid.at<float>(r, c) == 1 ? '1' : '0';
  EXPECT_EQ(cells, "1010010100100111");
  EXPECT_EQ(generator.last_shift(), cv::Point(1, 3));  // x = column shift, y = row shift
}

TEST(RiseMaskTest, ShiftIsUniformOverTheCell) {
  RiseMaskGenerator generator(Options(8, 0.5), 224, 224, 5);
  const int cell = generator.cell_size().width;
  ASSERT_EQ(cell, 28);
  std::set<int> rows, cols;
  for (int i = 0; i < 400; ++i) {
    generator.Next();
    const cv::Point shift = generator.last_shift();
    ASSERT_GE(shift.x, 0);
    ASSERT_LT(shift.x, cell);
    ASSERT_GE(shift.y, 0);
    ASSERT_LT(shift.y, cell);
    rows.insert(shift.y);
    cols.insert(shift.x);
  }
  // P(a given value never appears in 400 draws) = (27/28)^400 < 1e-6.
  EXPECT_EQ(rows.size(), static_cast<size_t>(cell));
  EXPECT_EQ(cols.size(), static_cast<size_t>(cell));
}

TEST(RiseMaskTest, ShiftsOfANonSquareImageRangeOverTheirOwnAxisOfTheCell) {
  RiseMaskGenerator generator(Options(8, 0.5), 40, 120, 5);
  ASSERT_EQ(generator.cell_size(), cv::Size(15, 5));  // ceil(120/8) wide, ceil(40/8) high
  std::set<int> rows, cols;
  for (int i = 0; i < 400; ++i) {
    generator.Next();
    rows.insert(generator.last_shift().y);
    cols.insert(generator.last_shift().x);
  }
  // P(a given column shift never appears in 400 draws) = (14/15)^400 < 1e-11.
  EXPECT_EQ(rows, (std::set<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(cols.size(), 15u);
  EXPECT_EQ(*cols.rbegin(), 14);
}

TEST(RiseMaskTest, MaskIsTheCropOfTheUpsampledGrid) {
  const int s = 5;
  RiseMaskGenerator generator(Options(s, 0.5), 37, 53, 6);
  const cv::Size cell = generator.cell_size();
  for (int i = 0; i < 10; ++i) {
    const cv::Mat mask = generator.Next();
    const cv::Mat up = RiseMaskGenerator::UpsampleGrid(generator.last_grid(), (s + 1) * cell.height,
                                                       (s + 1) * cell.width);
    const cv::Rect window(generator.last_shift(), mask.size());
    ASSERT_EQ(cv::norm(mask, up(window), cv::NORM_INF), 0.0) << i;
  }
}

TEST(RiseMaskTest, UpsamplingMatchesSkimageReflectFormula) {
  // resize([[0, 1]], (1, 6), order=1, mode="reflect") by the formula x = (u + 0.5)/3 - 0.5 with
  // mirrored borders: x = -1/3 mixes cell 0 with the mirrored cell 1, giving 1/3, not 0 as edge
  // replication (cv::resize) would.
  cv::Mat grid(1, 2, CV_32FC1);
  grid.at<float>(0, 0) = 0;
  grid.at<float>(0, 1) = 1;
  const cv::Mat up = RiseMaskGenerator::UpsampleGrid(grid, 1, 6);
  const float expected[] = {1.f / 3, 0.f, 1.f / 3, 2.f / 3, 1.f, 2.f / 3};
  for (int v = 0; v < 6; ++v) EXPECT_NEAR(up.at<float>(0, v), expected[v], 1e-6) << v;
  EXPECT_EQ(up.at<float>(0, 1), 0.f);  // exactly at cell centres
  EXPECT_EQ(up.at<float>(0, 4), 1.f);
  // Same along rows (transposed grid).
  const cv::Mat up_rows = RiseMaskGenerator::UpsampleGrid(grid.t(), 6, 1);
  for (int u = 0; u < 6; ++u) EXPECT_NEAR(up_rows.at<float>(u, 0), expected[u], 1e-6) << u;
  // Three cells reach the mirror beyond the last one: x = (u + 0.5)/2 - 0.5 puts u = 5 at 2.25,
  // between cell 2 and cell 3, which mirrors to cell 1 (a period of 4): 0.75·2 + 0.25·1.
  cv::Mat three(1, 3, CV_32FC1);
  for (int c = 0; c < 3; ++c) three.at<float>(0, c) = static_cast<float>(c);
  const cv::Mat up_three = RiseMaskGenerator::UpsampleGrid(three, 1, 6);
  const float expected_three[] = {0.25f, 0.25f, 0.75f, 1.25f, 1.75f, 1.75f};
  for (int v = 0; v < 6; ++v) EXPECT_NEAR(up_three.at<float>(0, v), expected_three[v], 1e-6) << v;
  // A uniform grid stays exactly uniform (no rounding drift from the weights).
  const cv::Mat ones = cv::Mat::ones(3, 3, CV_32FC1);
  EXPECT_EQ(cv::countNonZero(RiseMaskGenerator::UpsampleGrid(ones, 17, 23) != 1), 0);
}

TEST(RiseMaskTest, LargeCellsAreExactlyBinaryInsideAndSmoothBetween) {
  // s = 4 at 224: each upsampled cell spans 70 px. Where all cells a pixel interpolates agree
  // the value is exactly 0 or 1; between unequal cells it is strictly inside (0, 1).
  RiseMaskGenerator generator(Options(4, 0.5), 224, 224, 7);
  int exact = 0, fractional = 0, total = 0;
  for (int i = 0; i < 20; ++i) {
    const cv::Mat mask = generator.Next();
    exact += cv::countNonZero((mask == 0) | (mask == 1));
    fractional += cv::countNonZero((mask > 0) & (mask < 1));
    total += static_cast<int>(mask.total());
  }
  EXPECT_EQ(exact + fractional, total);
  EXPECT_GT(exact, total / 10);
  EXPECT_GT(fractional, total / 3);
  // One all-ones cell surrounded by zeros: strictly fractional everywhere but its centre.
  cv::Mat grid = cv::Mat::zeros(3, 3, CV_32FC1);
  grid.at<float>(1, 1) = 1;
  const cv::Mat up = RiseMaskGenerator::UpsampleGrid(grid, 30, 30);  // cell span 10, centre 14.5
  EXPECT_GT(up.at<float>(10, 14), 0.f);
  EXPECT_LT(up.at<float>(10, 14), 1.f);
  EXPECT_GT(up.at<float>(14, 14), up.at<float>(10, 14));
}

TEST(RiseMaskTest, TinyImagesAndGridsLargerThanTheImage) {
  RiseMaskGenerator one_pixel(Options(8, 0.5), 1, 1, 8);
  EXPECT_EQ(one_pixel.Next().size(), cv::Size(1, 1));
  RiseMaskGenerator fine(Options(16, 0.5), 8, 8, 9);  // cell size 1, upsampled size 17
  EXPECT_EQ(fine.cell_size(), cv::Size(1, 1));
  const cv::Mat mask = fine.Next();
  EXPECT_EQ(mask.size(), cv::Size(8, 8));
  EXPECT_EQ(fine.last_shift(), cv::Point(0, 0));
  RiseMaskGenerator single_cell(Options(1, 0.5), 10, 10, 10);
  const cv::Mat constant = single_cell.Next();
  EXPECT_EQ(cv::norm(constant, cv::Mat(10, 10, CV_32FC1, cv::Scalar(constant.at<float>(0, 0))),
                     cv::NORM_INF),
            0.0);
}

// The temporal axis recomputed independently: the same rule as space (skimage's order-1 resize
// with mirrored edges) over (s_t + 1)·C_t frames, cropped at the drawn frame shift.
TEST(RiseVideoMaskTest, FramesInterpolateTheSpatialMasksOfTheGridSlicesLinearlyInTime) {
  RiseMaskOptions options = Options(3, 0.5);
  options.grid_frames = 2;
  constexpr int frames = 7, rows = 10, cols = 9;
  for (const uint64_t seed : {1u, 5u, 9u}) {
    RiseMaskGenerator generator(options, rows, cols, seed, frames);
    EXPECT_EQ(generator.cell_frames(), 4);  // ceil(7 / 2)
    // ceil, also where the grid's frames divide the clip's: 8 frames in 2 slices of 4.
    EXPECT_EQ(RiseMaskGenerator(options, rows, cols, seed, 8).cell_frames(), 4);
    const cv::Mat mask = generator.Next();
    ASSERT_EQ(mask.size(), cv::Size(cols, frames * rows));
    const cv::Mat grids = generator.last_grid();
    ASSERT_EQ(grids.size(), cv::Size(3, 6));
    const cv::Point shift = generator.last_shift();
    const cv::Size cell = generator.cell_size();
    std::vector<cv::Mat> spatial;
    for (int g = 0; g < 2; ++g) {
      const cv::Mat up = RiseMaskGenerator::UpsampleGrid(grids.rowRange(3 * g, 3 * g + 3),
                                                         4 * cell.height, 4 * cell.width);
      spatial.push_back(up(cv::Rect(shift.x, shift.y, cols, rows)).clone());
    }
    const int up_frames = 3 * generator.cell_frames();
    for (int t = 0; t < frames; ++t) {
      const double x = (t + generator.last_frame_shift() + 0.5) * 2.0 / up_frames - 0.5;
      const int low = static_cast<int>(std::floor(x));
      const double w = x - low;
      auto mirror = [](int i) { return i < 0 ? -i : (i > 1 ? 2 - i : i); };  // 2 cells
      const cv::Mat expected = spatial[mirror(low)] * (1 - w) + spatial[mirror(low + 1)] * w;
      EXPECT_LT(cv::norm(mask.rowRange(t * rows, (t + 1) * rows), expected, cv::NORM_INF), 1e-5)
          << seed << " frame " << t;
    }
  }
}

TEST(RiseVideoMaskTest, MeanOverManyMasksIsTheKeepProbabilityAtEveryVoxel) {
  RiseMaskOptions options = Options(4, 0.3);
  options.grid_frames = 3;
  RiseMaskGenerator generator(options, 8, 8, 11, 6);
  cv::Mat sum = cv::Mat::zeros(6 * 8, 8, CV_64FC1);
  constexpr int masks = 4000;
  for (int n = 0; n < masks; ++n) {
    cv::Mat mask;
    generator.Next().convertTo(mask, CV_64F);
    sum += mask;
  }
  double low, high;
  cv::minMaxLoc(sum / masks, &low, &high);
  EXPECT_GT(low, 0.3 - 0.04);
  EXPECT_LT(high, 0.3 + 0.04);
}

TEST(RiseVideoMaskTest, GridFramesIsChecked) {
  RiseMaskOptions options = Options(4, 0.5);
  options.grid_frames = 0;
  EXPECT_THROW(options.Check(), OptionError);
}

}  // namespace
}  // namespace borex::mask
