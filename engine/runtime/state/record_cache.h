#pragma once
// The record cache (Kafka Streams' caching layer; ksql.streams.cache.max.bytes.buffering): a
// write-back cache in front of a store. Writes (Put/Delete) go into a dirty map of the wrapper;
// reads see them; they reach the underlying store -- and so its changelog -- only when flushed.
// Several writes to one key between flushes reach the store, the changelog and the listener as
// ONE update carrying the latest value: this coalescing is what the cache is for (an aggregate
// emits one row per key per commit instead of one per input record).
//
// When the listener is called (the aggregate operator emits its output rows from it):
//   - max_bytes == 0: pass-through. Every Put/Delete writes the underlying store at once and
//     calls the listener right away, inside the Put/Delete call, once per write (the corpus'
//     "every update emitted" mode; a delete of an absent key is reported too).
//   - max_bytes > 0: never inside Get; inside Put/Delete only when the write makes the dirty
//     bytes exceed max_bytes: then every dirty entry is flushed (as Kafka Streams' NamedCache
//     does when it evicts a dirty entry); and at Flush() (the task's commit), for every dirty
//     entry. Order of a flush: the order of each key's LAST write (Kafka Streams' dirtyKeys,
//     a LinkedHashSet re-inserted on each put), each key once, with its latest value and the
//     timestamp of that write. A delete of a key the underlying store does not have either is
//     neither written nor reported (Kafka Streams' CachingKeyValueStore skips it).
// For each flushed entry: old value read from the underlying store (if send_old_values, or to
// detect the skip above), then the underlying Put/Delete (a changelog record), then the listener.
// The old value is not read again when the wrapper already read it (a Get of the key just
// before its first write since the last flush): so the wrapper must be the only writer of the
// partitions it is used for.
// The listener may write to other stores; it must not call this wrapper (nor write its store).
//
// One wrapper per store handle of a task: single-threaded, no locks.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "engine/runtime/state/state_store.h"

namespace sluice {

namespace record_cache_detail {

struct Entry {
  std::optional<std::string> value;  // nullopt: a delete
  int64_t timestamp = 0;
  bool old_known = false;            // `old` holds the underlying value (no read at flush)
  std::optional<std::string> old;
  const std::string* key = nullptr;  // the map's key (node-based maps: stable addresses)
  Entry* prev = nullptr;
  Entry* next = nullptr;
};

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// Dirty entries by composite key (be32 partition + store key), with a list in last-write order.
template <typename Map>
class DirtyMap {
 public:
  // Bytes charged per entry beyond key and value (map node, list links, bookkeeping).
  static constexpr size_t kOverhead = 64;

  Entry* Find(std::string_view key) {
    auto it = map_.find(key);
    return it == map_.end() ? nullptr : &it->second;
  }
  // known_old: the underlying value if the caller knows it (kept only on first dirtying).
  void Set(std::string_view key, std::optional<std::string_view> value, int64_t ts,
           const std::optional<std::string>* known_old) {
    auto it = map_.find(key);
    Entry* e;
    if (it == map_.end()) {
      auto [ins, ok] = map_.try_emplace(std::string(key));
      e = &ins->second;
      e->key = &ins->first;
      bytes_ += ins->first.size() + kOverhead;
      if (known_old) {
        e->old_known = true;
        e->old = *known_old;
        bytes_ += e->old ? e->old->size() : 0;
      }
    } else {
      e = &it->second;
      bytes_ -= e->value ? e->value->size() : 0;
      Unlink(e);
    }
    if (value)
      e->value.emplace(*value);
    else
      e->value.reset();
    e->timestamp = ts;
    bytes_ += value ? value->size() : 0;
    Append(e);
  }
  size_t bytes() const { return bytes_; }
  size_t size() const { return map_.size(); }
  bool empty() const { return map_.empty(); }
  const Map& map() const { return map_; }

  // Empties the map first (so fn may write to the wrapper again), then calls fn(key, entry)
  // for each former entry in last-write order.
  template <typename Fn>
  void Drain(Fn&& fn) {
    Map taken = std::move(map_);
    map_.clear();
    Entry* e = head_;
    head_ = tail_ = nullptr;
    bytes_ = 0;
    for (; e; e = e->next) fn(*e->key, *e);
  }

 private:
  void Unlink(Entry* e) {
    (e->prev ? e->prev->next : head_) = e->next;
    (e->next ? e->next->prev : tail_) = e->prev;
    e->prev = e->next = nullptr;
  }
  void Append(Entry* e) {
    e->prev = tail_;
    e->next = nullptr;
    (tail_ ? tail_->next : head_) = e;
    tail_ = e;
  }

