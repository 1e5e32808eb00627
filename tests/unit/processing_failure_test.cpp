// A query that fails on a record reports it as Kafka Streams does for a processor's exception
// ("Exception caught in process. taskId=..., topic=..., partition=..., offset=...,
// stacktrace=<cause>"), which ksqlDB passes on.
#include <catch2/catch.hpp>

#include "engine/runtime/test_driver.h"

namespace processing_failure_test {  // this file's own names (unity build: tests/README.md)

using namespace sluice;

TEST_CASE("A DECIMAL SUM that overflows fails the query with Kafka Streams' message", "[executor]") {
  TestDriver driver;
  Status created = driver.Execute(
      "CREATE STREAM t (ID BIGINT KEY, V DECIMAL(4, 1)) WITH (kafka_topic='t', value_format='JSON', partitions=1);"
      "CREATE TABLE s AS SELECT ID, SUM(V) AS TOTAL FROM t GROUP BY ID;"
      "INSERT INTO t (ID, V) VALUES (100, 500.9);"
      "INSERT INTO t (ID, V) VALUES (100, 300.8);");
  INFO(created.message());
  REQUIRE(created.ok());
  Status overflow = driver.Execute("INSERT INTO t (ID, V) VALUES (100, 400.8);");
  INFO(overflow.message());
  REQUIRE(!overflow.ok());
  CHECK(overflow.message().find("Exception caught in process. taskId=0_0, topic=t, partition=0, offset=2, "
                                "stacktrace=Numeric field overflow: A field with precision 4 and scale 1") !=
        std::string::npos);
}

}  // namespace processing_failure_test
