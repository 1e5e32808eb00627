// GROUP BY, windows, HAVING and state restore: through the test driver (semantics) and through
// tasks directly (restoring a store from its changelog).
#include <unistd.h>

#include <filesystem>

#include <catch2/catch.hpp>

#include "engine/analyzer/query_analyzer.h"
#include "engine/executor/engine.h"
#include "engine/planner/topology.h"
#include "engine/runtime/state/rocksdb_state.h"
#include "engine/runtime/task_factory.h"
#include "engine/runtime/test_driver.h"
#include "tests/unit/test_util.h"

namespace aggregation_test {  // this file's own names (unity build: tests/README.md)

using namespace sluice;
using namespace sluice::testing;

namespace {

std::vector<std::string> Values(const std::vector<KafkaRecord>& records) {
  std::vector<std::string> out;
  for (const auto& r : records) out.push_back(r.value.value_or("<null>"));
  return out;
}

const char* kPayments =
    "CREATE STREAM payments (id STRING KEY, user_id STRING, amount INT) "
    "WITH (kafka_topic='payments', value_format='JSON', partitions=2);";

// The stateful half of `CREATE TABLE balances AS SELECT id, SUM(amount) ... GROUP BY id`,
// planned directly (the restore tests drive its task by hand).
struct BalancesQuery {
  std::shared_ptr<const QueryPlan> plan;
  TopologySpec topology;
  std::vector<KafkaRecord> inputs;  // 200 payments over `users` distinct ids

  explicit BalancesQuery(int users) {
    Engine engine({});
    RequireOk(engine.Execute(kPayments));
    auto parsed = ParseStatement(SplitStatements(
        "CREATE TABLE balances AS SELECT id, SUM(amount) AS balance FROM payments GROUP BY id;")[0]);
    REQUIRE(parsed.ok());
    const auto& ctas = static_cast<const CreateAsSelect&>(**parsed);
    SinkRequest req;
    req.name = ctas.name;
    req.kind = ctas.source_kind;
    req.properties = &ctas.properties;
    auto analyzed = AnalyzeQuery(*ctas.query, req, engine.metastore(), AnalysisConfig{});
    REQUIRE(analyzed.ok());
    analyzed->query_id = "CTAS_BALANCES_0";
    plan = std::make_shared<const QueryPlan>(std::move(*analyzed));
    topology = PlanTopology(*plan, "svc_");
    REQUIRE(topology.subtopologies.size() == 1);  // grouped by the key: no repartition
    for (int i = 0; i < 200; ++i)
      inputs.push_back(
          Record("payments", "user" + std::to_string(i % users), "{\"AMOUNT\":" + std::to_string(i) + "}", i));
  }
  const std::string& store() const { return topology.subtopologies[0].stores[0].name; }

  // A fresh task over `state` processes inputs [from, to) and commits; returns its output values
  // and appends what its store wrote to *changelog.
  std::vector<std::string> Run(StateBackend* state, size_t from, size_t to, std::vector<ChangelogRecord>* changelog) {
    auto task = CreateTask(plan, topology, 0, TaskEnvironment{state, 0});
    REQUIRE(task.ok());
    TaskOutput out;
    for (size_t i = from; i < to; ++i) RequireOk((*task)->Process(inputs[i], &out));
    (*task)->Commit(&out);
    for (auto& c : (*task)->TakeChangelog()) changelog->push_back(std::move(c));
    return Values(out.records);
  }

