// Joins through the test driver: stream-table, table-table and stream-stream semantics, key
// naming and the errors ksqlDB gives for joins it refuses.
#include <catch2/catch.hpp>

#include "engine/runtime/test_driver.h"
#include "tests/unit/test_util.h"

namespace join_test {  // this file's own names (unity build: tests/README.md)

using namespace sluice;
using namespace sluice::testing;

namespace {
std::string ValueOf(const KafkaRecord& r) { return r.value ? *r.value : "<tombstone>"; }
}  // namespace

TEST_CASE("stream-table LEFT JOIN looks the table up; table updates do not emit", "[join]") {
  TestDriver driver;
  RequireOk(driver.Execute(
      "CREATE STREAM orders (id STRING KEY, amount INT) WITH (kafka_topic='orders', value_format='JSON');"
      "CREATE TABLE users (id STRING PRIMARY KEY, city STRING) WITH (kafka_topic='users', value_format='JSON');"
      "CREATE STREAM enriched AS SELECT o.id, amount, city FROM orders o LEFT JOIN users u ON o.id = u.id;"));
  RequireOk(driver.Produce(Record("users", "a", R"({"CITY":"paris"})", 1)));
  RequireOk(driver.Produce(Record("orders", "a", R"({"AMOUNT":5})", 2)));
  RequireOk(driver.Produce(Record("orders", "b", R"({"AMOUNT":7})", 3)));
  RequireOk(driver.Produce(Record("users", "a", std::nullopt, 4)));  // the user is deleted
  RequireOk(driver.Produce(Record("orders", "a", R"({"AMOUNT":6})", 5)));
  const auto& out = driver.Records("ENRICHED");
  REQUIRE(out.size() == 3);
  CHECK(*out[0].key == "a");
  CHECK(ValueOf(out[0]) == R"({"AMOUNT":5,"CITY":"paris"})");
  CHECK(out[0].timestamp == 2);
  CHECK(ValueOf(out[1]) == R"({"AMOUNT":7,"CITY":null})");
  CHECK(ValueOf(out[2]) == R"({"AMOUNT":6,"CITY":null})");
  auto sink = driver.FindSource("ENRICHED");
  REQUIRE(sink);
  CHECK(sink->columns[0].name == "O_ID");  // both sources have ID: the qualified name keeps its alias
}

TEST_CASE("stream-table INNER JOIN drops unmatched records", "[join]") {
  TestDriver driver;
  RequireOk(driver.Execute(
      "CREATE STREAM s (k STRING KEY, v INT) WITH (kafka_topic='s', value_format='JSON');"
      "CREATE TABLE t (k STRING PRIMARY KEY, w STRING) WITH (kafka_topic='t', value_format='JSON');"
      "CREATE STREAM j AS SELECT * FROM s JOIN t ON s.k = t.k;"));
  RequireOk(driver.Produce(Record("s", "1", R"({"V":1})", 1)));
  RequireOk(driver.Produce(Record("t", "1", R"({"W":"x"})", 2)));
  RequireOk(driver.Produce(Record("s", "1", R"({"V":2})", 3)));
  const auto& out = driver.Records("J");
  REQUIRE(out.size() == 1);
  CHECK(*out[0].key == "1");
  CHECK(ValueOf(out[0]) == R"({"S_V":2,"T_K":"1","T_W":"x"})");
  auto sink = driver.FindSource("J");
  REQUIRE(sink);
  CHECK(sink->columns[0].name == "S_K");
}

TEST_CASE("table-table FULL OUTER JOIN emits every update and tombstones", "[join]") {
  TestDriver driver;
  RequireOk(driver.Execute(
      "CREATE TABLE a (id STRING PRIMARY KEY, x STRING) WITH (kafka_topic='a', value_format='JSON');"
      "CREATE TABLE b (id STRING PRIMARY KEY, y STRING) WITH (kafka_topic='b', value_format='JSON');"
      "CREATE TABLE ab AS SELECT ROWKEY AS id, x, y FROM a FULL OUTER JOIN b ON a.id = b.id;"));
  RequireOk(driver.Produce(Record("a", "1", R"({"X":"a1"})", 10)));
  RequireOk(driver.Produce(Record("b", "1", R"({"Y":"b1"})", 5)));
  RequireOk(driver.Produce(Record("a", "1", std::nullopt, 20)));
  RequireOk(driver.Produce(Record("b", "1", std::nullopt, 30)));
  const auto& out = driver.Records("AB");
  REQUIRE(out.size() == 4);
  CHECK(ValueOf(out[0]) == R"({"X":"a1","Y":null})");
  CHECK(ValueOf(out[1]) == R"({"X":"a1","Y":"b1"})");
  CHECK(out[1].timestamp == 10);  // the later of the two rows
  CHECK(ValueOf(out[2]) == R"({"X":null,"Y":"b1"})");
  CHECK(ValueOf(out[3]) == "<tombstone>");
  for (const auto& r : out) CHECK(*r.key == "1");
}

TEST_CASE("stream-stream INNER JOIN matches within the window only", "[join]") {
  TestDriver driver;
  RequireOk(driver.Execute(
      "CREATE STREAM l (id STRING KEY, a STRING) WITH (kafka_topic='l', value_format='JSON');"
      "CREATE STREAM r (id STRING KEY, b STRING) WITH (kafka_topic='r', value_format='JSON');"
      "CREATE STREAM lr AS SELECT l.id, a, b FROM l JOIN r WITHIN 10 SECONDS ON l.id = r.id;"));
  RequireOk(driver.Produce(Record("l", "1", R"({"A":"l1"})", 0)));
  RequireOk(driver.Produce(Record("r", "1", R"({"B":"r1"})", 9000)));    // within 10 s: joins
  RequireOk(driver.Produce(Record("r", "1", R"({"B":"r2"})", 20000)));   // too late for l1
  RequireOk(driver.Produce(Record("l", "1", R"({"A":"l2"})", 15000)));   // joins r1 and r2
  const auto& out = driver.Records("LR");
  REQUIRE(out.size() == 3);
  CHECK(ValueOf(out[0]) == R"({"A":"l1","B":"r1"})");
  CHECK(out[0].timestamp == 9000);
  CHECK(ValueOf(out[1]) == R"({"A":"l2","B":"r1"})");
  CHECK(out[1].timestamp == 15000);
  CHECK(ValueOf(out[2]) == R"({"A":"l2","B":"r2"})");
  CHECK(out[2].timestamp == 20000);
}

TEST_CASE("stream-stream LEFT JOIN with GRACE PERIOD emits unmatched records when the window closes",
          "[join]") {
  TestDriver driver;
  RequireOk(driver.Execute(
      "CREATE STREAM l (id STRING KEY, a STRING) WITH (kafka_topic='l', value_format='JSON');"
      "CREATE STREAM r (id STRING KEY, b STRING) WITH (kafka_topic='r', value_format='JSON');"
      "CREATE STREAM lr AS SELECT l.id, a, b FROM l LEFT JOIN r WITHIN 1 SECOND GRACE PERIOD 1 SECOND "
      "ON l.id = r.id;"));
  RequireOk(driver.Produce(Record("l", "1", R"({"A":"l1"})", 0)));
  CHECK(driver.Records("LR").empty());  // may still be joined
  RequireOk(driver.Produce(Record("l", "2", R"({"A":"l2"})", 1500)));
  CHECK(driver.Records("LR").empty());  // 0 + 1 s + 1 s grace has not passed
  RequireOk(driver.Produce(Record("l", "3", R"({"A":"l3"})", 2500)));
  const auto& out = driver.Records("LR");
  REQUIRE(out.size() == 1);
  CHECK(*out[0].key == "1");
  CHECK(ValueOf(out[0]) == R"({"A":"l1","B":null})");
  CHECK(out[0].timestamp == 0);
}

TEST_CASE("joins ksqlDB refuses say why", "[join]") {
  TestDriver driver;
  RequireOk(driver.Execute(
      "CREATE STREAM s (k STRING KEY, v INT) WITH (kafka_topic='s', value_format='JSON', partitions=2);"
      "CREATE STREAM s1 (k STRING KEY, v INT) WITH (kafka_topic='s1', value_format='JSON', partitions=1);"
      "CREATE TABLE t (k STRING PRIMARY KEY, w STRING) WITH (kafka_topic='t', value_format='JSON', partitions=2);"));
  Status st = driver.Execute("CREATE STREAM x AS SELECT * FROM s JOIN s1 WITHIN 1 SECOND ON s.k = s1.k;");
  CHECK(st.message().find("Can't join `S` with `S1` since the number of partitions don't match.") !=
        std::string::npos);
  st = driver.Execute("CREATE STREAM x AS SELECT * FROM s JOIN t WITHIN 1 SECOND ON s.k = t.k;");
  CHECK(st.message().find("A window definition was provided for a Stream-Table join.") != std::string::npos);
  st = driver.Execute("CREATE STREAM x AS SELECT * FROM s JOIN s1 ON s.k = s1.k;");
  CHECK(st.message().find("Stream-Stream joins must have a WITHIN clause specified.") != std::string::npos);
  st = driver.Execute("CREATE STREAM x AS SELECT s.v FROM s JOIN t ON s.k = t.k;");
  CHECK(st.message().find("must include the join expressions S.K or T.K in its projection") != std::string::npos);
  st = driver.Execute("CREATE STREAM x AS SELECT * FROM s JOIN t ON s.v = t.w;");
  CHECK(st.message().find("types don't match") != std::string::npos);
  st = driver.Execute("CREATE STREAM x AS SELECT * FROM t JOIN s ON s.k = t.k;");
  CHECK(st.message().find("Invalid join order") != std::string::npos);
  CHECK(driver.FindSource("X") == nullptr);
}

TEST_CASE("n-way join: stream-table-table chain, each result feeding the next", "[join]") {
  TestDriver driver;
  RequireOk(driver.Execute(
      "CREATE STREAM s (id STRING KEY, v STRING) WITH (kafka_topic='s', value_format='JSON');"
      "CREATE TABLE t2 (id STRING PRIMARY KEY, w STRING) WITH (kafka_topic='t2', value_format='JSON');"
      "CREATE TABLE t3 (id STRING PRIMARY KEY, x STRING) WITH (kafka_topic='t3', value_format='JSON');"
      "CREATE STREAM out AS SELECT t3.id AS k, v, w, x FROM s JOIN t2 ON s.id = t2.id LEFT JOIN t3 ON s.id = t3.id;"));
  RequireOk(driver.Produce(Record("t2", "1", R"({"W":"w1"})", 1)));
  RequireOk(driver.Produce(Record("s", "1", R"({"V":"a"})", 2)));  // no t3 row: LEFT keeps it
  RequireOk(driver.Produce(Record("t3", "1", R"({"X":"x1"})", 3)));
  RequireOk(driver.Produce(Record("s", "1", R"({"V":"b"})", 4)));
  RequireOk(driver.Produce(Record("s", "2", R"({"V":"c"})", 5)));  // no t2 row: the INNER step drops it
  const auto& out = driver.Records("OUT");
  REQUIRE(out.size() == 2);
  CHECK(*out[0].key == "1");  // the key is named by the selected join column of the last source
  CHECK(ValueOf(out[0]) == R"({"V":"a","W":"w1","X":null})");
  CHECK(ValueOf(out[1]) == R"({"V":"b","W":"w1","X":"x1"})");
  CHECK(out[1].timestamp == 4);
}

TEST_CASE("n-way join: table-table-table tombstones travel down the chain", "[join]") {
  TestDriver driver;
  RequireOk(driver.Execute(
      "CREATE TABLE t1 (id STRING PRIMARY KEY, a STRING) WITH (kafka_topic='t1', value_format='JSON');"
      "CREATE TABLE t2 (id STRING PRIMARY KEY, b STRING) WITH (kafka_topic='t2', value_format='JSON');"
      "CREATE TABLE t3 (id STRING PRIMARY KEY, c STRING) WITH (kafka_topic='t3', value_format='JSON');"
      "CREATE TABLE out AS SELECT t1.id, a, b, c FROM t1 JOIN t2 ON t1.id = t2.id JOIN t3 ON t2.id = t3.id;"));
  RequireOk(driver.Produce(Record("t1", "1", R"({"A":"a"})", 1)));
  RequireOk(driver.Produce(Record("t2", "1", R"({"B":"b"})", 2)));
  RequireOk(driver.Produce(Record("t3", "1", R"({"C":"c"})", 3)));
  RequireOk(driver.Produce(Record("t2", "1", std::nullopt, 4)));  // the middle row goes: so does the result
  const auto& out = driver.Records("OUT");
  REQUIRE(out.size() == 2);
  CHECK(ValueOf(out[0]) == R"({"A":"a","B":"b","C":"c"})");
  CHECK(out[0].timestamp == 3);
  CHECK(*out[1].key == "1");
  CHECK(ValueOf(out[1]) == "<tombstone>");
}

TEST_CASE("foreign-key table-table join follows both sides' updates", "[join]") {
  TestDriver driver;
  RequireOk(driver.Execute(
      "CREATE TABLE orders (id STRING PRIMARY KEY, user_id STRING, amount INT) WITH (kafka_topic='o', value_format='JSON');"
      "CREATE TABLE users (uid STRING PRIMARY KEY, name STRING) WITH (kafka_topic='u', value_format='JSON');"
      "CREATE TABLE out AS SELECT id, amount, name FROM orders JOIN users ON user_id = uid;"));
  RequireOk(driver.Produce(Record("o", "1", R"({"USER_ID":"u1","AMOUNT":5})", 1)));  // no user yet: nothing
  RequireOk(driver.Produce(Record("u", "u1", R"({"NAME":"ann"})", 2)));
  RequireOk(driver.Produce(Record("o", "2", R"({"USER_ID":"u1","AMOUNT":7})", 3)));
  RequireOk(driver.Produce(Record("u", "u1", R"({"NAME":"anna"})", 4)));  // re-joins both orders
  RequireOk(driver.Produce(Record("o", "1", R"({"USER_ID":"u2","AMOUNT":5})", 5)));  // no u2: result deleted
  RequireOk(driver.Produce(Record("u", "u1", std::nullopt, 6)));  // order 2 loses its user
  const auto& out = driver.Records("OUT");
  std::vector<std::string> got;
  for (const auto& r : out) got.push_back(*r.key + " " + ValueOf(r));
  CHECK(got == std::vector<std::string>{
                   R"(1 {"AMOUNT":5,"NAME":"ann"})", R"(2 {"AMOUNT":7,"NAME":"ann"})", R"(1 {"AMOUNT":5,"NAME":"anna"})",
                   R"(2 {"AMOUNT":7,"NAME":"anna"})", "1 <tombstone>", "2 <tombstone>"});
}

TEST_CASE("n-way joins ksqlDB refuses say why", "[join]") {
  TestDriver driver;
  RequireOk(driver.Execute(
      "CREATE STREAM s (id INT KEY, v INT) WITH (kafka_topic='s', value_format='JSON');"
      "CREATE TABLE t2 (id INT PRIMARY KEY, f INT) WITH (kafka_topic='t2', value_format='JSON');"
      "CREATE TABLE t3 (id INT PRIMARY KEY, g INT) WITH (kafka_topic='t3', value_format='JSON');"));
  auto error = [&](const std::string& sql) { return driver.Execute(sql).message(); };
  CHECK_THAT(error("CREATE STREAM o AS SELECT * FROM s JOIN t2 ON s.id = t2.id JOIN t2 ON s.v = t2.id;"),
             Catch::Contains("N-way joins do not support multiple occurrences of the same source. Source: 'T2'"));
  CHECK_THAT(error("CREATE STREAM o AS SELECT * FROM s JOIN t2 ON s.id = t2.id JOIN t3 ON s.id = t2.id;"),
             Catch::Contains("A join criteria is expected to reference the source (`T3`)"));
  CHECK_THAT(error("CREATE TABLE o AS SELECT t2.id, f, g FROM t2 JOIN t3 ON t2.id = t3.id JOIN s ON t2.id = s.id;"),
             Catch::Contains("Invalid join order: table-stream joins are not supported; only stream-table joins. Got T2"));
  CHECK_THAT(error("CREATE TABLE o AS SELECT t2.id, f, g FROM t2 JOIN t3 ON t2.id = t3.id JOIN t2 ON f = t2.id;"),
             Catch::Contains("multiple occurrences"));
  CHECK_THAT(error("CREATE STREAM o AS SELECT v FROM s JOIN t2 ON s.id = t2.id JOIN t3 ON s.id = t3.id;"),
             Catch::Contains("must include the join expressions S.ID, T2.ID or T3.ID in its projection"));
}

}  // namespace join_test
