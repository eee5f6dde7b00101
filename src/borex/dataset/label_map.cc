#include "borex/dataset/label_map.h"

#include <algorithm>
#include <fstream>
#include <numeric>
#include <sstream>

#include "borex/core/error.h"
#include "borex/io/input_file.h"

namespace borex::dataset {
namespace {

bool ParseIndex(const std::string& text, int* value) {
  size_t used = 0;
  try {
    *value = std::stoi(text, &used);
  } catch (const std::exception&) {
    return false;
  }
  return used == text.size();
}

}  // namespace

LabelMap LabelMap::FromFile(const std::string& path, int num_classes,
                            const std::vector<std::string>& dataset_classes) {
  io::CheckInputFile(path, "a label map file");
  std::ifstream in(path);
  if (!in) throw InputError(path, "cannot open label map");
  LabelMap map;
  map.names_.assign(num_classes, "");
  int line_number = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_number;
    line = line.substr(0, line.find('#'));
    std::istringstream fields(line);
    std::string range, name, extra;
    if (!(fields >> range)) continue;
    const std::string where = "line " + std::to_string(line_number) + ": ";
    if (!(fields >> name) || (fields >> extra))
      throw InputError(path, where + "expected 'INDEX NAME' or 'FIRST-LAST NAME'");
    const size_t dash = range.find('-', 1);
    int first = 0, last = 0;
    if (!ParseIndex(range.substr(0, dash), &first) ||
        !ParseIndex(dash == std::string::npos ? range.substr(0, dash) : range.substr(dash + 1),
                    &last) ||
        first > last)
      throw InputError(path, where + "'" + range + "' is not INDEX or FIRST-LAST");
    if (first < 0 || last >= num_classes)
      throw InputError(path, where + "class " + range + " is outside the model's 0.." +
                                 std::to_string(num_classes - 1));
    if (std::find(dataset_classes.begin(), dataset_classes.end(), name) == dataset_classes.end())
      throw InputError(path, where + "'" + name + "' is not a dataset class");
    for (int index = first; index <= last; ++index) {
      if (!map.names_[index].empty() && map.names_[index] != name)
        throw InputError(path, where + "class " + std::to_string(index) +
                                   " is already mapped to '" + map.names_[index] + "'");
      map.names_[index] = name;
    }
  }
  map.mapped_ = static_cast<int>(
      std::count_if(map.names_.begin(), map.names_.end(), [](auto& n) { return !n.empty(); }));
  if (map.mapped_ == 0) throw InputError(path, "the label map maps no class");
  return map;
}

LabelMap LabelMap::FromClassNames(const std::vector<std::string>& model_classes,
                                  const std::vector<std::string>& dataset_classes) {
  LabelMap map;
  for (const std::string& name : model_classes) {
    const bool known =
        std::find(dataset_classes.begin(), dataset_classes.end(), name) != dataset_classes.end();
    map.names_.push_back(known ? name : "");
    map.mapped_ += known;
  }
  return map;
}

const std::string& LabelMap::DatasetClass(int index) const {
  static const std::string none;
  return index >= 0 && index < static_cast<int>(names_.size()) ? names_[index] : none;
}

TargetLabel ChooseTargetLabel(const Eigen::VectorXf& probabilities, const LabelMap& map,
                              const Annotation& annotation, int top_k) {
  std::vector<int> order(probabilities.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return probabilities[a] > probabilities[b]; });
  const int considered = std::min<int>(top_k, static_cast<int>(order.size()));
  for (int rank = 0; rank < considered; ++rank) {
    const std::string& name = map.DatasetClass(order[rank]);
    if (!name.empty() && annotation.HasName(name)) return {order[rank], name};
  }
  return {};
}

}  // namespace borex::dataset
