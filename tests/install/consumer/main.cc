// Uses the installed library: parses BOREx options and aggregates two constant maps.
#include <borex/refine/refiner.h>

#include <iostream>

int main() {
  const auto sizes = borex::refine::ParseMaskSizes("0.25,60px");
  const cv::Mat a(4, 4, CV_32FC1, cv::Scalar(2.0)), b(4, 4, CV_32FC1, cv::Scalar(8.0));
  const cv::Mat map = borex::refine::AggregateSides({a, b}, {2.0, 4.0},
                                                    borex::refine::Aggregation::kPointwise, true);
  const double expected = (2.0 / 4 + 8.0 / 16) / 2;
  std::cout << "sizes " << sizes.size() << " value " << map.at<float>(0, 0) << "\n";
  return sizes.size() == 2 && std::abs(map.at<float>(0, 0) - expected) < 1e-6 ? 0 : 1;
}
