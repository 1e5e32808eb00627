#include "engine/runtime/aggregation/aggregation_tasks.h"

#include "engine/runtime/state/row_codec.h"

namespace sluice {

namespace {

constexpr int32_t kAdd = 1, kUndo = 2;

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Opens the stores a sub-topology declares.
Status OpenStores(const SubTopologySpec& sub, const TaskEnvironment& env, TaskStores* stores) {
  for (const auto& spec : sub.stores) {
    if (EndsWith(spec.name, "-KsqlTopic-Reduce") || EndsWith(spec.name, "-Join-Result-Reduce")) {
      auto s = env.state->OpenKeyValue(spec.name, &stores->changelog);
      if (!s.ok()) return s.status();
      stores->source_table = *s;
    } else if (EndsWith(spec.name, "-Aggregate-Suppress")) {
      auto s = env.state->OpenKeyValue(spec.name, &stores->changelog);
      if (!s.ok()) return s.status();
      stores->suppress = *s;
    } else if (!EndsWith(spec.name, "-Aggregate-Aggregate-Materialize")) {
      continue;  // another stage's store (a join's, in the same sub-topology)
    } else if (spec.kind == StoreSpec::Kind::kKeyValue) {
      auto s = env.state->OpenKeyValue(spec.name, &stores->changelog);
      if (!s.ok()) return s.status();
      stores->aggregate.groups = *s;
    } else if (spec.kind == StoreSpec::Kind::kWindow) {
      auto s = env.state->OpenWindow(spec.name, spec.retention_ms, &stores->changelog);
      if (!s.ok()) return s.status();
      stores->aggregate.windows = *s;
    } else {
      auto s = env.state->OpenSession(spec.name, spec.retention_ms, &stores->changelog);
      if (!s.ok()) return s.status();
      stores->aggregate.sessions = *s;
    }
  }
  return Status::OK();
}

// Aggregator -> emitter, writing into whatever output the task is filling.
Status MakeAggregation(const QueryPlan& plan, TaskStores* stores, const TaskEnvironment& env, TaskOutput** out,
                       std::unique_ptr<Aggregator>* aggregator, std::unique_ptr<AggregateEmitter>* emitter) {
  const int partition = env.partition;
  auto e = AggregateEmitter::Create(plan, stores->suppress, partition);
  if (!e.ok()) return e.status();
  *emitter = std::move(*e);
  AggregateEmitter* em = emitter->get();
  *aggregator = std::make_unique<Aggregator>(*plan.aggregation, stores->aggregate, partition,
                                             [em, out](const AggregateUpdate& u) { em->Accept(u, *out); },
                                             env.cache_max_bytes);
  return Status::OK();
}

}  // namespace

Result<std::unique_ptr<GroupByTail>> GroupByTail::Create(std::shared_ptr<const QueryPlan> plan,
                                                         const SubTopologySpec& sub, const TaskEnvironment& env) {
  std::unique_ptr<GroupByTail> task(new GroupByTail());
  task->plan_ = plan;
  task->stores_ = std::make_unique<TaskStores>();
  SLUICE_RETURN_IF_ERROR(OpenStores(sub, env, task->stores_.get()));
  if (plan->aggregation->repartition) task->repartition_topic_ = sub.output_topics.at(0);
  GroupByTail* self = task.get();
  if (plan->aggregation->repartition) {
    auto g = GroupByStage::Create(*plan, task->stores_->source_table, env.partition,
                                  [self](GroupedChange& c) { self->WriteRepartition(c); });
    if (!g.ok()) return g.status();
    task->group_by_ = std::move(*g);
  } else {
    SLUICE_RETURN_IF_ERROR(MakeAggregation(*plan, task->stores_.get(), env, &task->out_,
                                           &task->aggregator_, &task->emitter_));
    auto g = GroupByStage::Create(*plan, task->stores_->source_table, env.partition,
                                  [self](GroupedChange& c) { self->aggregator_->Apply(c, &self->out_->processing_log); });
    if (!g.ok()) return g.status();
    task->group_by_ = std::move(*g);
  }
  return task;
}

void GroupByTail::Accept(const Row& row, int64_t ts, const KafkaRecord& in, bool deleted, const std::string* row_key,
                         TaskOutput* out) {
  out_ = out;
  group_by_->Accept(row, ts, in, deleted, &out->processing_log, row_key);
}

void GroupByTail::Commit(TaskOutput* out) {
  out_ = out;
  if (aggregator_) aggregator_->Flush();
}

Result<std::unique_ptr<Task>> GroupBySourceTask::Create(std::shared_ptr<const QueryPlan> plan,
                                                        const TopologySpec& topology, const SubTopologySpec& sub,
                                                        const TaskEnvironment& env) {
  std::unique_ptr<GroupBySourceTask> task(new GroupBySourceTask());
  auto tail = GroupByTail::Create(plan, sub, env);
  if (!tail.ok()) return tail.status();
  task->tail_ = std::move(*tail);
  auto source = QueryTask::Create(*plan);
  if (!source.ok()) return source.status();
  task->source_ = std::move(*source);
  GroupBySourceTask* self = task.get();
  task->source_->SetRowConsumer([self](const Row& row, int64_t ts, const KafkaRecord& in, bool deleted) {
    self->tail_->Accept(row, ts, in, deleted, nullptr, self->out_);
  });
  return std::unique_ptr<Task>(std::move(task));
}

Status GroupBySourceTask::Process(const KafkaRecord& in, TaskOutput* out) {
  out_ = out;
  std::vector<KafkaRecord> unused;
  SLUICE_RETURN_IF_ERROR(source_->Process(in, &unused, &out->processing_log));
  return tail_->TakeFailure();
}

void AggregateTask::Commit(TaskOutput* out) {
  out_ = out;
  aggregator_->Flush();
}

void GroupByTail::WriteRepartition(const GroupedChange& change) {
  Row value{Value((change.add ? kAdd : 0) | (change.undo ? kUndo : 0))};
  value.insert(value.end(), change.key.begin(), change.key.end());
  if (change.add) value.insert(value.end(), change.add->begin(), change.add->end());
  if (change.undo) value.insert(value.end(), change.undo->begin(), change.undo->end());
  scratch_.clear();
  EncodeRow(value, &scratch_);
  KafkaRecord rec;
  rec.topic = repartition_topic_;
  rec.partition = -1;
  rec.timestamp = change.timestamp;
  rec.key = change.key_bytes;
  rec.value = scratch_;
  out_->records.push_back(std::move(rec));
}

Result<std::unique_ptr<Task>> AggregateTask::Create(std::shared_ptr<const QueryPlan> plan, const SubTopologySpec& sub,
                                                    const TaskEnvironment& env) {
  std::unique_ptr<AggregateTask> task(new AggregateTask());
  task->plan_ = plan;
  task->stores_ = std::make_unique<TaskStores>();
  SLUICE_RETURN_IF_ERROR(OpenStores(sub, env, task->stores_.get()));
  SLUICE_RETURN_IF_ERROR(MakeAggregation(*plan, task->stores_.get(), env, &task->out_,
                                         &task->aggregator_, &task->emitter_));
  task->record_types_.push_back(SqlType::Integer());
  for (const auto& g : plan->aggregation->group_by) task->record_types_.push_back(g.type);
  for (int pass = 0; pass < 2; ++pass)
    for (const auto& call : plan->aggregation->calls)
      for (const auto& a : call.args) task->record_types_.push_back(a.type);
  return std::unique_ptr<Task>(std::move(task));
}

Status AggregateTask::Process(const KafkaRecord& in, TaskOutput* out) {
  out_ = out;
  if (!in.key || !in.value) return Status::OK();
  Row value;
  if (!DecodeRow(*in.value, record_types_, &value).ok() || value.empty() || !value[0].IsInt()) {
    out->processing_log.push_back("query " + plan_->query_id + ", topic " + in.topic + ", partition " +
                                  std::to_string(in.partition) + ", offset " + std::to_string(in.offset) +
                                  ": malformed repartition record");
    return Status::OK();
  }
  const int32_t flags = value[0].AsInt();
  const size_t keys = plan_->aggregation->group_by.size();
  size_t args = 0;
  for (const auto& call : plan_->aggregation->calls) args += call.args.size();
  const size_t expected = 1 + keys + ((flags & kAdd) ? args : 0) + ((flags & kUndo) ? args : 0);
  if (value.size() != expected) {
    out->processing_log.push_back("query " + plan_->query_id + ": repartition record of unexpected width");
    return Status::OK();
  }
  GroupedChange change;
  change.key.assign(value.begin() + 1, value.begin() + static_cast<long>(1 + keys));
  change.key_bytes = *in.key;
  change.timestamp = in.timestamp;
  change.in = &in;
  auto at = value.begin() + static_cast<long>(1 + keys);
  if (flags & kAdd) {
    change.add = Row(at, at + static_cast<long>(args));
    at += static_cast<long>(args);
  }
  if (flags & kUndo) change.undo = Row(at, at + static_cast<long>(args));
  aggregator_->Apply(change, &out->processing_log);
  return aggregator_->TakeFailure();
}

}  // namespace sluice
