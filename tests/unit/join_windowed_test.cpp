// Joins of windowed sources (WINDOW_TYPE sources, windowed aggregation results): the checks
// ksqlDB's analyzer and planner make, in ksqlDB's words, and the joins it would run (which
// Sluice refuses as not supported yet: the join key would have to carry the window bounds).
#include <catch2/catch.hpp>

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

TEST_CASE("windowed joins ksqlDB runs are not supported yet", "[join][windowed]") {
  // Matching windows joined on their keys: ksqlDB joins them with the window in the key.
  for (const auto& [left, right] : {std::pair<std::string, std::string>{kSession, kSession},
                                    {kTumbling2s, kTumbling2s},
                                    {std::string(kHopping5s) + ", key_format='JSON_SR'",
                                     std::string(kTumbling2s) + ", key_format='JSON_SR'"}}) {
    INFO(left << " / " << right);
    Error st = JoinError(Streams(left, right),
                          "CREATE STREAM OUT AS SELECT * FROM S1 JOIN S2 WITHIN 1 MINUTE ON S1.ID = S2.ID;");
    CHECK(st.code == Status::Code::kNotSupported);
  }
}

}  // namespace join_windowed_test
