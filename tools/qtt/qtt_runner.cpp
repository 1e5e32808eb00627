#include "tools/qtt/qtt_runner.h"
#include "tools/qtt/qtt_case_parts.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstring>
#include <deque>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>

#include "engine/common/ascii.h"
#include "engine/runtime/test_driver.h"
#include "engine/schema_registry/schema_registry.h"

namespace sluice::qtt {

using nlohmann::json;
using ojson = nlohmann::ordered_json;

// ---------------------------------------------------------------------------------------------
// Results as JSON (the child -> parent protocol)

json CaseResult::ToJson() const {
  const char* o = outcome == Outcome::kPass ? "PASS" : outcome == Outcome::kSkip ? "SKIP" : "FAIL";
  return json{{"outcome", o}, {"reason", reason}, {"detail", detail}, {"notes", notes}};
}

CaseResult CaseResult::FromJson(const json& j) {
  CaseResult r;
  const std::string o = j.value("outcome", "FAIL");
  r.outcome = o == "PASS" ? Outcome::kPass : o == "SKIP" ? Outcome::kSkip : Outcome::kFail;
  r.reason = j.value("reason", "");
  r.detail = j.value("detail", "");
  if (j.contains("notes")) r.notes = j["notes"].get<std::vector<std::string>>();
  return r;
}

// Case parts shared with the REST runner (qtt_case_parts.h).

CaseResult Pass() { return {Outcome::kPass, "", "", {}}; }
CaseResult Fail(std::string reason, std::string detail) {
  return {Outcome::kFail, std::move(reason), std::move(detail), {}};
}
CaseResult Skip(std::string reason) { return {Outcome::kSkip, std::move(reason), "", {}}; }

// One line, bounded: reasons go on the PASS/FAIL/SKIP line.
std::string OneLine(const std::string& s, size_t max) {
  std::string out;
  for (char ch : s) {
    if (ch == '\n') out += "\\n";
    else if (ch == '\r' || ch == '\t') out += ' ';
    else out += ch;
  }
  if (out.size() > max) out = out.substr(0, max) + "...";
  return out;
}

std::string Dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

// Printable rendering of raw bytes: the text when it is printable, else hex.
std::string Printable(const std::string& bytes) {
  bool printable = true;
  for (unsigned char ch : bytes)
    if (ch < 0x20 && ch != '\t' && ch != '\n') printable = false;
  if (printable) return bytes;
  static const char* kHex = "0123456789abcdef";
  std::string out = "0x";
  for (unsigned char ch : bytes) {
    out += kHex[ch >> 4];
    out += kHex[ch & 15];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Static skip checks

std::string StaticSkipReason(const TestCase& c) {
  const json& spec = c.spec;
  if (spec.contains("enabled") && spec["enabled"].is_boolean() && !spec["enabled"].get<bool>())
    return "disabled in the corpus";
  return "";
}

// ---------------------------------------------------------------------------------------------
// Registered schemas: a case's `topics[]` may give the schemas of a topic's keys and values
// (keySchema/valueSchema with keyFormat/valueFormat, optional keySchemaId/valueSchemaId and
// valueSchemaReferences); they are registered under ksqlDB's subjects before the statements.

SchemaType RegistryTypeOfFormat(const std::string& format) {
  const std::string f = AsciiUpper(format);
  if (f == "PROTOBUF" || f == "PROTOBUF_NOSR") return SchemaType::kProtobuf;
  if (f == "JSON_SR" || f == "JSON") return SchemaType::kJson;
  return SchemaType::kAvro;  // the registry's default type
}

// The schema's text: .proto text as written, Avro and JSON Schema as JSON (an Avro primitive
// "int" is the JSON string "\"int\"").
std::string SchemaText(const json& schema, SchemaType type) {
  if (type == SchemaType::kProtobuf && schema.is_string()) return schema.get<std::string>();
  return Dump(schema);
}

// A topic's schema, listing what it imports as references to subjects named like the imports.
Result<int> RegisterOneSchema(SchemaRegistry& registry, const std::string& subject, SchemaType type,
                              const json& schema, const json& references, std::optional<int> id) {
  std::vector<SchemaReference> refs;
  if (references.is_array())
    for (const auto& r : references) {
      const std::string name = r.value("name", "");
      auto existing = registry.Versions(name);
      refs.push_back({name, name, existing.ok() && !existing->empty() ? existing->back() : 1});
    }
  return registry.RegisterWith(subject, type, SchemaText(schema, type), refs, id);
}

// The topics' own schemas come first, then what they reference: a topic's schema gets the
// id the case expects (`value_schema_id=1` for the first schema of a case, references or not).
Status RegisterTopicSchemas(CaseTarget& target, const json& spec) {
  if (!spec.contains("topics") || !spec["topics"].is_array()) return Status::OK();
  std::shared_ptr<SchemaRegistry> registry;
  std::vector<json> references;
  for (const auto& t : spec["topics"]) {
    const std::string topic = t.value("name", "");
    const std::string shared_format = t.value("format", "");
    for (const bool is_key : {true, false}) {
      const std::string side = is_key ? "key" : "value";
      const char* schema_field = is_key ? "keySchema" : (t.contains("valueSchema") ? "valueSchema" : "schema");
      if (topic.empty() || !t.contains(schema_field) || t[schema_field].is_null()) continue;
      if (!registry) registry = target.Registry();
      if (!registry) return Status::NotSupported("this target has no schema registry");
      const SchemaType type = RegistryTypeOfFormat(t.value(side + "Format", shared_format));
      std::optional<int> id;
      if (t.contains(side + "SchemaId") && t[side + "SchemaId"].is_number_integer())
        id = t[side + "SchemaId"].get<int>();
      const json refs = t.contains(side + "SchemaReferences") ? t[side + "SchemaReferences"] : json();
      if (refs.is_array()) references.insert(references.end(), refs.begin(), refs.end());
      const std::string subject = topic + "-" + side;
      auto registered = RegisterOneSchema(*registry, subject, type, t[schema_field], refs, id);
      if (registered.ok()) target.case_schema_ids[subject] = *registered;
      const Status st = registered.ok() ? Status::OK() : registered.status();
      if (!st.ok()) {
        const std::string what = "topic " + topic + " " + side + " schema: " + st.message();
        return st.code() == Status::Code::kNotSupported ? Status::NotSupported(what)
                                                        : Status::InvalidArgument(what);
      }
    }
  }
  for (const auto& r : references) {
    const SchemaType type = RegistryTypeOfFormat(r.value("format", ""));
    auto id = registry->Register(r.value("name", ""), type, SchemaText(r.value("schema", json()), type));
    if (!id.ok()) return Status::InvalidArgument("reference " + r.value("name", "") + ": " + id.status().message());
  }
  return Status::OK();
}

// ---------------------------------------------------------------------------------------------
// JSON comparison: numbers by value (1 == 1.0, 1.10 == 1.1), everything else exactly.

bool JsonEqual(const json& a, const json& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_number_integer() && b.is_number_integer()) {
      if (a.is_number_unsigned() || b.is_number_unsigned())
        return a.get<double>() == b.get<double>() && a.dump() == b.dump();
      return a.get<int64_t>() == b.get<int64_t>();
    }
    const double x = a.get<double>(), y = b.get<double>();
    if (x == y) return true;
    return std::fabs(x - y) <= 1e-12 * std::max({1.0, std::fabs(x), std::fabs(y)});
  }
  if (a.type() != b.type()) return false;
  if (a.is_object()) {
    if (a.size() != b.size()) return false;
    for (const auto& [k, v] : a.items()) {
      auto it = b.find(k);
      if (it == b.end()) {
        // ksqlDB's expectations name columns in any case ({"json_v": ...} for JSON_V).
        const std::string uk = AsciiUpper(k);
        for (auto bt = b.begin(); bt != b.end(); ++bt)
          if (AsciiUpper(bt.key()) == uk && !a.contains(bt.key())) {
            it = bt;
            break;
          }
      }
      if (it == b.end() || !JsonEqual(v, *it)) return false;
    }
    return true;
  }
  if (a.is_array()) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
      if (!JsonEqual(a[i], b[i])) return false;
    return true;
  }
  return a == b;
}

