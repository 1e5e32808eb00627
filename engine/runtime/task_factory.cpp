#include "engine/runtime/task_factory.h"

#include "engine/runtime/aggregation/aggregation_tasks.h"
#include "engine/runtime/join/join_repartition_task.h"
#include "engine/runtime/join/join_task.h"
#include "engine/runtime/query_task.h"

namespace sluice {

namespace {

// A stateless query's whole chain (source, WHERE, table functions, projection, sink) is one
// fused operator: there is nothing between its steps to cut.
class StatelessTask : public Task {
 public:
  explicit StatelessTask(std::unique_ptr<QueryTask> chain) : chain_(std::move(chain)) {}
  Status Process(const KafkaRecord& in, TaskOutput* out) override {
    return chain_->Process(in, &out->records, &out->processing_log);
  }

 private:
  std::unique_ptr<QueryTask> chain_;
};

}  // namespace

Result<std::unique_ptr<Task>> CreateTask(std::shared_ptr<const QueryPlan> plan, const TopologySpec& topology,
                                         size_t subtopology, const TaskEnvironment& env) {
  const SubTopologySpec& sub = topology.subtopologies.at(subtopology);
  switch (sub.role) {
    case SubTopologySpec::Role::kStateless: {
      auto chain = QueryTask::Create(*plan);
      if (!chain.ok()) return chain.status();
      return std::unique_ptr<Task>(std::make_unique<StatelessTask>(std::move(*chain)));
    }
    case SubTopologySpec::Role::kGroupBySource: return GroupBySourceTask::Create(plan, topology, sub, env);
    case SubTopologySpec::Role::kAggregate: return AggregateTask::Create(plan, sub, env);
    case SubTopologySpec::Role::kJoin: return JoinTask::Create(plan, topology, sub, env);
    case SubTopologySpec::Role::kJoinRepartition: return JoinRepartitionTask::Create(plan, sub, env);
  }
  return Status::RuntimeError("unknown sub-topology role");
}

}  // namespace sluice
