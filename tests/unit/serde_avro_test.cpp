// The AVRO format: round trips through an in-memory registry, ksqlDB's registered schemas,
// reading records written with other schemas, coercions, malformed bytes and inference.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "engine/schema_registry/schema_registry.h"
#include "engine/serde/avro_json.h"
#include "serde_test_util.h"
#include "tests/unit/test_util.h"

namespace serde_avro_test {  // this file's own names (unity build: tests/README.md)

using namespace sluice;
using namespace sluice::testing;

namespace {
std::shared_ptr<SchemaRegistry> NewRegistry() { return std::make_shared<InMemorySchemaRegistry>(); }

FormatOptions AvroOpts(std::shared_ptr<SchemaRegistry> registry, std::string subject = "t-value") {
  FormatOptions o = Opts(FormatKind::kAvro);
  o.registry = std::move(registry);
  o.subject = std::move(subject);
  return o;
}

std::vector<Column> AllTypes() {
  TypePtr inner = SqlType::Struct({{"X", SqlType::Integer()}});
  TypePtr st = SqlType::Struct({{"A", SqlType::Integer()}, {"b", SqlType::String()}, {"IN", inner}});
  return {{"BOOL", SqlType::Boolean()},  {"I", SqlType::Integer()},
          {"L", SqlType::Bigint()},      {"D", SqlType::Double()},
          {"DEC", SqlType::Decimal(5, 2)}, {"S", SqlType::String()},
          {"BY", SqlType::Bytes()},      {"DT", SqlType::Date()},
          {"TM", SqlType::Time()},       {"TS", SqlType::Timestamp()},
          {"ARR", SqlType::Array(SqlType::Bigint())},
          {"M", SqlType::Map(SqlType::String(), SqlType::Double())},
          {"ST", st}};
}

Row AllValues(const std::vector<Column>& cols) {
  const TypePtr& st = cols[12].type;
  return {Value(true), Value(int32_t{-7}), Value(int64_t{1} << 40), Value(2.5), Value(DecimalOf("-1.50", 2)),
          Value("héllo \"avro\""), Value(Bytes{std::string("\x00\xff\x10", 3)}),
          Value(Date{19000}), Value(Time{3600000}), Value(Timestamp{1700000000123}),
          Value::Array({Value(int64_t{1}), Value(), Value(int64_t{-3})}),
          Value::Map({{Value("k"), Value(1.0)}, {Value("n"), Value()}}),
          Value::Struct(st, {Value(int32_t{4}), Value(), Value::Struct(st->fields[2].type, {Value(int32_t{9})})})};
}

// Avro binary of a zigzag varint, for payloads written by hand.
std::string Varint(int64_t v) {
  uint64_t z = (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
  std::string s;
  while (z >= 0x80) { s.push_back(static_cast<char>((z & 0x7F) | 0x80)); z >>= 7; }
  s.push_back(static_cast<char>(z));
  return s;
}
std::string Str(const std::string& s) { return Varint(static_cast<int64_t>(s.size())) + s; }
std::string Header(int id) {
  std::string h;
  AppendConfluentHeader(id, &h);
  return h;
}

Result<std::vector<Column>> AvroCols(const std::string& text, bool is_key) {
  return ColumnsFromSchema(FormatKind::kAvro, text, "", is_key);
}

int Register(SchemaRegistry& r, const std::string& subject, const std::string& text) {
  auto id = r.Register(subject, SchemaType::kAvro, text);
  REQUIRE(id.ok());
  return id.value();
}
}  // namespace

TEST_CASE("avro round trip of every type, NULLs included", "[serde][avro]") {
  auto registry = NewRegistry();
  auto cols = AllTypes();
  auto ser = Ser(AvroOpts(registry), cols);
  auto de = Deser(AvroOpts(registry), cols);
  for (Row row : {AllValues(cols), Row(cols.size())}) {
    std::string bytes;
    REQUIRE(ser->Serialize(row, &bytes).ok());
    REQUIRE(bytes.size() > kConfluentHeaderSize);
    CHECK(bytes[0] == 0);
    Row back;
    REQUIRE(de->Deserialize(bytes, &back).ok());
    REQUIRE(back.size() == row.size());
    for (size_t i = 0; i < row.size(); ++i) CHECK(back[i] == row[i]);
  }
  // Registered once, under the subject, and the payloads name that id.
  auto latest = registry->Latest("t-value");
  REQUIRE(latest.ok());
  CHECK(latest->version == 1);
  std::string bytes;
  REQUIRE(ser->Serialize(AllValues(cols), &bytes).ok());
  CHECK(ReadConfluentHeader(bytes).value() == latest->id);
  CHECK(registry->Versions("t-value").value().size() == 1);
}

TEST_CASE("avro registers the schema ksqlDB derives", "[serde][avro]") {
  auto registry = NewRegistry();
  // A key with one STRUCT column holding a STRUCT: what ksqlDB registers for
  // `PARTITION BY STRUCT(f1:=VAL)` into OUTPUT (corpus: partition-by.json).
  TypePtr inner = SqlType::Struct({{"F1", SqlType::Integer()}, {"F2", SqlType::Integer()}});
  std::vector<Column> key{{"KSQL_COL_0", SqlType::Struct({{"F1", inner}})}};
  FormatOptions opts = AvroOpts(registry, "OUTPUT-key");
  opts.is_key = true;
  opts.schema_full_name = "io.confluent.ksql.avro_schemas.OutputKey";
  Ser(opts, key);
  auto expected = nlohmann::json::parse(R"({
    "type": "record", "name": "OutputKey", "namespace": "io.confluent.ksql.avro_schemas",
    "fields": [{"name": "F1", "type": ["null", {"type": "record", "name": "OutputKey_F1",
        "fields": [{"name": "F1", "type": ["null", "int"], "default": null},
                   {"name": "F2", "type": ["null", "int"], "default": null}],
        "connect.name": "io.confluent.ksql.avro_schemas.OutputKey_F1"}], "default": null}],
    "connect.name": "io.confluent.ksql.avro_schemas.OutputKey"})");
  CHECK(nlohmann::json::parse(registry->Latest("OUTPUT-key")->text) == expected);

