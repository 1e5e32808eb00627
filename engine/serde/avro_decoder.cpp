// Avro binary -> Value with ksqlDB's coercions. The writer's schema drives the walk; the
// column's SQL type says what to build. Everything reads through BinaryReader, which checks
// every length against the bytes left, so bad input is an error and never a read past the end.
#include "engine/serde/avro_decoder.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "engine/serde/json_coercion.h"
#include "engine/types/java_double.h"
#include "engine/types/java_hash_order.h"

namespace sluice::serde::avro {

namespace {
// An array or map item of a type that takes no bytes (null, an empty record) lets a few bytes
// claim any count: cap it, so a bad count is an error rather than a long loop.
constexpr int64_t kMaxZeroWidthItems = 1 << 20;

bool ZeroWidth(const Node* n) {
  return n->type == AvroType::kNull || (n->type == AvroType::kRecord && n->fields.empty());
}

const char* ConnectTypeName(const Node* w) {
  switch (w->type) {
    case AvroType::kNull: return "null";
    case AvroType::kBoolean: return "boolean";
    case AvroType::kInt: return "int32";
    case AvroType::kLong: return "int64";
    case AvroType::kFloat: return "float32";
    case AvroType::kDouble: return "float64";
    case AvroType::kString: case AvroType::kEnum: return "string";
    case AvroType::kBytes: case AvroType::kFixed: return "bytes";
    case AvroType::kArray: return w->map_entries ? "map" : "array";
    case AvroType::kMap: return "map";
    case AvroType::kRecord: case AvroType::kUnion: return "struct";
  }
  return "?";
}

const char* ConnectTypeName(const SqlType& t) {
  switch (t.kind) {
    case TypeKind::kBoolean: return "boolean";
    case TypeKind::kInteger: case TypeKind::kDate: case TypeKind::kTime: return "int32";
    case TypeKind::kBigint: case TypeKind::kTimestamp: return "int64";
    case TypeKind::kDouble: return "float64";
    case TypeKind::kString: return "string";
    case TypeKind::kBytes: case TypeKind::kDecimal: return "bytes";
    case TypeKind::kArray: return "array";
    case TypeKind::kMap: return "map";
    case TypeKind::kStruct: return "struct";
  }
  return "?";
}

// Java's Float.toString (String.valueOf(float), which ksqlDB applies to a FLOAT read into a
// STRING column): the shortest digits that read back as the float, Double.toString's layout.
std::string JavaFloatText(float f) {
  if (std::isnan(f) || std::isinf(f) || f == 0.0f) return FormatJavaDouble(static_cast<double>(f));
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, f, std::chars_format::scientific);
  std::string_view sci(buf, res.ptr - buf);  // e.g. "-1.25e+02"
  const bool negative = sci[0] == '-';
  if (negative) sci.remove_prefix(1);
  const size_t e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e)) if (c != '.') digits.push_back(c);
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  const int exponent = std::atoi(std::string(sci.substr(e + 1)).c_str());
  std::string out = negative ? "-" : "";
  if (exponent >= -3 && exponent < 7) {
    if (exponent < 0) {
      out += "0." + std::string(-exponent - 1, '0') + digits;
    } else {
      const size_t int_len = static_cast<size_t>(exponent) + 1;
      if (digits.size() < int_len + 1) digits.append(int_len + 1 - digits.size(), '0');
      out += digits.substr(0, int_len) + "." + digits.substr(int_len);
    }
    return out;
  }
  out += digits.substr(0, 1) + "." + (digits.size() > 1 ? digits.substr(1) : "0") + "E" +
         std::to_string(exponent);
  return out;
}

// A big-endian two's-complement integer of any width that fits 128 bits (wider encodings
// may only carry sign extension in their extra leading bytes).
bool TwosComplementToInt128(std::string_view raw, __int128* out) {
  if (raw.empty()) {
    *out = 0;
    return true;
  }
  const bool negative = static_cast<unsigned char>(raw[0]) & 0x80;
  while (raw.size() > 16) {
    if (static_cast<unsigned char>(raw[0]) != (negative ? 0xFF : 0x00)) return false;
    raw.remove_prefix(1);
  }
  unsigned __int128 v = negative ? ~static_cast<unsigned __int128>(0) : 0;
  for (char c : raw) v = (v << 8) | static_cast<unsigned char>(c);
  *out = static_cast<__int128>(v);
  return true;
}

}  // namespace

