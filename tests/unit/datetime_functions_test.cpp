#include <catch2/catch.hpp>

#include "engine/expr/function_registry.h"
#include "engine/expr/java_time_format.h"

namespace datetime_functions_test {  // this file's own names (unity build: tests/README.md)

using namespace sluice;

namespace {
TypePtr TypeOf(const Value& v) {
  if (v.IsNull()) return nullptr;
  if (v.IsInt()) return SqlType::Integer();
  if (v.IsBigint()) return SqlType::Bigint();
  if (v.IsString()) return SqlType::String();
  if (v.IsDate()) return SqlType::Date();
  if (v.IsTime()) return SqlType::Time();
  if (v.IsTimestamp()) return SqlType::Timestamp();
  return SqlType::Double();
}

// Binds and calls a function as the compiler would.
Value Call(const std::string& name, std::vector<Value> args, std::string* error = nullptr) {
  std::vector<TypePtr> types;
  for (auto& a : args) types.push_back(TypeOf(a));
  TypePtr ret;
  const FunctionOverload* o = FunctionRegistry::Builtins().Resolve(name, types, &ret);
  REQUIRE(o != nullptr);
  if (o->null_policy == NullPolicy::kNullOnAnyNull)
    for (auto& a : args)
      if (a.IsNull()) return Value();
  CallContext ctx;
  ctx.arg_types = &types;
  ctx.return_type = ret;
  std::string err;
  return o->impl(args, ctx, error ? error : &err);
}
bool Binds(const std::string& name, std::vector<TypePtr> types) {
  TypePtr ret;
  return FunctionRegistry::Builtins().Resolve(name, types, &ret) != nullptr;
}
Value Ts(int64_t ms) { return Value(Timestamp{ms}); }
}  // namespace

TEST_CASE("pattern compiler", "[datetime]") {
  std::string err;
  CHECK(jtime::DateTimeFormat::Compile("yyyy-MM-dd'T'HH:mm:ss.SSSX", &err) != nullptr);
  CHECK(jtime::DateTimeFormat::Compile("bbb", &err) == nullptr);
  CHECK(err == "Unknown pattern letter: b");
  CHECK(jtime::DateTimeFormat::Compile("ddd", &err) == nullptr);
  CHECK(jtime::DateTimeFormat::Compile("'unclosed", &err) == nullptr);
  auto f = jtime::DateTimeFormat::Compile("EEE, d MMM yyyy hh:mm a ''zz'' [VV]", &err);
  REQUIRE(f);
  std::string out;
  auto la = jtime::TimeZone::Find("America/Los_Angeles");
  REQUIRE(la);
  REQUIRE(f->FormatInstant(1526075913000, *la, &out, &err));
  CHECK(out == "Fri, 11 May 2018 02:58 PM 'PDT' America/Los_Angeles");
  auto g = jtime::DateTimeFormat::Compile("MMMM dd yyyy", &err);
  int64_t days;
  REQUIRE(g->ParseDate("february 29 2020", &days, &err));
  CHECK(days == jtime::DaysFromCivil(2020, 2, 29));
  auto adj = jtime::DateTimeFormat::Compile("yyyyMMddHHmmss", &err);
  int64_t ms;
  REQUIRE(adj->ParseInstant("20200102030405", *jtime::TimeZone::Utc(), &ms, &err));
  CHECK(ms == 1577934245000);
}

TEST_CASE("time zones", "[datetime]") {
  std::string err;
  CHECK(jtime::TimeZone::Find("Not/AZone", &err) == nullptr);
  CHECK(err == "Unknown time-zone ID: Not/AZone");
  auto plus5 = jtime::TimeZone::Find("+05:00");
  REQUIRE(plus5);
  CHECK(plus5->OffsetAt(0) == 18000);
  CHECK(jtime::TimeZone::Find("-0830")->OffsetAt(0) == -30600);
  CHECK(jtime::TimeZone::Find("UTC+01:00")->OffsetAt(0) == 3600);
  CHECK(jtime::TimeZone::Find("GMT-8")->OffsetAt(0) == -28800);
  auto ny = jtime::TimeZone::Find("America/New_York");
  REQUIRE(ny);
  CHECK(ny->OffsetAt(1589234313) == -4 * 3600);
  CHECK(ny->OffsetAt(0) == -5 * 3600);
  // 2021-03-14 02:30 does not exist in New York: moved later by the gap (03:30 EDT).
  int64_t local = jtime::DaysFromCivil(2021, 3, 14) * 86400 + 2 * 3600 + 30 * 60;
  CHECK(ny->LocalToEpochSeconds(local) == local + 5 * 3600);
  // 2021-11-07 01:30 happens twice: the earlier offset (EDT).
  local = jtime::DaysFromCivil(2021, 11, 7) * 86400 + 1 * 3600 + 30 * 60;
  CHECK(ny->LocalToEpochSeconds(local) == local + 4 * 3600);
}

TEST_CASE("STRINGTOTIMESTAMP and PARSE_TIMESTAMP", "[datetime]") {
  const char* iso = "yyyy-MM-dd'T'HH:mm:ssX";
  CHECK(Call("STRINGTOTIMESTAMP", {Value("2018-05-11T21:58:33Z"), Value(iso)}) == Value(int64_t{1526075913000}));
  CHECK(Call("STRINGTOTIMESTAMP", {Value("2020-05-11T21:58:33z"), Value(iso)}) == Value(int64_t{1589234313000}));
  CHECK(Call("STRINGTOTIMESTAMP", {Value("2019-08-27T13:31:09.2+0000"), Value("yyyy-MM-dd'T'HH:mm:ss.SX")}) ==
        Value(int64_t{1566912669200}));
  CHECK(Call("PARSE_TIMESTAMP", {Value("2018-05-11T21:58:33"), Value("yyyy-MM-dd'T'HH:mm:ss")}) ==
        Ts(1526075913000));
  CHECK(Call("PARSE_TIMESTAMP", {Value("2018-05-11T21:58:33 PST"), Value("yyyy-MM-dd'T'HH:mm:ss zzz")}) ==
        Ts(1526101113000));
  CHECK(Call("PARSE_TIMESTAMP", {Value("2018-05-11 14:58"), Value("yyyy-MM-dd HH:mm"), Value("America/Los_Angeles")}) ==
        Ts(1526075880000));
  CHECK(Call("PARSE_TIMESTAMP", {Value("11/05/2018"), Value("dd/MM/yyyy")}) == Ts(1525996800000));
  CHECK(Call("STRINGTOTIMESTAMP", {Value("2018-05-11T21:58:33+05:30"), Value("yyyy-MM-dd'T'HH:mm:ssXXX")}) ==
        Value(int64_t{1526075913000 - 19800000}));
  std::string err;
  CHECK(Call("PARSE_TIMESTAMP", {Value("not a timestamp"), Value(iso)}, &err).IsNull());
  CHECK(err.find("Failed to parse timestamp") == 0);
  CHECK(Call("PARSE_TIMESTAMP", {Value("2018"), Value("yyyy"), Value("Bad/Zone")}, &err).IsNull());
  CHECK(err == "Unknown time-zone ID: Bad/Zone");
  CHECK(Call("PARSE_TIMESTAMP", {Value(), Value(iso)}).IsNull());
  CHECK(Call("STRINGTOTIMESTAMP", {Value("x"), Value()}).IsNull());
}

TEST_CASE("TIMESTAMPTOSTRING and FORMAT_TIMESTAMP", "[datetime]") {
  CHECK(Call("TIMESTAMPTOSTRING", {Value(int64_t{1526075913000}), Value("yyyy-MM-dd HH:mm:ss zzz"),
                                   Value("America/Los_Angeles")}) == Value("2018-05-11 14:58:33 PDT"));
  CHECK(Call("TIMESTAMPTOSTRING", {Value(int64_t{1526075913000}), Value("yyyy-MM-dd HH:mm:ss zzz"),
                                   Value("Europe/London")}) == Value("2018-05-11 22:58:33 BST"));
  CHECK(Call("FORMAT_TIMESTAMP", {Ts(1526075913000), Value("yyyy-MM-dd HH:mm:ss")}) ==
        Value("2018-05-11 21:58:33"));
  CHECK(Call("FORMAT_TIMESTAMP", {Ts(1526075913123), Value("yyyy-MM-dd'T'HH:mm:ss.SSSXXX"), Value("+05:30")}) ==
        Value("2018-05-12T03:28:33.123+05:30"));
  CHECK(Call("FORMAT_TIMESTAMP", {Ts(0), Value("yyyy-MM-dd'T'HH:mm:ssX")}) == Value("1970-01-01T00:00:00Z"));
  CHECK(Call("FORMAT_TIMESTAMP", {Ts(-1), Value("yyyy-MM-dd HH:mm:ss.SSS")}) == Value("1969-12-31 23:59:59.999"));
  CHECK(Call("FORMAT_TIMESTAMP", {Ts(0), Value("dd MMM yy, EEEE, h a")}) == Value("01 Jan 70, Thursday, 12 AM"));
  CHECK(Call("FORMAT_TIMESTAMP", {Ts(0), Value("Z"), Value("-08:00")}) == Value("-0800"));
  CHECK(Call("FORMAT_TIMESTAMP", {Value(), Value("yyyy")}).IsNull());
  std::string err;
  CHECK(Call("FORMAT_TIMESTAMP", {Ts(0), Value("yyyy bbb")}, &err).IsNull());
  CHECK(err.find("Unknown pattern letter: b") != std::string::npos);
}

TEST_CASE("date and time formatting and parsing", "[datetime]") {
  CHECK(Call("FORMAT_DATE", {Value(Date{19025}), Value("dd/MM/yyyy")}) == Value("02/02/2022"));
  CHECK(Call("PARSE_DATE", {Value("2022-02-02"), Value("yyyy-MM-dd")}) == Value(Date{19025}));
  CHECK(Call("PARSE_DATE", {Value("abcd"), Value("yyyy-MM-dd")}).IsNull());
  std::string err;
  CHECK(Call("FORMAT_DATE", {Value(Date{0}), Value("yyyy HH")}, &err).IsNull());
  CHECK(err.find("Unsupported field: HourOfDay") != std::string::npos);
  CHECK(Call("DATETOSTRING", {Value(int32_t{19025}), Value("yyyy-MM-dd")}) == Value("2022-02-02"));
  CHECK(Call("STRINGTODATE", {Value("2022-02-02"), Value("yyyy-MM-dd")}) == Value(int32_t{19025}));
  CHECK(Call("FORMAT_TIME", {Value(Time{65000}), Value("HH_mm_ss_SSS")}) == Value("00_01_05_000"));
  CHECK(Call("FORMAT_TIME", {Value(Time{1234567}), Value("HHmmss'AAAAA'")}) == Value("002034AAAAA"));
  CHECK(Call("FORMAT_TIME", {Value(Time{0}), Value("HH:mm:ss")}) == Value("00:00:00"));
  CHECK(Call("FORMAT_TIME", {Value(), Value("HH:mm:ss")}).IsNull());
  CHECK(Call("FORMAT_TIME", {Value(Time{0}), Value("yyyy")}, &err).IsNull());
  CHECK(Call("PARSE_TIME", {Value("10:15:30.5"), Value("HH:mm:ss.S")}) == Value(Time{36930500}));
  CHECK(Call("PARSE_TIME", {Value("10:15 pm"), Value("hh:mm a")}) == Value(Time{(22 * 60 + 15) * 60000}));
  CHECK(Call("PARSE_TIME", {Value("25:00"), Value("HH:mm")}).IsNull());
}

TEST_CASE("epoch conversions and CONVERT_TZ", "[datetime]") {
  CHECK(Call("UNIX_TIMESTAMP", {}).AsBigint() > 1600000000000LL);
  CHECK(Call("UNIX_TIMESTAMP", {Ts(100)}) == Value(int64_t{100}));
  CHECK(Call("UNIX_TIMESTAMP", {Value()}).IsNull());
  CHECK(Call("UNIX_DATE", {}).AsInt() > 18000);
  CHECK(Call("UNIX_DATE", {Value(Date{10})}) == Value(int32_t{10}));
  CHECK(Call("FROM_UNIXTIME", {Value(int64_t{1589234313000})}) == Ts(1589234313000));
  CHECK(Call("FROM_UNIXTIME", {Value()}).IsNull());
  CHECK(Call("FROM_DAYS", {Value(int32_t{-10})}) == Value(Date{-10}));
  CHECK(Call("CONVERT_TZ", {Ts(100), Value("+0200"), Value("+0500")}) == Ts(10800100));
  CHECK(Call("CONVERT_TZ", {Ts(100), Value("America/Los_Angeles"), Value("America/New_York")}) == Ts(10800100));
  CHECK(Call("CONVERT_TZ", {Ts(1589234313000), Value("America/Los_Angeles"), Value("America/New_York")}) ==
        Ts(1589245113000));
  CHECK(Call("CONVERT_TZ", {Value(), Value("UTC"), Value("UTC")}).IsNull());
  CHECK(Call("CONVERT_TZ", {Ts(0), Value("UTC"), Value("Nowhere")}).IsNull());
}

TEST_CASE("adding time units", "[datetime]") {
  CHECK(Call("DATEADD", {Value("DAYS"), Value(int32_t{10}), Value(Date{10})}) == Value(Date{20}));
  CHECK(Call("DATEADD", {Value("DAYS"), Value(int32_t{-5}), Value(Date{2})}) == Value(Date{-3}));
  CHECK(Call("DATEADD", {Value("MILLISECONDS"), Value(), Value(Date{5})}).IsNull());
  CHECK(Call("DATEADD", {Value("HOURS"), Value(int32_t{48}), Value(Date{0})}) == Value(Date{2}));
  CHECK(Call("DATESUB", {Value("DAYS"), Value(int32_t{10}), Value(Date{5})}) == Value(Date{-5}));
  CHECK(Call("DATESUB", {Value("DAY"), Value(int32_t{-5}), Value(Date{-5})}) == Value(Date{0}));
  CHECK(Call("TIMEADD", {Value("HOURS"), Value(int32_t{25}), Value(Time{0})}) == Value(Time{3600000}));
  CHECK(Call("TIMESUB", {Value("MILLISECONDS"), Value(int32_t{10}), Value(Time{5})}) == Value(Time{86399995}));
  CHECK(Call("TIMESUB", {Value("MILLISECONDS"), Value(int32_t{-5}), Value(Time{86399997})}) == Value(Time{2}));
  CHECK(Call("TIMESTAMPADD", {Value("MILLISECONDS"), Value(int32_t{10}), Ts(10)}) == Ts(20));
  CHECK(Call("TIMESTAMPADD", {Value("MINUTES"), Value(int32_t{5}), Ts(0)}) == Ts(300000));
  CHECK(Call("TIMESTAMPSUB", {Value("MILLISECONDS"), Value(int32_t{-5}), Ts(-100)}) == Ts(-95));
  CHECK(Call("TIMESTAMPSUB", {Value("SECONDS"), Value(), Ts(0)}).IsNull());
  std::string err;
  CHECK(Call("TIMESTAMPADD", {Value("FORTNIGHTS"), Value(int32_t{1}), Ts(0)}, &err).IsNull());
  CHECK(err.find("FORTNIGHTS") != std::string::npos);
  CHECK_FALSE(Binds("DATEADD", {SqlType::Date(), SqlType::Integer(), SqlType::Date()}));
  CHECK_FALSE(Binds("TIMESTAMPADD", {SqlType::Timestamp(), SqlType::Integer(), SqlType::Timestamp()}));
  CHECK_FALSE(Binds("TIMESUB", {SqlType::Time(), SqlType::Integer(), SqlType::Time()}));
}

}  // namespace datetime_functions_test
