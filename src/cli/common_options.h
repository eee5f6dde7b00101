// Flags shared by every image command (model, image, label, preprocessing, device, output).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "borex/app/image_job.h"

namespace borex::cli {

// Raw flag values, converted by Apply() once CLI11 has parsed them.
struct CommonFlags {
  std::string mean, std, input_size;
  // Fills `job` from the parsed flags (throws OptionError for malformed values).
  void Apply(app::ImageJobOptions& job) const;
};

void AddCommonFlags(CLI::App& command, app::ImageJobOptions& job, CommonFlags& flags);
void AddRiseFlags(CLI::App& command, explain::RiseOptions& rise, const std::string& group);

// "0.485,0.456,0.406" -> three floats; `option` names the flag in errors.
cv::Vec3f ParseTriple(const std::string& text, const std::string& option);
// "224,224" (H,W) -> cv::Size(W, H).
cv::Size ParseSize(const std::string& text, const std::string& option);

}  // namespace borex::cli