  // Every entry of the store's partition 0 (what a pull query would see).
  std::vector<std::pair<std::string, std::string>> Scan(StateBackend* state) const {
    std::vector<std::pair<std::string, std::string>> entries;
    auto kv = state->OpenKeyValue(store(), nullptr);
    REQUIRE(kv.ok());
    (*kv)->Scan(0, [&](std::string_view k, std::string_view v) {
      entries.emplace_back(std::string(k), std::string(v));
      return true;
    });
    return entries;
  }
};

}  // namespace

TEST_CASE("GROUP BY a value column repartitions and sums per group", "[aggregation]") {
  TestDriver driver;
  RequireOk(driver.Execute(kPayments));
  RequireOk(driver.Execute(
      "CREATE TABLE balances AS SELECT user_id, SUM(amount) AS balance, COUNT(*) AS n FROM payments GROUP BY user_id;"));
  RequireOk(driver.Produce(Record("payments", "p1", R"({"USER_ID":"bob","AMOUNT":10})", 1, 0)));
  RequireOk(driver.Produce(Record("payments", "p2", R"({"USER_ID":"alice","AMOUNT":5})", 2, 1)));
  RequireOk(driver.Produce(Record("payments", "p3", R"({"USER_ID":"bob","AMOUNT":7})", 3, 1)));
  CHECK(Values(driver.Records("BALANCES")) ==
        std::vector<std::string>{R"({"BALANCE":10,"N":1})", R"({"BALANCE":5,"N":1})", R"({"BALANCE":17,"N":2})"});
  CHECK(*driver.Records("BALANCES").back().key == "bob");
  // The repartition topic carries ksqlDB's name and holds one record per input.
  const std::string repartition = "_confluent-ksql-default_query_CTAS_BALANCES_0-Aggregate-GroupBy-repartition";
  CHECK(driver.Records(repartition).size() == 3);
  // Both updates for bob went through the same partition of it, murmur2 of the key.
  CHECK(driver.Records(repartition)[0].partition == driver.Records(repartition)[2].partition);
  CHECK(driver.Records("_confluent-ksql-default_query_CTAS_BALANCES_0-Aggregate-Aggregate-Materialize-changelog")
            .size() == 3);
}

TEST_CASE("table aggregation subtracts the old row when it changes group", "[aggregation]") {
  TestDriver driver;
  RequireOk(driver.Execute(
      "CREATE TABLE users (id STRING PRIMARY KEY, region STRING) WITH (kafka_topic='users', value_format='JSON');"
      "CREATE TABLE per_region AS SELECT region, COUNT(*) AS n FROM users GROUP BY region;"));
  RequireOk(driver.Produce(Record("users", "u1", R"({"REGION":"eu"})", 1)));
  RequireOk(driver.Produce(Record("users", "u2", R"({"REGION":"eu"})", 2)));
  RequireOk(driver.Produce(Record("users", "u1", R"({"REGION":"us"})", 3)));  // moves eu -> us
  RequireOk(driver.Produce(Record("users", "u2", std::nullopt, 4)));          // deleted
  const auto& out = driver.Records("PER_REGION");
  REQUIRE(out.size() == 5);
  CHECK(Values(out) == std::vector<std::string>{R"({"N":1})", R"({"N":2})", R"({"N":1})", R"({"N":1})",
                                                R"({"N":0})"});
  CHECK(*out[2].key == "eu");
  CHECK(*out[3].key == "us");
  CHECK(*out[4].key == "eu");
}

TEST_CASE("HAVING: a group that stops matching is deleted, one that never matched writes nothing", "[aggregation]") {
  TestDriver driver;
  RequireOk(driver.Execute(kPayments));
  RequireOk(driver.Execute(
      "CREATE TABLE twice AS SELECT user_id, COUNT(*) AS n FROM payments GROUP BY user_id HAVING COUNT(*) = 2;"));
  for (int i = 0; i < 3; ++i)
    RequireOk(driver.Produce(Record("payments", "p", R"({"USER_ID":"bob","AMOUNT":1})", i)));
  CHECK(Values(driver.Records("TWICE")) == std::vector<std::string>{R"({"N":2})", "<null>"});
}

TEST_CASE("tumbling windows: windowed keys, late records dropped after grace", "[aggregation]") {
  TestDriver driver;
  RequireOk(driver.Execute(kPayments));
  RequireOk(driver.Execute(
      "CREATE TABLE per_minute AS SELECT id, COUNT(*) AS n FROM payments "
      "WINDOW TUMBLING (SIZE 1 MINUTE, GRACE PERIOD 10 SECONDS) GROUP BY id;"));
  RequireOk(driver.Produce(Record("payments", "a", R"({"AMOUNT":1})", 1'000)));
  RequireOk(driver.Produce(Record("payments", "a", R"({"AMOUNT":1})", 59'000)));
  RequireOk(driver.Produce(Record("payments", "a", R"({"AMOUNT":1})", 75'000)));  // closes [0, 60s)
  RequireOk(driver.Produce(Record("payments", "a", R"({"AMOUNT":1})", 30'000)));  // late: dropped
  const auto& out = driver.Records("PER_MINUTE");
  REQUIRE(out.size() == 3);
  CHECK(Values(out) == std::vector<std::string>{R"({"N":1})", R"({"N":2})", R"({"N":1})"});
  // Key bytes: the key, then the window start as a big-endian long.
  const std::string& k = *out[2].key;
  REQUIRE(k.size() == 1 + 8);
  CHECK(k[0] == 'a');
  int64_t start = 0;
  for (size_t i = 1; i < 9; ++i) start = (start << 8) | static_cast<uint8_t>(k[i]);
  CHECK(start == 60'000);
  CHECK_FALSE(driver.ProcessingLog().empty());
}

TEST_CASE("EMIT FINAL writes each window once, when it closes", "[aggregation]") {
  TestDriver driver;
  RequireOk(driver.Execute(kPayments));
  RequireOk(driver.Execute(
      "CREATE TABLE final_counts AS SELECT id, COUNT(*) AS n FROM payments "
      "WINDOW TUMBLING (SIZE 10 SECONDS, GRACE PERIOD 0 SECONDS) GROUP BY id EMIT FINAL;"));
  RequireOk(driver.Produce(Record("payments", "a", R"({"AMOUNT":1})", 1'000)));
  RequireOk(driver.Produce(Record("payments", "a", R"({"AMOUNT":1})", 2'000)));
  CHECK(driver.Records("FINAL_COUNTS").empty());
  RequireOk(driver.Produce(Record("payments", "a", R"({"AMOUNT":1})", 10'000)));  // closes [0, 10s)
  CHECK(Values(driver.Records("FINAL_COUNTS")) == std::vector<std::string>{R"({"N":2})"});
}

TEST_CASE("session windows merge the sessions a record bridges", "[aggregation]") {
  TestDriver driver;
  RequireOk(driver.Execute(kPayments));
  RequireOk(driver.Execute(
      "CREATE TABLE sessions AS SELECT id, COUNT(*) AS n FROM payments WINDOW SESSION (5 SECONDS) GROUP BY id;"));
  RequireOk(driver.Produce(Record("payments", "a", R"({})", 0)));
  RequireOk(driver.Produce(Record("payments", "a", R"({})", 8'000)));  // a new session
  RequireOk(driver.Produce(Record("payments", "a", R"({})", 4'000)));  // bridges both
  // [0,0] n=1; [8000,8000] n=1; tombstones for both, then [0,8000] n=3.
  CHECK(Values(driver.Records("SESSIONS")) ==
        std::vector<std::string>{R"({"N":1})", R"({"N":1})", "<null>", "<null>", R"({"N":3})"});
}

TEST_CASE("errors: GROUP BY rules in ksqlDB's words, nothing registered", "[aggregation]") {
  TestDriver driver;
  RequireOk(driver.Execute(kPayments));
  Status s = driver.Execute("CREATE TABLE t AS SELECT amount, COUNT(*) FROM payments GROUP BY user_id;");
  REQUIRE_FALSE(s.ok());
  CHECK(s.message().find("Non-aggregate SELECT expression(s) not part of GROUP BY: AMOUNT") != std::string::npos);
  CHECK(driver.FindSource("T") == nullptr);
  s = driver.Execute("CREATE TABLE t AS SELECT user_id, COUNT(*) FROM payments GROUP BY user_id, SUM(amount);");
  CHECK(s.message().find("GROUP BY does not support aggregate functions: SUM is an aggregate function.") !=
        std::string::npos);
}

// The stateful half of a query, run twice: once straight through; once stopped half-way, its
// store rebuilt from the changelog records alone on a fresh backend, and resumed. Lookups and
// every later output must be identical.
TEST_CASE("a store restored from its changelog alone gives identical lookups and outputs", "[aggregation][restore]") {
  BalancesQuery q(17);
  auto straight = MakeMemoryStateBackend();
  std::vector<ChangelogRecord> ignored;
  q.Run(straight.get(), 0, 120, &ignored);
  const auto expected_tail = q.Run(straight.get(), 120, 200, &ignored);

  auto first = MakeMemoryStateBackend();
  std::vector<ChangelogRecord> changelog;
  q.Run(first.get(), 0, 120, &changelog);
  REQUIRE(changelog.size() == 120);
  auto restored = MakeMemoryStateBackend();
  REQUIRE(restored->OpenKeyValue(q.store(), nullptr).ok());  // as a task does on assignment
  RequireOk(restored->Restore(q.store(), changelog));

  const auto before = q.Scan(first.get());
  CHECK(before.size() == 17);
  CHECK(q.Scan(restored.get()) == before);
  std::vector<ChangelogRecord> more;
  CHECK(q.Run(restored.get(), 120, 200, &more) == expected_tail);
}

// The same query on the server's RocksDB backend: the task's writes are checkpointed at
// changelog offset 120, the next 40 reach only the changelog before the process "dies" (a
// reopened RocksDB keeps exactly what was checkpointed). On restart only the changelog's tail
// after the checkpoint is replayed: lookups and later outputs equal an uninterrupted run.
TEST_CASE("local RocksDB state plus the changelog tail replaces a full restore", "[aggregation][restore]") {
  BalancesQuery q(13);
  auto straight = MakeMemoryStateBackend();
  std::vector<ChangelogRecord> ignored;
  q.Run(straight.get(), 0, 160, &ignored);
  const auto expected_entries = q.Scan(straight.get());
  const auto expected_tail = q.Run(straight.get(), 160, 200, &ignored);

  const std::string dir = "/tmp/sluice-restore-test-" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  std::vector<ChangelogRecord> changelog;
  {
    auto rocks = RocksStateBackend::Open(dir, RocksStateOptions{});
    REQUIRE(rocks.ok());
    q.Run(rocks->get(), 0, 120, &changelog);
    RequireOk((*rocks)->Checkpoint(q.store(), 0, static_cast<int64_t>(changelog.size())));
    q.Run(rocks->get(), 120, 160, &changelog);  // reaches the changelog, never checkpointed
  }
  REQUIRE(changelog.size() == 160);
  auto reopened = RocksStateBackend::Open(dir, RocksStateOptions{});
  REQUIRE(reopened.ok());
  const auto checkpoint = (*reopened)->CheckpointedOffset(q.store(), 0);
  REQUIRE(checkpoint.has_value());
  CHECK(*checkpoint == 120);
  REQUIRE((*reopened)->OpenKeyValue(q.store(), nullptr).ok());
  // Local state is the checkpointed one: every group, but not yet the last 40 records' sums.
  const auto local = q.Scan(reopened->get());
  CHECK(local.size() == expected_entries.size());
  CHECK(local != expected_entries);
  const std::vector<ChangelogRecord> tail(changelog.begin() + *checkpoint, changelog.end());
  RequireOk((*reopened)->Restore(q.store(), tail));
  CHECK(q.Scan(reopened->get()) == expected_entries);
  std::vector<ChangelogRecord> more;
  CHECK(q.Run(reopened->get(), 160, 200, &more) == expected_tail);
  reopened->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace aggregation_test
