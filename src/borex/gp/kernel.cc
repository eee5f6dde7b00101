#include "borex/gp/kernel.h"

#include <cmath>

#include "borex/core/error.h"

namespace borex::gp {

MaternNu ParseMaternNu(const std::string& name) {
  if (name == "matern12") return MaternNu::kOneHalf;
  if (name == "matern32") return MaternNu::kThreeHalves;
  if (name == "matern52") return MaternNu::kFiveHalves;
  throw OptionError("--kernel", "'" + name + "' is not one of matern12, matern32, matern52");
}

std::string MaternName(MaternNu nu) {
  switch (nu) {
    case MaternNu::kOneHalf:
      return "matern12";
    case MaternNu::kThreeHalves:
      return "matern32";
    case MaternNu::kFiveHalves:
      return "matern52";
  }
  return "";
}

MaternKernel::MaternKernel(MaternNu nu, Eigen::VectorXd length_scales, double signal_variance)
    : nu_(nu), length_scales_(std::move(length_scales)), signal_variance_(signal_variance) {
  if (length_scales_.size() == 0 || !(length_scales_.array() > 0).all() ||
      !length_scales_.allFinite())
    throw OptionError("--length-scale", "length scales must be positive and finite");
  if (!(signal_variance_ > 0) || !std::isfinite(signal_variance_))
    throw Error("kernel signal variance must be positive");
}

double MaternKernel::Profile(MaternNu nu, double d) {
  switch (nu) {
    case MaternNu::kOneHalf:
      return std::exp(-d);
    case MaternNu::kThreeHalves: {
      const double t = std::sqrt(3.0) * d;
      return (1.0 + t) * std::exp(-t);
    }
    case MaternNu::kFiveHalves: {
      const double t = std::sqrt(5.0) * d;
      return (1.0 + t + t * t / 3.0) * std::exp(-t);
    }
  }
  return 0;
}

double MaternKernel::operator()(const Eigen::Ref<const Eigen::VectorXd>& a,
                                const Eigen::Ref<const Eigen::VectorXd>& b) const {
  const double d = ((a - b).array() / length_scales_.array()).matrix().norm();
  return signal_variance_ * Profile(nu_, d);
}

void MaternKernel::Column(const Eigen::Ref<const Eigen::VectorXd>& x,
                          const Eigen::Ref<const Eigen::MatrixXf>& points,
                          Eigen::Ref<Eigen::VectorXf> out) const {
  BOREX_CHECK_EQ(points.rows(), length_scales_.size());
  BOREX_CHECK_EQ(out.size(), points.cols());
  auto result = out.array();
  result.setZero();
  for (Eigen::Index j = 0; j < points.rows(); ++j) {
    const float inverse = static_cast<float>(1.0 / length_scales_[j]);
    const float origin = static_cast<float>(x[j]);
    result += ((points.row(j).transpose().array() - origin) * inverse).square();
  }
  const float variance = static_cast<float>(signal_variance_);
  switch (nu_) {
    case MaternNu::kOneHalf:
      result = variance * (-result.sqrt()).exp();
      break;
    case MaternNu::kThreeHalves: {
      result = result.sqrt() * std::sqrt(3.0f);
      result = variance * (1.0f + result) * (-result).exp();
      break;
    }
    case MaternNu::kFiveHalves: {
      const Eigen::ArrayXf t = result.sqrt() * std::sqrt(5.0f);
      result = variance * (1.0f + t + t.square() / 3.0f) * (-t).exp();
      break;
    }
  }
}

}  // namespace borex::gp
