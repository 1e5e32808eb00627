// In-memory StateBackend for unit tests and the test driver: per store, per partition, a
// std::map of stored keys (state_keys.h layouts, so iteration order is the RocksDB backend's).
// Single-threaded, like everything the test driver runs. Checkpoints live only as long as the
// backend.
#include <algorithm>
#include <cstdint>
#include <map>
#include <tuple>
#include <utility>
#include <vector>

#include "engine/runtime/state/state_keys.h"
#include "engine/runtime/state/state_store.h"

namespace sluice {
namespace {

using state_keys::StoreKind;
using Partition = std::map<std::string, std::string, std::less<>>;

// The data of one store, shared by every handle opened on it.
struct MemStore {
  std::string name;
  StoreKind kind;
  std::map<int, Partition> partitions;

  Partition& At(int p) { return partitions[p]; }
  const Partition* Find(int p) const {
    auto it = partitions.find(p);
    return it == partitions.end() ? nullptr : &it->second;
  }
};

// Base of the handles: the shared data plus the collector of the task that opened it.
class MemHandle {
 public:
  MemHandle(std::shared_ptr<MemStore> s, ChangelogCollector* c) : s_(std::move(s)), log_(c) {}

 protected:
  void Log(int partition, std::string changelog_key, std::optional<std::string_view> value,
           int64_t ts) {
    if (!log_) return;
    ChangelogRecord r;
    r.store = s_->name;
    r.partition = partition;
    r.key = std::move(changelog_key);
    if (value) r.value = std::string(*value);
    r.timestamp = ts;
    log_->Add(std::move(r));
  }
  // [lo, hi] over stored keys of one partition.
  template <typename Fn>
  void Range(int partition, const std::string& lo, const std::string& hi, Fn&& fn) {
    const Partition* p = s_->Find(partition);
    if (!p) return;
    for (auto it = p->lower_bound(lo); it != p->end() && it->first <= hi; ++it)
      if (!fn(it->first, it->second)) return;
  }

  std::shared_ptr<MemStore> s_;
  ChangelogCollector* log_;
};

class MemKeyValue : public KeyValueStore, MemHandle {
 public:
  using MemHandle::MemHandle;
  const std::string& name() const override { return s_->name; }

  std::optional<std::string> Get(int partition, std::string_view key) override {
    const Partition* p = s_->Find(partition);
    if (!p) return std::nullopt;
    auto it = p->find(key);
    if (it == p->end()) return std::nullopt;
    return it->second;
  }
  void Put(int partition, std::string_view key, std::string_view value, int64_t ts) override {
    s_->At(partition).insert_or_assign(std::string(key), std::string(value));
    Log(partition, std::string(key), value, ts);
  }
  void Delete(int partition, std::string_view key, int64_t ts) override {
    Partition& p = s_->At(partition);
    auto it = p.find(key);
    if (it != p.end()) p.erase(it);
    Log(partition, std::string(key), std::nullopt, ts);
  }
  void Scan(int partition,
            const std::function<bool(std::string_view, std::string_view)>& fn) override {
    const Partition* p = s_->Find(partition);
    if (!p) return;
    for (const auto& [k, v] : *p)
      if (!fn(k, v)) return;
  }
};

class MemWindow : public WindowStore, MemHandle {
 public:
  using MemHandle::MemHandle;
  const std::string& name() const override { return s_->name; }

