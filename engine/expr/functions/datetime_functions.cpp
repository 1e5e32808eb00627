// ksqlDB's date and time functions.
//
// Time-unit arguments (DATEADD, DATESUB, TIMEADD, TIMESUB, TIMESTAMPADD, TIMESTAMPSUB): the
// SQL form is a bare keyword, TIMESTAMPADD(MINUTES, 5, ts); the compiler passes it as a
// STRING value holding the upper-cased unit name, i.e. the call receives ("MINUTES", 5, ts).
// Accepted names (singular or plural): DAYS, HOURS, MINUTES, SECONDS, MILLISECONDS,
// MICROSECONDS, NANOSECONDS (Java's TimeUnit; sub-millisecond units truncate to millis).
//
// Formats are java.time DateTimeFormatter patterns (engine/expr/java_time_format.h), compiled
// once and cached per thread; zones are ZoneId ids ("UTC", "+05:00", "America/New_York").
// Without a zone argument timestamps are formatted and parsed in UTC. Bad data (unparsable
// text, unknown zone, bad pattern) gives NULL with the reason in *error, as ksqlDB logs UDF
// errors and yields null.
#include <chrono>
#include <cstdlib>
#include <string_view>

#include "engine/expr/function_registry.h"
#include "engine/expr/java_time_format.h"

