#include <catch2/catch.hpp>

#include "serde_test_util.h"

namespace serde_delimited_test {  // this file's own names (unity build: tests/README.md)

using namespace sluice;
using namespace sluice::testing;

namespace {
std::vector<Column> Primitives() {
  return {{"B", SqlType::Boolean()}, {"I", SqlType::Integer()},   {"L", SqlType::Bigint()},
          {"D", SqlType::Double()},  {"DEC", SqlType::Decimal(6, 3)}, {"S", SqlType::String()},
          {"BY", SqlType::Bytes()},  {"DT", SqlType::Date()},     {"TM", SqlType::Time()},
          {"TS", SqlType::Timestamp()}};
}
}  // namespace

TEST_CASE("delimited round trip of every primitive type", "[serde]") {
  auto cols = Primitives();
  Decimal dec;
  Decimal::Parse("-12.5", 3, &dec);
  Row row{Value(false), Value(int32_t{42}), Value(int64_t{-5000000000}), Value(0.5), Value(dec),
          Value("plain"), Value(Bytes{"hi"}), Value(Date{18000}), Value(Time{1234}),
          Value(Timestamp{1600000000000})};
  std::string bytes;
  REQUIRE(Ser(Opts(FormatKind::kDelimited), cols)->Serialize(row, &bytes).ok());
  CHECK(bytes == "false,42,-5000000000,0.5,-12.500,plain,aGk=,18000,1234,1600000000000");
  Row back;
  REQUIRE(Deser(Opts(FormatKind::kDelimited), cols)->Deserialize(bytes, &back).ok());
  for (size_t i = 0; i < row.size(); ++i) CHECK(back[i] == row[i]);
}

TEST_CASE("delimited quoting as commons-csv", "[serde]") {
  std::vector<Column> cols{{"A", SqlType::String()}, {"B", SqlType::String()}, {"C", SqlType::String()}};
  auto ser = Ser(Opts(FormatKind::kDelimited), cols);
  std::string out;
  REQUIRE(ser->Serialize({Value("a,b"), Value("say \"x\""), Value("two\nlines")}, &out).ok());
  CHECK(out == "\"a,b\",\"say \"\"x\"\"\",\"two\nlines\"");
  Row back;
  auto de = Deser(Opts(FormatKind::kDelimited), cols);
  REQUIRE(de->Deserialize(out, &back).ok());
  CHECK(back == Row{Value("a,b"), Value("say \"x\""), Value("two\nlines")});
  REQUIRE(ser->Serialize({Value(), Value(" lead"), Value("trail ")}, &out).ok());
  CHECK(out == ",\" lead\",\"trail \"");
  REQUIRE(de->Deserialize(out, &back).ok());
  CHECK(back == Row{Value(), Value(" lead"), Value("trail ")});
}

TEST_CASE("delimited quoting follows commons-csv MINIMAL for every type", "[serde]") {
  std::vector<Column> cols{{"A", SqlType::Integer()}, {"B", SqlType::Integer()},
                           {"C", SqlType::String()}};
  auto ser = Ser(Opts(FormatKind::kDelimited), cols);
  std::string out;
  // First field of a record: quoted unless it starts with an ASCII letter or digit.
  REQUIRE(ser->Serialize({Value(int32_t{-10}), Value(int32_t{-5}), Value("-x")}, &out).ok());
  CHECK(out == "\"-10\",-5,-x");
  REQUIRE(ser->Serialize({Value(int32_t{10}), Value(), Value("!x")}, &out).ok());
  CHECK(out == "10,,\"!x\"");  // other fields: quoted when starting with a char <= '#'
  auto strs = Ser(Opts(FormatKind::kDelimited), {{"S", SqlType::String()}, {"T", SqlType::String()}});
  REQUIRE(strs->Serialize({Value("_a"), Value("_a")}, &out).ok());
  CHECK(out == "\"_a\",_a");
  REQUIRE(strs->Serialize({Value(), Value("x")}, &out).ok());
  CHECK(out == ",x");  // a NULL first field stays empty
  auto decs = Ser(Opts(FormatKind::kDelimited), {{"D", SqlType::Decimal(8, 2)}});
  Decimal d;
  REQUIRE(Decimal::Parse("-12345.12", 2, &d));
  REQUIRE(decs->Serialize({Value(d)}, &out).ok());
  CHECK(out == "\"-12345.12\"");
}

TEST_CASE("delimited empty field is NULL, custom delimiter, needed columns", "[serde]") {
  std::vector<Column> cols{{"A", SqlType::Integer()}, {"B", SqlType::String()}, {"C", SqlType::Double()}};
  auto de = Deser(Opts(FormatKind::kDelimited, true, '|'), cols, {true, false, true});
  Row row;
  REQUIRE(de->Deserialize("|skipped|2.5", &row).ok());
  CHECK(row == Row{Value(), Value(), Value(2.5)});
  auto tab = Deser(Opts(FormatKind::kDelimited, true, '\t'), cols);
  REQUIRE(tab->Deserialize("1\tx y\t\"\"\n", &row).ok());
  CHECK(row == Row{Value(int32_t{1}), Value("x y"), Value()});
  std::string out;
  REQUIRE(Ser(Opts(FormatKind::kDelimited, true, '\t'), cols)->Serialize(row, &out).ok());
  CHECK(out == "1\tx y\t");
}

TEST_CASE("delimited malformed input errors", "[serde]") {
  std::vector<Column> cols{{"A", SqlType::Integer()}, {"B", SqlType::String()}};
  auto de = Deser(Opts(FormatKind::kDelimited), cols);
  Row row;
  Status st = de->Deserialize("1,2,3", &row);
  CHECK(st.code() == Status::Code::kSerdeError);
  CHECK(st.message() == "Unexpected field count, csvFields:3 schemaFields:2");
  CHECK(de->Deserialize("1", &row).message() == "Unexpected field count, csvFields:1 schemaFields:2");
  CHECK(de->Deserialize("x,b", &row).message() ==
        "Failed to deserialize column `A`: Can't coerce string to type. targetType: INTEGER");
  CHECK(de->Deserialize("1,\"open", &row).message() == "EOF reached before encapsulated token finished");
  CHECK(de->Deserialize("1,\"a\"b", &row).message() ==
        "Invalid char between encapsulated token and delimiter");
  CHECK(de->Deserialize("", &row).message() == "No fields in record");
}

}  // namespace serde_delimited_test
