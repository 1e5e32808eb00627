// Joins of windowed sources (WINDOW_TYPE sources, windowed aggregation results): the checks
// ksqlDB's analyzer and planner make, in ksqlDB's words, and the joins it runs: records join
// only within the same window (the stores key by the key and the window), the result is
// windowed like the left source, and `*` lists each side's window bounds after its key.
#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <string>

#include "engine/runtime/test_driver.h"
#include "tests/unit/test_util.h"

namespace join_windowed_test {  // this file's own names (unity build: tests/README.md)

using namespace sluice;
using namespace sluice::testing;

namespace {

// Two streams over `left_topic` / `right_topic`, each with the WITH properties given (window,
// key format) after value_format='JSON'.
std::string Streams(const std::string& left_with, const std::string& right_with) {
  return "CREATE STREAM S1 (ID INT KEY, K2 INT, V BIGINT) WITH (kafka_topic='left_topic', value_format='JSON'" +
         left_with + ");" +
         "CREATE STREAM S2 (ID INT KEY, K2 INT, V BIGINT) WITH (kafka_topic='right_topic', value_format='JSON'" +
         right_with + ");";
}

const char* kSession = ", WINDOW_TYPE='SESSION'";
const char* kTumbling2s = ", WINDOW_TYPE='TUMBLING', WINDOW_SIZE='2 SECONDS'";
const char* kHopping5s = ", WINDOW_TYPE='HOPPING', WINDOW_SIZE='5 SECONDS'";
const char* kRefused =
    "Implicit repartitioning of windowed sources is not supported. See https://github.com/confluentinc/ksql/issues/4385.";

// The error of `csas` after the DDL `ddl`, without the "Statement: ..." the engine appends.
struct Error {
  Status::Code code;
  std::string text;
};

Error JoinError(const std::string& ddl, const std::string& csas) {
  TestDriver driver;
  RequireOk(driver.Execute(ddl));
  const Status st = driver.Execute(csas);
  const std::string& m = st.message();
  const size_t statement = m.rfind("\nStatement: ");
  return {st.code(), statement == std::string::npos ? m : m.substr(0, statement)};
}

}  // namespace

TEST_CASE("windowed joins: a windowed source joins only a windowed one, named in the ON clause's order",
          "[join][windowed]") {
  const std::string ddl = Streams(kSession, "");
  Error st = JoinError(ddl, "CREATE STREAM OUT AS SELECT * FROM S1 JOIN S2 WITHIN 1 MINUTE ON S1.ID = S2.ID;");
  CHECK(st.code == Status::Code::kInvalidArgument);
  CHECK(st.text ==
        "Can not join windowed source to non-windowed source.\n`S1` is SESSION windowed\n`S2` is not windowed");
  st = JoinError(ddl, "CREATE STREAM OUT AS SELECT * FROM S1 JOIN S2 WITHIN 1 MINUTE ON S2.ID = S1.ID;");
  CHECK(st.text ==
        "Can not join windowed source to non-windowed source.\n`S2` is not windowed\n`S1` is SESSION windowed");
  // Aliases name the sides.
  st = JoinError(Streams("", kTumbling2s), "CREATE STREAM OUT AS SELECT * FROM S1 A JOIN S2 B WITHIN 1 MINUTE ON A.ID = B.ID;");
  CHECK(st.text ==
        "Can not join windowed source to non-windowed source.\n`A` is not windowed\n`B` is TUMBLING windowed");
}

TEST_CASE("windowed joins: session windows join only session windows", "[join][windowed]") {
  Error st = JoinError(Streams(kSession, kTumbling2s),
                        "CREATE STREAM OUT AS SELECT * FROM S1 JOIN S2 WITHIN 1 MINUTE ON S1.ID = S2.ID;");
  CHECK(st.code == Status::Code::kInvalidArgument);
  CHECK(st.text.rfind("Incompatible windowed sources.\nLeft source: SESSION\nRight source: TUMBLING\n", 0) == 0);
  CHECK(st.text.find("Hopping and tumbling windowed sources can only be joined to other hopping and tumbling "
                          "windowed sources") != std::string::npos);
  st = JoinError(Streams(kTumbling2s, kSession),
                 "CREATE STREAM OUT AS SELECT * FROM S1 JOIN S2 WITHIN 1 MINUTE ON S1.ID = S2.ID;");
  CHECK(st.text.rfind("Incompatible windowed sources.\nLeft source: TUMBLING\nRight source: SESSION\n", 0) == 0);
}

TEST_CASE("windowed joins: a windowed side cannot be re-keyed", "[join][windowed]") {
  // Joined on a value column: the side would need a repartition.
  Error st = JoinError(Streams(kSession, kSession),
                        "CREATE STREAM OUT AS SELECT * FROM S1 JOIN S2 WITHIN 1 MINUTE ON S1.K2 = S2.K2;");
  CHECK(st.code == Status::Code::kInvalidArgument);
  CHECK(st.text == kRefused);
  st = JoinError(Streams(kSession, kSession),
                 "CREATE STREAM OUT AS SELECT * FROM S1 JOIN S2 WITHIN 1 MINUTE ON S1.ID = S2.K2;");
  CHECK(st.text == kRefused);
  // Hopping and tumbling windows of different sizes: different key formats, so the right side
  // would be written again in the left's.
  st = JoinError(Streams(kHopping5s, kTumbling2s),
                 "CREATE STREAM OUT AS SELECT * FROM S1 JOIN S2 WITHIN 1 MINUTE ON S1.ID = S2.ID;");
  CHECK(st.text == kRefused);
  // Schema Registry key formats always repartition; a join on a value column is still refused.
  st = JoinError(Streams(std::string(kHopping5s) + ", key_format='JSON_SR'", std::string(kTumbling2s) + ", key_format='JSON_SR'"),
                 "CREATE STREAM OUT AS SELECT * FROM S1 JOIN S2 WITHIN 1 MINUTE ON S1.ID = S2.K2;");
  CHECK(st.text == kRefused);
}

TEST_CASE("windowed joins: windowed tables", "[join][windowed]") {
  auto tables = [](const std::string& key_format) {
    return "CREATE TABLE T1 (ID STRING PRIMARY KEY, F1 STRING) WITH (kafka_topic='t1', value_format='JSON', "
           "key_format='" + key_format + "', WINDOW_TYPE='TUMBLING', WINDOW_SIZE='1 SECOND');"
           "CREATE TABLE T2 (ID STRING PRIMARY KEY, N INT) WITH (kafka_topic='t2', value_format='JSON', "
           "key_format='" + key_format + "', WINDOW_TYPE='TUMBLING', WINDOW_SIZE='1 SECOND');";
  };
  Error st = JoinError(tables("KAFKA"), "CREATE TABLE OUT AS SELECT * FROM T1 JOIN T2 ON T1.F1 = T2.ID;");
  CHECK(st.code == Status::Code::kInvalidArgument);
  CHECK(st.text == "Foreign-key table-table joins are not supported on windowed tables.");
  // A table is never re-keyed, so a Schema Registry key format (which forces a repartition) is refused.
  st = JoinError(tables("JSON_SR"), "CREATE TABLE OUT AS SELECT * FROM T1 JOIN T2 ON T1.ID = T2.ID;");
  CHECK(st.text.rfind(std::string(kRefused) + " As a result, ksqlDB does not support joins on windowed sources "
                                                   "with Schema-Registry-enabled key formats",
                           0) == 0);
}

// A KAFKA-format INT key followed by its window, as Kafka Streams writes windowed keys: the
// start (time windows), or the end then the start (session windows), big-endian longs.
std::string WindowedKey(int32_t id, int64_t start, std::optional<int64_t> session_end = std::nullopt) {
  std::string k;
  for (int shift = 24; shift >= 0; shift -= 8) k.push_back(static_cast<char>((static_cast<uint32_t>(id) >> shift) & 0xff));
  auto append = [&](int64_t v) {
    for (int shift = 56; shift >= 0; shift -= 8) k.push_back(static_cast<char>((static_cast<uint64_t>(v) >> shift) & 0xff));
  };
  if (session_end) append(*session_end);
  append(start);
  return k;
}

TEST_CASE("windowed joins: time windows join only records of the same window", "[join][windowed]") {
  TestDriver driver;
  RequireOk(driver.Execute(Streams(kTumbling2s, kTumbling2s) +
                           "CREATE STREAM OUT AS SELECT * FROM S1 JOIN S2 WITHIN 1 MINUTE ON S1.ID = S2.ID;"));
  // The sink is windowed like the left source, and `*` lists each side's bounds after its key.
  DataSourcePtr out = driver.FindSource("OUT");
  REQUIRE(out);
  REQUIRE(out->window);
  CHECK(out->window->kind == WindowSpec::Kind::kTumbling);
  CHECK(out->window->size_ms == 2000);
  std::string columns;
  for (const auto& c : out->columns) columns += c.name + " ";
  CHECK(columns == "S1_ID S1_WINDOWSTART S1_WINDOWEND S1_K2 S1_V S2_ID S2_WINDOWSTART S2_WINDOWEND S2_K2 S2_V ");

  RequireOk(driver.Produce(Record("left_topic", WindowedKey(1, 0), R"({"K2":7,"V":1})", 100)));
  // Within WITHIN, same key, another window: no result.
  RequireOk(driver.Produce(Record("right_topic", WindowedKey(1, 2000), R"({"K2":8,"V":5})", 2100)));
  CHECK(driver.Records("OUT").empty());
  // Same window: one result, keyed by the key and the left's window.
  RequireOk(driver.Produce(Record("right_topic", WindowedKey(1, 0), R"({"K2":9,"V":4})", 200)));
  REQUIRE(driver.Records("OUT").size() == 1);
  const KafkaRecord& r = driver.Records("OUT")[0];
  CHECK(r.key == WindowedKey(1, 0));
  CHECK(r.timestamp == 200);
  CHECK(r.value == R"({"S1_WINDOWSTART":0,"S1_WINDOWEND":2000,"S1_K2":7,"S1_V":1,"S2_ID":1,"S2_WINDOWSTART":0,)"
                   R"("S2_WINDOWEND":2000,"S2_K2":9,"S2_V":4})");
  // A later left record of the 2000 window joins the right record of that window only.
  RequireOk(driver.Produce(Record("left_topic", WindowedKey(1, 2000), R"({"K2":7,"V":3})", 2200)));
  REQUIRE(driver.Records("OUT").size() == 2);
  CHECK(driver.Records("OUT")[1].key == WindowedKey(1, 2000));
  CHECK(driver.Records("OUT")[1].value->find(R"("S1_V":3)") != std::string::npos);
  CHECK(driver.Records("OUT")[1].value->find(R"("S2_V":5)") != std::string::npos);
}

TEST_CASE("windowed joins: session windows join only the same session (both bounds)", "[join][windowed]") {
  TestDriver driver;
  RequireOk(driver.Execute(Streams(kSession, kSession) +
                           "CREATE STREAM OUT AS SELECT S1.ID, S1.WINDOWSTART, S2.WINDOWEND, S1.V, S2.V FROM S1 "
                           "LEFT JOIN S2 WITHIN 1 MINUTE ON S1.ID = S2.ID;"));
  DataSourcePtr out = driver.FindSource("OUT");
  REQUIRE(out);
  REQUIRE(out->window);
  CHECK(out->window->kind == WindowSpec::Kind::kSession);
  // A right session with the same start but another end is another session.
  RequireOk(driver.Produce(Record("right_topic", WindowedKey(1, 234, 567), R"({"V":2})", 567)));
  RequireOk(driver.Produce(Record("right_topic", WindowedKey(1, 234, 765), R"({"V":3})", 765)));
  RequireOk(driver.Produce(Record("left_topic", WindowedKey(1, 234, 765), R"({"V":1})", 765)));
  REQUIRE(driver.Records("OUT").size() == 1);
  CHECK(driver.Records("OUT")[0].key == WindowedKey(1, 234, 765));
  CHECK(driver.Records("OUT")[0].value == R"({"S1_WINDOWSTART":234,"S2_WINDOWEND":765,"S1_V":1,"S2_V":3})");
  // LEFT JOIN without a match in its session: NULLs for the right, the left's window in the key.
  RequireOk(driver.Produce(Record("left_topic", WindowedKey(1, 1000, 1500), R"({"V":9})", 1500)));
  REQUIRE(driver.Records("OUT").size() == 2);
  CHECK(driver.Records("OUT")[1].key == WindowedKey(1, 1000, 1500));
  CHECK(driver.Records("OUT")[1].value == R"({"S1_WINDOWSTART":1000,"S2_WINDOWEND":null,"S1_V":9,"S2_V":null})");
}

TEST_CASE("windowed joins Sluice does not run yet", "[join][windowed]") {
  // Schema Registry key formats: ksqlDB repartitions both sides (with the window).
  Error st = JoinError(Streams(std::string(kHopping5s) + ", key_format='JSON_SR'",
                               std::string(kTumbling2s) + ", key_format='JSON_SR'"),
                       "CREATE STREAM OUT AS SELECT * FROM S1 JOIN S2 WITHIN 1 MINUTE ON S1.ID = S2.ID;");
  CHECK(st.code == Status::Code::kNotSupported);
  // N-way joins of windowed sources.
  st = JoinError(Streams(kSession, kSession) +
                     "CREATE STREAM S3 (ID INT KEY, V BIGINT) WITH (kafka_topic='t3', value_format='JSON', "
                     "WINDOW_TYPE='SESSION');",
                 "CREATE STREAM OUT AS SELECT * FROM S1 JOIN S2 WITHIN 1 MINUTE ON S1.ID = S2.ID "
                 "JOIN S3 WITHIN 1 MINUTE ON S1.ID = S3.ID;");
  CHECK(st.code == Status::Code::kNotSupported);
}

}  // namespace join_windowed_test