Status Decoder::Truncated() {
  return Status::SerdeError("Invalid Avro data: truncated or malformed value");
}

Status Decoder::Mismatch(const Node* w, const SqlType& target) const {
  std::string path;
  for (std::string_view s : path_) {
    path += "->";
    path.append(s.data(), s.size());
  }
  return Status::SerdeError(std::string("Cannot deserialize type ") + ConnectTypeName(w) +
                            " as type " + ConnectTypeName(target) + " for path: " + path);
}

Status Decoder::Decode(BinaryReader& in, const Node* w, const TypePtr& target, Value* out) {
  if (++depth_ > kMaxNestingDepth) {
    --depth_;
    return Status::SerdeError("Invalid Avro data: nested deeper than " + std::to_string(kMaxNestingDepth));
  }
  Status st = DecodeAny(in, w, target, out);
  --depth_;
  return st;
}

Status Decoder::DecodeAny(BinaryReader& in, const Node* w, const TypePtr& target, Value* out) {
  const SqlType& t = *target;
  switch (w->type) {
    case AvroType::kNull:
      *out = Value();
      return Status::OK();
    case AvroType::kBoolean: {
      bool b;
      if (!in.ReadBool(&b)) return Truncated();
      if (t.kind == TypeKind::kBoolean) *out = Value(b);
      else if (t.kind == TypeKind::kString) *out = Value(b ? "true" : "false");
      else return Mismatch(w, t);
      return Status::OK();
    }
    case AvroType::kInt: return DecodeInt(in, w, t, out);
    case AvroType::kLong: return DecodeLong(in, w, t, out);
    case AvroType::kFloat: case AvroType::kDouble: return DecodeFloating(in, w, t, out);
    case AvroType::kString: {
      std::string_view s;
      if (!in.ReadBytes(&s)) return Truncated();
      if (t.kind != TypeKind::kString) return Mismatch(w, t);
      *out = Value(std::string(s));
      return Status::OK();
    }
    case AvroType::kEnum: {
      int64_t idx;
      if (!in.ReadLong(&idx) || idx < 0 || idx >= static_cast<int64_t>(w->symbols.size()))
        return Status::SerdeError("Invalid Avro data: enum index out of range for " + w->full_name);
      if (t.kind != TypeKind::kString) return Mismatch(w, t);
      *out = Value(w->symbols[idx]);
      return Status::OK();
    }
    case AvroType::kBytes: case AvroType::kFixed: return DecodeBytes(in, w, t, out);
    case AvroType::kArray:
      return w->map_entries ? DecodeMapEntries(in, w, target, out) : DecodeArray(in, w, target, out);
    case AvroType::kMap: return DecodeMap(in, w, target, out);
    case AvroType::kRecord: return DecodeRecord(in, w, target, out);
    case AvroType::kUnion: return DecodeUnion(in, w, target, out);
  }
  return Mismatch(w, t);
}

