#include "engine/runtime/aggregation/aggregator.h"

#include <spdlog/spdlog.h>

#include <cstring>

#include "engine/runtime/state/row_codec.h"

namespace sluice {

Aggregator::Aggregator(const AggregationPlan& plan, AggregatorStores stores, int partition, UpdateConsumer consumer,
                       size_t cache_max_bytes)
    : plan_(plan), stores_(std::move(stores)), partition_(partition), consumer_(std::move(consumer)),
      cache_max_bytes_(cache_max_bytes) {
  size_t offset = 0;
  for (const auto& call : plan_.calls) {
    acc_types_.push_back(call.function->IntermediateType());
    arg_offsets_.push_back(offset);
    offset += call.args.size();
  }
  acc_types_.push_back(SqlType::Bigint());
  for (const auto& g : plan_.group_by) key_types_.push_back(g.type);
  // Old results only matter to HAVING (a group that stops passing is deleted downstream):
  // without it the cache need not keep a dirty group's committed value.
  cache_.set_keep_committed(plan_.having.has_value());
}

bool Aggregator::Decode(std::string_view bytes, Row* accs, int64_t* timestamp) const {
  if (!DecodeRow(bytes, acc_types_, accs).ok() || accs->size() != acc_types_.size()) return false;
  *timestamp = accs->back().IsBigint() ? accs->back().AsBigint() : 0;
  accs->pop_back();
  return true;
}

const std::string& Aggregator::Encode(const Row& accs, int64_t timestamp) {
  encode_row_ = accs;
  encode_row_.push_back(Value(timestamp));
  scratch_.clear();
  EncodeRow(encode_row_, &scratch_);
  return scratch_;
}

Row Aggregator::Initial() const {
  Row accs;
  accs.reserve(plan_.calls.size());
  for (const auto& call : plan_.calls) accs.push_back(call.function->Initial());
  return accs;
}

void Aggregator::Fold(const GroupedChange& change, Row* accs) {
  for (size_t i = 0; i < plan_.calls.size(); ++i) {
    const AggregateFunction& fn = *plan_.calls[i].function;
    if (change.undo && fn.SupportsUndo())
      (*accs)[i] = fn.Undo(change.undo->data() + arg_offsets_[i], std::move((*accs)[i]));
    if (!change.add) continue;
    auto folded = fn.TryAggregate(change.add->data() + arg_offsets_[i], (*accs)[i]);
    if (folded.ok()) (*accs)[i] = std::move(*folded);
    else if (failure_.ok()) failure_ = folded.status();  // ksqlDB stops the query (e.g. DECIMAL overflow)
  }
}

void Aggregator::Results(const Row& accs, Row* results) const {
  results->resize(plan_.calls.size());
  for (size_t i = 0; i < plan_.calls.size(); ++i) (*results)[i] = plan_.calls[i].function->Map(accs[i]);
}

void Aggregator::Emit(const Row& key, const std::string& key_bytes, const KafkaRecord* in,
                      std::optional<TimeWindow> window, const Row* new_accs, const Row* old_accs, int64_t timestamp) {
  Row& new_results = new_results_;
  Row& old_results = old_results_;
  AggregateUpdate u;
  u.key = &key;
  u.key_bytes = &key_bytes;
  u.window = window;
  u.timestamp = timestamp;
  u.in = in;
  if (new_accs) {
    Results(*new_accs, &new_results);
    u.new_results = &new_results;
  }
  if (old_accs) {
    Results(*old_accs, &old_results);
    u.old_results = &old_results;
  }
  consumer_(u);
}

void Aggregator::Apply(const GroupedChange& change, std::vector<std::string>* log) {
  if (!plan_.window) return ApplyUnwindowed(change);
  if (plan_.window->kind == WindowSpec::Kind::kSession) return ApplySession(change, log);
  ApplyTimeWindows(change, log);
}

const std::string& Aggregator::CacheKey(const GroupedChange& change, std::optional<TimeWindow> window) {
  cache_key_ = change.key_bytes;
  if (window) cache_key_.append(reinterpret_cast<const char*>(&window->start), sizeof window->start);
  return cache_key_;
}

std::optional<std::string> Aggregator::Read(const std::string& key_bytes, std::optional<TimeWindow> window) {
  return window ? stores_.windows->Get(partition_, key_bytes, window->start) : stores_.groups->Get(partition_, key_bytes);
}

void Aggregator::Write(const std::string& key_bytes, std::optional<TimeWindow> window, std::string_view value,
                       int64_t ts) {
  if (window) stores_.windows->Put(partition_, key_bytes, window->start, value, ts);
  else stores_.groups->Put(partition_, key_bytes, value, ts);
}

// No cache: the group is read, folded, written and reported now, with the record for context.
void Aggregator::UpdateNow(const GroupedChange& change, std::optional<TimeWindow> window) {
  const auto stored = Read(change.key_bytes, window);
  int64_t old_ts = 0;
  const bool in_store = stored && Decode(*stored, &old_accs_, &old_ts);
  if (!in_store && !change.add) return;  // nothing to subtract from
  accs_ = in_store ? old_accs_ : Initial();
  Fold(change, &accs_);
  const int64_t ts = in_store ? std::max(old_ts, change.timestamp) : change.timestamp;
  Write(change.key_bytes, window, Encode(accs_, ts), ts);
  Emit(change.key, change.key_bytes, change.in, window, &accs_, in_store ? &old_accs_ : nullptr, ts);
}

void Aggregator::Update(const GroupedChange& change, std::optional<TimeWindow> window) {
  if (cache_max_bytes_ == 0) return UpdateNow(change, window);
  const std::string& cache_key = CacheKey(change, window);
  uint32_t handle = cache_.Find(cache_key);
  if (handle == GroupCache::kNone) {
    const auto stored = Read(change.key_bytes, window);
    int64_t unused = 0;
    const bool in_store = stored && Decode(*stored, &accs_, &unused);
    if (!in_store && !change.add) return;  // nothing to subtract from: not cached either
    key_row_bytes_.clear();
    EncodeRow(change.key, &key_row_bytes_);
    handle = cache_.Insert(cache_key, key_row_bytes_, in_store ? std::optional<std::string_view>(*stored) : std::nullopt);
  }
  const GroupCache::Entry e = cache_.Get(handle);
  if (!e.in_store && !e.current && !change.add) return;  // a cached absent group: nothing to subtract
  int64_t ts = 0;
  const std::string_view now = e.current ? *e.current : e.committed;
  const bool exists = (e.current || e.in_store) && Decode(now, &accs_, &ts);
  if (!exists) accs_ = Initial();
  Fold(change, &accs_);
  ts = exists ? std::max(ts, change.timestamp) : change.timestamp;
  cache_.SetCurrent(handle, Encode(accs_, ts));
  if (cache_.bytes() > cache_max_bytes_) Flush();
}

// Writes every dirty group to its store and reports it (old results: as last committed), in
// first-update order; then, over budget, drops the least recently used groups.
void Aggregator::Flush() {
  const size_t window_suffix = plan_.window ? sizeof(int64_t) : 0;
  for (size_t i = 0; i < cache_.dirty_count(); ++i) {
    const uint32_t handle = cache_.dirty_handle(i);
    const GroupCache::Entry e = cache_.Get(handle);
    int64_t ts = 0, old_ts = 0;
    if (!Decode(*e.current, &accs_, &ts)) {  // cannot happen: we encoded it
      cache_.MarkCommitted(handle);
      continue;
    }
    const bool had = e.in_store && !e.committed.empty() && Decode(e.committed, &old_accs_, &old_ts);
    flush_key_bytes_.assign(e.key.substr(0, e.key.size() - window_suffix));
    std::optional<TimeWindow> window;
    if (window_suffix) {
      int64_t start = 0;
      std::memcpy(&start, e.key.data() + flush_key_bytes_.size(), sizeof start);
      window = TimeWindow{start, start + plan_.window->size_ms};
    }
    if (!DecodeRow(e.key_row, key_types_, &key_row_).ok()) key_row_.clear();
    Write(flush_key_bytes_, window, *e.current, ts);
    Emit(key_row_, flush_key_bytes_, nullptr, window, &accs_, had ? &old_accs_ : nullptr, ts);
    cache_.MarkCommitted(handle);
  }
  cache_.ClearDirty();
  cache_.EvictTo(cache_.bytes() > cache_max_bytes_ ? cache_max_bytes_ / 4 * 3 : SIZE_MAX);
}

void Aggregator::ApplyUnwindowed(const GroupedChange& change) { Update(change, std::nullopt); }

// Tumbling and hopping windows: every window [start, start + size) that contains the record,
// unless it closed (its end + grace is at or before stream time).
void Aggregator::ApplyTimeWindows(const GroupedChange& change, std::vector<std::string>* log) {
  const WindowPlan& w = *plan_.window;
  const int64_t ts = change.timestamp;
  stream_time_ = std::max(stream_time_, ts);
  const int64_t close_time = stream_time_ - w.grace_ms;
  // Kafka Streams' TimeWindows.windowsFor: the first window start at or after ts - size.
  const int64_t first = (std::max<int64_t>(0, ts - w.size_ms + w.advance_ms) / w.advance_ms) * w.advance_ms;
  for (int64_t start = first; start <= ts; start += w.advance_ms) {
    const TimeWindow window{start, start + w.size_ms};
    if (window.end <= close_time) {
      ++late_dropped_;
      log->push_back("query window: skipping record for expired window [" + std::to_string(window.start) + ", " +
                     std::to_string(window.end) + ") at stream time " + std::to_string(stream_time_) +
                     " (grace " + std::to_string(w.grace_ms) + " ms), topic " + change.in->topic + ", partition " +
                     std::to_string(change.in->partition) + ", offset " + std::to_string(change.in->offset));
      continue;
    }
    Update(change, window);
  }
  ExpireOldWindows();
}

// Expiry is a scan of the store: do it once per segment of stream time (Kafka Streams drops
// whole segments of max(retention / 2, 60 s) too), not per record.
void Aggregator::ExpireOldWindows() {
  const int64_t segment = std::max<int64_t>(plan_.window->retention_ms / 2, 60'000);
  const int64_t horizon = stream_time_ - plan_.window->retention_ms;
  if (horizon < 0 || horizon / segment == expired_segment_) return;
  expired_segment_ = horizon / segment;
  stores_.windows->Expire(partition_, horizon);
}

// Session windows: the record's session is [ts, ts]; every stored session within the gap of it
// merges into one, the merged ones are removed (reported with no new result) and the merged
// session stored and reported.
void Aggregator::ApplySession(const GroupedChange& change, std::vector<std::string>* log) {
  const WindowPlan& w = *plan_.window;
  const int64_t ts = change.timestamp;
  stream_time_ = std::max(stream_time_, ts);
  const int64_t close_time = stream_time_ - w.grace_ms;
  struct Found {
    TimeWindow window;
    Row accs;
    int64_t ts;
  };
  std::vector<Found> merged;
  stores_.sessions->FindSessions(partition_, change.key_bytes, ts - w.size_ms, ts + w.size_ms,
                                 [&](int64_t start, int64_t end, std::string_view value) {
                                   Found f{{start, end}, {}, 0};
                                   if (Decode(value, &f.accs, &f.ts)) merged.push_back(std::move(f));
                                   return true;
                                 });
  TimeWindow session{ts, ts};
  Row accs = Initial();
  int64_t out_ts = ts;
  for (const auto& f : merged) {
    session.start = std::min(session.start, f.window.start);
    session.end = std::max(session.end, f.window.end);
    for (size_t i = 0; i < plan_.calls.size(); ++i) accs[i] = plan_.calls[i].function->Merge(accs[i], f.accs[i]);
    out_ts = std::max(out_ts, f.ts);
  }
  if (session.end < close_time) {
    ++late_dropped_;
    log->push_back("query session window: skipping late record at stream time " + std::to_string(stream_time_) +
                   ", topic " + change.in->topic + ", partition " + std::to_string(change.in->partition) +
                   ", offset " + std::to_string(change.in->offset));
    return;
  }
  for (const auto& f : merged) {
    stores_.sessions->Remove(partition_, change.key_bytes, f.window.start, f.window.end, ts);
    // A session's output record carries its end as timestamp, as Kafka Streams writes it.
    if (f.window.start != session.start || f.window.end != session.end)
      Emit(change.key, change.key_bytes, change.in, f.window, nullptr, &f.accs, f.window.end);
  }
  Fold(change, &accs);
  stores_.sessions->Put(partition_, change.key_bytes, session.start, session.end, Encode(accs, out_ts), out_ts);
  const Found* same = nullptr;
  for (const auto& f : merged)
    if (f.window.start == session.start && f.window.end == session.end) same = &f;
  Emit(change.key, change.key_bytes, change.in, session, &accs, same ? &same->accs : nullptr, session.end);
}

}  // namespace sluice
