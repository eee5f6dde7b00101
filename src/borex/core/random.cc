#include "borex/core/random.h"

#include <cmath>

#include "borex/core/error.h"

namespace borex {

double Random::UniformDouble() {
  // The top 53 bits fill a double's mantissa exactly: k * 2^-53 for k in [0, 2^53).
  return static_cast<double>(engine_() >> 11) * 0x1.0p-53;
}

int Random::UniformInt(int n) {
  BOREX_CHECK_GT(n, 0);
  const uint64_t range = static_cast<uint64_t>(n);
  // Accept only draws below the largest multiple of n, so every residue is equally likely.
  const uint64_t limit = UINT64_MAX - UINT64_MAX % range;
  uint64_t bits;
  do {
    bits = engine_();
  } while (bits >= limit);
  return static_cast<int>(bits % range);
}

double Random::Normal() {
  if (has_spare_normal_) {
    has_spare_normal_ = false;
    return spare_normal_;
  }
  // 1 - U lies in (0, 1], so the logarithm is finite.
  const double radius = std::sqrt(-2.0 * std::log(1.0 - UniformDouble()));
  const double angle = 2.0 * M_PI * UniformDouble();
  spare_normal_ = radius * std::sin(angle);
  has_spare_normal_ = true;
  return radius * std::cos(angle);
}

}  // namespace borex
