// RocksDB StateBackend (see rocksdb_state.h for the shape and its reasons).
#include "engine/runtime/state/rocksdb_state.h"

#include <rocksdb/cache.h>
#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/write_buffer_manager.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <map>
#include <mutex>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "engine/runtime/state/state_keys.h"

namespace sluice {
namespace {

namespace rdb = rocksdb;
using state_keys::StoreKind;

constexpr char kMetaCf[] = "__sluice_meta";
constexpr char kStoreCfPrefix[] = "store:";  // column family of store S: "store:S"

// Metadata keys: 'k' S -> kind byte; 'c' S '\0' be32(partition) -> be64(changelog offset).
std::string KindKey(const std::string& store) { return "k" + store; }
std::string CheckpointPrefix(const std::string& store) { return "c" + store + '\0'; }
std::string CheckpointKey(const std::string& store, int partition) {
  std::string k = CheckpointPrefix(store);
  state_keys::PutBE32(k, static_cast<uint32_t>(partition));
  return k;
}
std::string PartitionPrefix(int partition) {
  std::string k;
  state_keys::PutBE32(k, static_cast<uint32_t>(partition));
  return k;
}
// Smallest string greater than every string starting with `s` ("" if none: no bound).
std::string PrefixSuccessor(std::string s) {
  while (!s.empty()) {
    if (static_cast<unsigned char>(s.back()) != 0xff) {
      s.back() = static_cast<char>(static_cast<unsigned char>(s.back()) + 1);
      return s;
    }
    s.pop_back();
  }
  return s;
}

// Per-thread key buffer: handles may be shared between tasks of different threads, so the
// scratch space cannot live in the handle; a thread_local one costs no allocation per call.
std::string& KeyBuffer(int partition) {
  thread_local std::string buf;
  buf.clear();
  state_keys::PutBE32(buf, static_cast<uint32_t>(partition));
  return buf;
}

// The DB and what outlives the backend object while store handles are alive: the last
// StoreData to go closes the DB, so a handle kept past the backend stays valid.
struct DbHolder {
  std::string dir;
  rdb::DB* db = nullptr;
  std::vector<rdb::ColumnFamilyHandle*> fixed;  // default + meta
  rdb::ColumnFamilyHandle* meta = nullptr;
  std::shared_ptr<rdb::Cache> cache;
  std::shared_ptr<rdb::WriteBufferManager> wbm;
  rdb::ColumnFamilyOptions cf_options;
  rdb::WriteOptions checkpoint_write;
  // First I/O or corruption error met where no Status can be returned (Get, Put, iterators);
  // Checkpoint() returns it, so the task fails at its next commit instead of going on wrong.
  std::mutex err_mu;
  std::atomic<bool> failed{false};
  std::string error;

  ~DbHolder() {
    if (!db) return;
    for (auto* h : fixed) db->DestroyColumnFamilyHandle(h);
    rdb::Status s = db->Close();
    if (!s.ok()) spdlog::warn("state dir {}: closing RocksDB: {}", dir, s.ToString());
    delete db;
  }
  void Fail(const std::string& what, const rdb::Status& s) {
    spdlog::error("state dir {}: {}: {}", dir, what, s.ToString());
    std::lock_guard<std::mutex> lock(err_mu);
    if (!failed.exchange(true)) error = what + ": " + s.ToString();
  }
  Status Sticky() {
    if (!failed.load(std::memory_order_relaxed)) return Status::OK();
    std::lock_guard<std::mutex> lock(err_mu);
    return Status::IOError("state dir " + dir + ": " + error);
  }
};

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// Writes not checkpointed yet, latest per key (nullopt: delete). Key-value stores, read by
// point lookups, keep them in a hash map (range reads sort what they need); window and session
// stores, fetched by ranges per record, in an ordered map. (RocksDB's WriteBatchWithIndex was
// the first choice: its skiplist over the batch's encoded entries made every get and put
// several times slower than this.)
class PendingWrites {
 public:
  using Value = std::optional<std::string>;
  using Ref = std::pair<std::string_view, const Value*>;
  explicit PendingWrites(bool ordered) : ordered_(ordered) {}

