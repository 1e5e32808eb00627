#include <catch2/catch.hpp>

#include <cmath>

#include "serde_test_util.h"

namespace serde_kafka_test {  // this file's own names (unity build: tests/README.md)

using namespace sluice;
using namespace sluice::testing;

namespace {
Value RoundTrip(TypePtr type, const Value& v, std::string* bytes) {
  std::vector<Column> cols{{"K", type}};
  REQUIRE(Ser(Opts(FormatKind::kKafka, false), cols)->Serialize({v}, bytes).ok());
  Row back;
  REQUIRE(Deser(Opts(FormatKind::kKafka, false), cols)->Deserialize(*bytes, &back).ok());
  REQUIRE(back.size() == 1);
  return back[0];
}
}  // namespace

TEST_CASE("kafka round trip with big-endian encodings", "[serde]") {
  std::string b;
  CHECK(RoundTrip(SqlType::Integer(), Value(int32_t{0x01020304}), &b) == Value(int32_t{0x01020304}));
  CHECK(b == std::string("\x01\x02\x03\x04", 4));
  CHECK(RoundTrip(SqlType::Integer(), Value(int32_t{-2}), &b) == Value(int32_t{-2}));
  CHECK(b == std::string("\xff\xff\xff\xfe", 4));
  CHECK(RoundTrip(SqlType::Bigint(), Value(int64_t{1} << 40), &b) == Value(int64_t{1} << 40));
  CHECK(b == std::string("\x00\x00\x01\x00\x00\x00\x00\x00", 8));
  CHECK(RoundTrip(SqlType::Double(), Value(1.0), &b) == Value(1.0));
  CHECK(b == std::string("\x3f\xf0\x00\x00\x00\x00\x00\x00", 8));
  CHECK(RoundTrip(SqlType::String(), Value("héllo"), &b) == Value("héllo"));
  CHECK(b == "héllo");
  CHECK(RoundTrip(SqlType::String(), Value(""), &b) == Value(""));
  CHECK(RoundTrip(SqlType::Bytes(), Value(Bytes{std::string("\0\1", 2)}), &b) ==
        Value(Bytes{std::string("\0\1", 2)}));
}

TEST_CASE("kafka wrong sizes are errors with Kafka's messages", "[serde]") {
  Row row;
  auto i = Deser(Opts(FormatKind::kKafka), {{"K", SqlType::Integer()}});
  Status st = i->Deserialize("abc", &row);
  CHECK(st.code() == Status::Code::kSerdeError);
  CHECK(st.message() == "Size of data received by IntegerDeserializer is not 4");
  CHECK(i->Deserialize("", &row).message() == "Size of data received by IntegerDeserializer is not 4");
  auto l = Deser(Opts(FormatKind::kKafka), {{"K", SqlType::Bigint()}});
  CHECK(l->Deserialize("1234", &row).message() == "Size of data received by LongDeserializer is not 8");
  auto d = Deser(Opts(FormatKind::kKafka), {{"K", SqlType::Double()}});
  CHECK(d->Deserialize("123456789", &row).message() == "Size of data received by DoubleDeserializer is not 8");
}

TEST_CASE("kafka null values become null payloads; no columns ignore the payload", "[serde]") {
  auto ser = Ser(Opts(FormatKind::kKafka), {{"K", SqlType::String()}});
  CHECK(ser->IsNullPayload({Value()}));
  CHECK_FALSE(ser->IsNullPayload({Value("")}));
  auto none = Deser(Opts(FormatKind::kKafka), {});
  Row row{Value(1.0)};
  REQUIRE(none->Deserialize("whatever", &row).ok());
  CHECK(row.empty());
  CHECK_FALSE(IsNullRecord(row, 0));
}

}  // namespace serde_kafka_test
