// JSON_SR: Confluent's header + JSON, the JSON Schema it registers, and inference.
#include <catch2/catch.hpp>

#include "engine/schema_registry/schema_registry.h"
#include "serde_test_util.h"

namespace serde_json_sr_test {  // this file's own names (unity build: tests/README.md)

using namespace sluice;
using namespace sluice::testing;

namespace {

FormatOptions JsonSr(std::shared_ptr<SchemaRegistry> registry, const std::string& subject,
                     bool is_key = false, bool wrap = true) {
  FormatOptions o = Opts(FormatKind::kJsonSr, wrap);
  o.registry = std::move(registry);
  o.subject = subject;
  o.is_key = is_key;
  return o;
}

std::vector<Column> OrderColumns() {
  return {{"ID", SqlType::Bigint()},
          {"PRICE", SqlType::Decimal(5, 2)},
          {"TAGS", SqlType::Array(SqlType::String())},
          {"ATTRS", SqlType::Map(SqlType::String(), SqlType::Integer())},
          {"ADDR", SqlType::Struct({{"CITY", SqlType::String()}, {"ZIP", SqlType::Integer()}})},
          {"DAY", SqlType::Date()},
          {"AT", SqlType::Timestamp()},
          {"RAW", SqlType::Bytes()},
          {"OK", SqlType::Boolean()},
          {"RATE", SqlType::Double()}};
}

}  // namespace

TEST_CASE("JSON_SR round-trips every type behind Confluent's header", "[serde][json_sr]") {
  auto registry = std::make_shared<InMemorySchemaRegistry>();
  const auto columns = OrderColumns();
  auto ser = Ser(JsonSr(registry, "orders-value"), columns);
  auto des = Deser(JsonSr(registry, "orders-value"), columns);

  auto row = [&](const char* json_text) {
    Row r;
    const auto j = nlohmann::json::parse(json_text);
    for (const auto& c : columns) {
      auto v = JsonToValue(j.contains(c.name) ? j[c.name] : nlohmann::json(), c.type);
      REQUIRE(v.ok());
      r.push_back(*v);
    }
    return r;
  };
  const Row full = row(R"({"ID": 7, "PRICE": 12.34, "TAGS": ["a", null], "ATTRS": {"x": 1},
      "ADDR": {"CITY": "Oslo", "ZIP": 150}, "DAY": 19000, "AT": 1700000000123, "RAW": "AQI=",
      "OK": true, "RATE": 0.5})");
  const Row nulls(columns.size());
  for (const Row& in : {full, nulls}) {
    std::string bytes;
    REQUIRE(ser->Serialize(in, &bytes).ok());
    REQUIRE(bytes.size() > kConfluentHeaderSize);
    CHECK(bytes[0] == 0);
    auto id = ReadConfluentHeader(bytes);
    REQUIRE(id.ok());
    CHECK(registry->ById(*id)->type == SchemaType::kJson);
    Row out;
    REQUIRE(des->Deserialize(bytes, &out).ok());
    REQUIRE(out.size() == in.size());
    for (size_t i = 0; i < in.size(); ++i) {
      INFO(columns[i].name);
      CHECK(ValueToJson(out[i], columns[i].type) == ValueToJson(in[i], columns[i].type));
    }
  }
}

TEST_CASE("JSON_SR registers the JSON Schema ksqlDB derives", "[serde][json_sr]") {
  auto registry = std::make_shared<InMemorySchemaRegistry>();
  Ser(JsonSr(registry, "t-value"), {{"FOO", SqlType::Integer()}, {"BAR", SqlType::String()}});
  auto value = registry->Latest("t-value");
  REQUIRE(value.ok());
  CHECK(value->type == SchemaType::kJson);
  CHECK(nlohmann::json::parse(value->text) == nlohmann::json::parse(R"({"type":"object","properties":{
      "FOO":{"oneOf":[{"type":"null"},{"type":"integer","connect.type":"int32"}],"connect.index":0},
      "BAR":{"oneOf":[{"type":"null"},{"type":"string"}],"connect.index":1}}})"));
  // A single key column is written bare, and so is its schema.
  auto key_ser = Ser(JsonSr(registry, "t-key", true, false), {{"K", SqlType::Bigint()}});
  CHECK(nlohmann::json::parse(registry->Latest("t-key")->text) ==
        nlohmann::json::parse(R"({"oneOf":[{"type":"null"},{"type":"integer","connect.type":"int64"}]})"));
  std::string bytes;
  REQUIRE(key_ser->Serialize(Row{Value(int64_t{42})}, &bytes).ok());
  CHECK(bytes.substr(kConfluentHeaderSize) == "42");
}

