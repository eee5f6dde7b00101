// The cell grid of the pixel-field GP (RefineOptions::gp_domain = kPixels, gp::FieldGp) and what
// a mask is on it: the fraction of each cell it hides, and the weights of its observation.
#pragma once

#include <Eigen/Core>
#include <opencv2/core.hpp>
#include <utility>

#include "borex/mask/square_mask.h"

namespace borex::refine {

// Square cells of `cell` pixels over an image (the last row and column of cells may be partial),
// about 32 on the shorter side: fine enough for the masks' sides (a quarter of the image and
// more), coarse enough for a dense GP over them. A stacked clip (frames of equal rows, one above
// the next) gets each frame's grid, stacked likewise: no cell straddles two frames, and a field
// over the cells is rows x cols with frame n's cells in rows [n·frame_cells(), (n + 1)·...).
struct CellGrid {
  int cell = 1;                        // pixels per cell side
  int rows = 0, cols = 0;              // cells, over every frame
  int image_rows = 0, image_cols = 0;  // pixels, over every frame
  int frames = 1;

  // One frame of image_rows x image_cols pixels, `frames` of them stacked.
  static CellGrid For(int image_rows, int image_cols, int frames = 1);
  int size() const { return rows * cols; }
  int frame_cells() const { return rows / frames; }       // cell rows per frame
  int frame_rows() const { return image_rows / frames; }  // pixel rows per frame
};

// The mean of `map` (CV_32FC1 or CV_8UC1, the grid's image size) over each cell, row-major; for a
// hidden mask (CV_8UC1, nonzero = hidden) the fraction of the cell it hides.
Eigen::VectorXf CellAverage(const CellGrid& grid, const cv::Mat& map);

// The share of each row of cells and of each column of cells that a box of pixels covers (a
// clip: a box within one frame, over one frame's rows of cells).
struct BoxCoverage {
  Eigen::VectorXf rows, cols;
};
BoxCoverage AxisCoverage(const CellGrid& grid, const mask::PixelBox& box);

// A cuboid's share of every row of cells of a clip's grid: box_rows (AxisCoverage's rows, one
// frame's) in frames first .. first + depth − 1 (those inside the clip), 0 in the others. Its
// outer product with the box's columns' shares is the cuboid's hidden fraction of each cell.
Eigen::VectorXf CuboidRowCoverage(const CellGrid& grid, const Eigen::VectorXf& box_rows, int first,
                                  int depth);

// The fraction of each cell (row-major) that a box of pixels covers: the product of its rows'
// and its columns' coverage, the same as CellAverage of the box's mask without drawing it. An
// image's grid (one frame).
Eigen::VectorXf CellCoverage(const CellGrid& grid, const mask::PixelBox& box);

// The weights w of a mask's observation s = ⟨w, f⟩ under the additive model (a masked image's
// score is the sum of its visible cells' contributions f), from the fraction m it hides of each
// cell: with the flip, s = M(i⊙m̄) − M(i⊙m) = Σ m·f − Σ (1 − m)·f, w = (2m − 1)/N; without it,
// s = M(i) − M(i⊙m) = Σ m·f, w = m/N. Divided by the cell count N so that w's scale does not
// depend on the grid.
Eigen::VectorXf ObservationWeights(const Eigen::VectorXf& hidden_fraction, bool flip);
// The same weights as w = a·m + b over `cells` cells: (a, b).
std::pair<double, double> ObservationAffine(Eigen::Index cells, bool flip);

// The top `fraction` of a map's pixels (those >= the value of the ⌈fraction·pixels⌉-th largest;
// ties all included), as a hidden mask (CV_8UC1, 255 = hidden). fraction in (0, 1].
cv::Mat TopFraction(const cv::Mat& map, double fraction);

// How many places a map marks: the 8-connected regions of its top `fraction` of pixels
// (TopFraction) that each hold at least `share` of that set's pixels.
int SalientRegions(const cv::Mat& map, double fraction, double share);

// Each value's rank quantile in [0, 1]: 0 for the smallest, 1 for the largest, ties sharing
// their mean rank (a scale-free reading of where a map puts its mass). One value: 1.
Eigen::VectorXd RankQuantiles(const Eigen::VectorXf& values);

// The deviation's standard deviation per cell under a floor c (--deviation-floors):
// √(c + (1 − c)·q), so its variance rises linearly from c at the prior's lowest rank quantile
// q = 0 to 1 at its highest. c = 1 is the stationary kernel.
Eigen::VectorXd DeviationScale(const Eigen::VectorXd& quantiles, double floor);

// A field over the grid's cells (rows x cols) at every pixel of the image: bilinear between cell
// centres, constant beyond the outer centres; a clip's frame by frame (never across two frames).
// CV_32FC1.
cv::Mat CellFieldToPixels(const CellGrid& grid, const Eigen::MatrixXd& field);

}  // namespace borex::refine
