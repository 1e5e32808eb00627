// The pull-query plan cache (engine/executor/pull/pull_cache.h, Engine::PrepareCachedPullQuery):
// the scanner's key, hits and misses, every answer compared with the uncached path's, errors
// still reported as the parser and analyzer report them, and emptying on executed statements.
#include <catch2/catch.hpp>

#include "engine/executor/engine.h"
#include "engine/executor/pull/pull_cache.h"
#include "engine/parser/parser.h"
#include "tests/unit/test_util.h"

namespace pull_cache_test {  // this file's own names (unity build: tests/README.md)

using namespace sluice;
using namespace sluice::testing;
using json = nlohmann::json;

namespace {

struct Answer {
  bool cached = false;
  Status status;  // preparing or running
  std::string schema;
  json rows;
};

Answer RunPrepared(Result<std::unique_ptr<PreparedPullQuery>> prepared, bool cached) {
  Answer a;
  a.cached = cached;
  if (!prepared.ok()) {
    a.status = prepared.status();
    return a;
  }
  auto sink = std::make_shared<CollectSink>();
  (*prepared)->Run(sink);
  a.status = sink->end;
  a.schema = sink->schema.schema;
  a.rows = sink->rows;
  return a;
}

// What the server does: the cache first, else parse, prepare and remember.
Answer Pull(Engine& engine, const std::string& sql, const std::map<std::string, std::string>& props = {}) {
  auto raws = SplitStatements(sql);
  REQUIRE(raws.size() == 1);
  auto hit = engine.PrepareCachedPullQuery(raws[0], props);
  RequireOk(hit.status());
  if (*hit) return RunPrepared(std::move(*hit), true);
  auto parsed = ParseStatement(raws[0]);
  if (!parsed.ok()) return {false, parsed.status(), "", nullptr};
  REQUIRE((*parsed)->kind == StatementKind::kQuery);
  return RunPrepared(engine.PreparePullQuery(static_cast<const QueryStatement&>(**parsed), props, &raws[0]), false);
}

// The same statement without any cache, on a fresh parse.
Answer Uncached(Engine& engine, const std::string& sql, const std::map<std::string, std::string>& props = {}) {
  auto parsed = ParseSingleStatement(sql);
  if (!parsed.ok()) return {false, parsed.status(), "", nullptr};
  return RunPrepared(engine.PreparePullQuery(static_cast<const QueryStatement&>(**parsed), props), false);
}

// Cached or not, the answer is the uncached path's.
Answer CheckSame(Engine& engine, const std::string& sql, const std::map<std::string, std::string>& props = {}) {
  Answer cached = Pull(engine, sql, props);
  Answer plain = Uncached(engine, sql, props);
  INFO(sql);
  CHECK(cached.status.ok() == plain.status.ok());
  CHECK(cached.status.message() == plain.status.message());
  CHECK(cached.schema == plain.schema);
  CHECK(cached.rows == plain.rows);
  return cached;
}

void Produce(Engine& engine, const std::string& topic, const std::string& key, const std::string& value, int64_t ts) {
  KafkaRecord r;
  r.topic = topic;
  r.key = key;
  r.value = value;
  r.timestamp = ts;
  RequireOk(engine.Produce(std::move(r)));
}

std::string IntKey(int32_t v) {
  std::string s(4, '\0');
  for (int i = 3; i >= 0; --i, v >>= 8) s[i] = static_cast<char>(v & 0xff);
  return s;
}

void CreateTables(Engine& engine) {
  RequireOk(engine.Execute(
      "CREATE SOURCE TABLE S (ID STRING PRIMARY KEY, V INT, NAME STRING) "
      "WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);"
      "CREATE SOURCE TABLE N (ID INT PRIMARY KEY, NAME STRING) "
      "WITH (KAFKA_TOPIC='n', VALUE_FORMAT='JSON', PARTITIONS=1);"));
  for (int i = 1; i <= 5; ++i) {
    Produce(engine, "s", "k" + std::to_string(i), R"({"V":)" + std::to_string(i * 10) + R"(,"NAME":"it's )" +
                                                       std::to_string(i) + R"("})",
            1000 * i);
    Produce(engine, "n", IntKey(i), R"({"NAME":"n)" + std::to_string(i) + R"("})", 1000 * i);
  }
}

}  // namespace

