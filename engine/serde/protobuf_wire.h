#pragma once
// Protobuf's wire encoding, by hand: varints, zigzag, fixed-width little-endian, tags, and
// Confluent's message-index prefix. The reader is bounds-checked and never reads past `end`;
// it reports failure by returning false, and callers turn that into a SerdeError.
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::serde::pb {

enum WireType : uint32_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kStartGroup = 3,
                           kEndGroup = 4, kFixed32 = 5 };

class WireReader {
 public:
  WireReader(const char* p, const char* end) : p_(p), end_(end) {}
  explicit WireReader(std::string_view s) : p_(s.data()), end_(s.data() + s.size()) {}

  bool done() const { return p_ >= end_; }
  const char* pos() const { return p_; }

  bool Varint(uint64_t* v) {
    uint64_t result = 0;
    for (int shift = 0; shift < 64 && p_ < end_; shift += 7) {
      const uint8_t b = static_cast<uint8_t>(*p_++);
      result |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (b < 0x80) {
        *v = result;
        return true;
      }
    }
    return false;  // truncated, or more than 10 bytes
  }
  bool Fixed32(uint32_t* v) {
    if (end_ - p_ < 4) return false;
    std::memcpy(v, p_, 4);  // little-endian host (x86-64, aarch64)
    p_ += 4;
    return true;
  }
  bool Fixed64(uint64_t* v) {
    if (end_ - p_ < 8) return false;
    std::memcpy(v, p_, 8);
    p_ += 8;
    return true;
  }
  // A length-delimited payload.
  bool Bytes(std::string_view* out) {
    uint64_t n;
    if (!Varint(&n) || n > static_cast<uint64_t>(end_ - p_)) return false;
    *out = std::string_view(p_, n);
    p_ += n;
    return true;
  }
  bool Skip(uint32_t wire_type) {
    uint64_t u64;
    uint32_t u32;
    std::string_view s;
    switch (wire_type) {
      case kVarint: return Varint(&u64);
      case kFixed64: return Fixed64(&u64);
      case kLengthDelimited: return Bytes(&s);
      case kFixed32: return Fixed32(&u32);
      default: return false;  // groups: deprecated, not written by any current producer
    }
  }

 private:
  const char* p_;
  const char* end_;
};

inline int64_t ZigZagDecode64(uint64_t v) { return static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1)); }
inline int32_t ZigZagDecode32(uint64_t v) {
  const uint32_t n = static_cast<uint32_t>(v);
  return static_cast<int32_t>((n >> 1) ^ (~(n & 1) + 1));
}
inline uint64_t ZigZagEncode64(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline uint32_t ZigZagEncode32(int32_t v) {
  return (static_cast<uint32_t>(v) << 1) ^ static_cast<uint32_t>(v >> 31);
}

inline void PutVarint(uint64_t v, std::string* out) {
  char buf[10];
  int n = 0;
  while (v >= 0x80) {
    buf[n++] = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  buf[n++] = static_cast<char>(v);
  out->append(buf, n);
}
inline void PutTag(int number, uint32_t wire_type, std::string* out) {
  PutVarint((static_cast<uint64_t>(number) << 3) | wire_type, out);
}
inline void PutFixed32(uint32_t v, std::string* out) { out->append(reinterpret_cast<const char*>(&v), 4); }
inline void PutFixed64(uint64_t v, std::string* out) { out->append(reinterpret_cast<const char*>(&v), 8); }
inline void PutBytes(int number, std::string_view bytes, std::string* out) {
  PutTag(number, kLengthDelimited, out);
  PutVarint(bytes.size(), out);
  out->append(bytes.data(), bytes.size());
}

// Confluent's message indexes after the schema id: a zigzag-varint count, then that many
// zigzag-varint indexes; the first message ([0]) is written as the single byte 0.
inline void PutMessageIndexes(const std::vector<int>& indexes, std::string* out) {
  if (indexes.size() == 1 && indexes[0] == 0) {
    out->push_back('\0');
    return;
  }
  PutVarint(ZigZagEncode32(static_cast<int32_t>(indexes.size())), out);
  for (int i : indexes) PutVarint(ZigZagEncode32(i), out);
}
// False on malformed input (truncated, negative or absurd count).
inline bool ReadMessageIndexes(WireReader* in, std::vector<int>* indexes) {
  uint64_t raw;
  if (!in->Varint(&raw)) return false;
  const int32_t count = ZigZagDecode32(raw);
  indexes->clear();
  if (count == 0) {
    indexes->push_back(0);
    return true;
  }
  if (count < 0 || count > 64) return false;
  for (int32_t i = 0; i < count; ++i) {
    if (!in->Varint(&raw)) return false;
    indexes->push_back(ZigZagDecode32(raw));
  }
  return true;
}

}  // namespace sluice::serde::pb
