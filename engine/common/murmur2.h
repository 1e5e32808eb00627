#pragma once
// Kafka's default partitioner, as the Java client computes it (Utils.murmur2 and
// toPositive(hash) % partitions), so that records Sluice routes itself (repartition topics,
// the test driver) land where Kafka's Java producers and ksqlDB would put them.
#include <cstdint>
#include <string_view>

namespace sluice {

inline int32_t Murmur2(std::string_view data) {
  const uint32_t seed = 0x9747b28c, m = 0x5bd1e995;
  const int r = 24;
  const size_t length = data.size();
  uint32_t h = seed ^ static_cast<uint32_t>(length);
  const size_t length4 = length / 4;
  const auto* bytes = reinterpret_cast<const uint8_t*>(data.data());
  for (size_t i = 0; i < length4; ++i) {
    const size_t i4 = i * 4;
    uint32_t k = bytes[i4] | (bytes[i4 + 1] << 8) | (bytes[i4 + 2] << 16) | (static_cast<uint32_t>(bytes[i4 + 3]) << 24);
    k *= m;
    k ^= k >> r;
    k *= m;
    h *= m;
    h ^= k;
  }
  const size_t tail = length4 * 4;
  switch (length % 4) {
    case 3: h ^= static_cast<uint32_t>(bytes[tail + 2]) << 16; [[fallthrough]];
    case 2: h ^= static_cast<uint32_t>(bytes[tail + 1]) << 8; [[fallthrough]];
    case 1: h ^= bytes[tail]; h *= m;
  }
  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return static_cast<int32_t>(h);
}

// The partition Kafka's Java producer picks for a non-null key.
inline int KafkaPartitionForKey(std::string_view key, int partitions) {
  return static_cast<int>((static_cast<uint32_t>(Murmur2(key)) & 0x7fffffff) % static_cast<uint32_t>(partitions));
}

}  // namespace sluice