// ---------------------------------------------------------------------------------------------
// Encoding inputs

std::string Base64Decode(const std::string& in) {
  auto val = [](char ch) -> int {
    if (ch >= 'A' && ch <= 'Z') return ch - 'A';
    if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9') return ch - '0' + 52;
    if (ch == '+' || ch == '-') return 62;
    if (ch == '/' || ch == '_') return 63;
    return -1;
  };
  std::string out;
  int bits = 0, acc = 0;
  for (char ch : in) {
    const int v = val(ch);
    if (v < 0) continue;  // '=' padding, whitespace
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return out;
}

void AppendInt64BE(std::string* out, int64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8)
    out->push_back(static_cast<char>((static_cast<uint64_t>(v) >> shift) & 0xff));
}

int64_t ReadInt64BE(const std::string& s, size_t pos) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(s[pos + i]);
  return static_cast<int64_t>(v);
}

// The bytes as written when no schema says better: strings as their text, the rest as JSON.
std::string RawBytes(const json& j) { return j.is_string() ? j.get<std::string>() : Dump(j); }
std::string RawBytes(const ojson& j) {
  return j.is_string() && !IsExactNumber(j) ? j.get<std::string>() : ExactDump(j);
}

// Schema-registry formats carry one bare value for a single key column (ksqlDB's unwrapped
// keys) or an unwrapped single value; a record of the columns otherwise.
// PROTOBUF always writes a message, keys included.
bool BareSingleValue(const FormatOptions& fmt, const std::vector<Column>& columns) {
  if (fmt.kind == FormatKind::kProtobuf || fmt.kind == FormatKind::kProtobufNoSr) return false;
  return columns.size() == 1 && (fmt.is_key || !fmt.wrap_single_value);
}

// A case's key/value JSON -> the row of `columns`: a record's fields match column names
// exactly or else case-insensitively; missing ones are NULL.
Result<Row> JsonToRow(const json& j, const FormatOptions& fmt, const std::vector<Column>& columns) {
  Row row;
  if (BareSingleValue(fmt, columns)) {
    auto v = JsonToValue(j, columns[0].type);
    if (!v.ok()) return v.status();
    row.push_back(std::move(*v));
    return row;
  }
  if (!j.is_object()) return Status::SerdeError("expected a JSON object for the record");
  for (const auto& c : columns) {
    const json* field = nullptr;
    if (j.contains(c.name)) field = &j[c.name];
    for (auto it = j.begin(); !field && it != j.end(); ++it)
      if (AsciiUpper(it.key()) == AsciiUpper(c.name)) field = &*it;
    if (!field || field->is_null()) {
      row.push_back(Value());
      continue;
    }
    auto v = JsonToValue(*field, c.type);
    if (!v.ok()) return v.status();
    row.push_back(std::move(*v));
  }
  return row;
}

Result<std::optional<std::string>> EncodeThroughSerializer(const json& j, const FormatOptions& fmt,
                                                           const std::vector<Column>& columns) {
  auto row = JsonToRow(j, fmt, columns);
  if (!row.ok()) return row.status();
  auto ser = MakeSerializer(fmt, columns);
  if (!ser.ok()) return ser.status();
  if ((*ser)->IsNullPayload(*row)) return std::optional<std::string>();
  std::string out;
  SLUICE_RETURN_IF_ERROR((*ser)->Serialize(*row, &out));
  return std::optional<std::string>(std::move(out));
}

