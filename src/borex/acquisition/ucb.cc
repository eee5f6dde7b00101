#include "borex/acquisition/ucb.h"

#include <cmath>

#include "borex/core/error.h"

namespace borex::acquisition {

Eigen::Index ArgmaxUcb(const Eigen::Ref<const Eigen::VectorXf>& mean,
                       const Eigen::Ref<const Eigen::VectorXf>& variance, double kappa,
                       double* best_value, bool absolute_mean) {
  BOREX_CHECK_EQ(mean.size(), variance.size());
  BOREX_CHECK_GT(mean.size(), 0);
  const float k = static_cast<float>(kappa);
  Eigen::Index best = 0;
  float best_u = -std::numeric_limits<float>::infinity();
  for (Eigen::Index i = 0; i < mean.size(); ++i) {
    const float u = (absolute_mean ? std::abs(mean[i]) : mean[i]) + k * std::sqrt(variance[i]);
    if (u > best_u) {
      best_u = u;
      best = i;
    }
  }
  if (best_value != nullptr) *best_value = best_u;
  return best;
}

}  // namespace borex::acquisition
