#include "engine/runtime/join/join_task.h"

#include <algorithm>

#include "engine/runtime/state/row_codec.h"

namespace sluice {

namespace {

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// One side's decoding plan: its source's columns and pseudo columns, every column decoded, no
// WHERE (the join's WHERE runs on the joined row). The sink is the source itself only because
// QueryTask builds serializers; the join never uses them.
QueryPlan SidePlan(const QueryPlan& plan, const DataSourcePtr& source) {
  QueryPlan side;
  side.query_id = plan.query_id;
  side.source = source;
  side.sink = source;
  side.source_column_count = static_cast<int>(source->columns.size());
  side.rowtime_index = side.source_column_count;
  side.rowpartition_index = side.rowtime_index + 1;
  side.rowoffset_index = side.rowtime_index + 2;
  side.row_width = side.rowtime_index + 3;
  for (int i = 0; i < side.source_column_count; ++i) side.used_columns.push_back(i);
  side.fail_on_invalid_timestamp = plan.fail_on_invalid_timestamp;
  return side;
}

// Stream-stream window entries hold every record of a key at one timestamp: a list of
// length-prefixed encoded rows.
void AppendFramed(const Row& row, std::string* out) {
  std::string bytes;
  EncodeRow(row, &bytes);
  const uint32_t n = static_cast<uint32_t>(bytes.size());
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>((n >> shift) & 0xff));
  out->append(bytes);
}

std::vector<Row> DecodeFramed(std::string_view bytes, const std::vector<TypePtr>& types) {
  std::vector<Row> rows;
  size_t pos = 0;
  while (pos + 4 <= bytes.size()) {
    uint32_t n = 0;
    for (int i = 0; i < 4; ++i) n = (n << 8) | static_cast<unsigned char>(bytes[pos + i]);
    pos += 4;
    if (pos + n > bytes.size()) break;
    Row row;
    if (DecodeRow(bytes.substr(pos, n), types, &row).ok()) rows.push_back(std::move(row));
    pos += n;
  }
  return rows;
}

void AppendInt64BE(std::string* out, int64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>((static_cast<uint64_t>(v) >> shift) & 0xff));
}

int64_t ReadInt64BE(std::string_view s) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(s[i]);
  return static_cast<int64_t>(v);
}

// Outer store key: timestamp (big-endian, so a scan is in time order), side, join key bytes.
std::string OuterKey(int64_t ts, int side, const std::string& key_bytes) {
  std::string k;
  AppendInt64BE(&k, ts);
  k.push_back(static_cast<char>(side));
  k.append(key_bytes);
  return k;
}

}  // namespace

Result<std::unique_ptr<Task>> JoinTask::Create(std::shared_ptr<const QueryPlan> plan, const SubTopologySpec& sub,
                                               const TaskEnvironment& env) {
  std::unique_ptr<JoinTask> task(new JoinTask());
  task->plan_ = plan;
  task->join_ = &*plan->join;
  task->partition_ = env.partition;
  const DataSourcePtr sources[2] = {plan->source, plan->join->right};
  for (int s = 0; s < 2; ++s) {
    task->topics_[s] = sources[s]->topic;
    auto side = QueryTask::Create(SidePlan(*plan, sources[s]));
    if (!side.ok()) return side.status();
    task->sides_[s] = std::move(*side);
    for (const auto& c : sources[s]->columns) task->side_types_[s].push_back(c.type);
    task->side_rowtime_[s] = static_cast<int>(sources[s]->columns.size());
    task->side_types_[s].insert(task->side_types_[s].end(), {SqlType::Bigint(), SqlType::Integer(), SqlType::Bigint()});
    JoinTask* self = task.get();
    task->sides_[s]->SetRowConsumer([self, s](const Row& row, int64_t ts, const KafkaRecord& in, bool deleted) {
      self->OnRow(s, row, ts, in, deleted);
    });
    const CompiledExpression& key = s == 0 ? plan->join->left_key : plan->join->right_key;
    task->key_ctx_[s].lambda_values.resize(key.lambda_slots);
  }
  for (const auto& spec : sub.stores) {
    const int side = EndsWith(spec.name, "Left-Reduce") || EndsWith(spec.name, "-this-join-store") ? 0 : 1;
    if (spec.kind == StoreSpec::Kind::kWindow) {
      auto w = env.state->OpenWindow(spec.name, spec.retention_ms, &task->changelog_);
      if (!w.ok()) return w.status();
      task->windows_[side] = *w;
      continue;
    }
    auto kv = env.state->OpenKeyValue(spec.name, &task->changelog_);
    if (!kv.ok()) return kv.status();
    if (EndsWith(spec.name, "-outer-shared-join-store")) task->outer_ = *kv;
    else task->tables_[side] = *kv;
  }
  auto key_out = MakeSerializer(plan->sink->key_format, plan->sink->KeyColumns());
  if (!key_out.ok()) return key_out.status();
  auto value_out = MakeSerializer(plan->sink->value_format, plan->sink->ValueColumns());
  if (!value_out.ok()) return value_out.status();
  task->key_out_ = std::move(*key_out);
  task->value_out_ = std::move(*value_out);
  int slots = plan->where ? plan->where->lambda_slots : 0;
  for (const auto& c : plan->key_columns) slots = std::max(slots, c.expr.lambda_slots);
  for (const auto& c : plan->value_columns) slots = std::max(slots, c.expr.lambda_slots);
  task->ctx_.lambda_values.resize(slots);
  task->joined_.resize(plan->row_width);
  return std::unique_ptr<Task>(std::move(task));
}

