// ParseOnnxModelProto on hand-made ModelProto bytes: metadata_props, the input shape (the first
// graph input that is not an initializer), skipped fields, truncation.
#include "borex/model/onnx_model_proto.h"

#include <gtest/gtest.h>

#include <string>

#include "borex/io/protobuf_wire.h"

namespace {

using borex::io::ProtobufError;
using borex::model::OnnxModelProto;
using borex::model::ParseOnnxModelProto;

std::string Varint(uint64_t value) {
  std::string out;
  do {
    const auto byte = static_cast<char>(value & 0x7f);
    value >>= 7;
    out += value ? static_cast<char>(byte | 0x80) : byte;
  } while (value);
  return out;
}

std::string Bytes(uint32_t field, const std::string& payload) {
  return Varint(field << 3 | 2) + Varint(payload.size()) + payload;
}

std::string VarintField(uint32_t field, uint64_t value) {
  return Varint(field << 3) + Varint(value);
}

// A ValueInfoProto named `name` of a float tensor whose dims are numbers, or -1 for a
// dim_param "batch".
std::string ValueInfo(const std::string& name, const std::vector<int64_t>& dims) {
  std::string shape;
  for (const int64_t dim : dims)
    shape += Bytes(1, dim < 0 ? Bytes(2, "batch") : VarintField(1, static_cast<uint64_t>(dim)));
  const std::string tensor_type = VarintField(1, 1) + Bytes(2, shape);
  return Bytes(1, name) + Bytes(2, Bytes(1, tensor_type));
}

std::string Model() {
  // An initializer "fc.weight" (TensorProto: dims 1, data type 2, name 8, raw_data 9) that an
  // older exporter also lists as an input, before the real input.
  const std::string initializer = VarintField(1, 10) + VarintField(2, 1) + Bytes(8, "fc.weight") +
                                  Bytes(9, std::string(40, '\0'));
  const std::string graph = Bytes(1, "a node") + Bytes(2, "main") + Bytes(5, initializer) +
                            Bytes(11, ValueInfo("fc.weight", {10})) +
                            Bytes(11, ValueInfo("input", {-1, 3, 32, 48})) +
                            Bytes(12, ValueInfo("logits", {-1, 10}));
  const std::string metadata = R"({"class_names": ["a", "b"], "input_size": [32, 48]})";
  return VarintField(1, 8) + Bytes(2, "pytorch") + Bytes(7, graph) +
         Bytes(14, Bytes(1, "borex.json") + Bytes(2, metadata)) +
         Bytes(14, Bytes(1, "author") + Bytes(2, "someone"));
}

TEST(OnnxModelProtoTest, ReadsMetadataAndTheInputShape) {
  const OnnxModelProto model = ParseOnnxModelProto(Model());
  ASSERT_EQ(model.metadata.size(), 2u);
  EXPECT_EQ(model.metadata.at("borex.json"),
            R"({"class_names": ["a", "b"], "input_size": [32, 48]})");
  EXPECT_EQ(model.metadata.at("author"), "someone");
  EXPECT_EQ(model.input_name, "input");
  EXPECT_EQ(model.input_shape, (std::vector<int64_t>{-1, 3, 32, 48}));
}

TEST(OnnxModelProtoTest, AModelWithoutMetadataOrShape) {
  const std::string graph = Bytes(11, Bytes(1, "x"));
  const OnnxModelProto model = ParseOnnxModelProto(Bytes(7, graph));
  EXPECT_TRUE(model.metadata.empty());
  EXPECT_EQ(model.input_name, "x");
  EXPECT_TRUE(model.input_shape.empty());
}

TEST(OnnxModelProtoTest, TheLastTypeOfAnInputCountsAndOnlyNumericDimsAreSizes) {
  // A ValueInfoProto whose type (field 2) comes twice, the first without a shape: protobuf merges
  // an embedded message given twice, and the shape is the second's. A dim_value (field 1) that is
  // not a varint is not a size: the dim is unknown (-1).
  const std::string tensor_type =
      VarintField(1, 1) + Bytes(2, Bytes(1, VarintField(1, 3)) + Bytes(1, Bytes(1, "7")));
  const std::string input =
      Bytes(1, "x") + Bytes(2, Bytes(1, VarintField(1, 1))) + Bytes(2, Bytes(1, tensor_type));
  const OnnxModelProto model = ParseOnnxModelProto(Bytes(7, Bytes(11, input)));
  EXPECT_EQ(model.input_shape, (std::vector<int64_t>{3, -1}));
}

TEST(OnnxModelProtoTest, EveryTruncationIsAnError) {
  const std::string bytes = Model();
  // Cutting the file anywhere inside the graph or a metadata entry leaves a length-delimited
  // field longer than what remains (the prefixes that end between fields lack the graph or
  // parse as a shorter valid model).
  int errors = 0;
  for (size_t size = 0; size < bytes.size(); ++size) {
    try {
      const OnnxModelProto model = ParseOnnxModelProto(bytes.substr(0, size));
      EXPECT_LT(model.metadata.size(), 2u) << size;
    } catch (const ProtobufError&) {
      ++errors;
    }
  }
  EXPECT_GT(errors, static_cast<int>(bytes.size()) - 6);
  EXPECT_THROW(ParseOnnxModelProto("not a model"), ProtobufError);
  EXPECT_THROW(ParseOnnxModelProto(""), ProtobufError);  // no graph
}

}  // namespace
