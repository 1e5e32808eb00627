// Protobuf wire bytes <-> Values through plans compiled from a descriptor and SQL types.
// Semantics are those of Confluent's ProtobufData as ksqlDB uses it: a field absent from the
// bytes reads as its proto3 default unless it has presence (a message, a wrapper, an
// `optional` field: then NULL); repeated fields read as [] and maps as {}; enums read as their
// value's name; float widens to DOUBLE, uint32 to BIGINT.
#include "engine/serde/protobuf_codec.h"

#include <strings.h>

#include <cmath>

#include "engine/expr/java_time_format.h"

namespace sluice::serde::pb {

using FD = gpb::FieldDescriptor;

// What a field's bytes hold, as far as the plans care. Outside the anonymous namespace: the
// FieldReader and FieldWriter of protobuf_codec.h hold one.
enum class Shape : uint8_t { kScalar, kStruct, kMap, kWrapper, kTimestamp, kDate, kTime, kDecimal };

namespace {

Shape ShapeOf(const FD* f) {
  if (f->type() != FD::TYPE_MESSAGE) return Shape::kScalar;
  if (!f->is_repeated() && KindOf(f->message_type()) == MessageKind::kMapEntry) return Shape::kStruct;
  switch (KindOf(f->message_type())) {
    case MessageKind::kStruct: return Shape::kStruct;
    case MessageKind::kMapEntry: return Shape::kMap;
    case MessageKind::kWrapper: return Shape::kWrapper;
    case MessageKind::kTimestamp: return Shape::kTimestamp;
    case MessageKind::kDate: return Shape::kDate;
    case MessageKind::kTime: return Shape::kTime;
    case MessageKind::kDecimal: return Shape::kDecimal;
  }
  return Shape::kStruct;
}

uint32_t WireTypeOf(FD::Type t) {
  switch (t) {
    case FD::TYPE_DOUBLE: case FD::TYPE_FIXED64: case FD::TYPE_SFIXED64: return kFixed64;
    case FD::TYPE_FLOAT: case FD::TYPE_FIXED32: case FD::TYPE_SFIXED32: return kFixed32;
    case FD::TYPE_STRING: case FD::TYPE_BYTES: case FD::TYPE_MESSAGE: return kLengthDelimited;
    case FD::TYPE_GROUP: return kStartGroup;
    default: return kVarint;
  }
}

// The SQL kind a scalar protobuf type reads as before any coercion to the column's type.
TypeKind NaturalKind(FD::Type t) {
  switch (t) {
    case FD::TYPE_INT32: case FD::TYPE_SINT32: case FD::TYPE_SFIXED32: return TypeKind::kInteger;
    case FD::TYPE_FLOAT: case FD::TYPE_DOUBLE: return TypeKind::kDouble;
    case FD::TYPE_BOOL: return TypeKind::kBoolean;
    case FD::TYPE_STRING: case FD::TYPE_ENUM: return TypeKind::kString;
    case FD::TYPE_BYTES: return TypeKind::kBytes;
    default: return TypeKind::kBigint;
  }
}

bool IsNumber(TypeKind k) {
  return k == TypeKind::kInteger || k == TypeKind::kBigint || k == TypeKind::kDouble ||
         k == TypeKind::kDecimal;
}

// Whether a scalar of kind `from` may fill a column of kind `to` (either direction: the same
// rule serves reading and writing).
bool ScalarFits(TypeKind from, TypeKind to) {
  if (from == to) return true;
  if (IsNumber(from) && IsNumber(to)) return true;
  if (to == TypeKind::kString && from != TypeKind::kBytes) return true;  // read as text
  return false;
}

std::string Describe(const FD* f) {
  std::string t = f->type() == FD::TYPE_MESSAGE ? f->message_type()->full_name()
                  : f->type() == FD::TYPE_ENUM  ? f->enum_type()->full_name()
                                                : f->type_name();
  return (f->is_repeated() ? "repeated " : "") + t + " " + f->name();
}

Status Mismatch(const FD* f, const SqlType& type) {
  return Status::SerdeError("Protobuf field '" + Describe(f) + "' cannot hold SQL type " +
                            type.ToString());
}

// Finds the field for `name`: exact match first, then case-insensitive (ksqlDB resolves
// Connect field names to columns the same way).
const FD* FieldByName(const gpb::Descriptor* m, const std::string& name) {
  if (const FD* f = m->FindFieldByName(name)) return f;
  for (int i = 0; i < m->field_count(); ++i)
    if (strcasecmp(m->field(i)->name().c_str(), name.c_str()) == 0) return m->field(i);
  return nullptr;
}

const gpb::OneofDescriptor* OneofByName(const gpb::Descriptor* m, const std::string& name) {
  for (int i = 0; i < m->real_oneof_decl_count(); ++i) {
    const gpb::OneofDescriptor* o = m->oneof_decl(i);
    if (strcasecmp((o->name() + "_" + std::to_string(o->index())).c_str(), name.c_str()) == 0) return o;
  }
  return nullptr;
}

// Calendar and floor division as java.time does them (engine/expr/java_time_format.h).
using jtime::DaysFromCivil;
using jtime::FloorDiv;

}  // namespace

// =============================================================================================
// Reading

struct FieldReader {
  int number = 0;
  FD::Type ptype = FD::TYPE_INT32;
  Shape shape = Shape::kScalar;
  bool repeated = false;
  bool packable = false;
  uint32_t wire_type = kVarint;
  bool direct = false;         // a scalar whose natural kind is the target's: no coercion
  int slot = 0;
  int repeated_index = -1;     // its accumulator in MessageReader::repeated_ (ARRAY, MAP)
  int union_member = -1;       // >= 0: a oneof member, stored into the union STRUCT's field
  TypePtr union_type;          // the union STRUCT
  TypePtr target;              // SQL type of one value (an ARRAY's element; the MAP itself)
  Value empty;                 // ARRAY/MAP: the value when no item is present ([] or {})
  const gpb::EnumDescriptor* enum_type = nullptr;
  std::unique_ptr<MessageReader> message;  // struct fields, map entry (key, value), wrapper
};

MessageReader::~MessageReader() = default;

namespace {

// Converts a decoded scalar of the field's natural kind into the target's kind (checked
// compatible when the plan was built).
Value Coerce(Value v, const SqlType& target) {
  switch (target.kind) {
    case TypeKind::kInteger:
      if (v.IsInt()) return v;
      return static_cast<int32_t>(v.ToInt64());
    case TypeKind::kBigint:
      if (v.IsBigint()) return v;
      return v.IsDouble() ? static_cast<int64_t>(v.AsDouble()) : v.ToInt64();
    case TypeKind::kDouble:
      if (v.IsDouble()) return v;
      return v.ToDouble();
    case TypeKind::kDecimal:
      if (v.IsDouble()) return Decimal::FromDouble(v.AsDouble(), target.scale);
      return Decimal{static_cast<__int128>(v.ToInt64()), 0}.Rescale(target.scale);
    case TypeKind::kString:
      if (v.IsString()) return v;
      return v.ToString();
    default:
      return v;
  }
}

Value DefaultScalar(const FD* f) {
  switch (f->cpp_type()) {
    case FD::CPPTYPE_INT32: return f->default_value_int32();
    case FD::CPPTYPE_INT64: return f->default_value_int64();
    case FD::CPPTYPE_UINT32: return static_cast<int64_t>(f->default_value_uint32());
    case FD::CPPTYPE_UINT64: return static_cast<int64_t>(f->default_value_uint64());
    case FD::CPPTYPE_DOUBLE: return f->default_value_double();
    case FD::CPPTYPE_FLOAT: return static_cast<double>(f->default_value_float());
    case FD::CPPTYPE_BOOL: return Value(f->default_value_bool());
    case FD::CPPTYPE_ENUM: return f->default_value_enum()->name();
    case FD::CPPTYPE_STRING:
      if (f->type() == FD::TYPE_BYTES) return Bytes{f->default_value_string()};
      return f->default_value_string();
    default: return Value();
  }
}

std::string EnumName(const gpb::EnumDescriptor* e, int number) {
  if (const gpb::EnumValueDescriptor* v = e->FindValueByNumber(number)) return v->name();
  // Java keeps unknown numbers as a placeholder value with this name.
  return "UNKNOWN_ENUM_VALUE_" + e->name() + "_" + std::to_string(number);
}

Status Malformed(const char* what) {
  return Status::SerdeError(std::string("Malformed Protobuf message: ") + what);
}

// Reads one scalar of type `t` from `in` (its wire type already checked) as its natural Value.
bool ReadScalar(FD::Type t, const gpb::EnumDescriptor* e, WireReader* in, Value* out) {
  uint64_t u;
  uint32_t u32;
  std::string_view s;
  switch (t) {
    case FD::TYPE_INT32:
      if (!in->Varint(&u)) return false;
      *out = static_cast<int32_t>(u);
      return true;
    case FD::TYPE_SINT32:
      if (!in->Varint(&u)) return false;
      *out = ZigZagDecode32(u);
      return true;
    case FD::TYPE_UINT32:
      if (!in->Varint(&u)) return false;
      *out = static_cast<int64_t>(static_cast<uint32_t>(u));
      return true;
    case FD::TYPE_INT64:
    case FD::TYPE_UINT64:
      if (!in->Varint(&u)) return false;
      *out = static_cast<int64_t>(u);
      return true;
    case FD::TYPE_SINT64:
      if (!in->Varint(&u)) return false;
      *out = ZigZagDecode64(u);
      return true;
    case FD::TYPE_BOOL:
      if (!in->Varint(&u)) return false;
      *out = Value(u != 0);
      return true;
    case FD::TYPE_ENUM:
      if (!in->Varint(&u)) return false;
      *out = EnumName(e, static_cast<int32_t>(u));
      return true;
    case FD::TYPE_FIXED32:
      if (!in->Fixed32(&u32)) return false;
      *out = static_cast<int64_t>(u32);
      return true;
    case FD::TYPE_SFIXED32:
      if (!in->Fixed32(&u32)) return false;
      *out = static_cast<int32_t>(u32);
      return true;
    case FD::TYPE_FLOAT: {
      if (!in->Fixed32(&u32)) return false;
      float f;
      std::memcpy(&f, &u32, 4);
      *out = static_cast<double>(f);
      return true;
    }
    case FD::TYPE_FIXED64:
    case FD::TYPE_SFIXED64:
      if (!in->Fixed64(&u)) return false;
      *out = static_cast<int64_t>(u);
      return true;
    case FD::TYPE_DOUBLE: {
      if (!in->Fixed64(&u)) return false;
      double d;
      std::memcpy(&d, &u, 8);
      *out = d;
      return true;
    }
    case FD::TYPE_STRING:
      if (!in->Bytes(&s)) return false;
      *out = std::string(s);
      return true;
    case FD::TYPE_BYTES:
      if (!in->Bytes(&s)) return false;
      *out = Bytes{std::string(s)};
      return true;
    default: return false;
  }
}

// Small well-known messages: read their int fields by number.
bool ReadInts(std::string_view bytes, int64_t* fields, int count) {
  WireReader in(bytes);
  while (!in.done()) {
    uint64_t tag, v;
    if (!in.Varint(&tag)) return false;
    const uint64_t number = tag >> 3;
    if ((tag & 7) == kVarint && number >= 1 && number <= static_cast<uint64_t>(count)) {
      if (!in.Varint(&v)) return false;
      fields[number - 1] = static_cast<int64_t>(v);
    } else if (!in.Skip(tag & 7)) {
      return false;
    }
  }
  return true;
}

Status ReadDecimal(std::string_view bytes, const SqlType& target, Value* out) {
  WireReader in(bytes);
  std::string_view unscaled;
  int64_t scale = 0;
  while (!in.done()) {
    uint64_t tag, v;
    if (!in.Varint(&tag)) return Malformed("truncated decimal");
    if (tag == ((1 << 3) | kLengthDelimited)) {
      if (!in.Bytes(&unscaled)) return Malformed("truncated decimal");
    } else if (tag == ((3 << 3) | kVarint)) {
      if (!in.Varint(&v)) return Malformed("truncated decimal");
      scale = static_cast<int32_t>(v);
    } else if (!in.Skip(tag & 7)) {
      return Malformed("truncated decimal");
    }
  }
  if (unscaled.size() > 16) return Status::SerdeError("Protobuf decimal wider than 128 bits");
  __int128 u = unscaled.empty() || static_cast<signed char>(unscaled[0]) >= 0 ? 0 : -1;
  for (char c : unscaled) u = (u << 8) | static_cast<unsigned char>(c);
  Decimal d{u, static_cast<int32_t>(scale)};
  if (target.kind == TypeKind::kDecimal) {
    d = d.Rescale(target.scale);
    *out = d;
  } else if (target.kind == TypeKind::kDouble) {
    *out = d.ToDouble();
  } else {
    *out = d.ToString();
  }
  return Status::OK();
}

}  // namespace

struct ReaderBuilder {
  const ProtoSchema& schema;

