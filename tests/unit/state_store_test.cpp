// State stores: one test body run against every backend (in-memory, RocksDB), restore from
// changelogs, RocksDB reopen with checkpoint + changelog tail, and the record cache.
#include <catch2/catch.hpp>
#include <stdlib.h>

#include <filesystem>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "engine/runtime/state/record_cache.h"
#include "engine/runtime/state/rocksdb_state.h"
#include "engine/runtime/state/state_store.h"
#include "tests/unit/test_util.h"

namespace state_store_test {  // this file's own names (unity build: tests/README.md)

using namespace sluice;
using namespace sluice::testing;

namespace {

template <typename T>
T Must(Result<T> r) {
  INFO(r.status().message());
  REQUIRE(r.ok());
  return std::move(r.value());
}

// Everything a store shows, as plain values, to compare backends and restored stores.
using KvDump = std::vector<std::pair<std::string, std::string>>;
using WinDump = std::vector<std::tuple<std::string, int64_t, std::string>>;
using SesDump = std::vector<std::tuple<std::string, int64_t, int64_t, std::string>>;

KvDump Dump(KeyValueStore& s, int p) {
  KvDump out;
  s.Scan(p, [&](std::string_view k, std::string_view v) {
    out.emplace_back(std::string(k), std::string(v));
    return true;
  });
  return out;
}
WinDump Dump(WindowStore& s, int p) {
  WinDump out;
  s.Scan(p, [&](std::string_view k, int64_t start, std::string_view v) {
    out.emplace_back(std::string(k), start, std::string(v));
    return true;
  });
  return out;
}
SesDump Dump(SessionStore& s, int p) {
  SesDump out;
  s.Scan(p, [&](std::string_view k, int64_t start, int64_t end, std::string_view v) {
    out.emplace_back(std::string(k), start, end, std::string(v));
    return true;
  });
  return out;
}
std::vector<std::pair<int64_t, std::string>> Fetch(WindowStore& s, int p, std::string_view key,
                                                   int64_t from, int64_t to) {
  std::vector<std::pair<int64_t, std::string>> out;
  s.Fetch(p, key, from, to, [&](int64_t start, std::string_view v) {
    out.emplace_back(start, std::string(v));
    return true;
  });
  return out;
}
std::vector<std::tuple<int64_t, int64_t, std::string>> Find(SessionStore& s, int p,
                                                            std::string_view key, int64_t earliest_end,
                                                            int64_t latest_start) {
  std::vector<std::tuple<int64_t, int64_t, std::string>> out;
  s.FindSessions(p, key, earliest_end, latest_start,
                 [&](int64_t start, int64_t end, std::string_view v) {
                   out.emplace_back(start, end, std::string(v));
                   return true;
                 });
  return out;
}

// The shared body: key-value, window and session operations with their changelog records.
void KeyValueBody(StateBackend& backend) {
  ChangelogCollector log;
  auto kv = Must(backend.OpenKeyValue("kv", &log));
  CHECK(kv->name() == "kv");
  CHECK_FALSE(kv->Get(0, "a"));
  kv->Put(0, "b", "2", 10);
  kv->Put(0, "a", "1", 11);
  kv->Put(0, "ab", "12", 12);
  kv->Put(1, "a", "other", 13);
  kv->Put(0, std::string("z\0y", 3), std::string("\0\xff", 2), 14);  // arbitrary bytes
  CHECK(*kv->Get(0, "a") == "1");
  CHECK(*kv->Get(1, "a") == "other");
  CHECK(*kv->Get(0, std::string("z\0y", 3)) == std::string("\0\xff", 2));
  kv->Put(0, "a", "1b", 15);
  CHECK(*kv->Get(0, "a") == "1b");
  kv->Delete(0, "b", 16);
  CHECK_FALSE(kv->Get(0, "b"));
  CHECK(Dump(*kv, 0) == KvDump{{"a", "1b"}, {"ab", "12"}, {std::string("z\0y", 3), std::string("\0\xff", 2)}});
  CHECK(Dump(*kv, 1) == KvDump{{"a", "other"}});
  CHECK(Dump(*kv, 7).empty());

  // Scan stops when the callback says so.
  int seen = 0;
  kv->Scan(0, [&](std::string_view, std::string_view) { return ++seen < 2; });
  CHECK(seen == 2);

  // One changelog record per write, deletes as tombstones, in write order.
  auto records = log.Take();
  REQUIRE(records.size() == 7);
  CHECK(records[0].store == "kv");
  CHECK(records[0].key == "b");
  CHECK(*records[0].value == "2");
  CHECK(records[0].timestamp == 10);
  CHECK(records[3].partition == 1);
  CHECK(records[6].key == "b");
  CHECK_FALSE(records[6].value);
  CHECK(records[6].timestamp == 16);

  // Opening again gives the same data; another collector gets that handle's records.
  ChangelogCollector log2;
  auto again = Must(backend.OpenKeyValue("kv", &log2));
  CHECK(*again->Get(0, "ab") == "12");
  again->Put(0, "c", "3", 17);
  CHECK(log.empty());
  CHECK(log2.Take().size() == 1);
  CHECK(*kv->Get(0, "c") == "3");

  // A different kind under the same name is refused.
  CHECK_FALSE(backend.OpenWindow("kv", 1000, &log).ok());

  backend.DropPartition("kv", 0);
  CHECK(Dump(*kv, 0).empty());
  CHECK(*kv->Get(1, "a") == "other");
}

void WindowBody(StateBackend& backend) {
  ChangelogCollector log;
  auto w = Must(backend.OpenWindow("win", 60000, &log));
  w->Put(0, "k", 2000, "k2", 2001);
  w->Put(0, "k", 1000, "k1", 1001);
  w->Put(0, "k", 3000, "k3", 3001);
  w->Put(0, "k", -1000, "kneg", 5);  // negative starts sort first
  w->Put(0, "kk", 1500, "kk15", 1501);  // a longer key sharing the prefix does not interleave
  w->Put(0, "j", 1000, "j1", 1002);
  w->Put(1, "k", 1000, "p1", 1003);
  CHECK(*w->Get(0, "k", 2000) == "k2");
  CHECK_FALSE(w->Get(0, "k", 2500));
  CHECK(Fetch(*w, 0, "k", 1000, 2000) ==
        std::vector<std::pair<int64_t, std::string>>{{1000, "k1"}, {2000, "k2"}});
  CHECK(Fetch(*w, 0, "k", INT64_MIN, INT64_MAX) ==
        std::vector<std::pair<int64_t, std::string>>{
            {-1000, "kneg"}, {1000, "k1"}, {2000, "k2"}, {3000, "k3"}});
  CHECK(Fetch(*w, 0, "k", 1001, 1999).empty());
  CHECK(Fetch(*w, 0, "k", 3000, 1000).empty());
  CHECK(Fetch(*w, 0, "kk", 0, 5000) == std::vector<std::pair<int64_t, std::string>>{{1500, "kk15"}});
  CHECK(Fetch(*w, 1, "k", 0, 5000) == std::vector<std::pair<int64_t, std::string>>{{1000, "p1"}});

  w->Delete(0, "k", 2000, 4000);
  CHECK_FALSE(w->Get(0, "k", 2000));
  // Scan: key length, then key bytes, then start.
  CHECK(Dump(*w, 0) == WinDump{{"j", 1000, "j1"}, {"k", -1000, "kneg"}, {"k", 1000, "k1"},
                               {"k", 3000, "k3"}, {"kk", 1500, "kk15"}});

  auto records = log.Take();
  REQUIRE(records.size() == 8);
  CHECK(records[7].store == "win");
  CHECK_FALSE(records[7].value);
  // Kafka Streams' changelog key: key, big-endian start, 4-byte sequence number.
  CHECK(records[0].key == std::string("k\0\0\0\0\0\0\x07\xd0\0\0\0\0", 13));

  w->Expire(0, 1500);  // drops starts < 1500, of every key, no changelog records
  CHECK(Dump(*w, 0) == WinDump{{"k", 3000, "k3"}, {"kk", 1500, "kk15"}});
  CHECK(log.empty());
  CHECK(Dump(*w, 1).size() == 1);

  backend.DropPartition("win", 1);
  CHECK(Dump(*w, 1).empty());
  CHECK(Dump(*w, 0).size() == 2);
}

void SessionBody(StateBackend& backend) {
  ChangelogCollector log;
  auto s = Must(backend.OpenSession("ses", 60000, &log));
  s->Put(0, "k", 100, 200, "a", 200);
  s->Put(0, "k", 500, 700, "b", 700);
  s->Put(0, "k", 1000, 1000, "c", 1000);
  s->Put(0, "kk", 100, 900, "x", 900);
  s->Put(1, "k", 100, 200, "p1", 200);
  using Sessions = std::vector<std::tuple<int64_t, int64_t, std::string>>;
  CHECK(Find(*s, 0, "k", 0, INT64_MAX) == Sessions{{100, 200, "a"}, {500, 700, "b"}, {1000, 1000, "c"}});
  // end >= 650 and start <= 900
  CHECK(Find(*s, 0, "k", 650, 900) == Sessions{{500, 700, "b"}});
  CHECK(Find(*s, 0, "k", 200, 500) == Sessions{{100, 200, "a"}, {500, 700, "b"}});
  CHECK(Find(*s, 0, "k", 1001, 5000).empty());
  CHECK(Find(*s, 0, "kk", 0, INT64_MAX) == Sessions{{100, 900, "x"}});
  CHECK(Find(*s, 1, "k", 0, INT64_MAX) == Sessions{{100, 200, "p1"}});

  // Merging: remove two sessions, put the merged one.
  s->Remove(0, "k", 100, 200, 800);
  s->Remove(0, "k", 500, 700, 800);
  s->Put(0, "k", 100, 800, "ab", 800);
  CHECK(Find(*s, 0, "k", 0, INT64_MAX) == Sessions{{100, 800, "ab"}, {1000, 1000, "c"}});
  CHECK(Dump(*s, 0) == SesDump{{"k", 100, 800, "ab"}, {"k", 1000, 1000, "c"}, {"kk", 100, 900, "x"}});

  auto records = log.Take();
  REQUIRE(records.size() == 8);
  CHECK_FALSE(records[5].value);
  // Kafka Streams' session changelog key: key, big-endian end, big-endian start.
  CHECK(records[0].key == std::string("k\0\0\0\0\0\0\0\xc8\0\0\0\0\0\0\0\x64", 17));

  s->Expire(0, 850);  // ends < 850
  CHECK(Dump(*s, 0) == SesDump{{"k", 1000, 1000, "c"}, {"kk", 100, 900, "x"}});
  CHECK(log.empty());
}

// Writes a mix of puts/deletes through fresh stores, returns what they logged.
std::vector<ChangelogRecord> WriteMix(StateBackend& backend, int from = 0, int to = 300) {
  ChangelogCollector log;
  auto kv = Must(backend.OpenKeyValue("mix-kv", &log));
  auto w = Must(backend.OpenWindow("mix-win", 100000, &log));
  auto s = Must(backend.OpenSession("mix-ses", 100000, &log));
  for (int i = from; i < to; ++i) {
    std::string key = "key" + std::to_string(i % 37);
    int p = i % 3;
    kv->Put(p, key, "v" + std::to_string(i), i);
    if (i % 7 == 0) kv->Delete(p, "key" + std::to_string((i + 5) % 37), i);
    w->Put(p, key, (i % 5) * 1000, "w" + std::to_string(i), i);
    if (i % 11 == 0) w->Delete(p, key, 0, i);
    s->Put(p, key, i, i + 10, "s" + std::to_string(i), i);
    if (i % 13 == 0) s->Remove(p, key, i, i + 10, i);
  }
  return log.Take();
}

void OpenMix(StateBackend& backend) {
  ChangelogCollector none;  // Restore needs the stores opened (it must know their kind)
  Must(backend.OpenKeyValue("mix-kv", &none));
  Must(backend.OpenWindow("mix-win", 100000, &none));
  Must(backend.OpenSession("mix-ses", 100000, &none));
}

void CheckSameContents(StateBackend& a, StateBackend& b) {
  ChangelogCollector none;
  auto kva = Must(a.OpenKeyValue("mix-kv", &none)), kvb = Must(b.OpenKeyValue("mix-kv", &none));
  auto wa = Must(a.OpenWindow("mix-win", 100000, &none)), wb = Must(b.OpenWindow("mix-win", 100000, &none));
  auto sa = Must(a.OpenSession("mix-ses", 100000, &none)), sb = Must(b.OpenSession("mix-ses", 100000, &none));
  for (int p = 0; p < 3; ++p) {
    auto kvd = Dump(*kva, p);
    CHECK_FALSE(kvd.empty());
    CHECK(kvd == Dump(*kvb, p));
    for (const auto& [k, v] : kvd) CHECK(kvb->Get(p, k) == v);
    CHECK(Dump(*wa, p) == Dump(*wb, p));
    CHECK(Dump(*sa, p) == Dump(*sb, p));
  }
  CHECK(none.empty());
}

// Restore applies records by store: split a mixed log by store name.
void RestoreAll(StateBackend& backend, const std::vector<ChangelogRecord>& records) {
  std::map<std::string, std::vector<ChangelogRecord>> by_store;
  for (const auto& r : records) by_store[r.store].push_back(r);
  for (const auto& [store, rs] : by_store) RequireOk(backend.Restore(store, rs));
}

void RestoreBody(const std::function<std::unique_ptr<StateBackend>()>& make) {
  auto original = make();
  auto records = WriteMix(*original);
  REQUIRE(records.size() > 900);
  auto restored = make();
  OpenMix(*restored);
  RestoreAll(*restored, records);
  CheckSameContents(*original, *restored);
}

void CheckpointBody(StateBackend& backend) {
  CHECK_FALSE(backend.CheckpointedOffset("kv", 0));
  ChangelogCollector log;
  auto kv = Must(backend.OpenKeyValue("kv", &log));
  kv->Put(0, "a", "1", 1);
  RequireOk(backend.Checkpoint("kv", 0, 42));
  RequireOk(backend.Checkpoint("kv", 1, 7));
  CHECK(backend.CheckpointedOffset("kv", 0) == 42);
  CHECK(backend.CheckpointedOffset("kv", 1) == 7);
  CHECK(*kv->Get(0, "a") == "1");
  backend.DropPartition("kv", 1);
  CHECK_FALSE(backend.CheckpointedOffset("kv", 1));
  backend.DropStore("kv");
  CHECK_FALSE(backend.CheckpointedOffset("kv", 0));
  auto fresh = Must(backend.OpenKeyValue("kv", &log));
  CHECK_FALSE(fresh->Get(0, "a"));
}

}  // namespace

TEST_CASE("memory state: key-value store", "[state]") {
  auto b = MakeMemoryStateBackend();
  KeyValueBody(*b);
}
TEST_CASE("memory state: window store", "[state]") {
  auto b = MakeMemoryStateBackend();
  WindowBody(*b);
}
TEST_CASE("memory state: session store", "[state]") {
  auto b = MakeMemoryStateBackend();
  SessionBody(*b);
}
TEST_CASE("memory state: restore from the changelog alone", "[state]") {
  RestoreBody([] { return MakeMemoryStateBackend(); });
}
TEST_CASE("memory state: checkpoints", "[state]") {
  auto b = MakeMemoryStateBackend();
  CheckpointBody(*b);
}

// ---------------------------------------------------------------- RocksDB

namespace {

// A fresh directory under /tmp, removed with everything in it.
struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/sluice-state-test-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

RocksStateOptions SmallRocks() {
  RocksStateOptions o;
  o.block_cache_bytes = 4 << 20;
  o.write_buffer_bytes = 4 << 20;
  return o;
}

std::unique_ptr<StateBackend> OpenRocks(const std::string& dir) {
  return Must(RocksStateBackend::Open(dir, SmallRocks()));
}

}  // namespace

TEST_CASE("rocksdb state: key-value store", "[state][rocksdb]") {
  TempDir dir;
  auto b = OpenRocks(dir.path);
  KeyValueBody(*b);
}
TEST_CASE("rocksdb state: window store", "[state][rocksdb]") {
  TempDir dir;
  auto b = OpenRocks(dir.path);
  WindowBody(*b);
}
TEST_CASE("rocksdb state: session store", "[state][rocksdb]") {
  TempDir dir;
  auto b = OpenRocks(dir.path);
  SessionBody(*b);
}
TEST_CASE("rocksdb state: restore from the changelog alone", "[state][rocksdb]") {
  TempDir d1, d2;
  int n = 0;
  RestoreBody([&] { return OpenRocks(++n == 1 ? d1.path : d2.path); });
}
TEST_CASE("rocksdb state: checkpoints", "[state][rocksdb]") {
  TempDir dir;
  auto b = OpenRocks(dir.path);
  CheckpointBody(*b);
}
TEST_CASE("rocksdb state: same contents as the memory backend", "[state][rocksdb]") {
  TempDir dir;
  auto rocks = OpenRocks(dir.path);
  auto memory = MakeMemoryStateBackend();
  auto a = WriteMix(*rocks), b = WriteMix(*memory);
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].key == b[i].key);
    CHECK(a[i].value == b[i].value);
  }
  CheckSameContents(*rocks, *memory);
}

