#include "engine/runtime/aggregation/group_by_stage.h"

#include "engine/runtime/state/row_codec.h"
#include "engine/runtime/task.h"

namespace sluice {

Result<std::unique_ptr<GroupByStage>> GroupByStage::Create(const QueryPlan& plan,
                                                           std::shared_ptr<KeyValueStore> table_store,
                                                           int partition, ChangeConsumer consumer) {
  std::unique_ptr<GroupByStage> stage(new GroupByStage(plan, std::move(table_store), partition, std::move(consumer)));
  auto key_ser = MakeSerializer(plan.sink->key_format, plan.sink->KeyColumns());
  if (!key_ser.ok()) return key_ser.status();
  stage->key_serializer_ = std::move(*key_ser);
  int slots = 0;
  for (const auto& g : stage->agg_.group_by) {
    stage->stored_types_.push_back(g.type);
    slots = std::max(slots, g.lambda_slots);
  }
  for (const auto& call : stage->agg_.calls)
    for (const auto& a : call.args) {
      stage->stored_types_.push_back(a.type);
      slots = std::max(slots, a.lambda_slots);
    }
  stage->ctx_.lambda_values.resize(slots);
  return stage;
}

std::string GroupByStage::LogEntry(const KafkaRecord& in, const std::string& what) const {
  return ProcessingLogMessage(plan_.query_id, in, what);
}

bool GroupByStage::Evaluate(const Row& row, const KafkaRecord& in, Row* key, std::string* key_bytes, Row* args,
                            std::vector<std::string>* log) {
  ctx_.row = &row;
  ctx_.error.clear();
  key->resize(agg_.group_by.size());
  for (size_t i = 0; i < agg_.group_by.size(); ++i) {
    (*key)[i] = agg_.group_by[i].eval(ctx_);
    if ((*key)[i].IsNull()) {
      // ksqlDB drops a record whose grouping key is NULL: it has no group to go to.
      log->push_back(LogEntry(in, "Skipping record: GROUP BY expression " + agg_.group_by_text[i] + " is NULL" +
                                      (ctx_.error.empty() ? "" : " (" + ctx_.error + ")")));
      return false;
    }
  }
  Status s = key_serializer_->Serialize(*key, key_bytes);
  if (!s.ok()) {
    log->push_back(LogEntry(in, "Failed to serialize the grouping key: " + s.message()));
    return false;
  }
  args->clear();
  for (const auto& call : agg_.calls)
    for (const auto& a : call.args) args->push_back(a.eval(ctx_));
  if (!ctx_.error.empty()) log->push_back(LogEntry(in, "Error evaluating aggregate arguments: " + ctx_.error));
  return true;
}

void GroupByStage::Accept(const Row& row, int64_t timestamp, const KafkaRecord& in, bool deleted,
                          std::vector<std::string>* log, const std::string* row_key) {
  if (table_store_) {
    if (row_key) return AcceptTableRow(row, *row_key, timestamp, in, deleted, log);
    if (in.key) return AcceptTableRow(row, *in.key, timestamp, in, deleted, log);
    return;
  }
  if (deleted) return;
  GroupedChange& change = change_;
  change.timestamp = timestamp;
  change.in = &in;
  change.undo.reset();
  if (!change.add) change.add.emplace();
  if (!Evaluate(row, in, &change.key, &change.key_bytes, &*change.add, log)) return;
  consumer_(change);
}

// A table row replaces the row with the same source key: subtract what the old row added
// (from the materialized source), add the new one. Within one group that is one change;
// across groups the old group is updated first, as Kafka Streams forwards them.
void GroupByStage::AcceptTableRow(const Row& row, const std::string& row_key, int64_t timestamp,
                                  const KafkaRecord& in, bool deleted, std::vector<std::string>* log) {
  const size_t key_count = agg_.group_by.size();
  std::optional<GroupedChange> old_change;
  if (auto stored = table_store_->Get(partition_, row_key)) {
    Row decoded;
    if (DecodeRow(*stored, stored_types_, &decoded).ok() && decoded.size() >= key_count) {
      GroupedChange c;
      c.key.assign(decoded.begin(), decoded.begin() + static_cast<long>(key_count));
      c.undo = Row(decoded.begin() + static_cast<long>(key_count), decoded.end());
      c.timestamp = timestamp;
      c.in = &in;
      key_serializer_->Serialize(c.key, &c.key_bytes).ok();
      old_change = std::move(c);
    }
  }
  GroupedChange new_change;
  new_change.timestamp = timestamp;
  new_change.in = &in;
  Row args;
  const bool has_new = !deleted && Evaluate(row, in, &new_change.key, &new_change.key_bytes, &args, log);
  if (has_new) {
    Row stored = new_change.key;
    stored.insert(stored.end(), args.begin(), args.end());
    scratch_.clear();
    EncodeRow(stored, &scratch_);
    table_store_->Put(partition_, row_key, scratch_, timestamp);
    new_change.add = std::move(args);
  } else if (old_change) {
    table_store_->Delete(partition_, row_key, timestamp);
  }
  if (old_change && has_new && old_change->key_bytes == new_change.key_bytes) {
    new_change.undo = std::move(old_change->undo);
    return consumer_(new_change);
  }
  if (old_change) consumer_(*old_change);
  if (has_new) consumer_(new_change);
}

}  // namespace sluice
