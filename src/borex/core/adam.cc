#include "borex/core/adam.h"

#include <cmath>

#include "borex/core/error.h"

namespace borex {

Adam::Adam(int size, double learning_rate, double beta1, double beta2, double epsilon)
    : learning_rate_(learning_rate),
      beta1_(beta1),
      beta2_(beta2),
      epsilon_(epsilon),
      first_(Eigen::VectorXd::Zero(size)),
      second_(Eigen::VectorXd::Zero(size)) {
  BOREX_CHECK_GT(size, 0);
}

void Adam::Step(Eigen::VectorXf& parameters, const Eigen::VectorXf& gradient) {
  BOREX_CHECK_EQ(parameters.size(), first_.size());
  BOREX_CHECK_EQ(gradient.size(), first_.size());
  ++steps_;
  const Eigen::VectorXd g = gradient.cast<double>();
  first_ = beta1_ * first_ + (1 - beta1_) * g;
  second_ = beta2_ * second_ + (1 - beta2_) * g.cwiseProduct(g);
  // torch.optim.Adam: θ −= lr / (1 − β1^t) · m / (sqrt(v / (1 − β2^t)) + ε).
  const double first_correction = 1 - std::pow(beta1_, static_cast<double>(steps_));
  const double second_correction = 1 - std::pow(beta2_, static_cast<double>(steps_));
  const Eigen::ArrayXd denominator = (second_.array() / second_correction).sqrt() + epsilon_;
  parameters -=
      ((learning_rate_ / first_correction) * first_.array() / denominator).matrix().cast<float>();
}

}  // namespace borex