// ["null", T] is an optional T. Other unions are Connect's union STRUCT: one field per branch
// (named "int", "string", a record's name), only the written one set; a non-STRUCT column
// takes the written branch's value as it is.
Status Decoder::DecodeUnion(BinaryReader& in, const Node* w, const TypePtr& target, Value* out) {
  int64_t idx;
  if (!in.ReadLong(&idx) || idx < 0 || idx >= static_cast<int64_t>(w->branches.size()))
    return Status::SerdeError("Invalid Avro data: union index out of range");
  const Node* branch = w->branches[idx];
  if (branch->type == AvroType::kNull) {
    *out = Value();
    return Status::OK();
  }
  // ["null", T] with a scalar T (every nullable column ksqlDB writes): no need for the depth
  // bookkeeping of a nested value.
  if (w->value_branch >= 0 && branch->type < AvroType::kRecord) return DecodeAny(in, branch, target, out);
  if (w->value_branch >= 0 || target->kind != TypeKind::kStruct ||
      (branch->type == AvroType::kRecord && w->branches.size() - (w->null_branch >= 0) == 1))
    return Decode(in, branch, target, out);
  std::vector<Value> fields(target->fields.size());
  const int pos = FindFieldIgnoreCase(target->fields, UnionBranchName(branch));
  if (pos < 0) {
    SLUICE_RETURN_IF_ERROR(Skip(in, branch));  // a branch the STRUCT has no field for
  } else {
    PushPath(target->fields[pos].name);
    Status st = Decode(in, branch, target->fields[pos].type, &fields[pos]);
    PopPath();
    SLUICE_RETURN_IF_ERROR(st);
  }
  *out = Value::Struct(target, std::move(fields));
  return Status::OK();
}

Status Decoder::DecodeInt(BinaryReader& in, const Node* w, const SqlType& t, Value* out) {
  int32_t v;
  if (!in.ReadInt(&v)) return Truncated();
  switch (t.kind) {
    case TypeKind::kInteger: *out = Value(v); return Status::OK();
    case TypeKind::kBigint: *out = Value(int64_t{v}); return Status::OK();
    case TypeKind::kString: *out = Value(std::to_string(v)); return Status::OK();
    // ksqlDB's DATE and TIME are Connect int32s: any int is read as days / millis of day.
    case TypeKind::kDate:
      if (w->logical != Logical::kNone && w->logical != Logical::kDate) break;
      *out = Value(Date{v});
      return Status::OK();
    case TypeKind::kTime:
      if (w->logical != Logical::kNone && w->logical != Logical::kTimeMillis) break;
      *out = Value(Time{v});
      return Status::OK();
    default: break;
  }
  return Mismatch(w, t);
}

Status Decoder::DecodeLong(BinaryReader& in, const Node* w, const SqlType& t, Value* out) {
  int64_t v;
  if (!in.ReadLong(&v)) return Truncated();
  switch (t.kind) {
    case TypeKind::kBigint: *out = Value(v); return Status::OK();
    case TypeKind::kString: *out = Value(std::to_string(v)); return Status::OK();
    case TypeKind::kTimestamp:  // a Connect int64: a plain long is epoch millis
      if (w->logical == Logical::kTimestampMillis || w->logical == Logical::kNone) *out = Value(Timestamp{v});
      else if (w->logical == Logical::kTimestampMicros) *out = Value(Timestamp{v / 1000});
      else break;
      return Status::OK();
    case TypeKind::kTime:
      if (w->logical != Logical::kTimeMicros) break;
      *out = Value(Time{static_cast<int32_t>(v / 1000)});
      return Status::OK();
    default: break;
  }
  return Mismatch(w, t);
}

Status Decoder::DecodeFloating(BinaryReader& in, const Node* w, const SqlType& t, Value* out) {
  double d;
  std::string text;
  if (w->type == AvroType::kFloat) {
    float f;
    if (!in.ReadFloat(&f)) return Truncated();
    d = f;
    if (t.kind == TypeKind::kString) text = JavaFloatText(f);
  } else {
    if (!in.ReadDouble(&d)) return Truncated();
    if (t.kind == TypeKind::kString) text = FormatJavaDouble(d);
  }
  if (t.kind == TypeKind::kDouble) *out = Value(d);
  else if (t.kind == TypeKind::kString) *out = Value(std::move(text));
  else return Mismatch(w, t);
  return Status::OK();
}

Status Decoder::DecodeBytes(BinaryReader& in, const Node* w, const SqlType& t, Value* out) {
  std::string_view raw;
  bool ok = w->type == AvroType::kFixed ? in.ReadFixed(static_cast<size_t>(w->fixed_size), &raw)
                                        : in.ReadBytes(&raw);
  if (!ok) return Truncated();
  if (w->logical == Logical::kDecimal) return DecodeDecimal(raw, w, t, out);
  if (t.kind != TypeKind::kBytes) return Mismatch(w, t);
  *out = Value(Bytes{std::string(raw)});
  return Status::OK();
}

