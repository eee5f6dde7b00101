#include "borex/io/protobuf_wire.h"

#include <string>

namespace borex::io {

uint64_t ProtoReader::ReadVarint() {
  const size_t start = offset_;
  uint64_t value = 0;
  // A varint is at most 10 bytes of 7 bits each, least significant group first.
  for (int shift = 0; shift < 64; shift += 7) {
    if (offset_ >= bytes_.size())
      throw ProtobufError("truncated varint at byte " + std::to_string(start));
    const auto byte = static_cast<unsigned char>(bytes_[offset_++]);
    value |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return value;
  }
  throw ProtobufError("varint longer than 10 bytes at byte " + std::to_string(start));
}

std::string_view ProtoReader::ReadBytes(uint64_t size) {
  if (size > bytes_.size() - offset_)
    throw ProtobufError("truncated field: " + std::to_string(size) + " bytes at byte " +
                        std::to_string(offset_) + ", " + std::to_string(bytes_.size() - offset_) +
                        " left");
  const std::string_view payload = bytes_.substr(offset_, size);
  offset_ += size;
  return payload;
}

bool ProtoReader::Next(ProtoField& field) {
  if (offset_ >= bytes_.size()) return false;
  const size_t start = offset_;
  const uint64_t tag = ReadVarint();
  if ((tag >> 3) == 0 || (tag >> 3) > 0x1fffffff)
    throw ProtobufError("invalid field number at byte " + std::to_string(start));
  field.number = static_cast<uint32_t>(tag >> 3);
  field.value = 0;
  field.bytes = {};
  const auto little_endian = [](std::string_view bytes) {
    uint64_t value = 0;
    for (size_t i = bytes.size(); i-- > 0;)
      value = (value << 8) | static_cast<unsigned char>(bytes[i]);
    return value;
  };
  switch (tag & 7) {
    case 0:
      field.type = WireType::kVarint;
      field.value = ReadVarint();
      return true;
    case 1:
      field.type = WireType::kFixed64;
      field.value = little_endian(ReadBytes(8));
      return true;
    case 2:
      field.type = WireType::kLengthDelimited;
      field.bytes = ReadBytes(ReadVarint());
      return true;
    case 5:
      field.type = WireType::kFixed32;
      field.value = little_endian(ReadBytes(4));
      return true;
    default:
      throw ProtobufError("unsupported wire type " + std::to_string(tag & 7) + " (field " +
                          std::to_string(field.number) + ") at byte " + std::to_string(start));
  }
}

}  // namespace borex::io
