// PROTOBUF schemas: parsing .proto text into descriptors (libprotobuf's compiler::Parser and
// DescriptorPool), ksqlDB's type inference from a message, and the .proto text ksqlDB derives
// from columns (Confluent's ProtobufData naming: ConnectDefault1, 2, ... depth first).
#include "engine/serde/protobuf_schema.h"

#include <google/protobuf/compiler/parser.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/stubs/logging.h>

#include <regex>
#include <set>

#include "engine/common/ascii.h"
#include "engine/schema_registry/schema_registry.h"

namespace sluice::serde::pb {

namespace {

constexpr const char* kUserFileName = "schema.proto";

// Imports that resolve without a registry, written here from their published definitions
// (only what the wire format needs: packages, messages, field numbers).
struct WellKnownFile {
  const char* name;
  const char* text;
};
constexpr WellKnownFile kWellKnownFiles[] = {
    {"google/type/date.proto",
     "syntax = \"proto3\"; package google.type;\n"
     "message Date { int32 year = 1; int32 month = 2; int32 day = 3; }\n"},
    {"google/type/timeofday.proto",
     "syntax = \"proto3\"; package google.type;\n"
     "message TimeOfDay { int32 hours = 1; int32 minutes = 2; int32 seconds = 3; "
     "int32 nanos = 4; }\n"},
    {"confluent/type/decimal.proto",
     "syntax = \"proto3\"; package confluent.type;\n"
     "message Decimal { bytes value = 1; uint32 precision = 2; int32 scale = 3; }\n"},
    {"confluent/meta.proto",
     "syntax = \"proto3\"; package confluent;\n"
     "import \"google/protobuf/descriptor.proto\";\n"
     "message Meta { string doc = 1; map<string, string> params = 2; }\n"
     "extend google.protobuf.FileOptions { Meta file_meta = 1088; }\n"
     "extend google.protobuf.MessageOptions { Meta message_meta = 1088; }\n"
     "extend google.protobuf.FieldOptions { Meta field_meta = 1088; }\n"
     "extend google.protobuf.EnumOptions { Meta enum_meta = 1088; }\n"
     "extend google.protobuf.EnumValueOptions { Meta enum_value_meta = 1088; }\n"},
};

class CollectErrors final : public gpb::io::ErrorCollector {
 public:
  void AddError(int line, gpb::io::ColumnNumber column, const std::string& message) override {
    if (!text.empty()) text += "; ";
    text += std::to_string(line + 1) + ":" + std::to_string(column + 1) + ": " + message;
  }
  std::string text;
};

class CollectPoolErrors final : public gpb::DescriptorPool::ErrorCollector {
 public:
  void AddError(const std::string& filename, const std::string& element_name,
                const gpb::Message*, ErrorLocation, const std::string& message) override {
    if (!text.empty()) text += "; ";
    text += filename + ": " + (element_name.empty() ? "" : element_name + ": ") + message;
  }
  std::string text;
};

Result<gpb::FileDescriptorProto> ParseText(const std::string& name, const std::string& text) {
  gpb::io::ArrayInputStream input(text.data(), static_cast<int>(text.size()));
  CollectErrors errors;
  gpb::io::Tokenizer tokenizer(&input, &errors);
  gpb::compiler::Parser parser;
  parser.RecordErrorsTo(&errors);
  // A file without `syntax` is proto2, as Confluent reads it: no warning on stderr for that.
  gpb::LogSilencer quiet;
  gpb::FileDescriptorProto file;
  if (!parser.Parse(&tokenizer, &file) || !errors.text.empty())
    return Status::SerdeError("Invalid Protobuf schema " + name + ": " + errors.text);
  file.set_name(name);
  return file;
}

// confluent.field_meta's aggregate text, e.g. `params : [ { key : "scale" , value : "2" } ]`.
std::map<std::string, std::string> ParseMetaParams(const std::string& aggregate) {
  static const std::regex kEntry(R"(\{([^{}]*)\})");
  static const std::regex kKey(R"(key\s*:\s*"([^"]*)\")");
  static const std::regex kValue(R"(value\s*:\s*"([^"]*)\")");
  std::map<std::string, std::string> params;
  for (std::sregex_iterator it(aggregate.begin(), aggregate.end(), kEntry), end; it != end; ++it) {
    const std::string body = (*it)[1];
    std::smatch key, value;
    if (std::regex_search(body, key, kKey) && std::regex_search(body, value, kValue))
      params[key[1]] = value[1];
  }
  return params;
}

bool IsCustomOption(const gpb::UninterpretedOption& o) {
  for (const auto& part : o.name())
    if (part.is_extension()) return true;
  return false;
}

// Removes custom options (their extensions may not be imported); returns field_meta's text.
template <typename Options>
std::string StripCustomOptions(Options* options) {
  std::string field_meta;
  auto* list = options->mutable_uninterpreted_option();
  for (int i = list->size() - 1; i >= 0; --i) {
    const gpb::UninterpretedOption& o = list->Get(i);
    if (!IsCustomOption(o)) continue;
    if (o.name_size() == 1 && o.name(0).name_part() == "confluent.field_meta")
      field_meta = o.aggregate_value();
    list->DeleteSubrange(i, 1);
  }
  return field_meta;
}

using ParamsByField = std::map<std::string, std::map<std::string, std::string>>;

void StripEnum(gpb::EnumDescriptorProto* e) {
  if (e->has_options()) StripCustomOptions(e->mutable_options());
  for (auto& v : *e->mutable_value())
    if (v.has_options()) StripCustomOptions(v.mutable_options());
}

void StripMessage(const std::string& scope, gpb::DescriptorProto* m, ParamsByField* params) {
  const std::string name = scope.empty() ? m->name() : scope + "." + m->name();
  if (m->has_options()) StripCustomOptions(m->mutable_options());
  for (auto& f : *m->mutable_field()) {
    if (!f.has_options()) continue;
    std::string meta = StripCustomOptions(f.mutable_options());
    if (!meta.empty()) (*params)[name + "." + f.name()] = ParseMetaParams(meta);
  }
  for (auto& o : *m->mutable_oneof_decl())
    if (o.has_options()) StripCustomOptions(o.mutable_options());
  for (auto& e : *m->mutable_enum_type()) StripEnum(&e);
  for (auto& n : *m->mutable_nested_type()) StripMessage(name, &n, params);
}

void StripFile(gpb::FileDescriptorProto* file, ParamsByField* params) {
  if (file->has_options()) StripCustomOptions(file->mutable_options());
  for (auto& m : *file->mutable_message_type()) StripMessage(file->package(), &m, params);
  for (auto& e : *file->mutable_enum_type()) StripEnum(&e);
  file->clear_service();  // services play no part in a record's schema
  file->clear_extension();
}

const WellKnownFile* FindWellKnown(const std::string& name) {
  for (const auto& f : kWellKnownFiles)
    if (name == f.name) return &f;
  return nullptr;
}

void FindByName(const gpb::Descriptor* d, const std::string& name,
                std::vector<const gpb::Descriptor*>* out) {
  if (d->name() == name) out->push_back(d);
  for (int i = 0; i < d->nested_type_count(); ++i) FindByName(d->nested_type(i), name, out);
}

}  // namespace

namespace {
// The text of a referenced schema, with the references it makes in turn added to `refs`.
Result<std::string> FetchImport(const std::string& name, SchemaRegistry* registry,
                                std::map<std::string, SchemaReference>* refs) {
  if (!registry)
    return Status::SerdeError("Invalid Protobuf schema: cannot resolve import \"" + name + "\"");
  auto it = refs->find(name);
  auto fetched = it != refs->end() ? registry->Version(it->second.subject, it->second.version)
                                   : registry->Latest(name);
  if (!fetched.ok())
    return Status::SerdeError("Invalid Protobuf schema: cannot resolve import \"" + name +
                              "\": " + fetched.status().message());
  for (const SchemaReference& r : fetched->references) refs->emplace(r.name, r);
  return fetched->text;
}
}  // namespace

Result<std::shared_ptr<const ProtoSchema>> ProtoSchema::Parse(
    const std::string& text, SchemaRegistry* registry,
    const std::vector<SchemaReference>& references) {
  std::map<std::string, SchemaReference> refs;
  for (const SchemaReference& r : references) refs.emplace(r.name, r);
  std::shared_ptr<ProtoSchema> schema(new ProtoSchema());
  auto user = ParseText(kUserFileName, text);
  if (!user.ok()) return user.status();
  // Add the file and, transitively, what it imports to the database the pool builds from.
  std::vector<gpb::FileDescriptorProto> pending{std::move(user.value())};
  std::set<std::string> added;
  while (!pending.empty()) {
    gpb::FileDescriptorProto file = std::move(pending.back());
    pending.pop_back();
    if (!added.insert(file.name()).second) continue;
    StripFile(&file, &schema->field_params_);
    for (const std::string& dep : file.dependency()) {
      if (added.count(dep)) continue;
      if (const gpb::FileDescriptor* builtin = gpb::DescriptorPool::generated_pool()->FindFileByName(dep)) {
        gpb::FileDescriptorProto copy;
        builtin->CopyTo(&copy);
        pending.push_back(std::move(copy));
      } else if (const WellKnownFile* known = FindWellKnown(dep)) {
        auto parsed = ParseText(dep, known->text);
        if (!parsed.ok()) return parsed.status();
        pending.push_back(std::move(parsed.value()));
      } else {
        auto imported = FetchImport(dep, registry, &refs);
        if (!imported.ok()) return imported.status();
        auto parsed = ParseText(dep, *imported);
        if (!parsed.ok()) return parsed.status();
        pending.push_back(std::move(parsed.value()));
      }
    }
    if (!schema->files_.Add(file))
      return Status::SerdeError("Invalid Protobuf schema: file " + file.name() + " defined twice");
  }
  CollectPoolErrors errors;
  schema->pool_ = std::make_unique<gpb::DescriptorPool>(&schema->files_, &errors);
  schema->file_ = schema->pool_->FindFileByName(kUserFileName);
  if (!schema->file_)
    return Status::SerdeError("Invalid Protobuf schema: " +
                              (errors.text.empty() ? std::string("cannot build it") : errors.text));
  return std::shared_ptr<const ProtoSchema>(std::move(schema));
}

Result<const gpb::Descriptor*> ProtoSchema::FindMessage(const std::string& name) const {
  if (name.empty()) {
    if (file_->message_type_count() == 0)
      return Status::NotFound("The Protobuf schema defines no message");
    return file_->message_type(0);
  }
  if (const gpb::Descriptor* d = pool_->FindMessageTypeByName(name)) return d;
  std::vector<const gpb::Descriptor*> found;
  for (int i = 0; i < file_->message_type_count(); ++i) FindByName(file_->message_type(i), name, &found);
  if (found.size() == 1) return found[0];
  return Status::NotFound("The Protobuf schema has no message named '" + name + "'");
}

std::vector<int> ProtoSchema::IndexesOf(const gpb::Descriptor* message) {
  std::vector<int> path;
  for (const gpb::Descriptor* d = message; d; d = d->containing_type()) path.push_back(d->index());
  return {path.rbegin(), path.rend()};
}

Result<const gpb::Descriptor*> ProtoSchema::MessageAt(const std::vector<int>& indexes) const {
  const gpb::Descriptor* d = nullptr;
  for (size_t i = 0; i < indexes.size(); ++i) {
    const int count = i == 0 ? file_->message_type_count() : d->nested_type_count();
    if (indexes[i] < 0 || indexes[i] >= count)
      return Status::SerdeError("Invalid message indexes: no message at index " +
                                std::to_string(indexes[i]));
    d = i == 0 ? file_->message_type(indexes[i]) : d->nested_type(indexes[i]);
  }
  if (!d) return Status::SerdeError("Invalid message indexes: empty");
  return d;
}

const std::map<std::string, std::string>* ProtoSchema::FieldParams(
    const gpb::FieldDescriptor* f) const {
  auto it = field_params_.find(f->full_name());
  return it == field_params_.end() ? nullptr : &it->second;
}

namespace {
// Confluent's test for a map entry: protoc's `map<K, V>` entries, and any message named
// `...Entry` with exactly the fields `key` and `value` (as Confluent's converter writes them).
bool LooksLikeMapEntry(const gpb::Descriptor* m) {
  if (m->options().map_entry()) return true;
  const std::string& name = m->name();
  return name.size() > 5 && name.compare(name.size() - 5, 5, "Entry") == 0 &&
         m->field_count() == 2 && m->field(0)->name() == "key" &&
         m->field(1)->name() == "value" && !m->field(0)->is_repeated() &&
         !m->field(1)->is_repeated();
}
}  // namespace

bool IsMapField(const gpb::FieldDescriptor* f) {
  return f->is_repeated() && f->type() == gpb::FieldDescriptor::TYPE_MESSAGE &&
         LooksLikeMapEntry(f->message_type());
}

MessageKind KindOf(const gpb::Descriptor* message) {
  const std::string& n = message->full_name();
  if (LooksLikeMapEntry(message)) return MessageKind::kMapEntry;
  if (n == "google.protobuf.Timestamp") return MessageKind::kTimestamp;
  if (n == "google.type.Date") return MessageKind::kDate;
  if (n == "google.type.TimeOfDay") return MessageKind::kTime;
  if (n == "confluent.type.Decimal") return MessageKind::kDecimal;
  if (message->file()->name() == "google/protobuf/wrappers.proto" && message->field_count() == 1)
    return MessageKind::kWrapper;
  return MessageKind::kStruct;
}

namespace {

struct Inference {
  const ProtoSchema& schema;
  std::vector<std::string> in_progress;  // messages being expanded: recursion guard
  bool upper_case_names = false;         // ksqlDB's UPPERCASE_FIELD_NAME policy

  std::string Name(const std::string& name) const { return upper_case_names ? AsciiUpper(name) : name; }

  Result<TypePtr> Field(const gpb::FieldDescriptor* f) {
    auto base = Single(f);
    if (!base.ok() || !f->is_repeated() || IsMapField(f)) return base;
    return SqlType::Array(*base);
  }

  Result<TypePtr> Single(const gpb::FieldDescriptor* f) {
    using T = gpb::FieldDescriptor;
    switch (f->type()) {
      case T::TYPE_INT32: case T::TYPE_SINT32: case T::TYPE_SFIXED32: return SqlType::Integer();
      case T::TYPE_UINT32: case T::TYPE_FIXED32: case T::TYPE_INT64: case T::TYPE_UINT64:
      case T::TYPE_SINT64: case T::TYPE_FIXED64: case T::TYPE_SFIXED64: return SqlType::Bigint();
      case T::TYPE_FLOAT: case T::TYPE_DOUBLE: return SqlType::Double();
      case T::TYPE_BOOL: return SqlType::Boolean();
      case T::TYPE_STRING: case T::TYPE_ENUM: return SqlType::String();
      case T::TYPE_BYTES: return SqlType::Bytes();
      case T::TYPE_MESSAGE: return Message(f);
      case T::TYPE_GROUP: break;
    }
    return Status::SerdeError("Protobuf groups are not supported (field " + f->full_name() + ")");
  }

  Result<TypePtr> Message(const gpb::FieldDescriptor* f) {
    const gpb::Descriptor* m = f->message_type();
    switch (KindOf(m)) {
      case MessageKind::kTimestamp: return SqlType::Timestamp();
      case MessageKind::kDate: return SqlType::Date();
      case MessageKind::kTime: return SqlType::Time();
      case MessageKind::kDecimal: return DecimalType(f);
      case MessageKind::kWrapper: return Single(m->field(0));
      case MessageKind::kMapEntry: {
        if (!f->is_repeated()) break;  // a lone entry is just a message
        auto key = Field(m->field(0));
        if (!key.ok()) return key;
        auto value = Field(m->field(1));
        if (!value.ok()) return value;
        return SqlType::Map(*key, *value);
      }
      case MessageKind::kStruct: break;
    }
    for (const std::string& name : in_progress)
      if (name == m->full_name())
        return Status::SerdeError("Recursive Protobuf message " + name + " is not supported");
    in_progress.push_back(m->full_name());
    auto columns = Columns(m);
    in_progress.pop_back();
    if (!columns.ok()) return columns.status();
    std::vector<StructField> fields;
    for (auto& c : *columns) fields.push_back({std::move(c.name), std::move(c.type)});
    return SqlType::Struct(std::move(fields));
  }

  Result<TypePtr> DecimalType(const gpb::FieldDescriptor* f) {
    int precision = 64, scale = 0;  // ksqlDB's defaults when the schema gives none
    if (const auto* params = schema.FieldParams(f)) {
      auto p = params->find("precision"), s = params->find("scale");
      if (p != params->end()) precision = std::atoi(p->second.c_str());
      if (s != params->end()) scale = std::atoi(s->second.c_str());
    }
    return SqlType::Decimal(precision, scale);
  }

  Result<std::vector<Column>> Columns(const gpb::Descriptor* m) {
    std::vector<Column> columns;
    for (int i = 0; i < m->real_oneof_decl_count(); ++i) {  // Confluent lists unions first
      const gpb::OneofDescriptor* o = m->oneof_decl(i);
      std::vector<StructField> members;
      for (int j = 0; j < o->field_count(); ++j) {
        auto t = Field(o->field(j));
        if (!t.ok()) return t.status();
        members.push_back({Name(o->field(j)->name()), *t});
      }
      columns.push_back({Name(o->name() + "_" + std::to_string(o->index())), SqlType::Struct(members)});
    }
    for (int i = 0; i < m->field_count(); ++i) {
      const gpb::FieldDescriptor* f = m->field(i);
      if (f->real_containing_oneof()) continue;
      auto t = Field(f);
      if (!t.ok()) return t.status();
      columns.push_back({Name(f->name()), *t});
    }
    return columns;
  }
};

}  // namespace

Result<TypePtr> SqlTypeOf(const ProtoSchema& schema, const gpb::FieldDescriptor* field) {
  Inference inference{schema, {field->containing_type()->full_name()}};
  return inference.Field(field);
}

Result<std::vector<Column>> ColumnsOf(const ProtoSchema& schema, const gpb::Descriptor* message,
                                      bool upper_case_names) {
  Inference inference{schema, {message->full_name()}, upper_case_names};
  return inference.Columns(message);
}

// ---------------------------------------------------------------------------------------------
// Derivation: columns -> .proto text.

namespace {

const char* WrapperName(TypeKind kind) {
  switch (kind) {
    case TypeKind::kBoolean: return "google.protobuf.BoolValue";
    case TypeKind::kInteger: return "google.protobuf.Int32Value";
    case TypeKind::kBigint: return "google.protobuf.Int64Value";
    case TypeKind::kDouble: return "google.protobuf.DoubleValue";
    case TypeKind::kString: return "google.protobuf.StringValue";
    case TypeKind::kBytes: return "google.protobuf.BytesValue";
    default: return nullptr;
  }
}

const char* ScalarName(TypeKind kind) {
  switch (kind) {
    case TypeKind::kBoolean: return "bool";
    case TypeKind::kInteger: return "int32";
    case TypeKind::kBigint: return "int64";
    case TypeKind::kDouble: return "double";
    case TypeKind::kString: return "string";
    case TypeKind::kBytes: return "bytes";
    default: return nullptr;
  }
}

class Deriver {
 public:
  explicit Deriver(Nullable nullable) : nullable_(nullable) {}

  std::string NextName() { return "ConnectDefault" + std::to_string(++counter_); }

  // Appends `message <name> { ... }` at `indent`.
  Status Message(const std::string& name, const std::vector<StructField>& fields,
                 const std::string& indent, std::string* out) {
    std::string body, nested;
    for (size_t i = 0; i < fields.size(); ++i)
      SLUICE_RETURN_IF_ERROR(Field(fields[i], static_cast<int>(i) + 1, indent + "  ", &body, &nested));
    *out += indent + "message " + name + " {\n" + body + nested + indent + "}\n";
    return Status::OK();
  }

  const std::set<std::string>& imports() const { return imports_; }

 private:
  Status Field(const StructField& field, int tag, const std::string& indent, std::string* body,
               std::string* nested) {
    const SqlType& t = *field.type;
    std::string label, type;
    if (t.kind == TypeKind::kArray) {
      if (t.element->kind == TypeKind::kArray || t.element->kind == TypeKind::kMap)
        return Status::TypeError("PROTOBUF cannot write " + t.ToString() + " (field `" +
                                 field.name + "`): nested repeated fields");
      label = "repeated ";
      SLUICE_RETURN_IF_ERROR(TypeName(*t.element, field.name, false, indent, &type, nested));
    } else if (t.kind == TypeKind::kMap) {
      NextName();  // Confluent names the map's entry message: keep the numbering in step
      if (t.key->kind != TypeKind::kString)
        return Status::TypeError("PROTOBUF format only supports MAP types with STRING keys");
      if (!t.value->IsPrimitive() && t.value->kind != TypeKind::kStruct)
        return Status::TypeError("PROTOBUF cannot write " + t.ToString() + " (field `" +
                                 field.name + "`): map values that are collections");
      std::string value;
      SLUICE_RETURN_IF_ERROR(TypeName(*t.value, field.name, false, indent, &value, nested));
      type = "map<string, " + value + ">";
    } else {
      SLUICE_RETURN_IF_ERROR(TypeName(t, field.name, true, indent, &type, nested));
      if (nullable_ == Nullable::kOptional && ScalarName(t.kind)) label = "optional ";
    }
    *body += indent + label + type + " " + field.name + " = " + std::to_string(tag);
    if (t.kind == TypeKind::kDecimal) {
      imports_.insert("confluent/meta.proto");
      *body += " [(confluent.field_meta) = {\n" + indent + "    params: [\n" + indent +
               "      {\n" + indent + "        key: \"precision\",\n" + indent +
               "        value: \"" + std::to_string(t.precision) + "\"\n" + indent + "      },\n" +
               indent + "      {\n" + indent + "        key: \"scale\",\n" + indent +
               "        value: \"" + std::to_string(t.scale) + "\"\n" + indent + "      }\n" +
               indent + "    ]\n" + indent + "  }]";
    }
    *body += ";\n";
    return Status::OK();
  }

  // The type of a single (non-repeated) value; a STRUCT is defined as a nested message.
  Status TypeName(const SqlType& t, const std::string& field_name, bool singular,
                  const std::string& indent, std::string* type, std::string* nested) {
    (void)singular;
    switch (t.kind) {
      case TypeKind::kDecimal:
        imports_.insert("confluent/type/decimal.proto");
        *type = "confluent.type.Decimal";
        return Status::OK();
      case TypeKind::kDate:
        imports_.insert("google/type/date.proto");
        *type = "google.type.Date";
        return Status::OK();
      case TypeKind::kTime:
        imports_.insert("google/type/timeofday.proto");
        *type = "google.type.TimeOfDay";
        return Status::OK();
      case TypeKind::kTimestamp:
        imports_.insert("google/protobuf/timestamp.proto");
        *type = "google.protobuf.Timestamp";
        return Status::OK();
      case TypeKind::kStruct: {
        std::string name = NextName();
        if (name == field_name) name += "Message";  // a type may not share its field's name
        *type = name;
        std::string text;
        SLUICE_RETURN_IF_ERROR(Message(name, t.fields, indent, &text));
        *nested += "\n" + text;
        return Status::OK();
      }
      case TypeKind::kArray:
      case TypeKind::kMap:
        return Status::TypeError("PROTOBUF cannot write nested " + t.ToString());
      default:
        break;
    }
    if (nullable_ == Nullable::kWrapper) {
      imports_.insert("google/protobuf/wrappers.proto");
      *type = WrapperName(t.kind);
    } else {
      *type = ScalarName(t.kind);
    }
    return Status::OK();
  }

  Nullable nullable_;
  int counter_ = 0;
  std::set<std::string> imports_;
};

Status CheckMapKeys(const SqlType& t) {
  switch (t.kind) {
    case TypeKind::kMap:
      if (t.key->kind != TypeKind::kString)
        return Status::TypeError("PROTOBUF format only supports MAP types with STRING keys");
      return CheckMapKeys(*t.value);
    case TypeKind::kArray: return CheckMapKeys(*t.element);
    case TypeKind::kStruct:
      for (const auto& f : t.fields) SLUICE_RETURN_IF_ERROR(CheckMapKeys(*f.type));
      return Status::OK();
    default: return Status::OK();
  }
}

}  // namespace

Status CheckColumns(const std::vector<Column>& columns) {
  for (const Column& c : columns) SLUICE_RETURN_IF_ERROR(CheckMapKeys(*c.type));
  return Status::OK();
}

Result<DerivedSchema> DeriveSchema(const std::vector<Column>& columns,
                                   const std::string& full_name, Nullable nullable) {
  SLUICE_RETURN_IF_ERROR(CheckColumns(columns));
  Deriver deriver(nullable);
  std::string package, name;
  // ksqlDB ignores a full name in Connect's default style (it would shift the numbering).
  if (!full_name.empty() && full_name.rfind("ConnectDefault", 0) != 0) {
    const size_t dot = full_name.rfind('.');
    package = dot == std::string::npos ? "" : full_name.substr(0, dot);
    name = dot == std::string::npos ? full_name : full_name.substr(dot + 1);
  } else {
    name = deriver.NextName();
  }
  std::vector<StructField> fields;
  for (const Column& c : columns) fields.push_back({c.name, c.type});
  std::string message;
  SLUICE_RETURN_IF_ERROR(deriver.Message(name, fields, "", &message));
  std::string text = "syntax = \"proto3\";\n";
  if (!package.empty()) text += "package " + package + ";\n";
  text += "\n";
  for (const std::string& import : deriver.imports()) text += "import \"" + import + "\";\n";
  if (!deriver.imports().empty()) text += "\n";
  text += message;
  return DerivedSchema{std::move(text), package.empty() ? name : package + "." + name};
}

}  // namespace sluice::serde::pb
