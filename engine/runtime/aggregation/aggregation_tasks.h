#pragma once
// The tasks of an aggregation's sub-topologies:
//   GroupBySourceTask: source -> WHERE -> group by -> either the repartition topic, or (when
//                      the grouping is the source's key) aggregate -> emit in the same task;
//   AggregateTask:     repartition topic -> aggregate -> emit.
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

class GroupBySourceTask : public Task {
 public:
  static Result<std::unique_ptr<Task>> Create(std::shared_ptr<const QueryPlan> plan, const TopologySpec& topology,
                                              const SubTopologySpec& sub, const TaskEnvironment& env);
  Status Process(const KafkaRecord& in, TaskOutput* out) override;
  void Commit(TaskOutput* out) override;
  std::vector<ChangelogRecord> TakeChangelog() override { return stores_->changelog.Take(); }

 private:
  void WriteRepartition(const GroupedChange& change);

  std::shared_ptr<const QueryPlan> plan_;
  std::unique_ptr<TaskStores> stores_;
  std::unique_ptr<QueryTask> source_;
  std::unique_ptr<GroupByStage> group_by_;
  std::unique_ptr<Aggregator> aggregator_;  // null when repartitioning
  std::unique_ptr<AggregateEmitter> emitter_;
  std::string repartition_topic_;
  TaskOutput* out_ = nullptr;  // the output of the record being processed
  std::string scratch_;
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
