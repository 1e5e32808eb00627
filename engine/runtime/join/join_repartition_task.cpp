#include "engine/runtime/join/join_repartition_task.h"

#include "engine/runtime/join/join_task.h"
#include "engine/runtime/state/row_codec.h"

namespace sluice {

Result<std::unique_ptr<Task>> JoinRepartitionTask::Create(std::shared_ptr<const QueryPlan> plan,
                                                          const SubTopologySpec& sub, const TaskEnvironment& env) {
  const JoinPlan& join = *plan->join;
  const size_t s = static_cast<size_t>(sub.join_source);
  if (sub.join_source < 0 || s > join.steps.size() || sub.output_topics.empty())
    return Status::RuntimeError("query " + plan->query_id + ": join repartition sub-topology without its source");
  std::unique_ptr<JoinRepartitionTask> task(new JoinRepartitionTask());
  task->plan_ = plan;
  task->topic_ = sub.output_topics[0];
  task->key_ = s == 0 ? &join.steps[0].left_key : &join.steps[s - 1].right_key;
  task->ctx_.lambda_values.resize(task->key_->lambda_slots);
  const DataSourcePtr& source = s == 0 ? plan->source : join.steps[s - 1].right;
  auto decoder = QueryTask::Create(JoinSidePlan(*plan, source));
  if (!decoder.ok()) return decoder.status();
  task->decoder_ = std::move(*decoder);
  JoinRepartitionTask* self = task.get();
  task->decoder_->SetRowConsumer([self](const Row& row, int64_t ts, const KafkaRecord& in, bool deleted) {
    if (!deleted) self->Write(row, ts, in);
  });
  auto key_out = MakeSerializer(join.repartition_key_format, {join.repartition_key_column});
  if (!key_out.ok()) return key_out.status();
  task->key_out_ = std::move(*key_out);
  return std::unique_ptr<Task>(std::move(task));
}

Status JoinRepartitionTask::Process(const KafkaRecord& in, TaskOutput* out) {
  out_ = out;
  std::vector<KafkaRecord> unused;
  return decoder_->Process(in, &unused, &out->processing_log);
}

void JoinRepartitionTask::Write(const Row& row, int64_t ts, const KafkaRecord& in) {
  ctx_.row = &row;
  ctx_.error.clear();
  key_row_.assign(1, key_->eval(ctx_));
  auto log = [&](const std::string& what) {
    out_->processing_log.push_back(ProcessingLogMessage(plan_->query_id, in, what));
  };
  if (!ctx_.error.empty()) log("Error evaluating join key: " + ctx_.error);
  if (key_row_[0].IsNull()) return;  // a NULL key joins nothing (the join would drop it too)
  key_bytes_.clear();
  if (Status s = key_out_->Serialize(key_row_, &key_bytes_); !s.ok()) return log("Failed to serialize join key: " + s.message());
  value_bytes_.clear();
  EncodeRow(row, &value_bytes_);
  KafkaRecord rec;
  rec.topic = topic_;
  rec.partition = -1;  // by the key's murmur2: the partition of the other side's rows of this key
  rec.timestamp = ts;
  rec.key = key_bytes_;
  rec.value = value_bytes_;
  out_->records.push_back(std::move(rec));
}

}  // namespace sluice
