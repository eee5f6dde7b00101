#include "borex/model/onnx_model_proto.h"

#include <set>

#include "borex/io/protobuf_wire.h"

namespace borex::model {
namespace {

using io::ProtoField;
using io::ProtoReader;
using io::WireType;

bool IsMessage(const ProtoField& field, uint32_t number) {
  return field.number == number && field.type == WireType::kLengthDelimited;
}

// The payload of the last length-delimited field `number` of `message` (empty if none).
std::string_view SubMessage(std::string_view message, uint32_t number) {
  std::string_view found;
  ProtoReader reader(message);
  for (ProtoField field; reader.Next(field);)
    if (IsMessage(field, number)) found = field.bytes;
  return found;
}

std::pair<std::string, std::string> ReadStringEntry(std::string_view entry) {
  std::pair<std::string, std::string> key_value;
  ProtoReader reader(entry);
  for (ProtoField field; reader.Next(field);) {
    if (IsMessage(field, 1)) key_value.first = std::string(field.bytes);
    if (IsMessage(field, 2)) key_value.second = std::string(field.bytes);
  }
  return key_value;
}

// ValueInfoProto.type.tensor_type.shape.dim[*]: dim_value, or -1.
std::vector<int64_t> ReadTensorShape(std::string_view value_info) {
  const std::string_view shape = SubMessage(SubMessage(SubMessage(value_info, 2), 1), 2);
  std::vector<int64_t> dims;
  ProtoReader reader(shape);
  for (ProtoField field; reader.Next(field);) {
    if (!IsMessage(field, 1)) continue;
    int64_t dim = -1;
    ProtoReader dimension(field.bytes);
    for (ProtoField part; dimension.Next(part);)
      if (part.number == 1 && part.type == WireType::kVarint)
        dim = static_cast<int64_t>(part.value);
    dims.push_back(dim);
  }
  return dims;
}

}  // namespace

OnnxModelProto ParseOnnxModelProto(std::string_view bytes) {
  OnnxModelProto model;
  std::string_view graph;
  bool has_graph = false;
  ProtoReader reader(bytes);
  for (ProtoField field; reader.Next(field);) {
    if (IsMessage(field, 7)) {
      graph = field.bytes;
      has_graph = true;
    } else if (IsMessage(field, 14)) {
      auto [key, value] = ReadStringEntry(field.bytes);
      model.metadata[key] = std::move(value);
    }
  }
  if (!has_graph) throw io::ProtobufError("no graph (ModelProto field 7): not an ONNX model");

  std::set<std::string> initializers;
  std::vector<std::string_view> inputs;
  ProtoReader graph_reader(graph);
  for (ProtoField field; graph_reader.Next(field);) {
    if (IsMessage(field, 5)) {
      ProtoReader tensor(field.bytes);  // TensorProto: field 8 is its name
      for (ProtoField part; tensor.Next(part);)
        if (IsMessage(part, 8)) initializers.insert(std::string(part.bytes));
    } else if (IsMessage(field, 11)) {
      inputs.push_back(field.bytes);
    }
  }
  for (const std::string_view input : inputs) {
    std::string name;
    ProtoReader value_info(input);
    for (ProtoField part; value_info.Next(part);)
      if (IsMessage(part, 1)) name = std::string(part.bytes);
    if (initializers.count(name) > 0) continue;
    model.input_name = name;
    model.input_shape = ReadTensorShape(input);
    break;
  }
  return model;
}

}  // namespace borex::model
