// Matérn covariance functions with ARD length scales (Rasmussen & Williams, "Gaussian Processes
// for Machine Learning", 2006, eqs. 4.14-4.17), the kernel family of Mokuwe et al. and BOREx:
//   k(a, b) = σf² g(d),  d = sqrt(Σ_j ((a_j − b_j)/ℓ_j)²)
//   ν = 1/2: g = exp(−d);  ν = 3/2: g = (1 + √3 d) exp(−√3 d);
//   ν = 5/2: g = (1 + √5 d + 5d²/3) exp(−√5 d).
// The authors' code uses ν = 3/2 with ℓ = (12, 12, 10) for (row, col, half-width) and σf² = 1.
#pragma once

#include <Eigen/Core>
#include <string>

namespace borex::gp {

enum class MaternNu { kOneHalf, kThreeHalves, kFiveHalves };

// "matern12" | "matern32" | "matern52"; anything else throws OptionError("--kernel", ...).
MaternNu ParseMaternNu(const std::string& name);
std::string MaternName(MaternNu nu);

class MaternKernel {
 public:
  // One length scale per input dimension (> 0, finite; OptionError("--length-scale") otherwise);
  // signal_variance σf² > 0 and finite (borex::Error otherwise).
  MaternKernel(MaternNu nu, Eigen::VectorXd length_scales, double signal_variance = 1.0);

  double operator()(const Eigen::Ref<const Eigen::VectorXd>& a,
                    const Eigen::Ref<const Eigen::VectorXd>& b) const;

  // out(j) = k(x, points.col(j)) for points stored one per column (dim x n). The hot loop of the
  // GP (10^5..10^6 points per observation): float arrays, so that Eigen vectorises sqrt and exp.
  void Column(const Eigen::Ref<const Eigen::VectorXd>& x,
              const Eigen::Ref<const Eigen::MatrixXf>& points,
              Eigen::Ref<Eigen::VectorXf> out) const;

  // g(d), the kernel's profile at scaled distance d (g(0) = 1).
  static double Profile(MaternNu nu, double d);

  MaternNu nu() const { return nu_; }
  const Eigen::VectorXd& length_scales() const { return length_scales_; }
  double signal_variance() const { return signal_variance_; }
  int dimension() const { return static_cast<int>(length_scales_.size()); }

 private:
  MaternNu nu_;
  Eigen::VectorXd length_scales_;
  double signal_variance_;
};

}  // namespace borex::gp
