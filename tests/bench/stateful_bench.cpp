// Stateful query throughput through the task loop the runtime runs (engine/runtime/task.h),
// not the test driver: ~200-byte JSON payments, single thread, state in RocksDB (the server's
// backend, in a temporary directory) or, with --memory, the in-memory backend of the tests.
//   1. GROUP BY the record key with SUM and COUNT: one task (source -> group -> aggregate -> sink);
//   2. GROUP BY a value column: the group-by task writes the repartition topic, whose records
//      the aggregate task then reads (both tasks timed);
//   3. a hopping-window COUNT;
//   4. a stream-table join of the payments with a table of one row per user (loaded first,
//      not timed), without and with the table side's cache.
// Baseline in the same run: a hand-written loop doing the minimum of the same work (simdjson
// on-demand reads USER_ID and AMOUNT, an unordered_map of sums and counts): the ratio is what
// the engine costs beyond that.
//
//   sluice-bench-stateful [--records N] [--keys K] [--memory] [--commit-every N] [--only SUBSTRING]
//   (default 1,000,000 records, 100,000 keys; --only runs the cases whose name contains it). Each
//   line also gives the share of the time spent in StateBackend::Checkpoint (RocksDB writes).
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <unordered_map>
#include <vector>

#include <simdjson.h>
#include <spdlog/spdlog.h>

#include "engine/analyzer/query_analyzer.h"
#include "engine/executor/engine.h"
#include "engine/planner/topology.h"
#include "engine/runtime/state/rocksdb_state.h"
#include "engine/runtime/task_factory.h"

using namespace sluice;

namespace {

bool g_memory_state = false;
std::string g_only;  // --only SUBSTRING: run only the cases whose name contains it
// Records between commits: Kafka Streams commits every commit.interval.ms (30 s by default,
// at-least-once), so at these rates a commit covers many batches.
size_t g_commit_every = 100'000;
double g_checkpoint_seconds = 0;  // of the last RunQuery: time in StateBackend::Checkpoint

std::vector<KafkaRecord> MakePayments(int n, int keys) {
  std::vector<KafkaRecord> records;
  records.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    char buf[512];
    const int user = static_cast<int>((static_cast<int64_t>(i) * 7919) % keys);
    int len = std::snprintf(buf, sizeof buf,
        R"({"ID":%d,"USER_ID":"user-%06d","AMOUNT":%d.%02d,"CURRENCY":"EUR","CITY":"city-%03d",)"
        R"("COUNTRY":"country-%02d","CHANNEL":"web","STATUS":"%s","NOTE":"some text for padding %05d"})",
        i, user, i % 1000, i % 100, i % 500, i % 50, i % 2 ? "OK" : "FAILED", i % 99999);
    KafkaRecord r;
    r.topic = "payments";
    r.key = "user-" + std::to_string(1000000 + user).substr(1);
    r.value = std::string(buf, static_cast<size_t>(len));
    r.timestamp = i;
    r.offset = i;
    records.push_back(std::move(r));
  }
  return records;
}

