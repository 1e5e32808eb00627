#include "engine/print/record_formatter.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/text_format.h>
#include <nlohmann/json.hpp>

#include "engine/expr/functions/function_util.h"  // AppendUtf8
#include "engine/expr/java_time_format.h"         // CivilFromDays, FloorDiv
#include "engine/serde/avro_binary.h"
#include "engine/serde/avro_schema.h"
#include "engine/serde/protobuf_schema.h"
#include "engine/serde/protobuf_wire.h"
#include "engine/types/java_double.h"
#include "engine/types/java_hash_order.h"

namespace sluice::print {

namespace avro = serde::avro;
namespace pb = serde::pb;
namespace gpb = google::protobuf;

// ---- small text helpers -------------------------------------------------------------------

const char* FormatName(Format format) {
  switch (format) {
    case Format::kAvro: return "AVRO";
    case Format::kProtobuf: return "PROTOBUF";
    case Format::kJson: return "JSON";
    case Format::kJsonSr: return "JSON_SR";
    case Format::kKafkaInt: return "KAFKA_INT";
    case Format::kKafkaBigint: return "KAFKA_BIGINT";
    case Format::kKafkaDouble: return "KAFKA_DOUBLE";
    case Format::kKafkaString: return "KAFKA_STRING";
  }
  return "?";
}

namespace {

uint64_t BigEndian(std::string_view bytes, size_t at, size_t width) {
  uint64_t v = 0;
  for (size_t i = 0; i < width; ++i) v = (v << 8) | static_cast<unsigned char>(bytes[at + i]);
  return v;
}

// What Java's UTF-8 decoder accepts without a replacement character: well-formed UTF-8 (no
// overlong forms, no surrogates, nothing past U+10FFFF) that does not itself hold U+FFFD.
bool IsCleanUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    const unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int extra;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) extra = 1, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF) extra = 2, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4) extra = 3, cp = c & 0x07;
    else return false;
    if (end - p <= extra) return false;
    for (int i = 1; i <= extra; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((extra == 2 && cp < 0x800) || (extra == 3 && (cp < 0x10000 || cp > 0x10FFFF))) return false;
    if (cp >= 0xD800 && cp <= 0xDFFF) return false;
    if (cp == 0xFFFD) return false;
    p += extra + 1;
  }
  return true;
}

// The next code point of `s` from `*i`; a malformed sequence gives U+FFFD for its first byte
// (how Java decodes Avro's Utf8).
uint32_t NextCodePoint(std::string_view s, size_t* i) {
  const auto c = static_cast<unsigned char>(s[*i]);
  if (c < 0x80) {
    ++*i;
    return c;
  }
  int extra = 0;
  uint32_t cp = 0;
  if (c >= 0xC2 && c <= 0xDF) extra = 1, cp = c & 0x1F;
  else if (c >= 0xE0 && c <= 0xEF) extra = 2, cp = c & 0x0F;
  else if (c >= 0xF0 && c <= 0xF4) extra = 3, cp = c & 0x07;
  if (extra == 0 || s.size() - *i <= static_cast<size_t>(extra)) {
    ++*i;
    return 0xFFFD;
  }
  for (int k = 1; k <= extra; ++k) {
    const auto b = static_cast<unsigned char>(s[*i + k]);
    if ((b & 0xC0) != 0x80) {
      ++*i;
      return 0xFFFD;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  *i += extra + 1;
  return cp;
}

// Avro's GenericData.writeEscapedString, over code points. `latin1`: every byte is one char
// (how GenericData prints BYTES values).
void AppendAvroEscaped(std::string_view s, bool latin1, std::string* out) {
  static const char* kHex = "0123456789ABCDEF";
  size_t i = 0;
  while (i < s.size()) {
    const uint32_t cp = latin1 ? static_cast<unsigned char>(s[i++]) : NextCodePoint(s, &i);
    switch (cp) {
      case '"': *out += "\\\""; continue;
      case '\\': *out += "\\\\"; continue;
      case '\b': *out += "\\b"; continue;
      case '\f': *out += "\\f"; continue;
      case '\n': *out += "\\n"; continue;
      case '\r': *out += "\\r"; continue;
      case '\t': *out += "\\t"; continue;
      default: break;
    }
    if (cp <= 0x1F || (cp >= 0x7F && cp <= 0x9F) || (cp >= 0x2000 && cp <= 0x20FF)) {
      *out += "\\u";
      for (int shift = 12; shift >= 0; shift -= 4) out->push_back(kHex[(cp >> shift) & 0xF]);
    } else {
      fnutil::AppendUtf8(out, cp);
    }
  }
}

}  // namespace

std::string FormatRowtime(int64_t ts) {
  if (ts == -1) return "N/A";  // ConsumerRecord.NO_TIMESTAMP
  const int64_t days = jtime::FloorDiv(ts, jtime::kMillisPerDay);
  const int64_t ms_of_day = ts - days * jtime::kMillisPerDay;
  int64_t y;
  int m, d;
  jtime::CivilFromDays(days, &y, &m, &d);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld/%02d/%02d %02lld:%02lld:%02lld.%03lld Z", static_cast<long long>(y), m, d,
                static_cast<long long>(ms_of_day / 3600000), static_cast<long long>(ms_of_day / 60000 % 60),
                static_cast<long long>(ms_of_day / 1000 % 60), static_cast<long long>(ms_of_day % 1000));
  return buf;
}