TEST_CASE("pull cache: the scanner replaces string and integer literals", "[pull][cache]") {
  auto a = NormalizePullStatement({"SELECT * FROM T1 WHERE ID='k1' AND X = 12;", {1, 1}});
  auto b = NormalizePullStatement({"SELECT * FROM T1 WHERE ID='it''s' AND X = 3000000000;", {1, 1}});
  REQUIRE(a);
  REQUIRE(b);
  REQUIRE(a->literals.size() == 2);
  CHECK(a->literals[0].value.AsString() == "k1");
  CHECK(a->literals[0].pos.column == 27);  // the quote
  CHECK(a->literals[1].kind == LiteralToken::Kind::kInteger);
  CHECK(a->literals[1].value.AsInt() == 12);
  CHECK(b->literals[0].value.AsString() == "it's");
  CHECK(b->literals[1].kind == LiteralToken::Kind::kBigint);
  CHECK(a->key != b->key);  // INT and BIGINT literals type differently
  auto c = NormalizePullStatement({"SELECT * FROM T1 WHERE ID='other' AND X = 7;", {1, 1}});
  REQUIRE(c);
  CHECK(a->key == c->key);
  // Identifiers, decimals and quoted names stay in the key.
  CHECK(NormalizePullStatement({"SELECT * FROM T2 WHERE ID='k1' AND X = 12;", {1, 1}})->key != a->key);
  CHECK(NormalizePullStatement({"SELECT * FROM `T1` WHERE ID='k1' AND X = 1.5;", {1, 1}})->literals.size() == 1);
  // Not cacheable: comments, variables, non-ASCII, an unterminated string.
  CHECK_FALSE(NormalizePullStatement({"SELECT * FROM T -- c\n WHERE ID='k1';", {1, 1}}));
  CHECK_FALSE(NormalizePullStatement({"SELECT * FROM T WHERE ID='${k}';", {1, 1}}));
  CHECK_FALSE(NormalizePullStatement({"SELECT * FROM T WHERE ID='\xc3\xa9';", {1, 1}}));
  CHECK_FALSE(NormalizePullStatement({"SELECT * FROM T WHERE ID='k1;", {1, 1}}));
  // The position is part of the key (errors quote it).
  CHECK(NormalizePullStatement({"SELECT * FROM T1 WHERE ID='k1' AND X = 12;", {2, 1}})->key != a->key);
}