  Result<std::unique_ptr<MessageReader>> Build(const gpb::Descriptor* m,
                                               const std::vector<Column>& targets,
                                               const std::vector<bool>& needed) {
    std::unique_ptr<MessageReader> r(new MessageReader());
    r->slots_ = targets.size();
    for (size_t i = 0; i < targets.size(); ++i) {
      if (!needed.empty() && !needed[i]) continue;
      const int slot = static_cast<int>(i);
      if (const FD* f = FieldByName(m, targets[i].name)) {
        SLUICE_RETURN_IF_ERROR(Add(r.get(), f, targets[i].type, slot, -1));
      } else if (const gpb::OneofDescriptor* o = OneofByName(m, targets[i].name)) {
        SLUICE_RETURN_IF_ERROR(AddUnion(r.get(), o, targets[i].type, slot));
      }
    }
    std::vector<bool> read(targets.size(), false);
    for (const FieldReader& f : r->fields_) read[f.slot] = true;
    for (size_t i = 0; i < targets.size(); ++i)
      if (!read[i]) r->unread_.push_back(static_cast<int>(i));
    r->track_seen_ = targets.size() <= 64;
    int max_number = 0;
    for (const FieldReader& f : r->fields_) max_number = std::max(max_number, f.number);
    r->by_number_.assign(std::min(max_number, 4096) + 1, -1);
    for (size_t i = 0; i < r->fields_.size(); ++i)
      if (r->fields_[i].number < static_cast<int>(r->by_number_.size()))
        r->by_number_[r->fields_[i].number] = static_cast<int16_t>(i);
    return r;
  }

