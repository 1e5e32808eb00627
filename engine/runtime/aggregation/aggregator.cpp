#include "engine/runtime/aggregation/aggregator.h"

#include <spdlog/spdlog.h>

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

Row Aggregator::Results(const Row& accs) const {
  Row results;
  results.reserve(accs.size());
  for (size_t i = 0; i < plan_.calls.size(); ++i) results.push_back(plan_.calls[i].function->Map(accs[i]));
  return results;
}

void Aggregator::Emit(const Row& key, const std::string& key_bytes, const KafkaRecord* in,
                      std::optional<TimeWindow> window, const Row* new_accs, const Row* old_accs, int64_t timestamp) {
  Row new_results, old_results;
  AggregateUpdate u;
  u.key = &key;
  u.key_bytes = &key_bytes;
  u.window = window;
  u.timestamp = timestamp;
  u.in = in;
  if (new_accs) {
    new_results = Results(*new_accs);
    u.new_results = &new_results;
  }
  if (old_accs) {
    old_results = Results(*old_accs);
    u.old_results = &old_results;
  }
  consumer_(u);
}

void Aggregator::Apply(const GroupedChange& change, std::vector<std::string>* log) {
  if (!plan_.window) return ApplyUnwindowed(change);
  if (plan_.window->kind == WindowSpec::Kind::kSession) return ApplySession(change, log);
  ApplyTimeWindows(change, log);
}

// The cached state of a group (or of one window of it), read from the store on a miss.
Aggregator::CachedGroup* Aggregator::Lookup(const GroupedChange& change, std::optional<TimeWindow> window) {
  cache_key_ = change.key_bytes;
  if (window) cache_key_.append(reinterpret_cast<const char*>(&window->start), sizeof window->start);
  auto [it, inserted] = cache_.try_emplace(cache_key_);
  CachedGroup& g = it->second;
  if (!inserted) return &g;
  g.key = change.key;
  g.key_bytes = change.key_bytes;
  g.window = window;
  const auto stored = window ? stores_.windows->Get(partition_, change.key_bytes, window->start)
                             : stores_.groups->Get(partition_, change.key_bytes);
  g.in_store = stored && Decode(*stored, &g.committed_accs, &g.committed_timestamp);
  g.accs = g.in_store ? g.committed_accs : Initial();
  g.timestamp = g.committed_timestamp;
  g.bytes = sizeof(CachedGroup) + 2 * cache_key_.size() + 2 * sizeof(Value) * (g.key.size() + plan_.calls.size());
  cache_bytes_ += g.bytes;
  return &g;
}

void Aggregator::Update(CachedGroup* g, const GroupedChange& change) {
  Fold(change, &g->accs);
  g->timestamp = g->in_store || g->dirty ? std::max(g->timestamp, change.timestamp) : change.timestamp;
  if (!g->dirty) {
    g->dirty = true;
    dirty_.push_back(cache_key_);
  }
  if (cache_max_bytes_ == 0) {
    // No cache: every update is written and reported now, with the record for context.
    dirty_.pop_back();
    CommitGroup(g, change.in);
    Evict(cache_key_);
    return;
  }
  if (cache_bytes_ > cache_max_bytes_) Flush();
}

// Writes a dirty group to its store and reports its new results (old: as last committed).
void Aggregator::CommitGroup(CachedGroup* g, const KafkaRecord* in) {
  FlushGroup(g);
  Emit(g->key, g->key_bytes, in, g->window, &g->accs, g->in_store ? &g->committed_accs : nullptr, g->timestamp);
  g->committed_accs = g->accs;
  g->committed_timestamp = g->timestamp;
  g->in_store = true;
  g->dirty = false;
}

void Aggregator::Evict(const std::string& cache_key) {
  auto it = cache_.find(cache_key);
  if (it == cache_.end()) return;
  cache_bytes_ -= it->second.bytes;
  cache_.erase(it);
}

// Writes one group to its store.
void Aggregator::FlushGroup(CachedGroup* g) {
  const std::string& bytes = Encode(g->accs, g->timestamp);
  if (g->window) stores_.windows->Put(partition_, g->key_bytes, g->window->start, bytes, g->timestamp);
  else stores_.groups->Put(partition_, g->key_bytes, bytes, g->timestamp);
}

void Aggregator::Flush() {
  for (const std::string& k : dirty_) {
    auto it = cache_.find(k);
    if (it != cache_.end() && it->second.dirty) CommitGroup(&it->second, nullptr);
  }
  dirty_.clear();
  // Over budget: drop clean groups (all are clean now) until a quarter of the budget is free,
  // so that the groups updated most keep being served from memory.
  for (auto it = cache_.begin(); cache_bytes_ > cache_max_bytes_ / 4 * 3 && it != cache_.end();) {
    cache_bytes_ -= it->second.bytes;
    it = cache_.erase(it);
  }
}

void Aggregator::ApplyUnwindowed(const GroupedChange& change) {
  CachedGroup* g = Lookup(change, std::nullopt);
  if (!g->in_store && !g->dirty && !change.add) {  // nothing to subtract from
    Evict(cache_key_);
    return;
  }
  Update(g, change);
}

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
    Update(Lookup(change, window), change);
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
