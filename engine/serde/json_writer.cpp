#include "engine/serde/json_writer.h"

#include <charconv>
#include <cmath>

#include "engine/serde/text_codec.h"
#include "engine/types/java_double.h"

namespace sluice::serde {

namespace {
template <typename Int>
void AppendInt(Int v, std::string* out) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, res.ptr - buf);
}

// Jackson writes NaN and the infinities as strings (QUOTE_NON_NUMERIC_NUMBERS is on).
void AppendDouble(double d, std::string* out) {
  bool quote = !std::isfinite(d);
  if (quote) out->push_back('"');
  AppendJavaDouble(d, out);
  if (quote) out->push_back('"');
}

void AppendArray(const ArrayValue& items, const SqlType* type, std::string* out) {
  const SqlType* elem = type && type->kind == TypeKind::kArray ? type->element.get() : nullptr;
  out->push_back('[');
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out->push_back(',');
    AppendJsonValue(items[i], elem, out);
  }
  out->push_back(']');
}

// Map keys are strings in JSON; other key kinds are written as their text.
void AppendMap(const MapValue& entries, const SqlType* type, std::string* out) {
  const SqlType* val = type && type->kind == TypeKind::kMap ? type->value.get() : nullptr;
  out->push_back('{');
  bool first = true;
  for (const auto& [k, v] : entries) {
    if (!first) out->push_back(',');
    first = false;
    if (k.IsString()) AppendJsonString(k.AsString(), out);
    else AppendJsonString(k.ToString(), out);
    out->push_back(':');
    AppendJsonValue(v, val, out);
  }
  out->push_back('}');
}

void AppendStruct(const StructValue& s, std::string* out) {
  out->push_back('{');
  for (size_t i = 0; i < s.fields.size() && i < s.type->fields.size(); ++i) {
    if (i) out->push_back(',');
    AppendJsonString(s.type->fields[i].name, out);
    out->push_back(':');
    AppendJsonValue(s.fields[i], s.type->fields[i].type.get(), out);
  }
  out->push_back('}');
}

// Numbers stored in another numeric kind than the column's: render as the column's kind.
bool AppendAsColumnKind(const Value& v, const SqlType& type, std::string* out) {
  bool numeric = v.IsInt() || v.IsBigint() || v.IsDouble() || v.IsDecimal();
  if (!numeric) return false;
  switch (type.kind) {
    case TypeKind::kDouble:
      if (v.IsDouble()) return false;
      AppendDouble(v.ToDouble(), out);
      return true;
    case TypeKind::kBigint:
      if (v.IsBigint()) return false;
      AppendInt(v.ToInt64(), out);
      return true;
    case TypeKind::kInteger:
      if (v.IsInt()) return false;
      AppendInt(static_cast<int32_t>(v.ToInt64()), out);
      return true;
    case TypeKind::kDecimal:
      if (v.IsDecimal()) {
        if (v.AsDecimal().scale == type.scale) return false;
        out->append(v.AsDecimal().Rescale(type.scale).ToString());
      } else if (v.IsDouble()) {
        out->append(Decimal::FromDouble(v.AsDouble(), type.scale).ToString());
      } else {
        out->append(Decimal{static_cast<__int128>(v.ToInt64()), 0}.Rescale(type.scale).ToString());
      }
      return true;
    default:
      return false;
  }
}
}  // namespace

void AppendJsonString(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t run = 0;  // start of the pending run of characters that need no escaping
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
      default: {
        char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
        out->append(esc, 6);
      }
    }
  }
  out->append(s.data() + run, s.size() - run);
  out->push_back('"');
}

std::string MinifyJson(std::string_view raw) {
  std::string s;
  s.reserve(raw.size());
  bool in_string = false;
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (in_string) {
      s.push_back(c);
      if (c == '\\' && i + 1 < raw.size()) s.push_back(raw[++i]);
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
      s.push_back(c);
    } else if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
      s.push_back(c);
    }
  }
  return s;
}

void AppendJsonValue(const Value& v, const SqlType* type, std::string* out) {
  if (type && AppendAsColumnKind(v, *type, out)) return;
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, Null>) out->append("null");
        else if constexpr (std::is_same_v<T, bool>) out->append(x ? "true" : "false");
        else if constexpr (std::is_same_v<T, int32_t> || std::is_same_v<T, int64_t>) AppendInt(x, out);
        else if constexpr (std::is_same_v<T, double>) AppendDouble(x, out);
        else if constexpr (std::is_same_v<T, Decimal>) out->append(x.ToString());
        else if constexpr (std::is_same_v<T, std::string>) AppendJsonString(x, out);
        else if constexpr (std::is_same_v<T, Bytes>) {
          out->push_back('"');
          AppendBase64(x.data, out);
          out->push_back('"');
        } else if constexpr (std::is_same_v<T, Date>) AppendInt(x.days, out);
        else if constexpr (std::is_same_v<T, Time>) AppendInt(x.millis, out);
        else if constexpr (std::is_same_v<T, Timestamp>) AppendInt(x.millis, out);
        else if constexpr (std::is_same_v<T, std::shared_ptr<const ArrayValue>>) AppendArray(*x, type, out);
        else if constexpr (std::is_same_v<T, std::shared_ptr<const MapValue>>) AppendMap(*x, type, out);
        else AppendStruct(*x, out);
      },
      v.storage());
}

}  // namespace sluice::serde