// A record's key or value JSON -> payload bytes, per the format of `columns`.
// `j` is exact (key order and number text as written in the test).
Result<std::optional<std::string>> EncodePayload(const ojson& j, const FormatOptions& fmt,
                                                 const std::vector<Column>& columns) {
  if (j.is_null()) return std::optional<std::string>();
  switch (fmt.kind) {
    case FormatKind::kJson:
      return std::optional<std::string>(ExactDump(j));
    case FormatKind::kDelimited:
    case FormatKind::kNone:
      return std::optional<std::string>(RawBytes(j));
    case FormatKind::kKafka: {
      if (columns.size() != 1) return std::optional<std::string>(RawBytes(j));
      auto value = JsonToValue(ExactToJson(j), columns[0].type);
      if (!value.ok()) return value.status();
      auto ser = MakeSerializer(fmt, columns);
      if (!ser.ok()) return ser.status();
      Row row{*value};
      if ((*ser)->IsNullPayload(row)) return std::optional<std::string>();
      std::string out;
      SLUICE_RETURN_IF_ERROR((*ser)->Serialize(row, &out));
      return std::optional<std::string>(std::move(out));
    }
    case FormatKind::kAvro:
    case FormatKind::kProtobuf:
    case FormatKind::kProtobufNoSr:
    case FormatKind::kJsonSr:
      return EncodeThroughSerializer(ExactToJson(j), fmt, columns);
  }
  return Status::NotSupported(std::string("format ") + FormatName(fmt.kind));
}

// A schema-registry payload -> the JSON a case's expectations are written in (a bare value,
// or a record by column name), or a marked text saying why it does not decode.
json DecodeThroughDeserializer(const std::string& bytes, const FormatOptions& fmt,
                               const std::vector<Column>& columns) {
  auto des = MakeDeserializer(fmt, columns);
  if (!des.ok()) return json("<" + des.status().message() + ">");
  Row row;
  Status st = (*des)->Deserialize(bytes, &row);
  if (!st.ok()) return json("<undecodable: " + st.message() + ": " + Printable(bytes) + ">");
  if (IsNullRecord(row, columns.size())) return nullptr;
  if (BareSingleValue(fmt, columns)) return ValueToJson(row[0], columns[0].type);
  json out = json::object();
  for (size_t i = 0; i < columns.size() && i < row.size(); ++i)
    out[columns[i].name] = ValueToJson(row[i], columns[i].type);
  return out;
}

// A payload -> JSON for comparison, per the format of `columns` (nullopt -> null).
json DecodePayload(const std::optional<std::string>& bytes, const FormatOptions* fmt,
                   const std::vector<Column>& columns) {
  if (!bytes) return nullptr;
  const std::string& b = *bytes;
  auto as_json_or_text = [&]() -> json {
    json parsed = json::parse(b, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded()) return json(Printable(b));
    return parsed;
  };
  if (!fmt) return as_json_or_text();
  switch (fmt->kind) {
    case FormatKind::kJson:
      return as_json_or_text();
    case FormatKind::kKafka: {
      if (columns.size() != 1) return json(Printable(b));
      auto des = MakeDeserializer(*fmt, columns);
      if (!des.ok()) return json("<" + des.status().message() + ">");
      Row row;
      Status st = (*des)->Deserialize(b, &row);
      if (!st.ok()) return json("<undecodable: " + st.message() + ": " + Printable(b) + ">");
      if (IsNullRecord(row, columns.size())) return nullptr;
      return ValueToJson(row[0], columns[0].type);
    }
    case FormatKind::kAvro:
    case FormatKind::kProtobuf:
    case FormatKind::kProtobufNoSr:
    case FormatKind::kJsonSr:
      return DecodeThroughDeserializer(b, *fmt, columns);
    default:
      return json(Printable(b));
  }
}

const DataSource* PickSource(const CaseTarget& driver, const std::string& topic, bool want_sink,
                             std::vector<DataSourcePtr>* keep) {
  *keep = driver.SourcesForTopic(topic);
  if (keep->empty()) return nullptr;
  for (const auto& s : *keep)
    if (s && s->is_sink == want_sink) return s.get();
  return keep->front().get();
}

// A source side's format for writing a case's input: with the schema the case registered for
// the topic, if it did.
FormatOptions InputFormat(const CaseTarget& driver, const FormatOptions& format) {
  FormatOptions f = format;
  auto it = driver.case_schema_ids.find(f.subject);
  if (UsesSchemaRegistry(f.kind) && !f.subject.empty() && it != driver.case_schema_ids.end())
    f.schema_id = it->second;
  return f;
}

// EncodePayload with the case's registered schema, else (the schema does not fit the
// source's columns) with the source's own format.
Result<std::optional<std::string>> EncodeInputPayload(const CaseTarget& driver, const ojson& j,
                                                      const FormatOptions& format,
                                                      const std::vector<Column>& columns) {
  const FormatOptions with_case_schema = InputFormat(driver, format);
  if (with_case_schema.schema_id != format.schema_id) {
    auto encoded = EncodePayload(j, with_case_schema, columns);
    if (encoded.ok()) return encoded;
  }
  return EncodePayload(j, format, columns);
}

Result<KafkaRecord> EncodeInput(const CaseTarget& driver, const ojson& exact) {
  const json in = ExactToJson(exact);
  KafkaRecord rec;
  rec.topic = in.value("topic", "");
  if (in.contains("partition") && in["partition"].is_number_integer())
    rec.partition = in["partition"].get<int>();
  if (in.contains("timestamp") && in["timestamp"].is_number())
    rec.timestamp = in["timestamp"].get<int64_t>();
  const ojson key = exact.contains("key") ? exact["key"] : ojson(nullptr);
  const ojson value = exact.contains("value") ? exact["value"] : ojson(nullptr);

  std::vector<DataSourcePtr> keep;
  const DataSource* src = PickSource(driver, rec.topic, /*want_sink=*/false, &keep);
  if (!src) {
    if (!key.is_null()) rec.key = RawBytes(key);
    if (!value.is_null()) rec.value = RawBytes(value);
  } else {
    const auto key_cols = src->KeyColumns();
    if (key.is_null()) {
      rec.key.reset();
    } else if (key_cols.empty()) {
      rec.key = RawBytes(key);
    } else {
      auto k = EncodeInputPayload(driver, key, src->key_format, key_cols);
      if (!k.ok()) {
        if (k.status().code() == Status::Code::kNotSupported) return k.status();
        rec.key = RawBytes(key);  // bad data on purpose, most likely: let the engine see it
      } else {
        rec.key = *k;
      }
    }
    if (src->window && in.contains("window") && in["window"].is_object()) {
      const json& w = in["window"];
      std::string bytes = rec.key.value_or("");
      const int64_t start = w.value("start", int64_t{0});
      if (src->window->kind == WindowSpec::Kind::kSession) {
        AppendInt64BE(&bytes, w.value("end", int64_t{0}));
        AppendInt64BE(&bytes, start);
      } else {
        AppendInt64BE(&bytes, start);
      }
      rec.key = std::move(bytes);
    }
    auto v = EncodeInputPayload(driver, value, src->value_format, src->ValueColumns());
    if (!v.ok()) {
      if (v.status().code() == Status::Code::kNotSupported) return v.status();
      rec.value = RawBytes(value);
    } else {
      rec.value = *v;
    }
  }
  if (in.contains("headers") && in["headers"].is_array()) {
    for (const auto& h : in["headers"]) {
      RecordHeader header;
      header.key = h.contains("KEY") ? h["KEY"].get<std::string>() : h.value("key", "");
      const json hv = h.contains("VALUE") ? h["VALUE"] : h.value("value", json(nullptr));
      if (hv.is_string()) header.value = Base64Decode(hv.get<std::string>());
      rec.headers.push_back(std::move(header));
    }
  }
  return rec;
}

