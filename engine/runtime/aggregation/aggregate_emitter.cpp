#include "engine/runtime/aggregation/aggregate_emitter.h"

#include "engine/runtime/state/row_codec.h"
#include "engine/runtime/state/state_keys.h"  // PutBE64

namespace sluice {

namespace {

// Buffered entry: [window start, window end, timestamp, key values..., results...].
constexpr size_t kBufferedHeader = 3;

}  // namespace

Result<std::unique_ptr<AggregateEmitter>> AggregateEmitter::Create(const QueryPlan& plan,
                                                                   std::shared_ptr<KeyValueStore> suppress_buffer,
                                                                   int partition) {
  std::unique_ptr<AggregateEmitter> e(new AggregateEmitter(plan, std::move(suppress_buffer), partition));
  auto key_out = MakeSerializer(plan.sink->key_format, plan.sink->KeyColumns());
  if (!key_out.ok()) return key_out.status();
  auto value_out = MakeSerializer(plan.sink->value_format, plan.sink->ValueColumns());
  if (!value_out.ok()) return value_out.status();
  e->key_out_ = std::move(*key_out);
  e->value_out_ = std::move(*value_out);
  int slots = e->agg_.having ? e->agg_.having->lambda_slots : 0;
  for (const auto& c : plan.key_columns) slots = std::max(slots, c.expr.lambda_slots);
  for (const auto& c : plan.value_columns) slots = std::max(slots, c.expr.lambda_slots);
  e->ctx_.lambda_values.resize(slots);
  e->row_.resize(e->agg_.post_row_width());
  e->buffered_types_ = {SqlType::Bigint(), SqlType::Bigint(), SqlType::Bigint()};
  for (const auto& g : e->agg_.group_by) e->buffered_types_.push_back(g.type);
  for (const auto& c : e->agg_.calls) e->buffered_types_.push_back(c.function->ReturnType());
  if (e->buffer_) e->RebuildBufferIndex();
  return e;
}

std::string AggregateEmitter::LogEntry(const KafkaRecord* in, const std::string& what) const {
  if (!in) return "query " + plan_.query_id + ": " + what;
  return ProcessingLogMessage(plan_.query_id, *in, what);
}

void AggregateEmitter::Accept(const AggregateUpdate& u, TaskOutput* out) {
  if (agg_.emit_final && buffer_) {
    stream_time_ = std::max(stream_time_, u.timestamp);
    if (u.new_results && u.window) Buffer(u);
    EvictClosed(out);
    return;
  }
  Emit(*u.key, *u.key_bytes, u.window, u.new_results, u.old_results, u.timestamp, u.in, out);
}

void AggregateEmitter::FillRow(const Row& key, std::optional<TimeWindow> window, const Row& results,
                               int64_t timestamp) {
  size_t i = 0;
  for (const auto& k : key) row_[i++] = k;
  for (const auto& r : results) row_[i++] = r;
  row_[agg_.post_rowtime_index()] = Value(timestamp);
  row_[agg_.post_windowstart_index()] = window ? Value(window->start) : Value();
  row_[agg_.post_windowend_index()] = window ? Value(window->end) : Value();
  ctx_.row = &row_;
}

bool AggregateEmitter::Passes(const Row& key, std::optional<TimeWindow> window, const Row& results,
                              int64_t timestamp, const KafkaRecord* in, TaskOutput* out) {
  if (!agg_.having) return true;
  FillRow(key, window, results, timestamp);
  ctx_.error.clear();
  Value keep = agg_.having->eval(ctx_);
  if (!ctx_.error.empty()) out->processing_log.push_back(LogEntry(in, "Error evaluating HAVING: " + ctx_.error));
  return keep.IsBool() && keep.AsBool();
}

// Table semantics downstream of the aggregate: new results that pass HAVING are written;
// a group whose old results passed and whose new ones do not (or that is gone) is deleted.
void AggregateEmitter::Emit(const Row& key, const std::string& key_bytes, std::optional<TimeWindow> window,
                            const Row* results, const Row* old_results, int64_t timestamp, const KafkaRecord* in,
                            TaskOutput* out) {
  const bool new_passes = results && Passes(key, window, *results, timestamp, in, out);
  if (!new_passes) {
    const bool old_passed = old_results && Passes(key, window, *old_results, timestamp, in, out);
    if (old_passed || (!results && !agg_.having)) WriteRecord(key_bytes, window, true, timestamp, in, out);
    return;
  }
  FillRow(key, window, *results, timestamp);
  ctx_.error.clear();
  value_.resize(plan_.value_columns.size());
  for (size_t i = 0; i < plan_.value_columns.size(); ++i) value_[i] = plan_.value_columns[i].expr.eval(ctx_);
  if (!ctx_.error.empty()) out->processing_log.push_back(LogEntry(in, "Error evaluating expression: " + ctx_.error));
  // The sink key is the grouping key projected (usually the key columns as they are).
  key_row_.resize(plan_.key_columns.size());
  bool identity_key = true;
  for (size_t i = 0; i < plan_.key_columns.size(); ++i) {
    key_row_[i] = plan_.key_columns[i].expr.eval(ctx_);
    identity_key = identity_key && i < key.size() && key_row_[i] == key[i];
  }
  std::string projected_key;
  const std::string* key_ptr = &key_bytes;
  if (!identity_key && key_out_->Serialize(key_row_, &projected_key).ok()) key_ptr = &projected_key;
  WriteRecord(*key_ptr, window, false, timestamp, in, out);
}

void AggregateEmitter::WriteRecord(const std::string& key_bytes, std::optional<TimeWindow> window, bool tombstone,
                                   int64_t timestamp, const KafkaRecord* in, TaskOutput* out) {
  KafkaRecord rec;
  rec.topic = plan_.sink->topic;
  rec.partition = -1;
  rec.timestamp = timestamp;
  key_scratch_ = key_bytes;
  if (window) {
    // Windowed keys as Kafka Streams writes them: time windows key + start; sessions key +
    // end + start (big-endian).
    if (agg_.window->kind == WindowSpec::Kind::kSession) state_keys::PutBE64(key_scratch_, static_cast<uint64_t>(window->end));
    state_keys::PutBE64(key_scratch_, static_cast<uint64_t>(window->start));
  }
  rec.key = key_scratch_;
  if (!tombstone && !value_out_->IsNullPayload(value_)) {
    Status s = value_out_->Serialize(value_, &value_scratch_);
    if (!s.ok()) {
      out->processing_log.push_back(LogEntry(in, "Failed to serialize value: " + s.message()));
      return;
    }
    rec.value = value_scratch_;
  }
  out->records.push_back(std::move(rec));
}

void AggregateEmitter::Buffer(const AggregateUpdate& u) {
  std::string buffer_key = *u.key_bytes;
  state_keys::PutBE64(buffer_key, static_cast<uint64_t>(u.window->start));
  Row entry{Value(u.window->start), Value(u.window->end), Value(u.timestamp)};
  entry.insert(entry.end(), u.key->begin(), u.key->end());
  entry.insert(entry.end(), u.new_results->begin(), u.new_results->end());
  value_scratch_.clear();
  EncodeRow(entry, &value_scratch_);
  if (!buffer_->Get(partition_, buffer_key)) closing_.emplace(u.window->end, buffer_key);
  buffer_->Put(partition_, buffer_key, value_scratch_, u.timestamp);
}

void AggregateEmitter::EvictClosed(TaskOutput* out) {
  const int64_t close_time = stream_time_ - agg_.window->grace_ms;
  while (!closing_.empty() && closing_.begin()->first <= close_time) {
    const std::string buffer_key = closing_.begin()->second;
    closing_.erase(closing_.begin());
    auto stored = buffer_->Get(partition_, buffer_key);
    if (!stored) continue;
    Row entry;
    if (!DecodeRow(*stored, buffered_types_, &entry).ok() || entry.size() < kBufferedHeader) continue;
    buffer_->Delete(partition_, buffer_key, stream_time_);
    const TimeWindow window{entry[0].AsBigint(), entry[1].AsBigint()};
    const int64_t ts = entry[2].AsBigint();
    const size_t keys = agg_.group_by.size();
    Row key(entry.begin() + kBufferedHeader, entry.begin() + static_cast<long>(kBufferedHeader + keys));
    Row results(entry.begin() + static_cast<long>(kBufferedHeader + keys), entry.end());
    const std::string key_bytes = buffer_key.substr(0, buffer_key.size() - 8);
    Emit(key, key_bytes, window, &results, nullptr, ts, nullptr, out);
  }
}

// After a restart the buffer's contents are in the store: rebuild the eviction order.
void AggregateEmitter::RebuildBufferIndex() {
  buffer_->Scan(partition_, [&](std::string_view key, std::string_view value) {
    Row entry;
    if (DecodeRow(value, buffered_types_, &entry).ok() && entry.size() >= kBufferedHeader)
      closing_.emplace(entry[1].AsBigint(), std::string(key));
    return true;
  });
}

}  // namespace sluice