  Status AddUnion(MessageReader* r, const gpb::OneofDescriptor* o, const TypePtr& type, int slot) {
    if (type->kind != TypeKind::kStruct)
      return Status::SerdeError("Protobuf oneof '" + o->name() + "' can only be read as a STRUCT");
    r->absent_.push_back({slot, Value()});
    for (size_t j = 0; j < type->fields.size(); ++j) {
      const FD* f = nullptr;
      for (int k = 0; k < o->field_count() && !f; ++k)
        if (strcasecmp(o->field(k)->name().c_str(), type->fields[j].name.c_str()) == 0) f = o->field(k);
      if (!f) continue;
      SLUICE_RETURN_IF_ERROR(Add(r, f, type->fields[j].type, slot, static_cast<int>(j)));
      r->fields_.back().union_type = type;
    }
    return Status::OK();
  }

  Status Add(MessageReader* r, const FD* f, const TypePtr& type, int slot, int union_member) {
    FieldReader fr;
    fr.number = f->number();
    fr.ptype = f->type();
    fr.shape = ShapeOf(f);
    fr.repeated = f->is_repeated() && !IsMapField(f);
    fr.packable = f->is_packable();
    fr.wire_type = WireTypeOf(f->type());
    fr.slot = slot;
    fr.union_member = union_member;
    fr.enum_type = f->type() == FD::TYPE_ENUM ? f->enum_type() : nullptr;
    if (fr.ptype == FD::TYPE_GROUP) return Mismatch(f, *type);
    if (IsMapField(f)) {
      if (type->kind != TypeKind::kMap) return Mismatch(f, *type);
      fr.target = type;
      auto entry = Build(f->message_type(), {{"key", type->key}, {"value", type->value}}, {});
      if (!entry.ok()) return entry.status();
      fr.message = std::move(entry.value());
      fr.repeated_index = r->repeated_count_++;
    } else {
      const TypePtr* one = &type;
      if (fr.repeated) {
        if (type->kind != TypeKind::kArray) return Mismatch(f, *type);
        one = &type->element;
        fr.repeated_index = r->repeated_count_++;
      }
      fr.target = *one;
      SLUICE_RETURN_IF_ERROR(CheckSingle(f, **one, &fr));
      fr.direct = fr.shape == Shape::kScalar && NaturalKind(f->type()) == (*one)->kind;
    }
    if (fr.repeated_index >= 0) fr.empty = AbsentValue(f, fr);
    else if (union_member < 0) r->absent_.push_back({slot, AbsentValue(f, fr)});
    r->fields_.push_back(std::move(fr));
    return Status::OK();
  }