  bool empty() const { return ordered_ ? sorted_.empty() : hashed_.empty(); }
  size_t size() const { return ordered_ ? sorted_.size() : hashed_.size(); }
  // The pending write of `key`, or nullptr.
  const Value* Find(std::string_view key) const {
    if (ordered_) {
      auto it = sorted_.find(key);
      return it == sorted_.end() ? nullptr : &it->second;
    }
    auto it = hashed_.find(key);
    return it == hashed_.end() ? nullptr : &it->second;
  }
  void Set(std::string_view key, std::optional<std::string_view> value) {
    Value* v;
    if (ordered_) {
      auto it = sorted_.find(key);
      v = it != sorted_.end() ? &it->second : &sorted_.try_emplace(std::string(key)).first->second;
    } else {
      auto it = hashed_.find(key);
      v = it != hashed_.end() ? &it->second : &hashed_.try_emplace(std::string(key)).first->second;
    }
    if (value)
      v->emplace(*value);
    else
      v->reset();
  }
  // Pending writes with lower <= key < upper (upper "" = no bound), in key order.
  void Range(std::string_view lower, std::string_view upper, std::vector<Ref>& out) const {
    out.clear();
    auto in = [&](std::string_view k) { return k >= lower && (upper.empty() || k < upper); };
    if (ordered_) {
      for (auto it = sorted_.lower_bound(lower); it != sorted_.end() && in(it->first); ++it)
        out.emplace_back(it->first, &it->second);
      return;
    }
    for (const auto& [k, v] : hashed_)
      if (in(k)) out.emplace_back(k, &v);
    SortByKey(out);
  }
  // In key order: a memtable takes sorted inserts faster (each starts where the last ended).
  template <typename Fn>
  void ForEachSorted(Fn&& fn) const {
    if (ordered_) {
      for (const auto& [k, v] : sorted_) fn(k, v);
      return;
    }
    std::vector<Ref> all;
    all.reserve(hashed_.size());
    for (const auto& [k, v] : hashed_) all.emplace_back(k, &v);
    SortByKey(all);
    for (const auto& [k, v] : all) fn(k, *v);
  }
  void Clear() {
    sorted_.clear();
    hashed_.clear();
  }

 private:
  // Sorts by key bytes. Keys of a store share long prefixes (the partition, then often a common
  // head such as "user-"), where a plain sort spends its time in memcmp: this one compares the 8
  // bytes that follow the prefix all keys share, as one integer, and memcmp only on ties.
  static void SortByKey(std::vector<Ref>& refs) {
    if (refs.size() < 2) return;
    size_t common = refs[0].first.size();
    for (const Ref& r : refs) {
      const std::string_view a = refs[0].first, b = r.first;
      size_t n = std::min(common, b.size());
      size_t i = 0;
      while (i < n && a[i] == b[i]) ++i;
      common = i;
    }
    std::vector<std::pair<uint64_t, uint32_t>> order(refs.size());
    for (size_t i = 0; i < refs.size(); ++i) {
      const std::string_view k = refs[i].first;
      uint64_t head = 0;
      for (size_t j = 0; j < 8; ++j)
        head = (head << 8) | (common + j < k.size() ? static_cast<unsigned char>(k[common + j]) : 0u);
      order[i] = {head, static_cast<uint32_t>(i)};
    }
    std::sort(order.begin(), order.end(), [&](const auto& a, const auto& b) {
      if (a.first != b.first) return a.first < b.first;
      return refs[a.second].first < refs[b.second].first;
    });
    std::vector<Ref> sorted;
    sorted.reserve(refs.size());
    for (const auto& [head, i] : order) sorted.push_back(refs[i]);
    refs.swap(sorted);
  }

  bool ordered_;
  std::unordered_map<std::string, Value, StringHash, std::equal_to<>> hashed_;
  std::map<std::string, Value, std::less<>> sorted_;
};

// Writes of one partition of one store not checkpointed yet, and what Expire knows.
struct PartitionState {
  explicit PartitionState(bool ordered) : pending(ordered) {}
  PendingWrites pending;
  bool min_known = false;  // min_time is exact (set by a full scan, kept by writes)
  int64_t min_time = 0;    // smallest window start / session end present
  void Wrote(int64_t t) {
    if (min_known) min_time = std::min(min_time, t);
  }
};

// Partition -> state, readable without a lock (the task's hot path): two levels of atomic
// pointers, created under a mutex on first use of a partition. Partitions 0..65535.
class PartitionTable {
 public:
  static constexpr int kMaxPartitions = 1 << 16;
  PartitionTable() {
    for (auto& c : chunks_) c.store(nullptr, std::memory_order_relaxed);
  }
  ~PartitionTable() {
    for (auto& c : chunks_) {
      Chunk* chunk = c.load();
      if (!chunk) continue;
      for (auto& s : *chunk) delete s.load();
      delete chunk;
    }
  }
  PartitionState* Find(int p) const {
    if (p < 0 || p >= kMaxPartitions) return nullptr;
    Chunk* c = chunks_[p >> kShift].load(std::memory_order_acquire);
    return c ? (*c)[p & kMask].load(std::memory_order_acquire) : nullptr;
  }
  // nullptr only for a partition number out of range.
  PartitionState* GetOrCreate(int p, bool ordered) {
    if (PartitionState* s = Find(p)) return s;
    if (p < 0 || p >= kMaxPartitions) return nullptr;
    std::lock_guard<std::mutex> lock(mu_);
    Chunk* c = chunks_[p >> kShift].load(std::memory_order_acquire);
    if (!c) {
      c = new Chunk;
      for (auto& s : *c) s.store(nullptr, std::memory_order_relaxed);
      chunks_[p >> kShift].store(c, std::memory_order_release);
    }
    PartitionState* s = (*c)[p & kMask].load(std::memory_order_acquire);
    if (!s) {
      s = new PartitionState(ordered);
      (*c)[p & kMask].store(s, std::memory_order_release);
    }
    return s;
  }

