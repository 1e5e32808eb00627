// The aggregator's record cache (engine/runtime/aggregation/group_cache.h), alone
// and through tasks: the same final results with the cache off, tiny (evicting all the time)
// and large (coalescing every update of a commit into one output per group).
#include <map>

#include <catch2/catch.hpp>

#include "engine/analyzer/query_analyzer.h"
#include "engine/executor/engine.h"
#include "engine/planner/topology.h"
#include "engine/runtime/aggregation/group_cache.h"
#include "engine/runtime/task_factory.h"

namespace group_cache_test {  // this file's own names (unity build: tests/README.md)

using namespace sluice;

TEST_CASE("GroupCache: entries, dirty values in first-update order, commits of another size", "[group_cache]") {
  GroupCache c;
  REQUIRE(c.Find("a") == GroupCache::kNone);
  const uint32_t a = c.Insert("a", "row-a", std::string_view("v1"));
  const uint32_t b = c.Insert("b", "row-b", std::nullopt);
  REQUIRE(c.Find("a") == a);
  REQUIRE(c.Get(a).committed == "v1");
  REQUIRE(c.Get(a).in_store);
  REQUIRE_FALSE(c.Get(b).in_store);
  REQUIRE_FALSE(c.Get(a).current);

  c.SetCurrent(b, "new-b");
  c.SetCurrent(a, "v2");
  c.SetCurrent(a, "v3");         // same size: in place
  c.SetCurrent(b, "newer-b!!");  // another size
  REQUIRE(c.dirty_count() == 2);
  REQUIRE(c.dirty_handle(0) == b);  // first updated first
  REQUIRE(*c.Get(b).current == "newer-b!!");
  REQUIRE(*c.Get(a).current == "v3");
  REQUIRE(c.Get(a).committed == "v1");  // the old value stays until the commit

  c.MarkCommitted(a);
  c.MarkCommitted(b);  // moves: its committed value grew
  c.ClearDirty();
  REQUIRE(c.Get(c.Find("a")).committed == "v3");
  const GroupCache::Entry eb = c.Get(c.Find("b"));
  REQUIRE(eb.committed == "newer-b!!");
  REQUIRE(eb.in_store);
  REQUIRE(eb.key_row == "row-b");
  REQUIRE_FALSE(eb.current);

  c.SetClean("a", std::nullopt);
  REQUIRE_FALSE(c.Get(c.Find("a")).in_store);
  c.SetClean("c", std::string_view("vc"));
  REQUIRE(c.Get(c.Find("c")).committed == "vc");
  REQUIRE(c.size() == 3);
}

TEST_CASE("GroupCache without old values: current values written over the committed ones", "[group_cache]") {
  GroupCache c;
  c.set_keep_committed(false);
  const uint32_t a = c.Insert("a", "row-a", std::string_view("v1"));
  const uint32_t b = c.Insert("b", "row-b", std::nullopt);
  c.SetCurrent(b, "new-b");
  c.SetCurrent(a, "v2");
  c.SetCurrent(b, "newer-b!!");  // another size: the entry moves, the dirty list follows it
  REQUIRE(c.dirty_count() == 2);
  REQUIRE(c.dirty_handle(0) == c.Find("b"));
  REQUIRE(c.dirty_handle(1) == a);
  REQUIRE(*c.Get(c.dirty_handle(0)).current == "newer-b!!");
  REQUIRE_FALSE(c.Get(c.dirty_handle(0)).in_store);
  REQUIRE(*c.Get(a).current == "v2");
  REQUIRE(c.Get(a).committed.empty());  // not kept
  for (size_t i = 0; i < c.dirty_count(); ++i) c.MarkCommitted(c.dirty_handle(i));
  c.ClearDirty();
  const GroupCache::Entry eb = c.Get(c.Find("b"));
  REQUIRE(eb.committed == "newer-b!!");
  REQUIRE(eb.in_store);
  REQUIRE(eb.key_row == "row-b");
  REQUIRE_FALSE(eb.current);
  REQUIRE(c.Get(c.Find("a")).committed == "v2");
}

TEST_CASE("GroupCache: eviction keeps the recently used entries and the memory under the target", "[group_cache]") {
  GroupCache c;
  for (int i = 0; i < 20000; ++i) c.Insert("key-" + std::to_string(i), "", std::string_view("value of some length"));
  for (int round = 0; round < 3; ++round)
    for (int i = 19000; i < 20000; ++i) REQUIRE(c.Find("key-" + std::to_string(i)) != GroupCache::kNone);
  const size_t before = c.bytes();
  c.EvictTo(before / 2);
  REQUIRE(c.bytes() <= before / 2);
  REQUIRE(c.size() < 20000);
  REQUIRE(c.size() > 1000);
  for (int i = 19000; i < 20000; ++i) {
    const uint32_t h = c.Find("key-" + std::to_string(i));
    REQUIRE(h != GroupCache::kNone);
    REQUIRE(c.Get(h).committed == "value of some length");
  }
  c.EvictTo(0);
  REQUIRE(c.size() == 0);
  REQUIRE(c.Find("key-19999") == GroupCache::kNone);
}

namespace {

// Plans a persistent query over `ddl` and runs `inputs` through its tasks on the in-memory
// backend with the given cache budget, committing every `commit_every` records; returns the
// sink records (key -> values in order).
std::vector<KafkaRecord> RunTasks(const std::string& ddl, const std::string& query, const std::vector<KafkaRecord>& inputs,
                                  size_t cache_bytes, size_t commit_every) {
  Engine engine({});
  REQUIRE(engine.Execute(ddl).ok());
  auto parsed = ParseStatement(SplitStatements(query).at(0), nullptr);
  REQUIRE(parsed.ok());
  const auto& ctas = static_cast<const CreateAsSelect&>(**parsed);
  SinkRequest req;
  req.name = ctas.name;
  req.kind = ctas.source_kind;
  req.properties = &ctas.properties;
  auto analyzed = AnalyzeQuery(*ctas.query, req, engine.metastore(), AnalysisConfig{});
  REQUIRE(analyzed.ok());
  analyzed->query_id = "Q_0";
  auto plan = std::make_shared<const QueryPlan>(std::move(*analyzed));
  TopologySpec topology = PlanTopology(*plan, "t_");
  REQUIRE(topology.subtopologies.size() == 1);
  auto state = MakeMemoryStateBackend();
  auto task = CreateTask(plan, topology, 0, TaskEnvironment{state.get(), 0, cache_bytes});
  REQUIRE(task.ok());
  TaskOutput out;
  for (size_t i = 0; i < inputs.size(); ++i) {
    REQUIRE((*task)->Process(inputs[i], &out).ok());
    if ((i + 1) % commit_every == 0) (*task)->Commit(&out);
  }
  (*task)->Commit(&out);
  return out.records;
}

std::map<std::string, std::string> Latest(const std::vector<KafkaRecord>& records) {
  std::map<std::string, std::string> latest;
  for (const auto& r : records) latest[r.key.value_or("")] = r.value.value_or("<null>");
  return latest;
}

KafkaRecord Input(const std::string& topic, const std::string& key, const std::string& value, int64_t ts) {
  KafkaRecord r;
  r.topic = topic;
  r.key = key;
  r.value = value;
  r.timestamp = ts;
  r.offset = ts;
  return r;
}

}  // namespace

TEST_CASE("aggregation: the cache changes how often a group is emitted, never its results", "[group_cache]") {
  const std::string ddl =
      "CREATE STREAM P (K STRING KEY, AMOUNT INT, NOTE STRING) WITH (kafka_topic='p', value_format='JSON');";
  std::vector<KafkaRecord> inputs;
  for (int i = 0; i < 3000; ++i)
    inputs.push_back(Input("p", "user-" + std::to_string(i * 7 % 500),
                           "{\"AMOUNT\":" + std::to_string(i % 97) + ",\"NOTE\":\"" + std::string(i % 13, 'x') + "\"}",
                           i * 100));
  // LATEST_BY_OFFSET of a string changes the value's size: entries move in the arena (with and
  // without HAVING, i.e. with and without the old values kept).
  for (const char* query :
       {"CREATE TABLE T AS SELECT K, SUM(AMOUNT) AS S, COUNT(*) AS N FROM P GROUP BY K;",
        "CREATE TABLE T AS SELECT K, COUNT(*) AS N, LATEST_BY_OFFSET(NOTE) AS L FROM P GROUP BY K HAVING COUNT(*) > 3;",
        "CREATE TABLE T AS SELECT K, COUNT(*) AS N, LATEST_BY_OFFSET(NOTE) AS L FROM P GROUP BY K;",
        "CREATE TABLE T AS SELECT K, COUNT(*) AS N FROM P WINDOW HOPPING (SIZE 60 SECONDS, ADVANCE BY 20 SECONDS) "
        "GROUP BY K;"}) {
    INFO(query);
    const auto none = RunTasks(ddl, query, inputs, 0, 1000);
    REQUIRE(none.size() >= 1000);  // every update emitted (HAVING: those that pass, and deletes)
    const auto tiny = RunTasks(ddl, query, inputs, 2000, 1000);  // flushes and evicts all the time
    const auto big = RunTasks(ddl, query, inputs, 16 << 20, 1000);
    REQUIRE(Latest(tiny) == Latest(none));
    REQUIRE(Latest(big) == Latest(none));
    REQUIRE(big.size() < none.size());  // coalesced: at most one output per group per commit
    REQUIRE(big.size() <= 3 * Latest(none).size());
  }
}

// The stream-table join's table cache only saves store reads: the output is the same record
// for record, through table updates (values of another size) and deletes of cached rows.
TEST_CASE("stream-table join: the table cache never changes the output", "[group_cache][join]") {
  const std::string ddl =
      "CREATE STREAM P (K STRING KEY, AMOUNT INT) WITH (kafka_topic='p', value_format='JSON');"
      "CREATE TABLE U (ID STRING PRIMARY KEY, NAME STRING) WITH (kafka_topic='u', value_format='JSON');";
  std::vector<KafkaRecord> inputs;
  for (int i = 0; i < 4000; ++i) {
    if (i % 5 == 0) {  // every user in turn
      KafkaRecord r = Input("u", "user-" + std::to_string(i / 5 % 300), "{\"NAME\":\"" + std::string(1 + i % 17, 'n') + "\"}", i);
      if (i % 35 == 0) r.value.reset();  // a delete
      inputs.push_back(std::move(r));
    } else {
      inputs.push_back(Input("p", "user-" + std::to_string(i * 7 % 300), "{\"AMOUNT\":" + std::to_string(i) + "}", i));
    }
  }
  for (const char* query : {"CREATE STREAM E AS SELECT P.K, AMOUNT, NAME FROM P JOIN U ON P.K = U.ID;",
                            "CREATE STREAM E AS SELECT P.K, AMOUNT, NAME FROM P LEFT JOIN U ON P.K = U.ID;"}) {
    INFO(query);
    const auto none = RunTasks(ddl, query, inputs, 0, 1000);
    REQUIRE(none.size() > 1000);
    for (const size_t budget : {size_t{3000}, size_t{16} << 20}) {  // evicting all the time; everything cached
      const auto cached = RunTasks(ddl, query, inputs, budget, 1000);
      REQUIRE(cached.size() == none.size());
      for (size_t i = 0; i < none.size(); ++i) {
        REQUIRE(cached[i].key == none[i].key);
        REQUIRE(cached[i].value == none[i].value);
      }
    }
  }
}

}  // namespace group_cache_test
