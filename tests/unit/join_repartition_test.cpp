// Joins whose sources have more than one partition and are joined on something other than their
// key: the planner's topology (repartition sub-topologies with ksqlDB's topic names) and the
// results through the test driver's partitioned in-memory topics.
#include <catch2/catch.hpp>

#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "engine/analyzer/query_analyzer.h"
#include "engine/common/murmur2.h"
#include "engine/executor/engine.h"
#include "engine/parser/parser.h"
#include "engine/planner/topology.h"
#include "engine/runtime/test_driver.h"
#include "tests/unit/test_util.h"

namespace join_repartition_test {  // this file's own names (unity build: tests/README.md)

using namespace sluice;
using namespace sluice::testing;

namespace {

const char* kPrefix = "_confluent-ksql-svc_query_";

// `ddl` executed, then `csas` analyzed and planned as query `id` of service "svc_".
TopologySpec Plan(const std::string& ddl, const std::string& csas, const std::string& id) {
  Engine engine({});
  RequireOk(engine.Execute(ddl));
  auto parsed = ParseStatement(SplitStatements(csas)[0]);
  REQUIRE(parsed.ok());
  const auto& stmt = static_cast<const CreateAsSelect&>(**parsed);
  SinkRequest req;
  req.name = stmt.name;
  req.kind = stmt.source_kind;
  req.properties = &stmt.properties;
  auto analyzed = AnalyzeQuery(*stmt.query, req, engine.metastore(), AnalysisConfig{});
  INFO(analyzed.status().message());
  REQUIRE(analyzed.ok());
  analyzed->query_id = id;
  return PlanTopology(*analyzed, "svc_");
}

std::string Orders(int partitions) {
  return "CREATE STREAM orders (order_id STRING KEY, customer_id STRING, amount INT) WITH (kafka_topic='orders', "
         "value_format='JSON', partitions=" + std::to_string(partitions) + ");"
         "CREATE TABLE customers (id STRING PRIMARY KEY, name STRING) WITH (kafka_topic='customers', "
         "value_format='JSON', partitions=" + std::to_string(partitions) + ");";
}

// A record in the partition its key hashes to, as a Kafka producer writes it.
KafkaRecord Keyed(const std::string& topic, const std::string& key, std::optional<std::string> value, int64_t ts,
                  int partitions) {
  return Record(topic, key, std::move(value), ts, KafkaPartitionForKey(key, partitions));
}

}  // namespace

TEST_CASE("join repartition: a stream joined on a value column over 4 partitions is re-keyed first", "[join][repartition]") {
  const TopologySpec t = Plan(Orders(4),
                              "CREATE STREAM enriched AS SELECT * FROM orders o JOIN customers c "
                              "ON o.customer_id = c.id;",
                              "CSAS_ENRICHED_0");
  const std::string repartition = std::string(kPrefix) + "CSAS_ENRICHED_0-Join-repartition";
  REQUIRE(t.subtopologies.size() == 2);
  CHECK(t.subtopologies[0].role == SubTopologySpec::Role::kJoinRepartition);
  CHECK(t.subtopologies[0].input_topics == std::vector<std::string>{"orders"});
  CHECK(t.subtopologies[0].output_topics == std::vector<std::string>{repartition});
  CHECK(t.subtopologies[0].stores.empty());
  CHECK(t.subtopologies[1].role == SubTopologySpec::Role::kJoin);
  CHECK(t.subtopologies[1].input_topics == std::vector<std::string>{repartition, "customers"});
  CHECK(t.subtopologies[1].output_topics == std::vector<std::string>{"ENRICHED"});
  REQUIRE(t.subtopologies[1].stores.size() == 1);
  CHECK(t.subtopologies[1].stores[0].name == "CSAS_ENRICHED_0-KafkaTopic_Right-Reduce");
  CHECK(t.repartition_topics == std::vector<std::string>{repartition});
  CHECK(t.IsRepartitionTopic(repartition));
  CHECK(t.partitions == 4);
  const std::vector<std::string> internal = t.InternalTopics();
  CHECK(std::find(internal.begin(), internal.end(), repartition) != internal.end());
  CHECK(t.Describe().find("(join repartition)") != std::string::npos);
}

TEST_CASE("join repartition: stream-stream sides on value columns get left and right repartition topics", "[join][repartition]") {
  const TopologySpec t = Plan(
      "CREATE STREAM l (k STRING KEY, a STRING) WITH (kafka_topic='l', value_format='JSON', partitions=3);"
      "CREATE STREAM r (k STRING KEY, b STRING) WITH (kafka_topic='r', value_format='JSON', partitions=3);",
      "CREATE STREAM j AS SELECT l.a, l.k, r.k FROM l JOIN r WITHIN 1 MINUTE ON l.a = r.b;", "CSAS_J_0");
  const std::string left = std::string(kPrefix) + "CSAS_J_0-Join-left-repartition";
  const std::string right = std::string(kPrefix) + "CSAS_J_0-Join-right-repartition";
  REQUIRE(t.subtopologies.size() == 3);
  CHECK(t.subtopologies[0].join_source == 0);
  CHECK(t.subtopologies[0].output_topics == std::vector<std::string>{left});
  CHECK(t.subtopologies[1].join_source == 1);
  CHECK(t.subtopologies[1].input_topics == std::vector<std::string>{"r"});
  CHECK(t.subtopologies[1].output_topics == std::vector<std::string>{right});
  CHECK(t.subtopologies[2].input_topics == std::vector<std::string>{left, right});
  CHECK(t.JoinRepartitionTopic(0) == left);
  CHECK(t.JoinRepartitionTopic(1) == right);
}

TEST_CASE("join repartition: only the side that is not joined on its key is repartitioned", "[join][repartition]") {
  const TopologySpec t = Plan(
      "CREATE STREAM l (k STRING KEY, a STRING) WITH (kafka_topic='l', value_format='JSON', partitions=2);"
      "CREATE STREAM r (k STRING KEY, b STRING) WITH (kafka_topic='r', value_format='JSON', partitions=2);",
      "CREATE STREAM j AS SELECT l.k, a, b FROM l JOIN r WITHIN 1 MINUTE ON l.k = r.b;", "CSAS_J_0");
  REQUIRE(t.subtopologies.size() == 2);
  CHECK(t.subtopologies[0].join_source == 1);
  CHECK(t.subtopologies[1].input_topics ==
        std::vector<std::string>{"l", std::string(kPrefix) + "CSAS_J_0-Join-right-repartition"});
}

TEST_CASE("join repartition: one partition or a join on the keys needs none", "[join][repartition]") {
  CHECK(Plan(Orders(1), "CREATE STREAM e AS SELECT * FROM orders o JOIN customers c ON o.customer_id = c.id;",
             "CSAS_E_0")
            .subtopologies.size() == 1);
  const TopologySpec keyed =
      Plan(Orders(4), "CREATE STREAM e AS SELECT * FROM orders o JOIN customers c ON o.order_id = c.id;", "CSAS_E_0");
  REQUIRE(keyed.subtopologies.size() == 1);
  CHECK(keyed.repartition_topics.empty());
}

TEST_CASE("join repartition: every order meets its customer across 4 partitions", "[join][repartition]") {
  TestDriver driver;
  RequireOk(driver.Execute(Orders(4) +
                           "CREATE STREAM enriched AS SELECT o.customer_id AS cid, order_id, amount, name "
                           "FROM orders o LEFT JOIN customers c ON o.customer_id = c.id;"));
  // Customers are keyed (and partitioned) by id, orders by order id: most orders sit in another
  // partition than their customer.
  const std::vector<std::string> names = {"ann", "bob", "cid", "dan", "eve", "fay", "gus", "hal"};
  for (size_t c = 0; c < names.size(); ++c)
    RequireOk(driver.Produce(Keyed("customers", "c" + std::to_string(c), R"({"NAME":")" + names[c] + R"("})",
                                   static_cast<int64_t>(c), 4)));
  std::map<std::string, std::string> expected;  // order id -> joined value
  for (int o = 0; o < 40; ++o) {
    const int c = (o * 7) % 10;  // c8 and c9 have no customer: LEFT JOIN gives NULL
    const std::string order = "o" + std::to_string(o), customer = "c" + std::to_string(c);
    RequireOk(driver.Produce(Keyed("orders", order,
                                   R"({"CUSTOMER_ID":")" + customer + R"(","AMOUNT":)" + std::to_string(o) + "}",
                                   100 + o, 4)));
    expected[order] = R"({"ORDER_ID":")" + order + R"(","AMOUNT":)" + std::to_string(o) + R"(,"NAME":)" +
                      (c < 8 ? "\"" + names[static_cast<size_t>(c)] + "\"" : std::string("null")) + "}";
  }
  const auto& repartitioned = driver.Records(std::string("_confluent-ksql-") + "default_" +
                                             "query_CSAS_ENRICHED_0-Join-repartition");
  CHECK(repartitioned.size() == 40);
  const auto& out = driver.Records("ENRICHED");
  REQUIRE(out.size() == 40);
  std::map<std::string, std::string> got;
  for (const auto& r : out) {
    REQUIRE(r.key);
    CHECK(r.partition == KafkaPartitionForKey(*r.key, 4));  // keyed and partitioned by the customer id
    auto value = nlohmann::json::parse(*r.value);
    const std::string order = value["ORDER_ID"];
    CHECK(*r.key == "c" + std::to_string((std::stoi(order.substr(1)) * 7) % 10));
    CHECK(r.timestamp == 100 + std::stoi(order.substr(1)));
    got[order] = *r.value;
  }
  CHECK(got == expected);
}

TEST_CASE("join repartition: stream-stream join on value columns over 3 partitions", "[join][repartition]") {
  TestDriver driver;
  RequireOk(driver.Execute(
      "CREATE STREAM l (k STRING KEY, a STRING) WITH (kafka_topic='l', value_format='JSON', partitions=3);"
      "CREATE STREAM r (k STRING KEY, b STRING) WITH (kafka_topic='r', value_format='JSON', partitions=3);"
      "CREATE STREAM j AS SELECT l.a, l.k, r.k FROM l JOIN r WITHIN 1 MINUTE ON l.a = r.b;"));
  for (int i = 0; i < 12; ++i) {
    RequireOk(driver.Produce(Keyed("l", "l" + std::to_string(i), R"({"A":"x)" + std::to_string(i % 4) + R"("})", i, 3)));
    RequireOk(driver.Produce(Keyed("r", "r" + std::to_string(i), R"({"B":"x)" + std::to_string(i % 6) + R"("})", i, 3)));
  }
  // Left i joins every right j (within the minute) with j % 6 == i % 4: x0..x3 have 2 each.
  std::multiset<std::string> got, expected;
  for (int i = 0; i < 12; ++i)
    for (int j = 0; j < 12; ++j)
      if (j % 6 == i % 4)
        expected.insert("x" + std::to_string(i % 4) + "|" + R"({"L_K":"l)" + std::to_string(i) + R"(","R_K":"r)" +
                        std::to_string(j) + R"("})");
  for (const auto& r : driver.Records("J")) got.insert(r.key.value_or("") + "|" + r.value.value_or(""));
  CHECK(got == expected);
}