 private:
  static constexpr int kShift = 8, kMask = (1 << kShift) - 1;
  using Chunk = std::array<std::atomic<PartitionState*>, 1 << kShift>;
  std::array<std::atomic<Chunk*>, (kMaxPartitions >> kShift)> chunks_;
  std::mutex mu_;
};

// One store: its column family and pending partitions, shared by every handle on it.
struct StoreData {
  std::string name;
  StoreKind kind = StoreKind::kKeyValue;
  std::shared_ptr<DbHolder> h;
  rdb::ColumnFamilyHandle* cf = nullptr;
  PartitionTable parts;

  ~StoreData() {
    if (cf) h->db->DestroyColumnFamilyHandle(cf);
  }
  PartitionState* Pending(int p) {
    PartitionState* s = parts.GetOrCreate(p, kind != StoreKind::kKeyValue);
    if (!s)
      h->Fail("store " + name + " partition " + std::to_string(p),
              rdb::Status::InvalidArgument("partition out of range"));
    return s;
  }
};

// Base of the three handle kinds: point reads, writes and range iteration over one partition,
// each seeing the partition's pending writes on top of the DB.
class RocksHandle {
 public:
  RocksHandle(std::shared_ptr<StoreData> s, ChangelogCollector* log)
      : s_(std::move(s)), db_(s_->h->db), cf_(s_->cf), log_(log) {}

 protected:
  // Reads `key` (partition prefix included) into `out`; false if absent.
  bool Read(int partition, const std::string& key, std::string* out) {
    thread_local rdb::PinnableSlice value;
    value.Reset();
    if (PartitionState* ps = s_->parts.Find(partition); ps && !ps->pending.empty()) {
      if (const PendingWrites::Value* v = ps->pending.Find(key)) {
        if (!*v) return false;
        out->assign(**v);
        return true;
      }
    }
    rdb::Status st = db_->Get(read_, cf_, key, &value);
    if (!st.ok()) value.Reset();
    if (st.IsNotFound()) return false;
    if (!st.ok()) {
      s_->h->Fail("reading store " + s_->name + " partition " + std::to_string(partition), st);
      return false;
    }
    out->assign(value.data(), value.size());
    value.Reset();  // unpin the block now, not at thread exit (after the cache is gone)
    return true;
  }
  void Write(int partition, const std::string& key, std::optional<std::string_view> value) {
    PartitionState* ps = s_->Pending(partition);
    if (!ps) return;
    ps->pending.Set(key, value);
  }
  // Entries with keys in [lower, upper) (upper "" = to the end of the partition), the pending
  // writes merged over the DB's; fn gets the key without the partition prefix and returns
  // false to stop.
  template <typename Fn>
  void Iterate(int partition, const std::string& lower, std::string upper, Fn&& fn) {
    if (upper.empty()) upper = PrefixSuccessor(PartitionPrefix(partition));
    rdb::Slice upper_slice(upper);
    rdb::ReadOptions ro;
    ro.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rdb::Iterator> it(db_->NewIterator(ro, cf_));
    std::vector<PendingWrites::Ref> pending;
    if (PartitionState* ps = s_->parts.Find(partition); ps && !ps->pending.empty())
      ps->pending.Range(lower, upper, pending);
    auto emit = [&](std::string_view k, std::string_view v) {
      return fn(k.substr(4), v);
    };
    size_t i = 0;
    for (it->Seek(lower);;) {
      bool db_ok = it->Valid();
      bool pending_ok = i < pending.size();
      if (!db_ok && !pending_ok) break;
      int c = !db_ok ? 1 : !pending_ok ? -1 : it->key().compare(rdb::Slice(pending[i].first.data(), pending[i].first.size()));
      if (c < 0) {
        if (!emit(std::string_view(it->key().data(), it->key().size()),
                  std::string_view(it->value().data(), it->value().size())))
          return;
        it->Next();
        continue;
      }
      const PendingWrites::Value* v = pending[i].second;
      if (v->has_value() && !emit(pending[i].first, **v)) return;
      ++i;
      if (c == 0) it->Next();
    }
    if (!it->status().ok())
      s_->h->Fail("scanning store " + s_->name + " partition " + std::to_string(partition),
                  it->status());
  }
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
  // Expire for window (time = start) and session (time = end) stores: deletes entries whose
  // time is < before. A full scan of the partition, skipped while the smallest time present is
  // known to be >= before (the common case: most calls expire nothing).
  template <typename TimeOf>
  void ExpireBefore(int partition, int64_t before, TimeOf&& time_of) {
    PartitionState* ps = s_->Pending(partition);
    if (!ps || (ps->min_known && ps->min_time >= before)) return;
    std::vector<std::string> doomed;
    int64_t min_left = INT64_MAX;
    Iterate(partition, PartitionPrefix(partition), "", [&](std::string_view k, std::string_view) {
      int64_t t = time_of(k);
      if (t < before)
        doomed.emplace_back(k);
      else
        min_left = std::min(min_left, t);
      return true;
    });
    for (const std::string& k : doomed) {
      std::string& key = KeyBuffer(partition);
      key.append(k);
      Write(partition, key, std::nullopt);
    }
    ps->min_known = true;
    ps->min_time = min_left;
  }

