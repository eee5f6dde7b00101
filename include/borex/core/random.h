// A seeded random source whose output is the same on every platform and standard library.
// std::uniform_real_distribution and friends are implementation-defined (libstdc++ and libc++
// give different numbers for the same engine), which would make "same seed, same map" a lie
// across machines; so every draw here is derived from the raw 64-bit output of std::mt19937_64,
// whose sequence the C++ standard fixes.
#pragma once

#include <cstdint>
#include <random>

namespace borex {

class Random {
 public:
  explicit Random(uint64_t seed = 0) : engine_(seed) {}

  // The engine's next raw 64-bit output.
  uint64_t NextBits() { return engine_(); }

  // Uniform in [0, 1) with 53 random bits (every value a multiple of 2^-53).
  double UniformDouble();

  // Uniform integer in [0, n), n > 0; unbiased (rejection sampling, not a plain modulo).
  int UniformInt(int n);

  // Standard normal N(0, 1) by the Box-Muller transform. Draws come in pairs; the second of a
  // pair is kept for the next call. Bit-exact across platforms up to the last-ulp differences
  // of std::log/std::sqrt/std::cos/std::sin between math libraries.
  double Normal();

  // True with probability p (p <= 0: never, p >= 1: always).
  bool Bernoulli(double p) { return UniformDouble() < p; }

 private:
  std::mt19937_64 engine_;
  bool has_spare_normal_ = false;
  double spare_normal_ = 0.0;
};

}  // namespace borex
