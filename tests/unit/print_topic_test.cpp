// PRINT's record formatting (engine/print): format detection and narrowing as ksqlDB's
// RecordFormatter does it, every format's rendering (Confluent wire header + the in-memory
// Schema Registry for AVRO, PROTOBUF and JSON_SR), windowed keys, the line layout, the
// header / INTERVAL / LIMIT / keep-alive logic, and malformed bytes (printed, never a crash).
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/message.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <random>

#include "engine/executor/print_query.h"
#include "engine/print/record_formatter.h"
#include "engine/print/topic_printer.h"
#include "engine/schema_registry/schema_registry.h"
#include "engine/serde/avro_binary.h"
#include "engine/serde/protobuf_schema.h"

namespace print_topic_test {  // this file's own names (unity build: tests/README.md)

using namespace sluice;
using namespace sluice::print;

namespace {

std::string BigEndianBytes(uint64_t v, int width) {
  std::string out;
  for (int i = width - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  return out;
}

std::string DoubleBytes(double d) {
  uint64_t bits;
  std::memcpy(&bits, &d, sizeof d);
  return BigEndianBytes(bits, 8);
}

KafkaRecord Record(std::optional<std::string> key, std::optional<std::string> value, int64_t ts = 0,
                   int partition = 0) {
  KafkaRecord r;
  r.topic = "t";
  r.partition = partition;
  r.timestamp = ts;
  r.key = std::move(key);
  r.value = std::move(value);
  return r;
}

// The text one value gets from a fresh formatter, and the formats left after it.
std::pair<std::string, std::vector<std::string>> FormatValue(const std::string& bytes,
                                                             std::shared_ptr<SchemaRegistry> registry = nullptr) {
  SchemaCache cache(std::move(registry));
  FieldFormatter f(cache, false);
  std::string text = f.Format(bytes);
  return {text, f.PossibleFormats()};
}

std::pair<std::string, std::vector<std::string>> FormatKey(const std::string& bytes) {
  SchemaCache cache(nullptr);
  FieldFormatter f(cache, true);
  std::string text = f.Format(bytes);
  return {text, f.PossibleFormats()};
}

using Names = std::vector<std::string>;

}  // namespace

TEST_CASE("PRINT's rowtime, bytes and float texts are Java's", "[print]") {
  CHECK(FormatRowtime(1614852672123) == "2021/03/04 10:11:12.123 Z");
  CHECK(FormatRowtime(0) == "1970/01/01 00:00:00.000 Z");
  CHECK(FormatRowtime(-1000) == "1969/12/31 23:59:59.000 Z");
  CHECK(FormatRowtime(-1) == "N/A");
  CHECK(BytesToString(std::string("\0a\\~\xff", 5)) == "\\x00a\\x5C~\\xFF");
  CHECK(FormatJavaFloat(1.5f) == "1.5");
  CHECK(FormatJavaFloat(1.0f) == "1.0");
  CHECK(FormatJavaFloat(0.1f) == "0.1");
  CHECK(FormatJavaFloat(0.001f) == "0.001");
  CHECK(FormatJavaFloat(1234567.0f) == "1234567.0");
  CHECK(FormatJavaFloat(12345678.0f) == "1.2345678E7");
  CHECK(FormatJavaFloat(1e10f) == "1.0E10");
  CHECK(FormatJavaFloat(-1e-5f) == "-1.0E-5");
  CHECK(FormatJavaFloat(-0.0f) == "-0.0");
}

TEST_CASE("PRINT detects the KAFKA formats", "[print]") {
  // Four bytes: an INT, and (valid UTF-8) a STRING too; the INT is preferred.
  CHECK(FormatValue(BigEndianBytes(42, 4)) == std::pair<std::string, Names>{"42", {"KAFKA_INT", "KAFKA_STRING"}});
  CHECK(FormatValue(BigEndianBytes(static_cast<uint32_t>(-7), 4)).first == "-7");
  // Eight bytes: BIGINT and DOUBLE cannot be told apart (ksqlDB's docs say so).
  auto bigint = FormatValue(BigEndianBytes(1234567890123ULL, 8));
  CHECK(bigint.first == "1234567890123");
  CHECK(bigint.second == Names{"KAFKA_BIGINT", "KAFKA_DOUBLE"});
  auto dbl = FormatValue(DoubleBytes(2.5));
  CHECK(dbl.first == std::to_string(static_cast<int64_t>(0x4004000000000000ULL)));  // BIGINT first, as ksqlDB
  CHECK(dbl.second == Names{"KAFKA_BIGINT", "KAFKA_DOUBLE", "KAFKA_STRING"});  // 40 04 00...: valid UTF-8
  CHECK(FormatValue("hello") == std::pair<std::string, Names>{"hello", {"KAFKA_STRING"}});
  CHECK(FormatValue("{\"A\": 1, \"B\": [true, null]}") ==
        std::pair<std::string, Names>{"{\"A\": 1, \"B\": [true, null]}", {"JSON", "KAFKA_STRING"}});
  CHECK(FormatValue("12").second == Names{"JSON", "KAFKA_STRING"});
  CHECK(FormatValue("12abc").second == Names{"KAFKA_STRING"});
  // U+FFFD, even well encoded, is what Java's decoder makes of bad bytes: not a string.
  CHECK(FormatValue("ab\xEF\xBF\xBD").second.empty());
  CHECK(FormatValue("caf\xC3\xA9").second == Names{"KAFKA_STRING"});
}

TEST_CASE("PRINT prints bytes no format reads as Kafka's Bytes.toString", "[print]") {
  CHECK(FormatValue(std::string("\xff\xfe\x01", 3)) == std::pair<std::string, Names>{"\\xFF\\xFE\\x01", {}});
  CHECK(FormatValue("") == std::pair<std::string, Names>{"", {}});  // empty: no format takes it
  CHECK(FormatValue(std::string("\xC0\xAF", 2)).second.empty());     // overlong UTF-8
  CHECK(FormatValue(std::string("\xED\xA0\x80", 3)).second.empty());  // a surrogate
  SchemaCache cache(nullptr);
  FieldFormatter f(cache, false);
  CHECK(f.Format(std::nullopt) == "<null>");
  CHECK(f.PossibleFormats() == Names{kNoDataProcessed});
}

TEST_CASE("PRINT reads windowed keys", "[print]") {
  // Time windows: key, then the start as a big-endian long; the end is not in the bytes.
  auto tumbling = FormatKey("k1" + BigEndianBytes(1000, 8));
  CHECK(tumbling.first == "[k1@1000/-]");
  CHECK(tumbling.second == Names{"HOPPING(KAFKA_STRING)", "TUMBLING(KAFKA_STRING)"});
  // Session windows: key, end, start.
  auto session = FormatKey("k1" + BigEndianBytes(2000, 8) + BigEndianBytes(1000, 8));
  CHECK(session.first == "[k1@1000/2000]");
  CHECK(session.second.front() == "SESSION(KAFKA_STRING)");
  // An INT key in a time window.
  CHECK(FormatKey(BigEndianBytes(7, 4) + BigEndianBytes(1000, 8)).first == "[7@1000/-]");
  // A session that would end before it starts is no session.
  auto backwards = FormatKey("k1" + BigEndianBytes(1000, 8) + BigEndianBytes(2000, 8));
  for (const std::string& name : backwards.second) CHECK(name.rfind("SESSION", 0) == std::string::npos);
  // A plain key keeps its plain formats, windowed ones drop out.
  CHECK(FormatKey("abc").second == Names{"KAFKA_STRING"});
}

TEST_CASE("PRINT decodes AVRO through the schema registry", "[print]") {
  auto registry = std::make_shared<InMemorySchemaRegistry>();
  auto id = registry->Register("t-value", SchemaType::kAvro, R"({"type": "record", "name": "R", "fields": [
      {"name": "ID", "type": "long"}, {"name": "NAME", "type": ["null", "string"]},
      {"name": "V", "type": "double"}, {"name": "F", "type": "float"},
      {"name": "TAGS", "type": {"type": "array", "items": "string"}},
      {"name": "M", "type": {"type": "map", "values": "int"}},
      {"name": "E", "type": {"type": "enum", "name": "Color", "symbols": ["RED", "GREEN"]}},
      {"name": "OK", "type": "boolean"}, {"name": "N", "type": ["null", "string"]}]})");
  REQUIRE(id.ok());
  std::string bytes;
  AppendConfluentHeader(*id, &bytes);
  using namespace sluice::serde::avro;
  WriteLong(5, &bytes);
  WriteLong(1, &bytes);  // union branch "string"
  WriteBytes("ann \"q\"\n", &bytes);
  WriteDouble(1.5, &bytes);
  WriteFloat(0.1f, &bytes);
  WriteLong(2, &bytes);  // array block of 2
  WriteBytes("a", &bytes);
  WriteBytes("b", &bytes);
  WriteLong(0, &bytes);
  WriteLong(1, &bytes);  // map block of 1
  WriteBytes("x", &bytes);
  WriteLong(-3, &bytes);
  WriteLong(0, &bytes);
  WriteLong(1, &bytes);  // GREEN
  WriteBool(true, &bytes);
  WriteLong(0, &bytes);  // null
  auto [text, formats] = FormatValue(bytes, registry);
  CHECK(text ==
        R"({"ID": 5, "NAME": "ann \"q\"\n", "V": 1.5, "F": 0.1, "TAGS": ["a", "b"], "M": {"x": -3}, "E": "GREEN", )"
        R"("OK": true, "N": null})");
  CHECK(formats.front() == "AVRO");

  // Map entries come out in Java's HashMap order (two entries: a table of 4, "d" in bucket 0).
  auto mid = registry->Register("m-value", SchemaType::kAvro, R"({"type": "map", "values": "long"})");
  REQUIRE(mid.ok());
  std::string map;
  AppendConfluentHeader(*mid, &map);
  WriteLong(2, &map);
  WriteBytes("c", &map);
  WriteLong(1, &map);
  WriteBytes("d", &map);
  WriteLong(2, &map);
  WriteLong(0, &map);
  CHECK(FormatValue(map, registry).first == R"({"d": 2, "c": 1})");

  // A top-level string prints bare, as the deserializer's String.
  auto sid = registry->Register("s-value", SchemaType::kAvro, R"("string")");
  REQUIRE(sid.ok());
  std::string str;
  AppendConfluentHeader(*sid, &str);
  WriteBytes("plain", &str);
  CHECK(FormatValue(str, registry).first == "plain");

  // Truncated, an unknown id, no registry: not AVRO, printed as bytes or another format.
  auto has_avro = [](const Names& formats) { return std::find(formats.begin(), formats.end(), "AVRO") != formats.end(); };
  CHECK_FALSE(has_avro(FormatValue(bytes.substr(0, 9), registry).second));
  std::string unknown = bytes;
  unknown[4] = 99;
  CHECK_FALSE(has_avro(FormatValue(unknown, registry).second));
  CHECK_FALSE(has_avro(FormatValue(bytes, nullptr).second));
}