std::string JoinTask::LogEntry(const KafkaRecord& in, const std::string& what) const {
  return "query " + plan_->query_id + ", topic " + in.topic + ", partition " + std::to_string(in.partition) +
         ", offset " + std::to_string(in.offset) + ": " + what;
}

Status JoinTask::Process(const KafkaRecord& in, TaskOutput* out) {
  out_ = out;
  std::vector<KafkaRecord> unused;
  for (int s = 0; s < 2; ++s)
    if (in.topic == topics_[s]) SLUICE_RETURN_IF_ERROR(sides_[s]->Process(in, &unused, &out->processing_log));
  return Status::OK();
}

void JoinTask::OnRow(int side, const Row& row, int64_t ts, const KafkaRecord& in, bool deleted) {
  EvalContext& ctx = key_ctx_[side];
  ctx.row = &row;
  ctx.error.clear();
  const Value key = (side == 0 ? join_->left_key : join_->right_key).eval(ctx);
  if (!ctx.error.empty()) out_->processing_log.push_back(LogEntry(in, "Error evaluating join key: " + ctx.error));
  if (key.IsNull()) return;  // a NULL key joins nothing (Kafka Streams drops such records)
  std::string key_bytes;
  EncodeRow(Row{key}, &key_bytes);
  switch (join_->kind) {
    case JoinPlan::Kind::kStreamTable: return StreamTable(side, row, key_bytes, key, ts, in, deleted);
    case JoinPlan::Kind::kTableTable: return TableTable(side, row, key_bytes, key, ts, in, deleted);
    case JoinPlan::Kind::kStreamStream: return StreamStream(side, row, key_bytes, key, ts, in);
  }
}

std::optional<Row> JoinTask::Lookup(int side, const std::string& key_bytes) {
  auto bytes = tables_[side]->Get(partition_, key_bytes);
  if (!bytes) return std::nullopt;
  Row row;
  if (!DecodeRow(*bytes, side_types_[side], &row).ok()) return std::nullopt;
  return row;
}

// The stream (left) side looks the table up; the table side only updates its store.
void JoinTask::StreamTable(int side, const Row& row, const std::string& key_bytes, const Value& key, int64_t ts,
                           const KafkaRecord& in, bool deleted) {
  if (side == 1) {
    if (deleted) tables_[1]->Delete(partition_, key_bytes, ts);
    else {
      std::string bytes;
      EncodeRow(row, &bytes);
      tables_[1]->Put(partition_, key_bytes, bytes, ts);
    }
    return;
  }
  std::optional<Row> other = Lookup(1, key_bytes);
  if (!other && join_->type != JoinType::kLeft) return;
  Emit(&row, other ? &*other : nullptr, key, ts, in, false);
}

// Kafka Streams' KTable-KTable join processors (with old values sent): an update of one side
// emits the join of its new row with the other side's row, or a tombstone when no result
// remains; nothing when the result never existed.
void JoinTask::TableTable(int side, const Row& row, const std::string& key_bytes, const Value& key, int64_t ts,
                          const KafkaRecord& in, bool deleted) {
  std::optional<Row> old = Lookup(side, key_bytes);
  if (deleted) tables_[side]->Delete(partition_, key_bytes, ts);
  else {
    std::string bytes;
    EncodeRow(row, &bytes);
    tables_[side]->Put(partition_, key_bytes, bytes, ts);
  }
  std::optional<Row> other = Lookup(1 - side, key_bytes);
  const bool this_preserved = side == 0 ? join_->left_preserved() : join_->right_preserved();
  const bool other_preserved = side == 0 ? join_->right_preserved() : join_->left_preserved();
  if (!other && !this_preserved) return;
  if (!other && deleted && !old) return;
  const bool result = (!deleted && other) || (!deleted && this_preserved) || (other && other_preserved);
  const Row* mine = deleted ? nullptr : &row;
  const Row* theirs = other ? &*other : nullptr;
  int64_t result_ts = ts;
  if (other) result_ts = std::max(ts, (*other)[side_rowtime_[1 - side]].IsBigint()
                                          ? (*other)[side_rowtime_[1 - side]].AsBigint() : ts);
  if (plan_->where && !(result && Passes(side, mine, theirs, key, result_ts, in))) {
    // A filtered table downstream of the join: a tombstone only for a row that was there.
    const bool old_result = (old && other) || (old && this_preserved) || (other && other_preserved);
    const Row* was = old ? &*old : nullptr;
    if (!old_result || !Passes(side, was, theirs, key, result_ts, in)) return;
    if (side == 0) Emit(nullptr, nullptr, key, result_ts, in, true);
    else Emit(nullptr, nullptr, key, result_ts, in, true);
    return;
  }
  if (side == 0) Emit(mine, theirs, key, result_ts, in, !result);
  else Emit(theirs, mine, key, result_ts, in, !result);
}

