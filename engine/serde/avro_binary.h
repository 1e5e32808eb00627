#pragma once
// Avro's binary encoding, the primitives: zigzag varints, IEEE floats little-endian,
// length-prefixed bytes. The reader never reads past its end: every call says whether it
// succeeded, and a failure leaves the reader in a state the caller only reports.
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace sluice::serde::avro {

// How deep Avro values may nest (a record in an array in a map ...): the encoder and the decoder
// refuse anything deeper, so a hostile schema or value cannot exhaust the stack.
inline constexpr int kMaxNestingDepth = 128;

class BinaryReader {
 public:
  explicit BinaryReader(std::string_view bytes)
      : p_(reinterpret_cast<const uint8_t*>(bytes.data())), end_(p_ + bytes.size()) {}

  size_t remaining() const { return static_cast<size_t>(end_ - p_); }

  // A zigzag varint of at most 10 bytes (Avro's long; an int is the same on the wire).
  bool ReadLong(int64_t* out) {
    uint64_t v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      if (p_ == end_) return false;
      const uint8_t b = *p_++;
      v |= static_cast<uint64_t>(b & 0x7F) << shift;
      if (!(b & 0x80)) {
        *out = static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
        return true;
      }
    }
    return false;  // more than 10 bytes: not a varint
  }
  bool ReadInt(int32_t* out) {
    int64_t v;
    if (!ReadLong(&v) || v < INT32_MIN || v > INT32_MAX) return false;
    *out = static_cast<int32_t>(v);
    return true;
  }
  bool ReadBool(bool* out) {
    if (p_ == end_ || *p_ > 1) return false;
    *out = *p_++ == 1;
    return true;
  }
  bool ReadFloat(float* out) { return ReadFixedWidth(out); }
  bool ReadDouble(double* out) { return ReadFixedWidth(out); }
  // bytes / string: a non-negative length, then that many bytes (a view into the payload).
  bool ReadBytes(std::string_view* out) {
    int64_t len;
    if (!ReadLong(&len) || len < 0 || static_cast<uint64_t>(len) > remaining()) return false;
    *out = std::string_view(reinterpret_cast<const char*>(p_), static_cast<size_t>(len));
    p_ += len;
    return true;
  }
  bool ReadFixed(size_t size, std::string_view* out) {
    if (size > remaining()) return false;
    *out = std::string_view(reinterpret_cast<const char*>(p_), size);
    p_ += size;
    return true;
  }
  bool Skip(uint64_t n) {
    if (n > remaining()) return false;
    p_ += n;
    return true;
  }

 private:
  template <typename T>
  bool ReadFixedWidth(T* out) {
    if (remaining() < sizeof(T)) return false;
    std::memcpy(out, p_, sizeof(T));  // Avro is little-endian, as is every target we build for
    p_ += sizeof(T);
    return true;
  }
  const uint8_t* p_;
  const uint8_t* end_;
};

inline void WriteLong(int64_t v, std::string* out) {
  uint64_t z = (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
  char buf[10];
  int n = 0;
  while (z >= 0x80) {
    buf[n++] = static_cast<char>((z & 0x7F) | 0x80);
    z >>= 7;
  }
  buf[n++] = static_cast<char>(z);
  out->append(buf, n);
}
inline void WriteBool(bool b, std::string* out) { out->push_back(b ? 1 : 0); }
inline void WriteFloat(float f, std::string* out) {
  char buf[sizeof f];
  std::memcpy(buf, &f, sizeof f);
  out->append(buf, sizeof f);
}
inline void WriteDouble(double d, std::string* out) {
  char buf[sizeof d];
  std::memcpy(buf, &d, sizeof d);
  out->append(buf, sizeof d);
}
inline void WriteBytes(std::string_view b, std::string* out) {
  WriteLong(static_cast<int64_t>(b.size()), out);
  out->append(b.data(), b.size());
}

}  // namespace sluice::serde::avro
