// PROTOBUF and PROTOBUF_NOSR: round trips of every type, the schema text ksqlDB registers,
// Confluent's wire header, reading bytes libprotobuf wrote (and libprotobuf reading ours),
// inference, and malformed input.
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/message.h>

#include <catch2/catch.hpp>
#include <random>

#include "engine/schema_registry/schema_registry.h"
#include "engine/serde/protobuf_schema.h"
#include "serde_test_util.h"
#include "tests/unit/test_util.h"

namespace serde_protobuf_test {  // this file's own names (unity build: tests/README.md)

using namespace sluice;
using namespace sluice::testing;

namespace {

FormatOptions PbOpts(std::shared_ptr<SchemaRegistry> registry,
                     ProtobufNullable nullable = ProtobufNullable::kDefault) {
  FormatOptions o = Opts(FormatKind::kProtobuf);
  o.registry = std::move(registry);
  o.subject = "t-value";
  o.protobuf_nullable = nullable;
  return o;
}

FormatOptions NoSrOpts(ProtobufNullable nullable = ProtobufNullable::kDefault) {
  FormatOptions o = Opts(FormatKind::kProtobufNoSr);
  o.protobuf_nullable = nullable;
  return o;
}

TypePtr Inner() {
  return SqlType::Struct({{"A", SqlType::Integer()}, {"B", SqlType::String()},
                          {"N", SqlType::Struct({{"X", SqlType::Double()}})}});
}

std::vector<Column> AllTypes() {
  return {{"BOOL", SqlType::Boolean()},
          {"I", SqlType::Integer()},
          {"L", SqlType::Bigint()},
          {"D", SqlType::Double()},
          {"DEC", SqlType::Decimal(10, 3)},
          {"S", SqlType::String()},
          {"BY", SqlType::Bytes()},
          {"DT", SqlType::Date()},
          {"TM", SqlType::Time()},
          {"TS", SqlType::Timestamp()},
          {"ARR", SqlType::Array(SqlType::Bigint())},
          {"SARR", SqlType::Array(SqlType::String())},
          {"M", SqlType::Map(SqlType::String(), SqlType::Double())},
          {"MS", SqlType::Map(SqlType::String(), Inner())},
          {"ST", Inner()},
          {"STARR", SqlType::Array(Inner())}};
}

Value InnerValue(int a, const char* b, double x) {
  TypePtr t = Inner();
  return Value::Struct(t, {Value(int32_t{a}), Value(b), Value::Struct(t->fields[2].type, {Value(x)})});
}

Row AllValues() {
  return {Value(true),
          Value(int32_t{-7}),
          Value(int64_t{-(int64_t{1} << 40)}),
          Value(-2.5),
          Value(DecimalOf("-12345.678", 3)),
          Value("héllo"),
          Value(Bytes{std::string("\x00\xff\x10", 3)}),
          Value(Date{-1000}),  // before 1970
          Value(Time{45296789}),
          Value(Timestamp{-1234567}),
          Value::Array({Value(int64_t{1}), Value(int64_t{-3}), Value(int64_t{1} << 50)}),
          Value::Array({Value("a"), Value(""), Value("c")}),
          Value::Map({{Value("k"), Value(1.5)}, {Value("z"), Value(-0.25)}}),
          Value::Map({{Value("m"), InnerValue(1, "x", 0.5)}}),
          InnerValue(42, "nested", 3.25),
          Value::Array({InnerValue(1, "a", 1.0), InnerValue(2, "b", 2.0)})};
}

Row RoundTrip(const FormatOptions& opts, const std::vector<Column>& cols, const Row& row,
              std::string* bytes_out = nullptr) {
  std::string bytes;
  auto ser = Ser(opts, cols);
  REQUIRE_FALSE(ser->IsNullPayload(row));
  Status st = ser->Serialize(row, &bytes);
  INFO(st.ToString());
  REQUIRE(st.ok());
  Row out;
  st = Deser(opts, cols)->Deserialize(bytes, &out);
  INFO(st.ToString());
  REQUIRE(st.ok());
  if (bytes_out) *bytes_out = bytes;
  return out;
}

void CheckSameRow(const Row& got, const Row& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    INFO("column " << i << ": got " << got[i].ToString() << ", want " << want[i].ToString());
    CHECK(got[i] == want[i]);
  }
}

}  // namespace

