// Uses the installed library as the README's "Using the library" example does: one include, a
// TorchScript model, a refinement with the library's defaults, typed results.
#include <borex/borex.h>

#include <iostream>

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: consumer MODEL IMAGE OUT_PREFIX\n";
    return 2;
  }
  try {
    borex::model::ModelOptions model;
    model.path = argv[1];
    model.threads = 1;
    borex::model::TorchScriptClassifier classifier(model);

    borex::app::RefineJobOptions job;  // the defaults: kriging preset, the cheap RISE prior
    job.common.image_path = argv[2];
    job.common.out_prefix = argv[3];
    job.refine.iterations = 10;
    const borex::app::RefineJobResult result = borex::app::RunRefineJob(classifier, job);
    std::cout << "label " << result.label << " (" << result.class_name << "), "
              << result.model_calls << " model calls, map " << result.maps.front().cols << "x"
              << result.maps.front().rows << ", written: " << result.outputs.size() << " files\n";
    return result.refinement.iterations == 10 && result.outputs.size() == 4 ? 0 : 1;
  } catch (const borex::Error& e) {
    std::cerr << "borex: error: " << e.what() << "\n";
    return 1;
  }
}