  // Checks one (non-repeated) value's type and builds what it needs to be read.
  Status CheckSingle(const FD* f, const SqlType& t, FieldReader* fr) {
    switch (fr->shape) {
      case Shape::kScalar:
        return ScalarFits(NaturalKind(f->type()), t.kind) ? Status::OK() : Mismatch(f, t);
      case Shape::kTimestamp:
        return t.kind == TypeKind::kTimestamp ? Status::OK() : Mismatch(f, t);
      case Shape::kDate: return t.kind == TypeKind::kDate ? Status::OK() : Mismatch(f, t);
      case Shape::kTime: return t.kind == TypeKind::kTime ? Status::OK() : Mismatch(f, t);
      case Shape::kDecimal:
        return t.kind == TypeKind::kDecimal || t.kind == TypeKind::kDouble ||
                       t.kind == TypeKind::kString
                   ? Status::OK()
                   : Mismatch(f, t);
      case Shape::kWrapper: {
        const FD* inner = f->message_type()->field(0);
        if (!ScalarFits(NaturalKind(inner->type()), t.kind)) return Mismatch(f, t);
        auto r = Build(f->message_type(), {{inner->name(), fr->target}}, {});
        if (!r.ok()) return r.status();
        fr->message = std::move(r.value());
        return Status::OK();
      }
      case Shape::kStruct: {
        if (t.kind != TypeKind::kStruct) return Mismatch(f, t);
        std::vector<Column> fields;
        for (const auto& sf : t.fields) fields.push_back({sf.name, sf.type});
        auto r = Build(f->message_type(), fields, {});
        if (!r.ok()) return r.status();
        fr->message = std::move(r.value());
        return Status::OK();
      }
      case Shape::kMap: break;
    }
    return Mismatch(f, t);
  }

