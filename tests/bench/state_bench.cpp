// sluice-bench-state: the state stores under an aggregate's access pattern (get the key's
// value, put the new one), reported as ops/s and as a ratio against an std::unordered_map
// doing the same in the same run; then a load of many distinct keys into RocksDB, printing
// peak RSS next to the configured block cache + write buffer bound. No timed assertions.
//
//   sluice-bench-state [--ops N] [--keys K] [--big-keys M] [--commit-every C]
//     N: get+put pairs per throughput run (default 2,000,000), over K distinct keys (200,000)
//     M: distinct keys of the memory run (default 2,000,000; try 10,000,000)
//     C: ops between commits (record cache flush + changelog hand-off + checkpoint; 100,000)
#include <spdlog/spdlog.h>
#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/runtime/state/record_cache.h"
#include "engine/runtime/state/rocksdb_state.h"
#include "engine/runtime/state/state_store.h"

using namespace sluice;

namespace {

struct Args {
  size_t ops = 2'000'000;
  size_t keys = 200'000;
  size_t big_keys = 2'000'000;
  size_t commit_every = 100'000;
};

Args Parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    size_t v = std::stoull(argv[i + 1]);
    if (k == "--ops") a.ops = v;
    else if (k == "--keys") a.keys = v;
    else if (k == "--big-keys") a.big_keys = v;
    else if (k == "--commit-every") a.commit_every = v;
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      std::exit(2);
    }
  }
  return a;
}

template <typename T>
T Must(Result<T> r) {
  if (!r.ok()) {
    std::fprintf(stderr, "setup failed: %s\n", r.status().ToString().c_str());
    std::exit(1);
  }
  return std::move(r.value());
}
void Must(const Status& s) {
  if (!s.ok()) {
    std::fprintf(stderr, "failed: %s\n", s.ToString().c_str());
    std::exit(1);
  }
}

// kB of a /proc/self/status line (VmHWM: peak RSS, VmRSS: current).
size_t ProcStatusKb(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field, 0) == 0) return std::stoull(line.substr(std::strlen(field) + 1));
  return 0;
}

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/sluice-bench-state-XXXXXX";
    if (!mkdtemp(tmpl)) std::exit(1);
    path = tmpl;
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

// Keys visited in a scrambled order (a multiplicative permutation), fixed-width.
class KeyGen {
 public:
  explicit KeyGen(size_t distinct) : n_(distinct) {}
  const std::string& operator()(size_t i) {
    size_t k = (i * 2654435761u) % n_;
    std::snprintf(buf_, sizeof buf_, "user-%010zu", k);
    key_.assign(buf_);
    return key_;
  }

 private:
  size_t n_;
  char buf_[32];
  std::string key_;
};

// The aggregate's step: read the key's value, write an updated one (a 64-byte value).
void Update(std::string& value, size_t i) {
  if (value.size() != 64) value.assign(64, 'x');
  std::memcpy(value.data(), &i, sizeof i);
}

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double RunMap(const Args& a) {
  std::unordered_map<std::string, std::string> map;
  KeyGen key(a.keys);
  std::string value;
  auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < a.ops; ++i) {
    const std::string& k = key(i);
    auto it = map.find(k);
    value = it == map.end() ? std::string() : it->second;
    Update(value, i);
    map.insert_or_assign(k, value);
  }
  return Seconds(start);
}

// Get+put through `store`; every commit_every ops: flush (if cached), drop the changelog
// records (the driver would produce them) and checkpoint.
double RunStore(const Args& a, StateBackend& backend, KeyValueStore& store, ChangelogCollector& log,
                CachingKeyValueStore* cache) {
  KeyGen key(a.keys);
  std::string value;
  int64_t offset = 0;
  auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < a.ops; ++i) {
    const std::string& k = key(i);
    auto old = store.Get(0, k);
    value = old ? std::move(*old) : std::string();
    Update(value, i);
    store.Put(0, k, value, static_cast<int64_t>(i));
    if ((i + 1) % a.commit_every == 0 || i + 1 == a.ops) {
      if (cache) cache->Flush();
      offset += static_cast<int64_t>(log.Take().size());
      Must(backend.Checkpoint(store.name(), 0, offset));
    }
  }
  return Seconds(start);
}

void Report(const char* name, size_t ops, double seconds, double baseline) {
  std::printf("%-40s %12.0f get+put/s   x%6.3f of unordered_map\n", name, ops / seconds,
              baseline / seconds);
}

