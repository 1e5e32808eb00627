#pragma once
// JoinTask: one partition of a join's sub-topology. It reads every source's topic (the same
// partition of each: co-partitioned), decodes each record with that source's QueryTask (no
// WHERE: a join filters after joining), and runs the join chain: each step computes its sides'
// join keys and joins, its results feeding the next step's left side:
//   stream-table: the table side is materialized in a key-value store; a stream record looks
//                 its key up and emits (INNER: when found; LEFT: always); table updates do not
//                 emit.
//   table-table:  both sides materialized; every update on either side emits the join result
//                 or a tombstone, as Kafka Streams' KTable-KTable join processors decide.
//   stream-stream: window stores on both sides (WITHIN before/after, GRACE PERIOD); a record
//                 joins the other side's records in its window; outer results are emitted at
//                 once without GRACE PERIOD, or from an outer store when the window closes.
//   foreign key:  both tables materialized, plus the subscriptions (foreign key -> left keys);
//                 a left update looks its foreign key up, a right update re-joins every left
//                 row that references it (Kafka Streams' foreign-key join results).
// Then WHERE and the projection over the joined row, and the sink's serializers; or, with
// GROUP BY over the join, WHERE and the aggregation's group-by stage (GroupByTail).
#include <memory>

#include "engine/planner/topology.h"
#include "engine/runtime/aggregation/aggregation_tasks.h"
#include "engine/runtime/aggregation/group_cache.h"
#include "engine/runtime/query_task.h"
#include "engine/runtime/task.h"

namespace sluice {

// How the join (and a join source's repartition task) decodes one source: its columns and
// pseudo columns, every column decoded, no WHERE.
QueryPlan JoinSidePlan(const QueryPlan& plan, const DataSourcePtr& source);

class JoinTask : public Task {
 public:
  static Result<std::unique_ptr<Task>> Create(std::shared_ptr<const QueryPlan> plan, const TopologySpec& topology,
                                              const SubTopologySpec& sub, const TaskEnvironment& env);
  Status Process(const KafkaRecord& in, TaskOutput* out) override;
  void Commit(TaskOutput* out) override;
  std::vector<ChangelogRecord> TakeChangelog() override;

 private:
  // One join step's state: its stores and the types of its two input rows.
  struct Step {
    const JoinStep* plan = nullptr;
    size_t index = 0;
    std::vector<TypePtr> types[2];  // left row, right side row (row codec)
    int rowtime[2] = {0, 0};
    std::shared_ptr<KeyValueStore> tables[2];
    std::shared_ptr<WindowStore> windows[2];
    std::shared_ptr<KeyValueStore> outer;          // stream-stream outer results waiting for their window
    std::shared_ptr<KeyValueStore> subscriptions;  // foreign key -> left keys
    int64_t stream_time = -1;
    int64_t side_time[2] = {-1, -1};
    EvalContext key_ctx[2], fk_ctx;
    Row joined;  // scratch: this step's joined row, when it feeds the next step
    // Stream-table with a record cache budget: the table side's rows (or their absence) as
    // the store holds them, written through by table updates, so that a stream record's
    // lookup of a recently seen key is a hash probe instead of a store read.
    std::unique_ptr<GroupCache> table_cache;
    size_t table_cache_misses = 0;  // lookups the full cache could not admit
  };

  JoinTask() = default;
  Status OpenStores(const SubTopologySpec& sub, const TaskEnvironment& env);
  void OnRow(Step& st, int side, const Row& row, int64_t ts, const KafkaRecord& in, bool deleted);
  // A record of source `s`'s repartition topic: its side row in the internal row codec.
  void OnRepartitioned(size_t s, const KafkaRecord& in);
  void StreamTable(Step& st, int side, const Row& row, const std::string& key_bytes, const Value& key, int64_t ts,
                   const KafkaRecord& in, bool deleted);
  void TableTable(Step& st, int side, const Row& row, const std::string& key_bytes, const Value& key, int64_t ts,
                  const KafkaRecord& in, bool deleted);
  void ForeignKey(Step& st, int side, const Row& row, const std::string& key_bytes, const Value& key, int64_t ts,
                  const KafkaRecord& in, bool deleted);
  void StreamStream(Step& st, int side, const Row& row, const std::string& key_bytes, const Value& key, int64_t ts,
                    const KafkaRecord& in);
  void EmitClosedOuterRecords(Step& st, const KafkaRecord& in);
  std::optional<Row> Lookup(Step& st, int side, const std::string& key_bytes);
  // Stream-table: the table side's row of `key_bytes`, through the step's cache if it has one.
  std::optional<Row> LookupTable(Step& st, const std::string& key_bytes);
  void TrimTableCache(GroupCache& cache);
  void Store(Step& st, int side, const std::string& key_bytes, const Row* row, int64_t ts);
  Value ForeignKeyOf(Step& st, const Row& left, const KafkaRecord& in);
  bool SinkTimestamp(int64_t* ts, const KafkaRecord& in);
  void FillJoined(Row* joined, const JoinStep& step, const Row* left, const Row* right, const Value& key, int64_t ts,
                  const KafkaRecord& in);
  bool Passes(Step& st, int side, const Row* mine, const Row* theirs, const Value& key, int64_t ts,
              const KafkaRecord& in);
  // A step's result: the next step's left input, or (last step) WHERE, projection and sink.
  void Emit(Step& st, const Row* left, const Row* right, const Value& key, int64_t ts, const KafkaRecord& in,
            bool tombstone);
  void EmitToSink(const Row* left, const Row* right, const Value& key, int64_t ts, const KafkaRecord& in,
                  bool tombstone);
  bool IsLast(const Step& st) const { return st.index + 1 == steps_.size(); }
  std::string LogEntry(const KafkaRecord& in, const std::string& what) const;

  std::shared_ptr<const QueryPlan> plan_;
  int partition_ = 0;
  size_t cache_max_bytes_ = 0;  // per table cache (ksql.streams.cache.max.bytes.buffering)
  std::vector<DataSourcePtr> sources_;               // source 0 (left of step 0), then each step's right
  std::vector<std::unique_ptr<QueryTask>> decoders_;  // per source (null: read through its repartition topic)
  std::vector<std::string> repartition_topics_;        // per source ("" when read from its own topic)
  std::vector<std::unique_ptr<Step>> steps_;
  ChangelogCollector changelog_;
  // GROUP BY over the join: the join's results (after WHERE) go to the aggregation's group-by
  // stage instead of the sink (a table result's updates subtract their earlier rows).
  std::unique_ptr<GroupByTail> tail_;
  std::unique_ptr<RowSerializer> key_out_, value_out_;
  EvalContext ctx_;
  Row joined_, out_key_, out_value_;
  TaskOutput* out_ = nullptr;
};

}  // namespace sluice
