// State stores: one test body run against every backend (in-memory, RocksDB), restore from
// changelogs, RocksDB reopen with checkpoint + changelog tail, and the record cache.
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "engine/runtime/state/state_store.h"

using namespace sluice;

namespace {

void RequireOk(const Status& s) {
  INFO(s.message());
  REQUIRE(s.ok());
}
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
std::vector<ChangelogRecord> WriteMix(StateBackend& backend) {
  ChangelogCollector log;
  auto kv = Must(backend.OpenKeyValue("mix-kv", &log));
  auto w = Must(backend.OpenWindow("mix-win", 100000, &log));
  auto s = Must(backend.OpenSession("mix-ses", 100000, &log));
  for (int i = 0; i < 300; ++i) {
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
  {
    ChangelogCollector none;  // Restore needs the stores opened (it must know their kind)
    Must(restored->OpenKeyValue("mix-kv", &none));
    Must(restored->OpenWindow("mix-win", 100000, &none));
    Must(restored->OpenSession("mix-ses", 100000, &none));
  }
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