  // A value: the default record name, DECIMAL/TIMESTAMP as Connect's logical types, a MAP as
  // Connect's array of MapEntry records (ksqlDB's map keys are optional strings).
  std::vector<Column> value{{"D", SqlType::Decimal(4, 2)}, {"T", SqlType::Timestamp()},
                            {"M", SqlType::Map(SqlType::String(), SqlType::Integer())}};
  Ser(AvroOpts(registry, "S-value"), value);
  auto v = nlohmann::json::parse(registry->Latest("S-value")->text);
  CHECK(v["name"] == "KsqlDataSourceSchema");
  CHECK(v["namespace"] == "io.confluent.ksql.avro_schemas");
  CHECK(v["fields"][0]["type"][1] == nlohmann::json::parse(R"({"type":"bytes","scale":2,"precision":4,
      "connect.version":1,"connect.parameters":{"scale":"2","connect.decimal.precision":"4"},
      "connect.name":"org.apache.kafka.connect.data.Decimal","logicalType":"decimal"})"));
  CHECK(v["fields"][1]["type"][1]["logicalType"] == "timestamp-millis");
  const auto& map = v["fields"][2]["type"][1];
  CHECK(map["type"] == "array");
  CHECK(map["items"]["name"] == "KsqlDataSourceSchema_M");
  CHECK(map["items"]["connect.internal.type"] == "MapEntry");
  CHECK(map["items"]["fields"][0]["type"] == nlohmann::json::parse(R"(["null","string"])"));
}

TEST_CASE("avro unwrapped single values", "[serde][avro]") {
  auto registry = NewRegistry();
  FormatOptions opts = AvroOpts(registry, "k-key");
  opts.is_key = true;
  std::vector<Column> key{{"K", SqlType::Integer()}};
  auto ser = Ser(opts, key);
  std::string bytes;
  REQUIRE(ser->Serialize({Value(int32_t{10})}, &bytes).ok());
  CHECK(registry->Latest("k-key")->text == "\"int\"");
  CHECK(bytes == Header(ReadConfluentHeader(bytes).value()) + "\x14");  // zigzag(10) = 20
  CHECK(ser->IsNullPayload({Value()}));
  Row back;
  REQUIRE(Deser(opts, key)->Deserialize(bytes, &back).ok());
  CHECK(back == Row{Value(int32_t{10})});

  // WRAP_SINGLE_VALUE=false on a value, reading a writer's bare map.
  FormatOptions value = AvroOpts(registry);
  value.wrap_single_value = false;
  int id = Register(*registry, "in-value", R"({"type": "map", "values": ["null", "int"]})");
  std::string payload = Header(id) + Varint(2) + Str("a") + Varint(1) + Varint(1) + Str("b") + Varint(0) + Varint(0);
  std::vector<Column> col{{"FOO", SqlType::Map(SqlType::String(), SqlType::String())}};
  REQUIRE(Deser(value, col)->Deserialize(payload, &back).ok());
  CHECK(back == Row{Value::Map({{Value("a"), Value("1")}, {Value("b"), Value()}})});
}

TEST_CASE("avro reads records written with another schema", "[serde][avro]") {
  auto registry = NewRegistry();
  // The writer has an extra field (a nested record, skipped unread), fields in another order
  // and case, an enum, a float, an optional union and lacks the column BAR.
  int id = Register(*registry, "w", R"({"type": "record", "name": "W", "fields": [
      {"name": "extra", "type": {"type": "record", "name": "E", "fields": [
          {"name": "s", "type": "string"}, {"name": "arr", "type": {"type": "array", "items": "long"}}]}},
      {"name": "suit", "type": {"type": "enum", "name": "Suit", "symbols": ["SPADES", "HEARTS"]}},
      {"name": "f", "type": "float"},
      {"name": "n", "type": ["null", "int"]},
      {"name": "id", "type": "int"}]})");
  std::string payload = Header(id) + Str("skip me") + Varint(2) + Varint(5) + Varint(6) + Varint(0) +
                        Varint(1);
  float f = 4.25f;
  payload.append(reinterpret_cast<const char*>(&f), 4);
  payload += Varint(1) + Varint(-3) + Varint(77);
  std::vector<Column> cols{{"ID", SqlType::Bigint()}, {"SUIT", SqlType::String()}, {"F", SqlType::Double()},
                           {"N", SqlType::String()}, {"BAR", SqlType::Integer()}};
  Row row;
  REQUIRE(Deser(AvroOpts(registry), cols)->Deserialize(payload, &row).ok());
  CHECK(row == Row{Value(int64_t{77}), Value("HEARTS"), Value(4.25), Value("-3"), Value()});

  // Only the needed columns are built.
  REQUIRE(Deser(AvroOpts(registry), cols, {false, true, false, false, false})->Deserialize(payload, &row).ok());
  CHECK(row == Row{Value(), Value("HEARTS"), Value(), Value(), Value()});

  // A type ksqlDB cannot coerce names the path.
  std::vector<Column> wrong{{"SUIT", SqlType::Integer()}};
  auto st = Deser(AvroOpts(registry), wrong)->Deserialize(payload, &row);
  CHECK(st.code() == Status::Code::kSerdeError);
  CHECK(st.message() == "Cannot deserialize type string as type int32 for path: ->SUIT");
}