TEST_CASE("pull cache: a miss, then hits with other keys give those keys' rows", "[pull][cache]") {
  Engine engine({});
  CreateTables(engine);
  Answer first = CheckSame(engine, "SELECT * FROM S WHERE ID='k1';");
  CHECK_FALSE(first.cached);
  CHECK(first.rows == json::parse(R"([["k1",10,"it's 1"]])"));
  REQUIRE(engine.pull_cache());
  CHECK(engine.pull_cache()->size() == 1);

  Answer second = CheckSame(engine, "SELECT * FROM S WHERE ID='k3';");
  CHECK(second.cached);
  CHECK(second.rows == json::parse(R"([["k3",30,"it's 3"]])"));
  CHECK(CheckSame(engine, "SELECT * FROM S WHERE ID='nope';").rows == json::array());
  CHECK(CheckSame(engine, "SELECT * FROM S WHERE ID='k''1';").rows == json::array());
  CHECK(engine.pull_cache()->hits() == 3);

  // Literals in the projection and in the rest of WHERE are bound too.
  CheckSame(engine, "SELECT ID, V + 1 AS W, 'x' AS C FROM S WHERE ID='k2' AND NAME = 'it''s 2';");
  Answer bound = CheckSame(engine, "SELECT ID, V + 5 AS W, 'y' AS C FROM S WHERE ID='k4' AND NAME = 'it''s 4';");
  CHECK(bound.cached);
  CHECK(bound.rows == json::parse(R"([["k4",45,"y"]])"));
  CHECK(CheckSame(engine, "SELECT ID, V + 5 AS W, 'y' AS C FROM S WHERE ID='k4' AND NAME = 'other';").rows ==
        json::array());

  // INT keys; an IN list.
  CHECK_FALSE(CheckSame(engine, "SELECT * FROM N WHERE ID=1;").cached);
  Answer n = CheckSame(engine, "SELECT * FROM N WHERE ID=4;");
  CHECK(n.cached);
  CHECK(n.rows == json::parse(R"([[4,"n4"]])"));
  CheckSame(engine, "SELECT * FROM N WHERE ID IN (1, 2);");
  Answer in = CheckSame(engine, "SELECT * FROM N WHERE ID IN (3, 5);");
  CHECK(in.cached);
  CHECK(in.rows == json::parse(R"([[3,"n3"],[5,"n5"]])"));
}

TEST_CASE("pull cache: literals the parser folds or keeps outside expressions must match", "[pull][cache]") {
  Engine engine({});
  CreateTables(engine);
  CheckSame(engine, "SELECT * FROM S WHERE V > 10 LIMIT 1;");
  Answer limit = CheckSame(engine, "SELECT * FROM S WHERE V > 10 LIMIT 3;");
  CHECK_FALSE(limit.cached);  // LIMIT is no expression: a different LIMIT is a miss
  CHECK(limit.rows.size() == 3);
  CHECK(CheckSame(engine, "SELECT * FROM S WHERE V > 10 LIMIT 3;").cached);
  CHECK(CheckSame(engine, "SELECT * FROM S WHERE V > 30 LIMIT 3;").rows.size() == 2);

  // `-5` is folded into one literal at the minus sign: another value is not bound into it.
  CheckSame(engine, "SELECT * FROM S WHERE V > -5;");
  Answer neg = CheckSame(engine, "SELECT * FROM S WHERE V > -40;");
  CHECK_FALSE(neg.cached);
  CHECK(neg.rows.size() == 5);
}

TEST_CASE("pull cache: errors are the uncached path's", "[pull][cache]") {
  Engine engine({});
  CreateTables(engine);
  CheckSame(engine, "SELECT * FROM S WHERE ID='k1';");
  // A number where the key is a STRING, a string where it is an INT: the analyzer's errors.
  Answer wrong = CheckSame(engine, "SELECT * FROM S WHERE ID=5;");
  CHECK_FALSE(wrong.status.ok());
  CheckSame(engine, "SELECT * FROM N WHERE ID=1;");
  CHECK_FALSE(CheckSame(engine, "SELECT * FROM N WHERE ID='1';").status.ok());
  // An error that depends on the literal's value, on a hit: reported as without the cache.
  CHECK(CheckSame(engine, "SELECT * FROM S WHERE ID='k1' AND ROWTIME > '1970-01-01T00:00:02';").rows ==
        json::array());
  Answer bad_time = CheckSame(engine, "SELECT * FROM S WHERE ID='k3' AND ROWTIME > 'not a time';");
  CHECK_FALSE(bad_time.status.ok());
  CHECK(CheckSame(engine, "SELECT * FROM S WHERE ID='k3' AND ROWTIME > '1970-01-01T00:00:02';").rows.size() == 1);
  // Request properties are part of the key.
  CheckSame(engine, "SELECT * FROM S WHERE V = 10;", {{"ksql.query.pull.table.scan.enabled", "true"}});
  Answer no_scan = CheckSame(engine, "SELECT * FROM S WHERE V = 20;", {{"ksql.query.pull.table.scan.enabled", "false"}});
  CHECK_FALSE(no_scan.status.ok());
}

TEST_CASE("pull cache: emptied by DDL; never a plan of a dropped source's schema", "[pull][cache]") {
  Engine engine({});
  CreateTables(engine);
  CheckSame(engine, "SELECT * FROM S WHERE ID='k1';");
  REQUIRE(engine.pull_cache()->size() == 1);
  RequireOk(engine.Execute("DROP TABLE S;"));
  CHECK(engine.pull_cache()->size() == 0);
  Answer gone = CheckSame(engine, "SELECT * FROM S WHERE ID='k2';");
  CHECK_FALSE(gone.status.ok());
  // The same name over the same topic with another schema.
  RequireOk(engine.Execute(
      "CREATE SOURCE TABLE S (ID STRING PRIMARY KEY, NAME STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON');"));
  CheckSame(engine, "SELECT * FROM S WHERE ID='k1';");
  Answer again = CheckSame(engine, "SELECT * FROM S WHERE ID='k2';");
  CHECK(again.cached);
  CHECK(again.schema == "`ID` STRING KEY, `NAME` STRING");
  CHECK(again.rows == json::parse(R"([["k2","it's 2"]])"));
  // Any executed statement empties it.
  RequireOk(engine.Execute("CREATE STREAM X (A INT) WITH (KAFKA_TOPIC='x', VALUE_FORMAT='JSON', PARTITIONS=1);"));
  CHECK(engine.pull_cache()->size() == 0);
}

}  // namespace pull_cache_test
