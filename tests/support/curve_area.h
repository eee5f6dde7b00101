// The trapezoidal area under a curve's points (fraction, score): the tests' own computation, to
// check the areas metrics::Curve reports against the points it returns.
#pragma once

#include "borex/metrics/metrics.h"

namespace borex::testing {

inline double TrapezoidArea(const metrics::Curve& curve) {
  double area = 0;
  for (size_t i = 1; i < curve.scores.size(); ++i)
    area +=
        (curve.fractions[i] - curve.fractions[i - 1]) * (curve.scores[i] + curve.scores[i - 1]) / 2;
  return area;
}

}  // namespace borex::testing