bool JoinTask::Passes(int side, const Row* mine, const Row* theirs, const Value& key, int64_t ts,
                      const KafkaRecord& in) {
  const Row* left = side == 0 ? mine : theirs;
  const Row* right = side == 0 ? theirs : mine;
  FillJoined(left, right, key, ts, in);
  ctx_.error.clear();
  Value keep = plan_->where->eval(ctx_);
  return keep.IsBool() && keep.AsBool();
}

// The sink's TIMESTAMP column (a value column, or a key column after the values): BIGINT or
// TIMESTAMP. A NULL skips the record, as Kafka cannot carry it.
bool JoinTask::SinkTimestamp(int64_t* ts, const KafkaRecord& in) {
  const int n = static_cast<int>(out_value_.size());
  const int i = plan_->sink_timestamp_column;
  const Value& t = i < n ? out_value_[i] : out_key_[i - n];
  if (t.IsBigint()) *ts = t.AsBigint();
  else if (t.IsTimestamp()) *ts = t.AsTimestamp().millis;
  else {
    out_->processing_log.push_back(LogEntry(in, "Skipping record with a null or non-numeric output timestamp"));
    return false;
  }
  return *ts >= 0;
}

void JoinTask::FillJoined(const Row* left, const Row* right, const Value& key, int64_t ts, const KafkaRecord& in) {
  const int nl = join_->right_offset, nr = join_->right_width;
  for (int i = 0; i < nl; ++i) joined_[i] = left && i < static_cast<int>(left->size()) ? (*left)[i] : Value();
  for (int i = 0; i < nr; ++i) joined_[nl + i] = right && i < static_cast<int>(right->size()) ? (*right)[i] : Value();
  joined_[plan_->rowtime_index] = Value(ts);
  joined_[plan_->rowpartition_index] = Value(static_cast<int32_t>(in.partition));
  joined_[plan_->rowoffset_index] = Value(in.offset);
  joined_[join_->key_index] = key;
  ctx_.row = &joined_;
}

// Kafka Streams' KStream-KStream join: the record joins the other side's records within its
// window; a record of a preserved side that joins none is emitted with NULLs at once (no GRACE
// PERIOD, or its window has already closed) or later, when its window closes.
void JoinTask::StreamStream(int side, const Row& row, const std::string& key_bytes, const Value& key, int64_t ts,
                            const KafkaRecord& in) {
  const int64_t retention = join_->before_ms + join_->after_ms + join_->grace_ms;
  // Puts older than the store's retention are dropped, as a segmented window store does.
  side_time_[side] = std::max(side_time_[side], ts);
  if (ts >= side_time_[side] - retention) {
    std::string value;
    if (auto existing = windows_[side]->Get(partition_, key_bytes, ts)) value = *existing;
    AppendFramed(row, &value);
    windows_[side]->Put(partition_, key_bytes, ts, value, ts);
  }
  stream_time_ = std::max(stream_time_, ts);
  if (outer_ && ts == stream_time_) EmitClosedOuterRecords(in);

  // The other side's window: for the left side [ts - before, ts + after]; mirrored for the right.
  const int64_t before = side == 0 ? join_->before_ms : join_->after_ms;
  const int64_t after = side == 0 ? join_->after_ms : join_->before_ms;
  const int64_t from = std::max<int64_t>(0, ts - before), to = std::max<int64_t>(0, ts + after);
  std::vector<std::pair<int64_t, Row>> matches;
  windows_[1 - side]->Fetch(partition_, key_bytes, from, to, [&](int64_t start, std::string_view value) {
    for (auto& r : DecodeFramed(value, side_types_[1 - side])) matches.emplace_back(start, std::move(r));
    return true;
  });
  for (auto& [other_ts, other] : matches) {
    if (outer_) outer_->Delete(partition_, OuterKey(other_ts, 1 - side, key_bytes), ts);
    const int64_t result_ts = std::max(ts, other_ts);
    if (side == 0) Emit(&row, &other, key, result_ts, in, false);
    else Emit(&other, &row, key, result_ts, in, false);
  }
  const bool preserved = side == 0 ? join_->left_preserved() : join_->right_preserved();
  if (!matches.empty() || !preserved) return;
  if (!outer_ || to < stream_time_) {
    if (side == 0) Emit(&row, nullptr, key, ts, in, false);
    else Emit(nullptr, &row, key, ts, in, false);
    return;
  }
  const std::string outer_key = OuterKey(ts, side, key_bytes);
  std::string value;
  if (auto existing = outer_->Get(partition_, outer_key)) value = *existing;
  AppendFramed(row, &value);
  outer_->Put(partition_, outer_key, value, ts);
}