TEST_CASE("protobuf round trip of every type", "[serde][protobuf]") {
  auto registry = std::make_shared<InMemorySchemaRegistry>();
  for (auto nullable : {ProtobufNullable::kDefault, ProtobufNullable::kOptional,
                        ProtobufNullable::kWrapper}) {
    CheckSameRow(RoundTrip(PbOpts(registry, nullable), AllTypes(), AllValues()), AllValues());
    CheckSameRow(RoundTrip(NoSrOpts(nullable), AllTypes(), AllValues()), AllValues());
  }
}

TEST_CASE("protobuf NULLs: proto3 defaults, or NULL with OPTIONAL and WRAPPER", "[serde][protobuf]") {
  auto registry = std::make_shared<InMemorySchemaRegistry>();
  const auto cols = AllTypes();
  const Row nulls(cols.size());
  const Row defaults = {Value(false), Value(int32_t{0}), Value(int64_t{0}), Value(0.0),
                        Value(),  // messages (DECIMAL, DATE, TIME, TIMESTAMP, STRUCT) stay NULL
                        Value(""), Value(Bytes{}), Value(), Value(), Value(),
                        Value::Array({}), Value::Array({}), Value::Map({}), Value::Map({}),
                        Value(), Value::Array({})};
  CheckSameRow(RoundTrip(PbOpts(registry), cols, nulls), defaults);
  CheckSameRow(RoundTrip(NoSrOpts(), cols, nulls), defaults);
  Row nullable_defaults = defaults;
  for (int i : {0, 1, 2, 3, 5, 6}) nullable_defaults[i] = Value();  // primitives stay NULL
  for (auto nullable : {ProtobufNullable::kOptional, ProtobufNullable::kWrapper}) {
    CheckSameRow(RoundTrip(PbOpts(registry, nullable), cols, nulls), nullable_defaults);
    CheckSameRow(RoundTrip(NoSrOpts(nullable), cols, nulls), nullable_defaults);
  }
  // A NULL field of a nested struct reads back as its default; the struct itself is kept.
  const std::vector<Column> st = {{"ST", Inner()}};
  const Row half = {Value::Struct(Inner(), {Value(), Value("b"), Value()})};
  const Row want = {Value::Struct(Inner(), {Value(int32_t{0}), Value("b"), Value()})};
  CheckSameRow(RoundTrip(PbOpts(registry), st, half), want);
}

TEST_CASE("protobuf registers ksqlDB's schema text and writes Confluent's header", "[serde][protobuf]") {
  auto registry = std::make_shared<InMemorySchemaRegistry>();
  const std::vector<Column> cols = {{"I", SqlType::Integer()}, {"L", SqlType::Bigint()},
                                    {"D", SqlType::Double()},  {"B", SqlType::Boolean()},
                                    {"S", SqlType::String()}};
  const Row row = {Value(int32_t{150}), Value(int64_t{0}), Value(), Value(true), Value("ab")};
  std::string bytes;
  REQUIRE(Ser(PbOpts(registry), cols)->Serialize(row, &bytes).ok());
  // magic 0, id 1, message index [0] as one 0 byte, then I=150 (08 96 01), B=true, S="ab".
  CHECK(bytes == std::string("\x00\x00\x00\x00\x01\x00\x08\x96\x01\x20\x01\x2a\x02" "ab", 15));
  auto latest = registry->Latest("t-value");
  REQUIRE(latest.ok());
  CHECK(latest->type == SchemaType::kProtobuf);
  CHECK(latest->text ==
        "syntax = \"proto3\";\n\nmessage ConnectDefault1 {\n  int32 I = 1;\n  int64 L = 2;\n"
        "  double D = 3;\n  bool B = 4;\n  string S = 5;\n}\n");

  REQUIRE(Ser(PbOpts(registry, ProtobufNullable::kWrapper), cols)->Serialize(row, &bytes).ok());
  CHECK(registry->Latest("t-value")->text ==
        "syntax = \"proto3\";\n\nimport \"google/protobuf/wrappers.proto\";\n\n"
        "message ConnectDefault1 {\n  google.protobuf.Int32Value I = 1;\n"
        "  google.protobuf.Int64Value L = 2;\n  google.protobuf.DoubleValue D = 3;\n"
        "  google.protobuf.BoolValue B = 4;\n  google.protobuf.StringValue S = 5;\n}\n");
  REQUIRE(Ser(PbOpts(registry, ProtobufNullable::kOptional), cols)->Serialize(row, &bytes).ok());
  CHECK(registry->Latest("t-value")->text ==
        "syntax = \"proto3\";\n\nmessage ConnectDefault1 {\n  optional int32 I = 1;\n"
        "  optional int64 L = 2;\n  optional double D = 3;\n  optional bool B = 4;\n"
        "  optional string S = 5;\n}\n");

  // PROTOBUF_NOSR: the bare message.
  REQUIRE(Ser(NoSrOpts(), cols)->Serialize(row, &bytes).ok());
  CHECK(bytes == std::string("\x08\x96\x01\x20\x01\x2a\x02" "ab", 9));
}

