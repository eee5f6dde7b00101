// What borex reads from an ONNX file itself, with the protobuf wire reader (borex/io/
// protobuf_wire.h): OpenCV 4.6's importer exposes neither the model's metadata_props nor its
// declared input shape. Field numbers from onnx/onnx.proto (ModelProto: 7 graph, 14
// metadata_props; GraphProto: 5 initializer, 11 input; ValueInfoProto: 1 name, 2 type; TypeProto:
// 1 tensor_type; TypeProto.Tensor: 2 shape; TensorShapeProto: 1 dim; Dimension: 1 dim_value,
// 2 dim_param; StringStringEntryProto: 1 key, 2 value).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace borex::model {

struct OnnxModelProto {
  std::map<std::string, std::string> metadata;  // metadata_props: key -> value
  // The model's input: the graph's first input that is not an initializer (older exporters list
  // the weights among the inputs too).
  std::string input_name;
  // Its declared dims; -1 for a symbolic (dim_param) or unset dimension. Empty when the graph
  // declares no shape.
  std::vector<int64_t> input_shape;
};

// Parses a serialized ModelProto; io::ProtobufError for malformed or truncated bytes or a
// message without a graph.
OnnxModelProto ParseOnnxModelProto(std::string_view bytes);

}  // namespace borex::model
