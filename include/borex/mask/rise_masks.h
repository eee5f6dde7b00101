// Random smooth masks of RISE (Petsiuk, Das and Saenko, BMVC 2018), as in the authors' code:
//   1. sample an s x s binary grid, each cell 1 with probability p1;
//   2. upsample it bilinearly to (s+1)·C pixels, C = (ceil(H/s), ceil(W/s)) the cell size;
//   3. crop an H x W window at a random shift (dy, dx), uniform in [0, C_rows) x [0, C_cols).
// As in the reference code (and TorchRay), step 2 stretches the s cells over (s+1)·C pixels, so
// one upsampled cell spans (s+1)·C/s pixels, not C; the extra room is what the shift uses.
//
// The upsampling reproduces skimage.transform.resize(grid, (s+1)·C, order=1, mode="reflect",
// anti_aliasing=False), which the reference code calls: output pixel u samples the grid at
// x = (u + 0.5)·s/((s+1)·C) − 0.5 (pixel centres aligned, as cv::resize's INTER_LINEAR does too)
// with the grid mirrored about its edge cells beyond the border (numpy "reflect", scipy
// "mirror"). cv::resize instead replicates the edge cell, so its outermost half-cell would
// differ; that is why the interpolation is written out here. Interpolation is a + w·(b − a), so
// between two equal cells the value is exactly that cell's 0 or 1, and it lies strictly inside
// (0, 1) between unequal cells. Each mask value is a convex combination of Bernoulli(p1) cells,
// so E[m(λ)] = p1 at every pixel, borders included.
#pragma once

#include <cstdint>
#include <opencv2/core.hpp>
#include <vector>

#include "borex/core/random.h"

namespace borex::mask {

// Video (RISE extended to clips, as the BOREx paper's RQ3 does): the grid gains a time axis of
// s_t cells, each of C_t = ceil(T / s_t) frames; the s_t x s x s grid is upsampled spatially as
// above (one spatial shift for the whole clip) and then linearly in time with the same rule over
// (s_t + 1)·C_t frames, and cropped at a random time shift in [0, C_t). Masks of a T-frame clip
// are stacked like clips (T·rows x cols, see model::ModelInfo).
struct RiseMaskOptions {
  int grid = 8;            // s: cells per side of the random binary grid
  double keep_prob = 0.5;  // p1 = P[cell is 1, i.e. kept visible]
  int grid_frames = 4;     // s_t: cells along time (video only)

  // OptionError("--grid" / "--keep-prob" / "--grid-frames", ...) unless grid >= 1,
  // 0 < keep_prob < 1 and grid_frames >= 1.
  void Check() const;
};

class RiseMaskGenerator {
 public:
  // Masks for an image of rows x cols pixels, or for a clip of `frames` such frames; the same
  // seed gives the same masks everywhere.
  RiseMaskGenerator(RiseMaskOptions options, int rows, int cols, uint64_t seed, int frames = 1);

  // The next mask: a new CV_32FC1 (frames·rows) x cols matrix with values in [0, 1]. Each call
  // draws the grid cells (row-major; for a clip s_t such grids, frame-major), then the row
  // shift, then the column shift, then (a clip) the frame shift.
  cv::Mat Next();

  // What the last Next() drew (for tests and debugging): the grid (CV_32FC1, s x s, 0/1; a clip:
  // s_t stacked s x s grids) and the shifts (x = columns, y = rows; frame_shift for a clip).
  const cv::Mat& last_grid() const { return grid_; }
  cv::Point last_shift() const { return shift_; }
  int last_frame_shift() const { return frame_shift_; }
  // Cell length along time, C_t (1 for an image).
  int cell_frames() const { return cell_frames_; }

  // Cell size C (width = columns, height = rows).
  cv::Size cell_size() const { return cell_size_; }

  // The grid upsampled to up_rows x up_cols as described above (no crop): the reference the
  // generator's cropped masks equal. Exposed for tests.
  static cv::Mat UpsampleGrid(const cv::Mat& grid, int up_rows, int up_cols);

 private:
  // Bilinear taps of one axis: output coordinate u samples (1 − w)·cell[low] + w·cell[high].
  struct Taps {
    std::vector<int> low, high;
    std::vector<float> weight;
  };
  static Taps AxisTaps(int cells, int up_size);
  // The cropped spatial mask of one s x s grid at the current shift, into `out` (rows x cols).
  void SpatialMask(const cv::Mat& grid, cv::Mat out) const;

  RiseMaskOptions options_;
  int rows_, cols_, frames_;
  cv::Size cell_size_;
  int cell_frames_ = 1;
  Taps row_taps_, col_taps_, frame_taps_;  // over the whole upsampled size (s+1)·C
  Random random_;
  cv::Mat grid_;
  cv::Point shift_;
  int frame_shift_ = 0;
};

}  // namespace borex::mask