TEST_CASE("join repartition: GROUP BY over a join, by the join key or through the aggregation's repartition topic",
          "[join][repartition]") {
  const std::string ddl =
      Orders(4) + "CREATE TABLE accounts (id STRING PRIMARY KEY, tier STRING) WITH (kafka_topic='accounts', "
                  "value_format='JSON', partitions=4);";
  const TopologySpec by_key = Plan(
      ddl, "CREATE TABLE t AS SELECT c.id, COUNT(*) AS n FROM orders o JOIN customers c ON o.customer_id = c.id "
           "GROUP BY c.id;",
      "CTAS_T_0");
  REQUIRE(by_key.subtopologies.size() == 2);  // the re-keying of orders, then join + aggregate
  const SubTopologySpec& joined = by_key.subtopologies[1];
  CHECK(joined.role == SubTopologySpec::Role::kJoin);
  CHECK(joined.output_topics == std::vector<std::string>{"T"});
  REQUIRE(joined.stores.size() == 2);
  CHECK(joined.stores[1].name == "CTAS_T_0-Aggregate-Aggregate-Materialize");

  const TopologySpec by_name = Plan(
      ddl, "CREATE TABLE t AS SELECT name, COUNT(*) AS n FROM orders o JOIN customers c ON o.customer_id = c.id "
           "GROUP BY name;",
      "CTAS_T_0");
  const std::string groupby = std::string(kPrefix) + "CTAS_T_0-Aggregate-GroupBy-repartition";
  REQUIRE(by_name.subtopologies.size() == 3);
  CHECK(by_name.subtopologies[1].output_topics == std::vector<std::string>{groupby});
  CHECK(by_name.subtopologies[2].role == SubTopologySpec::Role::kAggregate);
  CHECK(by_name.subtopologies[2].input_topics == std::vector<std::string>{groupby});
  CHECK(by_name.repartition_topics ==
        std::vector<std::string>{std::string(kPrefix) + "CTAS_T_0-Join-repartition", groupby});

  // A table-table join's result is a table: the group-by stage materializes it.
  const TopologySpec tables = Plan(
      ddl, "CREATE TABLE t AS SELECT tier, COUNT(*) AS n FROM customers c JOIN accounts a ON c.id = a.id "
           "GROUP BY tier;",
      "CTAS_T_0");
  REQUIRE(tables.subtopologies.size() == 2);
  CHECK(tables.FindStore("-Join-Result-Reduce") != nullptr);
}

