#pragma once
// JoinTask: one partition of a join's sub-topology. It reads both sources' topics (the same
// partition of each: co-partitioned), decodes each record with that side's QueryTask (no WHERE:
// a join filters after joining), computes the side's join key, and joins:
//   stream-table: the table side is materialized in a key-value store; a stream record looks
//                 its key up and emits (INNER: when found; LEFT: always); table updates do not
//                 emit.
//   table-table:  both sides materialized; every update on either side emits the join result
//                 or a tombstone, as Kafka Streams' KTable-KTable join processors decide.
//   stream-stream: window stores on both sides (WITHIN before/after, GRACE PERIOD); a record
//                 joins the other side's records in its window; outer results are emitted at
//                 once without GRACE PERIOD, or from an outer store when the window closes.
// Then WHERE and the projection over the joined row, and the sink's serializers.
#include <memory>

#include "engine/planner/topology.h"
#include "engine/runtime/query_task.h"
#include "engine/runtime/task.h"

namespace sluice {

class JoinTask : public Task {
 public:
  static Result<std::unique_ptr<Task>> Create(std::shared_ptr<const QueryPlan> plan, const SubTopologySpec& sub,
                                              const TaskEnvironment& env);
  Status Process(const KafkaRecord& in, TaskOutput* out) override;
  std::vector<ChangelogRecord> TakeChangelog() override { return changelog_.Take(); }

 private:
  JoinTask() = default;
  void OnRow(int side, const Row& row, int64_t ts, const KafkaRecord& in, bool deleted);
  void StreamTable(int side, const Row& row, const std::string& key_bytes, const Value& key, int64_t ts,
                   const KafkaRecord& in, bool deleted);
  void TableTable(int side, const Row& row, const std::string& key_bytes, const Value& key, int64_t ts,
                  const KafkaRecord& in, bool deleted);
  void StreamStream(int side, const Row& row, const std::string& key_bytes, const Value& key, int64_t ts,
                    const KafkaRecord& in);
  void EmitClosedOuterRecords(const KafkaRecord& in);
  std::optional<Row> Lookup(int side, const std::string& key_bytes);
  bool SinkTimestamp(int64_t* ts, const KafkaRecord& in);
  void FillJoined(const Row* left, const Row* right, const Value& key, int64_t ts, const KafkaRecord& in);
  bool Passes(int side, const Row* mine, const Row* theirs, const Value& key, int64_t ts, const KafkaRecord& in);
  void Emit(const Row* left, const Row* right, const Value& key, int64_t ts, const KafkaRecord& in, bool tombstone);
  std::string LogEntry(const KafkaRecord& in, const std::string& what) const;

  std::shared_ptr<const QueryPlan> plan_;
  const JoinPlan* join_ = nullptr;
  int partition_ = 0;
  std::string topics_[2];
  std::unique_ptr<QueryTask> sides_[2];
  std::vector<TypePtr> side_types_[2];  // a side row's column types (for the row codec)
  int side_rowtime_[2] = {0, 0};
  ChangelogCollector changelog_;
  std::shared_ptr<KeyValueStore> tables_[2];
  std::shared_ptr<WindowStore> windows_[2];
  std::shared_ptr<KeyValueStore> outer_;  // stream-stream outer results waiting for their window to close
  int64_t stream_time_ = -1;
  int64_t side_time_[2] = {-1, -1};
  std::unique_ptr<RowSerializer> key_out_, value_out_;
  EvalContext key_ctx_[2], ctx_;
  Row joined_, out_key_, out_value_;
  TaskOutput* out_ = nullptr;
};

}  // namespace sluice