TEST_CASE("protobuf derived schema numbers nested messages as Confluent does", "[serde][protobuf]") {
  const std::vector<Column> cols = {
      {"A", SqlType::Struct({{"X", SqlType::Struct({{"Y", SqlType::Integer()}})}})},
      {"M", SqlType::Map(SqlType::String(), SqlType::Integer())},
      {"C", SqlType::Array(SqlType::Struct({{"Z", SqlType::Decimal(4, 2)}}))}};
  auto derived = serde::pb::DeriveSchema(cols, "", ProtobufNullable::kDefault);
  REQUIRE(derived.ok());
  INFO(derived->text);
  CHECK(derived->message_name == "ConnectDefault1");
  CHECK(derived->text.find("ConnectDefault2 A = 1;") != std::string::npos);
  CHECK(derived->text.find("ConnectDefault3 X = 1;") != std::string::npos);
  CHECK(derived->text.find("map<string, int32> M = 2;") != std::string::npos);
  CHECK(derived->text.find("repeated ConnectDefault5 C = 3;") != std::string::npos);  // 4: M's entry
  CHECK(derived->text.find("import \"confluent/type/decimal.proto\";") != std::string::npos);
  auto named = serde::pb::DeriveSchema(cols, "com.acme.Order", ProtobufNullable::kDefault);
  REQUIRE(named.ok());
  CHECK(named->message_name == "com.acme.Order");
  CHECK(named->text.find("package com.acme;") != std::string::npos);
  CHECK(named->text.find("ConnectDefault1 A = 1;") != std::string::npos);
}

TEST_CASE("protobuf reads only the needed columns", "[serde][protobuf]") {
  auto registry = std::make_shared<InMemorySchemaRegistry>();
  const auto cols = AllTypes();
  std::string bytes;
  REQUIRE(Ser(PbOpts(registry), cols)->Serialize(AllValues(), &bytes).ok());
  std::vector<bool> needed(cols.size(), false);
  needed[5] = needed[14] = true;
  Row out;
  REQUIRE(Deser(PbOpts(registry), cols, needed)->Deserialize(bytes, &out).ok());
  REQUIRE(out.size() == cols.size());
  for (size_t i = 0; i < cols.size(); ++i) {
    INFO("column " << i);
    if (needed[i]) CHECK(out[i] == AllValues()[i]);
    else CHECK(out[i].IsNull());
  }
}

namespace {
// A schema as a producer outside ksqlDB would write it: every scalar type, an enum, a oneof,
// wrappers, well-known types, a nested and a second top-level message.
constexpr const char* kForeignSchema = R"(
syntax = "proto3";
package shop;
import "google/protobuf/wrappers.proto";
import "google/protobuf/timestamp.proto";
import "confluent/type/decimal.proto";
message Other { string name = 1; }
message Order {
  enum Status { NEW = 0; PAID = 3; }
  message Line { string sku = 1; sint32 qty = 2; }
  uint32 u32 = 1; uint64 u64 = 2; sint64 s64 = 3; fixed32 f32 = 4; sfixed64 sf64 = 5;
  float f = 6; Status status = 7; repeated int32 nums = 8; repeated Line lines = 9;
  map<string, int64> counts = 10; google.protobuf.Int32Value maybe = 11;
  google.protobuf.Timestamp at = 12;
  confluent.type.Decimal price = 13 [(confluent.field_meta) = { params: [{ value: "6", key: "precision" }, { value: "2", key: "scale" }]}];
  oneof choice { string text = 14; int32 code = 15; }
  optional int32 opt = 16;
  bytes blob = 17;
}
)";