std::string BytesToString(std::string_view bytes) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(bytes.size());
  for (char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= ' ' && c <= '~' && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

std::string FormatJavaFloat(float v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  if (v == 0) return std::signbit(v) ? "-0.0" : "0.0";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);  // "-d.ddde+XX"
  std::string sci(buf, res.ptr);
  std::string out = sci[0] == '-' ? "-" : "";
  const size_t start = out.size();
  const size_t e = sci.find('e');
  std::string digits;
  for (size_t i = start; i < e; ++i)
    if (sci[i] != '.') digits.push_back(sci[i]);
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  const int exponent = std::stoi(sci.substr(e + 1));
  if (exponent >= -3 && exponent < 7) {
    if (exponent >= 0) {
      const size_t int_len = static_cast<size_t>(exponent) + 1;
      std::string int_part = digits.substr(0, std::min(int_len, digits.size()));
      int_part.append(int_len > digits.size() ? int_len - digits.size() : 0, '0');
      const std::string frac = digits.size() > int_len ? digits.substr(int_len) : "0";
      return out + int_part + "." + frac;
    }
    return out + "0." + std::string(static_cast<size_t>(-exponent - 1), '0') + digits;
  }
  return out + digits.substr(0, 1) + "." + (digits.size() > 1 ? digits.substr(1) : "0") + "E" +
         std::to_string(exponent);
}

// ---- schemas --------------------------------------------------------------------------------

struct SchemaCache::Parsed {
  std::shared_ptr<const avro::Schema> avro;
  std::shared_ptr<const pb::ProtoSchema> proto;
  gpb::DynamicMessageFactory factory;  // messages of `proto`'s pool
};

SchemaCache::SchemaCache(std::shared_ptr<SchemaRegistry> registry) : registry_(std::move(registry)) {}
SchemaCache::~SchemaCache() = default;

const RegisteredSchema* SchemaCache::Find(int id, SchemaType type) {
  auto it = schemas_.find(id);
  if (it == schemas_.end()) {
    std::optional<RegisteredSchema> found;
    if (registry_) {
      auto schema = registry_->ById(id);
      if (schema.ok()) found = std::move(*schema);
    }
    it = schemas_.emplace(id, std::move(found)).first;
  }
  return it->second && it->second->type == type ? &*it->second : nullptr;
}

