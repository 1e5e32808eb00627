#include "engine/runtime/join/join_task.h"

#include <algorithm>

#include "engine/runtime/state/row_codec.h"
#include "engine/runtime/state/state_keys.h"

namespace sluice {

// One side's decoding plan: its source's columns and pseudo columns, every column decoded, no
// WHERE (the join's WHERE runs on the joined row). The sink is the source itself only because
// QueryTask builds serializers; the join never uses them.
QueryPlan JoinSidePlan(const QueryPlan& plan, const DataSourcePtr& source) {
  QueryPlan side;
  side.query_id = plan.query_id;
  side.source = source;
  side.sink = source;
  side.source_column_count = static_cast<int>(source->columns.size());
  side.rowtime_index = side.source_column_count;
  side.rowpartition_index = side.rowtime_index + 1;
  side.rowoffset_index = side.rowtime_index + 2;
  side.row_width = side.rowtime_index + 3;
  if (source->window) {  // the bounds the windowed key carries
    side.windowstart_index = side.row_width++;
    side.windowend_index = side.row_width++;
  }
  for (int i = 0; i < side.source_column_count; ++i) side.used_columns.push_back(i);
  side.fail_on_invalid_timestamp = plan.fail_on_invalid_timestamp;
  return side;
}

namespace {

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

// A windowed key's window, as Kafka Streams serializes it after the key's bytes: the start
// (time windows) or the end and the start (session windows), big-endian longs. `at`: where
// `row` holds WINDOWSTART (WINDOWEND follows). Empty when the row has no window.
std::string WindowSuffix(const Row& row, int at, bool session) {
  std::string out;
  if (at < 0 || at + 1 >= static_cast<int>(row.size()) || !row[at].IsBigint() || !row[at + 1].IsBigint()) return out;
  if (session) state_keys::PutBE64(out, static_cast<uint64_t>(row[at + 1].AsBigint()));
  state_keys::PutBE64(out, static_cast<uint64_t>(row[at].AsBigint()));
  return out;
}

size_t WindowSuffixSize(const JoinStep& step) {
  if (step.left_window < 0 && step.right_window < 0) return 0;
  return step.session_window ? 16 : 8;
}

// Outer store key: timestamp (big-endian, so a scan is in time order), side, join key bytes.
std::string OuterKey(int64_t ts, int side, const std::string& key_bytes) {
  std::string k;
  state_keys::PutBE64(k, static_cast<uint64_t>(ts));
  k.push_back(static_cast<char>(side));
  k.append(key_bytes);
  return k;
}

// Foreign-key subscriptions: a list of length-prefixed left keys (their row-codec bytes).
void AppendFramedBytes(std::string_view bytes, std::string* out) {
  const uint32_t n = static_cast<uint32_t>(bytes.size());
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>((n >> shift) & 0xff));
  out->append(bytes);
}

std::vector<std::string> SplitFramed(std::string_view bytes) {
  std::vector<std::string> parts;
  size_t pos = 0;
  while (pos + 4 <= bytes.size()) {
    uint32_t n = 0;
    for (int i = 0; i < 4; ++i) n = (n << 8) | static_cast<unsigned char>(bytes[pos + i]);
    pos += 4;
    if (pos + n > bytes.size()) break;
    parts.emplace_back(bytes.substr(pos, n));
    pos += n;
  }
  return parts;
}

}  // namespace

