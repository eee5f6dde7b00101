// borex in one include: every public header of the library. Link borex::borex (the TorchScript
// backend and model::OpenClassifier included) or borex::borex_core (everything but the
// TorchScript backend: the ONNX backend, or your own model::Classifier). Example (README, "Using
// the library"):
//
//   #include <borex/borex.h>
//
//   borex::model::ModelOptions model;
//   model.path = "models/fashion_scenes_resnet.pt";  // or an .onnx file
//   const auto classifier = borex::model::OpenClassifier(model);
//   borex::app::RefineJobOptions job;  // the defaults: kriging preset, the cheap RISE prior
//   job.common.image_path = "examples/scene_multi.png";
//   job.common.out_prefix = "out/scene_multi_borex";
//   const borex::app::RefineJobResult result = borex::app::RunRefineJob(*classifier, job);
#pragma once

#include "borex/core/adam.h"
#include "borex/core/enum_names.h"
#include "borex/core/error.h"
#include "borex/core/parse.h"
#include "borex/core/random.h"

#include "borex/model/classifier.h"
#include "borex/model/onnx_classifier.h"
#include "borex/model/onnx_model_proto.h"
#include "borex/model/open_classifier.h"         // OpenClassifier links with borex::borex only
#include "borex/model/torchscript_classifier.h"  // links with borex::borex only

#include "borex/mask/infill.h"
#include "borex/mask/rise_masks.h"
#include "borex/mask/square_mask.h"

#include "borex/explain/fido.h"
#include "borex/explain/grad_cam.h"
#include "borex/explain/method.h"
#include "borex/explain/opti_cam.h"
#include "borex/explain/rise.h"
#include "borex/explain/soft_mask.h"
#include "borex/explain/undesirable.h"

#include "borex/gp/gaussian_process.h"
#include "borex/gp/hyperparameters.h"
#include "borex/gp/kernel.h"

#include "borex/acquisition/ucb.h"

#include "borex/refine/refine_options.h"
#include "borex/refine/refiner.h"

#include "borex/metrics/metrics.h"

#include "borex/stats/wilcoxon.h"

#include "borex/io/atomic_file.h"
#include "borex/io/csv.h"
#include "borex/io/heatmap.h"
#include "borex/io/image.h"
#include "borex/io/json_file.h"
#include "borex/io/npy.h"
#include "borex/io/protobuf_wire.h"
#include "borex/io/video.h"

#include "borex/dataset/label_map.h"
#include "borex/dataset/video_clips.h"
#include "borex/dataset/voc.h"

#include "borex/app/batch.h"
#include "borex/app/compare.h"
#include "borex/app/evaluate_job.h"
#include "borex/app/image_job.h"
#include "borex/app/prepared_image.h"
#include "borex/app/report.h"
