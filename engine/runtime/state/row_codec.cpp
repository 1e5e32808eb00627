#include "engine/runtime/state/row_codec.h"

#include <cstring>

namespace sluice {

namespace {

enum Tag : uint8_t {
  kNull, kFalse, kTrue, kInt, kBigint, kDouble, kDecimal, kString, kBytes, kDate, kTime,
  kTimestamp, kArray, kMap, kStruct
};

template <typename T>
void PutFixed(T v, std::string* out) {
  char buf[sizeof(T)];
  std::memcpy(buf, &v, sizeof(T));
  out->append(buf, sizeof(T));
}

void PutLength(uint32_t n, std::string* out) { PutFixed<uint32_t>(n, out); }

void PutBlob(const std::string& s, std::string* out) {
  PutLength(static_cast<uint32_t>(s.size()), out);
  out->append(s);
}

class Reader {
 public:
  Reader(std::string_view b, size_t* pos) : b_(b), pos_(pos) {}
  template <typename T>
  bool Fixed(T* v) {
    if (b_.size() - *pos_ < sizeof(T)) return false;
    std::memcpy(v, b_.data() + *pos_, sizeof(T));
    *pos_ += sizeof(T);
    return true;
  }
  bool Blob(std::string* s) {
    uint32_t n = 0;
    if (!Fixed(&n) || b_.size() - *pos_ < n) return false;
    s->assign(b_.data() + *pos_, n);
    *pos_ += n;
    return true;
  }

