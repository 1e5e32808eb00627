#pragma once
// JoinRepartitionTask: one partition of a join source's repartition sub-topology (role
// kJoinRepartition). A source joined on something other than its key, when the sources have
// more than one partition, must be re-keyed before it meets the other side: this task decodes
// the source's records (as the join would), computes the side's join key and writes the row to
// the source's repartition topic, keyed by the join key in the join's partitioning key format
// (JoinPlan::repartition_key_format), so that the record lands in the partition of its match.
// The value is the side row (columns, ROWTIME, ROWPARTITION, ROWOFFSET) in the internal row
// codec; the join task decodes it back (engine/runtime/join/join_task.h).
#include <memory>

#include "engine/planner/topology.h"
#include "engine/runtime/query_task.h"
#include "engine/runtime/task.h"

namespace sluice {

class JoinRepartitionTask : public Task {
 public:
  static Result<std::unique_ptr<Task>> Create(std::shared_ptr<const QueryPlan> plan, const SubTopologySpec& sub,
                                              const TaskEnvironment& env);
  Status Process(const KafkaRecord& in, TaskOutput* out) override;

 private:
  JoinRepartitionTask() = default;
  void Write(const Row& row, int64_t ts, const KafkaRecord& in);

  std::shared_ptr<const QueryPlan> plan_;
  const CompiledExpression* key_ = nullptr;  // the side's join key, over its side row
  std::string topic_;
  std::unique_ptr<QueryTask> decoder_;
  std::unique_ptr<RowSerializer> key_out_;
  EvalContext ctx_;
  Row key_row_;
  std::string key_bytes_, value_bytes_;
  TaskOutput* out_ = nullptr;
};

}  // namespace sluice