SchemaCache::Parsed* SchemaCache::ParsedFor(int id) {
  auto it = parsed_.find(id);
  if (it != parsed_.end()) return it->second.get();
  auto parsed = std::make_unique<Parsed>();
  auto found = schemas_.find(id);
  if (found != schemas_.end() && found->second) {
    const RegisteredSchema& s = *found->second;
    if (s.type == SchemaType::kAvro) {
      auto schema = avro::Schema::Parse(s.text);
      if (schema.ok()) parsed->avro = *schema;
    } else if (s.type == SchemaType::kProtobuf) {
      auto schema = pb::ProtoSchema::Parse(s.text, registry_.get(), s.references);
      if (schema.ok()) parsed->proto = *schema;
    }
  }
  return parsed_.emplace(id, std::move(parsed)).first->second.get();
}

// ---- AVRO: GenericData.toString of what KafkaAvroDeserializer reads ---------------------------

namespace {

constexpr int kMaxDepth = 64;

class AvroPrinter {
 public:
  explicit AvroPrinter(std::string_view payload) : in_(payload) {}

  // `top`: the value KafkaAvroDeserializer returns (its own toString: a string or an enum
  // symbol unquoted); nested values print as GenericData.toString does.
  bool Print(const avro::Node* n, bool top, int depth, std::string* out) {
    if (depth > kMaxDepth) return false;
    switch (n->type) {
      case avro::AvroType::kNull: *out += "null"; return true;
      case avro::AvroType::kBoolean: {
        bool b;
        if (!in_.ReadBool(&b)) return false;
        *out += b ? "true" : "false";
        return true;
      }
      case avro::AvroType::kInt: {
        int32_t v;
        if (!in_.ReadInt(&v)) return false;
        *out += std::to_string(v);
        return true;
      }
      case avro::AvroType::kLong: {
        int64_t v;
        if (!in_.ReadLong(&v)) return false;
        *out += std::to_string(v);
        return true;
      }
      case avro::AvroType::kFloat: {
        float v;
        if (!in_.ReadFloat(&v)) return false;
        return Floating(FormatJavaFloat(v), std::isfinite(v), top, out);
      }
      case avro::AvroType::kDouble: {
        double v;
        if (!in_.ReadDouble(&v)) return false;
        return Floating(FormatJavaDouble(v), std::isfinite(v), top, out);
      }
      case avro::AvroType::kBytes: {
        std::string_view b;
        if (!in_.ReadBytes(&b)) return false;
        return Quoted(b, /*latin1=*/true, false, out);
      }
      case avro::AvroType::kString: {
        std::string_view s;
        if (!in_.ReadBytes(&s)) return false;
        return Quoted(s, false, top, out);
      }
      case avro::AvroType::kEnum: {
        int64_t i;
        if (!in_.ReadLong(&i) || i < 0 || static_cast<size_t>(i) >= n->symbols.size()) return false;
        return Quoted(n->symbols[static_cast<size_t>(i)], false, top, out);
      }
      case avro::AvroType::kFixed: {
        std::string_view b;
        if (!in_.ReadFixed(static_cast<size_t>(n->fixed_size), &b)) return false;
        *out += "[";  // GenericData.Fixed.toString: Arrays.toString of the (signed) bytes
        for (size_t i = 0; i < b.size(); ++i)
          *out += (i ? ", " : "") + std::to_string(static_cast<int>(static_cast<signed char>(b[i])));
        *out += "]";
        return true;
      }
      case avro::AvroType::kUnion: {
        int64_t i;
        if (!in_.ReadLong(&i) || i < 0 || static_cast<size_t>(i) >= n->branches.size()) return false;
        return Print(n->branches[static_cast<size_t>(i)], top, depth + 1, out);
      }
      case avro::AvroType::kRecord: {
        *out += "{";
        for (size_t f = 0; f < n->fields.size(); ++f) {
          *out += f ? ", \"" : "\"";
          AppendAvroEscaped(n->fields[f].name, false, out);
          *out += "\": ";
          if (!Print(n->fields[f].type, false, depth + 1, out)) return false;
        }
        *out += "}";
        return true;
      }
      case avro::AvroType::kArray: return Blocks(n->items, nullptr, depth, out);
      case avro::AvroType::kMap: return Blocks(nullptr, n->values, depth, out);
    }
    return false;
  }