  std::shared_ptr<StoreData> s_;
  rdb::DB* db_;
  rdb::ColumnFamilyHandle* cf_;
  ChangelogCollector* log_;
  rdb::ReadOptions read_;
};

class RocksKeyValue : public KeyValueStore, RocksHandle {
 public:
  using RocksHandle::RocksHandle;
  const std::string& name() const override { return s_->name; }

  std::optional<std::string> Get(int partition, std::string_view key) override {
    std::string& k = KeyBuffer(partition);
    k.append(key);
    std::string out;
    if (!Read(partition, k, &out)) return std::nullopt;
    return out;
  }
  void Put(int partition, std::string_view key, std::string_view value, int64_t ts) override {
    std::string& k = KeyBuffer(partition);
    k.append(key);
    Write(partition, k, value);
    Log(partition, std::string(key), value, ts);
  }
  void Delete(int partition, std::string_view key, int64_t ts) override {
    std::string& k = KeyBuffer(partition);
    k.append(key);
    Write(partition, k, std::nullopt);
    Log(partition, std::string(key), std::nullopt, ts);
  }
  void Scan(int partition,
            const std::function<bool(std::string_view, std::string_view)>& fn) override {
    Iterate(partition, PartitionPrefix(partition), "", fn);
  }
};

class RocksWindow : public WindowStore, RocksHandle {
 public:
  using RocksHandle::RocksHandle;
  const std::string& name() const override { return s_->name; }

  std::optional<std::string> Get(int partition, std::string_view key, int64_t start) override {
    std::string& k = KeyBuffer(partition);
    state_keys::AppendWindowKey(k, key, start);
    std::string out;
    if (!Read(partition, k, &out)) return std::nullopt;
    return out;
  }
  void Put(int partition, std::string_view key, int64_t start, std::string_view value,
           int64_t ts) override {
    std::string& k = KeyBuffer(partition);
    state_keys::AppendWindowKey(k, key, start);
    Write(partition, k, value);
    if (PartitionState* ps = s_->parts.Find(partition)) ps->Wrote(start);
    Log(partition, state_keys::WindowChangelogKey(key, start), value, ts);
  }
  void Delete(int partition, std::string_view key, int64_t start, int64_t ts) override {
    std::string& k = KeyBuffer(partition);
    state_keys::AppendWindowKey(k, key, start);
    Write(partition, k, std::nullopt);
    Log(partition, state_keys::WindowChangelogKey(key, start), std::nullopt, ts);
  }
  void Fetch(int partition, std::string_view key, int64_t from, int64_t to,
             const std::function<bool(int64_t, std::string_view)>& fn) override {
    if (from > to) return;
    std::string lower = PartitionPrefix(partition);
    state_keys::AppendKeyPrefix(lower, key);
    std::string upper = PrefixSuccessor(lower);
    state_keys::PutBE64(lower, state_keys::OrderedTime(from));
    Iterate(partition, lower, upper, [&](std::string_view k, std::string_view v) {
      int64_t start = state_keys::FromOrderedTime(state_keys::GetBE64(k.data() + k.size() - 8));
      return start <= to && fn(start, v);
    });
  }
  void Scan(int partition,
            const std::function<bool(std::string_view, int64_t, std::string_view)>& fn) override {
    Iterate(partition, PartitionPrefix(partition), "", [&](std::string_view k, std::string_view v) {
      std::string_view uk;
      int64_t start = 0;
      return !state_keys::DecodeWindowKey(k, &uk, &start) || fn(uk, start, v);
    });
  }
  void Expire(int partition, int64_t before) override {
    ExpireBefore(partition, before, [](std::string_view k) {
      return state_keys::FromOrderedTime(state_keys::GetBE64(k.data() + k.size() - 8));
    });
  }
};

class RocksSession : public SessionStore, RocksHandle {
 public:
  using RocksHandle::RocksHandle;
  const std::string& name() const override { return s_->name; }

