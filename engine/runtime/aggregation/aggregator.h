#pragma once
// The aggregation proper: folds GroupedChanges into per-group accumulators kept in a state
// store, and reports each group's (or window's) new and old results. Three shapes, as Kafka
// Streams has them: unwindowed (key-value store), time windows — tumbling and hopping —
// (window store; records later than the grace period are dropped and counted) and session
// windows (session store; sessions a record bridges are merged).
//
// Stored value: the accumulators (each aggregate's IntermediateType) and the group's
// timestamp (the largest record timestamp folded in: the output record's timestamp).
#include <functional>
#include <memory>
#include <utility>

#include "engine/planner/query_plan.h"
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
  Aggregator(const AggregationPlan& plan, AggregatorStores stores, int partition, UpdateConsumer consumer);

  void Apply(const GroupedChange& change, std::vector<std::string>* log);
  int64_t late_records_dropped() const { return late_dropped_; }
  // The first record the query must stop on (ksqlDB throws: a DECIMAL SUM overflowing its
  // precision); the task returns it as its Process() status.
  Status TakeFailure() { return std::exchange(failure_, Status::OK()); }

 private:
  void ApplyUnwindowed(const GroupedChange& change);
  void ApplyTimeWindows(const GroupedChange& change, std::vector<std::string>* log);
  void ApplySession(const GroupedChange& change, std::vector<std::string>* log);
  void ExpireOldWindows();

  // Accumulators <-> stored bytes.
  bool Decode(std::string_view bytes, Row* accs, int64_t* timestamp) const;
  const std::string& Encode(const Row& accs, int64_t timestamp);
  Row Initial() const;
  void Fold(const GroupedChange& change, Row* accs);
  Row Results(const Row& accs) const;
  void Emit(const GroupedChange& change, std::optional<TimeWindow> window, const Row* new_accs,
            const Row* old_accs, int64_t timestamp);

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
};

}  // namespace sluice
