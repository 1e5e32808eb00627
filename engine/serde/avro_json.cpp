// JSON -> Avro binary under a given schema (see avro_json.h).
#include "engine/serde/avro_json.h"

#include <algorithm>

#include "engine/serde/avro_binary.h"
#include "engine/serde/avro_schema.h"
#include "engine/serde/json_coercion.h"
#include "engine/serde/text_codec.h"
#include "engine/types/value.h"

namespace sluice::serde::avro {

namespace {
using json = nlohmann::json;

class JsonEncoder {
 public:
  Status Encode(const json& j, const Node* w, std::string* out) {
    if (++depth_ > 128) return Status::SerdeError("JSON nested too deeply for Avro");
    Status st = EncodeAny(j, w, out);
    --depth_;
    return st;
  }

  // Whether `j` can be written as `w` (how a union's branch is chosen).
  static bool Fits(const json& j, const Node* w) {
    switch (w->type) {
      case AvroType::kNull: return j.is_null();
      case AvroType::kBoolean: return j.is_boolean();
      case AvroType::kInt: case AvroType::kLong: return j.is_number_integer();
      case AvroType::kFloat: case AvroType::kDouble: return j.is_number();
      case AvroType::kString: return j.is_string();
      case AvroType::kEnum:
        return j.is_string() && std::count(w->symbols.begin(), w->symbols.end(), j.get<std::string>());
      case AvroType::kBytes: case AvroType::kFixed:
        return w->logical == Logical::kDecimal ? j.is_number() || j.is_string() : j.is_string();
      case AvroType::kArray: return w->map_entries ? j.is_object() : j.is_array();
      case AvroType::kMap: case AvroType::kRecord: return j.is_object();
      case AvroType::kUnion:
        return std::any_of(w->branches.begin(), w->branches.end(), [&](const Node* b) { return Fits(j, b); });
    }
    return false;
  }

 private:
  static Status Bad(const json& j, const Node* w) {
    return Status::SerdeError("JSON " + j.dump() + " does not fit Avro type " +
                              (w->full_name.empty() ? UnionBranchName(w) : w->full_name));
  }

  Status EncodeAny(const json& j, const Node* w, std::string* out) {
    switch (w->type) {
      case AvroType::kUnion: {
        for (size_t i = 0; i < w->branches.size(); ++i)
          if (Fits(j, w->branches[i])) {
            WriteLong(static_cast<int64_t>(i), out);
            return Encode(j, w->branches[i], out);
          }
        return Bad(j, w);
      }
      case AvroType::kArray: return w->map_entries ? EncodeEntries(j, w, out) : EncodeArray(j, w, out);
      case AvroType::kMap: return EncodeMap(j, w, out);
      case AvroType::kRecord: return EncodeRecord(j, w, out);
      case AvroType::kBytes: case AvroType::kFixed: return EncodeBytes(j, w, out);
      default: break;
    }
    if (!Fits(j, w)) return Bad(j, w);
    switch (w->type) {
      case AvroType::kBoolean: WriteBool(j.get<bool>(), out); break;
      case AvroType::kInt: case AvroType::kLong: WriteLong(j.get<int64_t>(), out); break;
      case AvroType::kFloat: WriteFloat(j.get<float>(), out); break;
      case AvroType::kDouble: WriteDouble(j.get<double>(), out); break;
      case AvroType::kString: WriteBytes(j.get<std::string>(), out); break;
      case AvroType::kEnum: {
        auto it = std::find(w->symbols.begin(), w->symbols.end(), j.get<std::string>());
        WriteLong(it - w->symbols.begin(), out);
        break;
      }
      default: break;  // null: nothing on the wire
    }
    return Status::OK();
  }