TEST_CASE("join repartition: GROUP BY over a join totals orders by customer name across 4 partitions",
          "[join][repartition]") {
  TestDriver driver;
  RequireOk(driver.Execute(Orders(4) +
                           "CREATE TABLE totals AS SELECT name, SUM(amount) AS total FROM orders o "
                           "JOIN customers c ON o.customer_id = c.id GROUP BY name;"));
  for (int c = 0; c < 6; ++c)
    RequireOk(driver.Produce(Keyed("customers", "c" + std::to_string(c),
                                   R"({"NAME":"n)" + std::to_string(c % 2) + R"("})", c, 4)));
  std::map<std::string, int> expected;
  for (int o = 0; o < 30; ++o) {
    const int c = o % 8;  // c6, c7: no customer, no row (INNER JOIN)
    RequireOk(driver.Produce(Keyed("orders", "o" + std::to_string(o),
                                   R"({"CUSTOMER_ID":"c)" + std::to_string(c) + R"(","AMOUNT":)" + std::to_string(o) + "}",
                                   100 + o, 4)));
    if (c < 6) expected["n" + std::to_string(c % 2)] += o;
  }
  std::map<std::string, int> latest;
  for (const auto& r : driver.Records("TOTALS")) {
    REQUIRE(r.key);
    CHECK(r.partition == KafkaPartitionForKey(*r.key, 4));
    latest[*r.key] = nlohmann::json::parse(*r.value)["TOTAL"].get<int>();
  }
  CHECK(latest == expected);
}

