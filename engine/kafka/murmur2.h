#pragma once
// Kafka's partitioning of keyed records, bit for bit as the Java client's DefaultPartitioner
// (Utils.murmur2 of the serialized key bytes, sign bit cleared, modulo the partition count).
// librdkafka's `partitioner=murmur2_random` computes the same for non-null keys, so records
// Sluice produces line up with what Java producers and ksqlDB write, and a pull query can tell
// which partition holds a key.
#include <cstdint>
#include <string_view>

namespace sluice {

// org.apache.kafka.common.utils.Utils.murmur2 (seed 0x9747b28c), as a signed 32-bit value.
int32_t Murmur2(std::string_view bytes);

// Utils.toPositive(Utils.murmur2(key)) % partitions. `partitions` must be > 0.
int32_t PartitionForKey(std::string_view key, int32_t partitions);

}  // namespace sluice
