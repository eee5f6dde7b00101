// The protobuf wire reader on hand-made bytes (encodings from
// https://protobuf.dev/programming-guides/encoding/).
#include "borex/io/protobuf_wire.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using borex::io::ProtobufError;
using borex::io::ProtoField;
using borex::io::ProtoReader;
using borex::io::WireType;

std::vector<ProtoField> ReadAll(const std::string& bytes) {
  std::vector<ProtoField> fields;
  ProtoReader reader(bytes);
  for (ProtoField field; reader.Next(field);) fields.push_back(field);
  return fields;
}

TEST(ProtobufWireTest, ReadsEveryWireType) {
  // Field 1 varint 150 (the guide's example 08 96 01), field 2 string "testing", field 3 fixed32
  // 0x01020304, field 4 fixed64 1, field 300 varint 0 (a two-byte tag).
  const std::string bytes =
      std::string("\x08\x96\x01", 3) + "\x12\x07testing" + std::string("\x1d\x04\x03\x02\x01", 5) +
      std::string("\x21\x01\x00\x00\x00\x00\x00\x00\x00", 9) + std::string("\xe0\x12\x00", 3);
  const std::vector<ProtoField> fields = ReadAll(bytes);
  ASSERT_EQ(fields.size(), 5u);
  EXPECT_EQ(fields[0].number, 1u);
  EXPECT_EQ(fields[0].type, WireType::kVarint);
  EXPECT_EQ(fields[0].value, 150u);
  EXPECT_EQ(fields[1].number, 2u);
  EXPECT_EQ(fields[1].type, WireType::kLengthDelimited);
  EXPECT_EQ(fields[1].bytes, "testing");
  EXPECT_EQ(fields[2].type, WireType::kFixed32);
  EXPECT_EQ(fields[2].value, 0x01020304u);
  EXPECT_EQ(fields[3].type, WireType::kFixed64);
  EXPECT_EQ(fields[3].value, 1u);
  EXPECT_EQ(fields[4].number, 300u);
  EXPECT_EQ(fields[4].value, 0u);
}

TEST(ProtobufWireTest, ReadsTheLargestVarintAndAnEmptyMessage) {
  const std::string max = "\x08" + std::string(9, '\xff') + "\x01";  // 2^64 - 1
  const std::vector<ProtoField> fields = ReadAll(max);
  ASSERT_EQ(fields.size(), 1u);
  EXPECT_EQ(fields[0].value, ~uint64_t{0});
  EXPECT_TRUE(ReadAll("").empty());
}

TEST(ProtobufWireTest, RejectsTruncatedAndMalformedBytes) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {std::string("\x08\x96", 2), "truncated varint at byte 1"},
      {"\x12\x07test", "truncated field: 7 bytes at byte 2, 4 left"},
      {std::string("\x1d\x04\x03", 3), "truncated field: 4 bytes"},
      {std::string("\x21\x01", 2), "truncated field: 8 bytes"},
      {"\x08" + std::string(10, '\xff') + "\x01", "varint longer than 10 bytes at byte 1"},
      {std::string("\x00\x01", 2), "invalid field number at byte 0"},
      {std::string("\x0b\x00", 2), "unsupported wire type 3 (field 1) at byte 0"},
      // A length-delimited field whose length points far past the end (a cut-off file).
      {"\x12\xff\xff\xff\xff\x0f", "truncated field: 4294967295 bytes at byte 6, 0 left"},
  };
  for (const auto& [bytes, message] : cases) {
    try {
      ReadAll(bytes);
      ADD_FAILURE() << "no error for " << message;
    } catch (const ProtobufError& e) {
      EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
    }
  }
}

// A field that ends exactly at the end of the message (the usual last field) is whole, not cut.
TEST(ProtobufWireTest, ReadsAFieldThatEndsExactlyAtTheEndOfTheMessage) {
  // The fields' bytes view the message: it lives as long as they are read.
  const std::string text_message = "\x12\x07testing";
  const std::vector<ProtoField> text = ReadAll(text_message);
  ASSERT_EQ(text.size(), 1u);
  EXPECT_EQ(text[0].bytes, "testing");
  const std::string fixed32_message("\x1d\x04\x03\x02\x01", 5);
  const std::vector<ProtoField> fixed32 = ReadAll(fixed32_message);
  ASSERT_EQ(fixed32.size(), 1u);
  EXPECT_EQ(fixed32[0].value, 0x01020304u);
  const std::string empty_message("\x12\x00", 2);  // an empty string
  const std::vector<ProtoField> empty = ReadAll(empty_message);
  ASSERT_EQ(empty.size(), 1u);
  EXPECT_EQ(empty[0].bytes, "");
}

}  // namespace
