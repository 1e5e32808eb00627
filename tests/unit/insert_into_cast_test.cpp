// INSERT INTO ... SELECT whose result types cast implicitly to the target's (ksqlDB's
// LogicalSchema.compatibleSchema): the query writes the target's types.
#include <catch2/catch.hpp>

#include "engine/runtime/test_driver.h"

namespace insert_into_cast_test {  // this file's own names (unity build: tests/README.md)

using namespace sluice;

TEST_CASE("INSERT INTO casts results to the target's types implicitly", "[executor]") {
  TestDriver driver;
  auto run = [&](const std::string& sql) {
    Status st = driver.Execute(sql);
    INFO(sql << " -> " << st.message());
    REQUIRE(st.ok());
  };
  run("CREATE STREAM src (I INT, B BIGINT, D DECIMAL(2, 1)) WITH (kafka_topic='src', value_format='JSON', partitions=1);"
      "CREATE STREAM tgt (C1 DECIMAL(5, 2), C2 DECIMAL(5, 2), C3 DOUBLE, C4 BIGINT) "
      "WITH (kafka_topic='tgt', value_format='JSON', partitions=1);"
      "INSERT INTO tgt SELECT I AS C1, D AS C2, B AS C3, I AS C4 FROM src;"
      "INSERT INTO src (I, B, D) VALUES (1, 3, 2.5);");
  const auto& out = driver.Records("tgt");
  REQUIRE(out.size() == 1);
  REQUIRE(out[0].value);
  CHECK(*out[0].value == R"({"C1":1.00,"C2":2.50,"C3":3.0,"C4":1})");

  // Narrowing is refused with ksqlDB's message: fewer integer digits, a smaller scale, DOUBLE
  // into DECIMAL, BIGINT into INTEGER, STRING into a number.
  run("CREATE STREAM narrow (C1 DECIMAL(2, 1)) WITH (kafka_topic='narrow', value_format='JSON', partitions=1);"
      "CREATE STREAM small_int (C1 INT) WITH (kafka_topic='small_int', value_format='JSON', partitions=1);");
  for (const char* refused : {"INSERT INTO narrow SELECT CAST(D AS DECIMAL(3, 1)) AS C1 FROM src;",
                              "INSERT INTO narrow SELECT CAST(D AS DECIMAL(3, 2)) AS C1 FROM src;",
                              "INSERT INTO narrow SELECT CAST(D AS DOUBLE) AS C1 FROM src;",
                              "INSERT INTO small_int SELECT B AS C1 FROM src;",
                              "INSERT INTO small_int SELECT CAST(I AS STRING) AS C1 FROM src;"}) {
    Status st = driver.Execute(refused);
    INFO(refused << " -> " << st.message());
    CHECK(st.message().find("Incompatible schema between results and sink.") != std::string::npos);
  }
}

}  // namespace insert_into_cast_test
