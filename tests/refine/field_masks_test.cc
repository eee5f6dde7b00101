#include "borex/refine/field_masks.h"

#include <gtest/gtest.h>

#include <cmath>
#include <tuple>
#include <utility>

namespace borex::refine {
namespace {

TEST(CellGridTest, AboutThirtyTwoCellsOnTheShorterSide) {
  const CellGrid square = CellGrid::For(128, 128);
  EXPECT_EQ(square.cell, 4);
  EXPECT_EQ(square.rows, 32);
  EXPECT_EQ(square.cols, 32);
  const CellGrid wide = CellGrid::For(60, 101);  // ⌈60/32⌉ = 2; the last column of cells partial
  EXPECT_EQ(wide.cell, 2);
  EXPECT_EQ(wide.rows, 30);
  EXPECT_EQ(wide.cols, 51);
  const CellGrid tiny = CellGrid::For(8, 12);
  EXPECT_EQ(tiny.cell, 1);
  EXPECT_EQ(tiny.size(), 96);
}

// A clip's grid is its frames' grids stacked: no cell straddles two frames, even where a frame's
// last row of cells is partial.
TEST(CellGridTest, AClipsGridIsItsFramesGridsStacked) {
  const CellGrid clip = CellGrid::For(112, 112, 16);
  EXPECT_EQ(clip.cell, 4);
  EXPECT_EQ(clip.rows, 16 * 28);
  EXPECT_EQ(clip.cols, 28);
  EXPECT_EQ(clip.frame_cells(), 28);
  EXPECT_EQ(clip.frame_rows(), 112);
  EXPECT_EQ(clip.image_rows, 16 * 112);
  const CellGrid partial = CellGrid::For(45, 70, 3);  // 2-pixel cells, 23 rows a frame
  const CellGrid frame = CellGrid::For(45, 70);
  EXPECT_EQ(partial.cell, frame.cell);
  EXPECT_EQ(partial.frame_cells(), frame.rows);
  EXPECT_EQ(partial.rows, 3 * frame.rows);
  cv::Mat map(3 * 45, 70, CV_32FC1);
  cv::randu(map, -1, 1);
  const Eigen::VectorXf stacked = CellAverage(partial, map);
  for (int n = 0; n < 3; ++n)
    EXPECT_EQ(stacked.segment(Eigen::Index{n} * frame.size(), frame.size()),
              CellAverage(frame, map.rowRange(n * 45, (n + 1) * 45).clone()))
        << "frame " << n;
}

// A cuboid's cells: its square's row shares in its frames (clipped at the clip's end) times its
// column shares, the cell average of the cuboid drawn on the stacked clip.
TEST(CuboidRowCoverageTest, ItsOuterProductIsTheCellAverageOfTheDrawnCuboid) {
  const CellGrid grid = CellGrid::For(45, 70, 3);
  const mask::PixelBox box = mask::SquareBox(20.0, 61.0, 17.0, 45, 70);  // clipped right
  const auto [rows, cols] = AxisCoverage(grid, box);
  ASSERT_EQ(rows.size(), grid.frame_cells());
  for (const auto& [first, depth] : {std::pair{0, 1}, std::pair{1, 2}, std::pair{2, 2}}) {
    const Eigen::VectorXf cuboid_rows = CuboidRowCoverage(grid, rows, first, depth);
    cv::Mat hidden = cv::Mat::zeros(grid.image_rows, grid.image_cols, CV_8UC1);
    for (int n = first; n < std::min(3, first + depth); ++n)
      hidden(cv::Rect(box.col0, n * 45 + box.row0, box.cols, box.rows)).setTo(255);
    const Eigen::VectorXf expected = CellAverage(grid, hidden);
    for (int r = 0; r < grid.rows; ++r)
      for (int c = 0; c < grid.cols; ++c)
        EXPECT_NEAR(cuboid_rows[r] * cols[c], expected[r * grid.cols + c], 1e-6)
            << first << "+" << depth << ": " << r << "," << c;
  }
}

TEST(CellAverageTest, HiddenFractionOfEachCellByHand) {
  // 6 x 7 pixels in cells of 3 (⌈6/32⌉ = 1 would give one pixel per cell: build it by hand).
  CellGrid grid;
  grid.cell = 3;
  grid.rows = 2;
  grid.cols = 3;  // the last column of cells holds one pixel column
  grid.image_rows = 6;
  grid.image_cols = 7;
  cv::Mat hidden = cv::Mat::zeros(6, 7, CV_8UC1);
  hidden(cv::Rect(2, 1, 5, 3)).setTo(255);  // rows 1..3, cols 2..6
  const Eigen::VectorXf fraction = CellAverage(grid, hidden);
  // Cell (0, 0): rows 0..2 x cols 0..2, hidden rows 1..2 x col 2: 2 of 9.
  EXPECT_FLOAT_EQ(fraction[0], 2.0f / 9);
  EXPECT_FLOAT_EQ(fraction[1], 6.0f / 9);  // cols 3..5, rows 1..2
  EXPECT_FLOAT_EQ(fraction[2], 2.0f / 3);  // col 6 only, rows 1..2 of 0..2
  EXPECT_FLOAT_EQ(fraction[3], 1.0f / 9);  // rows 3..5: row 3 x col 2
  EXPECT_FLOAT_EQ(fraction[4], 3.0f / 9);
  EXPECT_FLOAT_EQ(fraction[5], 1.0f / 3);
  cv::Mat map(6, 7, CV_32FC1);
  for (int r = 0; r < 6; ++r)
    for (int c = 0; c < 7; ++c) map.at<float>(r, c) = static_cast<float>(10 * r + c);
  EXPECT_FLOAT_EQ(CellAverage(grid, map)[5], 10.0f * 4 + 6);  // rows 3..5, col 6
}

TEST(CellCoverageTest, EqualsTheCellAverageOfTheBoxsMask) {
  for (const auto& [rows, cols] : {std::pair{128, 128}, std::pair{60, 101}, std::pair{7, 9}}) {
    const CellGrid grid = CellGrid::For(rows, cols);
    for (const auto& [row, col, side] :
         {std::tuple{10.0, 20.0, 13.0}, std::tuple{0.0, 0.0, 9.0}, std::tuple{59.0, 100.0, 30.0},
          std::tuple{3.5, 4.0, 4.0}}) {
      const mask::PixelBox box = mask::SquareBox(row, col, side, rows, cols);
      cv::Mat hidden = cv::Mat::zeros(rows, cols, CV_8UC1);
      if (!box.empty()) hidden(box.rect()).setTo(255);
      EXPECT_LT((CellCoverage(grid, box) - CellAverage(grid, hidden)).cwiseAbs().maxCoeff(), 1e-6)
          << rows << "x" << cols << " at " << row << "," << col << " side " << side;
    }
  }
}

// At 128 x 128 (cells of 4 pixels) every share is a multiple of 1/16: the two agree bit for bit,
// so the refiner's maps did not change when it stopped drawing each square's mask.
TEST(CellCoverageTest, BitForBitWithTheMasksAverageOnTheBenchmarksGrid) {
  const CellGrid grid = CellGrid::For(128, 128);
  for (double side : {34.0, 51.0, 69.0, 86.0})
    for (int centre = 2; centre < 128; centre += 7) {
      const mask::PixelBox box = mask::SquareBox(centre, 130 - centre, side, 128, 128);
      cv::Mat hidden = cv::Mat::zeros(128, 128, CV_8UC1);
      hidden(box.rect()).setTo(255);
      ASSERT_TRUE((CellCoverage(grid, box).array() == CellAverage(grid, hidden).array()).all())
          << side << " at " << centre;
    }
}

TEST(ObservationWeightsTest, FlipWeighsHiddenAgainstKeptCells) {
  const Eigen::Vector4f hidden(1, 0, 0.5, 0.25);
  const Eigen::VectorXf flip = ObservationWeights(hidden, true);
  EXPECT_FLOAT_EQ(flip[0], 1.0f / 4);
  EXPECT_FLOAT_EQ(flip[1], -1.0f / 4);
  EXPECT_FLOAT_EQ(flip[2], 0.0f);
  EXPECT_FLOAT_EQ(flip[3], -0.5f / 4);
  const Eigen::VectorXf drop = ObservationWeights(hidden, false);
  EXPECT_FLOAT_EQ(drop[0], 1.0f / 4);
  EXPECT_FLOAT_EQ(drop[1], 0.0f);
  EXPECT_FLOAT_EQ(drop[3], 0.25f / 4);
  // The same weights as a·m + b (the GP's outer-product squares).
  for (const bool with_flip : {true, false}) {
    const auto [a, b] = ObservationAffine(4, with_flip);
    const Eigen::VectorXf weights = ObservationWeights(hidden, with_flip);
    for (int i = 0; i < 4; ++i) EXPECT_FLOAT_EQ(weights[i], static_cast<float>(a * hidden[i] + b));
  }
}

TEST(AxisCoverageTest, ItsOuterProductIsTheCellCoverage) {
  const CellGrid grid = CellGrid::For(100, 150);  // 4-pixel cells: partial shares
  const mask::PixelBox box = mask::SquareBox(30.0, 141.0, 37.0, 100, 150);  // clipped right
  const auto [rows, cols] = AxisCoverage(grid, box);
  const Eigen::VectorXf coverage = CellCoverage(grid, box);
  for (int r = 0; r < grid.rows; ++r)
    for (int c = 0; c < grid.cols; ++c) EXPECT_EQ(coverage[r * grid.cols + c], rows[r] * cols[c]);
  EXPECT_GT(rows.sum(), 0);
  EXPECT_LT(cols.tail(1)[0], 1.0f + 1e-6f);
}

TEST(TopFractionTest, HidesTheLargestValuesTiesIncluded) {
  cv::Mat map(10, 10, CV_32FC1);
  for (int i = 0; i < 100; ++i) map.at<float>(i / 10, i % 10) = static_cast<float>((i * 37) % 100);
  const cv::Mat top = TopFraction(map, 0.05);
  EXPECT_EQ(cv::countNonZero(top), 5);
  for (int i = 0; i < 100; ++i)
    EXPECT_EQ(top.at<uchar>(i / 10, i % 10) != 0, map.at<float>(i / 10, i % 10) >= 95) << i;
  EXPECT_EQ(cv::countNonZero(TopFraction(map, 0.001)), 1);  // at least one pixel
  const cv::Mat flat(4, 4, CV_32FC1, cv::Scalar(2));
  EXPECT_EQ(cv::countNonZero(TopFraction(flat, 0.25)), 16);  // ties: all
}

TEST(SalientRegionsTest, CountsTheTopSetsConnectedRegionsThatHoldTheirShare) {
  cv::Mat map(20, 20, CV_32FC1, cv::Scalar(0));
  map(cv::Rect(1, 1, 4, 4)).setTo(2);                   // 16 pixels
  map(cv::Rect(12, 12, 4, 3)).setTo(2);                 // 12 pixels
  map.at<float>(18, 2) = 2;                             // 1 pixel: the top 29 are these three
  EXPECT_EQ(SalientRegions(map, 29.0 / 400, 0.1), 2);   // 16 and 12 of 29 hold a tenth; 1 not
  EXPECT_EQ(SalientRegions(map, 29.0 / 400, 0.02), 3);  // with a smaller share, the pixel too
  EXPECT_EQ(SalientRegions(map, 29.0 / 400, 0.5), 1);   // only the 16 hold half
  // 8-connected: touching at a corner is one region.
  cv::Mat diagonal(10, 10, CV_32FC1, cv::Scalar(0));
  diagonal(cv::Rect(0, 0, 3, 3)).setTo(1);
  diagonal(cv::Rect(3, 3, 3, 3)).setTo(1);
  EXPECT_EQ(SalientRegions(diagonal, 0.18, 0.1), 1);
  const cv::Mat flat(8, 8, CV_32FC1, cv::Scalar(1));
  EXPECT_EQ(SalientRegions(flat, 0.05, 0.1), 1);  // ties: the whole map, one region
  // A region of exactly the share counts: 2 of the top 20 pixels is a tenth.
  cv::Mat exact(20, 20, CV_32FC1, cv::Scalar(0));
  exact(cv::Rect(0, 0, 6, 3)).setTo(1);
  exact(cv::Rect(10, 10, 2, 1)).setTo(1);
  EXPECT_EQ(SalientRegions(exact, 0.05, 0.1), 2);
}

TEST(DeviationScaleTest, VarianceRisesLinearlyFromTheFloorToOne) {
  Eigen::VectorXd quantiles(3);
  quantiles << 0.0, 0.5, 1.0;
  const Eigen::VectorXd scale = DeviationScale(quantiles, 0.25);
  EXPECT_DOUBLE_EQ(scale[0], 0.5);               // √0.25
  EXPECT_DOUBLE_EQ(scale[1], std::sqrt(0.625));  // √(0.25 + 0.75·0.5)
  EXPECT_DOUBLE_EQ(scale[2], 1.0);
  EXPECT_TRUE(DeviationScale(quantiles, 1.0).isOnes());  // the stationary kernel
}

TEST(RankQuantilesTest, RanksOverTheLastRankTiesSharingTheirMean) {
  Eigen::VectorXf values(5);
  values << 3.0F, -1.0F, 3.0F, 0.5F, 7.0F;  // ranks 2.5, 0, 2.5, 1, 4 of 0..4
  const Eigen::VectorXd quantiles = RankQuantiles(values);
  ASSERT_EQ(quantiles.size(), 5);
  EXPECT_DOUBLE_EQ(quantiles[0], 2.5 / 4);
  EXPECT_DOUBLE_EQ(quantiles[1], 0.0);
  EXPECT_DOUBLE_EQ(quantiles[2], 2.5 / 4);
  EXPECT_DOUBLE_EQ(quantiles[3], 0.25);
  EXPECT_DOUBLE_EQ(quantiles[4], 1.0);
  EXPECT_TRUE(RankQuantiles(Eigen::VectorXf::Constant(4, 2.0F)).isApproxToConstant(0.5));
  EXPECT_EQ(RankQuantiles(Eigen::VectorXf::Constant(1, 2.0F))[0], 1.0);
}

TEST(CellFieldToPixelsTest, BilinearBetweenCellCentres) {
  CellGrid grid;
  grid.cell = 4;
  grid.rows = 3;
  grid.cols = 2;
  grid.image_rows = 12;
  grid.image_cols = 8;
  Eigen::MatrixXd field(3, 2);
  field << 0, 1, 2, 3, 4, 5;  // 2·row + col
  const cv::Mat pixels = CellFieldToPixels(grid, field);
  for (int r = 0; r < 12; ++r)
    for (int c = 0; c < 8; ++c) {
      // Pixel r's position in cells: (r + 0.5)/4 − 0.5, clamped to the outer centres.
      const double row = std::clamp((r + 0.5) / 4 - 0.5, 0.0, 2.0);
      const double col = std::clamp((c + 0.5) / 4 - 0.5, 0.0, 1.0);
      EXPECT_NEAR(pixels.at<float>(r, c), 2 * row + col, 1e-6) << r << "," << c;
    }
}

// A clip's field is drawn frame by frame: each frame's pixels are its own cells' field alone.
TEST(CellFieldToPixelsTest, AClipsFramesAreDrawnFromTheirOwnCells) {
  const CellGrid clip = CellGrid::For(45, 70, 3), frame = CellGrid::For(45, 70);
  Eigen::MatrixXd field(clip.rows, clip.cols);
  field.setRandom();
  const cv::Mat pixels = CellFieldToPixels(clip, field);
  for (int n = 0; n < 3; ++n) {
    const cv::Mat expected =
        CellFieldToPixels(frame, field.middleRows(Eigen::Index{n} * frame.rows, frame.rows).eval());
    EXPECT_EQ(cv::norm(pixels.rowRange(n * 45, (n + 1) * 45), expected, cv::NORM_INF), 0.0) << n;
  }
}

}  // namespace
}  // namespace borex::refine