TEST_CASE("PRINT decodes PROTOBUF through the schema registry", "[print]") {
  const std::string proto = R"(syntax = "proto3";
package shop;
message Item { string sku = 1; int32 qty = 2; }
message Order { int64 id = 1; string name = 2; double v = 3; repeated string tags = 4; Item item = 5; float f = 6; }
)";
  auto registry = std::make_shared<InMemorySchemaRegistry>();
  auto id = registry->Register("t-value", SchemaType::kProtobuf, proto);
  REQUIRE(id.ok());
  auto schema = serde::pb::ProtoSchema::Parse(proto, registry.get());
  REQUIRE(schema.ok());
  const google::protobuf::Descriptor* order = *(*schema)->FindMessage("shop.Order");
  google::protobuf::DynamicMessageFactory factory;
  std::unique_ptr<google::protobuf::Message> msg(factory.GetPrototype(order)->New());
  const google::protobuf::Reflection* r = msg->GetReflection();
  r->SetInt64(msg.get(), order->FindFieldByName("id"), 5);
  r->SetString(msg.get(), order->FindFieldByName("name"), "ann");
  r->SetDouble(msg.get(), order->FindFieldByName("v"), 2.0);
  r->AddString(msg.get(), order->FindFieldByName("tags"), "a");
  r->AddString(msg.get(), order->FindFieldByName("tags"), "b");
  google::protobuf::Message* item = r->MutableMessage(msg.get(), order->FindFieldByName("item"));
  item->GetReflection()->SetString(item, item->GetDescriptor()->FindFieldByName("sku"), "X1");
  r->SetFloat(msg.get(), order->FindFieldByName("f"), 0.1f);
  std::string bytes;
  AppendConfluentHeader(*id, &bytes);
  bytes.push_back('\0');  // message indexes: the second message is [1]
  bytes.back() = 2;       // count 1 (zigzag)
  bytes.push_back(2);     // index 1 (zigzag)
  bytes += msg->SerializeAsString();
  auto [text, formats] = FormatValue(bytes, registry);
  // TextFormat's short form, numbers as Java prints them (2.0, not 2).
  CHECK(text == R"(id: 5 name: "ann" v: 2.0 tags: "a" tags: "b" item { sku: "X1" } f: 0.1)");
  REQUIRE_FALSE(formats.empty());
  CHECK(formats.front() == "PROTOBUF");

  // The first message, written with the single-byte index form.
  std::string first;
  AppendConfluentHeader(*id, &first);
  first.push_back('\0');
  std::unique_ptr<google::protobuf::Message> it(factory.GetPrototype(item->GetDescriptor())->New());
  it->GetReflection()->SetInt32(it.get(), item->GetDescriptor()->FindFieldByName("qty"), -4);
  first += it->SerializeAsString();
  CHECK(FormatValue(first, registry).first == "qty: -4");

  // Garbage after the header is not PROTOBUF.
  std::string bad;
  AppendConfluentHeader(*id, &bad);
  bad += std::string("\x02\x02\xff\xff\xff", 5);
  auto garbage = FormatValue(bad, registry);
  CHECK(std::find(garbage.second.begin(), garbage.second.end(), "PROTOBUF") == garbage.second.end());
}

