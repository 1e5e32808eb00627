#pragma once
// The last stage of an aggregation: from a group's new/old results to sink records. Builds
// the aggregate row (keys, results, ROWTIME, WINDOWSTART, WINDOWEND), applies HAVING with
// table-filter semantics (a group that stops matching is deleted downstream: a tombstone; one
// that never matched produces nothing), projects and serializes key (windowed keys carry
// their window, as Kafka Streams' windowed serdes write them) and value.
//
// EMIT FINAL: results are buffered per window in a key-value store (bounded memory: the
// buffer lives in the state store, not the heap) and emitted once the window closes (window
// end + grace <= stream time), as Kafka Streams' suppress(untilWindowCloses).
#include <map>
#include <memory>

#include "engine/planner/query_plan.h"
#include "engine/runtime/aggregation/grouped_change.h"
#include "engine/runtime/state/state_store.h"
#include "engine/runtime/task.h"
#include "engine/serde/format.h"

namespace sluice {

class AggregateEmitter {
 public:
  static Result<std::unique_ptr<AggregateEmitter>> Create(const QueryPlan& plan,
                                                          std::shared_ptr<KeyValueStore> suppress_buffer,
                                                          int partition);
  void Accept(const AggregateUpdate& update, TaskOutput* out);

 private:
  AggregateEmitter(const QueryPlan& plan, std::shared_ptr<KeyValueStore> buffer, int partition)
      : plan_(plan), agg_(*plan.aggregation), buffer_(std::move(buffer)), partition_(partition) {}
  void Emit(const Row& key, const std::string& key_bytes, std::optional<TimeWindow> window, const Row* results,
            const Row* old_results, int64_t timestamp, const KafkaRecord* in, TaskOutput* out);
  bool Passes(const Row& key, std::optional<TimeWindow> window, const Row& results, int64_t timestamp,
              const KafkaRecord* in, TaskOutput* out);
  void FillRow(const Row& key, std::optional<TimeWindow> window, const Row& results, int64_t timestamp);
  void WriteRecord(const std::string& key_bytes, std::optional<TimeWindow> window, bool tombstone,
                   int64_t timestamp, const KafkaRecord* in, TaskOutput* out);
  void Buffer(const AggregateUpdate& update);
  void EvictClosed(TaskOutput* out);
  void RebuildBufferIndex();
  std::string LogEntry(const KafkaRecord* in, const std::string& what) const;

  const QueryPlan& plan_;
  const AggregationPlan& agg_;
  std::shared_ptr<KeyValueStore> buffer_;
  int partition_;
  std::unique_ptr<RowSerializer> key_out_, value_out_;
  std::vector<TypePtr> buffered_types_;
  Row row_, value_, key_row_;
  EvalContext ctx_;
  std::string key_scratch_, value_scratch_;
  // EMIT FINAL: buffered windows by (window end, buffer key), for eviction in time order.
  std::multimap<int64_t, std::string> closing_;
  int64_t stream_time_ = -1;
};

}  // namespace sluice