TEST_CASE("rocksdb state: reopen from checkpoint plus the changelog tail", "[state][rocksdb]") {
  TempDir dir;
  // The changelog: records per store and partition, offset = position.
  std::map<std::pair<std::string, int>, std::vector<ChangelogRecord>> changelog;
  auto append = [&](const std::vector<ChangelogRecord>& rs) {
    for (const auto& r : rs) changelog[{r.store, r.partition}].push_back(r);
  };
  auto reference = MakeMemoryStateBackend();  // fed the whole changelog
  OpenMix(*reference);
  std::map<std::pair<std::string, int>, int64_t> checkpointed;
  {
    auto b = Must(RocksStateBackend::Open(dir.path, SmallRocks()));
    append(WriteMix(*b, 0, 200));
    for (const auto& [sp, rs] : changelog) {
      RequireOk(b->Checkpoint(sp.first, sp.second, static_cast<int64_t>(rs.size())));
      checkpointed[sp] = static_cast<int64_t>(rs.size());
    }
    RequireOk(b->Flush());  // part in SST files, part (below) only in the WAL
    append(WriteMix(*b, 200, 260));
    RequireOk(b->Checkpoint("mix-kv", 0, static_cast<int64_t>(changelog[{"mix-kv", 0}].size())));
    checkpointed[{"mix-kv", 0}] = static_cast<int64_t>(changelog[{"mix-kv", 0}].size());
    // Written but never checkpointed: lost at close, to be replayed from the changelog.
    append(WriteMix(*b, 260, 300));
  }
  for (const auto& [sp, rs] : changelog) RequireOk(reference->Restore(sp.first, rs));

  auto b = OpenRocks(dir.path);
  // The stores are known again without being opened: checkpoints, and Restore knows their kind.
  for (const auto& [sp, offset] : checkpointed) CHECK(b->CheckpointedOffset(sp.first, sp.second) == offset);
  // Before the tail: the last checkpointed state, not the lost writes.
  {
    ChangelogCollector none;
    auto kv = Must(b->OpenKeyValue("mix-kv", &none));
    auto partial = MakeMemoryStateBackend();
    OpenMix(*partial);
    std::vector<ChangelogRecord> upto;
    const auto& p1 = changelog[{"mix-kv", 1}];
    upto.assign(p1.begin(), p1.begin() + checkpointed[{"mix-kv", 1}]);
    RequireOk(partial->Restore("mix-kv", upto));
    auto pkv = Must(partial->OpenKeyValue("mix-kv", &none));
    CHECK(Dump(*kv, 1) == Dump(*pkv, 1));
  }
  // Apply only the tail after each checkpoint.
  size_t tail_records = 0;
  for (const auto& [sp, rs] : changelog) {
    auto from = b->CheckpointedOffset(sp.first, sp.second).value_or(0);
    std::vector<ChangelogRecord> tail(rs.begin() + from, rs.end());
    tail_records += tail.size();
    RequireOk(b->Restore(sp.first, tail));
  }
  CHECK(tail_records > 0);
  CheckSameContents(*b, *reference);
}

