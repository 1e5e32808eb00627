// A CREATE STREAM/TABLE whose columns come from the Schema Registry is kept (DESCRIBE's
// `statement`, the command topic) with those columns and the ids of the schemas they were
// read from, as ksqlDB's DefaultSchemaInjector rewrites it: replaying it after a newer schema
// was registered gives the same source (engine/analyzer/source_statement_text.h).
#include <catch2/catch.hpp>

#include "engine/analyzer/source_statement_text.h"
#include "engine/runtime/test_driver.h"
#include "engine/schema_registry/schema_registry.h"
#include "server/command_log.h"
#include "server/ksql_service.h"

namespace inferred_statement_test {  // this file's own names (unity build: tests/README.md)

using namespace sluice;
using nlohmann::json;

namespace {

const char* kOrdersKeyV1 = R"("string")";
const char* kOrdersValueV1 =
    R"({"type":"record","name":"Order","fields":[{"name":"id","type":"int"},{"name":"name","type":"string"}]})";
// A later version: a field gone, another type changed, one added.
const char* kOrdersValueV2 =
    R"({"type":"record","name":"Order","fields":[{"name":"id","type":"long"},{"name":"amount","type":"double"}]})";

struct InferredStatementServer {
  Engine engine{{}};
  KsqlService service{engine, {}, nullptr, nullptr, ServerIdentity{}};

