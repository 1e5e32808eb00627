#pragma once
// The tasks of an aggregation's sub-topologies:
//   GroupBySourceTask: source -> WHERE -> group by -> either the repartition topic, or (when
//                      the grouping is the source's key) aggregate -> emit in the same task;
//   AggregateTask:     repartition topic -> aggregate -> emit.
// GroupByTail is what follows the source stage (group by -> repartition | aggregate -> emit):
// GroupBySourceTask's, and a join's when an aggregation reads its result (JoinTask).
// Repartition records: key = the grouping key in the sink's key format; value = the internal
// row codec of [flags (1 add, 2 undo), grouping key values, add arguments, undo arguments].
#include <memory>

#include "engine/planner/topology.h"
#include "engine/runtime/aggregation/aggregate_emitter.h"
#include "engine/runtime/aggregation/aggregator.h"
#include "engine/runtime/aggregation/group_by_stage.h"
#include "engine/runtime/query_task.h"
#include "engine/runtime/task.h"

namespace sluice {

// Stores a task opened, and the changelog collector they write to.
struct TaskStores {
  ChangelogCollector changelog;
  std::shared_ptr<KeyValueStore> source_table, suppress;
  AggregatorStores aggregate;
};

// Group by -> the repartition topic (the sub-topology's output), or -> aggregate -> emit when
// the plan groups by its input's key. The input is a source row (GroupBySourceTask) or a
// join's joined row (JoinTask); a table input's rows are materialized by the group-by stage
// (in the sub-topology's `KsqlTopic-Reduce` or `Join-Result-Reduce` store) so that an update
// subtracts the row's earlier contribution.
class GroupByTail {
 public:
  static Result<std::unique_ptr<GroupByTail>> Create(std::shared_ptr<const QueryPlan> plan, const SubTopologySpec& sub,
                                                     const TaskEnvironment& env);
  // `row_key`: a table row's key bytes (which row it replaces); null: the record's key.
  void Accept(const Row& row, int64_t ts, const KafkaRecord& in, bool deleted, const std::string* row_key,
              TaskOutput* out);
  void Commit(TaskOutput* out);
  Status TakeFailure() { return aggregator_ ? aggregator_->TakeFailure() : Status::OK(); }
  std::vector<ChangelogRecord> TakeChangelog() { return stores_->changelog.Take(); }

 private:
  GroupByTail() = default;
  void WriteRepartition(const GroupedChange& change);

  std::shared_ptr<const QueryPlan> plan_;
  std::unique_ptr<TaskStores> stores_;
  std::unique_ptr<GroupByStage> group_by_;
  std::unique_ptr<Aggregator> aggregator_;  // null when repartitioning
  std::unique_ptr<AggregateEmitter> emitter_;
  std::string repartition_topic_;
  TaskOutput* out_ = nullptr;  // the output of the record being processed
  std::string scratch_;
};

class GroupBySourceTask : public Task {
 public:
  static Result<std::unique_ptr<Task>> Create(std::shared_ptr<const QueryPlan> plan, const TopologySpec& topology,
                                              const SubTopologySpec& sub, const TaskEnvironment& env);
  Status Process(const KafkaRecord& in, TaskOutput* out) override;
  void Commit(TaskOutput* out) override { tail_->Commit(out); }
  std::vector<ChangelogRecord> TakeChangelog() override { return tail_->TakeChangelog(); }

 private:
  std::unique_ptr<QueryTask> source_;
  std::unique_ptr<GroupByTail> tail_;
  TaskOutput* out_ = nullptr;  // the output of the record being processed
};

class AggregateTask : public Task {
 public:
  static Result<std::unique_ptr<Task>> Create(std::shared_ptr<const QueryPlan> plan, const SubTopologySpec& sub,
                                              const TaskEnvironment& env);
  Status Process(const KafkaRecord& in, TaskOutput* out) override;
  void Commit(TaskOutput* out) override;
  std::vector<ChangelogRecord> TakeChangelog() override { return stores_->changelog.Take(); }

 private:
  std::shared_ptr<const QueryPlan> plan_;
  std::unique_ptr<TaskStores> stores_;
  std::unique_ptr<Aggregator> aggregator_;
  std::unique_ptr<AggregateEmitter> emitter_;
  std::vector<TypePtr> record_types_;
  TaskOutput* out_ = nullptr;
};

}  // namespace sluice