TEST_CASE("JSON_SR writes with a given schema id, and refuses ids it cannot use", "[serde][json_sr]") {
  auto registry = std::make_shared<InMemorySchemaRegistry>();
  REQUIRE(registry->RegisterWith("x", SchemaType::kJson, R"({"type":"object"})", {}, 9).ok());
  REQUIRE(registry->RegisterWith("y", SchemaType::kAvro, R"("int")", {}, 10).ok());
  FormatOptions opts = JsonSr(registry, "t-value");
  opts.schema_id = 9;
  std::string bytes;
  REQUIRE(Ser(opts, {{"A", SqlType::Integer()}})->Serialize(Row{Value(int32_t{1})}, &bytes).ok());
  CHECK(*ReadConfluentHeader(bytes) == 9);
  CHECK(registry->Latest("t-value").status().code() == Status::Code::kNotFound);  // nothing registered
  opts.schema_id = 10;
  CHECK(!MakeSerializer(opts, {{"A", SqlType::Integer()}}).ok());
  opts.schema_id = 11;
  CHECK(MakeSerializer(opts, {{"A", SqlType::Integer()}}).status().code() == Status::Code::kNotFound);
  opts.registry = nullptr;
  opts.schema_id.reset();
  CHECK(!MakeSerializer(opts, {{"A", SqlType::Integer()}}).ok());
}

TEST_CASE("JSON_SR payloads without the header are errors, not crashes", "[serde][json_sr]") {
  auto registry = std::make_shared<InMemorySchemaRegistry>();
  auto des = Deser(JsonSr(registry, "t-value"), {{"A", SqlType::Integer()}});
  Row out;
  Status plain = des->Deserialize(R"({"A":1})", &out);
  CHECK(plain.code() == Status::Code::kSerdeError);
  CHECK(plain.message().find("did not start with the magic byte") != std::string::npos);
  CHECK(des->Deserialize(std::string("\0\0\0", 3), &out).code() == Status::Code::kSerdeError);
  CHECK(des->Deserialize(std::string("\x01\0\0\0\x01{}", 7), &out).code() == Status::Code::kSerdeError);
  CHECK(des->Deserialize(std::string("\0\0\0\0\x01{\"A\":", 10), &out).code() == Status::Code::kSerdeError);
  // As ksqlDB's JSON_SR reader, the id is not looked up: the columns say how to read.
  REQUIRE(des->Deserialize(std::string("\0\0\0\0\x63{\"a\":5}", 12), &out).ok());
  CHECK(out[0].ToInt64() == 5);
  // The null record.
  REQUIRE(des->Deserialize(std::string("\0\0\0\0\x01null", 9), &out).ok());
  CHECK(IsNullRecord(out, 1));
}

TEST_CASE("JSON_SR inference: properties in connect.index order, Connect's types", "[serde][json_sr]") {
  auto columns = ColumnsFromSchema(FormatKind::kJsonSr, R"({"type":"object","properties":{
      "B":{"connect.index":1,"oneOf":[{"type":"null"},{"type":"string"}]},
      "A":{"connect.index":0,"type":"integer","connect.type":"int32"},
      "D":{"connect.index":2,"type":"number","title":"org.apache.kafka.connect.data.Decimal",
           "connect.parameters":{"connect.decimal.precision":"4","scale":"2"}},
      "L":{"connect.index":3,"type":"array","items":{"type":"number"}},
      "M":{"connect.index":4,"type":"object","additionalProperties":{"type":"boolean"}},
      "S":{"connect.index":5,"type":"object","properties":{"X":{"type":"string","connect.type":"bytes"}}},
      "T":{"connect.index":6,"type":"integer","title":"org.apache.kafka.connect.data.Timestamp"},
      "N":{"connect.index":7,"type":["null","integer"]}}})",
                                   "", false);
  REQUIRE(columns.ok());
  std::vector<std::string> rendered;
  for (const auto& c : *columns) rendered.push_back(c.name + " " + c.type->ToString());
  CHECK(rendered == std::vector<std::string>{"A INTEGER", "B STRING", "D DECIMAL(4, 2)", "L ARRAY<DOUBLE>",
                                             "M MAP<STRING, BOOLEAN>", "S STRUCT<X BYTES>", "T TIMESTAMP",
                                             "N BIGINT"});
  auto key = ColumnsFromSchema(FormatKind::kJsonSr, R"({"type":"string"})", "", true);
  REQUIRE(key.ok());
  REQUIRE(key->size() == 1);
  CHECK((*key)[0].name == "ROWKEY");
  CHECK(!ColumnsFromSchema(FormatKind::kJsonSr, R"({"oneOf":[{"type":"string"},{"type":"integer"}]})", "", false).ok());
  CHECK(!ColumnsFromSchema(FormatKind::kJsonSr, "{not json", "", false).ok());
}

}  // namespace serde_json_sr_test
