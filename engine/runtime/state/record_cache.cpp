// Record cache wrappers (see record_cache.h for when the listener fires).
#include "engine/runtime/state/record_cache.h"

#include <algorithm>
#include <vector>

#include "engine/runtime/state/state_keys.h"

namespace sluice {

using record_cache_detail::Entry;

namespace {

std::optional<std::string_view> View(const std::optional<std::string>& v) {
  if (!v) return std::nullopt;
  return std::string_view(*v);
}

// Merges an ordered underlying stream with ordered dirty entries: a dirty entry replaces the
// underlying one with the same position (and hides it if it is a delete). `less`/`same` compare
// a dirty entry with the underlying position; emit_dirty(e) and emit_under() return false to stop.
template <typename Dirty>
class Merger {
 public:
  explicit Merger(const std::vector<Dirty>& dirty) : dirty_(dirty) {}
  // Called per underlying entry; false: stop.
  template <typename Less, typename Same, typename EmitDirty, typename EmitUnder>
  bool Step(Less&& less, Same&& same, EmitDirty&& emit_dirty, EmitUnder&& emit_under) {
    while (i_ < dirty_.size() && less(dirty_[i_])) {
      if (!emit_dirty(dirty_[i_++])) return going_ = false;
    }
    if (i_ < dirty_.size() && same(dirty_[i_])) return going_ = emit_dirty(dirty_[i_++]);
    return going_ = emit_under();
  }
  template <typename EmitDirty>
  void Rest(EmitDirty&& emit_dirty) {
    if (!going_) return;
    while (i_ < dirty_.size())
      if (!emit_dirty(dirty_[i_++])) return;
  }