  std::optional<std::string> Get(int partition, std::string_view key, int64_t start) override {
    const Partition* p = s_->Find(partition);
    if (!p) return std::nullopt;
    std::string k;
    state_keys::AppendWindowKey(k, key, start);
    auto it = p->find(k);
    if (it == p->end()) return std::nullopt;
    return it->second;
  }
  void Put(int partition, std::string_view key, int64_t start, std::string_view value,
           int64_t ts) override {
    std::string k;
    state_keys::AppendWindowKey(k, key, start);
    s_->At(partition).insert_or_assign(std::move(k), std::string(value));
    Log(partition, state_keys::WindowChangelogKey(key, start), value, ts);
  }
  void Delete(int partition, std::string_view key, int64_t start, int64_t ts) override {
    std::string k;
    state_keys::AppendWindowKey(k, key, start);
    s_->At(partition).erase(k);
    Log(partition, state_keys::WindowChangelogKey(key, start), std::nullopt, ts);
  }
  void Fetch(int partition, std::string_view key, int64_t from, int64_t to,
             const std::function<bool(int64_t, std::string_view)>& fn) override {
    if (from > to) return;
    std::string lo, hi;
    state_keys::AppendWindowKey(lo, key, from);
    state_keys::AppendWindowKey(hi, key, to);
    Range(partition, lo, hi, [&](std::string_view k, std::string_view v) {
      std::string_view uk;
      int64_t start = 0;
      state_keys::DecodeWindowKey(k, &uk, &start);
      return fn(start, v);
    });
  }
  void Scan(int partition,
            const std::function<bool(std::string_view, int64_t, std::string_view)>& fn) override {
    const Partition* p = s_->Find(partition);
    if (!p) return;
    for (const auto& [k, v] : *p) {
      std::string_view uk;
      int64_t start = 0;
      if (state_keys::DecodeWindowKey(k, &uk, &start) && !fn(uk, start, v)) return;
    }
  }
  void Expire(int partition, int64_t before) override {
    auto pit = s_->partitions.find(partition);
    if (pit == s_->partitions.end()) return;
    std::erase_if(pit->second, [&](const auto& kv) {
      std::string_view uk;
      int64_t start = 0;
      return state_keys::DecodeWindowKey(kv.first, &uk, &start) && start < before;
    });
  }
};

class MemSession : public SessionStore, MemHandle {
 public:
  using MemHandle::MemHandle;
  const std::string& name() const override { return s_->name; }

  void FindSessions(int partition, std::string_view key, int64_t earliest_end, int64_t latest_start,
                    const std::function<bool(int64_t, int64_t, std::string_view)>& fn) override {
    std::string lo, hi;
    state_keys::AppendSessionKey(lo, key, INT64_MIN, earliest_end);
    state_keys::AppendSessionKey(hi, key, INT64_MAX, INT64_MAX);
    // Stored in end order; the contract is start order (equal for the disjoint sessions of one
    // key, which is the normal case), so collect and sort.
    std::vector<std::tuple<int64_t, int64_t, std::string_view>> found;
    Range(partition, lo, hi, [&](std::string_view k, std::string_view v) {
      std::string_view uk;
      int64_t start = 0, end = 0;
      state_keys::DecodeSessionKey(k, &uk, &start, &end);
      if (start <= latest_start) found.emplace_back(start, end, v);
      return true;
    });
    std::stable_sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
      return std::get<0>(a) < std::get<0>(b);
    });
    for (const auto& [start, end, v] : found)
      if (!fn(start, end, v)) return;
  }
  void Put(int partition, std::string_view key, int64_t start, int64_t end, std::string_view value,
           int64_t ts) override {
    std::string k;
    state_keys::AppendSessionKey(k, key, start, end);
    s_->At(partition).insert_or_assign(std::move(k), std::string(value));
    Log(partition, state_keys::SessionChangelogKey(key, start, end), value, ts);
  }
  void Remove(int partition, std::string_view key, int64_t start, int64_t end, int64_t ts) override {
    std::string k;
    state_keys::AppendSessionKey(k, key, start, end);
    s_->At(partition).erase(k);
    Log(partition, state_keys::SessionChangelogKey(key, start, end), std::nullopt, ts);
  }
  void Scan(int partition, const std::function<bool(std::string_view, int64_t, int64_t,
                                                    std::string_view)>& fn) override {
    const Partition* p = s_->Find(partition);
    if (!p) return;
    for (const auto& [k, v] : *p) {
      std::string_view uk;
      int64_t start = 0, end = 0;
      if (state_keys::DecodeSessionKey(k, &uk, &start, &end) && !fn(uk, start, end, v)) return;
    }
  }
  void Expire(int partition, int64_t before) override {
    auto pit = s_->partitions.find(partition);
    if (pit == s_->partitions.end()) return;
    std::erase_if(pit->second, [&](const auto& kv) {
      std::string_view uk;
      int64_t start = 0, end = 0;
      return state_keys::DecodeSessionKey(kv.first, &uk, &start, &end) && end < before;
    });
  }
};

