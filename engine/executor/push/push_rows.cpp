#include "engine/executor/push/push_rows.h"

#include <spdlog/spdlog.h>

#include "engine/runtime/state/state_keys.h"  // GetBE64
#include "engine/executor/pull/pull_plan.h"  // RestValue: values as ksqlDB's REST API writes them

namespace sluice {

namespace {

// A window bound of a windowed topic key: big-endian int64 at `at`.
int64_t WindowBoundAt(std::string_view key, size_t at) {
  return static_cast<int64_t>(state_keys::GetBE64(key.data() + at));
}

}  // namespace

Result<std::unique_ptr<PushRowDecoder>> PushRowDecoder::Create(const QueryPlan& plan,
                                                               const std::vector<std::string>& result_columns) {
  const DataSource& sink = *plan.sink;
  std::unique_ptr<PushRowDecoder> d(new PushRowDecoder());
  d->window_ = sink.window;
  d->table_ = sink.kind == SourceKind::kTable;
  const auto keys = sink.KeyColumns();
  const auto values = sink.ValueColumns();
  d->key_count_ = keys.size();
  d->value_count_ = values.size();
  for (const auto& name : result_columns) {
    Slot slot;
    slot.name = name;
    auto find = [&](const std::vector<Column>& cols) -> std::optional<size_t> {
      for (size_t i = 0; i < cols.size(); ++i)
        if (cols[i].name == name) return i;
      return std::nullopt;
    };
    // Window bounds come from the record's window: a tombstone has them too.
    if (d->window_ && (name == "WINDOWSTART" || name == "WINDOWEND")) {
      slot.from = name == "WINDOWSTART" ? From::kWindowStart : From::kWindowEnd;
      slot.type = SqlType::Bigint();
    } else if (auto k = find(keys)) {
      slot.from = From::kKey;
      slot.index = *k;
      slot.type = keys[*k].type;
    } else if (auto v = find(values)) {
      slot.from = From::kValue;
      slot.index = *v;
      slot.type = values[*v].type;
    } else {
      return Status::RuntimeError("push query " + plan.query_id + ": result column " + name +
                                  " is neither a key nor a value column of its rows");
    }
    d->slots_.push_back(std::move(slot));
  }
  if (!keys.empty()) {
    auto k = MakeDeserializer(sink.key_format, keys);
    if (!k.ok()) return k.status();
    d->key_in_ = std::move(*k);
  }
  auto v = MakeDeserializer(sink.value_format, values);
  if (!v.ok()) return v.status();
  d->value_in_ = std::move(*v);
  return d;
}

QueryResultSchema PushRowDecoder::Schema(const std::string& query_id) const {
  QueryResultSchema s;
  s.query_id = query_id;
  s.is_pull = false;
  for (const auto& slot : slots_) {
    const std::string type = slot.type ? slot.type->ToSqlString() : "NULL";
    s.column_names.push_back(slot.name);
    s.column_types.push_back(type);
    // A push query's columns are all value columns, as ksqlDB's header shows them (no KEY).
    s.key_columns.push_back(false);
    s.schema += (s.schema.empty() ? "`" : ", `") + slot.name + "` " + type;
  }
  return s;
}

Result<std::optional<QueryRow>> PushRowDecoder::Decode(const KafkaRecord& record) {
  const bool tombstone = !record.value.has_value();
  if (tombstone && !table_) return std::optional<QueryRow>();
  if (table_) {
    const std::string& k = record.key ? *record.key : std::string();
    if (tombstone && live_.erase(k) == 0) return std::optional<QueryRow>();
    if (!tombstone) live_.insert(k);
  }
  std::string_view key = record.key ? std::string_view(*record.key) : std::string_view();
  int64_t window_start = 0, window_end = 0;
  bool has_window = false;
  if (window_ && record.key) {
    const bool session = window_->kind == WindowSpec::Kind::kSession;
    const size_t suffix = session ? 16 : 8;
    if (key.size() < suffix) return Status::SerdeError("windowed key shorter than its window");
    const size_t at = key.size() - suffix;
    window_start = session ? WindowBoundAt(key, at + 8) : WindowBoundAt(key, at);
    window_end = session ? WindowBoundAt(key, at) : window_start + window_->size_ms.value_or(0);
    key = key.substr(0, at);
    has_window = true;
  }
  key_row_.assign(key_count_, Value());
  if (key_in_ && record.key) {
    Status s = key_in_->Deserialize(key, &key_row_);
    if (!s.ok()) return s;
    key_row_.resize(key_count_);
  }
  value_row_.assign(value_count_, Value());
  if (!tombstone) {
    Status s = value_in_->Deserialize(*record.value, &value_row_);
    if (!s.ok()) return s;
    value_row_.resize(value_count_);
  }
  QueryRow row;
  row.tombstone = tombstone;
  for (const auto& slot : slots_) {
    switch (slot.from) {
      case From::kKey: row.columns.push_back(RestValue(key_row_[slot.index], slot.type)); break;
      case From::kValue: row.columns.push_back(RestValue(value_row_[slot.index], slot.type)); break;
      case From::kWindowStart: row.columns.push_back(has_window ? nlohmann::json(window_start) : nullptr); break;
      case From::kWindowEnd: row.columns.push_back(has_window ? nlohmann::json(window_end) : nullptr); break;
    }
  }
  return std::optional<QueryRow>(std::move(row));
}

PushDelivery::PushDelivery(std::unique_ptr<PushRowDecoder> decoder, std::shared_ptr<QueryRowSink> sink,
                           std::optional<int64_t> limit, std::string query_id)
    : decoder_(std::move(decoder)), sink_(std::move(sink)), limit_(limit), query_id_(std::move(query_id)) {}

bool PushDelivery::OnRecord(const KafkaRecord& record) {
  std::lock_guard<std::mutex> lock(mu_);
  if (ended_) return false;
  auto row = decoder_->Decode(record);
  if (!row.ok()) {
    // A row the engine wrote and cannot read back is a bug, not bad input: say so and go on.
    spdlog::error("push query {}: cannot decode result record (topic {}, partition {}): {}", query_id_, record.topic,
                  record.partition, row.status().message());
    return true;
  }
  if (!row->has_value()) return true;
  if (!sink_->OnRow(std::move(**row))) {
    ended_ = true;
    sink_->OnEnd(Status::OK());
    return false;
  }
  ++delivered_;
  if (limit_ && delivered_ >= *limit_) {
    ended_ = true;
    sink_->OnEnd(Status::OK());
    return false;
  }
  return true;
}

void PushDelivery::OnError(const Status& status) {
  End(Status::RuntimeError("push query " + query_id_ + " failed: " + status.message()));
}

void PushDelivery::End(const Status& status) {
  std::lock_guard<std::mutex> lock(mu_);
  if (ended_) return;
  ended_ = true;
  sink_->OnEnd(status);
}

}  // namespace sluice