  void FindSessions(int partition, std::string_view key, int64_t earliest_end, int64_t latest_start,
                    const std::function<bool(int64_t, int64_t, std::string_view)>& fn) override {
    std::string lower = PartitionPrefix(partition);
    state_keys::AppendKeyPrefix(lower, key);
    std::string upper = PrefixSuccessor(lower);
    state_keys::PutBE64(lower, state_keys::OrderedTime(earliest_end));
    // Stored in end order; the contract is start order (the same for the disjoint sessions of
    // one key, the normal case), so collect and sort.
    std::vector<std::tuple<int64_t, int64_t, std::string>> found;
    Iterate(partition, lower, upper, [&](std::string_view k, std::string_view v) {
      std::string_view uk;
      int64_t start = 0, end = 0;
      if (state_keys::DecodeSessionKey(k, &uk, &start, &end) && start <= latest_start)
        found.emplace_back(start, end, std::string(v));
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
    std::string& k = KeyBuffer(partition);
    state_keys::AppendSessionKey(k, key, start, end);
    Write(partition, k, value);
    if (PartitionState* ps = s_->parts.Find(partition)) ps->Wrote(end);
    Log(partition, state_keys::SessionChangelogKey(key, start, end), value, ts);
  }
  void Remove(int partition, std::string_view key, int64_t start, int64_t end, int64_t ts) override {
    std::string& k = KeyBuffer(partition);
    state_keys::AppendSessionKey(k, key, start, end);
    Write(partition, k, std::nullopt);
    Log(partition, state_keys::SessionChangelogKey(key, start, end), std::nullopt, ts);
  }
  void Scan(int partition, const std::function<bool(std::string_view, int64_t, int64_t,
                                                    std::string_view)>& fn) override {
    Iterate(partition, PartitionPrefix(partition), "", [&](std::string_view k, std::string_view v) {
      std::string_view uk;
      int64_t start = 0, end = 0;
      return !state_keys::DecodeSessionKey(k, &uk, &start, &end) || fn(uk, start, end, v);
    });
  }
  void Expire(int partition, int64_t before) override {
    ExpireBefore(partition, before, [](std::string_view k) {
      return state_keys::FromOrderedTime(state_keys::GetBE64(k.data() + k.size() - 16));
    });
  }
};

rdb::CompressionType PickCompression() {
  auto supported = rdb::GetSupportedCompressions();
  for (auto c : {rdb::kLZ4Compression, rdb::kSnappyCompression})
    if (std::find(supported.begin(), supported.end(), c) != supported.end()) return c;
  return rdb::kNoCompression;
}

// Options of every store's column family: blocks in the shared cache (index and filters too,
// so they are bounded by it), small memtable arenas (many stores, most of them small).
rdb::ColumnFamilyOptions StoreCfOptions(const RocksStateOptions& o, std::shared_ptr<rdb::Cache> cache) {
  rdb::ColumnFamilyOptions cf;
  rdb::BlockBasedTableOptions t;
  t.block_cache = std::move(cache);
  t.cache_index_and_filter_blocks = true;
  t.cache_index_and_filter_blocks_with_high_priority = true;
  t.pin_l0_filter_and_index_blocks_in_cache = true;
  t.filter_policy.reset(rdb::NewBloomFilterPolicy(10));
  t.format_version = 5;
  // Memory RocksDB holds outside the blocks is charged to the same cache too, so that the bound
  // covers it: building a bloom filter keeps a hash per key of the file being written (a
  // compaction's output), and each open table file has its reader and metadata.
  for (auto role : {rdb::CacheEntryRole::kFilterConstruction, rdb::CacheEntryRole::kBlockBasedTableReader,
                    rdb::CacheEntryRole::kFileMetadata})
    t.cache_usage_options.options_overrides.insert({role, {rdb::CacheEntryRoleOptions::Decision::kEnabled}});
  cf.table_factory.reset(rdb::NewBlockBasedTableFactory(t));
  cf.write_buffer_size = std::clamp<size_t>(o.write_buffer_bytes / 4, size_t{1} << 20, size_t{16} << 20);
  cf.max_write_buffer_number = 3;
  cf.arena_block_size = 64 << 10;
  cf.compression = PickCompression();
  cf.level_compaction_dynamic_level_bytes = true;
  // A bloom filter per memtable: a get skips the memtables that lack its key instead of
  // searching each one's skiplist (most of a point read's cost once data is in memory).
  cf.memtable_whole_key_filtering = true;
  cf.memtable_prefix_bloom_size_ratio = 0.05;
  return cf;
}

class RocksBackendImpl : public RocksStateBackend {
 public:
  explicit RocksBackendImpl(std::shared_ptr<DbHolder> h, RocksStateOptions o)
      : h_(std::move(h)), options_(o) {}

  // Adopts the column families found when opening (stores of a previous run).
  void AdoptExisting(std::map<std::string, rdb::ColumnFamilyHandle*> cfs) {
    for (auto& [name, cf] : cfs) {
      std::string kind;
      rdb::Status st = h_->db->Get(rdb::ReadOptions(), h_->meta, KindKey(name), &kind);
      auto data = std::make_shared<StoreData>();
      data->name = name;
      data->h = h_;
      data->cf = cf;
      data->kind = st.ok() && !kind.empty() ? static_cast<StoreKind>(kind[0]) : StoreKind::kKeyValue;
      stores_[name] = std::move(data);
    }
  }

  Result<std::shared_ptr<KeyValueStore>> OpenKeyValue(const std::string& name,
                                                      ChangelogCollector* changelog) override {
    auto s = OpenStore(name, StoreKind::kKeyValue);
    if (!s.ok()) return s.status();
    return std::shared_ptr<KeyValueStore>(std::make_shared<RocksKeyValue>(*s, changelog));
  }
  Result<std::shared_ptr<WindowStore>> OpenWindow(const std::string& name, int64_t /*retention_ms*/,
                                                  ChangelogCollector* changelog) override {
    auto s = OpenStore(name, StoreKind::kWindow);
    if (!s.ok()) return s.status();
    return std::shared_ptr<WindowStore>(std::make_shared<RocksWindow>(*s, changelog));
  }
  Result<std::shared_ptr<SessionStore>> OpenSession(const std::string& name, int64_t /*retention_ms*/,
                                                    ChangelogCollector* changelog) override {
    auto s = OpenStore(name, StoreKind::kSession);
    if (!s.ok()) return s.status();
    return std::shared_ptr<SessionStore>(std::make_shared<RocksSession>(*s, changelog));
  }

  // Straight into the DB, in chunks: replaying a changelog is idempotent (each record sets a
  // key), so a crash mid-restore only means replaying again from the checkpoint.
  Status Restore(const std::string& store, const std::vector<ChangelogRecord>& records) override {
    std::shared_ptr<StoreData> s = Find(store);
    if (!s) return Status::NotFound("state store '" + store + "': restore of an unknown store");
    rdb::WriteBatch batch;
    std::string key;
    std::vector<int> touched;
    for (const ChangelogRecord& r : records) {
      key = PartitionPrefix(r.partition);
      if (!state_keys::StoredKeyFromChangelog(s->kind, r.key, key))
        return Status::SerdeError("state store '" + store + "' partition " +
                                  std::to_string(r.partition) + ": malformed " +
                                  state_keys::KindName(s->kind) + " changelog key");
      rdb::Status st = r.value ? batch.Put(s->cf, key, *r.value) : batch.Delete(s->cf, key);
      if (!st.ok()) return Status::IOError("restoring store '" + store + "': " + st.ToString());
      if (touched.empty() || touched.back() != r.partition) touched.push_back(r.partition);
      if (batch.GetDataSize() > (size_t{4} << 20)) SLUICE_RETURN_IF_ERROR(WriteRestore(store, batch));
    }
    SLUICE_RETURN_IF_ERROR(WriteRestore(store, batch));
    for (int p : touched)
      if (PartitionState* ps = s->parts.Find(p)) ps->min_known = false;
    return Status::OK();
  }

  void DropPartition(const std::string& store, int partition) override {
    std::shared_ptr<StoreData> s = Find(store);
    rdb::WriteBatch batch;
    rdb::Status st = batch.Delete(h_->meta, CheckpointKey(store, partition));
    if (s) {
      if (PartitionState* ps = s->parts.Find(partition)) {
        ps->pending.Clear();
        ps->min_known = false;
      }
      std::string from = PartitionPrefix(partition);
      if (st.ok()) st = batch.DeleteRange(s->cf, from, PrefixSuccessor(from));
    }
    if (st.ok()) st = h_->db->Write(rdb::WriteOptions(), &batch);
    if (!st.ok()) h_->Fail("dropping partition " + std::to_string(partition) + " of store " + store, st);
  }

  void DropStore(const std::string& store) override {
    std::shared_ptr<StoreData> s;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = stores_.find(store);
      if (it != stores_.end()) {
        s = it->second;
        stores_.erase(it);
      }
    }
    rdb::WriteBatch meta;
    std::string from = CheckpointPrefix(store);
    rdb::Status st = meta.DeleteRange(h_->meta, from, PrefixSuccessor(from));
    if (st.ok()) st = meta.Delete(h_->meta, KindKey(store));
    if (st.ok()) st = h_->db->Write(rdb::WriteOptions(), &meta);
    // Handles still open keep the (dropped) column family handle until they go.
    if (st.ok() && s) st = h_->db->DropColumnFamily(s->cf);
    if (!st.ok()) h_->Fail("dropping store " + store, st);
  }

  Status Checkpoint(const std::string& store, int partition, int64_t offset) override {
    SLUICE_RETURN_IF_ERROR(h_->Sticky());
    std::shared_ptr<StoreData> s = Find(store);
    if (!s) return Status::NotFound("state store '" + store + "': checkpoint of an unknown store");
    PartitionState* ps = s->Pending(partition);
    if (!ps) return h_->Sticky();
    std::string value;
    state_keys::PutBE64(value, static_cast<uint64_t>(offset));
    rdb::WriteBatch batch;
    rdb::Status st;
    ps->pending.ForEachSorted([&](std::string_view k, const PendingWrites::Value& v) {
      rdb::Slice key(k.data(), k.size());
      if (st.ok()) st = v ? batch.Put(s->cf, key, *v) : batch.Delete(s->cf, key);
    });
    if (st.ok()) st = batch.Put(h_->meta, CheckpointKey(store, partition), value);
    if (st.ok()) st = h_->db->Write(h_->checkpoint_write, &batch);
    if (!st.ok())
      return Status::IOError("state store '" + store + "' partition " + std::to_string(partition) +
                             ": checkpoint at changelog offset " + std::to_string(offset) + ": " +
                             st.ToString());
    ps->pending.Clear();
    return Status::OK();
  }

  std::optional<int64_t> CheckpointedOffset(const std::string& store, int partition) override {
    std::string value;
    rdb::Status st = h_->db->Get(rdb::ReadOptions(), h_->meta, CheckpointKey(store, partition), &value);
    if (!st.ok() || value.size() != 8) {
      if (!st.ok() && !st.IsNotFound())
        h_->Fail("reading checkpoint of store " + store + " partition " + std::to_string(partition), st);
      return std::nullopt;
    }
    return static_cast<int64_t>(state_keys::GetBE64(value.data()));
  }

  MemoryUsage Memory() const override {
    MemoryUsage m;
    m.block_cache = h_->cache->GetUsage();
    m.memtables = h_->wbm->memory_usage();
    uint64_t readers = 0;
    if (h_->db->GetAggregatedIntProperty("rocksdb.estimate-table-readers-mem", &readers))
      m.table_readers = readers;
    return m;
  }
  size_t MemoryBound() const override { return options_.block_cache_bytes + options_.write_buffer_bytes; }

  Status Flush() override {
    std::vector<rdb::ColumnFamilyHandle*> cfs = {h_->meta};
    std::vector<std::shared_ptr<StoreData>> keep;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& [name, s] : stores_) {
        cfs.push_back(s->cf);
        keep.push_back(s);
      }
    }
    rdb::Status st = h_->db->Flush(rdb::FlushOptions(), cfs);
    if (!st.ok()) return Status::IOError("state dir " + h_->dir + ": flush: " + st.ToString());
    return Status::OK();
  }

