#include "engine/runtime/query_task.h"

#include <algorithm>

#include "engine/expr/java_time_format.h"

namespace sluice {

Result<std::unique_ptr<QueryTask>> QueryTask::Create(QueryPlan plan) {
  std::unique_ptr<QueryTask> task(new QueryTask(std::move(plan)));
  const QueryPlan& p = task->plan_;
  const DataSource& src = *p.source;
  for (size_t i = 0; i < src.columns.size(); ++i) {
    if (src.columns[i].ns == ColumnNamespace::kKey) task->key_positions_.push_back(static_cast<int>(i));
    if (src.columns[i].ns == ColumnNamespace::kValue) task->value_positions_.push_back(static_cast<int>(i));
  }
  auto key_in = MakeDeserializer(src.key_format, src.KeyColumns());
  if (!key_in.ok()) return key_in.status();
  // Decode only the value columns the query reads (simdjson skips the rest of the record).
  std::vector<bool> needed;
  for (int position : task->value_positions_)
    needed.push_back(std::find(p.used_columns.begin(), p.used_columns.end(), position) != p.used_columns.end());
  auto value_in = MakeDeserializer(src.value_format, src.ValueColumns(), needed);
  if (!value_in.ok()) return value_in.status();
  auto key_out = MakeSerializer(p.sink->key_format, p.sink->KeyColumns());
  if (!key_out.ok()) return key_out.status();
  auto value_out = MakeSerializer(p.sink->value_format, p.sink->ValueColumns());
  if (!value_out.ok()) return value_out.status();
  task->key_in_ = std::move(*key_in);
  task->value_in_ = std::move(*value_in);
  task->key_out_ = std::move(*key_out);
  task->value_out_ = std::move(*value_out);

  int slots = p.where ? p.where->lambda_slots : 0;
  for (const auto& c : p.key_columns) slots = std::max(slots, c.expr.lambda_slots);
  for (const auto& c : p.value_columns) slots = std::max(slots, c.expr.lambda_slots);
  for (const auto& t : p.table_functions) slots = std::max(slots, t.lambda_slots);
  task->ctx_.lambda_values.resize(slots);
  task->row_.resize(p.row_width);

  // Timestamp columns and their formats are fixed per query: resolve them once, not per record.
  for (size_t i = 0; i < src.columns.size(); ++i)
    if (src.columns[i].name == src.timestamp_column) task->timestamp_index_ = static_cast<int>(i);
  if (!src.timestamp_format.empty())
    task->source_ts_format_ = jtime::DateTimeFormat::Compile(src.timestamp_format, &task->source_ts_format_error_);
  if (!p.sink_timestamp_format.empty())
    task->sink_ts_format_ = jtime::DateTimeFormat::Compile(p.sink_timestamp_format, &task->sink_ts_format_error_);
  return task;
}

std::string QueryTask::LogEntry(const KafkaRecord& in, const std::string& what) const {
  return "query " + plan_.query_id + ", topic " + in.topic + ", partition " +
         std::to_string(in.partition) + ", offset " + std::to_string(in.offset) + ": " + what;
}

// A windowed key is the key's bytes followed by the window: start (time windows) or end and
// start (sessions), big-endian longs. Splits it and fills WINDOWSTART/WINDOWEND.
bool QueryTask::SplitWindowedKey(std::string_view* key, std::string* error) {
  const WindowInfo& w = *plan_.source->window;
  const bool session = w.kind == WindowSpec::Kind::kSession;
  const size_t suffix = session ? 16 : 8;
  if (key->size() < suffix) {
    *error = "Failed to deserialize key: windowed key shorter than its window";
    return false;
  }
  auto read = [&](size_t at) {
    uint64_t v = 0;
    for (size_t i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>((*key)[at + i]);
    return static_cast<int64_t>(v);
  };
  const size_t at = key->size() - suffix;
  const int64_t start = session ? read(at + 8) : read(at);
  const int64_t end = session ? read(at) : start + w.size_ms.value_or(0);
  window_suffix_.assign(key->substr(at));
  row_[plan_.windowstart_index] = Value(start);
  row_[plan_.windowend_index] = Value(end);
  *key = key->substr(0, at);
  return true;
}

bool QueryTask::Decode(const KafkaRecord& in, std::string* error) {
  for (auto& v : row_) v = Value();
  std::string_view key_bytes = in.key ? std::string_view(*in.key) : std::string_view();
  if (in.key && plan_.source->window && !SplitWindowedKey(&key_bytes, error)) return false;
  if (!key_positions_.empty()) {
    if (in.key) {
      Status s = key_in_->Deserialize(key_bytes, &key_row_);
      if (!s.ok()) {
        *error = "Failed to deserialize key: " + s.message();
        return false;
      }
      for (size_t i = 0; i < key_positions_.size() && i < key_row_.size(); ++i)
        row_[key_positions_[i]] = key_row_[i];
    }
  }
  if (in.value) {
    Status s = value_in_->Deserialize(*in.value, &value_row_);
    if (!s.ok()) {
      *error = "Failed to deserialize value: " + s.message();
      return false;
    }
    for (size_t i = 0; i < value_positions_.size() && i < value_row_.size(); ++i)
      row_[value_positions_[i]] = value_row_[i];
  }
  DecodeHeaders(in);
  row_[plan_.rowtime_index] = Value(in.timestamp);
  row_[plan_.rowpartition_index] = Value(static_cast<int32_t>(in.partition));
  row_[plan_.rowoffset_index] = Value(in.offset);
  return true;
}

// HEADERS columns get every header as ARRAY<STRUCT<KEY STRING, VALUE BYTES>>; a
// HEADER('k') column the value of the last header with that key.
void QueryTask::DecodeHeaders(const KafkaRecord& in) {
  const DataSource& src = *plan_.source;
  for (size_t i = 0; i < src.columns.size(); ++i) {
    const SourceColumn& c = src.columns[i];
    if (c.ns == ColumnNamespace::kHeaders) {
      ArrayValue items;
      const TypePtr& entry_type = c.type->element;
      for (const auto& h : in.headers)
        items.push_back(Value::Struct(entry_type, {Value(h.key), h.value ? Value(Bytes{*h.value}) : Value()}));
      row_[i] = Value::Array(std::move(items));
    } else if (c.ns == ColumnNamespace::kHeader) {
      for (const auto& h : in.headers)
        if (h.key == c.header_key) row_[i] = h.value ? Value(Bytes{*h.value}) : Value();
    }
  }
}

// A timestamp column's value as epoch millis: BIGINT, TIMESTAMP, or STRING in the column's
// TIMESTAMP_FORMAT (`format` is null, with `format_error` saying why, if that did not compile).
// Other kinds leave *ts unchanged (the analyzer admits none).
bool QueryTask::TimestampMillis(const Value& v, const jtime::DateTimeFormat* format,
                                const std::string& format_error, int64_t* ts, std::string* error) {
  if (v.IsBigint()) *ts = v.AsBigint();
  else if (v.IsTimestamp()) *ts = v.AsTimestamp().millis;
  else if (v.IsString()) {
    if (!format) {
      *error = format_error;
      return false;
    }
    return format->ParseInstant(v.AsString(), *jtime::TimeZone::Utc(), ts, error);
  }
  return true;
}

bool QueryTask::ExtractTimestamp(int64_t* ts, std::string* error) {
  if (timestamp_index_ < 0) return true;
  const Value& v = row_[timestamp_index_];
  if (v.IsNull()) {
    *error = "Timestamp column " + plan_.source->timestamp_column + " is null";
    return false;
  }
  if (!TimestampMillis(v, source_ts_format_.get(), source_ts_format_error_, ts, error)) return false;
  row_[plan_.rowtime_index] = Value(*ts);
  return true;
}

Status QueryTask::Process(const KafkaRecord& in, std::vector<KafkaRecord>* out,
                          std::vector<std::string>* log) {
  std::string error;
  if (!Decode(in, &error)) {
    log->push_back(LogEntry(in, error));
    return Status::OK();
  }
  const bool null_value = !in.value.has_value() ||
                          (in.value && value_row_.empty() && !value_positions_.empty());
  int64_t ts = in.timestamp;
  if (!null_value && !ExtractTimestamp(&ts, &error)) {
    if (plan_.fail_on_invalid_timestamp)
      return Status::RuntimeError("Fatal user code error in TimestampExtractor callback for record: " +
                                  LogEntry(in, error));
    log->push_back(LogEntry(in, error));
    return Status::OK();
  }
  if (ts < 0) {
    log->push_back(LogEntry(in, "Skipping record with invalid (negative) timestamp " + std::to_string(ts)));
    return Status::OK();
  }
  if (null_value) {
    // A record without a value has no value columns and no pseudo columns either (ksqlDB
    // sees a null row); only its key columns are known.
    row_[plan_.rowtime_index] = Value();
    row_[plan_.rowpartition_index] = Value();
    row_[plan_.rowoffset_index] = Value();
  }
  ctx_.row = &row_;
  ctx_.error.clear();
  const bool table = plan_.source->kind == SourceKind::kTable;
  if (table && !key_positions_.empty() && !in.key) {
    // A table row needs its PRIMARY KEY: without one it cannot be stored or updated.
    log->push_back(LogEntry(in, "Skipping record with a null key for table " + plan_.source->name));
    return Status::OK();
  }
  if (consumer_) return PassToConsumer(in, ts, null_value, log);
  if (null_value) {
    // A stream record without a value passes through (key re-computed) unless filtered; a
    // table tombstone deletes the row downstream too.
    if (table) EmitTombstone(in, ts, out, log);
    else if (!plan_.where) EmitProjected(in, ts, true, out, log);
    return Status::OK();
  }
  if (plan_.where) {
    Value keep = plan_.where->eval(ctx_);
    if (!ctx_.error.empty()) log->push_back(LogEntry(in, "Error evaluating WHERE: " + ctx_.error));
    if (keep.IsNull() || !keep.AsBool()) {
      if (table) EmitTombstone(in, ts, out, log);  // the row no longer matches: delete it
      return Status::OK();
    }
  }
  if (plan_.table_functions.empty()) {
    EmitProjected(in, ts, false, out, log);
    return Status::OK();
  }
  // Table functions: as many output rows as the longest result; shorter ones pad with NULL.
  std::vector<std::vector<Value>> produced;
  size_t rows = 0;
  for (auto& tf : plan_.table_functions) {
    produced.push_back(tf.eval(ctx_));
    rows = std::max(rows, produced.back().size());
  }
  if (!ctx_.error.empty()) log->push_back(LogEntry(in, "Error in table function: " + ctx_.error));
  for (size_t r = 0; r < rows; ++r) {
    for (size_t t = 0; t < produced.size(); ++t)
      row_[plan_.table_function_slots[t]] = r < produced[t].size() ? produced[t][r] : Value();
    EmitProjected(in, ts, false, out, log);
  }
  return Status::OK();
}

// Source stage of an aggregation: a stream record without a value is dropped (Kafka Streams'
// groupBy ignores null values); a table row that is deleted or stops matching WHERE is passed
// on as deleted, so that the aggregation can subtract its earlier contribution.
Status QueryTask::PassToConsumer(const KafkaRecord& in, int64_t ts, bool null_value,
                                 std::vector<std::string>* log) {
  const bool table = plan_.source->kind == SourceKind::kTable;
  if (null_value) {
    if (table) consumer_(row_, ts, in, true);
    return Status::OK();
  }
  if (plan_.where) {
    Value keep = plan_.where->eval(ctx_);
    if (!ctx_.error.empty()) log->push_back(LogEntry(in, "Error evaluating WHERE: " + ctx_.error));
    if (keep.IsNull() || !keep.AsBool()) {
      if (table) consumer_(row_, ts, in, true);
      return Status::OK();
    }
  }
  consumer_(row_, ts, in, false);
  return Status::OK();
}

void QueryTask::EmitProjected(const KafkaRecord& in, int64_t ts, bool null_value,
                              std::vector<KafkaRecord>* out, std::vector<std::string>* log) {
  ctx_.error.clear();
  out_key_.resize(plan_.key_columns.size());
  for (size_t i = 0; i < plan_.key_columns.size(); ++i) {
    // A record without a value has no row to evaluate a PARTITION BY expression on: only
    // expressions over the key columns alone (or constants) are computed, the others are NULL.
    if (null_value && plan_.repartitioned && plan_.key_columns[i].reads_value) out_key_[i] = Value();
    else out_key_[i] = plan_.key_columns[i].expr.eval(ctx_);
  }
  KafkaRecord rec;
  rec.topic = plan_.sink->topic;
  rec.partition = in.partition;
  rec.timestamp = ts;
  rec.headers = in.headers;
  if (!null_value) {
    out_value_.resize(plan_.value_columns.size());
    for (size_t i = 0; i < plan_.value_columns.size(); ++i) out_value_[i] = plan_.value_columns[i].expr.eval(ctx_);
    if (plan_.sink_timestamp_column >= 0) {
      const int n = static_cast<int>(out_value_.size());
      const Value& t = plan_.sink_timestamp_column < n ? out_value_[plan_.sink_timestamp_column]
                                                       : out_key_[plan_.sink_timestamp_column - n];
      if (!t.IsBigint() && !t.IsTimestamp() && !t.IsString()) {
        log->push_back(LogEntry(in, "Skipping record with a null output timestamp"));
        return;
      }
      std::string err;
      if (!TimestampMillis(t, sink_ts_format_.get(), sink_ts_format_error_, &rec.timestamp, &err)) {
        log->push_back(LogEntry(in, "Skipping record: cannot parse its output timestamp: " + err));
        return;
      }
    }
  }
  if (!ctx_.error.empty()) log->push_back(LogEntry(in, "Error evaluating expression: " + ctx_.error));
  if (rec.timestamp < 0) {
    // Kafka cannot carry a negative timestamp: skip the record, as Kafka Streams does.
    log->push_back(LogEntry(in, "Skipping record with invalid (negative) output timestamp " +
                                    std::to_string(rec.timestamp)));
    return;
  }
  std::string bytes;
  // A record without a key keeps having none unless PARTITION BY computes one; a single
  // NULL key column is a null key too. A computed key of several columns stays a record of
  // NULLs ({"A":null,"B":null}), as ksqlDB writes it.
  const bool all_null = std::all_of(out_key_.begin(), out_key_.end(), [](const Value& v) { return v.IsNull(); });
  const bool null_key = (all_null && out_key_.size() == 1) || (!in.key && !plan_.repartitioned);
  if (!plan_.key_columns.empty() && !null_key && !key_out_->IsNullPayload(out_key_)) {
    Status s = key_out_->Serialize(out_key_, &bytes);
    if (!s.ok()) {
      log->push_back(LogEntry(in, "Failed to serialize key: " + s.message()));
      return;
    }
    if (plan_.sink->window && plan_.source->window) bytes += window_suffix_;  // the key keeps its window
    rec.key = bytes;
  }
  if (!null_value && !value_out_->IsNullPayload(out_value_)) {
    Status s = value_out_->Serialize(out_value_, &bytes);
    if (!s.ok()) {
      log->push_back(LogEntry(in, "Failed to serialize value: " + s.message()));
      return;
    }
    rec.value = bytes;
  }
  out->push_back(std::move(rec));
}

void QueryTask::EmitTombstone(const KafkaRecord& in, int64_t ts, std::vector<KafkaRecord>* out,
                              std::vector<std::string>* log) {
  EmitProjected(in, ts, true, out, log);
}

}  // namespace sluice
