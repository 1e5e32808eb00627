// Parser: every statement kind, operator precedence, identifiers, literals and the errors
// for malformed statements (position and text).
#include <catch2/catch.hpp>

#include "engine/parser/parser.h"

namespace parser_test {  // this file's own names (unity build: tests/README.md)

using namespace sluice;

namespace {

StatementPtr Parse(const std::string& sql) {
  auto r = ParseSingleStatement(sql);
  INFO(sql << "\n" << r.status().message());
  REQUIRE(r.ok());
  return *r;
}

template <typename T>
std::shared_ptr<T> ParseAs(const std::string& sql) {
  auto stmt = std::dynamic_pointer_cast<T>(Parse(sql));
  REQUIRE(stmt);
  return stmt;
}

std::string Expr(const std::string& text) {
  auto r = ParseExpression(text);
  INFO(text << "\n" << r.status().message());
  REQUIRE(r.ok());
  return FormatExpression(**r);
}

std::string Error(const std::string& sql) {
  auto r = ParseSingleStatement(sql);
  REQUIRE_FALSE(r.ok());
  return r.status().message();
}

}  // namespace

TEST_CASE("CREATE STREAM with columns, keys, headers and properties", "[parser]") {
  auto s = ParseAs<CreateSource>(
      "create stream pageviews (id INT KEY, `viewTime` BIGINT, tags ARRAY<STRING>, "
      "attrs MAP<STRING, DOUBLE>, addr STRUCT<street VARCHAR, zip INT>, amount DECIMAL(10, 2), "
      "h BYTES HEADER('trace'), hs ARRAY<STRUCT<key STRING, value BYTES>> HEADERS) "
      "WITH (KAFKA_TOPIC='pv', value_format='json', partitions=4);");
  CHECK(s->source_kind == SourceKind::kStream);
  CHECK(s->name == "PAGEVIEWS");
  REQUIRE(s->elements.size() == 8);
  CHECK(s->elements[0].name == "ID");
  CHECK(s->elements[0].constraint == TableElement::Constraint::kKey);
  CHECK(s->elements[1].name == "viewTime");
  CHECK(s->elements[2].type->ToString() == "ARRAY<STRING>");
  CHECK(s->elements[3].type->ToString() == "MAP<STRING, DOUBLE>");
  CHECK(s->elements[4].type->ToString() == "STRUCT<`STREET` STRING, `ZIP` INTEGER>");
  CHECK(s->elements[5].type->ToString() == "DECIMAL(10, 2)");
  CHECK(s->elements[6].constraint == TableElement::Constraint::kHeader);
  CHECK(s->elements[6].header_key == "trace");
  CHECK(s->elements[7].constraint == TableElement::Constraint::kHeaders);
  REQUIRE(FindProperty(s->properties, "VALUE_FORMAT"));
  CHECK(FindProperty(s->properties, "VALUE_FORMAT")->value.AsString() == "json");
  CHECK(FindProperty(s->properties, "PARTITIONS")->value.AsInt() == 4);
}

TEST_CASE("CREATE [OR REPLACE] [SOURCE] TABLE and custom types", "[parser]") {
  auto t = ParseAs<CreateSource>(
      "CREATE OR REPLACE SOURCE TABLE IF NOT EXISTS users (id STRING PRIMARY KEY, a ADDRESS) "
      "WITH (kafka_topic='u', format='avro');");
  CHECK(t->source_kind == SourceKind::kTable);
  CHECK(t->or_replace);
  CHECK(t->is_source);
  CHECK(t->if_not_exists);
  CHECK(t->elements[0].constraint == TableElement::Constraint::kPrimaryKey);
  CHECK(t->elements[1].type->kind == TypeSpec::Kind::kCustom);
  CHECK(t->elements[1].type->custom_name == "ADDRESS");

  auto type = ParseAs<RegisterType>("CREATE TYPE address AS STRUCT<number INT, street STRING>;");
  CHECK(type->name == "ADDRESS");
  CHECK(type->type->kind == TypeSpec::Kind::kStruct);
  auto drop = ParseAs<NamedStatement>("DROP TYPE IF EXISTS address;");
  CHECK(drop->kind == StatementKind::kDropType);
  CHECK(drop->if_exists);
}

TEST_CASE("CREATE ... AS SELECT with every clause", "[parser]") {
  auto s = ParseAs<CreateAsSelect>(
      "CREATE TABLE totals WITH (kafka_topic='out') AS SELECT user, COUNT(*) AS c, SUM(amount) "
      "FROM payments p WINDOW TUMBLING (SIZE 1 HOUR, RETENTION 2 DAYS, GRACE PERIOD 10 MINUTES) "
      "WHERE amount > 0 GROUP BY user HAVING COUNT(*) > 1 EMIT CHANGES;");
  CHECK(s->source_kind == SourceKind::kTable);
  const Query& q = *s->query;
  REQUIRE(q.select.size() == 3);
  CHECK(q.select[1].alias == "C");
  CHECK(static_cast<FunctionCallExpr&>(*q.select[1].expression).star);
  CHECK(q.from.name == "PAYMENTS");
  CHECK(q.from.alias == "P");
  REQUIRE(q.window);
  CHECK(q.window->kind == WindowSpec::Kind::kTumbling);
  CHECK(q.window->size.ToMillis() == 3'600'000);
  CHECK(q.window->retention->ToMillis() == 2 * 86'400'000LL);
  CHECK(q.window->grace->ToMillis() == 600'000);
  CHECK(FormatExpression(*q.where) == "(AMOUNT > 0)");
  CHECK(q.group_by.size() == 1);
  CHECK(q.having);
  CHECK(q.emit == EmitKind::kChanges);

  auto hopping = ParseAs<QueryStatement>(
      "SELECT * FROM s WINDOW HOPPING (SIZE 30 SECONDS, ADVANCE BY 10 SECONDS) GROUP BY k EMIT FINAL;");
  CHECK(hopping->query->window->advance.ToMillis() == 10'000);
  CHECK(hopping->query->emit == EmitKind::kFinal);
  auto session = ParseAs<QueryStatement>("SELECT k FROM s WINDOW SESSION (5 MINUTES) GROUP BY k;");
  CHECK(session->query->window->kind == WindowSpec::Kind::kSession);
  auto partition = ParseAs<CreateAsSelect>("CREATE STREAM r AS SELECT * FROM s PARTITION BY a, b;");
  CHECK(partition->query->partition_by.size() == 2);
  auto limited = ParseAs<QueryStatement>("SELECT * FROM s EMIT CHANGES LIMIT 5;");
  CHECK(*limited->query->limit == 5);
}

TEST_CASE("joins with WITHIN and GRACE PERIOD", "[parser]") {
  auto q = ParseAs<QueryStatement>(
      "SELECT * FROM a LEFT JOIN b WITHIN (1 HOUR, 2 HOURS) GRACE PERIOD 5 MINUTES ON a.id = b.id "
      "FULL OUTER JOIN c WITHIN 10 SECONDS ON a.id = c.id INNER JOIN d ON a.id = d.id "
      "RIGHT JOIN e ON a.id = e.id;")->query;
  REQUIRE(q->joins.size() == 4);
  CHECK(q->joins[0].type == JoinType::kLeft);
  CHECK(q->joins[0].within->before.ToMillis() == 3'600'000);
  CHECK(q->joins[0].within->after.ToMillis() == 7'200'000);
  CHECK(q->joins[0].within->grace->ToMillis() == 300'000);
  CHECK(q->joins[1].type == JoinType::kOuter);
  CHECK(q->joins[1].within->before.ToMillis() == 10'000);
  CHECK(q->joins[2].type == JoinType::kInner);
  CHECK(q->joins[3].type == JoinType::kRight);
  CHECK(FormatExpression(*q->joins[0].criteria) == "(A.ID = B.ID)");
}

TEST_CASE("INSERT INTO SELECT and INSERT VALUES", "[parser]") {
  auto ins = ParseAs<InsertInto>("INSERT INTO out WITH (query_id='q1') SELECT * FROM s;");
  CHECK(ins->target == "OUT");
  CHECK(ins->properties.size() == 1);
  auto vals = ParseAs<InsertValues>("INSERT INTO s (id, name) VALUES (1, 'a''b');");
  CHECK(vals->columns == std::vector<std::string>{"ID", "NAME"});
  CHECK(static_cast<LiteralExpr&>(*vals->values[1]).value.AsString() == "a'b");
  auto all = ParseAs<InsertValues>("INSERT INTO s VALUES (ARRAY[1,2], MAP('k' := 1), -5);");
  CHECK(all->columns.empty());
  CHECK(all->values.size() == 3);
}

TEST_CASE("administrative statements", "[parser]") {
  struct Case {
    const char* sql;
    StatementKind kind;
  };
  const Case cases[] = {
      {"SHOW STREAMS;", StatementKind::kListStreams},
      {"LIST TABLES EXTENDED;", StatementKind::kListTables},
      {"SHOW ALL TOPICS;", StatementKind::kListTopics},
      {"SHOW QUERIES;", StatementKind::kListQueries},
      {"SHOW FUNCTIONS;", StatementKind::kListFunctions},
      {"SHOW PROPERTIES;", StatementKind::kListProperties},
      {"SHOW TYPES;", StatementKind::kListTypes},
      {"SHOW VARIABLES;", StatementKind::kListVariables},
      {"SHOW SOURCE CONNECTORS;", StatementKind::kListConnectors},
      {"SHOW CONNECTOR PLUGINS;", StatementKind::kListConnectorPlugins},
      {"DESCRIBE STREAMS EXTENDED;", StatementKind::kDescribeStreams},
      {"DESCRIBE TABLES;", StatementKind::kDescribeTables},
      {"DESCRIBE EXTENDED pageviews;", StatementKind::kDescribeSource},
      {"DESCRIBE FUNCTION substring;", StatementKind::kDescribeFunction},
      {"DESCRIBE CONNECTOR c;", StatementKind::kDescribeConnector},
      {"PRINT 'topic' FROM BEGINNING INTERVAL 2 LIMIT 10;", StatementKind::kPrintTopic},
      {"TERMINATE CSAS_OUT_1;", StatementKind::kTerminateQuery},
      {"TERMINATE ALL;", StatementKind::kTerminateQuery},
      {"PAUSE ALL;", StatementKind::kPauseQuery},
      {"RESUME q1;", StatementKind::kResumeQuery},
      {"SET 'auto.offset.reset' = 'earliest';", StatementKind::kSetProperty},
      {"UNSET 'auto.offset.reset';", StatementKind::kUnsetProperty},
      {"ALTER SYSTEM 'ksql.x' = 'y';", StatementKind::kAlterSystemProperty},
      {"DEFINE topic = 'orders';", StatementKind::kDefineVariable},
      {"UNDEFINE topic;", StatementKind::kUndefineVariable},
      {"DROP STREAM IF EXISTS s DELETE TOPIC;", StatementKind::kDropSource},
      {"DROP TABLE t;", StatementKind::kDropSource},
      {"EXPLAIN SELECT * FROM s;", StatementKind::kExplain},
      {"EXPLAIN CTAS_T_0;", StatementKind::kExplain},
      {"ALTER STREAM s ADD COLUMN c INT, ADD d STRING;", StatementKind::kAlterSource},
      {"ASSERT TOPIC orders WITH (partitions=3) TIMEOUT 10 SECONDS;", StatementKind::kAssertTopic},
      {"ASSERT NOT EXISTS SCHEMA SUBJECT 'orders-value' ID 4;", StatementKind::kAssertSchema},
      {"CREATE SOURCE CONNECTOR c WITH ('connector.class'='x');", StatementKind::kCreateConnector},
      {"DROP CONNECTOR IF EXISTS c;", StatementKind::kDropConnector},
  };
  for (const auto& c : cases) {
    INFO(c.sql);
    CHECK(Parse(c.sql)->kind == c.kind);
  }
  auto print = ParseAs<PrintTopic>("PRINT orders_Topic FROM BEGINNING LIMIT 3;");
  CHECK(print->topic == "orders_Topic");
  CHECK(print->from_beginning);
  CHECK(*print->limit == 3);
  auto set = ParseAs<PropertyStatement>("SET 'auto.offset.reset' = 'earliest';");
  CHECK(set->name == "auto.offset.reset");
  CHECK(set->value == "earliest");
}

TEST_CASE("operator precedence", "[parser]") {
  CHECK(Expr("1 + 2 * 3") == "(1 + (2 * 3))");
  CHECK(Expr("(1 + 2) * 3") == "((1 + 2) * 3)");
  CHECK(Expr("a - b - c") == "((A - B) - C)");
  CHECK(Expr("a / b % c") == "((A / B) % C)");
  CHECK(Expr("a OR b AND c") == "(A OR (B AND C))");
  CHECK(Expr("NOT a = 1 AND b") == "((NOT (A = 1)) AND B)");
  CHECK(Expr("a + 1 > b * 2") == "((A + 1) > (B * 2))");
  CHECK(Expr("-a * b") == "(-A * B)");
  CHECK(Expr("x BETWEEN 1 AND 2 AND y") == "((X BETWEEN 1 AND 2) AND Y)");
  CHECK(Expr("a || b || c") == "CONCAT(CONCAT(A, B), C)");
}

TEST_CASE("predicates and complex expressions", "[parser]") {
  CHECK(Expr("a IS NOT NULL") == "(A IS NOT NULL)");
  CHECK(Expr("a IS DISTINCT FROM b") == "(A IS DISTINCT FROM B)");
  CHECK(Expr("a IS NOT DISTINCT FROM b") == "(A IS NOT DISTINCT FROM B)");
  CHECK(Expr("a NOT IN (1, 2)") == "(A NOT IN (1, 2))");
  CHECK(Expr("a NOT BETWEEN 1 AND 5") == "(A NOT BETWEEN 1 AND 5)");
  CHECK(Expr("name LIKE '%x!%' ESCAPE '!'") == "(NAME LIKE '%x!%' ESCAPE '!')");
  CHECK(Expr("CASE WHEN a > 1 THEN 'x' ELSE 'y' END") == "(CASE WHEN (A > 1) THEN 'x' ELSE 'y' END)");
  CHECK(Expr("CASE a WHEN 1 THEN 'one' END") == "(CASE A WHEN 1 THEN 'one' END)");
  CHECK(Expr("CAST(a AS DECIMAL(5, 2))") == "CAST(A AS DECIMAL(5, 2))");
  CHECK(Expr("CAST(a AS ARRAY<MAP<STRING, INT>>)") == "CAST(A AS ARRAY<MAP<STRING, INTEGER>>)");
  CHECK(Expr("s->f->g") == "S->F->G");
  CHECK(Expr("arr[1]['k']") == "ARR[1]['k']");
  CHECK(Expr("ARRAY[1, 2]") == "ARRAY[1, 2]");
  CHECK(Expr("MAP('a' := 1)") == "MAP('a':=1)");
  CHECK(Expr("STRUCT(a := 1, b := 'x')") == "STRUCT(A:=1, B:='x')");
  CHECK(Expr("TRANSFORM(arr, x => x + 1)") == "TRANSFORM(ARR, (X) => (X + 1))");
  CHECK(Expr("REDUCE(arr, 0, (s, x) => s + x)") == "REDUCE(ARR, 0, (S, X) => (S + X))");
  CHECK(Expr("COUNT(*)") == "COUNT(*)");
  CHECK(Expr("CONCAT(a, b, c, d)") == "CONCAT(A, B, C, D)");
  CHECK(Expr("t.col") == "T.COL");
}

TEST_CASE("identifiers: unquoted upper-cased, quoted kept, keywords usable", "[parser]") {
  auto s = ParseAs<CreateSource>(
      "CREATE STREAM \"MixedCase\" (`lower` INT, \"With \"\"Quote\"\"\" STRING, plain STRING, "
      "`select` INT, value STRING, timestamp BIGINT, date INT, key STRING, size INT) "
      "WITH (kafka_topic='t');");
  CHECK(s->name == "MixedCase");
  CHECK(s->elements[0].name == "lower");
  CHECK(s->elements[1].name == "With \"Quote\"");
  CHECK(s->elements[2].name == "PLAIN");
  CHECK(s->elements[3].name == "select");
  CHECK(s->elements[4].name == "VALUE");
  CHECK(s->elements[5].name == "TIMESTAMP");
  CHECK(s->elements[8].name == "SIZE");
  CHECK(Expr("`a``b`") == "a`b");
}

TEST_CASE("literals and their types", "[parser]") {
  auto lit = [](const std::string& text) {
    auto r = ParseExpression(text);
    REQUIRE(r.ok());
    REQUIRE((*r)->kind == ExprKind::kLiteral);
    return std::static_pointer_cast<LiteralExpr>(*r);
  };
  CHECK(lit("42")->value.AsInt() == 42);
  CHECK(lit("-2147483648")->value.AsInt() == INT32_MIN);
  CHECK(lit("2147483648")->value.AsBigint() == 2147483648LL);
  CHECK(lit("1.50")->literal_kind == LiteralExpr::Kind::kDecimal);
  CHECK(lit("1.50")->value.AsDecimal().ToString() == "1.50");
  CHECK(lit("-0.05")->value.AsDecimal().ToString() == "-0.05");
  CHECK(lit("1.5E3")->value.AsDouble() == 1500.0);
  CHECK(lit("1e-2")->value.AsDouble() == 0.01);
  CHECK(lit("'it''s'")->value.AsString() == "it's");
  CHECK(lit("''")->value.AsString().empty());
  CHECK(lit("TRUE")->value.AsBool());
  CHECK_FALSE(lit("false")->value.AsBool());
  CHECK(lit("NULL")->value.IsNull());
  CHECK(lit("'2020-01-01T00:00:00'")->value.AsString() == "2020-01-01T00:00:00");
}

TEST_CASE("scripts split on top-level semicolons with positions", "[parser]") {
  auto raws = SplitStatements(
      "-- a comment; not a split\nCREATE STREAM s (a STRING) WITH (kafka_topic='x;y');\n"
      "  /* block; */ SELECT ';' FROM s;\nSHOW STREAMS");
  REQUIRE(raws.size() == 3);
  CHECK(raws[0].pos.line == 2);
  CHECK(raws[0].pos.column == 1);
  CHECK(raws[1].pos.line == 3);
  CHECK(raws[1].pos.column == 16);
  CHECK(raws[1].text == "SELECT ';' FROM s;");
  CHECK(raws[2].text == "SHOW STREAMS");
  // Errors in a later statement are reported at their place in the script.
  auto bad = ParseStatement(SplitStatements("SHOW STREAMS;\n\nSELECT * FROMM s;")[1]);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().rfind("line 3:10:", 0) == 0);
}

TEST_CASE("variables substitute before parsing", "[parser]") {
  VariableMap vars{{"TOPIC", "orders"}, {"COL", "amount"}};
  auto s = ParseSingleStatement("CREATE STREAM s (${col} INT) WITH (kafka_topic='${topic}');", &vars);
  REQUIRE(s.ok());
  auto& create = static_cast<CreateSource&>(**s);
  CHECK(create.elements[0].name == "AMOUNT");
  CHECK(FindProperty(create.properties, "KAFKA_TOPIC")->value.AsString() == "orders");
  auto missing = ParseSingleStatement("SELECT ${nope} FROM s;", &vars);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().message() == "Variable 'NOPE' is not defined");
}

TEST_CASE("malformed statements report line, column, token and what was expected", "[parser]") {
  // ksqlDB's wording: "Syntax error at or near" for no viable alternative, "Expecting {...}"
  // for a mismatched token, ANTLR's "missing"/"extraneous input" for a token too few or too
  // many. Prefixes: the expected-token sets can be long.
  struct Case {
    const char* sql;
    const char* message;
  };
  const Case cases[] = {
      {"SELEC * FROM s;", "line 1:1: Syntax Error\nUnknown statement 'SELEC'"},
      {"RUN SCRIPT 'foo';", "line 1:1: Syntax Error\nUnknown statement 'RUN'"},
      {"SELECT * FROMM s;", "line 1:10: Syntax Error\nExpecting {'FROM', ','}"},
      {"SELECT * FROM;", "line 1:14: Syntax Error\nExpecting {'CHANGES', "},
      {"SELECT * FROM s\nWHERE;", "line 2:6: Syntax Error\nExpecting {'CHANGES', "},
      {"CREATE STREAM s (id INT WITH (kafka_topic='t');",
       "line 1:25: Syntax Error\nExpecting {',', ')'}"},
      {"CREATE STREAM s (id INT) WITH (kafka_topic='t'",
       "line 1:47: Syntax Error\nExpecting {',', ')'}"},
      {"SELECT a, FROM s;", "line 1:11: Syntax Error\nextraneous input 'FROM' expecting {"},
      {"CREATE TABLE t (id INT PRIMARY) WITH (kafka_topic='t');",
       "line 1:31: Syntax Error\nmissing 'KEY' at ')'"},
      {"SELECT * FROM s WHERE a = = 1;", "line 1:27: Syntax Error\nextraneous input '=' expecting {"},
      {"INSERT INTO s VALUES (1, 2;", "line 1:27: Syntax Error\nextraneous input ';' expecting {',', ')'}"},
      {"DROP STREAM;", "line 1:12: Syntax Error\nExpecting {'CHANGES', "},
      {"SELECT CAST(a AS) FROM s;", "line 1:17: Syntax Error\nSyntax error at or near ')' at line 1:17"},
      {"SELECT * FROM s WINDOW TUMBLING (SIZE 10);",
       "line 1:41: Syntax Error\nmissing {'DAY', 'HOUR', "},
      {"SELECT * FROM s WINDOW HOPPING (SIZE 10 SECONDS);",
       "line 1:48: Syntax Error\nExpecting ','"},
      {"SELECT * FROM s EMIT SOMETIMES;",
       "line 1:22: Syntax Error\nExpecting {'CHANGES', 'FINAL'}"},
      {"SELECT * FROM s LIMIT x;", "line 1:23: Syntax Error\nextraneous input 'x' expecting {<EOF>, ';'}"},
      {"CREATE STREAM s (a DECIMAL(40, 2)) WITH (kafka_topic='t');",
       "line 1:20: DECIMAL precision must be between 1 and 38: 40"},
      {"CREATE STREAM s (a DECIMAL(4, 5)) WITH (kafka_topic='t');",
       "line 1:20: DECIMAL scale must be between 0 and the precision (4): 5"},
      {"SELECT a # b FROM s;", "line 1:10: Syntax Error\n"},
      {"SELECT ARRAY[1, 2 FROM s;", "line 1:19: Syntax Error\nSyntax error at or near 'FROM' at line 1:19"},
      {"SELECT * FROM s WHERE a NOT BETWEEN 1 2;", "line 1:39: Syntax Error\nmissing 'AND' at '2'"},
      {"SELECT * FROM s WHERE a LIKE 'x' ESCAPE 'ab';",
       "line 1:41: Escape string must be a single character, got 'ab'"},
      // ksqlDB reports literal errors while preparing the statement, one column to the right.
      {"SELECT 99999999999999999999 FROM s;",
       "Failed to prepare statement: line 1:9: Invalid numeric literal: 99999999999999999999"},
      {"SELECT * FROM a JOIN b WITHIN 10 ON a.id = b.id;",
       "line 1:34: Syntax Error\nmissing {'DAY', 'HOUR', "},
      {"SET 'a';", "line 1:8: Syntax Error\nExpecting '='"},
      {"ASSERT VALUES foo (id INT) VALUES (123);",
       "line 1:8: Syntax Error\nSyntax error at or near 'VALUES' at line 1:8"},
      // Type parameters are an integer or STRING, as in ksqlDB's grammar.
      {"CREATE STREAM s (k STRING (KEY)) WITH (kafka_topic='t');",
       "line 1:28: Syntax Error\nExpecting {'STRING', INTEGER_VALUE}"},
  };
  for (const auto& c : cases) {
    INFO(c.sql);
    std::string message = Error(c.sql);
    INFO(message);
    CHECK(message.rfind(c.message, 0) == 0);
  }
}

TEST_CASE("UTF-8: multi-byte text splits correctly, malformed bytes are a positioned error", "[parser]") {
  auto raws = SplitStatements("SELECT 'héllo → ü' FROM s;\nSELECT `naïve` FROM s;");
  REQUIRE(raws.size() == 2);
  CHECK(raws[0].text == "SELECT 'héllo → ü' FROM s;");
  CHECK(raws[1].text == "SELECT `naïve` FROM s;");
  auto ok = ParseStatement(raws[1]);
  REQUIRE(ok.ok());
  auto bad = ParseSingleStatement("SELECT 'ab\xff' FROM s;");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message() == "line 1:11: Syntax Error\ninvalid UTF-8 byte 0xFF");
}

}  // namespace parser_test
