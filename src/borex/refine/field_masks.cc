#include "borex/refine/field_masks.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "borex/core/error.h"

namespace borex::refine {

CellGrid CellGrid::For(int image_rows, int image_cols, int frames) {
  BOREX_CHECK(image_rows > 0 && image_cols > 0 && frames > 0);
  constexpr int kCellsOnShorterSide = 32;
  CellGrid grid;
  grid.cell = std::max(
      1, (std::min(image_rows, image_cols) + kCellsOnShorterSide - 1) / kCellsOnShorterSide);
  grid.rows = frames * ((image_rows + grid.cell - 1) / grid.cell);
  grid.cols = (image_cols + grid.cell - 1) / grid.cell;
  grid.image_rows = frames * image_rows;
  grid.image_cols = image_cols;
  grid.frames = frames;
  return grid;
}

Eigen::VectorXf CellAverage(const CellGrid& grid, const cv::Mat& map) {
  BOREX_CHECK(map.rows == grid.image_rows && map.cols == grid.image_cols);
  BOREX_CHECK(map.type() == CV_32FC1 || map.type() == CV_8UC1);
  cv::Mat values = map;
  if (map.type() == CV_8UC1) {
    const cv::Mat hidden = map != 0;  // 255 where hidden
    hidden.convertTo(values, CV_32FC1, 1.0 / 255);
  }
  Eigen::VectorXf sums = Eigen::VectorXf::Zero(grid.size());
  Eigen::VectorXf counts = Eigen::VectorXf::Zero(grid.size());
  const int frame_rows = grid.frame_rows(), frame_cells = grid.frame_cells();
  for (int r = 0; r < values.rows; ++r) {
    const float* row = values.ptr<float>(r);
    const int cell_row = (r / frame_rows) * frame_cells + (r % frame_rows) / grid.cell;
    for (int c = 0; c < values.cols; ++c) {
      const int index = cell_row * grid.cols + c / grid.cell;
      sums[index] += row[c];
      counts[index] += 1;
    }
  }
  return sums.cwiseQuotient(counts);
}

BoxCoverage AxisCoverage(const CellGrid& grid, const mask::PixelBox& box) {
  // Per axis: the share of each cell's pixels in [first, first + count).
  const auto axis = [&](int first, int count, int cells, int pixels) {
    Eigen::VectorXf share = Eigen::VectorXf::Zero(cells);
    for (int i = 0; i < cells; ++i) {
      const int begin = i * grid.cell, end = std::min(pixels, begin + grid.cell);
      const int overlap = std::min(end, first + count) - std::max(begin, first);
      if (overlap > 0) share[i] = static_cast<float>(overlap) / static_cast<float>(end - begin);
    }
    return share;
  };
  if (box.empty())
    return {Eigen::VectorXf::Zero(grid.frame_cells()), Eigen::VectorXf::Zero(grid.cols)};
  return {axis(box.row0, box.rows, grid.frame_cells(), grid.frame_rows()),
          axis(box.col0, box.cols, grid.cols, grid.image_cols)};
}

Eigen::VectorXf CuboidRowCoverage(const CellGrid& grid, const Eigen::VectorXf& box_rows, int first,
                                  int depth) {
  BOREX_CHECK_EQ(box_rows.size(), grid.frame_cells());
  BOREX_CHECK(first >= 0 && first < grid.frames && depth > 0);
  Eigen::VectorXf coverage = Eigen::VectorXf::Zero(grid.rows);
  for (int n = first; n < std::min(grid.frames, first + depth); ++n)
    coverage.segment(Eigen::Index{n} * grid.frame_cells(), grid.frame_cells()) = box_rows;
  return coverage;
}

Eigen::VectorXf CellCoverage(const CellGrid& grid, const mask::PixelBox& box) {
  BOREX_CHECK_EQ(grid.frames, 1);
  Eigen::VectorXf coverage = Eigen::VectorXf::Zero(grid.size());
  if (box.empty()) return coverage;
  const auto [rows, cols] = AxisCoverage(grid, box);
  for (int r = 0; r < grid.rows; ++r)
    coverage.segment(static_cast<Eigen::Index>(r) * grid.cols, grid.cols) = rows[r] * cols;
  return coverage;
}

std::pair<double, double> ObservationAffine(Eigen::Index cells, bool flip) {
  const auto n = static_cast<double>(cells);
  return flip ? std::pair{2 / n, -1 / n} : std::pair{1 / n, 0.0};
}

Eigen::VectorXf ObservationWeights(const Eigen::VectorXf& hidden_fraction, bool flip) {
  const auto cells = static_cast<float>(hidden_fraction.size());
  if (flip) return (2 * hidden_fraction.array() - 1).matrix() / cells;
  return hidden_fraction / cells;
}

cv::Mat TopFraction(const cv::Mat& map, double fraction) {
  BOREX_CHECK(map.type() == CV_32FC1 && map.isContinuous());
  BOREX_CHECK(fraction > 0 && fraction <= 1);
  std::vector<float> values(map.ptr<float>(), map.ptr<float>() + map.total());
  const auto count = static_cast<size_t>(std::ceil(fraction * static_cast<double>(values.size())));
  const auto kth = values.begin() + static_cast<std::ptrdiff_t>(std::max<size_t>(count, 1) - 1);
  std::nth_element(values.begin(), kth, values.end(), std::greater<>());
  cv::Mat hidden = map >= *kth;
  return hidden;
}

int SalientRegions(const cv::Mat& map, double fraction, double share) {
  const cv::Mat top = TopFraction(map, fraction);
  cv::Mat labels, stats, centroids;
  const int labelled = cv::connectedComponentsWithStats(top, labels, stats, centroids, 8);
  const double least = share * cv::countNonZero(top);
  int regions = 0;
  for (int label = 1; label < labelled; ++label)  // label 0: the pixels outside the set
    regions += stats.at<int>(label, cv::CC_STAT_AREA) >= least;
  return regions;
}

Eigen::VectorXd DeviationScale(const Eigen::VectorXd& quantiles, double floor) {
  return ((1.0 - floor) * quantiles.array() + floor).sqrt().matrix();
}

Eigen::VectorXd RankQuantiles(const Eigen::VectorXf& values) {
  const Eigen::Index n = values.size();
  BOREX_CHECK_GT(n, 0);
  if (n == 1) return Eigen::VectorXd::Ones(1);
  std::vector<Eigen::Index> order(static_cast<size_t>(n));
  for (Eigen::Index i = 0; i < n; ++i) order[static_cast<size_t>(i)] = i;
  std::sort(order.begin(), order.end(),
            [&](Eigen::Index a, Eigen::Index b) { return values[a] < values[b]; });
  Eigen::VectorXd quantiles(n);
  for (Eigen::Index first = 0; first < n;) {
    Eigen::Index last = first;  // the run of ties [first, last]
    while (last + 1 < n && values[order[static_cast<size_t>(last + 1)]] ==
                               values[order[static_cast<size_t>(first)]])
      ++last;
    const double rank = 0.5 * static_cast<double>(first + last) / static_cast<double>(n - 1);
    for (Eigen::Index k = first; k <= last; ++k) quantiles[order[static_cast<size_t>(k)]] = rank;
    first = last + 1;
  }
  return quantiles;
}

cv::Mat CellFieldToPixels(const CellGrid& grid, const Eigen::MatrixXd& field) {
  BOREX_CHECK(field.rows() == grid.rows && field.cols() == grid.cols);
  // A pixel's position in cell units, where cell i's centre lies at i (partial edge cells too:
  // their centre is that of a full cell, a simplification of at most half a cell).
  const auto position = [&](int pixel, int cells, int* low, double* t) {
    const double x =
        std::clamp((pixel + 0.5) / grid.cell - 0.5, 0.0, static_cast<double>(cells - 1));
    *low = std::min(static_cast<int>(x), std::max(0, cells - 2));
    *t = cells > 1 ? x - *low : 0.0;
  };
  cv::Mat out(grid.image_rows, grid.image_cols, CV_32FC1);
  const int frame_rows = grid.frame_rows(), frame_cells = grid.frame_cells();
  for (int r = 0; r < grid.image_rows; ++r) {
    int r0 = 0;
    double tr = 0;
    position(r % frame_rows, frame_cells, &r0, &tr);
    const int r1 = (r / frame_rows) * frame_cells + std::min(r0 + 1, frame_cells - 1);
    r0 += (r / frame_rows) * frame_cells;
    for (int c = 0; c < grid.image_cols; ++c) {
      int c0 = 0;
      double tc = 0;
      position(c, grid.cols, &c0, &tc);
      const int c1 = std::min(c0 + 1, grid.cols - 1);
      const double top = (1 - tc) * field(r0, c0) + tc * field(r0, c1);
      const double bottom = (1 - tc) * field(r1, c0) + tc * field(r1, c1);
      out.at<float>(r, c) = static_cast<float>((1 - tr) * top + tr * bottom);
    }
  }
  return out;
}

}  // namespace borex::refine