TEST_CASE("rocksdb state: pending writes are read back, expire sees restored data", "[state][rocksdb]") {
  TempDir dir;
  auto b = OpenRocks(dir.path);
  ChangelogCollector log;
  auto w = Must(b->OpenWindow("w", 1000, &log));
  w->Put(0, "k", 100, "a", 100);
  RequireOk(b->Checkpoint("w", 0, 1));
  w->Put(0, "k", 200, "b", 200);  // pending, over the checkpointed entry
  w->Delete(0, "k", 100, 200);
  CHECK(Fetch(*w, 0, "k", 0, 1000) == std::vector<std::pair<int64_t, std::string>>{{200, "b"}});
  w->Expire(0, 150);  // nothing below 150 any more
  w->Put(0, "k", 50, "old", 300);
  w->Expire(0, 150);  // a write below the known minimum is expired again
  CHECK(Fetch(*w, 0, "k", 0, 1000) == std::vector<std::pair<int64_t, std::string>>{{200, "b"}});
  std::vector<ChangelogRecord> restore = {{"w", 0, "", std::string("r"), 1}};
  restore[0].key = log.Take()[0].key;  // k@100
  RequireOk(b->Restore("w", restore));
  w->Expire(0, 150);
  CHECK_FALSE(w->Get(0, "k", 100));
  CHECK(b->Restore("nope", restore).code() == Status::Code::kNotFound);
}

