#include "server/schema_registry_protobuf.h"

#include <google/protobuf/compiler/parser.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <set>

#include "engine/serde/text_codec.h"

namespace sluice {

namespace pb = google::protobuf;

namespace {

// Keeps the first error (line:column, 1-based) of the .proto parser.
class FirstParseError : public pb::io::ErrorCollector {
 public:
  void AddError(int line, pb::io::ColumnNumber column, const std::string& message) override {
    if (first.empty()) first = std::to_string(line + 1) + ":" + std::to_string(column + 1) + ": " + message;
  }
  std::string first;
};

class FirstBuildError : public pb::DescriptorPool::ErrorCollector {
 public:
  void AddError(const std::string& filename, const std::string& element, const pb::Message*, ErrorLocation,
                const std::string& message) override {
    if (first.empty()) first = filename + (element.empty() ? "" : " (" + element + ")") + ": " + message;
  }
  std::string first;
};

Result<pb::FileDescriptorProto> ParseProtoText(const std::string& text, const std::string& name) {
  pb::io::ArrayInputStream input(text.data(), static_cast<int>(text.size()));
  FirstParseError errors;
  pb::io::Tokenizer tokenizer(&input, &errors);
  pb::compiler::Parser parser;
  parser.RecordErrorsTo(&errors);
  pb::FileDescriptorProto proto;
  if (!parser.Parse(&tokenizer, &proto) || !errors.first.empty())
    return Status::InvalidArgument(errors.first.empty() ? "not a .proto file" : errors.first);
  proto.set_name(name);
  return proto;
}

// Standard base64, '=' padding optional (engine/serde/text_codec's decoder); nullopt when
// the text is not base64.
std::optional<std::string> DecodeBase64(const std::string& in) {
  std::string out;
  if (!serde::DecodeBase64(in, &out)) return std::nullopt;
  return out;
}

// A pool that resolves the schema's imports: the references' files first, the well-known
// types from the library's own descriptors underneath.
Status AddReferences(pb::DescriptorPool& pool, const std::map<std::string, std::string>& references) {
  for (const auto& [name, text] : references) {
    if (pool.FindFileByName(name)) continue;
    auto proto = ParseProtoText(text, name);
    if (!proto.ok()) return Status::InvalidArgument("reference " + name + ": " + proto.status().message());
    FirstBuildError errors;
    if (!pool.BuildFileCollectingErrors(*proto, &errors))
      return Status::InvalidArgument("reference " + name + ": " + errors.first);
  }
  return Status::OK();
}

Result<const pb::FileDescriptor*> Build(pb::DescriptorPool& pool, const pb::FileDescriptorProto& proto) {
  if (const pb::FileDescriptor* known = pool.FindFileByName(proto.name())) return known;  // a well-known type
  FirstBuildError errors;
  const pb::FileDescriptor* file = pool.BuildFileCollectingErrors(proto, &errors);
  if (!file) return Status::InvalidArgument(errors.first);
  return file;
}

}  // namespace

Result<std::string> NormalizeProtobufSchema(const std::string& schema,
                                            const std::map<std::string, std::string>& references) {
  pb::DescriptorPool pool(pb::DescriptorPool::generated_pool());
  SLUICE_RETURN_IF_ERROR(AddReferences(pool, references));
  // Base64 first: parsing it as .proto text would only fail (and libprotobuf would log why).
  if (auto bytes = DecodeBase64(schema)) {
    pb::FileDescriptorProto proto;
    if (proto.ParseFromString(*bytes) && !proto.name().empty()) {
      auto built = Build(pool, proto);
      if (!built.ok()) return built.status();
      return (*built)->DebugString();
    }
  }
  auto text = ParseProtoText(schema, "schema.proto");
  if (!text.ok()) return text.status();
  auto built = Build(pool, *text);
  if (!built.ok()) return built.status();
  return schema;
}

// ---------------------------------------------------------------------------------------------
// Compatibility: Confluent's SchemaDiff (protobuf-provider) over the parsed .proto files.

namespace {

using FieldProto = pb::FieldDescriptorProto;
using MessageProto = pb::DescriptorProto;

enum class ProtoFieldKind { kScalar, kMap, kMessage };

// Confluent groups the scalars whose encodings read each other
// (https://protobuf.dev/programming-guides/proto3/#updating); an enum reads as a general number.
enum class ScalarGroup { kGeneralNumber, kSignedNumber, kStringOrBytes, kFixed32, kFixed64, kFloat, kDouble };

ScalarGroup GroupOf(FieldProto::Type type) {
  switch (type) {
    case FieldProto::TYPE_SINT32:
    case FieldProto::TYPE_SINT64: return ScalarGroup::kSignedNumber;
    case FieldProto::TYPE_STRING:
    case FieldProto::TYPE_BYTES: return ScalarGroup::kStringOrBytes;
    case FieldProto::TYPE_FIXED32:
    case FieldProto::TYPE_SFIXED32: return ScalarGroup::kFixed32;
    case FieldProto::TYPE_FIXED64:
    case FieldProto::TYPE_SFIXED64: return ScalarGroup::kFixed64;
    case FieldProto::TYPE_FLOAT: return ScalarGroup::kFloat;
    case FieldProto::TYPE_DOUBLE: return ScalarGroup::kDouble;
    default: return ScalarGroup::kGeneralNumber;  // int32/64, uint32/64, bool, enum
  }
}

// A named type's name without the leading dot and its file's package: what Confluent compares.
std::string LocalTypeName(const std::string& type_name, const std::string& package) {
  std::string name = !type_name.empty() && type_name[0] == '.' ? type_name.substr(1) : type_name;
  if (!package.empty() && name.rfind(package + ".", 0) == 0) name = name.substr(package.size() + 1);
  return name;
}

std::string LastComponent(const std::string& name) {
  const size_t dot = name.rfind('.');
  return dot == std::string::npos ? name : name.substr(dot + 1);
}

void CollectEnumNames(const MessageProto& m, std::set<std::string>* out) {
  for (const auto& e : m.enum_type()) out->insert(e.name());
  for (const auto& n : m.nested_type()) CollectEnumNames(n, out);
}

// One side of the comparison: its package and the enum names it declares (a field whose type
// names one is a scalar).
struct ProtoSide {
  std::string package;
  std::set<std::string> enums;

