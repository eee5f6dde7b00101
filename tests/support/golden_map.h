// Maps that an earlier commit wrote to tests/data (the presets' and the sequential refiner's), for
// the tests that the same settings still give them.
#pragma once

#include <gtest/gtest.h>

#include <opencv2/core.hpp>
#include <string>

#include "borex/io/npy.h"

namespace borex::testing {

// The largest difference a stored map may have from today's, as a fraction of its largest |value|.
// The same binary reproduces a map bit for bit run after run, but not every machine rounds the
// same float operations alike: on one 2-core Xeon (2026-12-06) the stored maps came back within
// 3e-7 of their largest value (a few float roundings) where the machines that wrote them gave
// them exactly. A change of method moves a map by far more than this.
constexpr double kGoldenMapTolerance = 1e-5;

// EXPECTs that `map` is the stored map at `path` to kGoldenMapTolerance; `what` names the case.
inline void ExpectStoredMap(const cv::Mat& map, const std::string& path, const std::string& what) {
  const cv::Mat golden = io::ReadNpyMap(path);
  ASSERT_EQ(golden.size(), map.size()) << what;
  EXPECT_LE(cv::norm(map, golden, cv::NORM_INF),
            kGoldenMapTolerance * cv::norm(golden, cv::NORM_INF))
      << what;
}

}  // namespace borex::testing
