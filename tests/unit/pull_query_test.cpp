// Pull queries through the in-memory Engine (engine/executor/pull_query.cpp): key lookups,
// IN, ranges, scans, LIMIT, windowed bounds, aggregate finalization, streams, and ksqlDB's
// errors.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>

#include "engine/executor/engine.h"
#include "engine/executor/pull/pull_plan.h"
#include "engine/parser/parser.h"
#include "tests/unit/test_util.h"

namespace pull_query_test {  // this file's own names (unity build: tests/README.md)

using namespace sluice;
using namespace sluice::testing;

namespace {

struct PullResult {
  Status status;
  std::string schema;
  nlohmann::json rows;
};

PullResult Pull(Engine& engine, const std::string& sql, std::map<std::string, std::string> props = {}) {
  auto parsed = ParseSingleStatement(sql);
  RequireOk(parsed.status());
  REQUIRE((*parsed)->kind == StatementKind::kQuery);
  auto sink = std::make_shared<CollectSink>();
  auto running = engine.StartQuery(static_cast<const QueryStatement&>(**parsed), props, sink);
  if (!running.ok()) {
    CHECK(sink->schemas == 0);
    return {running.status(), "", nullptr};
  }
  CHECK((*running)->finished());
  CHECK(sink->schemas == 1);
  CHECK(sink->ends == 1);
  CHECK(sink->schema.is_pull);
  return {sink->end, sink->schema.schema, sink->rows};
}

// The rows of a successful pull query.
nlohmann::json Rows(Engine& engine, const std::string& sql, std::map<std::string, std::string> props = {}) {
  PullResult r = Pull(engine, sql, std::move(props));
  RequireOk(r.status);
  return r.rows;
}

void Produce(Engine& engine, const std::string& topic, std::optional<std::string> key,
             std::optional<std::string> value, int64_t ts = 0) {
  KafkaRecord r;
  r.topic = topic;
  r.key = std::move(key);
  r.value = std::move(value);
  r.timestamp = ts;
  RequireOk(engine.Produce(std::move(r)));
}

std::string BigintKey(int64_t v) {
  std::string s(8, '\0');
  for (int i = 7; i >= 0; --i, v >>= 8) s[i] = static_cast<char>(v & 0xff);
  return s;
}

using json = nlohmann::json;

}  // namespace

TEST_CASE("pull query: lookups, IN, scans and projections on a CTAS copy of a table", "[pull]") {
  Engine engine({});
  RequireOk(engine.Execute(
      "CREATE TABLE USERS (ID BIGINT PRIMARY KEY, USERTIMESTAMP BIGINT, GENDER VARCHAR, REGION_ID VARCHAR) "
      "WITH (KAFKA_TOPIC='users_topic', VALUE_FORMAT='JSON', PARTITIONS=1);"
      "CREATE TABLE QUERYABLE_USERS AS SELECT * FROM USERS;"));
  Produce(engine, "users_topic", BigintKey(1), R"({"USERTIMESTAMP":1000,"GENDER":"m","REGION_ID":"w"})", 10);
  Produce(engine, "users_topic", BigintKey(2), R"({"USERTIMESTAMP":2000,"GENDER":"f","REGION_ID":"e"})", 20);
  Produce(engine, "users_topic", BigintKey(3), R"({"USERTIMESTAMP":3000,"GENDER":"f","REGION_ID":"n"})", 30);
  Produce(engine, "users_topic", BigintKey(2), R"({"USERTIMESTAMP":2500,"GENDER":"x","REGION_ID":"s"})", 40);
  Produce(engine, "users_topic", BigintKey(3), std::nullopt, 50);  // deleted

  PullResult all = Pull(engine, "SELECT * FROM QUERYABLE_USERS;");
  RequireOk(all.status);
  CHECK(all.schema == "`ID` BIGINT KEY, `USERTIMESTAMP` BIGINT, `GENDER` STRING, `REGION_ID` STRING");
  CHECK(all.rows == json::parse(R"([[1,1000,"m","w"],[2,2500,"x","s"]])"));

  CHECK(Rows(engine, "SELECT * FROM QUERYABLE_USERS WHERE ID=2;") == json::parse(R"([[2,2500,"x","s"]])"));
  CHECK(Rows(engine, "SELECT * FROM QUERYABLE_USERS WHERE ID=3;") == json::array());
  CHECK(Rows(engine, "SELECT ID, GENDER FROM QUERYABLE_USERS WHERE ID IN (1, 2, 7);") ==
        json::parse(R"([[1,"m"],[2,"x"]])"));
  // Any column in WHERE (a table scan), expressions and ROWTIME in the projection.
  PullResult projected =
      Pull(engine, "SELECT GENDER, USERTIMESTAMP * 2 AS DOUBLED, ROWTIME, ID FROM QUERYABLE_USERS WHERE REGION_ID = 's';");
  RequireOk(projected.status);
  CHECK(projected.schema == "`GENDER` STRING, `DOUBLED` BIGINT, `ROWTIME` BIGINT, `ID` BIGINT KEY");
  CHECK(projected.rows == json::parse(R"([["x",5000,40,2]])"));
  CHECK(Rows(engine, "SELECT ID FROM QUERYABLE_USERS WHERE ID = 1 OR GENDER = 'x';") == json::parse("[[1],[2]]"));
}

TEST_CASE("pull query: ranges on the key and LIMIT", "[pull]") {
  Engine engine({});
  RequireOk(engine.Execute(
      "CREATE TABLE INPUT (ID INT PRIMARY KEY, NAME STRING) WITH (kafka_topic='in', value_format='JSON', PARTITIONS=1);"
      "CREATE TABLE MAT AS SELECT * FROM INPUT;"
      "CREATE TABLE SINPUT (ID STRING PRIMARY KEY, V STRING) WITH (kafka_topic='sin', value_format='JSON', PARTITIONS=1);"
      "CREATE TABLE SMAT AS SELECT * FROM SINPUT;"));
  for (int i = 1; i <= 12; ++i) {
    std::string key(4, '\0');
    key[3] = static_cast<char>(i);
    Produce(engine, "in", key, R"({"NAME":"n)" + std::to_string(i) + R"("})");
    Produce(engine, "sin", "k" + std::to_string(i), R"({"V":"v)" + std::to_string(i) + R"("})");
  }
  CHECK(Rows(engine, "SELECT ID FROM MAT WHERE ID > 5 AND ID < 10;") == json::parse("[[6],[7],[8],[9]]"));
  CHECK(Rows(engine, "SELECT ID FROM MAT WHERE ID BETWEEN 11 AND 20;") == json::parse("[[11],[12]]"));
  CHECK(Rows(engine, "SELECT ID, NAME FROM MAT WHERE ID >= 3 LIMIT 2;") == json::parse(R"([[3,"n3"],[4,"n4"]])"));
  CHECK(Rows(engine, "SELECT * FROM MAT LIMIT 0;") == json::array());
  CHECK(Rows(engine, "SELECT * FROM MAT LIMIT 3;").size() == 3);
  CHECK(Rows(engine, "SELECT ID FROM SMAT WHERE ID < 'k12';") == json::parse(R"([["k1"],["k10"],["k11"]])"));
  // Range scans on a STRING key are allowed with table scans disabled; on an INT key not.
  const std::map<std::string, std::string> no_scans{{"ksql.query.pull.table.scan.enabled", "false"}};
  CHECK(Rows(engine, "SELECT ID FROM SMAT WHERE ID >= 'k8';", no_scans) == json::parse(R"([["k8"],["k9"]])"));
  CHECK(Rows(engine, "SELECT ID FROM SMAT WHERE ID = 'k8';", no_scans) == json::parse(R"([["k8"]])"));
  PullResult refused = Pull(engine, "SELECT ID FROM MAT WHERE ID >= 3;", no_scans);
  CHECK_THAT(refused.status.message(), Catch::StartsWith("Query requires table scan to be enabled."));
  refused = Pull(engine, "SELECT ID FROM SMAT WHERE ID >= 'k1' AND ID <= 'k3';", no_scans);
  CHECK_THAT(refused.status.message(),
             Catch::StartsWith("A comparison condition on the key column cannot be combined with other comparisons "
                               "such as an IN predicate."));
  refused = Pull(engine, "SELECT ID FROM SMAT WHERE V = 'v1';", no_scans);
  CHECK_THAT(refused.status.message(), Catch::StartsWith("WHERE clause missing key column for disjunct: (V = 'v1')."));
}

TEST_CASE("pull query: aggregates come out finalized, HAVING applied", "[pull]") {
  Engine engine(std::map<std::string, std::string>{{"ksql.streams.cache.max.bytes.buffering", "0"}});
  RequireOk(engine.Execute(
      "CREATE STREAM ORDERS (ID STRING KEY, USER_ID STRING, AMOUNT DOUBLE) WITH (kafka_topic='orders', value_format='JSON', PARTITIONS=1);"
      "CREATE TABLE TOTALS AS SELECT USER_ID, COUNT(*) AS N, AVG(AMOUNT) AS AVG_AMOUNT, SUM(AMOUNT) AS TOTAL "
      "FROM ORDERS GROUP BY USER_ID HAVING COUNT(*) > 1;"));
  Produce(engine, "orders", "o1", R"({"USER_ID":"alice","AMOUNT":10.0})", 1);
  Produce(engine, "orders", "o2", R"({"USER_ID":"alice","AMOUNT":20.0})", 2);
  Produce(engine, "orders", "o3", R"({"USER_ID":"bob","AMOUNT":5.0})", 3);
  Produce(engine, "orders", "o4", R"({"USER_ID":"alice","AMOUNT":60.0})", 4);
  PullResult r = Pull(engine, "SELECT * FROM TOTALS;");
  RequireOk(r.status);
  CHECK(r.schema == "`USER_ID` STRING KEY, `N` BIGINT, `AVG_AMOUNT` DOUBLE, `TOTAL` DOUBLE");
  CHECK(r.rows == json::parse(R"([["alice",3,30.0,90.0]])"));  // bob has one order: HAVING drops it
  CHECK(Rows(engine, "SELECT AVG_AMOUNT FROM TOTALS WHERE USER_ID = 'alice';") == json::parse("[[30.0]]"));
  CHECK(Rows(engine, "SELECT * FROM TOTALS WHERE USER_ID = 'bob';") == json::array());
}

TEST_CASE("pull query: windowed tables with bounds on WINDOWSTART and WINDOWEND", "[pull]") {
  Engine engine(std::map<std::string, std::string>{{"ksql.streams.cache.max.bytes.buffering", "0"}});
  RequireOk(engine.Execute(
      "CREATE STREAM INPUT (ID STRING KEY, IGNORED INT) WITH (kafka_topic='t', value_format='JSON', PARTITIONS=1);"
      "CREATE TABLE AGG AS SELECT ID, COUNT(1) AS COUNT FROM INPUT WINDOW TUMBLING(SIZE 1 SECOND) GROUP BY ID;"));
  for (int64_t ts : {12001, 12345, 12211, 14253, 15364}) Produce(engine, "t", ts == 12001 ? "11" : "10", "{}", ts);
  PullResult star = Pull(engine, "SELECT * FROM AGG WHERE ID = '10';");
  RequireOk(star.status);
  CHECK(star.schema == "`ID` STRING KEY, `WINDOWSTART` BIGINT KEY, `WINDOWEND` BIGINT KEY, `COUNT` BIGINT");
  CHECK(star.rows == json::parse(R"([["10",12000,13000,2],["10",14000,15000,1],["10",15000,16000,1]])"));
  CHECK(Rows(engine, "SELECT ID, WINDOWSTART, WINDOWEND, ROWTIME, COUNT FROM AGG WHERE 12000 <= WindowStart AND WindowStart < 14000;") ==
        json::parse(R"([["10",12000,13000,12345,2],["11",12000,13000,12001,1]])"));
  CHECK(Rows(engine, "SELECT COUNT FROM AGG WHERE ID = '10' AND WINDOWEND > 15000;") == json::parse("[[1]]"));
  CHECK(Rows(engine, "SELECT * FROM AGG WHERE WindowStart > 17000;") == json::array());
  PullResult bad = Pull(engine, "SELECT * FROM AGG WHERE ID = '10' AND WINDOWSTART != 1;",
                        {{"ksql.query.pull.table.scan.enabled", "false"}});
  CHECK_THAT(bad.status.message(), Catch::StartsWith("Unsupported WINDOWSTART bounds: NOT_EQUAL."));
}

TEST_CASE("pull query: SOURCE tables and streams", "[pull]") {
  Engine engine({});
  RequireOk(engine.Execute(
      "CREATE SOURCE TABLE RIDERS (PROFILEID STRING PRIMARY KEY, LAT DOUBLE) WITH (kafka_topic='riders', value_format='JSON', PARTITIONS=1);"
      "CREATE STREAM LOCATIONS (PROFILEID VARCHAR, LAT DOUBLE) WITH (kafka_topic='locations', value_format='JSON', PARTITIONS=1);"));
  Produce(engine, "riders", "b", R"({"LAT":1.5})");
  Produce(engine, "riders", "a", R"({"LAT":2.5})");
  Produce(engine, "riders", "b", R"({"LAT":3.5})");
  PullResult t = Pull(engine, "SELECT * FROM RIDERS;");
  RequireOk(t.status);
  CHECK(t.schema == "`PROFILEID` STRING KEY, `LAT` DOUBLE");
  CHECK(t.rows == json::parse(R"([["a",2.5],["b",3.5]])"));  // key order
  for (const char* id : {"x", "y", "x"}) Produce(engine, "locations", std::nullopt, std::string(R"({"PROFILEID":")") + id + R"(","LAT":1.0})");
  PullResult s = Pull(engine, "SELECT * FROM LOCATIONS;");
  RequireOk(s.status);
  CHECK(s.schema == "`PROFILEID` STRING, `LAT` DOUBLE");  // a stream's result has no KEY columns
  CHECK(s.rows == json::parse(R"([["x",1.0],["y",1.0],["x",1.0]])"));
  CHECK(Rows(engine, "SELECT PROFILEID FROM LOCATIONS WHERE PROFILEID = 'x' LIMIT 1;") == json::parse(R"([["x"]])"));
  PullResult off = Pull(engine, "SELECT * FROM LOCATIONS;", {{"ksql.query.pull.stream.enabled", "false"}});
  CHECK_THAT(off.status.message(), Catch::StartsWith("Pull queries on streams are disabled."));
}

TEST_CASE("pull query: values as ksqlDB's REST API writes them", "[pull]") {
  Engine engine({});
  RequireOk(engine.Execute(
      "CREATE SOURCE TABLE T (ID STRING PRIMARY KEY, TS TIMESTAMP, D DATE, TM TIME, B BYTES, "
      "S STRUCT<A INT, L ARRAY<TIMESTAMP>>, DEC DECIMAL(4, 2)) WITH (kafka_topic='t', value_format='JSON', PARTITIONS=1);"));
  Produce(engine, "t", "k",
          R"({"TS":1614593730123,"D":18687,"TM":36900000,"B":"IQ==","S":{"A":1,"L":[-1]},"DEC":12.5})");
  Produce(engine, "t", "m", R"({"TM":36930000})");
  CHECK(Rows(engine, "SELECT TS, D, TM, B, S, DEC FROM T WHERE ID = 'k';") ==
        json::parse(R"([["2021-03-01T10:15:30.123","2021-03-01","10:15","IQ==",{"A":1,"L":["1969-12-31T23:59:59.999"]},12.5]])"));
  CHECK(Rows(engine, "SELECT TM, TS FROM T WHERE ID = 'm';") == json::parse(R"([["10:15:30",null]])"));
}

TEST_CASE("pull query: ksqlDB's errors", "[pull]") {
  Engine engine({});
  RequireOk(engine.Execute(
      "CREATE TABLE USERS (ID BIGINT PRIMARY KEY, NAME STRING) WITH (kafka_topic='u', value_format='JSON', PARTITIONS=1);"
      "CREATE TABLE Q AS SELECT * FROM USERS;"
      "CREATE TABLE S (ID STRING PRIMARY KEY, RANK INT) WITH (kafka_topic='s', value_format='JSON', PARTITIONS=1);"
      "CREATE TABLE SQ AS SELECT * FROM S;"));
  auto message = [&](const std::string& sql, std::map<std::string, std::string> props = {}) {
    PullResult r = Pull(engine, sql, std::move(props));
    REQUIRE(!r.status.ok());
    return r.status.message();
  };
  CHECK(message("SELECT * FROM USERS;") ==
        "The `USERS` table isn't queryable. To derive a queryable table, you can do 'CREATE TABLE QUERYABLE_USERS AS "
        "SELECT * FROM USERS'. See https://cnfl.io/queries for more info.\nAdd EMIT CHANGES if you intended to issue "
        "a push query.");
  RequireOk(engine.Execute("CREATE TABLE GONE AS SELECT * FROM USERS;"));
  CHECK(Pull(engine, "SELECT * FROM GONE;").status.ok());
  RequireOk(engine.Execute("TERMINATE " + *engine.last_started_query() + ";"));
  CHECK_THAT(message("SELECT * FROM GONE;"), Catch::StartsWith("The `GONE` table isn't queryable."));
  CHECK_THAT(message("SELECT *, ROWPARTITION FROM Q WHERE ID=2;"),
             Catch::StartsWith("Pull queries don't support the following columns in SELECT clauses: `ROWPARTITION`"));
  CHECK_THAT(message("SELECT ID FROM Q WHERE ID = 2 AND ROWOFFSET < 3;"),
             Catch::StartsWith("Pull queries don't support the following columns in WHERE clauses: `ROWOFFSET`"));
  CHECK_THAT(message("SELECT ID, COUNT(*) FROM Q GROUP BY ID;"),
             Catch::StartsWith("Pull queries don't support GROUP BY clauses."));
  CHECK_THAT(message("SELECT * FROM NOPE;"), Catch::Contains("NOPE does not exist."));
  CHECK_THAT(message("SELECT * FROM SQ WHERE RANK LIKE 'a%';"),
             Catch::StartsWith("The column type for Like condition must be VARCHAR. The column type is INTEGER"));
  CHECK_THAT(message("SELECT * FROM SQ WHERE ID = 11;"),
             Catch::StartsWith("Error in WHERE expression: Cannot compare ID (STRING) to 11 (INTEGER) with EQUAL.\n"
                               "Statement: (ID = 11)"));
  CHECK_THAT(message("SELECT * FROM SQ WHERE ID BETWEEN 10 AND 'x';"),
             Catch::StartsWith("Invalid expression: Cannot compare ID (STRING) to 10 (INTEGER) with GREATER_THAN_OR_EQUAL"));
  CHECK_THAT(message("SELECT * FROM SQ WHERE RANK > 1;", {{"ksql.query.pull.table.scan.enabled", "false"}}),
             Catch::StartsWith("WHERE clause missing key column for disjunct: (RANK > 1)."));
}

namespace {
// A runner whose topics hold what the test says, recording what pull queries ask of it.
class ReadingRunner : public QueryRunner {
 public:
  std::vector<KafkaRecord> table_rows;  // ReadTable's answer before key filtering
  std::vector<std::string> asked_keys;
  bool asked_windowed = false;
  std::chrono::milliseconds asked_staleness{-1};
  int table_reads = 0, topic_reads = 0;
  Status CreateTopic(const std::string&, int) override { return Status::OK(); }
  Status DeleteTopic(const std::string&) override { return Status::OK(); }
  Status Produce(const KafkaRecord&) override { return Status::OK(); }
  Status Start(std::shared_ptr<const QueryPlan>, const TopologySpec&, const std::map<std::string, std::string>&) override {
    return Status::OK();
  }
  Status Stop(const std::string&) override { return Status::OK(); }
  Status Pause(const std::string&) override { return Status::OK(); }
  Status Resume(const std::string&) override { return Status::OK(); }
  Status ReadTable(const std::string&, const std::vector<std::string>& keys, bool windowed,
                   std::chrono::milliseconds max_staleness, const RecordFn& fn) override {
    ++table_reads;
    asked_keys = keys;
    asked_windowed = windowed;
    asked_staleness = max_staleness;
    for (const auto& r : table_rows)
      if ((keys.empty() || std::find(keys.begin(), keys.end(), *r.key) != keys.end()) && !fn(r)) break;
    return Status::OK();
  }
  Status ReadTopic(const std::string&, const RecordFn& fn) override {
    ++topic_reads;
    for (const auto& r : table_rows)
      if (!fn(r)) break;
    return Status::OK();
  }
};
}  // namespace

TEST_CASE("pull query: with a runner, key lookups ask for the serialized keys only", "[pull]") {
  ReadingRunner runner;
  Engine engine({});
  engine.SetQueryRunner(&runner);
  RequireOk(engine.Execute(
      "CREATE TABLE USERS (ID BIGINT PRIMARY KEY, NAME STRING) WITH (kafka_topic='u', value_format='JSON', PARTITIONS=2);"
      "CREATE TABLE Q AS SELECT * FROM USERS;"
      "CREATE TABLE JUSERS (ID BIGINT PRIMARY KEY, NAME STRING) WITH (kafka_topic='j', format='JSON', PARTITIONS=2);"
      "CREATE TABLE JQ AS SELECT * FROM JUSERS;"));
  for (int64_t id : {1, 2, 3}) {
    KafkaRecord r;
    r.key = BigintKey(id);
    r.value = R"({"NAME":"n)" + std::to_string(id) + R"("})";
    runner.table_rows.push_back(r);
  }
  CHECK(Rows(engine, "SELECT ID, NAME FROM Q WHERE ID IN (3, 1);") == json::parse(R"([[1,"n1"],[3,"n3"]])"));
  CHECK(runner.asked_keys == std::vector<std::string>{BigintKey(1), BigintKey(3)});
  CHECK(!runner.asked_windowed);
  CHECK(runner.asked_staleness == std::chrono::milliseconds(kDefaultPullMaxStalenessMs));
  // A request may ask for fresher rows (0: read-your-writes).
  CHECK(Rows(engine, "SELECT ID FROM Q WHERE ID = 1;", {{kPullMaxStalenessProperty, "0"}}) == json::parse("[[1]]"));
  CHECK(runner.asked_staleness == std::chrono::milliseconds(0));
  PullResult bad = Pull(engine, "SELECT ID FROM Q WHERE ID = 1;", {{kPullMaxStalenessProperty, "soon"}});
  CHECK_THAT(bad.status.message(), Catch::Contains(kPullMaxStalenessProperty));
  CHECK(runner.table_reads == 2);  // refused before reading
  // An INTEGER literal for a BIGINT key is converted before it is serialized.
  CHECK(Rows(engine, "SELECT NAME FROM Q WHERE ID = 2;") == json::parse(R"([["n2"]])"));
  CHECK(runner.asked_keys == std::vector<std::string>{BigintKey(2)});
  // Ranges, other columns and OR with a non-key column read everything, then filter.
  CHECK(Rows(engine, "SELECT ID FROM Q WHERE ID > 1;") == json::parse("[[2],[3]]"));
  CHECK(runner.asked_keys.empty());
  CHECK(Rows(engine, "SELECT ID FROM Q WHERE ID = 1 OR NAME = 'n2';") == json::parse("[[1],[2]]"));
  CHECK(runner.asked_keys.empty());
  // A JSON key is not looked up by bytes (another writer's JSON may differ in spacing).
  runner.table_rows.clear();
  KafkaRecord j;
  j.key = "  2";
  j.value = R"({"NAME":"json"})";
  runner.table_rows.push_back(j);
  CHECK(Rows(engine, "SELECT NAME FROM JQ WHERE ID = 2;") == json::parse(R"([["json"]])"));
  CHECK(runner.asked_keys.empty());
  CHECK(runner.topic_reads == 0);
  CHECK(Rows(engine, "SELECT * FROM JQ LIMIT 0;") == json::array());
  CHECK(runner.table_reads == 6);  // LIMIT 0 reads nothing
}

}  // namespace pull_query_test