  explicit ProtoSide(const pb::FileDescriptorProto& file) : package(file.package()) {
    for (const auto& e : file.enum_type()) enums.insert(e.name());
    for (const auto& m : file.message_type()) CollectEnumNames(m, &enums);
  }
};

// The map entry message `field` names inside `owner` (protoc's map<K, V>), or null.
const MessageProto* MapEntryOf(const FieldProto& field, const MessageProto& owner) {
  if (field.label() != FieldProto::LABEL_REPEATED || field.type_name().empty()) return nullptr;
  const std::string entry = LastComponent(field.type_name());
  for (const auto& n : owner.nested_type())
    if (n.name() == entry && n.options().map_entry()) return &n;
  return nullptr;
}

bool IsScalarField(const FieldProto& field, const ProtoSide& side) {
  if (field.has_type() && field.type() != FieldProto::TYPE_MESSAGE && field.type() != FieldProto::TYPE_GROUP)
    return true;
  return field.type() == FieldProto::TYPE_ENUM || side.enums.count(LastComponent(field.type_name())) > 0;
}

class ProtoSchemaDiff {
 public:
  ProtoSchemaDiff(const pb::FileDescriptorProto& original, const pb::FileDescriptorProto& update)
      : original_(original), update_(update) {}

  std::vector<std::string> Breaking() {
    if (original_.package() != update_.package()) Add("PACKAGE_CHANGED", "#/");
    CompareMessages(original_.message_type(), update_.message_type(), "#/");
    return std::move(breaking_);
  }

 private:
  using Messages = pb::RepeatedPtrField<MessageProto>;

  void Add(const char* type, const std::string& path) { breaking_.push_back(std::string(type) + " at " + path); }

  // Messages are matched by name in each scope; a removed one breaks readers, an added one not.
  void CompareMessages(const Messages& original, const Messages& update, const std::string& scope) {
    std::map<std::string, const MessageProto*> by_name;
    for (const auto& m : update)
      if (!m.options().map_entry()) by_name[m.name()] = &m;
    for (const auto& m : original) {
      if (m.options().map_entry()) continue;
      auto it = by_name.find(m.name());
      if (it == by_name.end()) Add("MESSAGE_REMOVED", scope + m.name());
      else CompareMessage(m, *it->second, scope + m.name() + "/");
    }
  }

  // Fields by tag (proto3 `optional` fields are plain fields here; real oneofs apart).
  static std::map<int, const FieldProto*> TopLevelFields(const MessageProto& m) {
    std::map<int, const FieldProto*> out;
    for (const auto& f : m.field())
      if (!f.has_oneof_index() || f.proto3_optional()) out[f.number()] = &f;
    return out;
  }
  static std::map<std::string, std::map<int, const FieldProto*>> Oneofs(const MessageProto& m) {
    std::map<std::string, std::map<int, const FieldProto*>> out;
    for (const auto& f : m.field())
      if (f.has_oneof_index() && !f.proto3_optional() && f.oneof_index() < m.oneof_decl_size())
        out[m.oneof_decl(f.oneof_index()).name()][f.number()] = &f;
    return out;
  }

