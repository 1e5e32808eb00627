// Value -> Avro binary (see avro_encoder.h).
#include "engine/serde/avro_encoder.h"

#include <algorithm>

#include "engine/serde/json_coercion.h"

namespace sluice::serde::avro {

namespace {

// Java's BigInteger.toByteArray: the shortest big-endian two's complement that keeps the sign.
std::string MinimalTwosComplement(__int128 v) {
  char buf[16];
  auto u = static_cast<unsigned __int128>(v);
  for (int i = 15; i >= 0; --i) {
    buf[i] = static_cast<char>(u & 0xFF);
    u >>= 8;
  }
  int start = 0;
  const char fill = v < 0 ? static_cast<char>(0xFF) : 0;
  while (start < 15 && buf[start] == fill && ((buf[start + 1] & 0x80) != 0) == (v < 0)) ++start;
  return std::string(buf + start, 16 - start);
}

std::string Renamed(std::string name) {
  for (char& c : name) if (c == '.') c = '_';
  return name;
}
}  // namespace

std::vector<int> MatchFields(const Node* w, const std::vector<std::string>& names) {
  std::vector<int> map(w->fields.size(), -1);
  for (size_t i = 0; i < w->fields.size(); ++i) {
    const std::string& f = w->fields[i].name;
    for (size_t j = 0; j < names.size() && map[i] < 0; ++j)
      if (names[j] == f || Renamed(names[j]) == f) map[i] = static_cast<int>(j);
    for (size_t j = 0; j < names.size() && map[i] < 0; ++j)
      if (EqualsIgnoreCase(names[j], f)) map[i] = static_cast<int>(j);
  }
  return map;
}

bool Accepts(const Node* w, const Value& v) {
  switch (w->type) {
    case AvroType::kNull: return v.IsNull();
    case AvroType::kBoolean: return v.IsBool();
    case AvroType::kInt:
      if (w->logical == Logical::kDate) return v.IsDate();
      if (w->logical == Logical::kTimeMillis) return v.IsTime();
      return v.IsInt();
    case AvroType::kLong:
      if (w->logical == Logical::kTimestampMillis || w->logical == Logical::kTimestampMicros)
        return v.IsTimestamp();
      if (w->logical == Logical::kTimeMicros) return v.IsTime();
      return v.IsInt() || v.IsBigint();
    case AvroType::kFloat: case AvroType::kDouble: return v.IsDouble() || v.IsInt() || v.IsBigint();
    case AvroType::kString: return v.IsString();
    case AvroType::kEnum:
      return v.IsString() &&
             std::find(w->symbols.begin(), w->symbols.end(), v.AsString()) != w->symbols.end();
    case AvroType::kBytes:
      return w->logical == Logical::kDecimal ? v.IsDecimal() : v.IsBytes();
    case AvroType::kFixed:
      return w->logical == Logical::kDecimal
                 ? v.IsDecimal()
                 : v.IsBytes() && v.AsBytes().data.size() == static_cast<size_t>(w->fixed_size);
    case AvroType::kArray: return w->map_entries ? v.IsMap() : v.IsArray();
    case AvroType::kMap: return v.IsMap();
    case AvroType::kRecord: return v.IsStruct();
    case AvroType::kUnion:
      for (const Node* b : w->branches)
        if (Accepts(b, v)) return true;
      return false;
  }
  return false;
}

Status Encoder::Mismatch(const Value& v, const Node* w) {
  if (v.IsNull())
    return Status::SerdeError("Conversion error: null value for field that is required and has no default value");
  return Status::SerdeError("Invalid value " + v.ToString() + " for Avro type " +
                            (w->full_name.empty() ? UnionBranchName(w) : w->full_name));
}

Status Encoder::Encode(const Value& v, const Node* w, std::string* out) {
  if (++depth_ > kMaxNestingDepth) {
    --depth_;
    return Status::SerdeError("Avro value nested deeper than " + std::to_string(kMaxNestingDepth));
  }
  Status st;
  switch (w->type) {
    case AvroType::kUnion: st = EncodeUnion(v, w, out); break;
    case AvroType::kArray: st = w->map_entries ? EncodeMap(v, w, out) : EncodeArray(v, w, out); break;
    case AvroType::kMap: st = EncodeMap(v, w, out); break;
    case AvroType::kRecord: st = EncodeRecord(v, w, out); break;
    default: st = EncodeScalar(v, w, out); break;
  }
  --depth_;
  return st;
}

Status Encoder::EncodeField(const Value& v, const FieldDef& f, std::string* out) {
  if (v.IsNull() && f.has_default && !f.default_value.is_null()) return EncodeDefault(f.default_value, f.type, out);
  return Encode(v, f.type, out);
}

Status Encoder::EncodeUnion(const Value& v, const Node* w, std::string* out) {
  int branch = -1;
  if (v.IsNull()) branch = w->null_branch;
  else if (w->value_branch >= 0) branch = w->value_branch;
  else
    for (size_t i = 0; i < w->branches.size() && branch < 0; ++i)
      if (w->branches[i]->type != AvroType::kNull && Accepts(w->branches[i], v)) branch = static_cast<int>(i);
  if (branch < 0) return Mismatch(v, w);
  WriteLong(branch, out);
  const Node* b = w->branches[branch];
  return b->type < AvroType::kRecord ? EncodeScalar(v, b, out) : Encode(v, b, out);
}

Status Encoder::EncodeScalar(const Value& v, const Node* w, std::string* out) {
  if (v.IsNull()) return w->type == AvroType::kNull ? Status::OK() : Mismatch(v, w);
  switch (w->type) {
    case AvroType::kNull: return Mismatch(v, w);
    case AvroType::kBoolean:
      if (!v.IsBool()) return Mismatch(v, w);
      WriteBool(v.AsBool(), out);
      return Status::OK();
    case AvroType::kInt:
      if (v.IsInt()) WriteLong(v.AsInt(), out);
      else if (v.IsDate()) WriteLong(v.AsDate().days, out);
      else if (v.IsTime()) WriteLong(v.AsTime().millis, out);
      else return Mismatch(v, w);
      return Status::OK();
    case AvroType::kLong:
      if (v.IsBigint()) WriteLong(v.AsBigint(), out);
      else if (v.IsInt()) WriteLong(v.AsInt(), out);
      else if (v.IsTimestamp())
        WriteLong(v.AsTimestamp().millis * (w->logical == Logical::kTimestampMicros ? 1000 : 1), out);
      else if (v.IsTime())
        WriteLong(int64_t{v.AsTime().millis} * (w->logical == Logical::kTimeMicros ? 1000 : 1), out);
      else return Mismatch(v, w);
      return Status::OK();
    case AvroType::kFloat: case AvroType::kDouble: {
      if (!v.IsDouble() && !v.IsInt() && !v.IsBigint() && !v.IsDecimal()) return Mismatch(v, w);
      const double d = v.ToDouble();
      if (w->type == AvroType::kFloat) WriteFloat(static_cast<float>(d), out);
      else WriteDouble(d, out);
      return Status::OK();
    }
    case AvroType::kString:
      if (!v.IsString()) return Mismatch(v, w);
      WriteBytes(v.AsString(), out);
      return Status::OK();
    case AvroType::kEnum: {
      if (!v.IsString()) return Mismatch(v, w);
      auto it = std::find(w->symbols.begin(), w->symbols.end(), v.AsString());
      if (it == w->symbols.end())
        return Status::SerdeError("Invalid enum symbol '" + v.AsString() + "' for " + w->full_name);
      WriteLong(it - w->symbols.begin(), out);
      return Status::OK();
    }
    case AvroType::kBytes: case AvroType::kFixed:
      if (w->logical == Logical::kDecimal) return EncodeDecimal(v, w, out);
      if (!v.IsBytes()) return Mismatch(v, w);
      if (w->type == AvroType::kBytes) {
        WriteBytes(v.AsBytes().data, out);
      } else {
        if (v.AsBytes().data.size() != static_cast<size_t>(w->fixed_size)) return Mismatch(v, w);
        out->append(v.AsBytes().data);
      }
      return Status::OK();
    default: return Mismatch(v, w);
  }
}

// Connect writes BigDecimal's unscaled value at the schema's scale (ksqlDB fits the value to
// the column's precision and scale first, rounding HALF_UP).
Status Encoder::EncodeDecimal(const Value& v, const Node* w, std::string* out) {
  if (!v.IsDecimal()) return Mismatch(v, w);
  Decimal d = v.AsDecimal();
  if (d.scale != w->scale) d = d.Rescale(w->scale);
  if (w->precision > 0 && d.unscaled != 0 && d.Precision() > w->precision)
    return Status::SerdeError("Cannot fit decimal '" + d.ToString() + "' into DECIMAL(" +
                              std::to_string(w->precision) + ", " + std::to_string(w->scale) + ")");
  std::string raw = MinimalTwosComplement(d.unscaled);
  if (w->type == AvroType::kBytes) {
    WriteBytes(raw, out);
    return Status::OK();
  }
  if (raw.size() > static_cast<size_t>(w->fixed_size)) return Mismatch(v, w);
  out->append(w->fixed_size - raw.size(), d.unscaled < 0 ? static_cast<char>(0xFF) : 0);
  out->append(raw);
  return Status::OK();
}

Status Encoder::EncodeArray(const Value& v, const Node* w, std::string* out) {
  if (!v.IsArray()) return Mismatch(v, w);
  const ArrayValue& items = v.AsArray();
  if (!items.empty()) {
    WriteLong(static_cast<int64_t>(items.size()), out);
    for (const Value& item : items) SLUICE_RETURN_IF_ERROR(Encode(item, w->items, out));
  }
  WriteLong(0, out);
  return Status::OK();
}

// An Avro map (string keys) or Connect's MapEntry array, from a MAP value.
Status Encoder::EncodeMap(const Value& v, const Node* w, std::string* out) {
  if (!v.IsMap()) return Mismatch(v, w);
  const MapValue& entries = v.AsMap();
  if (!entries.empty()) {
    WriteLong(static_cast<int64_t>(entries.size()), out);
    for (const auto& [key, value] : entries) {
      if (w->map_entries) {
        SLUICE_RETURN_IF_ERROR(EncodeField(key, w->items->fields[0], out));
        SLUICE_RETURN_IF_ERROR(EncodeField(value, w->items->fields[1], out));
      } else {
        if (key.IsNull()) return Status::SerdeError("Avro map keys cannot be null");
        WriteBytes(key.IsString() ? key.AsString() : key.ToString(), out);
        SLUICE_RETURN_IF_ERROR(Encode(value, w->values, out));
      }
    }
  }
  WriteLong(0, out);
  return Status::OK();
}

const std::vector<int>& Encoder::FieldMap(const Node* w, const SqlType* t) {
  auto key = std::make_pair(w, t);
  auto it = field_maps_.find(key);
  if (it != field_maps_.end()) return it->second;
  if (field_maps_.size() > 4096) field_maps_.clear();  // struct types made per record: stay bounded
  std::vector<std::string> names;
  for (const StructField& f : t->fields) names.push_back(f.name);
  return field_maps_.emplace(key, MatchFields(w, names)).first->second;
}

Status Encoder::EncodeRecord(const Value& v, const Node* w, std::string* out) {
  if (!v.IsStruct()) return Mismatch(v, w);
  const StructValue& s = v.AsStruct();
  const std::vector<int>& map = FieldMap(w, s.type.get());
  static const Value kNull;
  for (size_t i = 0; i < w->fields.size(); ++i) {
    const Value& field = map[i] >= 0 && static_cast<size_t>(map[i]) < s.fields.size() ? s.fields[map[i]] : kNull;
    SLUICE_RETURN_IF_ERROR(EncodeField(field, w->fields[i], out));
  }
  return Status::OK();
}

// Avro's JSON encoding of defaults: a union's default is its first branch's; bytes and fixed
// are strings of code points 0-255.
Status Encoder::EncodeDefault(const nlohmann::json& d, const Node* w, std::string* out) {
  auto bad = [&] { return Status::SerdeError("Invalid default " + d.dump() + " in Avro schema"); };
  switch (w->type) {
    case AvroType::kNull: return d.is_null() ? Status::OK() : bad();
    case AvroType::kBoolean: if (!d.is_boolean()) return bad(); WriteBool(d.get<bool>(), out); return Status::OK();
    case AvroType::kInt: case AvroType::kLong:
      if (!d.is_number_integer()) return bad();
      WriteLong(d.get<int64_t>(), out);
      return Status::OK();
    case AvroType::kFloat: if (!d.is_number()) return bad(); WriteFloat(d.get<float>(), out); return Status::OK();
    case AvroType::kDouble: if (!d.is_number()) return bad(); WriteDouble(d.get<double>(), out); return Status::OK();
    case AvroType::kString: if (!d.is_string()) return bad(); WriteBytes(d.get<std::string>(), out); return Status::OK();
    case AvroType::kEnum: if (!d.is_string()) return bad(); return EncodeScalar(Value(d.get<std::string>()), w, out);
    case AvroType::kBytes: case AvroType::kFixed: {
      if (!d.is_string()) return bad();
      std::string raw;  // UTF-8 text of code points < 256 -> those bytes
      const std::string s = d.get<std::string>();
      for (size_t i = 0; i < s.size(); ++i) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0xC0 && c < 0xC4 && i + 1 < s.size()) raw.push_back(static_cast<char>(((c & 0x03) << 6) | (s[++i] & 0x3F)));
        else raw.push_back(static_cast<char>(c));
      }
      if (w->type == AvroType::kBytes) WriteBytes(raw, out);
      else if (raw.size() == static_cast<size_t>(w->fixed_size)) out->append(raw);
      else return bad();
      return Status::OK();
    }
    case AvroType::kArray: {
      if (!d.is_array()) return bad();
      if (!d.empty()) WriteLong(static_cast<int64_t>(d.size()), out);
      for (const auto& item : d) SLUICE_RETURN_IF_ERROR(EncodeDefault(item, w->items, out));
      WriteLong(0, out);
      return Status::OK();
    }
    case AvroType::kMap: {
      if (!d.is_object()) return bad();
      if (!d.empty()) WriteLong(static_cast<int64_t>(d.size()), out);
      for (const auto& [k, item] : d.items()) {
        WriteBytes(k, out);
        SLUICE_RETURN_IF_ERROR(EncodeDefault(item, w->values, out));
      }
      WriteLong(0, out);
      return Status::OK();
    }
    case AvroType::kRecord:
      if (!d.is_object()) return bad();
      for (const FieldDef& f : w->fields) {
        if (d.contains(f.name)) SLUICE_RETURN_IF_ERROR(EncodeDefault(d[f.name], f.type, out));
        else if (f.has_default) SLUICE_RETURN_IF_ERROR(EncodeDefault(f.default_value, f.type, out));
        else return bad();
      }
      return Status::OK();
    case AvroType::kUnion:
      WriteLong(0, out);
      return EncodeDefault(d, w->branches[0], out);
  }
  return bad();
}

}  // namespace sluice::serde::avro