// ---------------------------------------------------------------------------------------------
// Decoding outputs

struct ActualRecord {
  json key, value;
  int64_t timestamp = 0;
  std::optional<json> window;  // {"start","end","type"} when the sink is windowed
};

ActualRecord DecodeOutput(const KafkaRecord& rec, const DataSource* sink) {
  ActualRecord out;
  out.timestamp = rec.timestamp;
  if (!sink) {
    out.key = DecodePayload(rec.key, nullptr, {});
    out.value = DecodePayload(rec.value, nullptr, {});
    return out;
  }
  std::optional<std::string> key = rec.key;
  if (sink->window && key) {
    const bool session = sink->window->kind == WindowSpec::Kind::kSession;
    const size_t suffix = session ? 16 : 8;
    if (key->size() >= suffix) {
      const size_t pos = key->size() - suffix;
      json w;
      if (session) {
        w["start"] = ReadInt64BE(*key, pos + 8);
        w["end"] = ReadInt64BE(*key, pos);
        w["type"] = "session";
      } else {
        const int64_t start = ReadInt64BE(*key, pos);
        w["start"] = start;
        if (sink->window->size_ms) w["end"] = start + *sink->window->size_ms;
        w["type"] = "time";
      }
      out.window = w;
      key->resize(pos);
    }
  }
  const auto key_cols = sink->KeyColumns();
  if (key_cols.empty() && key) out.key = json(Printable(*key));
  else out.key = DecodePayload(key, &sink->key_format, key_cols);
  out.value = DecodePayload(rec.value, &sink->value_format, sink->ValueColumns());
  return out;
}

// Expected vs actual for one side (key or value). DELIMITED/raw text compares as text.
bool SideEqual(const json& expected, const json& actual, const FormatOptions* fmt) {
  if (JsonEqual(expected, actual)) return true;
  const bool textual = !fmt || fmt->kind == FormatKind::kDelimited || fmt->kind == FormatKind::kNone;
  if (textual && actual.is_string() && !expected.is_string() && !expected.is_null()) {
    json parsed = json::parse(actual.get<std::string>(), nullptr, false);
    if (!parsed.is_discarded() && JsonEqual(expected, parsed)) return true;
    return Dump(expected) == actual.get<std::string>();
  }
  return false;
}

// ksqlDB reads an expected JSON record through the sink's schema before comparing: field
// names match case-insensitively, fields the schema lacks are dropped, missing ones are NULL.
// Doing the same to both sides compares what the sink's readers would see.
json ThroughSchema(const json& record, const std::vector<Column>& columns) {
  json out = json::object();
  for (const auto& c : columns) {
    const json* field = nullptr;
    if (record.contains(c.name)) field = &record[c.name];
    else
      for (auto it = record.begin(); it != record.end(); ++it)
        if (AsciiUpper(it.key()) == AsciiUpper(c.name)) field = &*it;
    if (!field || field->is_null()) {
      out[c.name] = nullptr;
      continue;
    }
    auto v = JsonToValue(*field, c.type);
    out[c.name] = v.ok() ? ValueToJson(*v, c.type) : *field;
  }
  return out;
}

bool ValueEqual(const json& expected, const json& actual, const DataSource* sink) {
  const bool record_format = sink && (sink->value_format.kind == FormatKind::kJson ||
                                      UsesSchemaRegistry(sink->value_format.kind) ||
                                      sink->value_format.kind == FormatKind::kProtobufNoSr);
  if (record_format && expected.is_object() && actual.is_object()) {
    const auto columns = sink->ValueColumns();
    if (columns.size() > 1 || sink->value_format.wrap_single_value)
      return JsonEqual(ThroughSchema(expected, columns), ThroughSchema(actual, columns));
  }
  return SideEqual(expected, actual, sink ? &sink->value_format : nullptr);
}

std::string RenderExpected(const json& e) {
  json r;
  r["key"] = e.contains("key") ? e["key"] : json(nullptr);
  r["value"] = e.contains("value") ? e["value"] : json(nullptr);
  if (e.contains("timestamp")) r["timestamp"] = e["timestamp"];
  if (e.contains("window")) r["window"] = e["window"];
  return Dump(r);
}

std::string RenderActual(const ActualRecord& a) {
  json r;
  r["key"] = a.key;
  r["value"] = a.value;
  r["timestamp"] = a.timestamp;
  if (a.window) r["window"] = *a.window;
  return Dump(r);
}