  void CompareMessage(const MessageProto& original, const MessageProto& update, const std::string& path) {
    auto original_top = TopLevelFields(original), update_top = TopLevelFields(update);
    const auto original_oneofs = Oneofs(original), update_oneofs = Oneofs(update);
    std::map<int, std::string> original_oneof_of;
    for (const auto& [name, fields] : original_oneofs)
      for (const auto& [tag, f] : fields) original_oneof_of[tag] = name;

    // Fields moved into a oneof: one is fine, several (or one joining fields of another oneof) not.
    for (const auto& [name, fields] : update_oneofs) {
      int moved = 0, existing = 0;
      for (const auto& [tag, f] : fields) {
        if (original_top.erase(tag)) ++moved;
        else if (original_oneof_of.count(tag)) ++existing;
      }
      if (moved > 1) Add("MULTIPLE_FIELDS_MOVED_TO_ONEOF", path + name);
      else if (moved == 1 && existing > 0) Add("FIELD_MOVED_TO_EXISTING_ONEOF", path + name);
    }
    for (const auto& [name, fields] : original_oneofs) {
      auto it = update_oneofs.find(name);
      if (it == update_oneofs.end()) continue;  // ONEOF_REMOVED is compatible
      for (const auto& [tag, f] : fields) {
        auto same = it->second.find(tag);
        if (same == it->second.end()) Add("ONEOF_FIELD_REMOVED", path + name + "/" + std::to_string(tag));
        else CompareField(*f, original, *same->second, update, path + name + "/" + std::to_string(tag));
      }
    }
    std::set<int> tags;
    for (const auto& [tag, f] : original_top) tags.insert(tag);
    for (const auto& [tag, f] : update_top) tags.insert(tag);
    for (int tag : tags) {
      auto o = original_top.find(tag), u = update_top.find(tag);
      const std::string at = path + std::to_string(tag);
      if (u == update_top.end()) {
        if (o->second->label() == FieldProto::LABEL_REQUIRED) Add("REQUIRED_FIELD_REMOVED", at);
      } else if (o == original_top.end()) {
        // A field moved out of a oneof is compared below; a new required field breaks readers.
        if (!original_oneof_of.count(tag) && u->second->label() == FieldProto::LABEL_REQUIRED)
          Add("REQUIRED_FIELD_ADDED", at);
      } else {
        CompareField(*o->second, original, *u->second, update, at);
      }
    }
    // Fields whose oneof membership changed keep their tag: compare their types too.
    std::map<int, const FieldProto*> update_all;
    std::map<int, std::string> update_oneof_of;
    for (const auto& f : update.field()) update_all[f.number()] = &f;
    for (const auto& [name, fields] : update_oneofs)
      for (const auto& [tag, f] : fields) update_oneof_of[tag] = name;
    for (const auto& f : original.field()) {
      auto u = update_all.find(f.number());
      if (u == update_all.end()) continue;
      auto oo = original_oneof_of.find(f.number());
      auto uo = update_oneof_of.find(f.number());
      const bool top_in_both = oo == original_oneof_of.end() && uo == update_oneof_of.end();
      const bool same_oneof = oo != original_oneof_of.end() && uo != update_oneof_of.end() && oo->second == uo->second;
      if (!top_in_both && !same_oneof)
        CompareField(f, original, *u->second, update, path + std::to_string(f.number()));
    }
    CompareMessages(original.nested_type(), update.nested_type(), path);
  }

  void CompareField(const FieldProto& o, const MessageProto& o_owner, const FieldProto& u,
                    const MessageProto& u_owner, const std::string& path) {
    const MessageProto* o_map = MapEntryOf(o, o_owner);
    const MessageProto* u_map = MapEntryOf(u, u_owner);
    const ProtoFieldKind ok = o_map ? ProtoFieldKind::kMap : IsScalarField(o, original_side_) ? ProtoFieldKind::kScalar : ProtoFieldKind::kMessage;
    const ProtoFieldKind uk = u_map ? ProtoFieldKind::kMap : IsScalarField(u, update_side_) ? ProtoFieldKind::kScalar : ProtoFieldKind::kMessage;
    if (ok != uk) return Add("FIELD_KIND_CHANGED", path);
    switch (ok) {
      case ProtoFieldKind::kScalar: {
        auto group = [](const FieldProto& f, const ProtoSide& side) {
          const bool is_enum = f.type() == FieldProto::TYPE_ENUM || (!f.has_type() && side.enums.count(LastComponent(f.type_name())));
          return is_enum ? ScalarGroup::kGeneralNumber : GroupOf(f.type());
        };
        if (group(o, original_side_) != group(u, update_side_)) Add("FIELD_SCALAR_KIND_CHANGED", path);
        return;
      }
      case ProtoFieldKind::kMessage:
        if (LocalTypeName(o.type_name(), original_side_.package) != LocalTypeName(u.type_name(), update_side_.package))
          Add("FIELD_NAMED_TYPE_CHANGED", path);
        return;
      case ProtoFieldKind::kMap:
        if (o_map->field_size() == 2 && u_map->field_size() == 2) {
          CompareField(o_map->field(0), *o_map, u_map->field(0), *u_map, path);
          CompareField(o_map->field(1), *o_map, u_map->field(1), *u_map, path);
        }
        return;
    }
  }

  const pb::FileDescriptorProto& original_;
  const pb::FileDescriptorProto& update_;
  const ProtoSide original_side_{original_};
  const ProtoSide update_side_{update_};
  std::vector<std::string> breaking_;
};

}  // namespace

Result<std::vector<std::string>> ProtobufBreakingChanges(const std::string& original, const std::string& update) {
  auto o = ParseProtoText(original, "original.proto");
  if (!o.ok()) return o.status();
  auto u = ParseProtoText(update, "update.proto");
  if (!u.ok()) return u.status();
  return ProtoSchemaDiff(*o, *u).Breaking();
}

}  // namespace sluice
