#include "engine/types/java_hash_order.h"

#include <algorithm>

namespace sluice {

int32_t JavaStringHash(const std::string& s) {
  uint32_t h = 0;
  auto add = [&h](uint32_t unit) { h = 31 * h + unit; };
  for (size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    uint32_t cp;
    size_t len;
    if (b < 0x80) { cp = b; len = 1; }
    else if ((b >> 5) == 0x6) { cp = b & 0x1F; len = 2; }
    else if ((b >> 4) == 0xE) { cp = b & 0x0F; len = 3; }
    else { cp = b & 0x07; len = 4; }
    for (size_t k = 1; k < len && i + k < s.size(); ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    i += len;
    if (cp >= 0x10000) {  // a surrogate pair in UTF-16
      cp -= 0x10000;
      add(0xD800 + (cp >> 10));
      add(0xDC00 + (cp & 0x3FF));
    } else {
      add(cp);
    }
  }
  return static_cast<int32_t>(h);
}

namespace {

// Reorders as a HashMap whose table starts with `initial_table` buckets (a power of two)
// and doubles whenever size > 0.75 * table, filled in order, iterates.
void OrderLikeHashMapTable(MapValue* entries, size_t initial_table) {
  if (entries->empty()) return;
  for (const auto& e : *entries)
    if (!e.first.IsString()) return;
  // put(): a repeated key keeps its first slot and takes the new value.
  MapValue unique;
  unique.reserve(entries->size());
  for (auto& e : *entries) {
    auto it = std::find_if(unique.begin(), unique.end(), [&](const auto& u) { return u.first == e.first; });
    if (it == unique.end()) unique.push_back(std::move(e));
    else it->second = std::move(e.second);
  }
  size_t table = initial_table;
  while (unique.size() > table * 3 / 4) table <<= 1;
  auto bucket = [table](const Value& key) {
    const auto h = static_cast<uint32_t>(JavaStringHash(key.AsString()));
    return (h ^ (h >> 16)) & (table - 1);
  };
  std::stable_sort(unique.begin(), unique.end(),
                   [&](const auto& a, const auto& b) { return bucket(a.first) < bucket(b.first); });
  *entries = std::move(unique);
}

}  // namespace

void OrderLikeJavaHashMap(MapValue* entries) {
  // new HashMap<>(n): a table of tableSizeFor(n) buckets.
  size_t table = 1;
  while (table < entries->size()) table <<= 1;
  OrderLikeHashMapTable(entries, table);
}

void OrderLikeDefaultJavaHashMap(MapValue* entries) { OrderLikeHashMapTable(entries, 16); }

}  // namespace sluice