// Compares one expected record with an actual one; returns "" or what differs.
std::string CompareRecord(const json& e, const ActualRecord& a, const DataSource* sink) {
  std::vector<std::string> diffs;
  const json ek = e.contains("key") ? e["key"] : json(nullptr);
  const json ev = e.contains("value") ? e["value"] : json(nullptr);
  if (!SideEqual(ek, a.key, sink ? &sink->key_format : nullptr)) diffs.push_back("key");
  if (!ValueEqual(ev, a.value, sink)) diffs.push_back("value");
  if (e.contains("timestamp") && e["timestamp"].is_number() &&
      e["timestamp"].get<int64_t>() != a.timestamp)
    diffs.push_back("timestamp");
  if (e.contains("window") && e["window"].is_object()) {
    const json& ew = e["window"];
    if (!a.window) {
      diffs.push_back("window");
    } else {
      bool same = true;
      for (const char* f : {"start", "end"})
        if (ew.contains(f) && a.window->contains(f) && !JsonEqual(ew[f], (*a.window)[f]))
          same = false;
      if (ew.contains("type") && AsciiUpper(ew.value("type", "")) != AsciiUpper(a.window->value("type", "")))
        same = false;
      if (!same) diffs.push_back("window");
    }
  }
  std::string out;
  for (const auto& d : diffs) out += (out.empty() ? "" : ", ") + d;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Post-conditions (sources: existence, type, formats, schema)

std::string NormalizeSchema(std::string s) {
  s = AsciiUpper(s);
  std::string out;
  for (char ch : s)
    if (!std::isspace(static_cast<unsigned char>(ch)) && ch != '`') out += ch;
  static const std::regex kVarchar("VARCHAR"), kInt("INT(?!EGER)"), kPk("PRIMARYKEY");
  out = std::regex_replace(out, kVarchar, "STRING");
  out = std::regex_replace(out, kInt, "INTEGER");
  out = std::regex_replace(out, kPk, "KEY");
  return out;
}

std::string RenderSchema(const DataSource& src) {
  std::string out;
  for (const auto& c : src.columns) {
    if (!out.empty()) out += ", ";
    out += c.name + " " + (c.type ? c.type->ToString() : "?");
    if (c.ns == ColumnNamespace::kKey) out += src.kind == SourceKind::kTable ? " PRIMARY KEY" : " KEY";
    if (c.ns == ColumnNamespace::kHeaders) out += " HEADERS";
    if (c.ns == ColumnNamespace::kHeader) out += " HEADER('" + c.header_key + "')";
  }
  return out;
}

std::string FormatOf(const json& j) {
  if (j.is_string()) return AsciiUpper(j.get<std::string>());
  if (j.is_object() && j.contains("format") && j["format"].is_string())
    return AsciiUpper(j["format"].get<std::string>());
  return "";
}

// A registered schema against the one a case expects: Avro and JSON Schema as JSON values (key
// order aside), .proto text without its whitespace.
bool SameSchema(const json& expected, const std::string& actual, SchemaType type) {
  if (type == SchemaType::kProtobuf) {
    auto squeeze = [](const std::string& text) {
      std::string out;
      for (char ch : text)
        if (!std::isspace(static_cast<unsigned char>(ch))) out += ch;
      return out;
    };
    return expected.is_string() && squeeze(expected.get<std::string>()) == squeeze(actual);
  }
  const json parsed = json::parse(actual, nullptr, /*allow_exceptions=*/false);
  return !parsed.is_discarded() && parsed == expected;
}

// post.topics[].keySchema/valueSchema: the latest schema registered for the topic's subjects.
std::string CheckTopicSchemas(const CaseTarget& driver, const json& post) {
  if (!post.contains("topics")) return "";
  const json& listed = post["topics"];
  const json topics = listed.is_object() ? listed.value("topics", json::array()) : listed;
  if (!topics.is_array()) return "";
  for (const auto& t : topics) {
    const std::string topic = t.value("name", "");
    // Sluice's internal topics carry its own row encoding, not the sources' formats (DESIGN.md),
    // so they have no subjects.
    if (topic.rfind("_confluent-ksql-", 0) == 0) continue;
    for (const std::string side : {"key", "value"}) {
      if (topic.empty() || !t.contains(side + "Schema")) continue;
      std::shared_ptr<SchemaRegistry> registry = driver.Registry();
      if (!registry) return "";  // the target cannot show its schemas
      const SchemaType type = RegistryTypeOfFormat(FormatOf(t.value(side + "Format", json())));
      const std::string subject = topic + "-" + side;
      const json& expected = t[side + "Schema"];
      auto latest = registry->Latest(subject);
      if (!latest.ok())
        return "post: no schema registered under " + subject + ", expected " + Dump(expected);
      if (!SameSchema(expected, latest->text, type))
        return "post: " + subject + " schema is " + latest->text + ", expected " + Dump(expected);
    }
  }
  return "";
}

std::string CheckPost(const CaseTarget& driver, const json& post) {
  if (post.is_object())
    if (std::string schemas = CheckTopicSchemas(driver, post); !schemas.empty()) return schemas;
  if (!post.is_object() || !post.contains("sources") || !post["sources"].is_array()) return "";
  for (const auto& s : post["sources"]) {
    const std::string name = s.value("name", "");
    if (name.empty()) continue;
    DataSourcePtr src = driver.FindSource(name);
    if (!src) return "post: source " + name + " is not registered";
    const std::string type = AsciiUpper(s.value("type", ""));
    const std::string actual_type = src->kind == SourceKind::kTable ? "TABLE" : "STREAM";
    if (!type.empty() && type != actual_type)
      return "post: source " + name + " is a " + actual_type + ", expected " + type;
    if (s.contains("keyFormat")) {
      const std::string f = FormatOf(s["keyFormat"]);
      if (!f.empty() && f != FormatName(src->key_format.kind))
        return "post: source " + name + " key format " + FormatName(src->key_format.kind) +
               ", expected " + f;
    }
    if (s.contains("valueFormat")) {
      const std::string f = FormatOf(s["valueFormat"]);
      if (!f.empty() && f != FormatName(src->value_format.kind))
        return "post: source " + name + " value format " + FormatName(src->value_format.kind) +
               ", expected " + f;
    }
    if (s.contains("schema") && s["schema"].is_string()) {
      const std::string expected = s["schema"].get<std::string>();
      const std::string actual = RenderSchema(*src);
      if (NormalizeSchema(expected) != NormalizeSchema(actual))
        return "post: source " + name + " schema is `" + actual + "`, expected `" + expected + "`";
    }
  }
  return "";
}

// Runs of whitespace collapsed to one space, ends trimmed: ksqlDB's expected messages are
// written on one line, ours may break lines (e.g. before "Statement: ...").
std::string NormalizeSpace(const std::string& s) {
  std::string out;
  bool space = false;
  for (char ch : s) {
    if (std::isspace(static_cast<unsigned char>(ch))) {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += ch;
  }
  return out;
}

std::map<std::string, std::string> Properties(const json& spec) {
  std::map<std::string, std::string> props;
  std::string config;
  if (spec.contains("config") && spec["config"].is_array() && !spec["config"].empty())
    config = RawBytes(spec["config"][0]);
  if (spec.contains("properties") && spec["properties"].is_object())
    for (const auto& [k, v] : spec["properties"].items()) {
      std::string text = v.is_string() ? v.get<std::string>() : Dump(v);
      if (text == "{CONFIG}") text = config;
      props[k] = text;
    }
  return props;
}

// The TestDriver as a case target.
class DriverTarget : public CaseTarget {
 public:
  explicit DriverTarget(std::map<std::string, std::string> properties) : driver_(std::move(properties)) {}
  Status Execute(const std::string& sql) override { return driver_.Execute(sql); }
  void CreateTopic(const std::string& name, int partitions) override { driver_.CreateTopic(name, partitions); }
  Status Produce(KafkaRecord record) override { return driver_.Produce(std::move(record)); }
  std::vector<KafkaRecord> Records(const std::string& topic, size_t) override { return driver_.Records(topic); }
  DataSourcePtr FindSource(const std::string& name) const override { return driver_.FindSource(name); }
  std::vector<DataSourcePtr> SourcesForTopic(const std::string& topic) const override {
    return driver_.SourcesForTopic(topic);
  }
  std::vector<std::string> ProcessingLog() const override { return driver_.ProcessingLog(); }
  std::shared_ptr<SchemaRegistry> Registry() const override { return driver_.schema_registry(); }

 private:
  TestDriver driver_;
};

// The case's expected outputs against what `driver` has on their topics, per topic in order of
// first appearance: PASS, or FAIL with what differs.
CaseResult CompareOutputs(CaseTarget& driver, const json& spec) {
  std::vector<std::string> topic_order;
  std::map<std::string, std::vector<json>> expected_by_topic;
  for (const auto& out : spec.value("outputs", json::array())) {
    const std::string topic = out.value("topic", "");
    if (!expected_by_topic.count(topic)) topic_order.push_back(topic);
    expected_by_topic[topic].push_back(out);
  }
  for (const auto& topic : topic_order) {
    const auto& expected = expected_by_topic[topic];
    std::vector<DataSourcePtr> keep;
    const DataSource* sink = PickSource(driver, topic, /*want_sink=*/true, &keep);
    std::vector<ActualRecord> actual;
    const auto records = driver.Records(topic, expected.size());
    for (const auto& record : records) actual.push_back(DecodeOutput(record, sink));

    std::string listing = "topic '" + topic + "':\n  expected:\n";
    for (const auto& e : expected) listing += "    " + RenderExpected(e) + "\n";
    listing += "  actual:\n";
    for (const auto& a : actual) listing += "    " + RenderActual(a) + "\n";

    const size_t n = std::min(expected.size(), actual.size());
    for (size_t i = 0; i < n; ++i) {
      const std::string diff = CompareRecord(expected[i], actual[i], sink);
      if (!diff.empty())
        return Fail("topic '" + topic + "' record " + std::to_string(i) + " differs (" + diff +
                        "): expected " + OneLine(RenderExpected(expected[i]), 300) + " got " +
                        OneLine(RenderActual(actual[i]), 300),
                    listing);
    }
    if (actual.size() < expected.size())
      return Fail("topic '" + topic + "': expected " + std::to_string(expected.size()) +
                      " records, got " + std::to_string(actual.size()) + "; first missing: " +
                      OneLine(RenderExpected(expected[actual.size()]), 300),
                  listing);
    // Every record beyond the expected ones fails the case, whether it came from an input or
    // an INSERT: ksqlDB's framework compares the whole topic.
    if (actual.size() > expected.size())
      return Fail("topic '" + topic + "': expected " + std::to_string(expected.size()) +
                      " records, got " + std::to_string(actual.size()) + "; first extra: " +
                      OneLine(RenderActual(actual[expected.size()]), 300),
                  listing);
  }
  return Pass();
}

CaseResult RunCaseUnguarded(const TestCase& c, const TargetFactory& make) {
  if (std::string why = StaticSkipReason(c); !why.empty()) return Skip(why);
  const json& spec = c.spec;
  std::vector<std::string> notes;

  auto target = make(c, Properties(spec));
  if (!target.ok()) return Fail("cannot start the target: " + OneLine(target.status().message()));
  CaseTarget& driver = **target;
  if (spec.contains("topics") && spec["topics"].is_array())
    for (const auto& t : spec["topics"])
      if (t.contains("name")) driver.CreateTopic(t["name"].get<std::string>(), t.value("partitions", 1));
  if (Status st = RegisterTopicSchemas(driver, spec); !st.ok()) {
    if (st.code() == Status::Code::kNotSupported) return Skip(OneLine(st.message()));
    return Fail("registering the topics' schemas: " + OneLine(st.message()));
  }

  const ExpectedError expected_error = ExpectedError::FromSpec(spec);
  // An error where the case expects one: PASS only when it is the expected one.
  auto error_matched = [&](const std::string& what, const Status& st, bool from_statement) {
    const std::string mismatch = expected_error.Mismatch(st, from_statement);
    CaseResult r = mismatch.empty() ? Pass()
                                    : Fail(what + " failed, but " + mismatch + ": expected " +
                                           OneLine(expected_error.Text()) + ", got " +
                                           OneLine(st.message()));
    r.notes.push_back("expected error: " + OneLine(expected_error.Text()));
    r.notes.push_back("actual error:   " + OneLine(st.message()));
    return r;
  };

  // ksqlDB's framework parses a case's statements as one script, one statement after the
  // other on new lines, so positions in errors count the lines of the statements before:
  // each statement runs after as many empty lines (the statement text stays the same).
  std::string lines_before;
  for (size_t i = 0; i < c.statements.size(); ++i) {
    Status st = driver.Execute(lines_before + c.statements[i]);
    lines_before.append(1 + std::count(c.statements[i].begin(), c.statements[i].end(), '\n'), '\n');
    if (st.ok()) continue;
    if (st.code() == Status::Code::kNotSupported) return Skip("not supported: " + OneLine(st.message()));
    if (c.expects_error) return error_matched("statement " + std::to_string(i + 1), st, true);
    return Fail("statement " + std::to_string(i + 1) + " failed: " + OneLine(st.message()));
  }

  // Inputs. An expected output on an input topic sees them too: ksqlDB's test framework
  // reads back everything written to the topic.
  const ojson inputs = c.exact.is_object() && c.exact.contains("inputs") ? c.exact["inputs"]
                                                                         : ojson::array();
  for (const auto& in : inputs) {
    auto rec = EncodeInput(driver, in);
    if (!rec.ok()) {
      if (rec.status().code() == Status::Code::kNotSupported)
        return Skip("input: " + OneLine(rec.status().message()));
      return Fail("input: " + OneLine(rec.status().message()));
    }
    const std::string topic = rec->topic;
    Status st = driver.Produce(std::move(*rec));
    if (!st.ok()) {
      if (st.code() == Status::Code::kNotSupported) return Skip("not supported: " + OneLine(st.message()));
      if (c.expects_error) return error_matched("producing an input", st, false);
      return Fail("producing an input to " + topic + " failed: " + OneLine(st.message()));
    }
  }
  if (c.expects_error && expected_error.FromProcessing()) {
    Status st = driver.QueryError();
    if (!st.ok()) return error_matched("processing an input", st, false);
  }
  if (c.expects_error)
    return Fail("expected an error (" + OneLine(expected_error.Text()) + "), but none occurred");

  if (CaseResult outputs = CompareOutputs(driver, spec); outputs.outcome != Outcome::kPass) return outputs;

  if (spec.contains("post")) {
    const std::string post = CheckPost(driver, spec["post"]);
    if (!post.empty()) return Fail(OneLine(post));
  }
  CaseResult r = Pass();
  for (const auto& line : driver.ProcessingLog())
    r.notes.push_back("processing log: " + OneLine(line, 300));
  return r;
}



CaseResult RunCase(const TestCase& c) {
  return RunCaseOn(c, [](const TestCase&, const std::map<std::string, std::string>& properties)
                          -> Result<std::unique_ptr<CaseTarget>> {
    return std::unique_ptr<CaseTarget>(std::make_unique<DriverTarget>(properties));
  });
}

CaseResult RunCaseOn(const TestCase& c, const TargetFactory& make) {
  try {
    return RunCaseUnguarded(c, make);
  } catch (const std::exception& e) {
    return Fail(std::string("exception: ") + OneLine(e.what()));
  } catch (...) {
    return Fail("unknown exception");
  }
}

// ---------------------------------------------------------------------------------------------
// Isolation: forked children, one per file (a crashed child's remaining cases get a new one).

namespace {

void WriteAll(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    const ssize_t n = ::write(fd, s.data() + off, s.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    off += static_cast<size_t>(n);
  }
}

[[noreturn]] void ChildMain(const std::vector<TestCase>& cases, const std::vector<size_t>& todo,
                            int fd, const RunOptions& opts) {
  const bool verbose = opts.verbose;
  const int devnull = ::open("/dev/null", O_WRONLY);
  if (devnull >= 0) {
    // Our stdout carries the report: the engine's output goes to stderr (verbose) or nowhere.
    ::dup2(verbose ? 2 : devnull, 1);
    if (!verbose) ::dup2(devnull, 2);
  }
  for (size_t idx : todo) {
    WriteAll(fd, "S " + std::to_string(idx) + "\n");
    const CaseResult r = opts.run_case ? opts.run_case(cases[idx]) : RunCase(cases[idx]);
    WriteAll(fd, "R " + std::to_string(idx) + " " + Dump(r.ToJson()) + "\n");
  }
  ::_exit(0);
}

struct Child {
  pid_t pid = -1;
  int fd = -1;
  std::vector<size_t> todo;
  std::string buffer;
  std::optional<size_t> current;  // started, no result yet
  std::chrono::steady_clock::time_point started;
  bool timed_out = false;
};

}  // namespace

std::vector<CaseResult> RunCasesIsolated(
    const std::vector<TestCase>& cases, const RunOptions& opts,
    const std::function<void(size_t, const CaseResult&)>& on_result) {
  std::vector<std::optional<CaseResult>> results(cases.size());
  size_t next_to_report = 0;
  auto set_result = [&](size_t idx, CaseResult r) {
    if (results[idx]) return;
    results[idx] = std::move(r);
    while (next_to_report < results.size() && results[next_to_report]) {
      if (on_result) on_result(next_to_report, *results[next_to_report]);
      ++next_to_report;
    }
  };

  // Work units: the cases of one file each; static skips need no child.
  std::deque<std::vector<size_t>> units;
  for (size_t i = 0; i < cases.size(); ++i) {
    if (std::string why = StaticSkipReason(cases[i]); !why.empty()) {
      set_result(i, Skip(why));
      continue;
    }
    if (units.empty() || opts.child_per_case || cases[units.back().back()].file != cases[i].file)
      units.emplace_back();
    units.back().push_back(i);
  }

  std::vector<Child> running;
  const int jobs = std::max(1, opts.jobs);
  while (!units.empty() || !running.empty()) {
    while (!units.empty() && static_cast<int>(running.size()) < jobs) {
      std::vector<size_t> todo = std::move(units.front());
      units.pop_front();
      int fds[2];
      if (::pipe(fds) != 0) {
        for (size_t idx : todo) set_result(idx, Fail("cannot create a pipe"));
        continue;
      }
      std::fflush(stdout);
      std::fflush(stderr);
      const pid_t pid = ::fork();
      if (pid < 0) {
        ::close(fds[0]);
        ::close(fds[1]);
        for (size_t idx : todo) set_result(idx, Fail("cannot fork"));
        continue;
      }
      if (pid == 0) {
        ::close(fds[0]);
        for (const auto& other : running) ::close(other.fd);
        ChildMain(cases, todo, fds[1], opts);
      }
      ::close(fds[1]);
      Child child;
      child.pid = pid;
      child.fd = fds[0];
      child.todo = std::move(todo);
      child.started = std::chrono::steady_clock::now();
      running.push_back(std::move(child));
    }

    std::vector<pollfd> pfds;
    for (const auto& ch : running) pfds.push_back({ch.fd, POLLIN, 0});
    const int rc = ::poll(pfds.data(), pfds.size(), 200);
    if (rc < 0 && errno != EINTR) break;

    const auto now = std::chrono::steady_clock::now();
    for (size_t ci = 0; ci < running.size();) {
      Child& ch = running[ci];
      bool eof = false;
      if (rc > 0 && (pfds[ci].revents & (POLLIN | POLLHUP | POLLERR))) {
        char buf[65536];
        const ssize_t n = ::read(ch.fd, buf, sizeof buf);
        if (n > 0) ch.buffer.append(buf, static_cast<size_t>(n));
        else if (n == 0 || errno != EINTR) eof = true;
        size_t nl;
        while ((nl = ch.buffer.find('\n')) != std::string::npos) {
          const std::string line = ch.buffer.substr(0, nl);
          ch.buffer.erase(0, nl + 1);
          if (line.size() > 2 && line[0] == 'S') {
            ch.current = std::stoul(line.substr(2));
            ch.started = now;
          } else if (line.size() > 2 && line[0] == 'R') {
            const size_t sp = line.find(' ', 2);
            const size_t idx = std::stoul(line.substr(2, sp - 2));
            CaseResult r;
            try {
              r = CaseResult::FromJson(json::parse(line.substr(sp + 1)));
            } catch (const std::exception& e) {
              r = Fail(std::string("garbled result from the child: ") + e.what());
            }
            set_result(idx, std::move(r));
            ch.current.reset();
          }
        }
      }
      if (!eof && !ch.timed_out && ch.current &&
          now - ch.started > std::chrono::seconds(opts.timeout_seconds)) {
        ::kill(ch.pid, SIGKILL);
        ch.timed_out = true;
      }
      if (!eof) {
        ++ci;
        continue;
      }
      ::close(ch.fd);
      int status = 0;
      while (::waitpid(ch.pid, &status, 0) < 0 && errno == EINTR) {
      }
      // The case in progress (if any) crashed or hung; the rest of the file goes on anew.
      std::vector<size_t> rest;
      for (size_t idx : ch.todo) {
        if (results[idx]) continue;
        if (ch.current && idx == *ch.current) {
          std::string why;
          if (ch.timed_out) why = "timed out after " + std::to_string(opts.timeout_seconds) + " s";
          else if (WIFSIGNALED(status))
            why = "crashed (signal " + std::to_string(WTERMSIG(status)) + ", " +
                  strsignal(WTERMSIG(status)) + ")";
          else
            why = "crashed (exit code " + std::to_string(WEXITSTATUS(status)) + ")";
          set_result(idx, Fail(why));
          continue;
        }
        rest.push_back(idx);
      }
      if (!rest.empty()) {
        if (!ch.current) {
          // The child died between cases (or before starting): don't loop forever.
          for (size_t idx : rest) set_result(idx, Fail("child process ended without a result"));
        } else {
          units.push_front(std::move(rest));
        }
      }
      running.erase(running.begin() + static_cast<std::ptrdiff_t>(ci));
      // pfds no longer lines up with running: poll again.
      break;
    }
  }

  std::vector<CaseResult> out;
  out.reserve(results.size());
  for (size_t i = 0; i < results.size(); ++i) {
    if (!results[i]) set_result(i, Fail("not run"));
    out.push_back(*results[i]);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// ksql-test-runner's three files

namespace {
Result<json> ReadJsonFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::IOError("cannot read " + path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  try {
    return json::parse(buffer.str(), nullptr, true, /*ignore_comments=*/true);
  } catch (const std::exception& e) {
    return Status::InvalidArgument(path + ": " + e.what());
  }
}
}  // namespace

Result<TestCase> CaseFromRunnerFiles(const std::string& statements_path,
                                     const std::string& input_path,
                                     const std::string& output_path) {
  std::ifstream in(statements_path);
  if (!in) return Status::IOError("cannot read " + statements_path);
  std::stringstream sql;
  sql << in.rdbuf();

  TestCase c;
  c.file = std::filesystem::path(statements_path).filename().string();
  c.name = "test";
  c.statements.push_back(sql.str());
  c.spec = json::object();
  c.spec["name"] = c.name;
  c.spec["statements"] = c.statements;
  c.spec["inputs"] = json::array();
  if (!input_path.empty()) {
    auto inputs = ReadJsonFile(input_path);
    if (!inputs.ok()) return inputs.status();
    if (!inputs->is_object() || !(*inputs).contains("inputs") || !(*inputs)["inputs"].is_array())
      return Status::InvalidArgument(input_path + ": expected {\"inputs\": [...]}");
    c.spec["inputs"] = (*inputs)["inputs"];
  }
  auto outputs = ReadJsonFile(output_path);
  if (!outputs.ok()) return outputs.status();
  if (!outputs->is_object() || !(*outputs).contains("outputs") || !(*outputs)["outputs"].is_array())
    return Status::InvalidArgument(output_path + ": expected {\"outputs\": [...]}");
  c.spec["outputs"] = (*outputs)["outputs"];
  // Inputs again, exactly as written (key order, number text).
  c.exact = ojson::object();
  c.exact["inputs"] = ojson::array();
  if (!input_path.empty()) {
    std::ifstream raw(input_path);
    std::stringstream text;
    text << raw.rdbuf();
    auto exact = ParseExact(text.str());
    if (!exact.ok()) return Status::InvalidArgument(input_path + ": " + exact.status().message());
    c.exact["inputs"] = (*exact)["inputs"];
  }
  return c;
}

}  // namespace sluice::qtt
