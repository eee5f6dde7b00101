#include "borex/gp/kernel.h"

#include <cmath>
#include <sstream>

#include "borex/core/enum_names.h"
#include "borex/core/error.h"

namespace borex::gp {

namespace {
const EnumNames<MaternNu> kMaternNames{{MaternNu::kOneHalf, "matern12"},
                                       {MaternNu::kThreeHalves, "matern32"},
                                       {MaternNu::kFiveHalves, "matern52"}};
}  // namespace

MaternNu ParseMaternNu(const std::string& name) { return kMaternNames.Parse(name, "--kernel"); }

std::string MaternName(MaternNu nu) { return kMaternNames.Name(nu); }

MaternKernel::MaternKernel(MaternNu nu, Eigen::VectorXd length_scales, double signal_variance)
    : nu_(nu), length_scales_(std::move(length_scales)), signal_variance_(signal_variance) {
  if (length_scales_.size() == 0 || !length_scales_.allFinite() ||
      !(length_scales_.array() > 0).all()) {
    std::ostringstream values;
    values << length_scales_.transpose();
    throw OptionError("--length-scale",
                      "length scales must be positive and finite, got [" + values.str() + "]");
  }
  if (!(signal_variance_ > 0) || !std::isfinite(signal_variance_))
    throw Error(internal::Concat("kernel signal variance must be positive and finite, got ",
                                 signal_variance_));
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
      return (1.0 + t + t * t / 3.0) * std::exp(-t);  // t²/3 = 5d²/3
    }
  }
  throw Error("unknown Matérn smoothness");
}

double MaternKernel::operator()(const Eigen::Ref<const Eigen::VectorXd>& a,
                                const Eigen::Ref<const Eigen::VectorXd>& b) const {
  BOREX_CHECK_EQ(a.size(), length_scales_.size());
  BOREX_CHECK_EQ(b.size(), length_scales_.size());
  const double d = ((a - b).array() / length_scales_.array()).matrix().norm();
  return signal_variance_ * Profile(nu_, d);
}

void MaternKernel::Column(const Eigen::Ref<const Eigen::VectorXd>& x,
                          const Eigen::Ref<const Eigen::MatrixXf>& points,
                          Eigen::Ref<Eigen::VectorXf> out) const {
  BOREX_CHECK_EQ(x.size(), length_scales_.size());
  BOREX_CHECK_EQ(points.rows(), length_scales_.size());
  BOREX_CHECK_EQ(out.size(), points.cols());
  // Squared scaled distance accumulated one dimension at a time over the whole array, then the
  // profile on the whole array: every step is a vectorisable element-wise expression.
  auto result = out.array();
  result.setZero();
  for (Eigen::Index j = 0; j < points.rows(); ++j) {
    const float inverse_scale = static_cast<float>(1.0 / length_scales_[j]);
    const float origin = static_cast<float>(x[j]);
    result += ((points.row(j).transpose().array() - origin) * inverse_scale).square();
  }
  const float variance = static_cast<float>(signal_variance_);
  switch (nu_) {
    case MaternNu::kOneHalf:
      result = variance * (-result.sqrt()).exp();
      break;
    case MaternNu::kThreeHalves:
      result = result.sqrt() * std::sqrt(3.0f);  // t = √3 d
      result = variance * (1.0f + result) * (-result).exp();
      break;
    case MaternNu::kFiveHalves:
      result = result.sqrt() * std::sqrt(5.0f);  // t = √5 d
      result = variance * (1.0f + result + result.square() * (1.0f / 3.0f)) * (-result).exp();
      break;
  }
}

}  // namespace borex::gp