 private:
  // NaN and infinities are quoted inside records, arrays and maps (GenericData.toString).
  static bool Floating(const std::string& text, bool finite, bool top, std::string* out) {
    *out += finite || top ? text : "\"" + text + "\"";
    return true;
  }
  static bool Quoted(std::string_view s, bool latin1, bool top, std::string* out) {
    if (top) {
      size_t i = 0;
      while (i < s.size()) fnutil::AppendUtf8(out, NextCodePoint(s, &i));
      return true;
    }
    *out += "\"";
    AppendAvroEscaped(s, latin1, out);
    *out += "\"";
    return true;
  }
  // Arrays ([a, b]) and maps ({"k": v}): blocks of items until a zero count.
  bool Blocks(const avro::Node* items, const avro::Node* values, int depth, std::string* out) {
    std::vector<std::string> elements;  // arrays: each item's text
    MapValue entries;                   // maps: key -> the value's text
    for (;;) {
      int64_t count;
      if (!in_.ReadLong(&count)) return false;
      if (count == 0) break;
      if (count < 0) {  // a negative count is followed by the block's size in bytes
        int64_t size;
        if (!in_.ReadLong(&size) || count == INT64_MIN) return false;
        count = -count;
      }
      if (static_cast<uint64_t>(count) > in_.remaining() + 1) return false;
      for (int64_t i = 0; i < count; ++i) {
        std::string_view key;
        if (values && !in_.ReadBytes(&key)) return false;
        std::string text;
        if (!Print(items ? items : values, false, depth + 1, &text)) return false;
        if (values) entries.emplace_back(Value(std::string(key)), Value(std::move(text)));
        else elements.push_back(std::move(text));
      }
    }
    if (items) {
      *out += "[";
      for (size_t i = 0; i < elements.size(); ++i) *out += (i ? ", " : "") + elements[i];
      *out += "]";
      return true;
    }
    // Avro's reader fills a HashMap: its iteration order, not the written one.
    OrderLikeJavaHashMap(&entries);
    *out += "{";
    for (size_t i = 0; i < entries.size(); ++i) {
      *out += i ? ", " : "";
      Quoted(entries[i].first.AsString(), false, false, out);
      *out += ": " + entries[i].second.AsString();
    }
    *out += "}";
    return true;
  }