Status Decoder::DecodeDecimal(std::string_view raw, const Node* w, const SqlType& t, Value* out) {
  if (t.kind != TypeKind::kDecimal) return Mismatch(w, t);
  Decimal d;
  if (!TwosComplementToInt128(raw, &d.unscaled))
    return Status::SerdeError("Invalid Avro data: decimal wider than 38 digits");
  d.scale = w->scale;
  if (d.scale != t.scale) d = d.Rescale(t.scale);
  if (d.unscaled != 0 && d.Precision() > t.precision)
    return Status::SerdeError("Cannot fit decimal '" + d.ToString() + "' into " + t.ToString() +
                              " without rounding.");
  *out = Value(d);
  return Status::OK();
}

Status Decoder::ReadBlockCount(BinaryReader& in, const Node* item, int64_t* count) {
  if (!in.ReadLong(count)) return Truncated();
  if (*count < 0) {  // a negative count is followed by the block's size in bytes
    int64_t size;
    if (*count == INT64_MIN || !in.ReadLong(&size) || size < 0) return Truncated();
    *count = -*count;
  }
  const int64_t limit = ZeroWidth(item) ? kMaxZeroWidthItems : static_cast<int64_t>(in.remaining());
  if (*count > limit) return Status::SerdeError("Invalid Avro data: block count " +
                                                std::to_string(*count) + " exceeds the data");
  return Status::OK();
}

Status Decoder::DecodeArray(BinaryReader& in, const Node* w, const TypePtr& target, Value* out) {
  if (target->kind != TypeKind::kArray) return Mismatch(w, *target);
  ArrayValue items;
  PushPath("ARRAY");
  for (;;) {
    int64_t count;
    Status st = ReadBlockCount(in, w->items, &count);
    if (st.ok() && count == 0) break;
    for (int64_t i = 0; st.ok() && i < count; ++i) {
      items.emplace_back();
      st = Decode(in, w->items, target->element, &items.back());
    }
    if (!st.ok()) {
      PopPath();
      return st;
    }
  }
  PopPath();
  *out = Value::Array(std::move(items));
  return Status::OK();
}

// Avro map keys are strings; ksqlDB's MAP keys from Avro are STRING too.
Status Decoder::DecodeMap(BinaryReader& in, const Node* w, const TypePtr& target, Value* out) {
  if (target->kind != TypeKind::kMap || target->key->kind != TypeKind::kString) return Mismatch(w, *target);
  MapValue entries;
  PushPath("MAP_VAL");
  for (;;) {
    int64_t count;
    Status st = ReadBlockCount(in, w->values, &count);
    if (st.ok() && count == 0) break;
    for (int64_t i = 0; st.ok() && i < count; ++i) {
      std::string_view key;
      if (!in.ReadBytes(&key)) {
        st = Truncated();
        break;
      }
      entries.emplace_back(Value(std::string(key)), Value());
      st = Decode(in, w->values, target->value, &entries.back().second);
    }
    if (!st.ok()) {
      PopPath();
      return st;
    }
  }
  PopPath();
  OrderLikeDefaultJavaHashMap(&entries);
  *out = Value::Map(std::move(entries));
  return Status::OK();
}

// Connect's map-as-array: records {key, value}; ksqlDB reads the keys as STRING.
Status Decoder::DecodeMapEntries(BinaryReader& in, const Node* w, const TypePtr& target, Value* out) {
  if (target->kind != TypeKind::kMap) return Mismatch(w, *target);
  const Node* entry = w->items;
  MapValue entries;
  for (;;) {
    int64_t count;
    SLUICE_RETURN_IF_ERROR(ReadBlockCount(in, entry, &count));
    if (count == 0) break;
    for (int64_t i = 0; i < count; ++i) {
      Value k, v;
      PushPath("MAP_KEY");
      Status st = Decode(in, entry->fields[0].type, target->key, &k);
      PopPath();
      SLUICE_RETURN_IF_ERROR(st);
      PushPath("MAP_VAL");
      st = Decode(in, entry->fields[1].type, target->value, &v);
      PopPath();
      SLUICE_RETURN_IF_ERROR(st);
      entries.emplace_back(std::move(k), std::move(v));
    }
  }
  OrderLikeDefaultJavaHashMap(&entries);
  *out = Value::Map(std::move(entries));
  return Status::OK();
}

