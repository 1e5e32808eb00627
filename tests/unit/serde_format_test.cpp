#include <catch2/catch.hpp>

#include "engine/serde/text_codec.h"
#include "engine/types/java_double.h"
#include "serde_test_util.h"

namespace serde_format_test {  // this file's own names (unity build: tests/README.md)

using namespace sluice;
using namespace sluice::testing;

TEST_CASE("format names parse case-insensitively", "[serde]") {
  CHECK(ParseFormatName("json").value() == FormatKind::kJson);
  CHECK(ParseFormatName("Kafka").value() == FormatKind::kKafka);
  CHECK(ParseFormatName("DELIMITED").value() == FormatKind::kDelimited);
  CHECK(ParseFormatName("none").value() == FormatKind::kNone);
  CHECK(ParseFormatName("json_sr").value() == FormatKind::kJsonSr);
  CHECK(ParseFormatName("foo").status().message() == "Unknown format: FOO");
  // AVRO too: its readers look writers' schemas up by id.
  auto avro = MakeDeserializer(Opts(FormatKind::kAvro), {{"A", SqlType::Integer()}});
  CHECK(avro.status().message() == "The 'AVRO' format needs a Schema Registry (ksql.schema.registry.url)");
  // PROTOBUF keeps its schemas in a registry: without one it is refused when built.
  CHECK(MakeSerializer(Opts(FormatKind::kProtobuf), {}).status().message() ==
        "PROTOBUF needs a schema registry");
}

TEST_CASE("ValidateColumns gives ksqlDB's messages", "[serde]") {
  auto msg = [](FormatKind k, std::vector<Column> cols, bool key) {
    return ValidateColumns(Opts(k), cols, key).ToString();
  };
  CHECK(msg(FormatKind::kKafka, {{"K", SqlType::Boolean()}}, true) ==
        "Key format does not support schema.\nformat: KAFKA\n"
        "schema: Persistence{columns=[`K` BOOLEAN KEY], features=[]}\n"
        "reason: The 'KAFKA' format does not support type 'BOOLEAN'");
  CHECK(msg(FormatKind::kKafka, {{"V", SqlType::Array(SqlType::Integer())}}, false) ==
        "Value format does not support schema.\nformat: KAFKA\n"
        "schema: Persistence{columns=[`V` ARRAY<INTEGER>], features=[]}\n"
        "reason: The 'KAFKA' format does not support type 'ARRAY'");
  CHECK(msg(FormatKind::kKafka, {{"A", SqlType::Integer()}, {"B", SqlType::Integer()}}, true) ==
        "Key format does not support schema.\nformat: KAFKA\n"
        "schema: Persistence{columns=[`A` INTEGER KEY, `B` INTEGER KEY], features=[]}\n"
        "reason: The 'KAFKA' format only supports a single field. Got: [`A` INTEGER KEY, `B` INTEGER KEY]");
  CHECK(msg(FormatKind::kKafka, {}, true) == "OK");
  CHECK(msg(FormatKind::kDelimited, {{"S", SqlType::Struct({{"F", SqlType::Double()}})}}, false) ==
        "Value format does not support schema.\nformat: DELIMITED\n"
        "schema: Persistence{columns=[`S` STRUCT<`F` DOUBLE>], features=[]}\n"
        "reason: The 'DELIMITED' format does not support type 'STRUCT', column: `S`");
  CHECK(msg(FormatKind::kNone, {{"K", SqlType::String()}}, true) ==
        "Key format does not support schema.\nformat: NONE\n"
        "schema: Persistence{columns=[`K` STRING KEY], features=[]}\n"
        "reason: The 'NONE' format can only be used when no columns are defined. Got: [`K` STRING KEY]");
  CHECK(msg(FormatKind::kNone, {{"FOO", SqlType::Integer()}}, false) ==
        "Value format does not support schema.\nformat: NONE\n"
        "schema: Persistence{columns=[`FOO` INTEGER], features=[]}\n"
        "reason: The 'NONE' format can only be used when no columns are defined. Got: [`FOO` INTEGER]");
  CHECK(msg(FormatKind::kJson, {{"K", SqlType::Map(SqlType::Integer(), SqlType::Double())}}, true) ==
        "Map keys, including types that contain maps, are not supported as they may lead to "
        "unexpected behavior due to inconsistent serialization. Key column name: `K`. Column type: "
        "MAP<INTEGER, DOUBLE>. See https://github.com/confluentinc/ksql/issues/6621 for more.");
  CHECK(msg(FormatKind::kJson, {{"V", SqlType::Map(SqlType::String(), SqlType::Double())}}, false) == "OK");
}

TEST_CASE("NONE reads an empty non-null row and writes nothing", "[serde]") {
  auto de = Deser(Opts(FormatKind::kNone), {});
  Row row{Value(1.0)};
  REQUIRE(de->Deserialize("ignored", &row).ok());
  CHECK(row.empty());
  CHECK_FALSE(IsNullRecord(row, 0));
  auto ser = Ser(Opts(FormatKind::kNone), {});
  std::string out = "stale";
  REQUIRE(ser->Serialize({}, &out).ok());
  CHECK(out.empty());
}

TEST_CASE("text codecs: base64, Java doubles, ISO times", "[serde]") {
  std::string s;
  serde::AppendBase64("foobar", &s);
  CHECK(s == "Zm9vYmFy");
  s.clear();
  serde::AppendBase64("fo", &s);
  CHECK(s == "Zm8=");
  std::string d;
  CHECK(serde::DecodeBase64("Zm8=", &d));
  CHECK(d == "fo");
  CHECK_FALSE(serde::DecodeBase64("Zm8*", &d));
  auto java = [](double v) {
    std::string out;
    AppendJavaDouble(v, &out);
    return out;
  };
  CHECK(java(100.0) == "100.0");
  CHECK(java(1234567.0) == "1234567.0");
  CHECK(java(12345678.0) == "1.2345678E7");
  CHECK(java(0.0001) == "1.0E-4");
  CHECK(java(-0.0) == "-0.0");
  CHECK(java(1.7976931348623157e308) == "1.7976931348623157E308");
  CHECK(java(4.9E-324) == "4.9E-324");    // two digits, the pair nearest the exact value
  CHECK(java(-4.9E-324) == "-4.9E-324");
  CHECK(java(1e-323) == "9.9E-324");
  CHECK(java(1e23) == "1.0E23");
  CHECK(java(2.0) == "2.0");
  int64_t ms;
  CHECK(serde::ParseIsoTimestamp("2021-03-04T05:06:07.089+01:00", &ms));
  CHECK(ms == 1614830767089);
  int32_t days;
  CHECK(serde::ParseIsoDate("2000-02-29", &days));
  CHECK(days == 11016);
}

}  // namespace serde_format_test