TEST_CASE("PRINT decodes JSON_SR and prints it compact", "[print]") {
  auto registry = std::make_shared<InMemorySchemaRegistry>();
  auto id = registry->Register("t-value", SchemaType::kJson, R"({"type": "object", "properties": {"A": {"type": "integer"}}})");
  REQUIRE(id.ok());
  std::string bytes;
  AppendConfluentHeader(*id, &bytes);
  bytes += R"({"B": "x",  "A": 1})";
  auto [text, formats] = FormatValue(bytes, registry);
  CHECK(text == R"({"B":"x","A":1})");  // key order kept
  // The header's bytes are valid UTF-8, so it reads as a string too, as in ksqlDB.
  CHECK(formats == Names{"JSON_SR", "KAFKA_STRING"});
  // An AVRO schema's id in a JSON payload: not JSON_SR.
  auto avro = registry->Register("a-value", SchemaType::kAvro, R"("string")");
  std::string wrong;
  AppendConfluentHeader(*avro, &wrong);
  wrong += R"({"A": 1})";
  CHECK(FormatValue(wrong, registry).second == Names{"KAFKA_STRING"});
}

TEST_CASE("PRINT's lines: layout, narrowing, and a batch printed again when its format drops", "[print]") {
  RecordFormatter f(nullptr);
  // "abcdefgh" is eight bytes: a BIGINT until "hello" (five bytes) rules that out; the batch is
  // then printed again with KAFKA_STRING.
  auto lines = f.Format({Record(std::string("abcdefgh"), std::string("{\"A\":1}"), 1614852672123, 2),
                         Record(std::string("hello"), std::nullopt, -1, 0)});
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] == "rowtime: 2021/03/04 10:11:12.123 Z, key: abcdefgh, value: {\"A\":1}, partition: 2");
  CHECK(lines[1] == "rowtime: N/A, key: hello, value: <null>, partition: 0");
  CHECK(f.PossibleKeyFormats() == Names{"KAFKA_STRING"});
  CHECK(f.PossibleValueFormats() == Names{"JSON", "KAFKA_STRING"});
}

