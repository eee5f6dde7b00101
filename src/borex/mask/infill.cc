#include "borex/mask/infill.h"

#include <opencv2/imgproc.hpp>
#include <opencv2/photo.hpp>

#include "borex/core/enum_names.h"
#include "borex/core/error.h"
#include "borex/core/random.h"

namespace borex::mask {
namespace {

// The noise image's stream: the seed mixed with a constant, so that a caller seeding its own
// Random (RISE's masks, BOREx's jitter) with the same seed draws numbers unrelated to the noise.
constexpr std::uint64_t kNoiseStream = 0x6E6F697365ull;  // "noise"

cv::Mat MaskIndependentFill(const cv::Mat& image, Infill infill, const cv::Vec3f& mean,
                            int frame_rows, std::uint64_t seed) {
  switch (infill) {
    case Infill::kBlack:
      return cv::Mat::zeros(image.size(), CV_32FC3);
    case Infill::kMean:
      return cv::Mat(image.size(), CV_32FC3, cv::Scalar(mean[0], mean[1], mean[2]));
    case Infill::kBlur: {
      cv::Mat blurred(image.size(), CV_32FC3);
      for (int row = 0; row < image.rows; row += frame_rows)
        // A copy of the frame: a filter on a view would read the neighbouring frames.
        cv::GaussianBlur(image.rowRange(row, row + frame_rows).clone(),
                         blurred.rowRange(row, row + frame_rows), cv::Size(11, 11), 5.0);
      return blurred;
    }
    case Infill::kNoise: {
      Random random(seed ^ kNoiseStream);
      cv::Mat noise(image.size(), CV_32FC3);
      for (int r = 0; r < noise.rows; ++r) {
        float* row = noise.ptr<float>(r);
        for (int i = 0; i < noise.cols * 3; ++i)
          row[i] = static_cast<float>(random.UniformDouble());
      }
      return noise;
    }
    case Infill::kInpaint:
      break;
  }
  return {};
}

}  // namespace

const EnumNames<Infill> kInfills{{Infill::kBlack, "black"},
                                 {Infill::kMean, "mean"},
                                 {Infill::kBlur, "blur"},
                                 {Infill::kNoise, "noise"},
                                 {Infill::kInpaint, "inpaint"}};

Infill ParseInfill(const std::string& name, const std::string& option) {
  return kInfills.Parse(name, option);
}

std::string InfillName(Infill infill) { return kInfills.Name(infill); }

bool InfillIsMaskIndependent(Infill infill) { return infill != Infill::kInpaint; }

Infiller::Infiller(const cv::Mat& image, Infill infill, const cv::Vec3f& model_mean, int frame_rows,
                   std::uint64_t seed)
    : image_(image), infill_(infill), mean_(model_mean), frame_rows_(frame_rows) {
  BOREX_CHECK(image.type() == CV_32FC3 && !image.empty());
  BOREX_CHECK_GT(frame_rows, 0);
  BOREX_CHECK_EQ(image.rows % frame_rows, 0);
  fill_ = MaskIndependentFill(image, infill, model_mean, frame_rows, seed);
}

const cv::Mat& Infiller::fill() const {
  BOREX_CHECK(InfillIsMaskIndependent(infill_));
  return fill_;
}

cv::Mat Infiller::FillFor(const cv::Mat& hidden) const {
  BOREX_CHECK(hidden.type() == CV_8UC1 && hidden.size() == image_.size());
  if (InfillIsMaskIndependent(infill_)) return fill_;
  cv::Mat out = image_.clone();
  for (int row = 0; row < image_.rows; row += frame_rows_) {
    const cv::Range rows(row, row + frame_rows_);
    const cv::Mat frame_hidden = hidden.rowRange(rows);
    const int hidden_pixels = cv::countNonZero(frame_hidden);
    if (hidden_pixels == 0) continue;
    cv::Mat frame = out.rowRange(rows);
    if (hidden_pixels == static_cast<int>(frame_hidden.total())) {
      frame.setTo(cv::Scalar(mean_[0], mean_[1], mean_[2]));
      continue;
    }
    cv::Mat frame8, inpainted8, inpainted;
    image_.rowRange(rows).convertTo(frame8, CV_8UC3, 255.0);  // saturating, rounded
    cv::inpaint(frame8, frame_hidden, inpainted8, 5.0, cv::INPAINT_TELEA);
    inpainted8.convertTo(inpainted, CV_32FC3, 1.0 / 255.0);
    inpainted.copyTo(frame, frame_hidden);  // the visible pixels stay the image's, bit for bit
  }
  return out;
}

void Infiller::Apply(const cv::Mat& keep, cv::Mat& out) const {
  BOREX_CHECK(keep.type() == CV_32FC1 && keep.size() == image_.size());
  Blend(image_, InfillIsMaskIndependent(infill_) ? fill_ : FillFor(keep < 0.5), keep, out);
}

void Blend(const cv::Mat& image, const cv::Mat& fill, const cv::Mat& keep, cv::Mat& out) {
  BOREX_CHECK(image.type() == CV_32FC3 && fill.type() == CV_32FC3 && fill.size() == image.size());
  BOREX_CHECK(keep.type() == CV_32FC1 && keep.size() == image.size());
  out.create(image.size(), CV_32FC3);
  for (int r = 0; r < image.rows; ++r) {
    const float* m = keep.ptr<float>(r);
    const auto* x = image.ptr<cv::Vec3f>(r);
    const auto* f = fill.ptr<cv::Vec3f>(r);
    auto* o = out.ptr<cv::Vec3f>(r);
    // m·x + (1 − m)·f: exactly x where m = 1 and exactly f where m = 0.
    for (int c = 0; c < image.cols; ++c) o[c] = m[c] * x[c] + (1.0f - m[c]) * f[c];
  }
}

void Infiller::ApplyHidden(const cv::Mat& hidden, cv::Mat& out) const {
  const cv::Mat fill = FillFor(hidden);
  image_.copyTo(out);
  fill.copyTo(out, hidden);
}

void Infiller::ApplyCuboid(const Cuboid& cuboid, bool keep_only_cuboid, cv::Mat& out) const {
  if (InfillIsMaskIndependent(infill_)) {
    OccludeCuboid(image_, frame_rows_, cuboid, keep_only_cuboid, fill_, out);
    return;
  }
  cv::Mat hidden;
  OccludeCuboid(cv::Mat::zeros(image_.size(), CV_8UC1), frame_rows_, cuboid, keep_only_cuboid,
                cv::Mat(image_.size(), CV_8UC1, cv::Scalar(255)), hidden);
  OccludeCuboid(image_, frame_rows_, cuboid, keep_only_cuboid, FillFor(hidden), out);
}

}  // namespace borex::mask
