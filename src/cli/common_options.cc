#include "common_options.h"

#include <sstream>

#include "borex/core/error.h"

namespace borex::cli {
namespace {

std::vector<double> ParseNumbers(const std::string& text, const std::string& option, size_t count,
                                 const std::string& form) {
  std::vector<double> values;
  std::stringstream stream(text);
  for (std::string item; std::getline(stream, item, ',');) {
    size_t used = 0;
    double value = 0;
    try {
      value = std::stod(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != item.size()) break;
    values.push_back(value);
  }
  if (values.size() != count || (!text.empty() && text.back() == ','))
    throw OptionError(option, "'" + text + "' is not " + form);
  return values;
}

}  // namespace

cv::Vec3f ParseTriple(const std::string& text, const std::string& option) {
  const auto v = ParseNumbers(text, option, 3, "three comma-separated numbers R,G,B");
  return {static_cast<float>(v[0]), static_cast<float>(v[1]), static_cast<float>(v[2])};
}

cv::Size ParseSize(const std::string& text, const std::string& option) {
  const auto v = ParseNumbers(text, option, 2, "H,W (two positive integers)");
  if (v[0] < 1 || v[1] < 1 || v[0] != static_cast<int>(v[0]) || v[1] != static_cast<int>(v[1]))
    throw OptionError(option, "'" + text + "' is not H,W (two positive integers)");
  return {static_cast<int>(v[1]), static_cast<int>(v[0])};
}

void CommonFlags::Apply(app::ImageJobOptions& job) const {
  if (!mean.empty()) job.model.mean = ParseTriple(mean, "--mean");
  if (!std.empty()) job.model.std = ParseTriple(std, "--std");
  if (!input_size.empty()) job.model.input_size = ParseSize(input_size, "--input-size");
}

void AddCommonFlags(CLI::App& command, app::ImageJobOptions& job, CommonFlags& flags) {
  const std::string group = "Model and image";
  command.add_option("--model", job.model.path, "TorchScript classifier (.pt)")
      ->required()
      ->group(group);
  command.add_option("--image", job.image_path, "Image to explain (PNG, JPEG, any OpenCV format)")
      ->required()
      ->group(group);
  command
      .add_option("--label", job.label,
                  "Class to explain: an index or a class name (default: the model's top-1)")
      ->group(group);
  command
      .add_option("--out", job.out_prefix,
                  "Output prefix: writes PREFIX.npy, PREFIX.png, PREFIX_overlay.png, "
                  "PREFIX.json")
      ->required()
      ->group(group);
  command.add_option("--device", job.model.device, "cpu or cuda")
      ->capture_default_str()
      ->group(group);
  command
      .add_option("--threads", job.model.threads,
                  "CPU threads for the model (default 0: all cores)")
      ->capture_default_str()
      ->group(group);
  const std::string pre = "Preprocessing (for models without borex metadata; flags win)";
  command
      .add_option("--mean", flags.mean,
                  "R,G,B mean subtracted from [0,1] pixels (default: metadata, else ImageNet)")
      ->group(pre);
  command
      .add_option("--std", flags.std, "R,G,B standard deviation (default: metadata, else ImageNet)")
      ->group(pre);
  command
      .add_option("--input-size", flags.input_size,
                  "H,W the model expects (default: metadata, else the image's own size)")
      ->group(pre);
  command
      .add_option("--classes", job.model.classes_file,
                  "File with one class name per line (default: metadata)")
      ->group(pre);
}

void AddRiseFlags(CLI::App& command, explain::RiseOptions& rise, const std::string& group) {
  command.add_option("--masks", rise.masks, "RISE: number of random masks N")
      ->capture_default_str()
      ->group(group);
  command.add_option("--grid", rise.grid, "RISE: cells per side s of the random grid")
      ->capture_default_str()
      ->group(group);
  command.add_option("--keep-prob", rise.keep_prob, "RISE: probability p1 that a cell is kept")
      ->capture_default_str()
      ->group(group);
  command.add_option("--batch-size", rise.batch_size, "Images per forward pass")
      ->capture_default_str()
      ->group(group);
}

}  // namespace borex::cli