  // ksqlDB's value for a field the bytes do not carry.
  static Value AbsentValue(const FD* f, const FieldReader& fr) {
    if (IsMapField(f)) return Value::Map({});
    if (fr.repeated) return Value::Array({});
    if (f->type() == FD::TYPE_MESSAGE || f->has_optional_keyword()) return Value();
    return Coerce(DefaultScalar(f), *fr.target);
  }
};

Result<std::unique_ptr<MessageReader>> MessageReader::Build(const ProtoSchema& schema,
                                                            const gpb::Descriptor* message,
                                                            const std::vector<Column>& targets,
                                                            const std::vector<bool>& needed) {
  ReaderBuilder builder{schema};
  return builder.Build(message, targets, needed);
}

const FieldReader* MessageReader::Find(uint64_t number) const {
  if (number < by_number_.size()) {
    const int16_t i = by_number_[number];
    return i < 0 ? nullptr : &fields_[i];
  }
  for (const FieldReader& f : fields_)
    if (static_cast<uint64_t>(f.number) == number) return &f;
  return nullptr;
}

namespace {

// Decodes one value of a (non-repeated view of a) field whose payload is at `in`.
Status ReadOne(const FieldReader& f, WireReader* in, Value* out) {
  if (f.direct) {
    if (!ReadScalar(f.ptype, f.enum_type, in, out)) return Malformed("truncated field");
    return Status::OK();
  }
  if (f.shape == Shape::kScalar) {
    Value v;
    if (!ReadScalar(f.ptype, f.enum_type, in, &v)) return Malformed("truncated field");
    *out = Coerce(std::move(v), *f.target);
    return Status::OK();
  }
  std::string_view bytes;
  if (!in->Bytes(&bytes)) return Malformed("truncated field");
  switch (f.shape) {
    case Shape::kStruct: {
      std::vector<Value> fields(f.message->size());
      SLUICE_RETURN_IF_ERROR(f.message->Read(bytes, fields.data()));
      *out = Value::Struct(f.target, std::move(fields));
      return Status::OK();
    }
    case Shape::kWrapper:
      return f.message->Read(bytes, out);
    case Shape::kTimestamp: {
      int64_t v[2] = {0, 0};  // seconds, nanos
      if (!ReadInts(bytes, v, 2)) return Malformed("truncated timestamp");
      *out = Timestamp{v[0] * 1000 + static_cast<int32_t>(v[1]) / 1000000};
      return Status::OK();
    }
    case Shape::kDate: {
      int64_t v[3] = {0, 0, 0};  // year, month, day
      if (!ReadInts(bytes, v, 3)) return Malformed("truncated date");
      *out = Date{static_cast<int32_t>(DaysFromCivil(static_cast<int32_t>(v[0]),
                                                     static_cast<int32_t>(v[1]),
                                                     static_cast<int32_t>(v[2])))};
      return Status::OK();
    }
    case Shape::kTime: {
      int64_t v[4] = {0, 0, 0, 0};  // hours, minutes, seconds, nanos
      if (!ReadInts(bytes, v, 4)) return Malformed("truncated time of day");
      const int64_t ms = ((static_cast<int32_t>(v[0]) * 60 + static_cast<int32_t>(v[1])) * 60 +
                          static_cast<int32_t>(v[2])) * 1000 + static_cast<int32_t>(v[3]) / 1000000;
      *out = Time{static_cast<int32_t>(ms)};
      return Status::OK();
    }
    case Shape::kDecimal:
      return ReadDecimal(bytes, *f.target, out);
    case Shape::kScalar:
    case Shape::kMap:
      break;
  }
  return Malformed("unexpected field shape");
}

Status ReadMapEntry(const FieldReader& f, WireReader* in, std::vector<Value>* entries) {
  std::string_view bytes;
  if (!in->Bytes(&bytes)) return Malformed("truncated map entry");
  Value kv[2];
  SLUICE_RETURN_IF_ERROR(f.message->Read(bytes, kv));
  entries->push_back(std::move(kv[0]));
  entries->push_back(std::move(kv[1]));
  return Status::OK();
}

Value FinishMap(std::vector<Value>& flat) {
  MapValue map;
  map.reserve(flat.size() / 2);
  for (size_t i = 0; i + 1 < flat.size(); i += 2) {
    bool replaced = false;  // a later entry with the same key wins, as protobuf maps do
    for (auto& [k, v] : map)
      if (k == flat[i]) {
        v = std::move(flat[i + 1]);
        replaced = true;
        break;
      }
    if (!replaced) map.emplace_back(std::move(flat[i]), std::move(flat[i + 1]));
  }
  return Value::Map(std::move(map));
}

}  // namespace

Status MessageReader::ReadField(const FieldReader& f, uint32_t wire_type, WireReader* in,
                                Value* out, uint64_t* seen) const {
  if (f.shape == Shape::kMap) {
    if (wire_type != kLengthDelimited) return in->Skip(wire_type) ? Status::OK() : Malformed("truncated field");
    return ReadMapEntry(f, in, &repeated_[f.repeated_index]);
  }
  if (f.repeated) {
    std::vector<Value>& items = repeated_[f.repeated_index];
    if (wire_type == kLengthDelimited && f.packable) {  // packed: many scalars in one payload
      std::string_view bytes;
      if (!in->Bytes(&bytes)) return Malformed("truncated packed field");
      WireReader packed(bytes);
      while (!packed.done()) {
        items.emplace_back();
        SLUICE_RETURN_IF_ERROR(ReadOne(f, &packed, &items.back()));
      }
      return Status::OK();
    }
    if (wire_type != f.wire_type) return in->Skip(wire_type) ? Status::OK() : Malformed("truncated field");
    items.emplace_back();
    return ReadOne(f, in, &items.back());
  }
  // A wire type other than the schema's makes the field unknown, as libprotobuf treats it.
  if (wire_type != f.wire_type) return in->Skip(wire_type) ? Status::OK() : Malformed("truncated field");
  *seen |= uint64_t{1} << (f.slot & 63);
  if (f.union_member < 0) return ReadOne(f, in, &out[f.slot]);
  std::vector<Value> members(f.union_type->fields.size());
  SLUICE_RETURN_IF_ERROR(ReadOne(f, in, &members[f.union_member]));
  out[f.slot] = Value::Struct(f.union_type, std::move(members));
  return Status::OK();
}

Status MessageReader::Read(std::string_view bytes, Value* out) const {
  for (int slot : unread_) out[slot] = Value();
  // Absent values are written after the fields, to the slots no field filled (`seen`), so a
  // present field's slot is assigned once; past 64 slots they are written first instead.
  if (!track_seen_)
    for (const auto& [slot, value] : absent_) out[slot] = value;
  uint64_t seen = 0;
  if (repeated_count_ > 0) {
    repeated_.resize(repeated_count_);
    for (auto& items : repeated_) items.clear();
  }
  WireReader in(bytes);
  while (!in.done()) {
    uint64_t tag;
    if (!in.Varint(&tag)) return Malformed("truncated tag");
    const uint64_t number = tag >> 3;
    const uint32_t wire_type = static_cast<uint32_t>(tag & 7);
    if (number == 0) return Malformed("field number 0");
    const FieldReader* f = Find(number);
    if (!f) {
      if (!in.Skip(wire_type)) return Malformed("truncated or unsupported field");
      continue;
    }
    SLUICE_RETURN_IF_ERROR(ReadField(*f, wire_type, &in, out, &seen));
  }
  if (track_seen_)
    for (const auto& [slot, value] : absent_)
      if (!(seen >> slot & 1)) out[slot] = value;
  if (repeated_count_ > 0) {
    for (const FieldReader& f : fields_) {
      if (f.repeated_index < 0) continue;
      std::vector<Value>& items = repeated_[f.repeated_index];
      if (items.empty()) {
        out[f.slot] = f.empty;
      } else if (f.shape == Shape::kMap) {
        out[f.slot] = FinishMap(items);
      } else {
        // Moved into an exactly sized array: the accumulator keeps its capacity for the next
        // record instead of regrowing from empty.
        ArrayValue array;
        array.reserve(items.size());
        for (Value& item : items) array.push_back(std::move(item));
        out[f.slot] = Value::Array(std::move(array));
      }
    }
  }
  return Status::OK();
}

// =============================================================================================
// Writing

struct FieldWriter {
  int number = 0;
  FD::Type ptype = FD::TYPE_INT32;
  Shape shape = Shape::kScalar;
  bool repeated = false;
  bool is_map = false;
  bool packed = false;
  bool presence = false;        // written even when it holds the default value
  int slot = 0;
  int union_member = -1;        // >= 0: written when this member of the union STRUCT is set
  TypePtr source;               // SQL type of one value
  const gpb::EnumDescriptor* enum_type = nullptr;
  int decimal_scale = 0;        // a Decimal field's declared scale (for non-DECIMAL sources)
  std::unique_ptr<MessageWriter> message;  // struct fields, map entry, wrapper
  std::string scratch;          // a nested message's bytes before its length is known
  std::string packed_scratch;
};

MessageWriter::~MessageWriter() = default;

struct WriterBuilder {
  const ProtoSchema& schema;

