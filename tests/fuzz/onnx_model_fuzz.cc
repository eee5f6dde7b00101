// Fuzzes what borex reads from an ONNX file itself (model::ParseOnnxModelProto on the protobuf
// wire reader, then the "borex.json" metadata through model::ParseModelMetadata, as
// OnnxClassifier does before OpenCV sees the file): a model file is untrusted input, its varints,
// lengths, nesting and metadata JSON alike. io::ProtobufError or a borex::Error is the expected
// answer to a bad file; anything else (a crash, a sanitizer report, a hang) is a bug.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "borex/core/error.h"
#include "borex/io/protobuf_wire.h"
#include "borex/model/onnx_model_proto.h"
#include "borex/model/open_classifier.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const borex::model::OnnxModelProto proto = borex::model::ParseOnnxModelProto(
        std::string_view(reinterpret_cast<const char*>(data), size));
    for (const int64_t dim : proto.input_shape)
      if (dim < -1) __builtin_trap();  // -1 stands for a symbolic or unset dimension
    const auto metadata = proto.metadata.find("borex.json");
    if (metadata != proto.metadata.end()) {
      borex::model::ModelInfo info;
      try {
        borex::model::ParseModelMetadata("fuzz.onnx", metadata->second, info);
      } catch (const borex::Error&) {
      }
    }
  } catch (const borex::io::ProtobufError&) {
  }
  return 0;
}
