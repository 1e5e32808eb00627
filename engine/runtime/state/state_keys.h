#pragma once
// Byte layouts of state-store keys, shared by the RocksDB and in-memory backends so both order
// entries identically (the in-memory backend is the reference the RocksDB one is tested against).
//
// Stored keys (after the RocksDB backend's big-endian int32 partition prefix):
//   key-value: key
//   window:    be32(len) key  ordered64(start)
//   session:   be32(len) key  ordered64(end) ordered64(start)    (Kafka Streams' session order)
// ordered64 is big-endian with the sign bit flipped, so negative times sort before positive ones.
// The length prefix keeps one key's entries contiguous (a key that is a prefix of another cannot
// interleave with it), so a window fetch is one range scan in start order. Consequence: window
// and session Scan() visit keys by length first, then bytes.
//
// Changelog keys are Kafka Streams' (what its changelog topics carry):
//   window:  key be64(start) be32(seqnum = 0)     (WindowKeySchema.toStoreKeyBinary)
//   session: key be64(end) be64(start)             (SessionKeySchema.toBinary)
#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::state_keys {

enum class StoreKind { kKeyValue, kWindow, kSession };

inline const char* KindName(StoreKind k) {
  switch (k) {
    case StoreKind::kKeyValue: return "key-value";
    case StoreKind::kWindow: return "window";
    case StoreKind::kSession: return "session";
  }
  return "?";
}

inline void PutBE32(std::string& out, uint32_t v) {
  char b[4] = {char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
  out.append(b, 4);
}
inline void PutBE64(std::string& out, uint64_t v) {
  char b[8];
  for (int i = 0; i < 8; ++i) b[i] = char(v >> (56 - 8 * i));
  out.append(b, 8);
}
inline uint32_t GetBE32(const char* p) {
  auto u = reinterpret_cast<const unsigned char*>(p);
  return uint32_t(u[0]) << 24 | uint32_t(u[1]) << 16 | uint32_t(u[2]) << 8 | uint32_t(u[3]);
}
inline uint64_t GetBE64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | static_cast<unsigned char>(p[i]);
  return v;
}
inline uint64_t OrderedTime(int64_t t) { return static_cast<uint64_t>(t) ^ (uint64_t{1} << 63); }
inline int64_t FromOrderedTime(uint64_t u) { return static_cast<int64_t>(u ^ (uint64_t{1} << 63)); }

// --- stored keys (no partition prefix) ---

inline void AppendKeyPrefix(std::string& out, std::string_view key) {
  PutBE32(out, static_cast<uint32_t>(key.size()));
  out.append(key);
}
inline void AppendWindowKey(std::string& out, std::string_view key, int64_t start) {
  AppendKeyPrefix(out, key);
  PutBE64(out, OrderedTime(start));
}
inline void AppendSessionKey(std::string& out, std::string_view key, int64_t start, int64_t end) {
  AppendKeyPrefix(out, key);
  PutBE64(out, OrderedTime(end));
  PutBE64(out, OrderedTime(start));
}
inline bool DecodeWindowKey(std::string_view enc, std::string_view* key, int64_t* start) {
  if (enc.size() < 12) return false;
  uint32_t len = GetBE32(enc.data());
  if (enc.size() != 12 + size_t{len}) return false;
  *key = enc.substr(4, len);
  *start = FromOrderedTime(GetBE64(enc.data() + 4 + len));
  return true;
}
inline bool DecodeSessionKey(std::string_view enc, std::string_view* key, int64_t* start,
                             int64_t* end) {
  if (enc.size() < 20) return false;
  uint32_t len = GetBE32(enc.data());
  if (enc.size() != 20 + size_t{len}) return false;
  *key = enc.substr(4, len);
  *end = FromOrderedTime(GetBE64(enc.data() + 4 + len));
  *start = FromOrderedTime(GetBE64(enc.data() + 12 + len));
  return true;
}

// --- changelog keys ---

inline std::string WindowChangelogKey(std::string_view key, int64_t start) {
  std::string out;
  out.reserve(key.size() + 12);
  out.append(key);
  PutBE64(out, static_cast<uint64_t>(start));
  PutBE32(out, 0);
  return out;
}
inline std::string SessionChangelogKey(std::string_view key, int64_t start, int64_t end) {
  std::string out;
  out.reserve(key.size() + 16);
  out.append(key);
  PutBE64(out, static_cast<uint64_t>(end));
  PutBE64(out, static_cast<uint64_t>(start));
  return out;
}
inline bool ParseWindowChangelogKey(std::string_view ck, std::string_view* key, int64_t* start) {
  if (ck.size() < 12) return false;
  *key = ck.substr(0, ck.size() - 12);
  *start = static_cast<int64_t>(GetBE64(ck.data() + ck.size() - 12));
  return true;
}
inline bool ParseSessionChangelogKey(std::string_view ck, std::string_view* key, int64_t* start,
                                     int64_t* end) {
  if (ck.size() < 16) return false;
  *key = ck.substr(0, ck.size() - 16);
  *end = static_cast<int64_t>(GetBE64(ck.data() + ck.size() - 16));
  *start = static_cast<int64_t>(GetBE64(ck.data() + ck.size() - 8));
  return true;
}

// Stored key (no partition prefix) of a changelog key, for Restore. False if malformed.
inline bool StoredKeyFromChangelog(StoreKind kind, std::string_view ck, std::string& out) {
  std::string_view key;
  int64_t start = 0, end = 0;
  switch (kind) {
    case StoreKind::kKeyValue: out.append(ck); return true;
    case StoreKind::kWindow:
      if (!ParseWindowChangelogKey(ck, &key, &start)) return false;
      AppendWindowKey(out, key, start);
      return true;
    case StoreKind::kSession:
      if (!ParseSessionChangelogKey(ck, &key, &start, &end)) return false;
      AppendSessionKey(out, key, start, end);
      return true;
  }
  return false;
}

}  // namespace sluice::state_keys