  Map map_;
  Entry* head_ = nullptr;
  Entry* tail_ = nullptr;
  size_t bytes_ = 0;
};

// The last value read from the underlying store: an aggregate reads a key and then writes it,
// and that read is the old value of the write, so the flush need not read it again.
struct ReadMemo {
  bool valid = false;
  std::string key;  // composite
  std::optional<std::string> value;

  const std::optional<std::string>* Match(std::string_view composite) const {
    return valid && key == composite ? &value : nullptr;
  }
  void Set(std::string_view composite, std::optional<std::string_view> v) {
    valid = true;
    key.assign(composite);
    if (v)
      value.emplace(*v);
    else
      value.reset();
  }
};

}  // namespace record_cache_detail

class CachingKeyValueStore : public KeyValueStore {
 public:
  using Listener = std::function<void(int partition, std::string_view key,
                                      std::optional<std::string_view> new_value,
                                      std::optional<std::string_view> old_value, int64_t timestamp)>;

  // send_old_values: read the underlying value before each flushed write and pass it as
  // old_value (else old_value is always nullopt). The listener may be empty.
  CachingKeyValueStore(std::shared_ptr<KeyValueStore> underlying, size_t max_bytes,
                       Listener listener, bool send_old_values = true);

  const std::string& name() const override { return store_->name(); }
  std::optional<std::string> Get(int partition, std::string_view key) override;
  void Put(int partition, std::string_view key, std::string_view value, int64_t timestamp) override;
  void Delete(int partition, std::string_view key, int64_t timestamp) override;
  // The underlying entries merged with the dirty ones, in key order.
  void Scan(int partition,
            const std::function<bool(std::string_view, std::string_view)>& fn) override;

  // Writes every dirty entry to the underlying store and reports it (see the header comment).
  void Flush();
  size_t dirty_bytes() const { return dirty_.bytes(); }
  size_t dirty_entries() const { return dirty_.size(); }
  KeyValueStore& underlying() { return *store_; }

 private:
  using Map = std::unordered_map<std::string, record_cache_detail::Entry, record_cache_detail::StringHash,
                                 std::equal_to<>>;
  void Write(int partition, std::string_view key, std::optional<std::string_view> value, int64_t ts);
  void FlushOne(int partition, std::string_view key, std::optional<std::string_view> value, int64_t ts,
                bool skip_absent_delete, const std::optional<std::string>* known_old);
  std::string& Composite(int partition, std::string_view key);

  std::shared_ptr<KeyValueStore> store_;
  size_t max_bytes_;
  Listener listener_;
  bool send_old_values_;
  record_cache_detail::DirtyMap<Map> dirty_;
  record_cache_detail::ReadMemo memo_;
  std::string scratch_;
};

class CachingWindowStore : public WindowStore {
 public:
  using Listener = std::function<void(int partition, std::string_view key, int64_t window_start,
                                      std::optional<std::string_view> new_value,
                                      std::optional<std::string_view> old_value, int64_t timestamp)>;

  CachingWindowStore(std::shared_ptr<WindowStore> underlying, size_t max_bytes, Listener listener,
                     bool send_old_values = true);

  const std::string& name() const override { return store_->name(); }
  std::optional<std::string> Get(int partition, std::string_view key, int64_t window_start) override;
  void Put(int partition, std::string_view key, int64_t window_start, std::string_view value,
           int64_t timestamp) override;
  void Delete(int partition, std::string_view key, int64_t window_start, int64_t timestamp) override;
  void Fetch(int partition, std::string_view key, int64_t from, int64_t to,
             const std::function<bool(int64_t start, std::string_view value)>& fn) override;
  void Scan(int partition, const std::function<bool(std::string_view key, int64_t start,
                                                    std::string_view value)>& fn) override;
  // Expires the underlying store only: dirty entries are still flushed and reported, as in
  // Kafka Streams (an expired one is dropped again by the next Expire).
  void Expire(int partition, int64_t before) override { store_->Expire(partition, before); }

  void Flush();
  size_t dirty_bytes() const { return dirty_.bytes(); }
  size_t dirty_entries() const { return dirty_.size(); }
  WindowStore& underlying() { return *store_; }

 private:
  using Map = std::map<std::string, record_cache_detail::Entry, std::less<>>;
  void Write(int partition, std::string_view key, int64_t start, std::optional<std::string_view> value,
             int64_t ts);
  void FlushOne(int partition, std::string_view key, int64_t start,
                std::optional<std::string_view> value, int64_t ts, bool skip_absent_delete,
                const std::optional<std::string>* known_old);
  std::string& Composite(int partition, std::string_view key, int64_t start);

  std::shared_ptr<WindowStore> store_;
  size_t max_bytes_;
  Listener listener_;
  bool send_old_values_;
  record_cache_detail::DirtyMap<Map> dirty_;
  record_cache_detail::ReadMemo memo_;
  std::string scratch_;
};

}  // namespace sluice
