// Type-II maximum likelihood for the kernel's length scales (R&W §5.4.1), as the authors' code
// does at every step with scikit-learn (L-BFGS-B, bounds [1, 20]). The signal variance stays fixed.
#pragma once

#include <Eigen/Core>

#include "borex/gp/kernel.h"

namespace borex::gp {

// log p(y | X, θ) and its gradient with respect to log ℓ_j (R&W eqs. 2.30 and 5.9:
// ∂/∂θ = ½ tr((ααᵀ − K⁻¹) ∂K/∂θ)).
double LogMarginalLikelihood(const MaternKernel& kernel, const Eigen::MatrixXd& points,
                             const Eigen::VectorXd& values, double noise_variance,
                             Eigen::VectorXd* gradient_log_length_scales = nullptr);

// Maximises the log marginal likelihood over the length scales within [lower, upper]: projected
// gradient ascent in log space with backtracking, started from `initial` (clamped to the bounds).
// Never returns length scales with a lower likelihood than the clamped start.
MaternKernel FitLengthScales(const MaternKernel& initial, const Eigen::MatrixXd& points,
                             const Eigen::VectorXd& values, double noise_variance, double lower,
                             double upper, int max_evaluations = 200);

}  // namespace borex::gp