TEST_CASE("avro reads Connect's MapEntry arrays, unions and decimals", "[serde][avro]") {
  auto registry = NewRegistry();
  int id = Register(*registry, "w", R"({"type": "record", "name": "W", "fields": [
      {"name": "m", "type": {"type": "array", "items": {"type": "record", "name": "MapEntry",
          "namespace": "io.confluent.connect.avro", "fields": [
          {"name": "key", "type": "int"}, {"name": "value", "type": "string"}]}}},
      {"name": "u", "type": ["int", "string", "null"]},
      {"name": "d", "type": {"type": "bytes", "logicalType": "decimal", "precision": 4, "scale": 2}}]})");
  std::string payload = Header(id) + Varint(1) + Varint(7) + Str("seven") + Varint(0) +
                        Varint(1) + Str("x") + Varint(2) + std::string("\xFF\x6A", 2);  // -150
  auto cols = AvroCols(registry->ById(id)->text, false);
  REQUIRE(cols.ok());
  REQUIRE(cols->size() == 3);
  CHECK(cols.value()[0].type->ToString() == "MAP<STRING, STRING>");
  CHECK(cols.value()[1].type->ToString() == "STRUCT<INT INTEGER, STRING STRING>");
  CHECK(cols.value()[2].type->ToString() == "DECIMAL(4, 2)");
  Row row;
  REQUIRE(Deser(AvroOpts(registry), cols.value())->Deserialize(payload, &row).ok());
  CHECK(row[0] == Value::Map({{Value("7"), Value("seven")}}));
  CHECK(row[1] == Value::Struct(cols.value()[1].type, {Value(), Value("x")}));
  CHECK(row[2] == Value(DecimalOf("-1.50", 2)));
}