std::unique_ptr<google::protobuf::Message> NewMessage(const google::protobuf::Descriptor* d,
                                                      google::protobuf::DynamicMessageFactory* f) {
  return std::unique_ptr<google::protobuf::Message>(f->GetPrototype(d)->New());
}
}  // namespace

TEST_CASE("protobuf infers ksqlDB's columns from a schema", "[serde][protobuf]") {
  auto cols = ColumnsFromSchema(FormatKind::kProtobuf, kForeignSchema, "shop.Order", false);
  INFO(cols.status().ToString());
  REQUIRE(cols.ok());
  std::vector<std::string> got;
  for (const Column& c : *cols) got.push_back(c.name + " " + c.type->ToString());
  CHECK(got == std::vector<std::string>{
                   "choice_0 STRUCT<text STRING, code INTEGER>", "u32 BIGINT", "u64 BIGINT",
                   "s64 BIGINT", "f32 BIGINT", "sf64 BIGINT", "f DOUBLE", "status STRING",
                   "nums ARRAY<INTEGER>", "lines ARRAY<STRUCT<sku STRING, qty INTEGER>>",
                   "counts MAP<STRING, BIGINT>", "maybe INTEGER", "at TIMESTAMP",
                   "price DECIMAL(6, 2)", "opt INTEGER", "blob BYTES"});
  // No name: the first message; a short name works when it is unique.
  auto first = ColumnsFromSchema(FormatKind::kProtobuf, kForeignSchema, "", false);
  REQUIRE(first.ok());
  REQUIRE(first->size() == 1);
  CHECK((*first)[0].name == "name");
  CHECK(ColumnsFromSchema(FormatKind::kProtobuf, kForeignSchema, "Other", true).ok());
  CHECK_FALSE(ColumnsFromSchema(FormatKind::kProtobuf, kForeignSchema, "Nope", false).ok());
  auto bad = ColumnsFromSchema(FormatKind::kProtobuf, "message { int32 x = 1; }", "", false);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("Invalid Protobuf schema") != std::string::npos);
}

