#include "engine/analyzer/with_properties.h"

#include <algorithm>
#include <cctype>

#include "engine/common/ascii.h"

namespace sluice {

namespace {
Result<std::string> AsString(const Property& p) {
  if (!p.value->value.IsString())
    return Status::InvalidArgument("Invalid value for property " + p.name + ": expected a string");
  return p.value->value.AsString();
}

Result<int64_t> AsInt(const Property& p) {
  const Value& v = p.value->value;
  if (v.IsInt() || v.IsBigint()) return v.ToInt64();
  if (v.IsString()) {
    try {
      size_t used = 0;
      int64_t n = std::stoll(v.AsString(), &used);
      if (used == v.AsString().size()) return n;
    } catch (...) {
    }
  }
  return Status::InvalidArgument("Invalid value for property " + p.name + ": expected a number");
}

// ksqlDB validates delimiters while preparing the statement (its AstBuilder), hence the
// "Failed to prepare statement" prefix and the example of its config validator.
Status InvalidDelimiter(const Property& p, const std::string& why) {
  return Status::InvalidArgument("Failed to prepare statement: Configuration " + p.name +
                                 " is invalid: " + why + "\nExample valid value: ';'");
}

Result<char> AsDelimiter(const Property& p) {
  auto s = AsString(p);
  if (!s.ok()) return s.status();
  std::string d = *s;
  if (AsciiUpper(d) == "TAB") return '\t';
  if (AsciiUpper(d) == "SPACE") return ' ';
  if (d.empty() || std::isspace(static_cast<unsigned char>(d[0])))
    return InvalidDelimiter(p, "Delimiter cannot be empty, if you meant to have a tab or space for "
                               "delimiter, please use the special values 'TAB' or 'SPACE'");
  if (d.size() != 1)
    return InvalidDelimiter(p, "Invalid delimiter value: '" + d +
                                   "'. Delimiter must be a single character or TAB,SPACE");
  return d[0];
}

Result<FormatKind> AsFormat(const Property& p) {
  auto s = AsString(p);
  if (!s.ok()) return s.status();
  return ParseFormatName(*s);
}

// Parses "10 SECONDS" style durations of WINDOW_SIZE.
Result<int64_t> AsWindowSize(const Property& p) {
  auto s = AsString(p);
  if (!s.ok()) return s.status();
  std::string text = AsciiUpper(*s);
  size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  if (i == 0) return Status::InvalidArgument("Invalid WINDOW_SIZE: " + *s);
  int64_t n = std::stoll(text.substr(0, i));
  std::string unit = text.substr(i);
  unit.erase(std::remove_if(unit.begin(), unit.end(), ::isspace), unit.end());
  if (!unit.empty() && unit.back() == 'S') unit.pop_back();
  if (unit == "MILLISECOND") return n;
  if (unit == "SECOND") return n * 1000;
  if (unit == "MINUTE") return n * 60'000;
  if (unit == "HOUR") return n * 3'600'000;
  if (unit == "DAY") return n * 86'400'000;
  return Status::InvalidArgument("Invalid WINDOW_SIZE: " + *s);
}
}  // namespace

Result<WithProperties> ParseWithProperties(const Properties& props) {
  WithProperties w;
  std::optional<FormatKind> format;
  for (const auto& p : props) {
    const std::string& n = p.name;
#define SLUICE_TAKE(expr, field)            \
  {                                         \
    auto r = (expr);                        \
    if (!r.ok()) return r.status();         \
    w.field = *r;                           \
  }
    if (n == "KAFKA_TOPIC") SLUICE_TAKE(AsString(p), kafka_topic)
    else if (n == "PARTITIONS") SLUICE_TAKE(AsInt(p), partitions)
    else if (n == "REPLICAS") SLUICE_TAKE(AsInt(p), replicas)
    else if (n == "KEY_FORMAT") SLUICE_TAKE(AsFormat(p), key_format)
    else if (n == "VALUE_FORMAT") SLUICE_TAKE(AsFormat(p), value_format)
    else if (n == "VALUE_DELIMITER") SLUICE_TAKE(AsDelimiter(p), value_delimiter)
    else if (n == "KEY_DELIMITER") SLUICE_TAKE(AsDelimiter(p), key_delimiter)
    else if (n == "TIMESTAMP") {
      auto r = AsString(p);
      if (!r.ok()) return r.status();
      const std::string& t = *r;
      w.timestamp = t.size() >= 2 && t.front() == '`' && t.back() == '`' ? t.substr(1, t.size() - 2) : AsciiUpper(t);
    }
    else if (n == "TIMESTAMP_FORMAT") SLUICE_TAKE(AsString(p), timestamp_format)
    else if (n == "WINDOW_TYPE") SLUICE_TAKE(AsString(p), window_type)
    else if (n == "WINDOW_SIZE") SLUICE_TAKE(AsWindowSize(p), window_size_ms)
    else if (n == "FORMAT") {
      auto f = AsFormat(p);
      if (!f.ok()) return f.status();
      format = *f;
    } else if (n == "WRAP_SINGLE_VALUE") {
      const Value& v = p.value->value;
      if (v.IsBool()) w.wrap_single_value = v.AsBool();
      else if (v.IsString() && (AsciiUpper(v.AsString()) == "TRUE" || AsciiUpper(v.AsString()) == "FALSE"))
        w.wrap_single_value = AsciiUpper(v.AsString()) == "TRUE";
      else return Status::InvalidArgument("Invalid value for property WRAP_SINGLE_VALUE: expected a boolean");
    } else if (n == "KEY_SCHEMA_ID" || n == "VALUE_SCHEMA_ID") {
      auto id = AsInt(p);
      if (!id.ok()) return id.status();
      (n == "KEY_SCHEMA_ID" ? w.key_schema_id : w.value_schema_id) = static_cast<int>(*id);
    } else if (n == "KEY_SCHEMA_FULL_NAME") SLUICE_TAKE(AsString(p), key_schema_full_name)
    else if (n == "VALUE_SCHEMA_FULL_NAME") SLUICE_TAKE(AsString(p), value_schema_full_name)
    else if (n == "VALUE_AVRO_SCHEMA_FULL_NAME") SLUICE_TAKE(AsString(p), value_avro_schema_full_name)
    else if (n == "KEY_PROTOBUF_NULLABLE_REPRESENTATION" || n == "VALUE_PROTOBUF_NULLABLE_REPRESENTATION") {
      auto r = AsString(p);
      if (!r.ok()) return r.status();
      const std::string rep = AsciiUpper(*r);
      if (rep != "OPTIONAL" && rep != "WRAPPER")
        return Status::InvalidArgument("Invalid value " + *r + " for property " + n +
                                       ": String must be one of: OPTIONAL, WRAPPER");
      (n[0] == 'K' ? w.key_nullable_representation : w.value_nullable_representation) = rep;
    } else if (n == "RETENTION_MS" || n == "CLEANUP_POLICY" || n == "SOURCE_CONNECTOR") {
      // accepted; topic configuration for a real cluster
    } else {
      return Status::InvalidArgument("Invalid config variable(s) in the WITH clause: " + n);
    }
#undef SLUICE_TAKE
  }
  if (format) {
    if (w.key_format || w.value_format)
      return Status::InvalidArgument(
          std::string("Cannot supply both '") + (w.key_format ? "KEY_FORMAT" : "VALUE_FORMAT") +
          "' and 'FORMAT' properties, as 'FORMAT' sets both key and value formats. Either use "
          "just 'FORMAT', or use 'KEY_FORMAT' and 'VALUE_FORMAT'.");
    w.key_format = w.value_format = format;
  }
  return w;
}

}  // namespace sluice