  Result<std::unique_ptr<MessageWriter>> Build(const gpb::Descriptor* m,
                                               const std::vector<Column>& sources) {
    std::unique_ptr<MessageWriter> w(new MessageWriter());
    for (size_t i = 0; i < sources.size(); ++i) {
      const int slot = static_cast<int>(i);
      if (const FD* f = FieldByName(m, sources[i].name)) {
        SLUICE_RETURN_IF_ERROR(Add(w.get(), f, sources[i].type, slot, -1));
      } else if (const gpb::OneofDescriptor* o = OneofByName(m, sources[i].name);
                 o && sources[i].type->kind == TypeKind::kStruct) {
        const SqlType& t = *sources[i].type;
        for (size_t j = 0; j < t.fields.size(); ++j) {
          const FD* member = nullptr;
          for (int k = 0; k < o->field_count() && !member; ++k)
            if (strcasecmp(o->field(k)->name().c_str(), t.fields[j].name.c_str()) == 0) member = o->field(k);
          if (!member)
            return Status::SerdeError("Protobuf oneof '" + o->name() + "' has no member '" +
                                      t.fields[j].name + "'");
          SLUICE_RETURN_IF_ERROR(Add(w.get(), member, t.fields[j].type, slot, static_cast<int>(j)));
        }
      } else {
        return Status::SerdeError("Protobuf message " + m->full_name() +
                                  " has no field for column `" + sources[i].name + "`");
      }
    }
    return w;
  }

  Status Add(MessageWriter* w, const FD* f, const TypePtr& type, int slot, int union_member) {
    FieldWriter fw;
    fw.number = f->number();
    fw.ptype = f->type();
    fw.shape = ShapeOf(f);
    fw.is_map = IsMapField(f);
    fw.repeated = f->is_repeated() && !fw.is_map;
    fw.packed = f->is_packed();
    fw.presence = f->has_presence() || union_member >= 0;
    fw.slot = slot;
    fw.union_member = union_member;
    fw.enum_type = f->type() == FD::TYPE_ENUM ? f->enum_type() : nullptr;
    if (fw.ptype == FD::TYPE_GROUP) return Mismatch(f, *type);
    if (fw.is_map) {
      if (type->kind != TypeKind::kMap) return Mismatch(f, *type);
      fw.source = type;
      auto entry = Build(f->message_type(), {{"key", type->key}, {"value", type->value}});
      if (!entry.ok()) return entry.status();
      fw.message = std::move(entry.value());
    } else {
      const TypePtr* one = &type;
      if (fw.repeated) {
        if (type->kind != TypeKind::kArray) return Mismatch(f, *type);
        one = &type->element;
      }
      fw.source = *one;
      SLUICE_RETURN_IF_ERROR(CheckSingle(f, **one, &fw));
    }
    w->fields_.push_back(std::move(fw));
    return Status::OK();
  }

