// Upper confidence bound acquisition, u = μ + κσ (Srinivas et al.), as in the authors' BOREx code
// (u = ratio·σ + μ with ratio = 10). The paper describes u as large when |μ| or the variance is
// large; `absolute_mean` selects that variant (the code's MeanType.ABS).
#pragma once

#include <Eigen/Core>

namespace borex::acquisition {

// Index of the candidate maximising u; ties go to the lowest index (deterministic).
Eigen::Index ArgmaxUcb(const Eigen::Ref<const Eigen::VectorXf>& mean,
                       const Eigen::Ref<const Eigen::VectorXf>& variance, double kappa,
                       double* best_value = nullptr, bool absolute_mean = false);

}  // namespace borex::acquisition
