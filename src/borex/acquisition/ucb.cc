#include "borex/acquisition/ucb.h"

#include <cmath>
#include <limits>

#include "borex/core/error.h"

namespace borex::acquisition {

void UcbOptions::Check() const {
  if (!(kappa >= 0) || !std::isfinite(kappa))
    throw OptionError("--kappa", internal::Concat("must be finite and >= 0, got ", kappa));
}

Eigen::Index ArgmaxUcb(const Eigen::Ref<const Eigen::VectorXf>& mean,
                       const Eigen::Ref<const Eigen::VectorXf>& variance, double kappa,
                       double* best_value, bool absolute_mean) {
  BOREX_CHECK_EQ(mean.size(), variance.size());
  BOREX_CHECK_GT(mean.size(), 0);
  UcbOptions{kappa, absolute_mean}.Check();
  // Computed in float like the GP's state; a strict ">" keeps the lowest index on ties, and
  // NaN never compares greater, so it is skipped.
  const float weight = static_cast<float>(kappa);
  Eigen::Index best = -1;
  float best_u = -std::numeric_limits<float>::infinity();
  for (Eigen::Index i = 0; i < mean.size(); ++i) {
    const float mu = absolute_mean ? std::abs(mean[i]) : mean[i];
    const float u = mu + weight * std::sqrt(std::max(variance[i], 0.0f));
    if (u > best_u || (best < 0 && u == best_u)) {
      best_u = u;
      best = i;
    }
  }
  if (best < 0) throw Error("UCB: no candidate has a comparable acquisition value (all NaN)");
  if (best_value != nullptr) *best_value = best_u;
  return best;
}

Eigen::Index ArgmaxUcb(const Eigen::Ref<const Eigen::VectorXf>& mean,
                       const Eigen::Ref<const Eigen::VectorXf>& variance, const UcbOptions& options,
                       double* best_value) {
  return ArgmaxUcb(mean, variance, options.kappa, best_value, options.absolute_mean);
}

}  // namespace borex::acquisition