TEST_CASE("protobuf reads what libprotobuf writes, and libprotobuf reads what it writes",
          "[serde][protobuf]") {
  auto registry = std::make_shared<InMemorySchemaRegistry>();
  auto id = registry->Register("shop-value", SchemaType::kProtobuf, kForeignSchema);
  REQUIRE(id.ok());
  auto schema = serde::pb::ProtoSchema::Parse(kForeignSchema, registry.get());
  REQUIRE(schema.ok());
  const google::protobuf::Descriptor* order = *(*schema)->FindMessage("shop.Order");
  google::protobuf::DynamicMessageFactory factory;
  auto msg = NewMessage(order, &factory);
  const google::protobuf::Reflection* r = msg->GetReflection();
  auto field = [&](const char* name) { return order->FindFieldByName(name); };
  r->SetUInt32(msg.get(), field("u32"), 4000000000u);
  r->SetInt64(msg.get(), field("s64"), -5);
  r->SetFloat(msg.get(), field("f"), 1.1234f);
  r->SetEnumValue(msg.get(), field("status"), 3);
  r->AddInt32(msg.get(), field("nums"), -1);
  r->AddInt32(msg.get(), field("nums"), 2);
  google::protobuf::Message* line = r->AddMessage(msg.get(), field("lines"));
  line->GetReflection()->SetString(line, line->GetDescriptor()->FindFieldByName("sku"), "X1");
  line->GetReflection()->SetInt32(line, line->GetDescriptor()->FindFieldByName("qty"), -4);
  google::protobuf::Message* entry = r->AddMessage(msg.get(), field("counts"));
  entry->GetReflection()->SetString(entry, entry->GetDescriptor()->FindFieldByName("key"), "k");
  entry->GetReflection()->SetInt64(entry, entry->GetDescriptor()->FindFieldByName("value"), 9);
  google::protobuf::Message* at = r->MutableMessage(msg.get(), field("at"));
  at->GetReflection()->SetInt64(at, at->GetDescriptor()->FindFieldByName("seconds"), 1700000000);
  at->GetReflection()->SetInt32(at, at->GetDescriptor()->FindFieldByName("nanos"), 123000000);
  r->SetInt32(msg.get(), field("code"), 77);
  r->SetInt32(msg.get(), field("opt"), 0);  // explicitly present: 0, not NULL

  std::string bytes;
  AppendConfluentHeader(*id, &bytes);
  bytes += std::string("\x02\x02", 2);  // message indexes [1]: the second top-level message
  bytes += msg->SerializeAsString();

  auto cols = ColumnsFromSchema(FormatKind::kProtobuf, kForeignSchema, "shop.Order", false);
  REQUIRE(cols.ok());
  FormatOptions opts = PbOpts(registry);
  Row row;
  Status st = Deser(opts, *cols)->Deserialize(bytes, &row);
  INFO(st.ToString());
  REQUIRE(st.ok());
  auto col = [&](const char* name) {
    for (size_t i = 0; i < cols->size(); ++i)
      if ((*cols)[i].name == name) return row[i];
    FAIL("no column " << name);
    return Value();
  };
  CHECK(col("u32") == Value(int64_t{4000000000}));
  CHECK(col("u64") == Value(int64_t{0}));
  CHECK(col("s64") == Value(int64_t{-5}));
  CHECK(col("f").AsDouble() == static_cast<double>(1.1234f));
  CHECK(col("status") == Value("PAID"));
  CHECK(col("nums") == Value::Array({Value(int32_t{-1}), Value(int32_t{2})}));
  CHECK(col("lines").AsArray().size() == 1);
  CHECK(col("lines").AsArray()[0].AsStruct().fields[1] == Value(int32_t{-4}));
  CHECK(col("counts") == Value::Map({{Value("k"), Value(int64_t{9})}}));
  CHECK(col("maybe").IsNull());
  CHECK(col("at") == Value(Timestamp{1700000000123}));
  CHECK(col("price").IsNull());
  CHECK(col("opt") == Value(int32_t{0}));
  CHECK(col("blob") == Value(Bytes{}));
  CHECK(col("choice_0").AsStruct().fields[0].IsNull());
  CHECK(col("choice_0").AsStruct().fields[1] == Value(int32_t{77}));

  // Write the same row with the registered schema (schema id + full name), read it back with
  // libprotobuf, and compare with the message it started from.
  opts.schema_id = *id;
  opts.schema_full_name = "shop.Order";
  std::string written;
  st = Ser(opts, *cols)->Serialize(row, &written);
  INFO(st.ToString());
  REQUIRE(st.ok());
  REQUIRE(written.substr(0, 7) == bytes.substr(0, 7));  // same id and indexes
  auto parsed = NewMessage(order, &factory);
  REQUIRE(parsed->ParseFromString(written.substr(7)));
  CHECK(parsed->ShortDebugString() == msg->ShortDebugString());
  CHECK(registry->Versions("shop-value")->size() == 1);  // nothing new registered
}

TEST_CASE("protobuf schema id: the columns must fit the registered message", "[serde][protobuf]") {
  auto registry = std::make_shared<InMemorySchemaRegistry>();
  auto id = registry->Register("x-value", SchemaType::kProtobuf,
                               "syntax = \"proto3\"; message M { string A = 1; }");
  REQUIRE(id.ok());
  FormatOptions opts = PbOpts(registry);
  opts.schema_id = *id;
  CHECK(MakeSerializer(opts, {{"A", SqlType::String()}}).ok());
  auto wrong_type = MakeSerializer(opts, {{"A", SqlType::Integer()}});
  REQUIRE_FALSE(wrong_type.ok());
  CHECK(wrong_type.status().message().find("not compatible") != std::string::npos);
  CHECK_FALSE(MakeSerializer(opts, {{"B", SqlType::String()}}).ok());
}

TEST_CASE("protobuf rejects maps without STRING keys", "[serde][protobuf]") {
  auto registry = std::make_shared<InMemorySchemaRegistry>();
  auto r = MakeSerializer(PbOpts(registry), {{"M", SqlType::Map(SqlType::Integer(), SqlType::Double())}});
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().find("PROTOBUF format only supports MAP types with STRING keys") !=
        std::string::npos);
}