  Status EncodeBytes(const json& j, const Node* w, std::string* out) {
    if (!Fits(j, w)) return Bad(j, w);
    std::string raw;
    if (w->logical == Logical::kDecimal) {
      Decimal d;
      const std::string text = j.is_string() ? j.get<std::string>() : j.dump();
      if (!Decimal::Parse(text, w->scale, &d)) return Bad(j, w);
      unsigned __int128 u = static_cast<unsigned __int128>(d.unscaled);
      for (int i = 0; i < 16; ++i, u >>= 8) raw.insert(raw.begin(), static_cast<char>(u & 0xFF));
      const char fill = d.unscaled < 0 ? static_cast<char>(0xFF) : 0;
      while (raw.size() > 1 && raw[0] == fill && ((raw[1] & 0x80) != 0) == (d.unscaled < 0)) raw.erase(0, 1);
      if (w->type == AvroType::kFixed) {
        if (raw.size() > static_cast<size_t>(w->fixed_size)) return Bad(j, w);
        raw.insert(0, w->fixed_size - raw.size(), fill);
      }
    } else if (!DecodeBase64(j.get<std::string>(), &raw)) {
      return Bad(j, w);
    }
    if (w->type == AvroType::kFixed) {
      if (raw.size() != static_cast<size_t>(w->fixed_size)) return Bad(j, w);
      out->append(raw);
    } else {
      WriteBytes(raw, out);
    }
    return Status::OK();
  }

  Status EncodeArray(const json& j, const Node* w, std::string* out) {
    if (!j.is_array()) return Bad(j, w);
    if (!j.empty()) WriteLong(static_cast<int64_t>(j.size()), out);
    for (const json& item : j) SLUICE_RETURN_IF_ERROR(Encode(item, w->items, out));
    WriteLong(0, out);
    return Status::OK();
  }

  Status EncodeMap(const json& j, const Node* w, std::string* out) {
    if (!j.is_object()) return Bad(j, w);
    if (!j.empty()) WriteLong(static_cast<int64_t>(j.size()), out);
    for (const auto& [k, v] : j.items()) {
      WriteBytes(k, out);
      SLUICE_RETURN_IF_ERROR(Encode(v, w->values, out));
    }
    WriteLong(0, out);
    return Status::OK();
  }

  // Connect's map-as-array: the object's keys are written as the entry key's type.
  Status EncodeEntries(const json& j, const Node* w, std::string* out) {
    if (!j.is_object()) return Bad(j, w);
    if (!j.empty()) WriteLong(static_cast<int64_t>(j.size()), out);
    const Node* key_type = NonNull(w->items->fields[0].type);
    for (const auto& [k, v] : j.items()) {
      json key = k;
      if (key_type->type == AvroType::kInt || key_type->type == AvroType::kLong) {
        int64_t n;
        if (!ParseInt64(k, &n)) return Bad(key, key_type);
        key = n;
      } else if (key_type->type == AvroType::kBoolean) {
        key = k == "true";
      }
      SLUICE_RETURN_IF_ERROR(Encode(key, w->items->fields[0].type, out));
      SLUICE_RETURN_IF_ERROR(Encode(v, w->items->fields[1].type, out));
    }
    WriteLong(0, out);
    return Status::OK();
  }

  // Fields by exact name, else case-insensitively; an absent field takes its default, or
  // null when the schema allows it.
  Status EncodeRecord(const json& j, const Node* w, std::string* out) {
    if (!j.is_object()) return Bad(j, w);
    for (const FieldDef& f : w->fields) {
      const json* value = j.contains(f.name) ? &j[f.name] : nullptr;
      for (auto it = j.begin(); !value && it != j.end(); ++it)
        if (EqualsIgnoreCase(it.key(), f.name)) value = &*it;
      static const json kNull;
      if (!value) value = f.has_default ? &f.default_value : &kNull;
      SLUICE_RETURN_IF_ERROR(Encode(*value, f.type, out));
    }
    return Status::OK();
  }

  int depth_ = 0;
};
}  // namespace

Result<std::string> EncodeJson(const std::string& schema_text, const nlohmann::json& value) {
  auto schema = Schema::Parse(schema_text);
  if (!schema.ok()) return Status::SerdeError(schema.status().message());
  std::string out;
  JsonEncoder encoder;
  SLUICE_RETURN_IF_ERROR(encoder.Encode(value, schema.value()->root(), &out));
  return out;
}

}  // namespace sluice::serde::avro