// ---------------------------------------------------------------- record cache

namespace {

struct Emitted {
  int partition;
  std::string key;
  int64_t start;  // window caches only
  std::optional<std::string> value, old;
  int64_t ts;
  bool operator==(const Emitted&) const = default;
};
std::optional<std::string> Opt(std::optional<std::string_view> v) {
  if (!v) return std::nullopt;
  return std::string(*v);
}
Emitted E(int p, std::string key, std::optional<std::string> v, std::optional<std::string> old,
          int64_t ts, int64_t start = 0) {
  return {p, std::move(key), start, std::move(v), std::move(old), ts};
}

void CacheBody(StateBackend& backend) {
  ChangelogCollector log;
  std::vector<Emitted> out;
  auto store = Must(backend.OpenKeyValue("cached", &log));
  CachingKeyValueStore cache(store, 1 << 20, [&](int p, std::string_view k, auto v, auto old, int64_t ts) {
    out.push_back(E(p, std::string(k), Opt(v), Opt(old), ts));
  });
  cache.Put(0, "k1", "a", 1);
  cache.Put(0, "k2", "b", 2);
  cache.Put(0, "k1", "c", 3);
  cache.Put(1, "k1", "p1", 4);
  // Reads see the dirty values; nothing reached the store, the changelog or the listener.
  CHECK(*cache.Get(0, "k1") == "c");
  CHECK_FALSE(store->Get(0, "k1"));
  CHECK(out.empty());
  CHECK(log.empty());
  CHECK(cache.dirty_entries() == 3);
  cache.Flush();
  // One update per key, latest value, in the order of each key's last write.
  CHECK(out == std::vector<Emitted>{E(0, "k2", "b", std::nullopt, 2), E(0, "k1", "c", std::nullopt, 3),
                                    E(1, "k1", "p1", std::nullopt, 4)});
  CHECK(log.Take().size() == 3);
  CHECK(*store->Get(0, "k1") == "c");
  CHECK(cache.dirty_bytes() == 0);

  out.clear();
  cache.Put(0, "k1", "d", 5);
  cache.Delete(0, "k2", 6);
  cache.Put(0, "k3", "x", 7);
  cache.Delete(0, "k3", 8);  // never reached the store: neither written nor reported
  CHECK_FALSE(cache.Get(0, "k2"));
  CHECK(*store->Get(0, "k2") == "b");
  // Scan merges: dirty values replace, dirty deletes hide.
  CHECK(Dump(cache, 0) == KvDump{{"k1", "d"}});
  cache.Flush();
  CHECK(out == std::vector<Emitted>{E(0, "k1", "d", "c", 5), E(0, "k2", std::nullopt, "b", 6)});
  auto records = log.Take();
  REQUIRE(records.size() == 2);
  CHECK_FALSE(records[1].value);
  CHECK(Dump(*store, 0) == KvDump{{"k1", "d"}});
}

}  // namespace