TEST_CASE("protobuf malformed bytes are SerdeErrors", "[serde][protobuf]") {
  auto registry = std::make_shared<InMemorySchemaRegistry>();
  const auto cols = AllTypes();
  std::string good;
  REQUIRE(Ser(PbOpts(registry), cols)->Serialize(AllValues(), &good).ok());
  auto deser = Deser(PbOpts(registry), cols);
  Row out;

  std::string bad_magic = good;
  bad_magic[0] = 1;
  Status st = deser->Deserialize(bad_magic, &out);
  CHECK(st.code() == Status::Code::kSerdeError);
  CHECK(st.message() == "Unknown magic byte!");

  std::string unknown_id = good;
  unknown_id[4] = 99;
  st = deser->Deserialize(unknown_id, &out);
  CHECK(st.code() == Status::Code::kSerdeError);
  CHECK(st.message().find("Schema 99 not found") != std::string::npos);

  std::string bad_index = good.substr(0, 5) + std::string("\x02\x0a", 2) + good.substr(6);
  CHECK(deser->Deserialize(bad_index, &out).code() == Status::Code::kSerdeError);

  // Every truncation is either still a valid message (cut at a field boundary) or an error.
  int errors = 0;
  for (size_t n = 0; n < good.size(); ++n) {
    st = deser->Deserialize(std::string_view(good).substr(0, n), &out);
    if (!st.ok()) {
      CHECK(st.code() == Status::Code::kSerdeError);
      ++errors;
    }
  }
  CHECK(errors > static_cast<int>(good.size()) / 2);

  // Random corruption never crashes; NOSR too.
  auto nosr = Deser(NoSrOpts(), cols);
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i) {
    std::string noisy = good;
    for (int k = 0; k < 3; ++k) noisy[6 + rng() % (noisy.size() - 6)] = static_cast<char>(rng());
    st = deser->Deserialize(noisy, &out);
    CHECK((st.ok() || st.code() == Status::Code::kSerdeError));
    st = nosr->Deserialize(std::string_view(noisy).substr(6), &out);
    CHECK((st.ok() || st.code() == Status::Code::kSerdeError));
  }
}

TEST_CASE("protobuf resolves imports of other registered schemas", "[serde][protobuf]") {
  auto registry = std::make_shared<InMemorySchemaRegistry>();
  REQUIRE(registry->Register("event.proto", SchemaType::kProtobuf,
                             "syntax = \"proto3\";\nmessage Event {\n int64 timestamp = 1;\n}").ok());
  const std::string text =
      "syntax = \"proto3\";\nimport \"event.proto\";\nmessage Logistics {\n Event event = 1;\n}";
  CHECK_FALSE(ColumnsFromSchema(FormatKind::kProtobuf, text, "", false).ok());
  auto cols = ColumnsFromSchema(FormatKind::kProtobuf, text, "", false, registry.get());
  INFO(cols.status().ToString());
  REQUIRE(cols.ok());
  REQUIRE(cols->size() == 1);
  CHECK((*cols)[0].name == "event");
  CHECK((*cols)[0].type->ToString() == "STRUCT<timestamp BIGINT>");
  auto id = registry->Register("input-value", SchemaType::kProtobuf, text);
  REQUIRE(id.ok());
  std::string bytes;
  AppendConfluentHeader(*id, &bytes);
  bytes += std::string("\x00\x0a\x02\x08\x01", 5);  // index [0]; event = {timestamp: 1}
  Row row;
  REQUIRE(Deser(PbOpts(registry), *cols)->Deserialize(bytes, &row).ok());
  CHECK(row[0] == Value::Struct((*cols)[0].type, {Value(int64_t{1})}));

  // A reference may name another subject: the reader follows the schema's references.
  REQUIRE(registry->Register("events-v2", SchemaType::kProtobuf,
                             "syntax = \"proto3\";\nmessage Event {\n string timestamp = 1;\n}").ok());
  const std::string text2 = text + "\n// v2";
  auto id2 = registry->RegisterWith("input2-value", SchemaType::kProtobuf, text2,
                                    {{"event.proto", "events-v2", 1}}, std::nullopt);
  REQUIRE(id2.ok());
  const std::vector<Column> as_text = {{"event", SqlType::Struct({{"timestamp", SqlType::String()}})}};
  bytes.clear();
  AppendConfluentHeader(*id2, &bytes);
  bytes += std::string("\x00\x0a\x03\x0a\x01x", 6);  // event = {timestamp: "x"}
  Status st = Deser(PbOpts(registry), as_text)->Deserialize(bytes, &row);
  INFO(st.ToString());
  REQUIRE(st.ok());
  CHECK(row[0] == Value::Struct(as_text[0].type, {Value("x")}));
}