 private:
  std::shared_ptr<StoreData> Find(const std::string& name) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = stores_.find(name);
    return it == stores_.end() ? nullptr : it->second;
  }

  Result<std::shared_ptr<StoreData>> OpenStore(const std::string& name, StoreKind kind) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = stores_.find(name);
    if (it != stores_.end()) {
      if (it->second->kind != kind)
        return Status::InvalidArgument("state store '" + name + "' is a " +
                                       state_keys::KindName(it->second->kind) + " store, not a " +
                                       state_keys::KindName(kind) + " store");
      return it->second;
    }
    auto data = std::make_shared<StoreData>();
    data->name = name;
    data->kind = kind;
    data->h = h_;
    rdb::Status st = h_->db->CreateColumnFamily(h_->cf_options, kStoreCfPrefix + name, &data->cf);
    if (st.ok()) st = h_->db->Put(rdb::WriteOptions(), h_->meta, KindKey(name),
                                  std::string(1, static_cast<char>(kind)));
    if (!st.ok())
      return Status::IOError("state dir " + h_->dir + ": creating store '" + name + "': " + st.ToString());
    stores_[name] = data;
    return data;
  }

  Status WriteRestore(const std::string& store, rdb::WriteBatch& batch) {
    if (batch.Count() == 0) return Status::OK();
    rdb::Status st = h_->db->Write(rdb::WriteOptions(), &batch);
    batch.Clear();
    if (!st.ok()) return Status::IOError("restoring store '" + store + "': " + st.ToString());
    return Status::OK();
  }

  std::shared_ptr<DbHolder> h_;
  RocksStateOptions options_;
  std::mutex mu_;  // stores_ (Open/Drop/Checkpoint lookups; never the per-record path)
  std::map<std::string, std::shared_ptr<StoreData>> stores_;
};

}  // namespace

