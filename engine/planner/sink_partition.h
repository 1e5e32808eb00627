#pragma once
// Where a query's output record goes. Kafka's partition of its key, except for a windowed
// sink: Kafka Streams writes windowed keys (the key, then the 8-byte window start; a session
// also its 8-byte end before the start) with WindowedStreamPartitioner, i.e. the partition of
// the key without its window, so every window of a key lands in the partition that holds the
// key (pull queries and readers of the windowed table rely on it).
#include <string>
#include <string_view>

#include "engine/common/murmur2.h"
#include "engine/planner/query_plan.h"

namespace sluice {

inline int SinkPartitionForKey(const QueryPlan& plan, const std::string& topic, std::string_view key,
                               int partitions) {
  if (plan.sink && plan.sink->window && plan.sink->topic == topic) {
    const size_t window_bytes = plan.sink->window->kind == WindowSpec::Kind::kSession ? 16 : 8;
    if (key.size() >= window_bytes) key.remove_suffix(window_bytes);
  }
  return KafkaPartitionForKey(key, partitions);
}

}  // namespace sluice