TEST_CASE("PRINT's output: format lines, INTERVAL, LIMIT, keep-alive", "[print]") {
  TopicPrinter p(nullptr, 2, 3);
  CHECK(p.OnPoll({}) == Names{""});  // nothing yet: ksqlDB's keep-alive line
  auto out = p.OnPoll({Record(std::nullopt, std::string("1")), Record(std::nullopt, std::string("2")),
                       Record(std::nullopt, std::string("3"))});
  // The shrug: no key seen but nulls. Records 1 and 3 (every second one).
  REQUIRE(out.size() == 4);
  CHECK(out[0] == std::string("Key format: ") + kNoDataProcessed);
  CHECK(out[1] == "Value format: JSON or KAFKA_STRING");
  CHECK(out[2] == "rowtime: 1970/01/01 00:00:00.000 Z, key: <null>, value: 1, partition: 0");
  CHECK(out[3] == "rowtime: 1970/01/01 00:00:00.000 Z, key: <null>, value: 3, partition: 0");
  CHECK_FALSE(p.done());
  // No longer JSON: the value format line again; "four" is skipped, "five" is the third kept.
  out = p.OnPoll({Record(std::nullopt, std::string("four")), Record(std::nullopt, std::string("five"))});
  REQUIRE(out.size() == 2);
  CHECK(out[0] == "Value format: KAFKA_STRING");
  CHECK(out[1] == "rowtime: 1970/01/01 00:00:00.000 Z, key: <null>, value: five, partition: 0");
  CHECK(p.done());
  CHECK(p.OnPoll({Record(std::nullopt, std::string("six"))}).empty());
  CHECK(p.OnPoll({}).empty());
}

