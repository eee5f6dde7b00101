// Type-II maximum likelihood for the kernel's length scales (Rasmussen & Williams, "Gaussian
// Processes for Machine Learning", §5.4.1), as the authors' code does at every step with
// scikit-learn's GaussianProcessRegressor (L-BFGS-B in log space, bounds [1, 20]). The signal
// variance stays fixed (the authors fix it to 1).
#pragma once

#include <Eigen/Core>
#include <vector>

#include "borex/gp/gaussian_process.h"
#include "borex/gp/kernel.h"

namespace borex::gp {

// log p(y | X, θ) = −½ yᵀα − ½ log|K| − (n/2) log 2π with K = K(X,X) + σn²I, α = K⁻¹y
// (R&W eq. 2.30), and optionally its gradient with respect to log ℓ_j (R&W eq. 5.9:
// ∂/∂θ = ½ tr((ααᵀ − K⁻¹) ∂K/∂θ)). points: dim x n. Returns −∞ if K is not positive definite.
double LogMarginalLikelihood(const MaternKernel& kernel, const Eigen::MatrixXd& points,
                             const Eigen::VectorXd& values, double noise_variance,
                             Eigen::VectorXd* gradient_log_length_scales = nullptr);

// Maximises the log marginal likelihood over the length scales within [lower_bound, upper_bound]
// (per dimension in the second overload): projected BFGS in log space with a backtracking line
// search, started from `initial` clamped to the bounds; at most max_evaluations likelihood
// evaluations (O(n³) each). Never returns length scales with a lower likelihood than the clamped
// start. Returns a kernel with the same ν and signal variance.
MaternKernel FitLengthScales(const MaternKernel& initial, const Eigen::MatrixXd& points,
                             const Eigen::VectorXd& values, double noise_variance,
                             double lower_bound, double upper_bound, int max_evaluations = 200);
MaternKernel FitLengthScales(const MaternKernel& initial, const Eigen::MatrixXd& points,
                             const Eigen::VectorXd& values, double noise_variance,
                             const Eigen::VectorXd& lower_bounds,
                             const Eigen::VectorXd& upper_bounds, int max_evaluations = 200);

// The kernel of gp's ν with σf² among `signal_variances` and length scales gp's times one factor
// among `length_scale_factors` (all dimensions alike) that maximises gp's log marginal likelihood
// (its mean basis included, noise variance kept): type-II maximum likelihood on a grid,
// O(|grid|·n³). The first of equal maxima wins (variances outer, factors inner).
MaternKernel FitKernelOnGrid(const CandidateGp& gp, const std::vector<double>& signal_variances,
                             const std::vector<double>& length_scale_factors = {1.0});

// The default σf² grid: 10^(k/4) for k = −16..4 (1e-4 .. 10).
std::vector<double> SignalVarianceGrid();
// The fitted mean's coefficient prior standard deviations: 10^(k/2) for k = 0..4 (1 .. 100).
std::vector<double> CoefficientSdGrid();
// The final map's noise variances when it averages over σn² too: 10^(k/4) for k = −8..0
// (0.01 .. 1).
std::vector<double> NoiseVarianceGrid();
// Factors of a group of observations' noise variance: 10^(k/2) for k = −4..4 (0.01 .. 100).
std::vector<double> NoiseFactorGrid();
// The default length-scale factors: 2^(k/2) for k = −2..4 (0.5 .. 4).
std::vector<double> LengthScaleFactorGrid();

}  // namespace borex::gp