double Baseline(const std::vector<KafkaRecord>& records, size_t* groups) {
  simdjson::ondemand::parser parser;
  std::unordered_map<std::string, std::pair<double, int64_t>> totals;
  auto start = std::chrono::steady_clock::now();
  for (const auto& r : records) {
    simdjson::padded_string padded(*r.value);
    auto doc = parser.iterate(padded);
    std::string_view user = doc["USER_ID"].get_string().value();
    double amount = doc["AMOUNT"].get_double().value();
    auto& t = totals[std::string(user)];
    t.first += amount;
    t.second += 1;
  }
  *groups = totals.size();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Plans `select` over the payments stream and runs every record through its tasks.
double RunQuery(const std::string& select, const std::vector<KafkaRecord>& records, size_t cache_bytes,
                size_t* outputs, const std::vector<KafkaRecord>& table_rows = {}) {
  Engine engine({});
  Status s = engine.Execute(
      "CREATE STREAM PAYMENTS (K STRING KEY, ID INT, USER_ID STRING, AMOUNT DOUBLE, CURRENCY STRING, CITY STRING, "
      "COUNTRY STRING, CHANNEL STRING, STATUS STRING, NOTE STRING) WITH (kafka_topic='payments', value_format='JSON');"
      "CREATE TABLE USERS (ID STRING PRIMARY KEY, NAME STRING, TIER STRING) "
      "WITH (kafka_topic='users', value_format='JSON');");
  auto parsed = ParseStatement(SplitStatements(select).at(0), nullptr);
  if (!s.ok() || !parsed.ok()) {
    std::cerr << (s.ok() ? parsed.status().message() : s.message()) << "\n";
    std::exit(2);
  }
  const auto& ctas = static_cast<const CreateAsSelect&>(**parsed);
  SinkRequest req;
  req.name = ctas.name;
  req.kind = ctas.source_kind;
  req.properties = &ctas.properties;
  auto plan = AnalyzeQuery(*ctas.query, req, engine.metastore(), AnalysisConfig{});
  if (!plan.ok()) {
    std::cerr << plan.status().message() << "\n";
    std::exit(2);
  }
  plan->query_id = "CTAS_BENCH_0";
  auto shared = std::make_shared<const QueryPlan>(std::move(*plan));
  TopologySpec topology = PlanTopology(*shared, "bench_");
  std::unique_ptr<StateBackend> state;
  const std::string dir = "/tmp/sluice-bench-state-" + std::to_string(::getpid());
  if (g_memory_state) {
    state = MakeMemoryStateBackend();
  } else {
    std::filesystem::remove_all(dir);
    auto rocks = RocksStateBackend::Open(dir, RocksStateOptions{});
    if (!rocks.ok()) {
      std::cerr << rocks.status().message() << "\n";
      std::exit(2);
    }
    state = std::move(*rocks);
  }
  std::vector<std::unique_ptr<Task>> tasks;
  for (size_t sub = 0; sub < topology.subtopologies.size(); ++sub)
    tasks.push_back(std::move(*CreateTask(shared, topology, sub, TaskEnvironment{state.get(), 0, cache_bytes})));

  *outputs = 0;
  g_checkpoint_seconds = 0;
  TaskOutput out, next;
  for (const auto& row : table_rows) (void)tasks[0]->Process(row, &out);  // the table side, untimed
  tasks[0]->Commit(&out);
  for (const auto& sub : topology.subtopologies)  // the table in RocksDB, not in pending writes
    for (const auto& store : sub.stores) (void)state->Checkpoint(store.name, 0, 0);
  out.Clear();
  constexpr size_t kBatch = 500;  // what a stream thread hands a task at once
  auto start = std::chrono::steady_clock::now();
  size_t committed = 0;
  for (size_t at = 0; at < records.size(); at += kBatch) {
    out.Clear();
    const size_t end = std::min(records.size(), at + kBatch);
    const bool commit = end - committed >= g_commit_every || end == records.size();
    for (size_t i = at; i < end; ++i) (void)tasks[0]->Process(records[i], &out);
    if (commit) tasks[0]->Commit(&out);
    (void)tasks[0]->TakeChangelog();
    for (size_t sub = 1; sub < tasks.size(); ++sub) {  // the repartition topic's records
      next.Clear();
      for (const auto& r : out.records) (void)tasks[sub]->Process(r, &next);
      if (commit) tasks[sub]->Commit(&next);
      (void)tasks[sub]->TakeChangelog();
      std::swap(out, next);
    }
    *outputs += out.records.size();
    if (!commit) continue;
    // The runtime's commit: the stores' writes become durable with the changelog offset.
    committed = end;
    const auto checkpoint_start = std::chrono::steady_clock::now();
    for (const auto& sub : topology.subtopologies)
      for (const auto& store : sub.stores) (void)state->Checkpoint(store.name, 0, static_cast<int64_t>(end));
    g_checkpoint_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - checkpoint_start).count();
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  tasks.clear();
  state.reset();
  std::filesystem::remove_all(dir);
  return seconds;
}

void Report(const char* name, size_t n, double seconds, double baseline, size_t outputs) {
  std::printf("%-52s %10.0f records/s  %8zu out  %5.2fx baseline time  (%2.0f%% in checkpoints)\n", name,
              static_cast<double>(n) / seconds, outputs, seconds / baseline, 100 * g_checkpoint_seconds / seconds);
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::off);
  int n = 1'000'000, keys = 100'000;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--records" && i + 1 < argc) n = std::atoi(argv[++i]);
    if (std::string(argv[i]) == "--keys" && i + 1 < argc) keys = std::atoi(argv[++i]);
    if (std::string(argv[i]) == "--memory") g_memory_state = true;
    if (std::string(argv[i]) == "--commit-every" && i + 1 < argc) g_commit_every = std::strtoull(argv[++i], nullptr, 10);
    if (std::string(argv[i]) == "--only" && i + 1 < argc) g_only = argv[++i];
  }
  const auto records = MakePayments(n, keys);
  std::printf("%d records, %d distinct users, single-threaded, %s state, batches of 500, commit every %zu records\n", n,
              keys, g_memory_state ? "in-memory" : "RocksDB", g_commit_every);
  size_t groups = 0, outputs = 0;
  const double base = Baseline(records, &groups);
  Report("baseline (simdjson + unordered_map)", records.size(), base, base, groups);
  struct Case {
    const char* name;
    const char* sql;
  };
  const Case cases[] = {
      {"GROUP BY key: SUM, COUNT",
       "CREATE TABLE BALANCES AS SELECT K, SUM(AMOUNT) AS TOTAL, COUNT(*) AS N FROM PAYMENTS GROUP BY K;"},
      {"GROUP BY value column (repartition)",
       "CREATE TABLE BALANCES AS SELECT USER_ID, SUM(AMOUNT) AS TOTAL, COUNT(*) AS N FROM PAYMENTS GROUP BY USER_ID;"},
      {"hopping window 60s/20s COUNT by key",
       "CREATE TABLE C AS SELECT K, COUNT(*) AS N FROM PAYMENTS WINDOW HOPPING (SIZE 60 SECONDS, ADVANCE BY 20 SECONDS) "
       "GROUP BY K;"},
  };
  std::vector<KafkaRecord> users;
  for (int u = 0; u < keys; ++u) {
    KafkaRecord r;
    r.topic = "users";
    r.key = "user-" + std::to_string(1000000 + u).substr(1);
    r.value = R"({"NAME":"name of )" + *r.key + R"(","TIER":")" + (u % 3 ? "silver" : "gold") + "\"}";
    users.push_back(std::move(r));
  }
  // Cache 0: every lookup reads the table's store (checkpointed into RocksDB before the timed
  // part, so not served from the pending writes); 10 MB: the table side's cache in front of it.
  for (const size_t cache : {size_t{0}, size_t{10} << 20}) {
    const std::string name =
        std::string("stream-table join (table of one row per user)") + (cache ? ", cache 10 MB" : ", cache 0");
    if (!g_only.empty() && name.find(g_only) == std::string::npos) continue;
    const double t = RunQuery("CREATE STREAM ENRICHED AS SELECT P.K, P.AMOUNT, U.NAME, U.TIER FROM PAYMENTS P "
                              "JOIN USERS U ON P.K = U.ID;", records, cache, &outputs, users);
    Report(name.c_str(), records.size(), t, base, outputs);
  }
  for (const size_t cache : {size_t{0}, size_t{10} << 20})
    for (const auto& c : cases) {
      const std::string name = std::string(c.name) + (cache ? ", cache 10 MB" : ", cache 0");
      if (!g_only.empty() && name.find(g_only) == std::string::npos) continue;
      const double t = RunQuery(c.sql, records, cache, &outputs);
      Report(name.c_str(), records.size(), t, base, outputs);
    }
  return 0;
}
