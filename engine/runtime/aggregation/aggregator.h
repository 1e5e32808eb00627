#pragma once
// The aggregation proper: folds GroupedChanges into per-group accumulators kept in a state
// store, and reports each group's (or window's) new and old results. Three shapes, as Kafka
// Streams has them: unwindowed (key-value store), time windows — tumbling and hopping —
// (window store; records later than the grace period are dropped and counted) and session
// windows (session store; sessions a record bridges are merged).
//
// Stored value: the accumulators (each aggregate's IntermediateType) and the group's
// timestamp (the largest record timestamp folded in: the output record's timestamp).
//
// Record cache (ksql.streams.cache.max.bytes.buffering, Kafka Streams' record cache): groups
// (and windows) are kept in a GroupCache (group_cache.h: compact, encoded as in the store, the
// memory the budget counts) in front of the store. With a budget of 0 every update is written
// to the store and reported at once; with a budget, updates to a group are folded in the cache
// and written and reported once per commit (Flush), in the order groups were first updated,
// with the value before the first update as the old result — as Kafka Streams coalesces them.
// Over budget, everything dirty is flushed and the least recently used groups are dropped
// (in a batch, down to 3/4 of the budget); the others stay cached, clean, for the next reads.
#include <functional>
#include <memory>
#include <unordered_map>
#include <utility>

#include "engine/planner/query_plan.h"
#include "engine/runtime/aggregation/group_cache.h"
#include "engine/runtime/aggregation/grouped_change.h"
#include "engine/runtime/state/state_store.h"

namespace sluice {

struct AggregatorStores {
  std::shared_ptr<KeyValueStore> groups;     // unwindowed
  std::shared_ptr<WindowStore> windows;      // tumbling, hopping
  std::shared_ptr<SessionStore> sessions;    // session
};

class Aggregator {
 public:
  using UpdateConsumer = std::function<void(const AggregateUpdate&)>;
  Aggregator(const AggregationPlan& plan, AggregatorStores stores, int partition, UpdateConsumer consumer,
             size_t cache_max_bytes = 0);

  void Apply(const GroupedChange& change, std::vector<std::string>* log);
  // Commit: writes and reports every group updated since the last flush.
  void Flush();
  int64_t late_records_dropped() const { return late_dropped_; }
  // The first record the query must stop on (ksqlDB throws: a DECIMAL SUM overflowing its
  // precision); the task returns it as its Process() status.
  Status TakeFailure() { return std::exchange(failure_, Status::OK()); }

 private:
  // The cache key of a group (or of one window of it): its key bytes (+ the window start).
  const std::string& CacheKey(const GroupedChange& change, std::optional<TimeWindow> window);
  // Folds `change` into its group (or window): cached, or read from the store on a miss.
  void Update(const GroupedChange& change, std::optional<TimeWindow> window);
  // Budget 0: read, fold, write and report at once.
  void UpdateNow(const GroupedChange& change, std::optional<TimeWindow> window);
  void ApplyUnwindowed(const GroupedChange& change);
  void ApplyTimeWindows(const GroupedChange& change, std::vector<std::string>* log);
  void ApplySession(const GroupedChange& change, std::vector<std::string>* log);
  void ExpireOldWindows();
  void Write(const std::string& key_bytes, std::optional<TimeWindow> window, std::string_view value, int64_t ts);

  // Accumulators <-> stored bytes.
  bool Decode(std::string_view bytes, Row* accs, int64_t* timestamp) const;
  const std::string& Encode(const Row& accs, int64_t timestamp);
  std::optional<std::string> Read(const std::string& key_bytes, std::optional<TimeWindow> window);
  Row Initial() const;
  void Fold(const GroupedChange& change, Row* accs);
  void Results(const Row& accs, Row* results) const;
  void Emit(const Row& key, const std::string& key_bytes, const KafkaRecord* in, std::optional<TimeWindow> window,
            const Row* new_accs, const Row* old_accs, int64_t timestamp);

  const AggregationPlan& plan_;
  AggregatorStores stores_;
  int partition_;
  UpdateConsumer consumer_;
  std::vector<TypePtr> acc_types_;  // intermediate types, then BIGINT (timestamp)
  std::vector<size_t> arg_offsets_;  // where each call's arguments start in GroupedChange::add
  int64_t stream_time_ = -1;
  int64_t late_dropped_ = 0;
  int64_t expired_segment_ = -1;
  Status failure_;
  std::string scratch_;
  Row encode_row_;
  size_t cache_max_bytes_;
  GroupCache cache_;
  std::vector<TypePtr> key_types_;  // the group key values (GroupCache's key rows)
  // Reused per record and per flushed group: no allocation once warm.
  std::string cache_key_, key_row_bytes_, flush_key_bytes_;
  Row accs_, old_accs_, key_row_, new_results_, old_results_;
};

}  // namespace sluice
