// Insertion and deletion curves (metrics::Curve) as files: a CSV of their points, a PNG plot of
// both, for `borex evaluate --curves` and `borex batch --save-curves`, read back by the report.
#pragma once

#include <opencv2/core.hpp>
#include <string>

#include "borex/metrics/metrics.h"

namespace borex::app {

// The CSV: header curve,step,fraction,score, then one row per point, insertion's then deletion's
// (step: the point's index, 0 to S; fraction: of the pixels revealed or removed).
std::string CurvesCsv(const metrics::Evaluation& evaluation);

// Insertion and deletion read back from a CurvesCsv file: scores and fractions only (the areas
// are the batch CSV's). Throws InputError naming the file when it is not such a file.
struct SavedCurves {
  metrics::Curve insertion, deletion;
};
SavedCurves ReadCurvesCsv(const std::string& path);

// Both curves on axes fraction x score in [0, 1], insertion blue and deletion orange, with a
// legend that gives their areas: CV_8UC3 BGR, 480 x 340.
cv::Mat PlotCurves(const metrics::Evaluation& evaluation);

// Writes PREFIX_curves.csv and PREFIX_curves.png, both or neither (io::AtomicOutputSet).
void WriteCurves(const std::string& prefix, const metrics::Evaluation& evaluation);

}  // namespace borex::app
