// Adam (Kingma & Ba, ICLR 2015) on an Eigen vector, with PyTorch's update rule and defaults, so
// that Opti-CAM and FIDO follow their authors' torch.optim.Adam step for step.
#pragma once

#include <Eigen/Core>

namespace borex {

class Adam {
 public:
  Adam(int size, double learning_rate, double beta1 = 0.9, double beta2 = 0.999,
       double epsilon = 1e-8);

  // One descent step on `parameters` for the loss gradient `gradient` (minimises), at
  // `learning_rate` (the constructor's unless a schedule changes it).
  void Step(Eigen::VectorXf& parameters, const Eigen::VectorXf& gradient);
  void set_learning_rate(double learning_rate) { learning_rate_ = learning_rate; }

 private:
  double learning_rate_, beta1_, beta2_, epsilon_;
  long steps_ = 0;
  Eigen::VectorXd first_, second_;  // biased moment estimates m, v
};

}  // namespace borex