Result<std::unique_ptr<RocksStateBackend>> RocksStateBackend::Open(const std::string& dir,
                                                                   const RocksStateOptions& options) {
  auto h = std::make_shared<DbHolder>();
  h->dir = dir;
  // One cache for blocks and (through the WriteBufferManager's reservations) memtables.
  rdb::LRUCacheOptions co;
  co.capacity = options.block_cache_bytes + options.write_buffer_bytes;
  co.num_shard_bits = 4;
  co.high_pri_pool_ratio = 0.1;
  h->cache = rdb::NewLRUCache(co);
  h->wbm = std::make_shared<rdb::WriteBufferManager>(options.write_buffer_bytes, h->cache,
                                                    /*allow_stall=*/true);
  h->cf_options = StoreCfOptions(options, h->cache);
  h->checkpoint_write.sync = options.sync_checkpoints;

  rdb::DBOptions db;
  db.create_if_missing = true;
  db.create_missing_column_families = true;
  db.write_buffer_manager = h->wbm;
  db.max_background_jobs = options.max_background_jobs;
  // Stores written rarely must not pin old WAL files: past this, their memtables are flushed.
  db.max_total_wal_size = std::max<uint64_t>(options.write_buffer_bytes * 2, uint64_t{16} << 20);
  db.info_log_level = rdb::WARN_LEVEL;
  db.keep_log_file_num = 2;
  db.max_log_file_size = 1 << 20;
  db.avoid_unnecessary_blocking_io = true;

  std::vector<std::string> names;
  rdb::Status st = rdb::DB::ListColumnFamilies(db, dir, &names);
  if (!st.ok()) names = {rdb::kDefaultColumnFamilyName};  // a new directory
  if (std::find(names.begin(), names.end(), kMetaCf) == names.end()) names.push_back(kMetaCf);

  std::vector<rdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& n : names) descriptors.emplace_back(n, h->cf_options);
  std::vector<rdb::ColumnFamilyHandle*> handles;
  st = rdb::DB::Open(db, dir, descriptors, &handles, &h->db);
  if (!st.ok()) return Status::IOError("opening state dir " + dir + ": " + st.ToString());

  std::map<std::string, rdb::ColumnFamilyHandle*> stores;
  const std::string prefix = kStoreCfPrefix;
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i].rfind(prefix, 0) == 0) {
      stores[names[i].substr(prefix.size())] = handles[i];
    } else {
      h->fixed.push_back(handles[i]);
      if (names[i] == kMetaCf) h->meta = handles[i];
    }
  }
  auto backend = std::make_unique<RocksBackendImpl>(h, options);
  backend->AdoptExisting(std::move(stores));
  spdlog::info("state dir {}: RocksDB open, {} stores, block cache {} MB, write buffers {} MB", dir,
               names.size() - h->fixed.size(), options.block_cache_bytes >> 20,
               options.write_buffer_bytes >> 20);
  return std::unique_ptr<RocksStateBackend>(std::move(backend));
}

}  // namespace sluice