TEST_CASE("record cache: coalescing, order, old values (memory)", "[state][cache]") {
  auto b = MakeMemoryStateBackend();
  CacheBody(*b);
}
TEST_CASE("record cache: coalescing, order, old values (rocksdb)", "[state][cache][rocksdb]") {
  TempDir dir;
  auto b = OpenRocks(dir.path);
  CacheBody(*b);
}

TEST_CASE("record cache: 0 bytes is a pass-through", "[state][cache]") {
  auto b = MakeMemoryStateBackend();
  ChangelogCollector log;
  std::vector<Emitted> out;
  auto store = Must(b->OpenKeyValue("s", &log));
  CachingKeyValueStore cache(store, 0, [&](int p, std::string_view k, auto v, auto old, int64_t ts) {
    out.push_back(E(p, std::string(k), Opt(v), Opt(old), ts));
    CHECK(log.Take().size() == 1);  // the store (and changelog) got the write before the listener
  });
  cache.Put(0, "k", "1", 1);
  CHECK(out.size() == 1);
  cache.Put(0, "k", "2", 2);
  cache.Delete(0, "k", 3);
  cache.Delete(0, "never", 4);
  CHECK(out == std::vector<Emitted>{E(0, "k", "1", std::nullopt, 1), E(0, "k", "2", "1", 2),
                                    E(0, "k", std::nullopt, "2", 3),
                                    E(0, "never", std::nullopt, std::nullopt, 4)});
  CHECK(cache.dirty_entries() == 0);
  cache.Flush();
  CHECK(out.size() == 4);
}

