#include "engine/runtime/aggregation/aggregator.h"

#include <spdlog/spdlog.h>

#include "engine/runtime/state/row_codec.h"

namespace sluice {

Aggregator::Aggregator(const AggregationPlan& plan, AggregatorStores stores, int partition, UpdateConsumer consumer)
    : plan_(plan), stores_(std::move(stores)), partition_(partition), consumer_(std::move(consumer)) {
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

void Aggregator::Emit(const GroupedChange& change, std::optional<TimeWindow> window, const Row* new_accs,
                      const Row* old_accs, int64_t timestamp) {
  Row new_results, old_results;
  AggregateUpdate u;
  u.key = &change.key;
  u.key_bytes = &change.key_bytes;
  u.window = window;
  u.timestamp = timestamp;
  u.in = change.in;
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

void Aggregator::ApplyUnwindowed(const GroupedChange& change) {
  Row accs, old_accs;
  int64_t ts = change.timestamp, old_ts = 0;
  const auto stored = stores_.groups->Get(partition_, change.key_bytes);
  const bool existed = stored && Decode(*stored, &old_accs, &old_ts);
  if (!existed && !change.add) return;  // nothing to subtract from
  accs = existed ? old_accs : Initial();
  if (existed) ts = std::max(ts, old_ts);
  Fold(change, &accs);
  stores_.groups->Put(partition_, change.key_bytes, Encode(accs, ts), ts);
  Emit(change, std::nullopt, &accs, existed ? &old_accs : nullptr, ts);
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
    Row accs, old_accs;
    int64_t out_ts = ts, old_ts = 0;
    const auto stored = stores_.windows->Get(partition_, change.key_bytes, start);
    const bool existed = stored && Decode(*stored, &old_accs, &old_ts);
    accs = existed ? old_accs : Initial();
    if (existed) out_ts = std::max(out_ts, old_ts);
    Fold(change, &accs);
    stores_.windows->Put(partition_, change.key_bytes, start, Encode(accs, out_ts), out_ts);
    Emit(change, window, &accs, existed ? &old_accs : nullptr, out_ts);
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
      Emit(change, f.window, nullptr, &f.accs, f.window.end);
  }
  Fold(change, &accs);
  stores_.sessions->Put(partition_, change.key_bytes, session.start, session.end, Encode(accs, out_ts), out_ts);
  const Found* same = nullptr;
  for (const auto& f : merged)
    if (f.window.start == session.start && f.window.end == session.end) same = &f;
  Emit(change, session, &accs, same ? &same->accs : nullptr, session.end);
}

}  // namespace sluice