  Status CheckSingle(const FD* f, const SqlType& t, FieldWriter* fw) {
    switch (fw->shape) {
      case Shape::kScalar: {
        const TypeKind natural = NaturalKind(f->type());
        const bool fits = natural == TypeKind::kString ? t.kind == TypeKind::kString
                                                       : ScalarFits(t.kind, natural);
        return fits ? Status::OK() : Mismatch(f, t);
      }
      case Shape::kTimestamp:
        return t.kind == TypeKind::kTimestamp ? Status::OK() : Mismatch(f, t);
      case Shape::kDate: return t.kind == TypeKind::kDate ? Status::OK() : Mismatch(f, t);
      case Shape::kTime: return t.kind == TypeKind::kTime ? Status::OK() : Mismatch(f, t);
      case Shape::kDecimal: {
        if (!IsNumber(t.kind)) return Mismatch(f, t);
        if (const auto* params = schema.FieldParams(f)) {
          auto s = params->find("scale");
          if (s != params->end()) fw->decimal_scale = std::atoi(s->second.c_str());
        }
        return Status::OK();
      }
      case Shape::kWrapper: {
        const FD* inner = f->message_type()->field(0);
        auto r = Build(f->message_type(), {{inner->name(), fw->source}});
        if (!r.ok()) return Mismatch(f, t);
        fw->message = std::move(r.value());
        return Status::OK();
      }
      case Shape::kStruct: {
        if (t.kind != TypeKind::kStruct) return Mismatch(f, t);
        std::vector<Column> fields;
        for (const auto& sf : t.fields) fields.push_back({sf.name, sf.type});
        auto r = Build(f->message_type(), fields);
        if (!r.ok()) return r.status();
        fw->message = std::move(r.value());
        return Status::OK();
      }
      case Shape::kMap: break;
    }
    return Mismatch(f, t);
  }
};

Result<std::unique_ptr<MessageWriter>> MessageWriter::Build(const ProtoSchema& schema,
                                                            const gpb::Descriptor* message,
                                                            const std::vector<Column>& sources) {
  WriterBuilder builder{schema};
  return builder.Build(message, sources);
}

namespace {

bool IsDefaultScalar(const Value& v) {
  if (v.IsBool()) return !v.AsBool();
  if (v.IsInt()) return v.AsInt() == 0;
  if (v.IsBigint()) return v.AsBigint() == 0;
  if (v.IsDouble()) return std::signbit(v.AsDouble()) == 0 && v.AsDouble() == 0;
  if (v.IsDecimal()) return v.AsDecimal().unscaled == 0;
  if (v.IsString()) return v.AsString().empty();
  if (v.IsBytes()) return v.AsBytes().data.empty();
  return false;
}

// Encodes a scalar's payload (no tag). Returns false for an enum name the enum lacks.
bool PutScalar(FD::Type t, const gpb::EnumDescriptor* e, const Value& v, std::string* out) {
  switch (t) {
    case FD::TYPE_INT32: PutVarint(static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(v.ToInt64()))), out); return true;
    case FD::TYPE_INT64: case FD::TYPE_UINT64: PutVarint(static_cast<uint64_t>(v.ToInt64()), out); return true;
    case FD::TYPE_UINT32: PutVarint(static_cast<uint32_t>(v.ToInt64()), out); return true;
    case FD::TYPE_SINT32: PutVarint(ZigZagEncode32(static_cast<int32_t>(v.ToInt64())), out); return true;
    case FD::TYPE_SINT64: PutVarint(ZigZagEncode64(v.ToInt64()), out); return true;
    case FD::TYPE_BOOL: PutVarint(v.AsBool() ? 1 : 0, out); return true;
    case FD::TYPE_ENUM: {
      const gpb::EnumValueDescriptor* ev = e->FindValueByName(v.AsString());
      if (!ev) return false;
      PutVarint(static_cast<uint64_t>(static_cast<int64_t>(ev->number())), out);
      return true;
    }
    case FD::TYPE_FIXED32: case FD::TYPE_SFIXED32: PutFixed32(static_cast<uint32_t>(v.ToInt64()), out); return true;
    case FD::TYPE_FLOAT: {
      const float f = static_cast<float>(v.ToDouble());
      uint32_t bits;
      std::memcpy(&bits, &f, 4);
      PutFixed32(bits, out);
      return true;
    }
    case FD::TYPE_FIXED64: case FD::TYPE_SFIXED64: PutFixed64(static_cast<uint64_t>(v.ToInt64()), out); return true;
    case FD::TYPE_DOUBLE: {
      const double d = v.ToDouble();
      uint64_t bits;
      std::memcpy(&bits, &d, 8);
      PutFixed64(bits, out);
      return true;
    }
    case FD::TYPE_STRING: {
      const std::string text = v.IsString() ? std::string() : v.ToString();
      const std::string& s = v.IsString() ? v.AsString() : text;
      PutVarint(s.size(), out);
      out->append(s);
      return true;
    }
    case FD::TYPE_BYTES: {
      const std::string& s = v.IsBytes() ? v.AsBytes().data : v.AsString();
      PutVarint(s.size(), out);
      out->append(s);
      return true;
    }
    default: return false;
  }
}

void PutIntField(int number, int64_t v, std::string* out) {
  if (v == 0) return;
  PutTag(number, kVarint, out);
  PutVarint(static_cast<uint64_t>(v), out);
}

// Decimal{value: big-endian two's complement unscaled (fewest bytes), precision, scale}.
void PutDecimal(const Decimal& d, std::string* out) {
  unsigned char buf[16];
  __int128 u = d.unscaled;
  int n = 0;
  for (int i = 15; i >= 0; --i) {
    buf[i] = static_cast<unsigned char>(u & 0xff);
    u >>= 8;
  }
  // Drop leading bytes that only repeat the sign.
  while (n < 15 && ((buf[n] == 0x00 && buf[n + 1] < 0x80) || (buf[n] == 0xff && buf[n + 1] >= 0x80))) ++n;
  PutBytes(1, std::string_view(reinterpret_cast<const char*>(buf + n), 16 - n), out);
  PutIntField(2, d.Precision(), out);
  PutIntField(3, d.scale, out);
}

}  // namespace