TEST_CASE("record cache: exceeding the bound flushes every dirty entry", "[state][cache]") {
  auto b = MakeMemoryStateBackend();
  ChangelogCollector log;
  std::vector<Emitted> out;
  auto store = Must(b->OpenKeyValue("s", &log));
  CachingKeyValueStore cache(store, 400, [&](int p, std::string_view k, auto v, auto old, int64_t ts) {
    out.push_back(E(p, std::string(k), Opt(v), Opt(old), ts));
  }, /*send_old_values=*/false);
  // Each entry is charged 64 + 8 (partition + key) + 50 (value) = 122 bytes.
  const std::string v(50, 'v');
  cache.Put(0, "key0", v, 1);
  cache.Put(0, "key1", v, 2);
  cache.Put(0, "key2", v, 3);
  cache.Put(0, "key1", v, 4);  // an overwrite: still 366 bytes
  CHECK(out.empty());
  CHECK(cache.dirty_bytes() == 366);
  cache.Put(0, "key3", v, 5);  // 488 > 400: everything dirty goes, this write included
  CHECK(cache.dirty_entries() == 0);
  std::vector<std::string> keys;
  for (const auto& e : out) keys.push_back(e.key);
  CHECK(keys == std::vector<std::string>{"key0", "key2", "key1", "key3"});
  CHECK(out[2].ts == 4);
  CHECK(log.Take().size() == 4);
  for (const auto& e : out) CHECK_FALSE(e.old);  // send_old_values off
}