  json Run(const std::string& sql) {
    HttpReply r = service.HandleKsql(json{{"ksql", sql}}.dump());
    INFO(sql << " -> " << r.body);
    REQUIRE(r.status == 200);
    return json::parse(r.body);
  }
  std::string DescribedStatement(const std::string& source) {
    json e = Run("DESCRIBE " + source + " EXTENDED;");
    REQUIRE(e.size() == 1);
    return e[0]["sourceDescription"]["statement"].get<std::string>();
  }
  std::vector<std::string> ColumnTexts(const std::string& source) {
    DataSourcePtr s = engine.metastore().FindSource(source);
    REQUIRE(s);
    std::vector<std::string> out;
    for (const SourceColumn& c : s->columns) out.push_back(c.name + " " + c.type->ToString());
    return out;
  }
};

void RegisterOrdersV1(SchemaRegistry& registry) {
  REQUIRE(*registry.Register("orders-key", SchemaType::kAvro, kOrdersKeyV1) == 1);
  REQUIRE(*registry.Register("orders-value", SchemaType::kAvro, kOrdersValueV1) == 2);
}

}  // namespace

TEST_CASE("Inferred columns: DESCRIBE's statement carries the columns and the schema ids", "[schema_registry][executor]") {
  InferredStatementServer s;
  RegisterOrdersV1(*s.engine.schema_registry());
  s.Run("CREATE STREAM orders WITH (kafka_topic='orders', format='AVRO');");
  const std::string expected =
      "CREATE STREAM `ORDERS` (`ROWKEY` STRING KEY, `ID` INTEGER, `NAME` STRING) WITH "
      "(KAFKA_TOPIC='orders', FORMAT='AVRO', KEY_SCHEMA_ID=1, VALUE_SCHEMA_ID=2);";
  CHECK(s.DescribedStatement("ORDERS") == expected);
  CHECK(s.engine.last_statement_text() == expected);  // what the command topic records
  DataSourcePtr orders = s.engine.metastore().FindSource("ORDERS");
  CHECK(orders->key_format.schema_id == 1);  // the source writes with the schemas it was read from
  CHECK(orders->value_format.schema_id == 2);

  // Ids the statement gave stay as given; the field names are the schema's (ORIGINAL_FIELD_NAME).
  s.Run("CREATE TABLE by_id (K STRING PRIMARY KEY) WITH (kafka_topic='orders', key_format='KAFKA', "
        "value_format='AVRO', value_schema_id=2, partitions=1);");
  CHECK(s.DescribedStatement("BY_ID") ==
        "CREATE TABLE `BY_ID` (`K` STRING PRIMARY KEY, `id` INTEGER, `name` STRING) WITH "
        "(KAFKA_TOPIC='orders', KEY_FORMAT='KAFKA', VALUE_FORMAT='AVRO', VALUE_SCHEMA_ID=2, PARTITIONS=1);");

  // Columns written out are kept as written.
  s.Run("CREATE STREAM plain (A INT) WITH (kafka_topic='plain', value_format='JSON', partitions=1);");
  CHECK(s.DescribedStatement("PLAIN") ==
        "CREATE STREAM plain (A INT) WITH (kafka_topic='plain', value_format='JSON', partitions=1);");
}

TEST_CASE("Inferred columns: the kept statement replays the same source after a newer schema", "[schema_registry][executor]") {
  InferredStatementServer first;
  auto registry = first.engine.schema_registry();
  RegisterOrdersV1(*registry);
  first.Run("CREATE STREAM orders WITH (kafka_topic='orders', format='AVRO');");
  const std::vector<std::string> columns_v1 = first.ColumnTexts("ORDERS");
  REQUIRE(columns_v1 == std::vector<std::string>{"ROWKEY STRING", "ID INTEGER", "NAME STRING"});
  const std::string kept = first.engine.last_statement_text();

  REQUIRE(*registry->Register("orders-value", SchemaType::kAvro, kOrdersValueV2) == 3);

  // A restart: a new engine on the same registry replays the command topic's statement.
  InferredStatementServer restarted;
  restarted.engine.SetSchemaRegistry(registry);
  REQUIRE(restarted.service.Replay({Command{"stream/`ORDERS`/create", kept, {}, 0}}) == 1);
  CHECK(restarted.ColumnTexts("ORDERS") == columns_v1);
  CHECK(restarted.engine.metastore().FindSource("ORDERS")->value_format.schema_id == 2);
  CHECK(restarted.DescribedStatement("ORDERS") == kept);

  // The statement as first written would now read the newer schema: the rewrite is what keeps it.
  InferredStatementServer fresh;
  fresh.engine.SetSchemaRegistry(registry);
  fresh.Run("CREATE STREAM orders WITH (kafka_topic='orders', format='AVRO');");
  CHECK(fresh.ColumnTexts("ORDERS") == std::vector<std::string>{"ROWKEY STRING", "ID BIGINT", "AMOUNT DOUBLE"});
  CHECK(fresh.engine.metastore().FindSource("ORDERS")->value_format.schema_id == 3);
}

TEST_CASE("Inferred columns: columns and a schema id together must be that schema's", "[schema_registry][executor]") {
  InferredStatementServer s;
  RegisterOrdersV1(*s.engine.schema_registry());
  // Upper-cased names, as inference without an id gives them, match case-insensitively.
  s.Run("CREATE STREAM same (ID INT, NAME STRING) WITH (kafka_topic='orders', value_format='AVRO', value_schema_id=2);");
  CHECK(s.ColumnTexts("SAME") == std::vector<std::string>{"ID INTEGER", "NAME STRING"});

  for (const char* other : {"CREATE STREAM s1 (ID INT) WITH (kafka_topic='orders', value_format='AVRO', value_schema_id=2);",
                            "CREATE STREAM s2 (ID BIGINT, NAME STRING) WITH (kafka_topic='orders', value_format='AVRO', value_schema_id=2);",
                            "CREATE STREAM s3 (NAME STRING, ID INT) WITH (kafka_topic='orders', value_format='AVRO', value_schema_id=2);",
                            "CREATE STREAM s4 (ID INT, NAME STRING) WITH (kafka_topic='orders', value_format='AVRO', value_schema_id=9);",
                            "CREATE STREAM s5 (K INT KEY, ID INT, NAME STRING) WITH (kafka_topic='orders', format='AVRO', key_schema_id=1);"}) {
    HttpReply r = s.service.HandleKsql(json{{"ksql", other}}.dump());
    INFO(other << " -> " << r.body);
    CHECK(r.status == 400);
    CHECK(r.body.find("cannot both exist for create statement.") != std::string::npos);
  }
}

TEST_CASE("Inferred columns: names and texts read back by the parser", "[schema_registry][executor]") {
  CHECK(BackquotedIdentifier("a`b") == "`a``b`");
  Engine engine{{}};
  const char* schema =
      R"({"type":"object","properties":{"it's":{"type":"integer"},)"
      R"("s":{"type":"object","properties":{"x`y":{"type":"string"}}}}})";
  REQUIRE(engine.schema_registry()->Register("odd-value", SchemaType::kJson, schema).ok());
  Status created = engine.Execute("CREATE STREAM `we'ird` WITH (kafka_topic='odd', value_format='JSON_SR');");
  INFO(created.message());
  REQUIRE(created.ok());
  const std::string kept = engine.last_statement_text();
  CHECK(kept ==
        "CREATE STREAM `we'ird` (`it's` BIGINT, `s` STRUCT<`x``y` STRING>) WITH (KAFKA_TOPIC='odd', "
        "VALUE_FORMAT='JSON_SR', VALUE_SCHEMA_ID=1);");
  const auto before = engine.metastore().FindSource("we'ird")->columns;
  REQUIRE(engine.Execute("DROP STREAM `we'ird`;").ok());
  Status again = engine.Execute(kept);
  INFO(kept << " -> " << again.message());
  REQUIRE(again.ok());
  const auto after = engine.metastore().FindSource("we'ird")->columns;
  REQUIRE(after.size() == before.size());
  for (size_t i = 0; i < after.size(); ++i) {
    CHECK(after[i].name == before[i].name);
    CHECK(TypeEquals(after[i].type, before[i].type));
  }
}

TEST_CASE("Inferred PROTOBUF columns: names upper-cased, as written with a schema id", "[schema_registry][executor]") {
  TestDriver driver;
  const char* proto =
      "syntax = \"proto3\";\nmessage Order {\n  int32 order_id = 1;\n  Line line = 2;\n"
      "  oneof pay { string card = 3; int64 cash = 4; }\n}\nmessage Line { string sku = 1; }";
  REQUIRE(*driver.schema_registry()->Register("orders-value", SchemaType::kProtobuf, proto) == 1);
  auto run = [&](const std::string& sql) {
    Status st = driver.Execute(sql);
    INFO(sql << " -> " << st.message());
    REQUIRE(st.ok());
  };
  auto columns_of = [&](const char* source) {
    std::vector<std::string> out;
    for (const SourceColumn& c : driver.FindSource(source)->columns) out.push_back(c.name + " " + c.type->ToString());
    return out;
  };
  // ksqlDB's UPPERCASE_FIELD_NAME policy: columns, nested fields and the oneof column.
  run("CREATE STREAM upper WITH (kafka_topic='orders', value_format='PROTOBUF');");
  CHECK(columns_of("UPPER") ==
        std::vector<std::string>{"PAY_0 STRUCT<CARD STRING, CASH BIGINT>", "ORDER_ID INTEGER", "LINE STRUCT<SKU STRING>"});
  // ORIGINAL_FIELD_NAME with VALUE_SCHEMA_ID: the registered schema's own names.
  run("CREATE STREAM original WITH (kafka_topic='orders', value_format='PROTOBUF', value_schema_id=1);");
  CHECK(columns_of("ORIGINAL") ==
        std::vector<std::string>{"pay_0 STRUCT<card STRING, cash BIGINT>", "order_id INTEGER", "line STRUCT<sku STRING>"});

  // Both read the same records: written through one, selected through the other.
  run("CREATE STREAM out WITH (value_format='JSON') AS SELECT ORDER_ID, LINE->SKU AS SKU, PAY_0->CASH AS CASH FROM upper;"
                         "INSERT INTO original (`order_id`, `line`, `pay_0`) VALUES "
                         "(7, STRUCT(`sku` := 'x-1'), STRUCT(`cash` := CAST(12 AS BIGINT)));");
  const auto& out = driver.Records("OUT");
  REQUIRE(out.size() == 1);
  REQUIRE(out[0].value);
  CHECK(*out[0].value == R"({"ORDER_ID":7,"SKU":"x-1","CASH":12})");
}

}  // namespace inferred_statement_test