Result<std::unique_ptr<Task>> JoinTask::Create(std::shared_ptr<const QueryPlan> plan, const TopologySpec& topology,
                                               const SubTopologySpec& sub, const TaskEnvironment& env) {
  std::unique_ptr<JoinTask> task(new JoinTask());
  task->plan_ = plan;
  task->partition_ = env.partition;
  task->cache_max_bytes_ = env.cache_max_bytes;
  const JoinPlan& join = *plan->join;
  task->sources_.push_back(plan->source);
  for (const auto& step : join.steps) task->sources_.push_back(step.right);
  for (size_t i = 0; i < join.steps.size(); ++i) {
    auto st = std::make_unique<Step>();
    const JoinStep& step = join.steps[i];
    st->plan = &step;
    st->index = i;
    st->types[0] = step.left_types;
    st->rowtime[0] = step.left_rowtime;
    for (const auto& c : step.right->columns) st->types[1].push_back(c.type);
    st->rowtime[1] = static_cast<int>(step.right->columns.size());
    st->types[1].insert(st->types[1].end(), {SqlType::Bigint(), SqlType::Integer(), SqlType::Bigint()});
    if (step.right->window) st->types[1].insert(st->types[1].end(), {SqlType::Bigint(), SqlType::Bigint()});
    st->key_ctx[0].lambda_values.resize(step.left_key.lambda_slots);
    st->key_ctx[1].lambda_values.resize(step.right_key.lambda_slots);
    st->fk_ctx.lambda_values.resize(step.foreign_key.lambda_slots);
    st->joined.resize(step.key_index + 1);
    if (step.kind == JoinStep::Kind::kStreamTable && env.cache_max_bytes > 0)
      st->table_cache = std::make_unique<GroupCache>();
    task->steps_.push_back(std::move(st));
  }
  JoinTask* self = task.get();
  for (size_t s = 0; s < task->sources_.size(); ++s) {
    task->repartition_topics_.push_back(join.Repartitioned(s) ? topology.JoinRepartitionTopic(static_cast<int>(s)) : "");
    if (join.Repartitioned(s)) {
      if (task->repartition_topics_.back().empty())
        return Status::RuntimeError("query " + plan->query_id + ": join source " + std::to_string(s) +
                                    " has no repartition topic in its topology");
      task->decoders_.push_back(nullptr);
      continue;
    }
    auto decoder = QueryTask::Create(JoinSidePlan(*plan, task->sources_[s]));
    if (!decoder.ok()) return decoder.status();
    Step* st = task->steps_[s == 0 ? 0 : s - 1].get();
    const int side = s == 0 ? 0 : 1;
    (*decoder)->SetRowConsumer([self, st, side](const Row& row, int64_t ts, const KafkaRecord& in, bool deleted) {
      self->OnRow(*st, side, row, ts, in, deleted);
    });
    task->decoders_.push_back(std::move(*decoder));
  }
  SLUICE_RETURN_IF_ERROR(task->OpenStores(sub, env));
  if (plan->aggregation) {
    auto tail = GroupByTail::Create(plan, sub, env);
    if (!tail.ok()) return tail.status();
    task->tail_ = std::move(*tail);
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

// Each step's stores, by the names the topology gives them (JoinStep's store names).
Status JoinTask::OpenStores(const SubTopologySpec& sub, const TaskEnvironment& env) {
  for (const auto& spec : sub.stores) {
    for (auto& st : steps_) {
      const JoinStep& step = *st->plan;
      auto is = [&](const std::string& name) { return spec.name == plan_->query_id + "-" + name; };
      std::shared_ptr<KeyValueStore>* kv = is(step.LeftStore())            ? &st->tables[0]
                                           : is(step.RightStore())         ? &st->tables[1]
                                           : is(step.OuterStore())         ? &st->outer
                                           : is(step.SubscriptionStore())  ? &st->subscriptions
                                                                           : nullptr;
      std::shared_ptr<WindowStore>* window = is(step.ThisStore())    ? &st->windows[0]
                                             : is(step.OtherStore()) ? &st->windows[1]
                                                                     : nullptr;
      if (kv && spec.kind == StoreSpec::Kind::kKeyValue) {
        auto opened = env.state->OpenKeyValue(spec.name, &changelog_);
        if (!opened.ok()) return opened.status();
        *kv = *opened;
      } else if (window && spec.kind == StoreSpec::Kind::kWindow) {
        auto opened = env.state->OpenWindow(spec.name, spec.retention_ms, &changelog_);
        if (!opened.ok()) return opened.status();
        *window = *opened;
      }
    }
  }
  for (const auto& st : steps_) {
    const bool ok = st->plan->kind == JoinStep::Kind::kStreamStream
                        ? st->windows[0] && st->windows[1]
                        : st->tables[1] && (st->plan->kind == JoinStep::Kind::kStreamTable || st->tables[0]) &&
                              (st->plan->kind != JoinStep::Kind::kForeignKey || st->subscriptions);
    if (!ok) return Status::RuntimeError("query " + plan_->query_id + ": join step " + std::to_string(st->index) +
                                         " is missing a state store in its topology");
  }
  return Status::OK();
}

std::string JoinTask::LogEntry(const KafkaRecord& in, const std::string& what) const {
  return ProcessingLogMessage(plan_->query_id, in, what);
}

Status JoinTask::Process(const KafkaRecord& in, TaskOutput* out) {
  out_ = out;
  std::vector<KafkaRecord> unused;
  for (size_t s = 0; s < sources_.size(); ++s) {
    if (!decoders_[s]) {
      if (in.topic == repartition_topics_[s]) OnRepartitioned(s, in);
    } else if (in.topic == sources_[s]->topic) {
      SLUICE_RETURN_IF_ERROR(decoders_[s]->Process(in, &unused, &out->processing_log));
    }
  }
  return tail_ ? tail_->TakeFailure() : Status::OK();
}

void JoinTask::Commit(TaskOutput* out) {
  if (tail_) tail_->Commit(out);
}

std::vector<ChangelogRecord> JoinTask::TakeChangelog() {
  std::vector<ChangelogRecord> records = changelog_.Take();
  if (tail_)
    for (auto& r : tail_->TakeChangelog()) records.push_back(std::move(r));
  return records;
}

void JoinTask::OnRepartitioned(size_t s, const KafkaRecord& in) {
  if (!in.value) return;
  Step& st = *steps_[s == 0 ? 0 : s - 1];
  const int side = s == 0 ? 0 : 1;
  Row row;
  if (Status d = DecodeRow(*in.value, st.types[side], &row); !d.ok()) {
    out_->processing_log.push_back(LogEntry(in, "malformed repartition record: " + d.message()));
    return;
  }
  OnRow(st, side, row, in.timestamp, in, /*deleted=*/false);
}

void JoinTask::OnRow(Step& st, int side, const Row& row, int64_t ts, const KafkaRecord& in, bool deleted) {
  EvalContext& ctx = st.key_ctx[side];
  ctx.row = &row;
  ctx.error.clear();
  const Value key = (side == 0 ? st.plan->left_key : st.plan->right_key).eval(ctx);
  if (!ctx.error.empty()) out_->processing_log.push_back(LogEntry(in, "Error evaluating join key: " + ctx.error));
  if (key.IsNull()) return;  // a NULL key joins nothing (Kafka Streams drops such records)
  std::string key_bytes;
  EncodeRow(Row{key}, &key_bytes);
  // Windowed sources: only records of the same window join.
  key_bytes += WindowSuffix(row, side == 0 ? st.plan->left_window : st.plan->right_window, st.plan->session_window);
  switch (st.plan->kind) {
    case JoinStep::Kind::kStreamTable: return StreamTable(st, side, row, key_bytes, key, ts, in, deleted);
    case JoinStep::Kind::kTableTable: return TableTable(st, side, row, key_bytes, key, ts, in, deleted);
    case JoinStep::Kind::kForeignKey: return ForeignKey(st, side, row, key_bytes, key, ts, in, deleted);
    case JoinStep::Kind::kStreamStream: return StreamStream(st, side, row, key_bytes, key, ts, in);
  }
}

std::optional<Row> JoinTask::Lookup(Step& st, int side, const std::string& key_bytes) {
  auto bytes = st.tables[side]->Get(partition_, key_bytes);
  if (!bytes) return std::nullopt;
  Row row;
  if (!DecodeRow(*bytes, st.types[side], &row).ok()) return std::nullopt;
  return row;
}

std::optional<Row> JoinTask::LookupTable(Step& st, const std::string& key_bytes) {
  if (!st.table_cache) return Lookup(st, 1, key_bytes);
  GroupCache& cache = *st.table_cache;
  const uint32_t handle = cache.Find(key_bytes);
  Row row;
  if (handle != GroupCache::kNone) {
    const GroupCache::Entry e = cache.Get(handle);
    if (!e.in_store || !DecodeRow(e.committed, st.types[1], &row).ok()) return std::nullopt;
    return row;
  }
  auto bytes = st.tables[1]->Get(partition_, key_bytes);
  // Full: a cyclic scan of more rows than fit would evict every row before its next use (no hit
  // at all with LRU), so a full cache keeps its rows, until it has missed more often than it
  // holds entries (the hot rows changed): then the least recently used quarter goes.
  if (cache.bytes() >= cache_max_bytes_ && ++st.table_cache_misses > cache.size()) {
    cache.EvictTo(cache_max_bytes_ / 4 * 3);
    st.table_cache_misses = 0;
  }
  if (cache.bytes() < cache_max_bytes_)
    cache.SetClean(key_bytes, bytes ? std::optional<std::string_view>(*bytes) : std::nullopt);
  if (!bytes || !DecodeRow(*bytes, st.types[1], &row).ok()) return std::nullopt;
  return row;
}

void JoinTask::Store(Step& st, int side, const std::string& key_bytes, const Row* row, int64_t ts) {
  // Write-through: a cached table row follows the store (keys not cached stay out).
  GroupCache* cache = side == 1 && st.table_cache && st.table_cache->Find(key_bytes) != GroupCache::kNone
                          ? st.table_cache.get()
                          : nullptr;
  if (!row) {
    if (cache) cache->SetClean(key_bytes, std::nullopt);
    st.tables[side]->Delete(partition_, key_bytes, ts);
  } else {
    std::string bytes;
    EncodeRow(*row, &bytes);
    if (cache) cache->SetClean(key_bytes, bytes);
    st.tables[side]->Put(partition_, key_bytes, bytes, ts);
  }
  if (cache) TrimTableCache(*cache);
}

// Over budget (new rows, or replaced ones left as garbage): the least recently used go.
void JoinTask::TrimTableCache(GroupCache& cache) {
  if (cache.bytes() > cache_max_bytes_) cache.EvictTo(cache_max_bytes_ / 4 * 3);
}

// The stream (left) side looks the table up; the table side only updates its store.
void JoinTask::StreamTable(Step& st, int side, const Row& row, const std::string& key_bytes, const Value& key,
                           int64_t ts, const KafkaRecord& in, bool deleted) {
  if (side == 1) return Store(st, 1, key_bytes, deleted ? nullptr : &row, ts);
  std::optional<Row> other = LookupTable(st, key_bytes);
  if (!other && st.plan->type != JoinType::kLeft) return;
  Emit(st, &row, other ? &*other : nullptr, key, ts, in, false);
}

// Kafka Streams' KTable-KTable join processors (with old values sent): an update of one side
// emits the join of its new row with the other side's row, or a tombstone when no result
// remains; nothing when the result never existed.
void JoinTask::TableTable(Step& st, int side, const Row& row, const std::string& key_bytes, const Value& key,
                          int64_t ts, const KafkaRecord& in, bool deleted) {
  const JoinStep& step = *st.plan;
  std::optional<Row> old = Lookup(st, side, key_bytes);
  Store(st, side, key_bytes, deleted ? nullptr : &row, ts);
  std::optional<Row> other = Lookup(st, 1 - side, key_bytes);
  const bool this_preserved = side == 0 ? step.left_preserved() : step.right_preserved();
  const bool other_preserved = side == 0 ? step.right_preserved() : step.left_preserved();
  if (!other && !this_preserved) return;
  if (!other && deleted && !old) return;
  const bool result = (!deleted && other) || (!deleted && this_preserved) || (other && other_preserved);
  const Row* mine = deleted ? nullptr : &row;
  const Row* theirs = other ? &*other : nullptr;
  int64_t result_ts = ts;
  const int other_rowtime = st.rowtime[1 - side];
  if (other && other_rowtime < static_cast<int>(other->size()) && (*other)[other_rowtime].IsBigint())
    result_ts = std::max(ts, (*other)[other_rowtime].AsBigint());
  if (IsLast(st) && plan_->where && !(result && Passes(st, side, mine, theirs, key, result_ts, in))) {
    // A filtered table downstream of the join: a tombstone only for a row that was there.
    const bool old_result = (old && other) || (old && this_preserved) || (other && other_preserved);
    const Row* was = old ? &*old : nullptr;
    if (!old_result || !Passes(st, side, was, theirs, key, result_ts, in)) return;
    Emit(st, nullptr, nullptr, key, result_ts, in, true);
    return;
  }
  if (side == 0) Emit(st, mine, theirs, key, result_ts, in, !result);
  else Emit(st, theirs, mine, key, result_ts, in, !result);
}

Value JoinTask::ForeignKeyOf(Step& st, const Row& left, const KafkaRecord& in) {
  st.fk_ctx.row = &left;
  st.fk_ctx.error.clear();
  Value fk = st.plan->foreign_key.eval(st.fk_ctx);
  if (!st.fk_ctx.error.empty())
    out_->processing_log.push_back(LogEntry(in, "Error evaluating foreign key: " + st.fk_ctx.error));
  return fk;
}

// Kafka Streams' foreign-key table-table join (INNER or LEFT), keyed by the left table's key:
// a left update subscribes the row to its foreign key and joins the right row it finds (an
// INNER join without a match deletes a result the row had before); a right update re-joins
// every left row subscribed to its key (an INNER join deletes their results when it goes).
void JoinTask::ForeignKey(Step& st, int side, const Row& row, const std::string& key_bytes, const Value& key,
                          int64_t ts, const KafkaRecord& in, bool deleted) {
  const bool left_join = st.plan->type == JoinType::kLeft;
  auto subscribers = [&](const std::string& fk_bytes) {
    auto v = st.subscriptions->Get(partition_, fk_bytes);
    return v ? SplitFramed(*v) : std::vector<std::string>{};
  };
  auto write_subscribers = [&](const std::string& fk_bytes, const std::vector<std::string>& keys) {
    if (keys.empty()) return st.subscriptions->Delete(partition_, fk_bytes, ts);
    std::string value;
    for (const auto& k : keys) AppendFramedBytes(k, &value);
    st.subscriptions->Put(partition_, fk_bytes, value, ts);
  };
  if (side == 1) {
    Store(st, 1, key_bytes, deleted ? nullptr : &row, ts);
    for (const auto& left_key_bytes : subscribers(key_bytes)) {
      std::optional<Row> left = Lookup(st, 0, left_key_bytes);
      Row left_key;
      if (!left || !DecodeRow(left_key_bytes, {st.plan->left_key.type}, &left_key).ok() || left_key.empty()) continue;
      if (deleted && !left_join) Emit(st, nullptr, nullptr, left_key[0], ts, in, true);
      else Emit(st, &*left, deleted ? nullptr : &row, left_key[0], ts, in, false);
    }
    return;
  }
  std::optional<Row> old = Lookup(st, 0, key_bytes);
  Store(st, 0, key_bytes, deleted ? nullptr : &row, ts);
  std::string old_fk, new_fk;
  if (old) {
    Value fk = ForeignKeyOf(st, *old, in);
    if (!fk.IsNull()) EncodeRow(Row{fk}, &old_fk);
  }
  if (!deleted) {
    Value fk = ForeignKeyOf(st, row, in);
    if (!fk.IsNull()) EncodeRow(Row{fk}, &new_fk);
  }
  if (!old_fk.empty() && old_fk != new_fk) {
    auto keys = subscribers(old_fk);
    keys.erase(std::remove(keys.begin(), keys.end(), key_bytes), keys.end());
    write_subscribers(old_fk, keys);
  }
  if (!new_fk.empty() && old_fk != new_fk) {
    auto keys = subscribers(new_fk);
    keys.push_back(key_bytes);
    write_subscribers(new_fk, keys);
  }
  if (deleted) {
    if (old) Emit(st, nullptr, nullptr, key, ts, in, true);
    return;
  }
  std::optional<Row> right = new_fk.empty() ? std::nullopt : Lookup(st, 1, new_fk);
  if (right || left_join) Emit(st, &row, right ? &*right : nullptr, key, ts, in, false);
  else if (old) Emit(st, nullptr, nullptr, key, ts, in, true);
}

bool JoinTask::Passes(Step& st, int side, const Row* mine, const Row* theirs, const Value& key, int64_t ts,
                      const KafkaRecord& in) {
  const Row* left = side == 0 ? mine : theirs;
  const Row* right = side == 0 ? theirs : mine;
  FillJoined(&joined_, *st.plan, left, right, key, ts, in);
  ctx_.row = &joined_;
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

void JoinTask::FillJoined(Row* joined, const JoinStep& step, const Row* left, const Row* right, const Value& key,
                          int64_t ts, const KafkaRecord& in) {
  const int nl = step.right_offset, nr = step.right_width;
  Row& j = *joined;
  for (int i = 0; i < nl; ++i) j[i] = left && i < static_cast<int>(left->size()) ? (*left)[i] : Value();
  for (int i = 0; i < nr; ++i) j[nl + i] = right && i < static_cast<int>(right->size()) ? (*right)[i] : Value();
  j[nl + nr] = Value(ts);
  j[nl + nr + 1] = Value(static_cast<int32_t>(in.partition));
  j[nl + nr + 2] = Value(in.offset);
  j[step.key_index] = key;
}

// Kafka Streams' KStream-KStream join: the record joins the other side's records within its
// window; a record of a preserved side that joins none is emitted with NULLs at once (no GRACE
// PERIOD, or its window has already closed) or later, when its window closes.
void JoinTask::StreamStream(Step& st, int side, const Row& row, const std::string& key_bytes, const Value& key,
                            int64_t ts, const KafkaRecord& in) {
  const JoinStep& step = *st.plan;
  const int64_t retention = step.before_ms + step.after_ms + step.grace_ms;
  // Puts older than the store's retention are dropped, as a segmented window store does.
  st.side_time[side] = std::max(st.side_time[side], ts);
  if (ts >= st.side_time[side] - retention) {
    std::string value;
    if (auto existing = st.windows[side]->Get(partition_, key_bytes, ts)) value = *existing;
    AppendFramed(row, &value);
    st.windows[side]->Put(partition_, key_bytes, ts, value, ts);
  }
  st.stream_time = std::max(st.stream_time, ts);
  if (st.outer && ts == st.stream_time) EmitClosedOuterRecords(st, in);

  // The other side's window: for the left side [ts - before, ts + after]; mirrored for the right.
  const int64_t before = side == 0 ? step.before_ms : step.after_ms;
  const int64_t after = side == 0 ? step.after_ms : step.before_ms;
  const int64_t from = std::max<int64_t>(0, ts - before), to = std::max<int64_t>(0, ts + after);
  std::vector<std::pair<int64_t, Row>> matches;
  st.windows[1 - side]->Fetch(partition_, key_bytes, from, to, [&](int64_t start, std::string_view value) {
    for (auto& r : DecodeFramed(value, st.types[1 - side])) matches.emplace_back(start, std::move(r));
    return true;
  });
  for (auto& [other_ts, other] : matches) {
    if (st.outer) st.outer->Delete(partition_, OuterKey(other_ts, 1 - side, key_bytes), ts);
    const int64_t result_ts = std::max(ts, other_ts);
    if (side == 0) Emit(st, &row, &other, key, result_ts, in, false);
    else Emit(st, &other, &row, key, result_ts, in, false);
  }
  const bool preserved = side == 0 ? step.left_preserved() : step.right_preserved();
  if (!matches.empty() || !preserved) return;
  if (!st.outer || to < st.stream_time) {
    if (side == 0) Emit(st, &row, nullptr, key, ts, in, false);
    else Emit(st, nullptr, &row, key, ts, in, false);
    return;
  }
  const std::string outer_key = OuterKey(ts, side, key_bytes);
  std::string value;
  if (auto existing = st.outer->Get(partition_, outer_key)) value = *existing;
  AppendFramed(row, &value);
  st.outer->Put(partition_, outer_key, value, ts);
}

// Outer results whose window (and grace) has closed, in time order.
void JoinTask::EmitClosedOuterRecords(Step& st, const KafkaRecord& in) {
  const JoinStep& step = *st.plan;
  std::vector<std::pair<std::string, std::string>> closed;
  st.outer->Scan(partition_, [&](std::string_view k, std::string_view v) {
    if (k.size() < 9 + WindowSuffixSize(step)) return true;
    const int64_t ts = static_cast<int64_t>(state_keys::GetBE64(k.data()));
    const int side = static_cast<unsigned char>(k[8]);
    const int64_t look_back = side == 0 ? step.after_ms : step.before_ms;
    if (ts + look_back + step.grace_ms >= st.stream_time) return false;
    closed.emplace_back(std::string(k), std::string(v));
    return true;
  });
  for (const auto& [k, v] : closed) {
    const int64_t ts = static_cast<int64_t>(state_keys::GetBE64(k.data()));
    const int side = static_cast<unsigned char>(k[8]);
    Row key_row;
    const std::string_view key_bytes = std::string_view(k).substr(9, k.size() - 9 - WindowSuffixSize(step));
    if (!DecodeRow(key_bytes, {side == 0 ? step.left_key.type : step.right_key.type}, &key_row).ok() ||
        key_row.empty())
      continue;
    for (const auto& row : DecodeFramed(v, st.types[side])) {
      if (side == 0) Emit(st, &row, nullptr, key_row[0], ts, in, false);
      else Emit(st, nullptr, &row, key_row[0], ts, in, false);
    }
    st.outer->Delete(partition_, k, ts);
  }
}

void JoinTask::Emit(Step& st, const Row* left, const Row* right, const Value& key, int64_t ts, const KafkaRecord& in,
                    bool tombstone) {
  if (IsLast(st)) return EmitToSink(left, right, key, ts, in, tombstone);
  // The next step's left row is this step's joined row (a tombstone keeps only the key, which
  // the next step joins on: it is in the key's equivalence set).
  Row joined(st.joined.size());
  FillJoined(&joined, *st.plan, tombstone ? nullptr : left, tombstone ? nullptr : right, key, ts, in);
  OnRow(*steps_[st.index + 1], 0, joined, ts, in, tombstone);
}

void JoinTask::EmitToSink(const Row* left, const Row* right, const Value& key, int64_t ts, const KafkaRecord& in,
                          bool tombstone) {
  const JoinStep& step = plan_->join->last();
  FillJoined(&joined_, step, left, right, key, ts, in);
  ctx_.row = &joined_;
  ctx_.error.clear();
  const bool table = step.kind == JoinStep::Kind::kTableTable || step.kind == JoinStep::Kind::kForeignKey;
  if (!tombstone && plan_->where) {
    Value keep = plan_->where->eval(ctx_);
    if (!ctx_.error.empty()) out_->processing_log.push_back(LogEntry(in, "Error evaluating WHERE: " + ctx_.error));
    if (keep.IsNull() || !keep.AsBool()) {
      if (!table) return;
      tombstone = true;  // the joined row no longer matches: delete it downstream
    }
  }
  if (tail_) {
    // A table result replaces the row of its join key; a stream's rows only add.
    std::string row_key;
    if (table) EncodeRow(Row{key}, &row_key);
    tail_->Accept(joined_, ts, in, tombstone, table ? &row_key : nullptr, out_);
    return;
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
  // PARTITION BY over the join may compute a NULL key: the record then has none.
  const bool null_key = plan_->repartitioned && out_key_.size() == 1 && out_key_[0].IsNull();
  if (!null_key && !key_out_->IsNullPayload(out_key_)) {
    Status s = key_out_->Serialize(out_key_, &bytes);
    if (!s.ok()) {
      out_->processing_log.push_back(LogEntry(in, "Failed to serialize key: " + s.message()));
      return;
    }
    // A join of windowed sources writes the window the records joined in (the left's, else
    // the right's: the stores matched them by it) after the key, as its windowed sink reads it.
    if (plan_->sink->window && (step.left_window >= 0 || step.right_window >= 0)) {
      std::string window = WindowSuffix(joined_, step.left_window, step.session_window);
      if (window.empty() && step.right_window >= 0)
        window = WindowSuffix(joined_, step.right_offset + step.right_window, step.session_window);
      bytes += window;
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
