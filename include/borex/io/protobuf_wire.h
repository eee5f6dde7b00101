// A reader of protobuf's wire format (https://protobuf.dev/programming-guides/encoding/), enough
// to walk a message's fields, read the few wanted and skip the rest, without the message's schema
// compiled in. borex reads ONNX files' metadata_props and input shape with it, which OpenCV's
// ONNX importer does not expose, and Debian packages no ONNX schema for libprotobuf.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string_view>

namespace borex::io {

// A field's wire type (the low 3 bits of its tag). Groups (3, 4) are deprecated and not read.
enum class WireType : int { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

// Malformed or truncated bytes; the message says what and at which byte offset.
class ProtobufError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ProtoField {
  uint32_t number = 0;
  WireType type = WireType::kVarint;
  uint64_t value = 0;      // kVarint, kFixed64, kFixed32: the value
  std::string_view bytes;  // kLengthDelimited: the payload (a string, bytes or a sub-message)
};

// The fields of one message, in file order. Views point into `bytes`, which must outlive them.
class ProtoReader {
 public:
  explicit ProtoReader(std::string_view bytes) : bytes_(bytes) {}
  // Reads the next field into `field`; false at the end of the message. Throws ProtobufError on
  // a truncated field, an over-long varint, field number 0 or an unsupported wire type.
  bool Next(ProtoField& field);
  size_t offset() const { return offset_; }

 private:
  uint64_t ReadVarint();
  std::string_view ReadBytes(uint64_t size);

  std::string_view bytes_;
  size_t offset_ = 0;
};

}  // namespace borex::io