TEST_CASE("avro malformed bytes are errors, never crashes", "[serde][avro]") {
  auto registry = NewRegistry();
  auto cols = AllTypes();
  auto de = Deser(AvroOpts(registry), cols);
  std::string good;
  REQUIRE(Ser(AvroOpts(registry), cols)->Serialize(AllValues(cols), &good).ok());
  Row row;
  auto is_serde_error = [&](std::string_view bytes) {
    Status st = de->Deserialize(bytes, &row);
    return st.code() == Status::Code::kSerdeError;
  };
  CHECK(de->Deserialize(std::string("\x01") + good.substr(1), &row).message() == "Unknown magic byte!");
  CHECK(is_serde_error(good.substr(0, 3)));
  std::string unknown = Header(4242) + good.substr(kConfluentHeaderSize);
  Status st = de->Deserialize(unknown, &row);
  CHECK(st.code() == Status::Code::kSerdeError);
  CHECK(st.message().find("4242") != std::string::npos);
  // Every truncation of a good record fails cleanly.
  for (size_t len = kConfluentHeaderSize; len < good.size(); ++len) CHECK(is_serde_error(good.substr(0, len)));
  // A union index out of range, a negative string length, an absurd array count.
  std::vector<Column> one{{"S", SqlType::String()}};
  auto de1 = Deser(AvroOpts(registry), one);
  int id = Register(*registry, "x", R"({"type":"record","name":"R","fields":[{"name":"S","type":["null","string"]}]})");
  CHECK(de1->Deserialize(Header(id) + Varint(5), &row).message().find("union index") != std::string::npos);
  CHECK(de1->Deserialize(Header(id) + Varint(1) + Varint(-4) + "abcd", &row).code() == Status::Code::kSerdeError);
  int arr = Register(*registry, "y", R"({"type":"record","name":"A","fields":[{"name":"S","type":{"type":"array","items":"null"}}]})");
  auto de2 = Deser(AvroOpts(registry), {{"S", SqlType::Array(SqlType::String())}});
  CHECK(de2->Deserialize(Header(arr) + Varint(int64_t{1} << 40), &row).code() == Status::Code::kSerdeError);
}