  avro::BinaryReader in_;
};

// Java's TextFormat prints floats and doubles with Float/Double.toString.
class JavaNumberPrinter : public gpb::TextFormat::FastFieldValuePrinter {
 public:
  void PrintFloat(float v, gpb::TextFormat::BaseTextGenerator* g) const override { g->PrintString(FormatJavaFloat(v)); }
  void PrintDouble(double v, gpb::TextFormat::BaseTextGenerator* g) const override {
    g->PrintString(FormatJavaDouble(v));
  }
};

// The schema id of a Confluent wire header, if the bytes start with one.
std::optional<int> HeaderId(std::string_view bytes) {
  auto id = ReadConfluentHeader(bytes);
  if (!id.ok()) return std::nullopt;
  return *id;
}

std::optional<std::string> TryAvro(std::string_view bytes, SchemaCache& cache) {
  auto id = HeaderId(bytes);
  if (!id || !cache.Find(*id, SchemaType::kAvro)) return std::nullopt;
  const auto* parsed = cache.ParsedFor(*id);
  if (!parsed->avro) return std::nullopt;
  AvroPrinter printer(bytes.substr(kConfluentHeaderSize));
  std::string out;
  if (!printer.Print(parsed->avro->root(), true, 0, &out)) return std::nullopt;
  return out;  // trailing bytes are ignored, as Avro's reader does
}

// KafkaProtobufDeserializer, then TextFormat's shortDebugString (octal escapes for non-ASCII
// bytes, as Java's printer does by default).
std::optional<std::string> TryProtobuf(std::string_view bytes, SchemaCache& cache) {
  auto id = HeaderId(bytes);
  if (!id || !cache.Find(*id, SchemaType::kProtobuf)) return std::nullopt;
  auto* parsed = cache.ParsedFor(*id);
  if (!parsed->proto) return std::nullopt;
  pb::WireReader in(bytes.substr(kConfluentHeaderSize));
  std::vector<int> indexes;
  if (!pb::ReadMessageIndexes(&in, &indexes)) return std::nullopt;
  auto descriptor = parsed->proto->MessageAt(indexes);
  if (!descriptor.ok()) return std::nullopt;
  const gpb::Message* prototype = parsed->factory.GetPrototype(*descriptor);
  if (!prototype) return std::nullopt;
  std::unique_ptr<gpb::Message> message(prototype->New());
  const char* body = in.pos();
  const size_t size = static_cast<size_t>(bytes.data() + bytes.size() - body);
  if (!message->ParseFromArray(body, static_cast<int>(size))) return std::nullopt;
  gpb::TextFormat::Printer printer;
  printer.SetSingleLineMode(true);
  printer.SetDefaultFieldValuePrinter(new JavaNumberPrinter());  // the printer owns it
  std::string out;
  if (!printer.PrintToString(*message, &out)) return std::nullopt;
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::optional<std::string> TryJson(std::string_view bytes) {
  if (bytes.empty() || !IsCleanUtf8(bytes)) return std::nullopt;
  // Parsed to check it is JSON; the record's own text is printed.
  if (!nlohmann::json::accept(bytes.begin(), bytes.end())) return std::nullopt;
  return std::string(bytes);
}

// KafkaJsonSchemaDeserializer gives a JsonNode, printed compact.
std::optional<std::string> TryJsonSr(std::string_view bytes, SchemaCache& cache) {
  auto id = HeaderId(bytes);
  if (!id || !cache.Find(*id, SchemaType::kJson)) return std::nullopt;
  std::string_view payload = bytes.substr(kConfluentHeaderSize);
  auto node = nlohmann::ordered_json::parse(payload.begin(), payload.end(), nullptr, false);
  if (node.is_discarded()) return std::nullopt;
  return node.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::optional<std::string> TryPlain(Format format, std::string_view bytes, SchemaCache& cache) {
  switch (format) {
    case Format::kAvro: return TryAvro(bytes, cache);
    case Format::kProtobuf: return TryProtobuf(bytes, cache);
    case Format::kJson: return TryJson(bytes);
    case Format::kJsonSr: return TryJsonSr(bytes, cache);
    case Format::kKafkaInt:
      if (bytes.size() != 4) return std::nullopt;
      return std::to_string(static_cast<int32_t>(BigEndian(bytes, 0, 4)));
    case Format::kKafkaBigint:
      if (bytes.size() != 8) return std::nullopt;
      return std::to_string(static_cast<int64_t>(BigEndian(bytes, 0, 8)));
    case Format::kKafkaDouble: {
      if (bytes.size() != 8) return std::nullopt;
      const uint64_t bits = BigEndian(bytes, 0, 8);
      double d;
      std::memcpy(&d, &bits, sizeof d);
      return FormatJavaDouble(d);
    }
    case Format::kKafkaString:
      if (bytes.empty() || !IsCleanUtf8(bytes)) return std::nullopt;
      return std::string(bytes);
  }
  return std::nullopt;
}

}  // namespace

// Kafka Streams' windowed keys: the inner key, then (session) end and start, or (time
// windows) the start, as big-endian longs. A window must start at or after the epoch and not
// end before it starts, else Kafka's Window constructor throws.
std::optional<std::string> TryFormat(Format format, Window window, std::string_view bytes, SchemaCache& cache) {
  if (window == Window::kNone) return TryPlain(format, bytes, cache);
  const size_t suffix = window == Window::kSession ? 16 : 8;
  if (bytes.size() < suffix) return std::nullopt;
  const size_t n = bytes.size();
  const auto start = static_cast<int64_t>(BigEndian(bytes, n - 8, 8));
  if (start < 0) return std::nullopt;
  std::string bounds;
  if (window == Window::kSession) {
    const auto end = static_cast<int64_t>(BigEndian(bytes, n - 16, 8));
    if (end < start) return std::nullopt;
    bounds = std::to_string(start) + "/" + std::to_string(end);
  } else {
    if (start == INT64_MAX) return std::nullopt;  // its end (start + 1, capped) would equal it
    bounds = std::to_string(start) + "/-";  // the size is not in the bytes
  }
  auto key = TryPlain(format, bytes.substr(0, n - suffix), cache);
  if (!key) return std::nullopt;
  return "[" + *key + "@" + bounds + "]";
}

// ---- candidates -------------------------------------------------------------------------------

FieldFormatter::FieldFormatter(SchemaCache& cache, bool include_windowed) : cache_(cache) {
  static constexpr print::Format kAll[] = {Format::kAvro,     Format::kProtobuf,    Format::kJson,
                                           Format::kJsonSr,   Format::kKafkaInt,    Format::kKafkaBigint,
                                           Format::kKafkaDouble, Format::kKafkaString};
  for (print::Format f : kAll) {
    const std::string name = FormatName(f);
    if (include_windowed) {
      candidates_.push_back({f, Window::kSession, "SESSION(" + name + ")"});
      candidates_.push_back({f, Window::kHopping, "HOPPING(" + name + ")"});
      candidates_.push_back({f, Window::kTumbling, "TUMBLING(" + name + ")"});
    }
    candidates_.push_back({f, Window::kNone, name});
  }
}

std::string FieldFormatter::Format(const std::optional<std::string>& bytes) {
  if (!bytes) return "<null>";
  seen_data_ = true;
  std::optional<std::string> first;
  std::vector<Candidate> kept;
  kept.reserve(candidates_.size());
  for (Candidate& c : candidates_) {
    auto text = TryFormat(c.format, c.window, *bytes, cache_);
    if (!text) continue;
    if (!first) first = std::move(text);
    kept.push_back(std::move(c));
  }
  candidates_ = std::move(kept);
  return first ? *first : BytesToString(*bytes);  // ksqlDB's UNRECOGNISED_BYTES
}

std::vector<std::string> FieldFormatter::PossibleFormats() const {
  if (!seen_data_) return {kNoDataProcessed};
  std::vector<std::string> names;
  for (const Candidate& c : candidates_) names.push_back(c.name);
  return names;
}

RecordFormatter::RecordFormatter(std::shared_ptr<SchemaRegistry> registry)
    : cache_(std::move(registry)), keys_(cache_, true), values_(cache_, false) {}

std::vector<std::string> RecordFormatter::FormatAll(const std::vector<KafkaRecord>& records) {
  std::vector<std::string> lines;
  lines.reserve(records.size());
  for (const KafkaRecord& r : records) {
    std::string key = keys_.Format(r.key);
    std::string value = values_.Format(r.value);
    lines.push_back("rowtime: " + FormatRowtime(r.timestamp) + ", key: " + key + ", value: " + value +
                    ", partition: " + std::to_string(r.partition));
  }
  return lines;
}

std::vector<std::string> RecordFormatter::Format(const std::vector<KafkaRecord>& records) {
  auto active = [](const std::vector<std::string>& formats) { return formats.empty() ? "" : formats.front(); };
  // No candidate left before the batch: nothing more can be dropped.
  auto still_there = [](const std::vector<std::string>& formats, const std::string& name) {
    return name.empty() || std::find(formats.begin(), formats.end(), name) != formats.end();
  };
  const std::string key_format = active(keys_.PossibleFormats());
  const std::string value_format = active(values_.PossibleFormats());
  std::vector<std::string> lines = FormatAll(records);
  if (still_there(keys_.PossibleFormats(), key_format) && still_there(values_.PossibleFormats(), value_format))
    return lines;
  return FormatAll(records);
}

}  // namespace sluice::print