TEST_CASE("protobuf map keys must be STRING at CREATE time", "[serde][protobuf]") {
  const std::vector<Column> cols = {{"FOO", SqlType::Map(SqlType::Integer(), SqlType::Double())}};
  for (FormatKind kind : {FormatKind::kProtobuf, FormatKind::kProtobufNoSr}) {
    Status st = ValidateColumns(Opts(kind), cols, false);
    REQUIRE_FALSE(st.ok());
    CHECK(st.message().find("PROTOBUF format only supports MAP types with STRING keys") != std::string::npos);
  }
  CHECK(ValidateColumns(Opts(FormatKind::kProtobuf),
                        {{"FOO", SqlType::Map(SqlType::String(), SqlType::Double())}}, false).ok());
}

TEST_CASE("protobuf reader reused across records keeps nothing from the previous one",
          "[serde][protobuf]") {
  auto registry = std::make_shared<InMemorySchemaRegistry>();
  const auto cols = AllTypes();
  std::string full, empty, mismatched;
  auto ser = Ser(PbOpts(registry), cols);
  REQUIRE(ser->Serialize(AllValues(), &full).ok());
  REQUIRE(ser->Serialize(Row(cols.size()), &empty).ok());
  // Field 2 (I, int32) sent with a wire type other than its own: skipped, so it reads as absent.
  mismatched = empty + std::string("\x15\x01\x02\x03\x04", 5);
  auto deser = Deser(PbOpts(registry), cols);
  Row out, defaults;
  REQUIRE(Deser(PbOpts(registry), cols)->Deserialize(empty, &defaults).ok());
  for (const std::string* next : {&empty, &mismatched}) {
    REQUIRE(deser->Deserialize(full, &out).ok());
    CheckSameRow(out, AllValues());
    REQUIRE(deser->Deserialize(*next, &out).ok());
    CheckSameRow(out, defaults);
  }
}

TEST_CASE("protobuf reads Confluent-style map entry messages as MAP", "[serde][protobuf]") {
  auto registry = std::make_shared<InMemorySchemaRegistry>();
  const std::string text =
      "syntax = \"proto3\";\nmessage M {\n  repeated CEntry c = 1;\n  CEntry one = 2;\n"
      "  message CEntry { string key = 1; int64 value = 2; }\n}\n";
  auto cols = ColumnsFromSchema(FormatKind::kProtobuf, text, "", false);
  REQUIRE(cols.ok());
  REQUIRE(cols->size() == 2);
  CHECK((*cols)[0].type->ToString() == "MAP<STRING, BIGINT>");
  CHECK((*cols)[1].type->ToString() == "STRUCT<key STRING, value BIGINT>");  // a lone entry
  auto id = registry->Register("m-value", SchemaType::kProtobuf, text);
  REQUIRE(id.ok());
  std::string bytes;
  AppendConfluentHeader(*id, &bytes);
  // index [0]; c = {a: 1}, c = {b: 2}, c = {a: 3} (the later entry for a key wins)
  bytes += std::string("\x00\x0a\x05\x0a\x01" "a\x10\x01\x0a\x05\x0a\x01" "b\x10\x02\x0a\x05\x0a\x01" "a\x10\x03", 22);
  Row row;
  REQUIRE(Deser(PbOpts(registry), *cols)->Deserialize(bytes, &row).ok());
  CHECK(row[0] == Value::Map({{Value("a"), Value(int64_t{3})}, {Value("b"), Value(int64_t{2})}}));
  CHECK(row[1].IsNull());
}

TEST_CASE("protobuf schema that cannot be read fails every record with the same error",
          "[serde][protobuf]") {
  auto registry = std::make_shared<InMemorySchemaRegistry>();
  auto id = registry->Register("w-value", SchemaType::kProtobuf,
                               "syntax = \"proto3\"; message M { string A = 1; }");
  REQUIRE(id.ok());
  auto deser = Deser(PbOpts(registry), {{"A", SqlType::Integer()}});
  std::string bytes;
  AppendConfluentHeader(*id, &bytes);
  bytes += std::string("\x00\x0a\x01x", 4);
  Row row;
  Status first = deser->Deserialize(bytes, &row);
  REQUIRE(first.code() == Status::Code::kSerdeError);
  CHECK(first.message().find("cannot hold SQL type INTEGER") != std::string::npos);
  CHECK(deser->Deserialize(bytes, &row).message() == first.message());
}

}  // namespace serde_protobuf_test