class MemoryStateBackend : public StateBackend {
 public:
  Result<std::shared_ptr<KeyValueStore>> OpenKeyValue(const std::string& name,
                                                      ChangelogCollector* changelog) override {
    auto s = Open(name, StoreKind::kKeyValue);
    if (!s.ok()) return s.status();
    return std::shared_ptr<KeyValueStore>(std::make_shared<MemKeyValue>(*s, changelog));
  }
  Result<std::shared_ptr<WindowStore>> OpenWindow(const std::string& name, int64_t /*retention_ms*/,
                                                  ChangelogCollector* changelog) override {
    auto s = Open(name, StoreKind::kWindow);
    if (!s.ok()) return s.status();
    return std::shared_ptr<WindowStore>(std::make_shared<MemWindow>(*s, changelog));
  }
  Result<std::shared_ptr<SessionStore>> OpenSession(const std::string& name, int64_t /*retention_ms*/,
                                                    ChangelogCollector* changelog) override {
    auto s = Open(name, StoreKind::kSession);
    if (!s.ok()) return s.status();
    return std::shared_ptr<SessionStore>(std::make_shared<MemSession>(*s, changelog));
  }

  Status Restore(const std::string& store, const std::vector<ChangelogRecord>& records) override {
    auto it = stores_.find(store);
    if (it == stores_.end())
      return Status::NotFound("state store '" + store + "': restore before the store was opened");
    MemStore& s = *it->second;
    for (const ChangelogRecord& r : records) {
      std::string k;
      if (!state_keys::StoredKeyFromChangelog(s.kind, r.key, k))
        return Status::SerdeError("state store '" + store + "' partition " +
                                  std::to_string(r.partition) + ": malformed " +
                                  state_keys::KindName(s.kind) + " changelog key");
      Partition& p = s.At(r.partition);
      if (r.value)
        p.insert_or_assign(std::move(k), *r.value);
      else
        p.erase(k);
    }
    return Status::OK();
  }

  void DropPartition(const std::string& store, int partition) override {
    if (auto it = stores_.find(store); it != stores_.end()) it->second->partitions.erase(partition);
    checkpoints_.erase({store, partition});
  }
  void DropStore(const std::string& store) override {
    // Handles still open keep the detached data; a new Open starts empty.
    stores_.erase(store);
    std::erase_if(checkpoints_, [&](const auto& kv) { return kv.first.first == store; });
  }
  Status Checkpoint(const std::string& store, int partition, int64_t offset) override {
    checkpoints_[{store, partition}] = offset;
    return Status::OK();
  }
  std::optional<int64_t> CheckpointedOffset(const std::string& store, int partition) override {
    auto it = checkpoints_.find({store, partition});
    if (it == checkpoints_.end()) return std::nullopt;
    return it->second;
  }

 private:
  Result<std::shared_ptr<MemStore>> Open(const std::string& name, StoreKind kind) {
    auto& slot = stores_[name];
    if (!slot) {
      slot = std::make_shared<MemStore>();
      slot->name = name;
      slot->kind = kind;
    } else if (slot->kind != kind) {
      return Status::InvalidArgument("state store '" + name + "' is a " +
                                     state_keys::KindName(slot->kind) + " store, not a " +
                                     state_keys::KindName(kind) + " store");
    }
    return slot;
  }

  std::map<std::string, std::shared_ptr<MemStore>> stores_;
  std::map<std::pair<std::string, int>, int64_t> checkpoints_;
};

}  // namespace

std::unique_ptr<StateBackend> MakeMemoryStateBackend() {
  return std::make_unique<MemoryStateBackend>();
}

}  // namespace sluice