// Outer results whose window (and grace) has closed, in time order.
void JoinTask::EmitClosedOuterRecords(const KafkaRecord& in) {
  std::vector<std::pair<std::string, std::string>> closed;
  outer_->Scan(partition_, [&](std::string_view k, std::string_view v) {
    if (k.size() < 9) return true;
    const int64_t ts = ReadInt64BE(k);
    const int side = static_cast<unsigned char>(k[8]);
    const int64_t look_back = side == 0 ? join_->after_ms : join_->before_ms;
    if (ts + look_back + join_->grace_ms >= stream_time_) return false;
    closed.emplace_back(std::string(k), std::string(v));
    return true;
  });
  for (const auto& [k, v] : closed) {
    const int64_t ts = ReadInt64BE(k);
    const int side = static_cast<unsigned char>(k[8]);
    Row key_row;
    if (!DecodeRow(std::string_view(k).substr(9), {side == 0 ? join_->left_key.type : join_->right_key.type}, &key_row).ok() ||
        key_row.empty())
      continue;
    for (const auto& row : DecodeFramed(v, side_types_[side])) {
      if (side == 0) Emit(&row, nullptr, key_row[0], ts, in, false);
      else Emit(nullptr, &row, key_row[0], ts, in, false);
    }
    outer_->Delete(partition_, k, ts);
  }
}

void JoinTask::Emit(const Row* left, const Row* right, const Value& key, int64_t ts, const KafkaRecord& in,
                    bool tombstone) {
  FillJoined(left, right, key, ts, in);
  ctx_.error.clear();
  const bool table = join_->kind == JoinPlan::Kind::kTableTable;
  if (!tombstone && plan_->where) {
    Value keep = plan_->where->eval(ctx_);
    if (!ctx_.error.empty()) out_->processing_log.push_back(LogEntry(in, "Error evaluating WHERE: " + ctx_.error));
    if (keep.IsNull() || !keep.AsBool()) {
      if (!table) return;
      tombstone = true;  // the joined row no longer matches: delete it downstream
    }
  }
  ctx_.error.clear();
  out_key_.resize(plan_->key_columns.size());
  for (size_t i = 0; i < plan_->key_columns.size(); ++i) out_key_[i] = plan_->key_columns[i].expr.eval(ctx_);
  KafkaRecord rec;
  rec.topic = plan_->sink->topic;
  rec.partition = -1;  // by the key's murmur2, as the Java producer does (the sink may have its own count)
  rec.timestamp = ts;
  if (!tombstone) {
    out_value_.resize(plan_->value_columns.size());
    for (size_t i = 0; i < plan_->value_columns.size(); ++i) out_value_[i] = plan_->value_columns[i].expr.eval(ctx_);
  }
  if (!ctx_.error.empty()) out_->processing_log.push_back(LogEntry(in, "Error evaluating expression: " + ctx_.error));
  if (!tombstone && plan_->sink_timestamp_column >= 0 && !SinkTimestamp(&rec.timestamp, in)) return;
  std::string bytes;
  if (!key_out_->IsNullPayload(out_key_)) {
    Status s = key_out_->Serialize(out_key_, &bytes);
    if (!s.ok()) {
      out_->processing_log.push_back(LogEntry(in, "Failed to serialize key: " + s.message()));
      return;
    }
    rec.key = bytes;
  }
  if (!tombstone && !value_out_->IsNullPayload(out_value_)) {
    Status s = value_out_->Serialize(out_value_, &bytes);
    if (!s.ok()) {
      out_->processing_log.push_back(LogEntry(in, "Failed to serialize value: " + s.message()));
      return;
    }
    rec.value = bytes;
  }
  out_->records.push_back(std::move(rec));
}

}  // namespace sluice