TEST_CASE("join repartition: a table-table join's updates replace their rows in a GROUP BY over it", "[join][repartition]") {
  TestDriver driver;
  RequireOk(driver.Execute(
      "CREATE TABLE a (id STRING PRIMARY KEY, tier STRING) WITH (kafka_topic='a', value_format='JSON');"
      "CREATE TABLE b (id STRING PRIMARY KEY, credit INT) WITH (kafka_topic='b', value_format='JSON');"
      "CREATE TABLE t AS SELECT tier, SUM(credit) AS credit FROM a JOIN b ON a.id = b.id GROUP BY tier;"));
  RequireOk(driver.Produce(Record("a", "x", R"({"TIER":"gold"})", 1)));
  RequireOk(driver.Produce(Record("b", "x", R"({"CREDIT":5})", 2)));
  RequireOk(driver.Produce(Record("a", "y", R"({"TIER":"gold"})", 3)));
  RequireOk(driver.Produce(Record("b", "y", R"({"CREDIT":7})", 4)));
  RequireOk(driver.Produce(Record("b", "x", R"({"CREDIT":1})", 5)));     // x's row: 5 -> 1
  RequireOk(driver.Produce(Record("a", "y", R"({"TIER":"silver"})", 6)));  // y moves to silver
  RequireOk(driver.Produce(Record("b", "x", std::nullopt, 7)));          // x's join row goes
  std::vector<std::string> got;
  for (const auto& r : driver.Records("T")) got.push_back(*r.key + "=" + r.value.value_or("<tombstone>"));
  CHECK(got == std::vector<std::string>{R"(gold={"CREDIT":5})", R"(gold={"CREDIT":12})", R"(gold={"CREDIT":8})",
                                        R"(gold={"CREDIT":1})", R"(silver={"CREDIT":7})", R"(gold={"CREDIT":0})"});
}