namespace sluice {

namespace {

using jtime::DateTimeFormat;
using jtime::TimeZone;

constexpr const char* kDateTimeCategory = "DATE / TIME";

// Millis per unit as a ratio (num / den), Java's TimeUnit.toMillis.
bool UnitRatio(const std::string& unit, int64_t* num, int64_t* den) {
  std::string u = unit;
  for (auto& c : u) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (!u.empty() && u.back() != 'S') u.push_back('S');
  *den = 1;
  if (u == "DAYS") *num = 86400000;
  else if (u == "HOURS") *num = 3600000;
  else if (u == "MINUTES") *num = 60000;
  else if (u == "SECONDS") *num = 1000;
  else if (u == "MILLISECONDS") *num = 1;
  else if (u == "MICROSECONDS") { *num = 1; *den = 1000; }
  else if (u == "NANOSECONDS") { *num = 1; *den = 1000000; }
  else return false;
  return true;
}

bool UnitToMillis(const Value& unit, int64_t amount, int64_t* millis, std::string* error) {
  int64_t num, den;
  if (!unit.IsString() || !UnitRatio(unit.AsString(), &num, &den)) {
    if (error) *error = "Unknown time unit: " + (unit.IsString() ? unit.AsString() : unit.ToString());
    return false;
  }
  *millis = den == 1 ? amount * num : amount / den;
  return true;
}

Value Fail(std::string* error, std::string msg) {
  if (error) *error = std::move(msg);
  return Value();
}

std::shared_ptr<const DateTimeFormat> Pattern(const Value& v, std::string* error) {
  std::string err;
  auto f = DateTimeFormat::Get(v.AsString(), &err);
  if (!f && error) *error = "Invalid format pattern '" + v.AsString() + "': " + err;
  return f;
}

std::shared_ptr<const TimeZone> Zone(const std::vector<Value>& args, size_t i, std::string* error) {
  if (args.size() <= i) return TimeZone::Utc();
  std::string err;
  auto z = TimeZone::Find(args[i].AsString(), &err);
  if (!z && error) *error = err;
  return z;
}

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// ---- shared implementations ---------------------------------------------------------------

Value FormatInstant(int64_t millis, const std::vector<Value>& args, std::string* error) {
  auto f = Pattern(args[1], error);
  if (!f) return Value();
  auto z = Zone(args, 2, error);
  if (!z) return Value();
  std::string out, err;
  if (!f->FormatInstant(millis, *z, &out, &err))
    return Fail(error, "Failed to format timestamp " + std::to_string(millis) + " with formatter '" +
                           args[1].AsString() + "': " + err);
  return Value(std::move(out));
}

bool ParseInstant(const std::vector<Value>& args, int64_t* millis, std::string* error) {
  auto f = Pattern(args[1], error);
  if (!f) return false;
  auto z = Zone(args, 2, error);
  if (!z) return false;
  std::string err;
  if (!f->ParseInstant(args[0].AsString(), *z, millis, &err)) {
    if (error)
      *error = "Failed to parse timestamp '" + args[0].AsString() + "' with formatter '" +
               args[1].AsString() + "': " + err;
    return false;
  }
  return true;
}

Value FormatDays(int64_t days, const std::vector<Value>& args, std::string* error) {
  auto f = Pattern(args[1], error);
  if (!f) return Value();
  std::string out, err;
  if (!f->FormatDate(days, &out, &err))
    return Fail(error, "Failed to format date " + std::to_string(days) + " with formatter '" +
                           args[1].AsString() + "': " + err);
  return Value(std::move(out));
}

// `prefix_ok`: PARSE_DATE parses like SimpleDateFormat.parse(String) (ksqlDB's FastDateFormat),
// which reads a date from the start of the text and ignores whatever follows it.
bool ParseDays(const std::vector<Value>& args, int64_t* days, std::string* error,
               bool prefix_ok = false) {
  auto f = Pattern(args[1], error);
  if (!f) return false;
  std::string err;
  bool ok = f->ParseDate(args[0].AsString(), days, &err);
  if (!ok && prefix_ok) {
    static const std::string kUnparsed = "unparsed text found at index ";
    const size_t at = err.rfind(kUnparsed);
    if (at != std::string::npos) {
      const size_t n = std::strtoull(err.c_str() + at + kUnparsed.size(), nullptr, 10);
      std::string prefix_err;
      if (n > 0 && n < args[0].AsString().size() &&
          f->ParseDate(std::string_view(args[0].AsString()).substr(0, n), days, &prefix_err))
        ok = true;
    }
  }
  if (!ok) {
    if (error)
      *error = "Failed to parse date '" + args[0].AsString() + "' with formatter '" +
               args[1].AsString() + "': " + err;
    return false;
  }
  return true;
}

FunctionOverload Ov(std::string sig, std::vector<TypeKind> params, TypePtr result, ScalarImpl impl) {
  return fn::Simple(std::move(sig), std::move(params), std::move(result), std::move(impl));
}

void Add(FunctionRegistry& r, const char* name, const char* description,
         std::vector<FunctionOverload> overloads) {
  FunctionInfo info;
  info.name = name;
  info.category = kDateTimeCategory;
  info.description = description;
  info.overloads = std::move(overloads);
  r.Add(std::move(info));
}

}  // namespace

void RegisterDateTimeFunctions(FunctionRegistry& r) {
  using K = TypeKind;
  const TypePtr kStr = SqlType::String(), kInt = SqlType::Integer(), kBig = SqlType::Bigint();
  const TypePtr kTs = SqlType::Timestamp(), kDate = SqlType::Date(), kTime = SqlType::Time();

  // ---- current time and epoch conversions ------------------------------------------------
  Add(r, "UNIX_TIMESTAMP",
      "Milliseconds since the epoch: now when called without arguments, else of the TIMESTAMP.",
      {Ov("UNIX_TIMESTAMP() => BIGINT", {}, kBig,
          [](const std::vector<Value>&, const CallContext&, std::string*) {
            return Value(NowMillis());
          }),
       Ov("UNIX_TIMESTAMP(ts TIMESTAMP) => BIGINT", {K::kTimestamp}, kBig,
          [](const std::vector<Value>& a, const CallContext&, std::string*) {
            return Value(a[0].AsTimestamp().millis);
          })});
  Add(r, "UNIX_DATE", "Days since 1970-01-01: today (UTC) without arguments, else of the DATE.",
      {Ov("UNIX_DATE() => INTEGER", {}, kInt,
          [](const std::vector<Value>&, const CallContext&, std::string*) {
            return Value(static_cast<int32_t>(jtime::FloorDiv(NowMillis(), jtime::kMillisPerDay)));
          }),
       Ov("UNIX_DATE(date DATE) => INTEGER", {K::kDate}, kInt,
          [](const std::vector<Value>& a, const CallContext&, std::string*) {
            return Value(a[0].AsDate().days);
          })});
  Add(r, "FROM_UNIXTIME", "The TIMESTAMP for a number of milliseconds since the epoch.",
      {Ov("FROM_UNIXTIME(millis BIGINT) => TIMESTAMP", {K::kBigint}, kTs,
          [](const std::vector<Value>& a, const CallContext&, std::string*) {
            return Value(Timestamp{a[0].ToInt64()});
          })});
  Add(r, "FROM_DAYS", "The DATE for a number of days since 1970-01-01.",
      {Ov("FROM_DAYS(days INTEGER) => DATE", {K::kInteger}, kDate,
          [](const std::vector<Value>& a, const CallContext&, std::string*) {
            return Value(Date{static_cast<int32_t>(a[0].ToInt64())});
          })});

  // ---- formatting and parsing ---------------------------------------------------------------
  auto ts_to_string = [](const std::vector<Value>& a, const CallContext&, std::string* e) {
    return FormatInstant(a[0].ToInt64(), a, e);
  };
  Add(r, "TIMESTAMPTOSTRING",
      "Formats epoch milliseconds with a DateTimeFormatter pattern, in UTC or the given zone.",
      {Ov("TIMESTAMPTOSTRING(epochMilli BIGINT, format STRING) => STRING", {K::kBigint, K::kString},
          kStr, ts_to_string),
       Ov("TIMESTAMPTOSTRING(epochMilli BIGINT, format STRING, zone STRING) => STRING",
          {K::kBigint, K::kString, K::kString}, kStr, ts_to_string)});
  auto string_to_ts = [](const std::vector<Value>& a, const CallContext&, std::string* e) {
    int64_t ms;
    return ParseInstant(a, &ms, e) ? Value(ms) : Value();
  };
  Add(r, "STRINGTOTIMESTAMP",
      "Parses a string with a DateTimeFormatter pattern into epoch milliseconds (UTC unless the "
      "text or the zone argument says otherwise).",
      {Ov("STRINGTOTIMESTAMP(text STRING, format STRING) => BIGINT", {K::kString, K::kString}, kBig,
          string_to_ts),
       Ov("STRINGTOTIMESTAMP(text STRING, format STRING, zone STRING) => BIGINT",
          {K::kString, K::kString, K::kString}, kBig, string_to_ts)});
  auto format_ts = [](const std::vector<Value>& a, const CallContext&, std::string* e) {
    return FormatInstant(a[0].AsTimestamp().millis, a, e);
  };
  Add(r, "FORMAT_TIMESTAMP",
      "Formats a TIMESTAMP with a DateTimeFormatter pattern, in UTC or the given zone.",
      {Ov("FORMAT_TIMESTAMP(ts TIMESTAMP, format STRING) => STRING", {K::kTimestamp, K::kString},
          kStr, format_ts),
       Ov("FORMAT_TIMESTAMP(ts TIMESTAMP, format STRING, zone STRING) => STRING",
          {K::kTimestamp, K::kString, K::kString}, kStr, format_ts)});
  auto parse_ts = [](const std::vector<Value>& a, const CallContext&, std::string* e) {
    int64_t ms;
    return ParseInstant(a, &ms, e) ? Value(Timestamp{ms}) : Value();
  };
  Add(r, "PARSE_TIMESTAMP",
      "Parses a string with a DateTimeFormatter pattern into a TIMESTAMP (UTC unless the text "
      "or the zone argument says otherwise).",
      {Ov("PARSE_TIMESTAMP(text STRING, format STRING) => TIMESTAMP", {K::kString, K::kString}, kTs,
          parse_ts),
       Ov("PARSE_TIMESTAMP(text STRING, format STRING, zone STRING) => TIMESTAMP",
          {K::kString, K::kString, K::kString}, kTs, parse_ts)});
  Add(r, "DATETOSTRING",
      "Formats a number of days since 1970-01-01 with a DateTimeFormatter pattern.",
      {Ov("DATETOSTRING(epochDays INTEGER, format STRING) => STRING", {K::kInteger, K::kString}, kStr,
          [](const std::vector<Value>& a, const CallContext&, std::string* e) {
            return FormatDays(a[0].ToInt64(), a, e);
          })});
  Add(r, "STRINGTODATE",
      "Parses a string with a DateTimeFormatter pattern into days since 1970-01-01.",
      {Ov("STRINGTODATE(text STRING, format STRING) => INTEGER", {K::kString, K::kString}, kInt,
          [](const std::vector<Value>& a, const CallContext&, std::string* e) {
            int64_t days;
            return ParseDays(a, &days, e) ? Value(static_cast<int32_t>(days)) : Value();
          })});
  Add(r, "FORMAT_DATE", "Formats a DATE with a DateTimeFormatter pattern.",
      {Ov("FORMAT_DATE(date DATE, format STRING) => STRING", {K::kDate, K::kString}, kStr,
          [](const std::vector<Value>& a, const CallContext&, std::string* e) {
            return FormatDays(a[0].AsDate().days, a, e);
          })});
  Add(r, "PARSE_DATE",
      "Parses a date from the start of a string with a DateTimeFormatter pattern into a DATE "
      "(text after the date is ignored).",
      {Ov("PARSE_DATE(text STRING, format STRING) => DATE", {K::kString, K::kString}, kDate,
          [](const std::vector<Value>& a, const CallContext&, std::string* e) {
            int64_t days;
            return ParseDays(a, &days, e, true) ? Value(Date{static_cast<int32_t>(days)}) : Value();
          })});
  Add(r, "FORMAT_TIME", "Formats a TIME with a DateTimeFormatter pattern.",
      {Ov("FORMAT_TIME(time TIME, format STRING) => STRING", {K::kTime, K::kString}, kStr,
          [](const std::vector<Value>& a, const CallContext&, std::string* e) {
            auto f = Pattern(a[1], e);
            if (!f) return Value();
            std::string out, err;
            if (!f->FormatTime(a[0].AsTime().millis, &out, &err))
              return Fail(e, "Failed to format time " + std::to_string(a[0].AsTime().millis) +
                                 " with formatter '" + a[1].AsString() + "': " + err);
            return Value(std::move(out));
          })});
  Add(r, "PARSE_TIME", "Parses a string with a DateTimeFormatter pattern into a TIME.",
      {Ov("PARSE_TIME(text STRING, format STRING) => TIME", {K::kString, K::kString}, kTime,
          [](const std::vector<Value>& a, const CallContext&, std::string* e) {
            auto f = Pattern(a[1], e);
            if (!f) return Value();
            int64_t ms;
            std::string err;
            if (!f->ParseTime(a[0].AsString(), &ms, &err))
              return Fail(e, "Failed to parse time '" + a[0].AsString() + "' with formatter '" +
                                 a[1].AsString() + "': " + err);
            return Value(Time{static_cast<int32_t>(ms)});
          })});
  Add(r, "CONVERT_TZ",
      "Shifts a TIMESTAMP from one time zone's wall clock to another's: adds the difference "
      "between the zones' offsets at that instant.",
      {Ov("CONVERT_TZ(ts TIMESTAMP, fromZone STRING, toZone STRING) => TIMESTAMP",
          {K::kTimestamp, K::kString, K::kString}, kTs,
          [](const std::vector<Value>& a, const CallContext&, std::string* e) {
            auto from = Zone(a, 1, e);
            if (!from) return Value();
            auto to = Zone(a, 2, e);
            if (!to) return Value();
            const int64_t ms = a[0].AsTimestamp().millis;
            const int64_t secs = jtime::FloorDiv(ms, 1000);
            const int64_t shift = (to->OffsetAt(secs) - static_cast<int64_t>(from->OffsetAt(secs))) * 1000;
            return Value(Timestamp{ms + shift});
          })});

  // ---- arithmetic with time units -----------------------------------------------------------
  auto date_add = [](int sign) {
    return [sign](const std::vector<Value>& a, const CallContext&, std::string* e) -> Value {
      int64_t delta;
      if (!UnitToMillis(a[0], a[1].ToInt64(), &delta, e)) return Value();
      // Java: MILLISECONDS.toDays(date millis + unit.toMillis(interval)), truncating.
      const int64_t ms = a[2].AsDate().days * jtime::kMillisPerDay + sign * delta;
      return Value(Date{static_cast<int32_t>(ms / jtime::kMillisPerDay)});
    };
  };
  Add(r, "DATEADD", "Adds an interval in a time unit to a DATE.",
      {Ov("DATEADD(unit TIMEUNIT, interval INTEGER, date DATE) => DATE",
          {K::kString, K::kInteger, K::kDate}, kDate, date_add(1))});
  Add(r, "DATESUB", "Subtracts an interval in a time unit from a DATE.",
      {Ov("DATESUB(unit TIMEUNIT, interval INTEGER, date DATE) => DATE",
          {K::kString, K::kInteger, K::kDate}, kDate, date_add(-1))});
  auto time_add = [](int sign) {
    return [sign](const std::vector<Value>& a, const CallContext&, std::string* e) -> Value {
      int64_t delta;
      if (!UnitToMillis(a[0], a[1].ToInt64(), &delta, e)) return Value();
      const int64_t ms = jtime::FloorMod(a[2].AsTime().millis + sign * delta, jtime::kMillisPerDay);
      return Value(Time{static_cast<int32_t>(ms)});
    };
  };
  Add(r, "TIMEADD", "Adds an interval in a time unit to a TIME, wrapping around midnight.",
      {Ov("TIMEADD(unit TIMEUNIT, interval INTEGER, time TIME) => TIME",
          {K::kString, K::kInteger, K::kTime}, kTime, time_add(1))});
  Add(r, "TIMESUB", "Subtracts an interval in a time unit from a TIME, wrapping around midnight.",
      {Ov("TIMESUB(unit TIMEUNIT, interval INTEGER, time TIME) => TIME",
          {K::kString, K::kInteger, K::kTime}, kTime, time_add(-1))});
  auto ts_add = [](int sign) {
    return [sign](const std::vector<Value>& a, const CallContext&, std::string* e) -> Value {
      int64_t delta;
      if (!UnitToMillis(a[0], a[1].ToInt64(), &delta, e)) return Value();
      return Value(Timestamp{a[2].AsTimestamp().millis + sign * delta});
    };
  };
  Add(r, "TIMESTAMPADD", "Adds an interval in a time unit to a TIMESTAMP.",
      {Ov("TIMESTAMPADD(unit TIMEUNIT, interval BIGINT, ts TIMESTAMP) => TIMESTAMP",
          {K::kString, K::kBigint, K::kTimestamp}, kTs, ts_add(1))});
  Add(r, "TIMESTAMPSUB", "Subtracts an interval in a time unit from a TIMESTAMP.",
      {Ov("TIMESTAMPSUB(unit TIMEUNIT, interval BIGINT, ts TIMESTAMP) => TIMESTAMP",
          {K::kString, K::kBigint, K::kTimestamp}, kTs, ts_add(-1))});
}

}  // namespace sluice