 private:
  const std::vector<Dirty>& dirty_;
  size_t i_ = 0;
  bool going_ = true;  // true while going on
};

}  // namespace

// ---------------------------------------------------------------- key-value

CachingKeyValueStore::CachingKeyValueStore(std::shared_ptr<KeyValueStore> underlying,
                                           size_t max_bytes, Listener listener, bool send_old_values)
    : store_(std::move(underlying)),
      max_bytes_(max_bytes),
      listener_(std::move(listener)),
      send_old_values_(send_old_values) {}

std::string& CachingKeyValueStore::Composite(int partition, std::string_view key) {
  scratch_.clear();
  state_keys::PutBE32(scratch_, static_cast<uint32_t>(partition));
  scratch_.append(key);
  return scratch_;
}

std::optional<std::string> CachingKeyValueStore::Get(int partition, std::string_view key) {
  if (!dirty_.empty())
    if (Entry* e = dirty_.Find(Composite(partition, key))) return e->value;
  std::optional<std::string> v = store_->Get(partition, key);
  if (send_old_values_) memo_.Set(Composite(partition, key), v);
  return v;
}

void CachingKeyValueStore::Put(int partition, std::string_view key, std::string_view value,
                               int64_t ts) {
  Write(partition, key, value, ts);
}

void CachingKeyValueStore::Delete(int partition, std::string_view key, int64_t ts) {
  Write(partition, key, std::nullopt, ts);
}

void CachingKeyValueStore::Write(int partition, std::string_view key,
                                 std::optional<std::string_view> value, int64_t ts) {
  const std::optional<std::string>* known_old = memo_.Match(Composite(partition, key));
  if (max_bytes_ == 0) {
    FlushOne(partition, key, value, ts, /*skip_absent_delete=*/false, known_old);
    if (send_old_values_) memo_.Set(Composite(partition, key), value);  // the next write's old
    return;
  }
  dirty_.Set(scratch_, value, ts, known_old);
  memo_.valid = false;  // the dirty entry answers reads of this key now
  if (dirty_.bytes() > max_bytes_) Flush();
}

void CachingKeyValueStore::FlushOne(int partition, std::string_view key,
                                    std::optional<std::string_view> value, int64_t ts,
                                    bool skip_absent_delete,
                                    const std::optional<std::string>* known_old) {
  std::optional<std::string> read;
  if (!known_old && (send_old_values_ || (!value && skip_absent_delete))) {
    read = store_->Get(partition, key);
    known_old = &read;
  }
  const std::optional<std::string>& old = known_old ? *known_old : read;
  if (!value && !old && skip_absent_delete) return;
  if (value)
    store_->Put(partition, key, *value, ts);
  else
    store_->Delete(partition, key, ts);
  if (listener_) listener_(partition, key, value, send_old_values_ ? View(old) : std::nullopt, ts);
}

void CachingKeyValueStore::Flush() {
  memo_.valid = false;
  dirty_.Drain([&](const std::string& composite, Entry& e) {
    int partition = static_cast<int>(state_keys::GetBE32(composite.data()));
    FlushOne(partition, std::string_view(composite).substr(4), View(e.value), e.timestamp,
             /*skip_absent_delete=*/true, e.old_known ? &e.old : nullptr);
  });
}

void CachingKeyValueStore::Scan(int partition,
                                const std::function<bool(std::string_view, std::string_view)>& fn) {
  if (dirty_.empty()) return store_->Scan(partition, fn);
  std::string prefix;
  state_keys::PutBE32(prefix, static_cast<uint32_t>(partition));
  std::vector<const Entry*> mine;
  for (const auto& [k, e] : dirty_.map())
    if (std::string_view(k).substr(0, 4) == prefix) mine.push_back(&e);
  std::sort(mine.begin(), mine.end(), [](const Entry* a, const Entry* b) { return *a->key < *b->key; });
  auto key_of = [](const Entry* e) { return std::string_view(*e->key).substr(4); };
  auto emit_dirty = [&](const Entry* e) { return !e->value || fn(key_of(e), *e->value); };
  Merger<const Entry*> merge(mine);
  store_->Scan(partition, [&](std::string_view k, std::string_view v) {
    return merge.Step([&](const Entry* e) { return key_of(e) < k; },
                      [&](const Entry* e) { return key_of(e) == k; }, emit_dirty,
                      [&] { return fn(k, v); });
  });
  merge.Rest(emit_dirty);
}

// ---------------------------------------------------------------- window

CachingWindowStore::CachingWindowStore(std::shared_ptr<WindowStore> underlying, size_t max_bytes,
                                       Listener listener, bool send_old_values)
    : store_(std::move(underlying)),
      max_bytes_(max_bytes),
      listener_(std::move(listener)),
      send_old_values_(send_old_values) {}

std::string& CachingWindowStore::Composite(int partition, std::string_view key, int64_t start) {
  scratch_.clear();
  state_keys::PutBE32(scratch_, static_cast<uint32_t>(partition));
  state_keys::AppendWindowKey(scratch_, key, start);
  return scratch_;
}

std::optional<std::string> CachingWindowStore::Get(int partition, std::string_view key,
                                                   int64_t start) {
  if (!dirty_.empty())
    if (Entry* e = dirty_.Find(Composite(partition, key, start))) return e->value;
  std::optional<std::string> v = store_->Get(partition, key, start);
  if (send_old_values_) memo_.Set(Composite(partition, key, start), v);
  return v;
}

void CachingWindowStore::Put(int partition, std::string_view key, int64_t start,
                             std::string_view value, int64_t ts) {
  Write(partition, key, start, value, ts);
}

void CachingWindowStore::Delete(int partition, std::string_view key, int64_t start, int64_t ts) {
  Write(partition, key, start, std::nullopt, ts);
}

void CachingWindowStore::Write(int partition, std::string_view key, int64_t start,
                               std::optional<std::string_view> value, int64_t ts) {
  const std::optional<std::string>* known_old = memo_.Match(Composite(partition, key, start));
  if (max_bytes_ == 0) {
    FlushOne(partition, key, start, value, ts, /*skip_absent_delete=*/false, known_old);
    if (send_old_values_) memo_.Set(Composite(partition, key, start), value);
    return;
  }
  dirty_.Set(scratch_, value, ts, known_old);
  memo_.valid = false;
  if (dirty_.bytes() > max_bytes_) Flush();
}

void CachingWindowStore::FlushOne(int partition, std::string_view key, int64_t start,
                                  std::optional<std::string_view> value, int64_t ts,
                                  bool skip_absent_delete,
                                  const std::optional<std::string>* known_old) {
  std::optional<std::string> read;
  if (!known_old && (send_old_values_ || (!value && skip_absent_delete))) {
    read = store_->Get(partition, key, start);
    known_old = &read;
  }
  const std::optional<std::string>& old = known_old ? *known_old : read;
  if (!value && !old && skip_absent_delete) return;
  if (value)
    store_->Put(partition, key, start, *value, ts);
  else
    store_->Delete(partition, key, start, ts);
  if (listener_)
    listener_(partition, key, start, value, send_old_values_ ? View(old) : std::nullopt, ts);
}

void CachingWindowStore::Flush() {
  memo_.valid = false;
  dirty_.Drain([&](const std::string& composite, Entry& e) {
    int partition = static_cast<int>(state_keys::GetBE32(composite.data()));
    std::string_view key;
    int64_t start = 0;
    state_keys::DecodeWindowKey(std::string_view(composite).substr(4), &key, &start);
    FlushOne(partition, key, start, View(e.value), e.timestamp, /*skip_absent_delete=*/true,
             e.old_known ? &e.old : nullptr);
  });
}

void CachingWindowStore::Fetch(int partition, std::string_view key, int64_t from, int64_t to,
                               const std::function<bool(int64_t, std::string_view)>& fn) {
  if (dirty_.empty() || from > to) return store_->Fetch(partition, key, from, to, fn);
  std::string lo = Composite(partition, key, from);
  std::string hi = Composite(partition, key, to);
  std::vector<std::pair<int64_t, const Entry*>> mine;
  for (auto it = dirty_.map().lower_bound(lo); it != dirty_.map().end() && it->first <= hi; ++it)
    mine.emplace_back(state_keys::FromOrderedTime(state_keys::GetBE64(it->first.data() + it->first.size() - 8)),
                      &it->second);
  if (mine.empty()) return store_->Fetch(partition, key, from, to, fn);
  auto emit_dirty = [&](const std::pair<int64_t, const Entry*>& d) {
    return !d.second->value || fn(d.first, *d.second->value);
  };
  Merger<std::pair<int64_t, const Entry*>> merge(mine);
  store_->Fetch(partition, key, from, to, [&](int64_t start, std::string_view v) {
    return merge.Step([&](const auto& d) { return d.first < start; },
                      [&](const auto& d) { return d.first == start; }, emit_dirty,
                      [&] { return fn(start, v); });
  });
  merge.Rest(emit_dirty);
}

void CachingWindowStore::Scan(
    int partition, const std::function<bool(std::string_view, int64_t, std::string_view)>& fn) {
  if (dirty_.empty()) return store_->Scan(partition, fn);
  std::string lo, hi;
  state_keys::PutBE32(lo, static_cast<uint32_t>(partition));
  state_keys::PutBE32(hi, static_cast<uint32_t>(partition) + 1);
  struct Dirty {
    std::string_view stored;  // composite without the partition
    const Entry* e;
  };
  std::vector<Dirty> mine;
  for (auto it = dirty_.map().lower_bound(lo); it != dirty_.map().end() && it->first < hi; ++it)
    mine.push_back({std::string_view(it->first).substr(4), &it->second});
  auto emit_dirty = [&](const Dirty& d) {
    std::string_view key;
    int64_t start = 0;
    state_keys::DecodeWindowKey(d.stored, &key, &start);
    return !d.e->value || fn(key, start, *d.e->value);
  };
  Merger<Dirty> merge(mine);
  std::string under;
  store_->Scan(partition, [&](std::string_view k, int64_t start, std::string_view v) {
    under.clear();
    state_keys::AppendWindowKey(under, k, start);
    return merge.Step([&](const Dirty& d) { return d.stored < under; },
                      [&](const Dirty& d) { return d.stored == under; }, emit_dirty,
                      [&] { return fn(k, start, v); });
  });
  merge.Rest(emit_dirty);
}

}  // namespace sluice