// Writer fields are matched to the STRUCT's fields by upper-cased name, as ksqlDB does; the
// writer's other fields are skipped and the STRUCT's missing ones stay NULL.
Status Decoder::DecodeRecord(BinaryReader& in, const Node* w, const TypePtr& target, Value* out) {
  if (target->kind != TypeKind::kStruct) return Mismatch(w, *target);
  std::vector<Value> fields(target->fields.size());
  for (const FieldDef& f : w->fields) {
    const int pos = FindFieldIgnoreCase(target->fields, f.name);
    if (pos < 0) {
      SLUICE_RETURN_IF_ERROR(Skip(in, f.type));
      continue;
    }
    PushPath(target->fields[pos].name);
    Status st = Decode(in, f.type, target->fields[pos].type, &fields[pos]);
    PopPath();
    SLUICE_RETURN_IF_ERROR(st);
  }
  *out = Value::Struct(target, std::move(fields));
  return Status::OK();
}

Status Decoder::Skip(BinaryReader& in, const Node* w) {
  if (++depth_ > kMaxNestingDepth) {
    --depth_;
    return Status::SerdeError("Invalid Avro data: nested deeper than " + std::to_string(kMaxNestingDepth));
  }
  struct DepthGuard {
    int* d;
    ~DepthGuard() { --*d; }
  } guard{&depth_};
  int64_t n;
  std::string_view sv;
  switch (w->type) {
    case AvroType::kNull: return Status::OK();
    case AvroType::kBoolean: return in.Skip(1) ? Status::OK() : Truncated();
    case AvroType::kInt: case AvroType::kLong: case AvroType::kEnum:
      return in.ReadLong(&n) ? Status::OK() : Truncated();
    case AvroType::kFloat: return in.Skip(4) ? Status::OK() : Truncated();
    case AvroType::kDouble: return in.Skip(8) ? Status::OK() : Truncated();
    case AvroType::kBytes: case AvroType::kString: return in.ReadBytes(&sv) ? Status::OK() : Truncated();
    case AvroType::kFixed: return in.Skip(static_cast<uint64_t>(w->fixed_size)) ? Status::OK() : Truncated();
    case AvroType::kRecord:
      for (const FieldDef& f : w->fields) SLUICE_RETURN_IF_ERROR(Skip(in, f.type));
      return Status::OK();
    case AvroType::kUnion:
      if (!in.ReadLong(&n) || n < 0 || n >= static_cast<int64_t>(w->branches.size()))
        return Status::SerdeError("Invalid Avro data: union index out of range");
      return Skip(in, w->branches[n]);
    case AvroType::kArray: case AvroType::kMap: {
      const Node* item = w->type == AvroType::kArray ? w->items : w->values;
      for (;;) {
        if (!in.ReadLong(&n)) return Truncated();
        if (n == 0) return Status::OK();
        if (n < 0) {  // the block's byte size follows: skip it whole
          int64_t size;
          if (n == INT64_MIN || !in.ReadLong(&size) || size < 0 || !in.Skip(static_cast<uint64_t>(size)))
            return Truncated();
          continue;
        }
        const int64_t limit = ZeroWidth(item) ? kMaxZeroWidthItems : static_cast<int64_t>(in.remaining());
        if (n > limit) return Status::SerdeError("Invalid Avro data: block count exceeds the data");
        for (int64_t i = 0; i < n; ++i) {
          if (w->type == AvroType::kMap && !in.ReadBytes(&sv)) return Truncated();
          SLUICE_RETURN_IF_ERROR(Skip(in, item));
        }
      }
    }
  }
  return Status::OK();
}

}  // namespace sluice::serde::avro
