#pragma once
// What flows from the group-by stage to the aggregator, and from the aggregator to the
// emitter, inside an aggregation task.
#include <cstdint>
#include <optional>
#include <string>

#include "engine/runtime/test_driver.h"
#include "engine/types/value.h"

namespace sluice {

// One record's effect on one group: add its aggregate arguments, remove (undo) an earlier
// row's arguments (table sources), or both when a table row changes within its group.
struct GroupedChange {
  Row key;                // grouping key values
  std::string key_bytes;  // the key in the sink's key format (store key, sink key)
  std::optional<Row> add, undo;  // column arguments of every aggregate call, concatenated
  int64_t timestamp = 0;
  const KafkaRecord* in = nullptr;  // for processing-log context
};

struct TimeWindow {
  int64_t start = 0, end = 0;
};

// A group's (or window's) aggregate results changed.
struct AggregateUpdate {
  const Row* key = nullptr;
  const std::string* key_bytes = nullptr;
  std::optional<TimeWindow> window;
  const Row* new_results = nullptr;  // null: the group/window no longer exists
  const Row* old_results = nullptr;  // null: it did not exist before
  int64_t timestamp = 0;
  const KafkaRecord* in = nullptr;
};

}  // namespace sluice
