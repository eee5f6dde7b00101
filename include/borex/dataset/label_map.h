// Which model class stands for which dataset class, and the target label of an annotated image.
// An ImageNet model on PascalVOC maps many classes to one (dogs 151-268 -> "dog"); a model trained
// on the dataset's own classes maps each class to its own name.
#pragma once

#include <Eigen/Core>
#include <string>
#include <vector>

#include "borex/dataset/voc.h"

namespace borex::dataset {

class LabelMap {
 public:
  // A `--label-map` file: one "INDEX NAME" or "FIRST-LAST NAME" per line ('#' starts a comment).
  // Indices are the model's classes (< num_classes); names must be dataset classes. Throws
  // InputError naming the file and line otherwise.
  static LabelMap FromFile(const std::string& path, int num_classes,
                           const std::vector<std::string>& dataset_classes);
  // Each model class whose name is a dataset class maps to itself; empty when none does.
  static LabelMap FromClassNames(const std::vector<std::string>& model_classes,
                                 const std::vector<std::string>& dataset_classes);

  // The dataset class of model class `index`, or "" when it has none.
  const std::string& DatasetClass(int index) const;
  bool empty() const { return mapped_ == 0; }
  int mapped() const { return mapped_; }

 private:
  std::vector<std::string> names_;  // per model class
  int mapped_ = 0;
};

// The model class to explain for an annotated image: the best-ranked of the model's `top_k`
// classes (by `probabilities`) whose dataset class is annotated, as the BOREx authors do on VOC.
struct TargetLabel {
  int label = -1;          // -1: none of the top_k classes is annotated
  std::string class_name;  // its dataset class
};
TargetLabel ChooseTargetLabel(const Eigen::VectorXf& probabilities, const LabelMap& map,
                              const Annotation& annotation, int top_k);

}  // namespace borex::dataset
