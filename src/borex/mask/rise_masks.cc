#include "borex/mask/rise_masks.h"

#include <cmath>
#include <string>

#include "borex/core/error.h"

namespace borex::mask {
namespace {

// numpy "reflect" (scipy "mirror") index: ... 2 1 | 0 1 2 ... n-1 | n-2 n-3 ...
int MirrorIndex(int index, int size) {
  if (size == 1) return 0;
  const int period = 2 * (size - 1);
  index = std::abs(index) % period;
  return index < size ? index : period - index;
}

}  // namespace

void RiseMaskOptions::Check() const {
  if (grid < 1) throw OptionError("--grid", "must be at least 1, got " + std::to_string(grid));
  if (!(keep_prob > 0 && keep_prob < 1))
    throw OptionError("--keep-prob", "must be in (0, 1), got " + std::to_string(keep_prob));
  if (grid_frames < 1)
    throw OptionError("--grid-frames", "must be at least 1, got " + std::to_string(grid_frames));
}

RiseMaskGenerator::Taps RiseMaskGenerator::AxisTaps(int cells, int up_size) {
  Taps taps;
  taps.low.resize(up_size);
  taps.high.resize(up_size);
  taps.weight.resize(up_size);
  const double step = static_cast<double>(cells) / up_size;
  for (int u = 0; u < up_size; ++u) {
    const double x = (u + 0.5) * step - 0.5;
    const double below = std::floor(x);
    const int index = static_cast<int>(below);
    taps.low[u] = MirrorIndex(index, cells);
    taps.high[u] = MirrorIndex(index + 1, cells);
    taps.weight[u] = static_cast<float>(x - below);
  }
  return taps;
}

RiseMaskGenerator::RiseMaskGenerator(RiseMaskOptions options, int rows, int cols, uint64_t seed,
                                     int frames)
    : options_(options), rows_(rows), cols_(cols), frames_(frames), random_(seed) {
  options_.Check();
  BOREX_CHECK_GT(rows, 0);
  BOREX_CHECK_GT(cols, 0);
  BOREX_CHECK_GT(frames, 0);
  const int s = options_.grid;
  cell_size_ = cv::Size((cols + s - 1) / s, (rows + s - 1) / s);
  row_taps_ = AxisTaps(s, (s + 1) * cell_size_.height);
  col_taps_ = AxisTaps(s, (s + 1) * cell_size_.width);
  const int grids = frames > 1 ? options_.grid_frames : 1;
  if (frames > 1) {
    cell_frames_ = (frames + grids - 1) / grids;
    frame_taps_ = AxisTaps(grids, (grids + 1) * cell_frames_);
  }
  grid_.create(grids * s, s, CV_32FC1);
}

void RiseMaskGenerator::SpatialMask(const cv::Mat& grid, cv::Mat out) const {
  // Separable interpolation of the cropped window only: grid rows first (into one s-vector per
  // output row), then columns.
  const int s = options_.grid;
  std::vector<float> row_cells(s);
  for (int y = 0; y < rows_; ++y) {
    const int u = y + shift_.y;
    const float* low = grid.ptr<float>(row_taps_.low[u]);
    const float* high = grid.ptr<float>(row_taps_.high[u]);
    const float w = row_taps_.weight[u];
    for (int c = 0; c < s; ++c) row_cells[c] = low[c] + w * (high[c] - low[c]);
    float* values = out.ptr<float>(y);
    for (int x = 0; x < cols_; ++x) {
      const int v = x + shift_.x;
      const float a = row_cells[col_taps_.low[v]], b = row_cells[col_taps_.high[v]];
      values[x] = a + col_taps_.weight[v] * (b - a);
    }
  }
}

cv::Mat RiseMaskGenerator::Next() {
  const int s = options_.grid;
  for (int r = 0; r < grid_.rows; ++r) {
    float* cells = grid_.ptr<float>(r);
    for (int c = 0; c < s; ++c) cells[c] = random_.Bernoulli(options_.keep_prob) ? 1.0f : 0.0f;
  }
  shift_.y = random_.UniformInt(cell_size_.height);
  shift_.x = random_.UniformInt(cell_size_.width);
  cv::Mat mask(frames_ * rows_, cols_, CV_32FC1);
  if (frames_ == 1) {
    SpatialMask(grid_, mask);
    return mask;
  }
  frame_shift_ = random_.UniformInt(cell_frames_);
  const int grids = grid_.rows / s;
  std::vector<cv::Mat> slices(grids);
  for (int g = 0; g < grids; ++g) {
    slices[g].create(rows_, cols_, CV_32FC1);
    SpatialMask(grid_.rowRange(g * s, (g + 1) * s), slices[g]);
  }
  for (int t = 0; t < frames_; ++t) {
    const int u = t + frame_shift_;
    const float w = frame_taps_.weight[u];
    const cv::Mat& low = slices[frame_taps_.low[u]];
    const cv::Mat& high = slices[frame_taps_.high[u]];
    cv::Mat out = mask.rowRange(t * rows_, (t + 1) * rows_);
    for (int y = 0; y < rows_; ++y) {
      const float *a = low.ptr<float>(y), *b = high.ptr<float>(y);
      float* values = out.ptr<float>(y);
      for (int x = 0; x < cols_; ++x) values[x] = a[x] + w * (b[x] - a[x]);
    }
  }
  return mask;
}

cv::Mat RiseMaskGenerator::UpsampleGrid(const cv::Mat& grid, int up_rows, int up_cols) {
  BOREX_CHECK(grid.type() == CV_32FC1 && !grid.empty());
  const Taps row_taps = AxisTaps(grid.rows, up_rows);
  const Taps col_taps = AxisTaps(grid.cols, up_cols);
  cv::Mat up(up_rows, up_cols, CV_32FC1);
  for (int u = 0; u < up_rows; ++u) {
    const float* low = grid.ptr<float>(row_taps.low[u]);
    const float* high = grid.ptr<float>(row_taps.high[u]);
    const float w = row_taps.weight[u];
    float* out = up.ptr<float>(u);
    for (int v = 0; v < up_cols; ++v) {
      const float a = low[col_taps.low[v]] + w * (high[col_taps.low[v]] - low[col_taps.low[v]]);
      const float b = low[col_taps.high[v]] + w * (high[col_taps.high[v]] - low[col_taps.high[v]]);
      out[v] = a + col_taps.weight[v] * (b - a);
    }
  }
  return up;
}

}  // namespace borex::mask
