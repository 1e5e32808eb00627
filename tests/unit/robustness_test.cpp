// Bad input never crashes and never throws: mutated statements get an error (or run), and
// garbage records go to the processing log while the query goes on.
#include <catch2/catch.hpp>

#include <random>

#include "engine/parser/parser.h"
#include "engine/runtime/test_driver.h"

namespace robustness_test {  // this file's own names (unity build: tests/README.md)

using namespace sluice;

namespace {

const char* kStatements[] = {
    "CREATE STREAM s (k STRING KEY, id INT, name STRING, tags ARRAY<STRING>, m MAP<STRING, DOUBLE>, "
    "st STRUCT<a INT, b STRING>) WITH (kafka_topic='s', value_format='JSON');",
    "CREATE STREAM t AS SELECT k, id * 2 AS twice, UCASE(name) AS n, tags[1] AS first, m['x'] AS x, "
    "st->a AS a FROM s WHERE id > 0 AND name LIKE 'a%' EMIT CHANGES;",
    "CREATE STREAM u AS SELECT k, EXPLODE(tags) AS tag, CASE WHEN id IS NULL THEN 'none' ELSE 'some' END AS c FROM s;",
    "CREATE STREAM v AS SELECT * FROM s PARTITION BY name;",
    "INSERT INTO s (k, id, name) VALUES ('a', 1, 'abc');",
};

std::string Mutate(const std::string& s, std::mt19937& rng) {
  std::string out = s;
  const char kChars[] = "(),;'\"`<>=+-*/%[]{}.:_ aZ09\n\t\\$";
  const int edits = 1 + static_cast<int>(rng() % 3);
  for (int e = 0; e < edits && !out.empty(); ++e) {
    const size_t pos = rng() % out.size();
    switch (rng() % 4) {
      case 0: out.erase(pos, 1 + rng() % 4); break;
      case 1: out.insert(pos, 1, kChars[rng() % (sizeof kChars - 1)]); break;
      case 2: out[pos] = static_cast<char>(rng() % 256); break;
      default: out.resize(pos); break;
    }
  }
  return out;
}

}  // namespace

TEST_CASE("mutated statements are rejected or run, never crash", "[robustness]") {
  std::mt19937 rng(20261125);
  int rejected = 0;
  for (int round = 0; round < 400; ++round) {
    TestDriver driver;
    for (const char* base : kStatements) {
      const std::string sql = Mutate(base, rng);
      Status parsed = ParseSingleStatement(sql).status();
      Status executed = driver.Execute(sql);
      if (!executed.ok()) {
        ++rejected;
        CHECK_FALSE(executed.message().empty());
      }
      (void)parsed;
    }
  }
  CHECK(rejected > 0);
}

TEST_CASE("garbage records go to the processing log and the query goes on", "[robustness]") {
  std::mt19937 rng(7);
  for (const char* format : {"JSON", "DELIMITED", "KAFKA"}) {
    INFO(format);
    TestDriver driver;
    const bool kafka = std::string(format) == "KAFKA";
    const std::string columns = kafka ? "(k STRING KEY, v BIGINT)" : "(k STRING KEY, a INT, b STRING, c DOUBLE)";
    const std::string project = kafka ? "k, v + 1 AS w" : "k, a + 1 AS w, b, c";
    REQUIRE(driver.Execute("CREATE STREAM s " + columns + " WITH (kafka_topic='s', value_format='" + format +
                           "'); CREATE STREAM t AS SELECT " + project + " FROM s;").ok());
    int produced = 0;
    for (int i = 0; i < 300; ++i) {
      KafkaRecord r;
      r.topic = "s";
      r.key = "k";
      std::string bytes(rng() % 40, '\0');
      for (auto& c : bytes) c = static_cast<char>(rng() % 256);
      r.value = bytes;
      REQUIRE(driver.Produce(r).ok());
      ++produced;
    }
    // A good record after all the garbage still comes through.
    KafkaRecord good;
    good.topic = "s";
    good.key = "k";
    good.value = kafka ? std::string("\0\0\0\0\0\0\0\x05", 8)
                       : (std::string(format) == "JSON" ? R"({"A":1,"B":"x","C":2.5})" : "1,x,2.5");
    REQUIRE(driver.Produce(good).ok());
    CHECK_FALSE(driver.ProcessingLog().empty());
    REQUIRE_FALSE(driver.Records("T").empty());
    CHECK(driver.Records("T").back().value.has_value());
    CHECK(static_cast<int>(driver.ProcessingLog().size() + driver.Records("T").size()) >= produced / 2);
  }
}

}  // namespace robustness_test