TEST_CASE("join repartition: PARTITION BY over a join re-keys the result", "[join][repartition]") {
  TestDriver driver;
  RequireOk(driver.Execute(Orders(4) +
                           "CREATE STREAM by_amount AS SELECT * FROM orders o JOIN customers c "
                           "ON o.customer_id = c.id PARTITION BY c.name;"));
  auto sink = driver.FindSource("BY_AMOUNT");
  REQUIRE(sink);
  std::vector<std::string> columns;
  for (const auto& c : sink->columns) columns.push_back(c.name);
  CHECK(columns == std::vector<std::string>{"C_NAME", "O_CUSTOMER_ID", "O_AMOUNT", "O_ROWTIME", "O_ROWPARTITION",
                                            "O_ROWOFFSET", "O_ORDER_ID", "C_ROWTIME", "C_ROWPARTITION", "C_ROWOFFSET",
                                            "C_ID"});
  CHECK(sink->columns[0].ns == ColumnNamespace::kKey);
  RequireOk(driver.Produce(Keyed("customers", "c1", R"({"NAME":"ann"})", 1, 4)));
  RequireOk(driver.Produce(Keyed("orders", "o1", R"({"CUSTOMER_ID":"c1","AMOUNT":42})", 2, 4)));
  const auto& out = driver.Records("BY_AMOUNT");
  REQUIRE(out.size() == 1);
  CHECK(*out[0].key == "ann");
  CHECK(out[0].partition == KafkaPartitionForKey("ann", 4));
  auto value = nlohmann::json::parse(*out[0].value);
  CHECK(value["O_ORDER_ID"] == "o1");
  CHECK(value["C_ID"] == "c1");
  CHECK(value["O_AMOUNT"] == 42);
  CHECK(value["O_ROWTIME"] == 2);
  CHECK(value.contains("C_NAME") == false);  // the key
}

TEST_CASE("join repartition: EXPLAIN shows the aggregation over the join and its repartition topics", "[join][repartition]") {
  Engine engine({});
  RequireOk(engine.Execute(Orders(4)));
  auto parsed = ParseSingleStatement(
      "EXPLAIN CREATE TABLE totals AS SELECT name, SUM(amount) AS total FROM orders o "
      "JOIN customers c ON o.customer_id = c.id GROUP BY name;");
  RequireOk(parsed.status());
  auto explained = engine.Explain(static_cast<const Explain&>(**parsed));
  RequireOk(explained.status());
  const auto& d = (*explained)["queryDescription"];
  const std::string plan = d["executionPlan"];
  CHECK(plan.find("[ AGGREGATE ]") < plan.find("[ JOIN ]"));
  const std::string topology = d["topology"];
  CHECK(topology.find("Sub-topology: 0 (join repartition)") != std::string::npos);
  CHECK(topology.find("Sink: [_confluent-ksql-default_query_CTAS_TOTALS_0-Join-repartition]") != std::string::npos);
  CHECK(topology.find("Sink: [_confluent-ksql-default_query_CTAS_TOTALS_0-Aggregate-GroupBy-repartition]") !=
        std::string::npos);
  CHECK(topology.find("Sub-topology: 2 (aggregate)") != std::string::npos);
}

}  // namespace join_repartition_test