TEST_CASE("avro writes with a registered schema (VALUE_SCHEMA_ID)", "[serde][avro]") {
  auto registry = NewRegistry();
  int id = Register(*registry, "sr", R"({"type": "record", "name": "T", "namespace": "com.acme", "fields": [
      {"name": "eventID", "type": "string"},
      {"name": "amount", "type": "int", "default": 0},
      {"name": "optField", "type": "string", "default": "foo"}]})");
  FormatOptions opts = AvroOpts(registry, "sr-value");
  opts.schema_id = id;
  std::vector<Column> cols{{"eventID", SqlType::String()}, {"amount", SqlType::Integer()}};
  auto ser = Ser(opts, cols);
  std::string bytes;
  REQUIRE(ser->Serialize({Value("e1"), Value()}, &bytes).ok());  // NULL takes the default
  CHECK(bytes == Header(id) + Str("e1") + Varint(0) + Str("foo"));
  CHECK(registry->Subjects().value().size() == 1);  // nothing registered
  // A required field without value is refused at write time.
  int strict = Register(*registry, "sr2", R"({"type": "record", "name": "T", "fields": [
      {"name": "eventID", "type": "string"}, {"name": "amount", "type": "int"}]})");
  opts.schema_id = strict;
  CHECK(Ser(opts, cols)->Serialize({Value(), Value(int32_t{1})}, &bytes).message() ==
        "Conversion error: null value for field that is required and has no default value");
  // ksqlDB's checks of the registered schema against the columns.
  std::vector<Column> extra{{"eventID", SqlType::String()}, {"other", SqlType::Integer()}};
  CHECK(MakeSerializer(opts, extra).status().message() ==
        "Schema from Schema Registry misses field with name: other");
  std::vector<Column> fewer{{"eventID", SqlType::String()}};
  CHECK(MakeSerializer(opts, fewer).status().message() ==
        "Missing default value for required Avro field: [amount]. This field appears in Avro schema in Schema Registry");
}

TEST_CASE("avro refuses what ksqlDB refuses", "[serde][avro]") {
  auto registry = NewRegistry();
  std::vector<Column> map{{"M", SqlType::Map(SqlType::Integer(), SqlType::Double())}};
  CHECK(MakeSerializer(AvroOpts(registry), map).status().message() == "Avro only supports MAPs with STRING keys");
  CHECK(MakeDeserializer(AvroOpts(registry), map).status().message() == "Avro only supports MAPs with STRING keys");
  std::vector<Column> bad{{"1AvroDoesNotLikeFieldsThatStartWithNumbers", SqlType::Double()}};
  CHECK(MakeSerializer(AvroOpts(registry), bad).status().message() ==
        "Schema is not compatible with Avro: Illegal initial character: 1AvroDoesNotLikeFieldsThatStartWithNumbers");
  CHECK(!MakeSerializer(AvroOpts(nullptr), {{"A", SqlType::Integer()}}).ok());
}

TEST_CASE("avro schema inference", "[serde][avro]") {
  auto cols = AvroCols(R"({"name": "blah", "type": "record", "fields": [
      {"name": "c1", "type": "boolean"}, {"name": "c2", "type": "int"}, {"name": "c3", "type": "long"},
      {"name": "c4", "type": "double"}, {"name": "c5", "type": "string"}, {"name": "c6", "type": "float"},
      {"name": "c7", "type": ["null", {"type": "fixed", "size": 16, "name": "md5"}]},
      {"name": "c8", "type": {"type": "int", "logicalType": "date"}},
      {"name": "c9", "type": {"type": "long", "logicalType": "timestamp-millis"}},
      {"name": "c10", "type": {"type": "record", "name": "in", "fields": [{"name": "f1", "type": "int"}]}},
      {"name": "c11", "type": {"type": "map", "values": "long"}},
      {"name": "c12", "type": {"type": "array", "items": {"type": "enum", "name": "E", "symbols": ["A"]}}}]})",
                                    false);
  REQUIRE(cols.ok());
  std::string rendered;
  for (const Column& c : cols.value()) rendered += c.name + " " + c.type->ToString() + ", ";
  CHECK(rendered ==
        "C1 BOOLEAN, C2 INTEGER, C3 BIGINT, C4 DOUBLE, C5 STRING, C6 DOUBLE, C7 BYTES, C8 DATE, "
        "C9 TIMESTAMP, C10 STRUCT<F1 INTEGER>, C11 MAP<STRING, BIGINT>, C12 ARRAY<STRING>, ");
  auto key = AvroCols(R"({"type": "record", "name": "key", "fields": [{"name": "F1", "type": ["null", "string"]}]})", true);
  REQUIRE(key.ok());
  CHECK(key->size() == 1);
  CHECK(key.value()[0].name == "ROWKEY");
  CHECK(key.value()[0].type->ToString() == "STRUCT<F1 STRING>");
  CHECK(AvroCols("\"int\"", true).value()[0].type->ToString() == "INTEGER");
  CHECK(!AvroCols("\"null\"", true).ok());
  CHECK(!AvroCols("{not json", false).ok());
  CHECK(!AvroCols(R"({"type": "record", "name": "R", "fields": [{"name": "r", "type": "R"}]})", false).ok());
}

