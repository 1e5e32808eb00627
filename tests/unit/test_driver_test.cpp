// The engine through the test driver: statements in, records in, records out.
#include <catch2/catch.hpp>

#include "engine/runtime/test_driver.h"
#include "tests/unit/test_util.h"

namespace test_driver_test {  // this file's own names (unity build: tests/README.md)

using namespace sluice;
using namespace sluice::testing;

namespace {
}  // namespace

TEST_CASE("filter and project a JSON stream", "[driver]") {
  TestDriver driver;
  RequireOk(driver.Execute(
      "CREATE STREAM orders (id STRING KEY, amount DOUBLE, city STRING) "
      "WITH (kafka_topic='orders', value_format='JSON');"
      "CREATE STREAM big AS SELECT id, amount * 2 AS doubled, UCASE(city) AS city "
      "FROM orders WHERE amount > 10;"));
  RequireOk(driver.Produce(Record("orders", "a", R"({"AMOUNT": 5, "CITY": "x"})", 1)));
  RequireOk(driver.Produce(Record("orders", "b", R"({"amount": 12.5, "city": "paris"})", 2)));
  const auto& out = driver.Records("BIG");
  REQUIRE(out.size() == 1);
  CHECK(*out[0].key == "b");
  CHECK(*out[0].value == R"({"DOUBLED":25.0,"CITY":"PARIS"})");
  CHECK(out[0].timestamp == 2);
  auto sink = driver.FindSource("BIG");
  REQUIRE(sink);
  CHECK(sink->topic == "BIG");
}

TEST_CASE("malformed records go to the processing log and the query goes on", "[driver]") {
  TestDriver driver;
  RequireOk(driver.Execute(
      "CREATE STREAM s (k STRING KEY, v INT) WITH (kafka_topic='s', value_format='JSON');"
      "CREATE STREAM t AS SELECT k, v + 1 AS w FROM s;"));
  RequireOk(driver.Produce(Record("s", "a", "{not json", 0)));
  RequireOk(driver.Produce(Record("s", "b", R"({"V": 1})", 0)));
  REQUIRE(driver.ProcessingLog().size() == 1);
  CHECK(driver.ProcessingLog()[0].find("topic s, partition 0, offset 0") != std::string::npos);
  REQUIRE(driver.Records("T").size() == 1);
  CHECK(*driver.Records("T")[0].value == R"({"W":2})");
}

TEST_CASE("PARTITION BY re-keys and INSERT VALUES feeds queries", "[driver]") {
  TestDriver driver;
  RequireOk(driver.Execute(
      "CREATE STREAM s (k STRING KEY, id INT, name STRING) WITH (kafka_topic='s', value_format='DELIMITED');"
      "CREATE STREAM r AS SELECT * FROM s PARTITION BY id;"
      "INSERT INTO s (k, id, name) VALUES ('a', 7, 'x,y');"));
  const auto& out = driver.Records("R");
  REQUIRE(out.size() == 1);
  CHECK(out[0].key->size() == 4);  // KAFKA INT key
  CHECK(*out[0].value == "\"x,y\",a");
}

TEST_CASE("statement errors say what is wrong and change nothing", "[driver]") {
  TestDriver driver;
  RequireOk(driver.Execute("CREATE STREAM s (k STRING KEY, v INT) WITH (kafka_topic='s', value_format='JSON');"));
  Status s = driver.Execute("CREATE STREAM t AS SELECT v FROM s;");
  REQUIRE_FALSE(s.ok());
  CHECK(s.message().find("must include the key column K") != std::string::npos);
  CHECK(driver.FindSource("T") == nullptr);
  s = driver.Execute("CREATE STREAM t AS SELECT k, nope FROM s;");
  REQUIRE_FALSE(s.ok());
  CHECK(s.message().find("SELECT column 'NOPE' cannot be resolved.") != std::string::npos);
  s = driver.Execute("CREATE STREAM u AS SELECT k, COUNT(*) FROM s GROUP BY k;");
  REQUIRE_FALSE(s.ok());
  CHECK(s.message().find("Your SELECT query produces a TABLE") != std::string::npos);
  CHECK(driver.FindSource("U") == nullptr);
}

TEST_CASE("PARTITION BY of a record without a value computes only key-only expressions", "[driver]") {
  TestDriver driver;
  RequireOk(driver.Execute(
      "CREATE STREAM s (id INT KEY, name STRING) WITH (kafka_topic='s', format='JSON');"
      "CREATE STREAM r AS SELECT * FROM s PARTITION BY (name IS NULL), id + 1;"));
  RequireOk(driver.Produce(Record("s", "1", std::nullopt, 1)));
  RequireOk(driver.Produce(Record("s", "2", R"({"NAME": null})", 2)));
  const auto& out = driver.Records("R");
  REQUIRE(out.size() == 2);
  // No value: NAME IS NULL reads a value column, so it is NULL; ID + 1 reads only the key.
  CHECK(*out[0].key == R"({"KSQL_COL_0":null,"KSQL_COL_1":2})");
  CHECK_FALSE(out[0].value.has_value());
  CHECK(*out[1].key == R"({"KSQL_COL_0":true,"KSQL_COL_1":3})");
}

TEST_CASE("generated column names skip the names the source's columns already use", "[driver]") {
  TestDriver driver;
  RequireOk(driver.Execute(
      "CREATE STREAM s (KSQL_COL_1 INT KEY, KSQL_COL_0 INT, KSQL_COL_3 INT) "
      "WITH (kafka_topic='s', value_format='JSON');"
      "CREATE STREAM t AS SELECT KSQL_COL_1, KSQL_COL_0, ABS(KSQL_COL_0), ABS(KSQL_COL_0), "
      "ABS(KSQL_COL_0) FROM s;"
      "CREATE STREAM u AS SELECT * FROM s PARTITION BY ABS(KSQL_COL_3);"));
  RequireOk(driver.Produce(Record("s", std::string("\0\0\0\1", 4), R"({"KSQL_COL_0": -2, "KSQL_COL_3": -4})")));
  REQUIRE(driver.Records("T").size() == 1);
  CHECK(*driver.Records("T")[0].value == R"({"KSQL_COL_0":-2,"KSQL_COL_2":2,"KSQL_COL_4":2,"KSQL_COL_5":2})");
  auto u = driver.FindSource("U");
  REQUIRE(u);
  REQUIRE(!u->columns.empty());
  CHECK(u->columns[0].name == "KSQL_COL_2");
}

TEST_CASE("ALTER STREAM adds value columns; sinks and source streams cannot be altered", "[driver]") {
  TestDriver driver;
  RequireOk(driver.Execute("CREATE STREAM s (k STRING KEY, name STRING) WITH (kafka_topic='s', value_format='JSON');"
                           "ALTER STREAM s ADD COLUMN a STRING, ADD b INT;"
                           "CREATE STREAM out AS SELECT * FROM s;"));
  REQUIRE(driver.FindSource("S")->columns.size() == 4);
  RequireOk(driver.Produce(Record("s", "x", R"({"NAME":"n","B":3})")));
  CHECK(*driver.Records("OUT")[0].value == R"({"NAME":"n","A":null,"B":3})");
  Status s = driver.Execute("ALTER STREAM out ADD COLUMN c INT;");
  CHECK(s.message().find("ALTER command is not supported for CREATE ... AS statements.") == 0);
  s = driver.Execute("ALTER STREAM s ADD COLUMN name INT;");
  CHECK(s.message().find("A column with the same name already exists") != std::string::npos);
  s = driver.Execute("ALTER TABLE s ADD COLUMN c INT;");
  CHECK(s.message().find("Incompatible data source type is STREAM, but statement was ALTER TABLE") == 0);
  RequireOk(driver.Execute("CREATE SOURCE TABLE t (k STRING PRIMARY KEY, v INT) WITH (kafka_topic='t', value_format='JSON');"));
  s = driver.Execute("ALTER TABLE t ADD COLUMN c INT;");
  CHECK(s.message().find("Cannot alter table 'T': ALTER operations are not supported on source tables.") == 0);
}

}  // namespace test_driver_test
