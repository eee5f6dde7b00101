// Upper confidence bound acquisition (Srinivas et al., ICML 2010), u = μ + κσ, as in the authors'
// BOREx code (u = ratio·σ + μ with ratio = 10). The paper's text describes u as large when |μ|
// or the variance is large; `absolute_mean` selects that variant, u = |μ| + κσ (the code's
// option MeanType.ABS). μ here is whatever mean the caller scores (BOREx: prior + GP residual).
#pragma once

#include <Eigen/Core>

namespace borex::acquisition {

struct UcbOptions {
  // κ >= 0, the exploration weight on σ (the authors' exec_borex.py: ratio = 10).
  double kappa = 10.0;
  // Score |μ| instead of μ (the paper's wording; the code's default is the signed mean).
  bool absolute_mean = false;

  void Check() const;  // throws OptionError("--kappa", ...) for a negative or non-finite κ
};

// Index of the candidate maximising u = μ + κσ (|μ| + κσ with absolute_mean), σ = sqrt(variance);
// ties go to the lowest index, so the choice is deterministic. Candidates whose u is NaN are
// skipped; throws borex::Error if none has a comparable u. best_value, if given, receives u.
Eigen::Index ArgmaxUcb(const Eigen::Ref<const Eigen::VectorXf>& mean,
                       const Eigen::Ref<const Eigen::VectorXf>& variance, double kappa,
                       double* best_value = nullptr, bool absolute_mean = false);
Eigen::Index ArgmaxUcb(const Eigen::Ref<const Eigen::VectorXf>& mean,
                       const Eigen::Ref<const Eigen::VectorXf>& variance, const UcbOptions& options,
                       double* best_value = nullptr);

}  // namespace borex::acquisition