TEST_CASE("avro schema inference keeps field names as written for a schema named by id", "[serde][avro]") {
  const std::string text = R"({"type": "record", "name": "R", "fields": [
      {"name": "template_id", "type": "string"},
      {"name": "data", "type": {"type": "record", "name": "D", "fields": [{"name": "num_votes", "type": "long"}]}}]})";
  auto original = ColumnsFromSchema(FormatKind::kAvro, text, "", false, nullptr, InferredFieldNames::kOriginal);
  REQUIRE(original.ok());
  REQUIRE(original->size() == 2);
  CHECK((*original)[0].name == "template_id");
  CHECK((*original)[1].name == "data");
  CHECK((*original)[1].type->fields[0].name == "num_votes");
  auto upper = AvroCols(text, false);
  REQUIRE(upper.ok());
  CHECK((*upper)[0].name == "TEMPLATE_ID");
  CHECK((*upper)[1].type->fields[0].name == "NUM_VOTES");
}

TEST_CASE("avro: a case's JSON encoded with a topic's registered schema reads back", "[serde][avro]") {
  auto registry = NewRegistry();
  const std::string schema = R"({"name": "blah", "type": "record", "fields": [
      {"name": "expected", "type": "int"},
      {"name": "c1", "type": ["null", "bytes"]},
      {"name": "c2", "type": ["null", {"type": "fixed", "size": 2, "name": "md5"}]},
      {"name": "suit", "type": {"type": "enum", "name": "Suit", "symbols": ["SPADES", "HEARTS"]}},
      {"name": "f", "type": "float"},
      {"name": "ts", "type": "long"},
      {"name": "m", "type": {"type": "array", "items": {"type": "record", "name": "E",
          "connect.internal.type": "MapEntry",
          "fields": [{"name": "key", "type": "long"}, {"name": "value", "type": ["null", "string"]}]}}},
      {"name": "opt", "type": ["null", "int"], "default": null}]})";
  int id = Register(*registry, "in-value", schema);
  auto body = serde::avro::EncodeJson(schema, nlohmann::json::parse(
      R"({"EXPECTED": 1, "c1": "AP8=", "c2": null, "suit": "HEARTS", "f": 4.0, "ts": 1700000000000,
          "m": {"12": "twelve"}, "ignored": true})"));
  REQUIRE(body.ok());
  auto cols = AvroCols(schema, false);
  REQUIRE(cols.ok());
  cols.value()[5].type = SqlType::Timestamp();  // a plain long read as a TIMESTAMP: epoch millis
  Row row;
  REQUIRE(Deser(AvroOpts(registry), cols.value())->Deserialize(Header(id) + body.value(), &row).ok());
  CHECK(row == Row{Value(int32_t{1}), Value(Bytes{std::string("\x00\xff", 2)}), Value(), Value("HEARTS"),
                   Value(4.0), Value(Timestamp{1700000000000}), Value::Map({{Value("12"), Value("twelve")}}),
                   Value()});
  CHECK(!serde::avro::EncodeJson(schema, nlohmann::json::parse(R"({"suit": "CLUBS"})")).ok());
}

}  // namespace serde_avro_test