TEST_CASE("PRINT's output: LIMIT ends it, no format matching says so", "[print]") {
  TopicPrinter p(nullptr, 1, 2);
  auto out = p.OnPoll({Record(std::string("k"), std::string("\xff", 1)), Record(std::string("k"), std::string("x")),
                       Record(std::string("k"), std::string("y"))});
  REQUIRE(out.size() == 4);
  CHECK(out[0] == "Key format: KAFKA_STRING");
  CHECK(out[1] ==
        "Value format:  does not match any supported format. It may be a STRING with encoding other than UTF8, or "
        "some other format.");
  CHECK(out[2].find("value: \\xFF,") != std::string::npos);
  CHECK(out[3].find("value: x,") != std::string::npos);
  CHECK(p.done());
  CHECK(p.OnPoll({Record(std::string("k"), std::string("z"))}).empty());
  // The websocket style: record lines only.
  TopicPrinter ws(nullptr, 1, std::nullopt, PrintStyle{.format_lines = false, .keep_alive_lines = false});
  CHECK(ws.OnPoll({}).empty());
  CHECK(ws.OnPoll({Record(std::nullopt, std::string("v"))}) ==
        Names{"rowtime: 1970/01/01 00:00:00.000 Z, key: <null>, value: v, partition: 0"});
}

TEST_CASE("PRINT never fails on random bytes, with or without wire headers", "[print]") {
  auto registry = std::make_shared<InMemorySchemaRegistry>();
  REQUIRE(registry->Register("a", SchemaType::kAvro, R"({"type": "record", "name": "R", "fields": [
      {"name": "A", "type": {"type": "array", "items": {"type": "map", "values": "string"}}}]})").ok());
  REQUIRE(registry->Register("p", SchemaType::kProtobuf, "syntax = \"proto3\"; message M { repeated string s = 1; M m = 2; }").ok());
  REQUIRE(registry->Register("j", SchemaType::kJson, R"({"type": "object"})").ok());
  std::mt19937 rng(42);
  TopicPrinter p(registry, 1, std::nullopt);
  for (int batch = 0; batch < 50; ++batch) {
    std::vector<KafkaRecord> records;
    for (int i = 0; i < 40; ++i) {
      std::string bytes;
      if (rng() % 2) AppendConfluentHeader(1 + static_cast<int>(rng() % 4), &bytes);
      const size_t n = rng() % 40;
      for (size_t k = 0; k < n; ++k) bytes.push_back(static_cast<char>(rng() % 256));
      records.push_back(Record(bytes.substr(0, rng() % (bytes.size() + 1)), bytes));
    }
    for (const std::string& line : p.OnPoll(records))
      CHECK((line.rfind("rowtime: ", 0) == 0 || line.rfind("Key format: ", 0) == 0 ||
             line.rfind("Value format: ", 0) == 0));
  }
}

TEST_CASE("PRINT's unknown topic message suggests names in another case", "[print]") {
  CHECK(UnknownTopicMessage("nope", {"a", "b"}) ==
        "Could not find topic 'nope', or the KSQL user does not have permissions to list the topic. "
        "Topic names are case-sensitive.");
  CHECK(UnknownTopicMessage("orders", {"ORDERS", "x", "Orders"}) ==
        "Could not find topic 'orders', or the KSQL user does not have permissions to list the topic. "
        "Topic names are case-sensitive.\nDid you mean:\n\tprint ORDERS;\n\tprint Orders;");
}

}  // namespace print_topic_test