TEST_CASE("record cache: window store", "[state][cache]") {
  auto b = MakeMemoryStateBackend();
  ChangelogCollector log;
  std::vector<Emitted> out;
  auto store = Must(b->OpenWindow("w", 100000, &log));
  store->Put(0, "k", 100, "u100", 1);
  store->Put(0, "k", 300, "u300", 1);
  store->Put(0, "j", 100, "j100", 1);
  log.Take();
  CachingWindowStore cache(store, 1 << 20,
                           [&](int p, std::string_view k, int64_t start, auto v, auto old, int64_t ts) {
                             out.push_back(E(p, std::string(k), Opt(v), Opt(old), ts, start));
                           });
  cache.Put(0, "k", 200, "d200", 5);
  cache.Put(0, "k", 300, "d300", 6);
  cache.Put(0, "k", 200, "d200b", 7);
  cache.Delete(0, "k", 100, 8);
  cache.Put(0, "k", 400, "d400", 9);
  CHECK(*cache.Get(0, "k", 200) == "d200b");
  CHECK_FALSE(cache.Get(0, "k", 100));
  CHECK(Fetch(cache, 0, "k", 0, 1000) ==
        std::vector<std::pair<int64_t, std::string>>{{200, "d200b"}, {300, "d300"}, {400, "d400"}});
  CHECK(Fetch(cache, 0, "k", 250, 350) == std::vector<std::pair<int64_t, std::string>>{{300, "d300"}});
  CHECK(Dump(cache, 0) == WinDump{{"j", 100, "j100"}, {"k", 200, "d200b"}, {"k", 300, "d300"},
                                  {"k", 400, "d400"}});
  CHECK(out.empty());
  cache.Flush();
  CHECK(out == std::vector<Emitted>{E(0, "k", "d300", "u300", 6, 300), E(0, "k", "d200b", std::nullopt, 7, 200),
                                    E(0, "k", std::nullopt, "u100", 8, 100), E(0, "k", "d400", std::nullopt, 9, 400)});
  CHECK(log.Take().size() == 4);
  CHECK(Dump(*store, 0) == Dump(cache, 0));
}

}  // namespace state_store_test