Status MessageWriter::WriteSingle(FieldWriter& f, const Value& v, bool in_repeated,
                                  std::string* out) {
  switch (f.shape) {
    case Shape::kScalar: {
      if (!in_repeated && !f.presence && IsDefaultScalar(v)) return Status::OK();
      if (f.packed && in_repeated) {
        if (!PutScalar(f.ptype, f.enum_type, v, &f.packed_scratch)) break;
        return Status::OK();
      }
      PutTag(f.number, WireTypeOf(f.ptype), out);
      if (!PutScalar(f.ptype, f.enum_type, v, out)) break;
      return Status::OK();
    }
    case Shape::kStruct: {
      f.scratch.clear();
      SLUICE_RETURN_IF_ERROR(f.message->Write(v.AsStruct().fields.data(), &f.scratch));
      PutBytes(f.number, f.scratch, out);
      return Status::OK();
    }
    case Shape::kWrapper: {
      f.scratch.clear();
      SLUICE_RETURN_IF_ERROR(f.message->Write(&v, &f.scratch));
      PutBytes(f.number, f.scratch, out);
      return Status::OK();
    }
    case Shape::kTimestamp: {
      const int64_t ms = v.AsTimestamp().millis;
      const int64_t seconds = FloorDiv(ms, 1000);
      f.scratch.clear();
      PutIntField(1, seconds, &f.scratch);
      PutIntField(2, (ms - seconds * 1000) * 1000000, &f.scratch);
      PutBytes(f.number, f.scratch, out);
      return Status::OK();
    }
    case Shape::kDate: {
      int64_t y;
      int m, d;
      jtime::CivilFromDays(v.AsDate().days, &y, &m, &d);
      f.scratch.clear();
      PutIntField(1, y, &f.scratch);
      PutIntField(2, m, &f.scratch);
      PutIntField(3, d, &f.scratch);
      PutBytes(f.number, f.scratch, out);
      return Status::OK();
    }
    case Shape::kTime: {
      const int32_t ms = v.AsTime().millis;
      f.scratch.clear();
      PutIntField(1, ms / 3600000, &f.scratch);
      PutIntField(2, ms / 60000 % 60, &f.scratch);
      PutIntField(3, ms / 1000 % 60, &f.scratch);
      PutIntField(4, static_cast<int64_t>(ms % 1000) * 1000000, &f.scratch);
      PutBytes(f.number, f.scratch, out);
      return Status::OK();
    }
    case Shape::kDecimal: {
      Decimal d = v.IsDecimal()  ? v.AsDecimal()
                  : v.IsDouble() ? Decimal::FromDouble(v.AsDouble(), f.decimal_scale)
                                 : Decimal{static_cast<__int128>(v.ToInt64()), 0};
      f.scratch.clear();
      PutDecimal(d, &f.scratch);
      PutBytes(f.number, f.scratch, out);
      return Status::OK();
    }
    case Shape::kMap: break;
  }
  if (f.ptype == FD::TYPE_ENUM)
    return Status::SerdeError("'" + v.ToString() + "' is not a value of Protobuf enum " +
                              f.enum_type->full_name());
  return Status::SerdeError("Cannot write a value to Protobuf field number " + std::to_string(f.number));
}

// The value a NULL array element or map value is written as (protobuf cannot hold NULL).
static Value DefaultFor(const SqlType& t) {
  switch (t.kind) {
    case TypeKind::kBoolean: return Value(false);
    case TypeKind::kInteger: return 0;
    case TypeKind::kBigint: return int64_t{0};
    case TypeKind::kDouble: return 0.0;
    case TypeKind::kString: return std::string();
    case TypeKind::kBytes: return Bytes{};
    case TypeKind::kDecimal: return Decimal{0, t.scale};
    case TypeKind::kDate: return Date{0};
    case TypeKind::kTime: return Time{0};
    case TypeKind::kTimestamp: return Timestamp{0};
    case TypeKind::kStruct: return Value::Struct(std::make_shared<SqlType>(t), std::vector<Value>(t.fields.size()));
    default: return Value();
  }
}

Status MessageWriter::WriteField(FieldWriter& f, const Value& v, std::string* out) {
  if (v.IsNull()) return Status::OK();
  if (f.is_map) {
    for (const auto& [key, value] : v.AsMap()) {
      const Value kv[2] = {key, value};
      f.scratch.clear();
      SLUICE_RETURN_IF_ERROR(f.message->Write(kv, &f.scratch));
      PutBytes(f.number, f.scratch, out);
    }
    return Status::OK();
  }
  if (!f.repeated) return WriteSingle(f, v, false, out);
  f.packed_scratch.clear();
  for (const Value& item : v.AsArray()) {
    if (item.IsNull()) {
      SLUICE_RETURN_IF_ERROR(WriteSingle(f, DefaultFor(*f.source), true, out));
    } else {
      SLUICE_RETURN_IF_ERROR(WriteSingle(f, item, true, out));
    }
  }
  if (f.packed && !f.packed_scratch.empty()) PutBytes(f.number, f.packed_scratch, out);
  return Status::OK();
}

Status MessageWriter::Write(const Value* values, std::string* out) {
  for (FieldWriter& f : fields_) {
    const Value& v = values[f.slot];
    if (f.union_member < 0) {
      SLUICE_RETURN_IF_ERROR(WriteField(f, v, out));
    } else if (v.IsStruct()) {
      SLUICE_RETURN_IF_ERROR(WriteField(f, v.AsStruct().fields[f.union_member], out));
    }
  }
  return Status::OK();
}

}  // namespace sluice::serde::pb
