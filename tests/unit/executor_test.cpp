// The executor (engine/executor): EXPLAIN, statement atomicity, DROP of sources in use,
// statements it does not run.
#include <catch2/catch.hpp>

#include <set>

#include "engine/executor/engine.h"
#include "engine/parser/parser.h"
#include "tests/unit/test_util.h"

namespace executor_test {  // this file's own names (unity build: tests/README.md)

using namespace sluice;
using namespace sluice::testing;

namespace {

// A runner that keeps topics in a set and can be told to fail.
class FakeRunner : public QueryRunner {
 public:
  std::set<std::string> topics{"orders", "users"};  // created outside Sluice
  std::vector<std::string> deleted;
  std::vector<std::string> started;
  bool fail_start = false;
  std::string fail_topic;

  Status CreateTopic(const std::string& name, int) override {
    if (name == fail_topic) return Status::IOError("broker says no");
    topics.insert(name);
    return Status::OK();
  }
  Status DeleteTopic(const std::string& name) override {
    deleted.push_back(name);
    topics.erase(name);
    return Status::OK();
  }
  Result<bool> TopicExists(const std::string& name) override { return topics.count(name) > 0; }
  Status Produce(const KafkaRecord&) override { return Status::OK(); }
  Status Start(std::shared_ptr<const QueryPlan> plan, const TopologySpec&,
               const std::map<std::string, std::string>&) override {
    if (fail_start) return Status::RuntimeError("no stream thread left");
    started.push_back(plan->query_id);
    return Status::OK();
  }
  Status Stop(const std::string&) override { return Status::OK(); }
  Status Pause(const std::string&) override { return Status::OK(); }
  Status Resume(const std::string&) override { return Status::OK(); }
};

const char* kSources =
    "CREATE STREAM orders (id STRING KEY, user_id STRING, amount DOUBLE) "
    "WITH (kafka_topic='orders', value_format='JSON');"
    "CREATE TABLE users (user_id STRING PRIMARY KEY, name STRING) "
    "WITH (kafka_topic='users', value_format='JSON');";

const Explain& AsExplain(const StatementPtr& s) { return static_cast<const Explain&>(*s); }
}  // namespace

TEST_CASE("EXPLAIN <statement> describes the plan without running anything", "[executor]") {
  Engine engine({});
  RequireOk(engine.Execute(kSources));
  auto parsed = ParseSingleStatement("EXPLAIN CREATE STREAM big AS SELECT id, amount * 2 AS doubled FROM orders WHERE amount > 10;");
  RequireOk(parsed.status());
  auto explained = engine.Explain(AsExplain(*parsed));
  RequireOk(explained.status());
  const auto& entity = *explained;
  CHECK(entity["@type"] == "queryDescription");
  const auto& d = entity["queryDescription"];
  CHECK(d["id"] == "CSAS_BIG_0");
  CHECK(d["queryType"] == "PERSISTENT");
  CHECK(d["sources"] == nlohmann::json::array({"ORDERS"}));
  CHECK(d["sinks"] == nlohmann::json::array({"BIG"}));
  CHECK(d["windowType"].is_null());
  REQUIRE(d["fields"].size() == 2);
  CHECK(d["fields"][0]["name"] == "ID");
  CHECK(d["fields"][0]["type"] == "KEY");
  CHECK(d["fields"][0]["schema"]["type"] == "STRING");
  CHECK(d["fields"][1]["name"] == "DOUBLED");
  CHECK(!d["fields"][1].contains("type"));
  CHECK(d["fields"][1]["schema"]["type"] == "DOUBLE");
  const std::string plan = d["executionPlan"];
  CHECK(plan.rfind(" > [ SINK ] | Schema: ID STRING KEY, DOUBLED DOUBLE | Logger: CSAS_BIG_0.BIG\n", 0) == 0);
  CHECK(plan.find("\t\t > [ FILTER ]") != std::string::npos);
  CHECK(plan.find("> [ SOURCE ] | Schema: ID STRING KEY, USER_ID STRING, AMOUNT DOUBLE, ROWTIME BIGINT") !=
        std::string::npos);
  CHECK(std::string(d["topology"]).find("Source: [orders]") != std::string::npos);
  // Planned, not run: no sink, no query, and the next query still gets number 0.
  CHECK(!engine.metastore().FindSource("BIG"));
  RequireOk(engine.Execute("CREATE STREAM big AS SELECT id, amount FROM orders;"));
  auto by_id_stmt = ParseSingleStatement("EXPLAIN CSAS_BIG_0;");
  RequireOk(by_id_stmt.status());
  auto by_id = engine.Explain(AsExplain(*by_id_stmt));
  RequireOk(by_id.status());
  const nlohmann::json& running = (*by_id)["queryDescription"];
  CHECK(running["statementText"] == "CREATE STREAM big AS SELECT id, amount FROM orders;");
  CHECK(running["state"] == "RUNNING");
}

TEST_CASE("EXPLAIN of aggregations and joins names ksqlDB's steps; unknown ids are errors", "[executor]") {
  Engine engine({});
  RequireOk(engine.Execute(kSources));
  RequireOk(engine.Execute(
      "CREATE TABLE spend AS SELECT user_id, SUM(amount) AS total FROM orders "
      "WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY user_id;"
      "CREATE STREAM named AS SELECT o.user_id, o.amount, u.name FROM orders o JOIN users u ON o.user_id = u.user_id;"));
  auto agg = engine.Explain(AsExplain(*ParseSingleStatement("EXPLAIN CTAS_SPEND_0;")));
  RequireOk(agg.status());
  const auto& a = (*agg)["queryDescription"];
  CHECK(a["windowType"] == "TUMBLING");
  const std::string plan = a["executionPlan"];
  CHECK(plan.find("[ AGGREGATE ]") != std::string::npos);
  CHECK(plan.find("[ GROUP_BY ]") != std::string::npos);
  CHECK(std::string(a["topology"]).find("Aggregate-GroupBy-repartition") != std::string::npos);

  auto join = engine.Explain(AsExplain(*ParseSingleStatement("EXPLAIN CSAS_NAMED_1;")));
  RequireOk(join.status());
  const auto& j = (*join)["queryDescription"];
  CHECK(j["sources"] == nlohmann::json::array({"ORDERS", "USERS"}));
  CHECK(std::string(j["executionPlan"]).find("[ JOIN ]") != std::string::npos);

  auto unknown = engine.Explain(AsExplain(*ParseSingleStatement("EXPLAIN CSAS_NOPE_7;")));
  REQUIRE(!unknown.ok());
  CHECK(unknown.status().message() ==
        "Query with id:CSAS_NOPE_7 does not exist, use SHOW QUERIES to view the full set of queries.");
  Status s = engine.Execute("EXPLAIN CSAS_NOPE_7;");
  CHECK(s.message().find("Query with id:CSAS_NOPE_7 does not exist") != std::string::npos);
}

TEST_CASE("a CREATE AS SELECT whose query cannot start leaves nothing behind", "[executor]") {
  FakeRunner runner;
  Engine engine({});
  engine.SetQueryRunner(&runner);
  RequireOk(engine.Execute(kSources));
  runner.fail_start = true;
  Status s = engine.Execute(
      "CREATE TABLE spend AS SELECT user_id, SUM(amount) AS total FROM orders GROUP BY user_id;");
  REQUIRE(!s.ok());
  CHECK(s.message().find("no stream thread left") != std::string::npos);
  CHECK(!engine.metastore().FindSource("SPEND"));
  CHECK(runner.started.empty());
  // The sink topic and the query's repartition and changelog topics are gone; the source
  // topics (which existed before) are not touched.
  CHECK(runner.topics == std::set<std::string>{"orders", "users"});
  CHECK(std::find(runner.deleted.begin(), runner.deleted.end(), "SPEND") != runner.deleted.end());
  CHECK(runner.deleted.size() >= 3);
  for (const auto& t : engine.Topics()) CHECK(t.find("SPEND") == std::string::npos);

  // Once the runtime can start it, the same statement works.
  runner.fail_start = false;
  RequireOk(engine.Execute("CREATE TABLE spend AS SELECT user_id, SUM(amount) AS total FROM orders GROUP BY user_id;"));
  CHECK(engine.metastore().FindSource("SPEND"));
  CHECK(runner.started.size() == 1);
}

TEST_CASE("a failed statement keeps a sink topic that existed before it", "[executor]") {
  FakeRunner runner;
  runner.topics.insert("existing");
  Engine engine({});
  engine.SetQueryRunner(&runner);
  RequireOk(engine.Execute(kSources));
  runner.fail_start = true;
  REQUIRE(!engine.Execute("CREATE STREAM big WITH (kafka_topic='existing') AS SELECT id, amount FROM orders;").ok());
  CHECK(runner.topics.count("existing") == 1);
  CHECK(!engine.metastore().FindSource("BIG"));

  runner.fail_start = false;
  runner.fail_topic = "BIG2";  // topic creation fails: nothing registered
  Status s = engine.Execute("CREATE STREAM big2 AS SELECT id, amount FROM orders;");
  REQUIRE(!s.ok());
  CHECK(s.message().find("Could not create topic BIG2") != std::string::npos);
  CHECK(!engine.metastore().FindSource("BIG2"));
  CHECK(runner.started.empty());
}

TEST_CASE("DROP refuses a source any query reads, the right side of a join included", "[executor]") {
  Engine engine({});
  RequireOk(engine.Execute(kSources));
  RequireOk(engine.Execute(
      "CREATE STREAM named AS SELECT o.user_id, o.amount, u.name FROM orders o JOIN users u ON o.user_id = u.user_id;"));
  Status s = engine.Execute("DROP TABLE users;");
  REQUIRE(!s.ok());
  CHECK(s.message().find("The following queries read from this source: [CSAS_NAMED_0]") != std::string::npos);
  CHECK(engine.metastore().FindSource("USERS"));
  RequireOk(engine.Execute("TERMINATE CSAS_NAMED_0; DROP TABLE users;"));
  CHECK(!engine.metastore().FindSource("USERS"));
}

TEST_CASE("statements the engine does not run say so", "[executor]") {
  Engine engine({});
  Status s = engine.Execute("CREATE SOURCE CONNECTOR c WITH ('connector.class'='x');");
  CHECK(s.code() == Status::Code::kNotSupported);
  CHECK(s.message().find("Kafka Connect") != std::string::npos);
  CHECK(engine.Execute("PRINT 'orders';").code() == Status::Code::kNotSupported);
  RequireOk(engine.Execute("SHOW STREAMS; LIST QUERIES;"));
}

TEST_CASE("errors point at the offending expression and use ksqlDB's wording", "[executor]") {
  Engine engine({});
  RequireOk(engine.Execute(kSources));
  Status s = engine.Execute("CREATE STREAM out AS\n  SELECT id, nope FROM orders;");
  CHECK(s.message().rfind("Line: 2, Col: 14: SELECT column 'NOPE' cannot be resolved.", 0) == 0);
  s = engine.Execute("INSERT INTO unknown SELECT id, amount FROM orders;");
  CHECK(s.message().rfind("Line: 1, Col: 13: Source `UNKNOWN` does not exist.", 0) == 0);
  s = engine.Execute("CREATE STREAM out AS SELECT id, amount AS rowtime FROM orders;");
  CHECK(s.message().rfind("`ROWTIME` is a reserved column name. You cannot use it as an alias for a column.", 0) == 0);
  s = engine.Execute("CREATE STREAM out AS SELECT id, CAST(user_id AS ARRAY<INT>) AS a FROM orders;");
  CHECK(s.message().rfind("Invalid Select: Cast of STRING to ARRAY<INTEGER> is not supported", 0) == 0);
  s = engine.Execute("CREATE STREAM out AS SELECT amount FROM orders PARTITION BY id, user_id;");
  CHECK(s.message().find("must include the partitioning expressions ORDERS.ID and ORDERS.USER_ID in its "
                         "projection (eg, SELECT ORDERS.ID, ORDERS.USER_ID...).") != std::string::npos);
}

TEST_CASE("INSERT VALUES coerces a struct literal to its column's struct, as ksqlDB does", "[executor]") {
  Engine engine({});
  RequireOk(engine.Execute("CREATE STREAM s (id STRING KEY, st STRUCT<A INT, B STRING>, arr ARRAY<STRUCT<A INT, B STRING>>) "
                           "WITH (kafka_topic='s', value_format='JSON', partitions=1);"));
  // A field the literal lacks is NULL; a field the column lacks is dropped; arrays of structs too.
  RequireOk(engine.Execute("INSERT INTO s (id, st, arr) VALUES ('k', STRUCT(B:='x', EXTRA:=1), ARRAY[STRUCT(A:=1)]);"));
  const auto& records = engine.Records("s");
  REQUIRE(records.size() == 1);
  REQUIRE(records[0].value.has_value());
  CHECK(nlohmann::json::parse(*records[0].value) ==
        nlohmann::json::parse(R"({"ST":{"A":null,"B":"x"},"ARR":[{"A":1,"B":null}]})"));
  // A field whose value cannot become the column field's type is still refused.
  Status wrong = engine.Execute("INSERT INTO s (id, st) VALUES ('k', STRUCT(A:='not a number'));");
  CHECK_FALSE(wrong.ok());
  CHECK_THAT(wrong.message(), Catch::Contains("for field ST but got STRUCT(A:='not a number')"));
  CHECK(engine.Records("s").size() == 1);
}

}  // namespace executor_test