 private:
  std::string_view b_;
  size_t* pos_;
};

Status Malformed() { return Status::SerdeError("malformed internal row encoding"); }

TypePtr ElementType(const TypePtr& t) { return t && t->kind == TypeKind::kArray ? t->element : nullptr; }
TypePtr MapKeyType(const TypePtr& t) { return t && t->kind == TypeKind::kMap ? t->key : nullptr; }
TypePtr MapValueType(const TypePtr& t) { return t && t->kind == TypeKind::kMap ? t->value : nullptr; }

}  // namespace

void EncodeValue(const Value& v, std::string* out) {
  if (v.IsNull()) return out->push_back(static_cast<char>(kNull));
  if (v.IsBool()) return out->push_back(static_cast<char>(v.AsBool() ? kTrue : kFalse));
  if (v.IsInt()) { out->push_back(static_cast<char>(kInt)); return PutFixed(v.AsInt(), out); }
  if (v.IsBigint()) { out->push_back(static_cast<char>(kBigint)); return PutFixed(v.AsBigint(), out); }
  if (v.IsDouble()) { out->push_back(static_cast<char>(kDouble)); return PutFixed(v.AsDouble(), out); }
  if (v.IsDecimal()) {
    out->push_back(static_cast<char>(kDecimal));
    PutFixed(v.AsDecimal().unscaled, out);
    return PutFixed(v.AsDecimal().scale, out);
  }
  if (v.IsString()) { out->push_back(static_cast<char>(kString)); return PutBlob(v.AsString(), out); }
  if (v.IsBytes()) { out->push_back(static_cast<char>(kBytes)); return PutBlob(v.AsBytes().data, out); }
  if (v.IsDate()) { out->push_back(static_cast<char>(kDate)); return PutFixed(v.AsDate().days, out); }
  if (v.IsTime()) { out->push_back(static_cast<char>(kTime)); return PutFixed(v.AsTime().millis, out); }
  if (v.IsTimestamp()) { out->push_back(static_cast<char>(kTimestamp)); return PutFixed(v.AsTimestamp().millis, out); }
  if (v.IsArray()) {
    out->push_back(static_cast<char>(kArray));
    PutLength(static_cast<uint32_t>(v.AsArray().size()), out);
    for (const auto& item : v.AsArray()) EncodeValue(item, out);
    return;
  }
  if (v.IsMap()) {
    out->push_back(static_cast<char>(kMap));
    PutLength(static_cast<uint32_t>(v.AsMap().size()), out);
    for (const auto& [k, val] : v.AsMap()) {
      EncodeValue(k, out);
      EncodeValue(val, out);
    }
    return;
  }
  const StructValue& s = v.AsStruct();
  out->push_back(static_cast<char>(kStruct));
  PutLength(static_cast<uint32_t>(s.fields.size()), out);
  for (const auto& f : s.fields) EncodeValue(f, out);
}

Status DecodeValue(std::string_view bytes, size_t* pos, const TypePtr& type, Value* out) {
  if (*pos >= bytes.size()) return Malformed();
  const auto tag = static_cast<Tag>(bytes[(*pos)++]);
  Reader r(bytes, pos);
  switch (tag) {
    case kNull: *out = Value(); return Status::OK();
    case kFalse: *out = Value(false); return Status::OK();
    case kTrue: *out = Value(true); return Status::OK();
    case kInt: { int32_t v; if (!r.Fixed(&v)) return Malformed(); *out = Value(v); return Status::OK(); }
    case kBigint: { int64_t v; if (!r.Fixed(&v)) return Malformed(); *out = Value(v); return Status::OK(); }
    case kDouble: { double v; if (!r.Fixed(&v)) return Malformed(); *out = Value(v); return Status::OK(); }
    case kDecimal: {
      Decimal d;
      if (!r.Fixed(&d.unscaled) || !r.Fixed(&d.scale)) return Malformed();
      *out = Value(d);
      return Status::OK();
    }
    case kString: { std::string s; if (!r.Blob(&s)) return Malformed(); *out = Value(std::move(s)); return Status::OK(); }
    case kBytes: { Bytes b; if (!r.Blob(&b.data)) return Malformed(); *out = Value(std::move(b)); return Status::OK(); }
    case kDate: { Date d; if (!r.Fixed(&d.days)) return Malformed(); *out = Value(d); return Status::OK(); }
    case kTime: { Time t; if (!r.Fixed(&t.millis)) return Malformed(); *out = Value(t); return Status::OK(); }
    case kTimestamp: { Timestamp t; if (!r.Fixed(&t.millis)) return Malformed(); *out = Value(t); return Status::OK(); }
    case kArray: {
      uint32_t n = 0;
      if (!r.Fixed(&n) || n > bytes.size()) return Malformed();
      ArrayValue items(n);
      for (auto& item : items) SLUICE_RETURN_IF_ERROR(DecodeValue(bytes, pos, ElementType(type), &item));
      *out = Value::Array(std::move(items));
      return Status::OK();
    }
    case kMap: {
      uint32_t n = 0;
      if (!r.Fixed(&n) || n > bytes.size()) return Malformed();
      MapValue entries(n);
      for (auto& [k, v] : entries) {
        SLUICE_RETURN_IF_ERROR(DecodeValue(bytes, pos, MapKeyType(type), &k));
        SLUICE_RETURN_IF_ERROR(DecodeValue(bytes, pos, MapValueType(type), &v));
      }
      *out = Value::Map(std::move(entries));
      return Status::OK();
    }
    case kStruct: {
      uint32_t n = 0;
      if (!r.Fixed(&n) || n > bytes.size()) return Malformed();
      if (!type || type->kind != TypeKind::kStruct || type->fields.size() != n) return Malformed();
      std::vector<Value> fields(n);
      for (uint32_t i = 0; i < n; ++i)
        SLUICE_RETURN_IF_ERROR(DecodeValue(bytes, pos, type->fields[i].type, &fields[i]));
      *out = Value::Struct(type, std::move(fields));
      return Status::OK();
    }
  }
  return Malformed();
}

void EncodeRow(const Row& row, std::string* out) {
  PutLength(static_cast<uint32_t>(row.size()), out);
  for (const auto& v : row) EncodeValue(v, out);
}

Status DecodeRow(std::string_view bytes, const std::vector<TypePtr>& types, Row* out) {
  size_t pos = 0;
  uint32_t n = 0;
  Reader r(bytes, &pos);
  if (!r.Fixed(&n) || n > bytes.size()) return Malformed();
  out->resize(n);
  for (uint32_t i = 0; i < n; ++i)
    SLUICE_RETURN_IF_ERROR(DecodeValue(bytes, &pos, i < types.size() ? types[i] : nullptr, &(*out)[i]));
  if (pos != bytes.size()) return Malformed();
  return Status::OK();
}

}  // namespace sluice