void ThroughputRuns(const Args& a) {
  std::printf("throughput: %zu get+put over %zu keys, commit every %zu, single-threaded\n", a.ops,
              a.keys, a.commit_every);
  const double base = RunMap(a);
  Report("std::unordered_map (baseline)", a.ops, base, base);

  {
    auto memory = MakeMemoryStateBackend();
    ChangelogCollector log;
    auto kv = Must(memory->OpenKeyValue("agg", &log));
    Report("memory backend (tests)", a.ops, RunStore(a, *memory, *kv, log, nullptr), base);
  }
  struct Variant {
    const char* name;
    bool cached;
    size_t bytes;
  };
  for (Variant v : {Variant{"rocksdb, no record cache", false, 0},
                    Variant{"rocksdb + record cache 0 B (pass-through)", true, 0},
                    Variant{"rocksdb + record cache 10 MB", true, size_t{10} << 20}}) {
    TempDir dir;
    auto backend = Must(RocksStateBackend::Open(dir.path));
    ChangelogCollector log;
    auto kv = Must(backend->OpenKeyValue("agg", &log));
    size_t emitted = 0;
    if (!v.cached) {
      Report(v.name, a.ops, RunStore(a, *backend, *kv, log, nullptr), base);
      continue;
    }
    CachingKeyValueStore cache(kv, v.bytes, [&](int, std::string_view, auto, auto, int64_t) { ++emitted; });
    double s = RunStore(a, *backend, cache, log, &cache);
    Report(v.name, a.ops, s, base);
    std::printf("%-40s %12zu updates emitted (%.1f%% of writes)\n", "", emitted, 100.0 * emitted / a.ops);
  }

  // Point reads alone, of keys present, after the writes are checkpointed.
  {
    std::unordered_map<std::string, std::string> map;
    KeyGen key(a.keys);
    for (size_t i = 0; i < a.keys; ++i) map[key(i)] = std::string(64, 'x');
    size_t hits = 0;
    auto start = std::chrono::steady_clock::now();
    for (size_t i = 0; i < a.ops; ++i) hits += map.count(key(i * 7));
    const double get_base = Seconds(start);
    TempDir dir;
    auto backend = Must(RocksStateBackend::Open(dir.path));
    ChangelogCollector log;
    auto kv = Must(backend->OpenKeyValue("agg", &log));
    for (size_t i = 0; i < a.keys; ++i) kv->Put(0, key(i), std::string(64, 'x'), 0);
    Must(backend->Checkpoint("agg", 0, static_cast<int64_t>(a.keys)));
    start = std::chrono::steady_clock::now();
    for (size_t i = 0; i < a.ops; ++i) hits += kv->Get(0, key(i * 7)) ? 1 : 0;
    const double s = Seconds(start);
    std::printf("%-40s %12.0f get/s       x%6.3f of unordered_map (%zu hits)\n",
                "rocksdb get (checkpointed keys)", a.ops / s, get_base / s, hits);
  }
}

// Many distinct keys through the record cache into RocksDB: memory stays near the bound.
void MemoryRun(const Args& a) {
  RocksStateOptions options;  // the defaults the server uses
  const size_t rss_before = ProcStatusKb("VmRSS:");
  TempDir dir;
  auto backend = Must(RocksStateBackend::Open(dir.path, options));
  ChangelogCollector log;
  auto kv = Must(backend->OpenKeyValue("big", &log));
  CachingKeyValueStore cache(kv, size_t{10} << 20, {}, /*send_old_values=*/false);
  KeyGen key(a.big_keys);
  std::string value(100, 'v');
  const size_t commit_every = std::min<size_t>(a.commit_every, 20'000);  // bounds pending batches
  int64_t offset = 0;
  auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < a.big_keys; ++i) {
    std::memcpy(value.data(), &i, sizeof i);
    cache.Put(0, key(i), value, static_cast<int64_t>(i));
    if ((i + 1) % commit_every == 0 || i + 1 == a.big_keys) {
      cache.Flush();
      offset += static_cast<int64_t>(log.Take().size());
      Must(backend->Checkpoint("big", 0, offset));
    }
  }
  const double s = Seconds(start);
  auto m = backend->Memory();
  std::printf("\nmemory: %zu distinct keys (~%zu MB of keys+values) in %.1f s (%.0f puts/s)\n",
              a.big_keys, a.big_keys * (15 + value.size()) >> 20, s, a.big_keys / s);
  std::printf("  configured bound (block cache + write buffers): %zu MB\n", backend->MemoryBound() >> 20);
  std::printf("  peak RSS %zu MB (process before opening: %zu MB), RSS now %zu MB\n",
              ProcStatusKb("VmHWM:") >> 10, rss_before >> 10, ProcStatusKb("VmRSS:") >> 10);
  std::printf("  rocksdb: block cache %zu MB, memtables %zu MB, table readers %zu MB\n",
              m.block_cache >> 20, m.memtables >> 20, m.table_readers >> 20);
  // The check: what the process grew by at its peak, against everything configured to bound
  // it: RocksDB's block cache + write buffers, the record cache, and the writes pending between
  // two checkpoints (commit_every keys, counted at 2x their bytes for the hash map around them).
  const size_t grown = (ProcStatusKb("VmHWM:") - std::min(ProcStatusKb("VmHWM:"), rss_before)) << 10;
  const size_t pending = commit_every * 2 * (15 + value.size() + 64);
  const size_t allowed = backend->MemoryBound() + (size_t{10} << 20) + pending;
  std::printf("  peak growth %zu MB vs configured bounds %zu MB (RocksDB %zu + record cache 10 + pending writes %zu): %s\n",
              grown >> 20, allowed >> 20, backend->MemoryBound() >> 20, pending >> 20,
              grown <= allowed ? "within" : "OVER");
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);
  Args a = Parse(argc, argv);
  // First, while the process is small, so that peak RSS is the RocksDB run's.
  MemoryRun(a);
  std::printf("\n");
  ThroughputRuns(a);
  return 0;
}
