// The in-memory Schema Registry, Confluent's wire header, and what statements do with the
// registry (inference, registration at CREATE, DROP ... DELETE TOPIC), through the TestDriver.
#include <catch2/catch.hpp>

#include "engine/runtime/test_driver.h"
#include "engine/schema_registry/schema_registry.h"
#include "tests/unit/test_util.h"

namespace schema_registry_test {  // this file's own names (unity build: tests/README.md)

using namespace sluice;
using namespace sluice::testing;

namespace {

const char* kIntKey = R"({"type":"integer","connect.type":"int32"})";
const char* kOrderValue = R"({"type":"object","properties":{"ID":{"type":"integer"},"NAME":{"type":"string"}}})";
}  // namespace

TEST_CASE("Registry: ids are global, versions per subject, same text keeps its id", "[schema_registry]") {
  InMemorySchemaRegistry r;
  auto a = r.Register("t-value", SchemaType::kJson, kOrderValue);
  auto b = r.Register("t-key", SchemaType::kJson, kIntKey);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(*a == 1);
  CHECK(*b == 2);
  CHECK(*r.Register("t-value", SchemaType::kJson, kOrderValue) == 1);  // no new version
  CHECK(r.Versions("t-value")->size() == 1);
  CHECK(*r.Register("u-value", SchemaType::kJson, kOrderValue) == 1);  // another subject, same id
  CHECK(*r.Register("t-value", SchemaType::kJson, kIntKey) == 2);      // a second version
  CHECK(r.Latest("t-value")->version == 2);
  CHECK(r.Version("t-value", 1)->text == kOrderValue);
  CHECK(r.ById(2)->type == SchemaType::kJson);
  // The same text as another type is another schema.
  CHECK(*r.Register("v-value", SchemaType::kAvro, kIntKey) == 3);
}

TEST_CASE("Registry: lookups that find nothing say so", "[schema_registry]") {
  InMemorySchemaRegistry r;
  CHECK(r.ById(7).status().message() == "Schema 7 not found");
  CHECK(r.Latest("nope-value").status().code() == Status::Code::kNotFound);
  REQUIRE(r.Register("s", SchemaType::kAvro, R"("int")").ok());
  CHECK(r.Version("s", 2).status().message() == "Version 2 not found.");
  auto deleted = r.DeleteSubject("s");
  REQUIRE(deleted.ok());
  CHECK(*deleted == std::vector<int>{1});
  CHECK(r.Latest("s").status().code() == Status::Code::kNotFound);
  CHECK(r.ById(1).ok());  // ids outlive their subjects, as in Confluent's registry
  CHECK(r.DeleteSubject("s").status().code() == Status::Code::kNotFound);
}

TEST_CASE("Registry: given ids and references", "[schema_registry]") {
  InMemorySchemaRegistry r;
  auto at = r.RegisterWith("t-value", SchemaType::kProtobuf, "syntax = \"proto3\"; message A {}", {}, 100);
  REQUIRE(at.ok());
  CHECK(*at == 100);
  // Ids given later continue above the largest one.
  CHECK(*r.Register("u-value", SchemaType::kAvro, R"("int")") == 101);
  // Another schema at a taken id is refused; the same one is not.
  CHECK(r.RegisterWith("x", SchemaType::kAvro, R"("long")", {}, 100).status().code() ==
        Status::Code::kAlreadyExists);
  CHECK(*r.RegisterWith("y", SchemaType::kProtobuf, "syntax = \"proto3\"; message A {}", {}, 100) == 100);
  const std::vector<SchemaReference> refs{{"event.proto", "event.proto", 1}};
  auto with_refs = r.RegisterWith("l-value", SchemaType::kProtobuf, "import \"event.proto\";", refs, std::nullopt);
  REQUIRE(with_refs.ok());
  CHECK(r.ById(*with_refs)->references == refs);
  CHECK(r.RegisterWith("x", SchemaType::kAvro, R"("int")", {}, 0).status().code() ==
        Status::Code::kInvalidArgument);
}

TEST_CASE("Registry modes: READONLY refuses, IMPORT needs ids and an empty scope", "[schema_registry]") {
  InMemorySchemaRegistry r;
  CHECK(*r.Mode("", false) == RegistryMode::kReadWrite);
  CHECK(r.Mode("s", false).status().code() == Status::Code::kNotFound);
  CHECK(*r.Mode("s", true) == RegistryMode::kReadWrite);
  REQUIRE(*r.Register("s", SchemaType::kAvro, R"("int")") == 1);

  // READONLY: no new schema, no delete; what is there is still answered.
  REQUIRE(r.SetMode("s", RegistryMode::kReadOnly, false).ok());
  auto refused = r.Register("s", SchemaType::kAvro, R"("long")");
  CHECK(refused.status().code() == Status::Code::kInvalidArgument);
  CHECK(refused.status().message() == "Subject s is in read-only mode");
  CHECK(*r.Register("s", SchemaType::kAvro, R"("int")") == 1);
  CHECK(r.DeleteSubject("s").status().message() == "Subject s is in read-only mode");
  CHECK(*r.Register("other", SchemaType::kAvro, R"("long")") == 2);  // the subject's mode only
  CHECK(*r.DeleteMode("s") == RegistryMode::kReadOnly);
  CHECK(r.DeleteMode("s").status().code() == Status::Code::kNotFound);

  // IMPORT on a subject with schemas: refused unless forced; on an empty one: allowed.
  Status st = r.SetMode("s", RegistryMode::kImport, false);
  CHECK(st.code() == Status::Code::kInvalidArgument);
  CHECK(st.message() == "Cannot import since found existing subjects");
  CHECK(r.SetMode("", RegistryMode::kImport, false).message() == "Cannot import since found existing subjects");
  REQUIRE(r.SetMode("fresh", RegistryMode::kImport, false).ok());
  CHECK(r.Register("fresh", SchemaType::kAvro, R"("string")").status().message() ==
        "Subject fresh is not in read-write mode");
  CHECK(*r.RegisterWith("fresh", SchemaType::kAvro, R"("string")", {}, 40) == 40);
  CHECK(r.RegisterWith("fresh", SchemaType::kAvro, R"("bytes")", {}, 1).status().code() ==
        Status::Code::kAlreadyExists);  // id 1 holds "int"
  CHECK(*r.Mode("fresh", false) == RegistryMode::kImport);
  REQUIRE(r.SetMode("s", RegistryMode::kImport, true).ok());  // forced
  CHECK(*r.RegisterWith("s", SchemaType::kAvro, R"("float")", {}, 41) == 41);
  CHECK(r.Version("s", 2)->id == 41);

  // Deleting a subject forgets its mode, as Confluent's registry does.
  REQUIRE(r.DeleteSubject("fresh").ok());
  CHECK(r.Mode("fresh", false).status().code() == Status::Code::kNotFound);
  CHECK(ParseRegistryMode("import").ok());
  CHECK(!ParseRegistryMode("READONLY_OVERRIDE").ok());
}

TEST_CASE("Confluent wire header: magic byte, big-endian id, short payloads", "[schema_registry]") {
  std::string out;
  AppendConfluentHeader(0x01020304, &out);
  CHECK(out == std::string("\0\x01\x02\x03\x04", 5));
  CHECK(*ReadConfluentHeader(out + "payload") == 0x01020304);
  CHECK(ReadConfluentHeader(std::string("\x01\0\0\0\x01", 5)).status().code() == Status::Code::kSerdeError);
  CHECK(ReadConfluentHeader(std::string("\0\0\0", 3)).status().code() == Status::Code::kSerdeError);
  CHECK(ReadConfluentHeader("").status().code() == Status::Code::kSerdeError);
}

TEST_CASE("CREATE without columns infers them from the registry, with ksqlDB's errors", "[schema_registry]") {
  TestDriver driver;
  auto& registry = *driver.schema_registry();
  REQUIRE(registry.Register("orders-key", SchemaType::kJson, kIntKey).ok());
  REQUIRE(registry.Register("orders-value", SchemaType::kJson, kOrderValue).ok());
  RequireOk(driver.Execute("CREATE TABLE orders WITH (kafka_topic='orders', format='JSON_SR');"));
  auto orders = driver.FindSource("ORDERS");
  REQUIRE(orders);
  REQUIRE(orders->columns.size() == 3);
  CHECK(orders->columns[0].name == "ROWKEY");
  CHECK(orders->columns[0].ns == ColumnNamespace::kKey);
  CHECK(orders->columns[0].type->kind == TypeKind::kInteger);
  CHECK(orders->columns[1].name == "ID");
  CHECK(orders->columns[1].type->kind == TypeKind::kBigint);
  CHECK(orders->columns[2].name == "NAME");
  CHECK(orders->value_format.subject == "orders-value");
  CHECK(orders->key_format.subject == "orders-key");

  Status missing = driver.Execute("CREATE STREAM s WITH (kafka_topic='nothing', value_format='JSON_SR');");
  CHECK(missing.message().find("Schema for message values on topic 'nothing' does not exist in the Schema Registry.") !=
        std::string::npos);
  Status wrong_id = driver.Execute("CREATE STREAM s WITH (kafka_topic='orders', value_format='JSON_SR', value_schema_id=42);");
  CHECK(wrong_id.message().find("does not exist in the Schema Registry") != std::string::npos);
  REQUIRE(registry.Register("avro-value", SchemaType::kAvro, R"("int")").ok());
  Status other_type = driver.Execute("CREATE STREAM s WITH (kafka_topic='avro', value_format='JSON_SR');");
  CHECK(other_type.message().find("Value schema is not in the expected format. You may want to set VALUE_FORMAT to 'AVRO'.") !=
        std::string::npos);
  Status both = driver.Execute(
      "CREATE STREAM s (A INT) WITH (kafka_topic='orders', value_format='JSON_SR', value_schema_id=2);");
  CHECK(both.message().find("Table elements and VALUE_SCHEMA_ID cannot both exist for create statement.") != std::string::npos);
  Status not_sr = driver.Execute("CREATE STREAM s (A INT) WITH (kafka_topic='x', value_format='JSON', value_schema_id=2);");
  CHECK(not_sr.message().find("VALUE_FORMAT should support schema inference when VALUE_SCHEMA_ID is provided. Current format is JSON.") !=
        std::string::npos);
  CHECK(!driver.FindSource("S"));  // nothing of the failed statements stayed
}

TEST_CASE("Sinks register their schema at CREATE; DROP ... DELETE TOPIC deletes the subjects", "[schema_registry]") {
  TestDriver driver;
  auto& registry = *driver.schema_registry();
  RequireOk(driver.Execute(
      "CREATE STREAM src (K STRING KEY, V INT) WITH (kafka_topic='src', key_format='KAFKA', value_format='JSON');"
      "CREATE STREAM out WITH (value_format='JSON_SR') AS SELECT * FROM src;"));
  auto value = registry.Latest("OUT-value");
  REQUIRE(value.ok());  // before any record
  CHECK(value->type == SchemaType::kJson);
  CHECK(value->text.find("\"V\"") != std::string::npos);
  CHECK(registry.Latest("OUT-key").status().code() == Status::Code::kNotFound);  // KAFKA key

  // A plain CREATE registers where the subject has nothing yet, and keeps what is there.
  RequireOk(driver.Execute(
      "CREATE STREAM plain (K INT KEY, V STRING) WITH (kafka_topic='plain', format='JSON_SR');"));
  REQUIRE(registry.Latest("plain-key").ok());
  REQUIRE(registry.Latest("plain-value").ok());
  REQUIRE(registry.Register("kept-value", SchemaType::kJson, kOrderValue).ok());
  RequireOk(driver.Execute("CREATE STREAM kept (V STRING) WITH (kafka_topic='kept', value_format='JSON_SR');"));
  CHECK(registry.Versions("kept-value")->size() == 1);

  RequireOk(driver.Execute("DROP STREAM plain DELETE TOPIC;"));
  CHECK(registry.Latest("plain-key").status().code() == Status::Code::kNotFound);
  CHECK(registry.Latest("plain-value").status().code() == Status::Code::kNotFound);
}

TEST_CASE("C*AS with VALUE_SCHEMA_ID writes with that schema, which must hold the query's columns", "[schema_registry]") {
  TestDriver driver;
  auto& registry = *driver.schema_registry();
  RequireOk(driver.Execute("CREATE STREAM src (K STRING KEY, ID BIGINT, NAME STRING) "
                           "WITH (kafka_topic='src', value_format='JSON');"));
  REQUIRE(registry.RegisterWith("x", SchemaType::kJson, kOrderValue, {}, 50).ok());
  RequireOk(driver.Execute("CREATE STREAM good WITH (value_format='JSON_SR', value_schema_id=50) AS "
                           "SELECT K, ID, NAME FROM src;"));
  CHECK(registry.Latest("GOOD-value").status().code() == Status::Code::kNotFound);  // nothing new
  KafkaRecord in;
  in.topic = "src";
  in.key = "k";
  in.value = R"({"ID": 1, "NAME": "a"})";
  RequireOk(driver.Produce(in));
  const auto& out = driver.Records("GOOD");
  REQUIRE(out.size() == 1);
  CHECK(*ReadConfluentHeader(*out[0].value) == 50);

  Status reordered = driver.Execute("CREATE STREAM bad WITH (value_format='JSON_SR', value_schema_id=50) AS "
                                    "SELECT K, NAME, ID FROM src;");
  CHECK(reordered.message().find("The following value columns are changed, missing or reordered: "
                                 "[`NAME` STRING, `ID` BIGINT]") != std::string::npos);
  CHECK(!driver.FindSource("BAD"));
}

namespace {
// A registry that refuses every new schema, as one whose compatibility check fails.
class RefusingRegistry final : public SchemaRegistry {
 public:
  Result<int> Register(const std::string& subject, SchemaType, const std::string&) override {
    return Status::InvalidArgument("Schema being registered is incompatible with an earlier schema for subject \"" +
                                   subject + "\"; error code: 409");
  }
  Result<RegisteredSchema> ById(int id) override { return inner_.ById(id); }
  Result<RegisteredSchema> Latest(const std::string& s) override { return inner_.Latest(s); }
  Result<RegisteredSchema> Version(const std::string& s, int v) override { return inner_.Version(s, v); }
  Result<std::vector<std::string>> Subjects() override { return inner_.Subjects(); }
  Result<std::vector<int>> Versions(const std::string& s) override { return inner_.Versions(s); }
  Result<std::vector<int>> DeleteSubject(const std::string& s) override { return inner_.DeleteSubject(s); }

 private:
  InMemorySchemaRegistry inner_;
};
}  // namespace

TEST_CASE("A schema the registry refuses fails the statement, which leaves nothing behind", "[schema_registry]") {
  TestDriver driver;
  driver.SetSchemaRegistry(std::make_shared<RefusingRegistry>());
  RequireOk(driver.Execute("CREATE STREAM src (K STRING KEY, V INT) WITH (kafka_topic='src', value_format='JSON');"));
  Status sink = driver.Execute("CREATE STREAM out WITH (value_format='JSON_SR') AS SELECT * FROM src;");
  CHECK(sink.message().find("Could not register schema for topic: Schema being registered is incompatible") !=
        std::string::npos);
  CHECK(!driver.FindSource("OUT"));
  Status source = driver.Execute("CREATE STREAM s2 (V INT) WITH (kafka_topic='s2', value_format='JSON_SR');");
  CHECK(source.message().find("Could not register schema for topic") != std::string::npos);
  CHECK(!driver.FindSource("S2"));
}

}  // namespace schema_registry_test
