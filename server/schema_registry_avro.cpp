#include "server/schema_registry_avro.h"

#include <set>
#include <utility>

#include <nlohmann/json.hpp>

namespace sluice {

using json = nlohmann::ordered_json;
using Kind = AvroNode::Kind;

namespace {

const std::map<std::string, Kind>& PrimitiveKinds() {
  static const std::map<std::string, Kind> kinds{
      {"null", Kind::kNull},   {"boolean", Kind::kBoolean}, {"int", Kind::kInt},
      {"long", Kind::kLong},   {"float", Kind::kFloat},     {"double", Kind::kDouble},
      {"bytes", Kind::kBytes}, {"string", Kind::kString}};
  return kinds;
}

const char* KindName(Kind k) {
  switch (k) {
    case Kind::kNull: return "null";
    case Kind::kBoolean: return "boolean";
    case Kind::kInt: return "int";
    case Kind::kLong: return "long";
    case Kind::kFloat: return "float";
    case Kind::kDouble: return "double";
    case Kind::kBytes: return "bytes";
    case Kind::kString: return "string";
    case Kind::kRecord: return "record";
    case Kind::kEnum: return "enum";
    case Kind::kFixed: return "fixed";
    case Kind::kArray: return "array";
    case Kind::kMap: return "map";
    case Kind::kUnion: return "union";
  }
  return "?";
}

std::string Describe(const AvroNode& n) {
  return n.full_name.empty() ? KindName(n.kind) : std::string(KindName(n.kind)) + " " + n.full_name;
}

// "a.b.C" in namespace "x" stays "a.b.C"; "C" in namespace "x" is "x.C".
std::string FullName(const std::string& name, const std::string& ns) {
  if (name.find('.') != std::string::npos || ns.empty()) return name;
  return ns + "." + name;
}

std::string NamespaceOf(const std::string& full_name) {
  auto dot = full_name.rfind('.');
  return dot == std::string::npos ? "" : full_name.substr(0, dot);
}

std::string ShortName(const std::string& full_name) {
  auto dot = full_name.rfind('.');
  return dot == std::string::npos ? full_name : full_name.substr(dot + 1);
}

}  // namespace

class AvroParser {
 public:
  explicit AvroParser(AvroSchema& schema) : schema_(schema) {}

  Result<const AvroNode*> Parse(const json& j, const std::string& ns) {
    if (j.is_string()) return Reference(j.get<std::string>(), ns);
    if (j.is_array()) return Union(j, ns);
    if (!j.is_object()) return Status::InvalidArgument("a schema must be a type name, an object or a union array: " + j.dump());
    auto type = j.find("type");
    if (type == j.end()) return Status::InvalidArgument("no type: " + j.dump());
    if (!type->is_string()) return Parse(*type, ns);  // {"type": {...}} or {"type": [...]}
    const std::string t = type->get<std::string>();
    if (t == "record" || t == "error") return Record(j, ns);
    if (t == "enum") return Enum(j, ns);
    if (t == "fixed") return Fixed(j, ns);
    if (t == "array") return Container(j, ns, Kind::kArray, "items");
    if (t == "map") return Container(j, ns, Kind::kMap, "values");
    return Reference(t, ns);  // a primitive with attributes (logicalType ...) or a named type
  }

 private:
  AvroNode* New(Kind kind) {
    schema_.nodes_.emplace_back();
    schema_.nodes_.back().kind = kind;
    return &schema_.nodes_.back();
  }

  Result<const AvroNode*> Reference(const std::string& name, const std::string& ns) {
    if (auto p = PrimitiveKinds().find(name); p != PrimitiveKinds().end()) return New(p->second);
    for (const std::string& candidate : {FullName(name, ns), name}) {
      if (auto it = schema_.named_.find(candidate); it != schema_.named_.end()) return it->second;
    }
    return Status::InvalidArgument("\"" + name + "\" is not a defined name");
  }

  Result<const AvroNode*> Union(const json& j, const std::string& ns) {
    AvroNode* node = New(Kind::kUnion);
    std::set<std::string> seen;
    for (const json& branch : j) {
      auto b = Parse(branch, ns);
      if (!b.ok()) return b.status();
      if ((*b)->kind == Kind::kUnion) return Status::InvalidArgument("unions may not immediately contain other unions");
      const std::string key = (*b)->full_name.empty() ? KindName((*b)->kind) : (*b)->full_name;
      if (!seen.insert(key).second) return Status::InvalidArgument("duplicate in union: " + key);
      node->branches.push_back(*b);
    }
    return node;
  }

  // Names a record, enum or fixed and registers it, so that later (and its own fields') type
  // references find it. Returns the namespace its fields are resolved in.
  Result<std::string> Name(AvroNode* node, const json& j, const std::string& ns) {
    auto name = j.find("name");
    if (name == j.end() || !name->is_string() || name->get<std::string>().empty())
      return Status::InvalidArgument(std::string("a ") + KindName(node->kind) + " needs a name: " + j.dump());
    std::string own_ns = ns;
    if (auto n = j.find("namespace"); n != j.end() && n->is_string()) own_ns = n->get<std::string>();
    node->full_name = FullName(name->get<std::string>(), own_ns);
    if (PrimitiveKinds().count(ShortName(node->full_name)))
      return Status::InvalidArgument("a named type may not be called " + node->full_name);
    if (!schema_.named_.emplace(node->full_name, node).second)
      return Status::InvalidArgument("Can't redefine: " + node->full_name);
    const std::string inner_ns = NamespaceOf(node->full_name);
    if (auto a = j.find("aliases"); a != j.end() && a->is_array())
      for (const json& alias : *a)
        if (alias.is_string()) node->aliases.push_back(FullName(alias.get<std::string>(), inner_ns));
    return inner_ns;
  }

  Result<const AvroNode*> Record(const json& j, const std::string& ns) {
    AvroNode* node = New(Kind::kRecord);
    auto inner_ns = Name(node, j, ns);
    if (!inner_ns.ok()) return inner_ns.status();
    auto fields = j.find("fields");
    if (fields == j.end() || !fields->is_array())
      return Status::InvalidArgument("record " + node->full_name + " has no fields array");
    std::set<std::string> names;
    for (const json& f : *fields) {
      if (!f.is_object() || !f.contains("name") || !f["name"].is_string())
        return Status::InvalidArgument("a field of record " + node->full_name + " has no name: " + f.dump());
      AvroNode::Field field;
      field.name = f["name"].get<std::string>();
      if (!names.insert(field.name).second)
        return Status::InvalidArgument("record " + node->full_name + " has two fields named " + field.name);
      if (!f.contains("type"))
        return Status::InvalidArgument("field " + field.name + " of record " + node->full_name + " has no type");
      auto type = Parse(f["type"], *inner_ns);
      if (!type.ok()) return type.status();
      field.type = *type;
      field.has_default = f.contains("default");
      if (auto a = f.find("aliases"); a != f.end() && a->is_array())
        for (const json& alias : *a)
          if (alias.is_string()) field.aliases.push_back(alias.get<std::string>());
      node->fields.push_back(std::move(field));
    }
    return node;
  }

  Result<const AvroNode*> Enum(const json& j, const std::string& ns) {
    AvroNode* node = New(Kind::kEnum);
    if (auto s = Name(node, j, ns); !s.ok()) return s.status();
    auto symbols = j.find("symbols");
    if (symbols == j.end() || !symbols->is_array())
      return Status::InvalidArgument("enum " + node->full_name + " has no symbols array");
    std::set<std::string> seen;
    for (const json& s : *symbols) {
      if (!s.is_string() || !seen.insert(s.get<std::string>()).second)
        return Status::InvalidArgument("enum " + node->full_name + " has a bad or duplicate symbol: " + s.dump());
      node->symbols.push_back(s.get<std::string>());
    }
    node->has_enum_default = j.contains("default");
    return node;
  }

  Result<const AvroNode*> Fixed(const json& j, const std::string& ns) {
    AvroNode* node = New(Kind::kFixed);
    if (auto s = Name(node, j, ns); !s.ok()) return s.status();
    auto size = j.find("size");
    if (size == j.end() || !size->is_number_integer() || size->get<int64_t>() < 0)
      return Status::InvalidArgument("fixed " + node->full_name + " needs a non-negative integer size");
    node->size = size->get<int64_t>();
    return node;
  }

  Result<const AvroNode*> Container(const json& j, const std::string& ns, Kind kind, const char* key) {
    AvroNode* node = New(kind);
    auto inner = j.find(key);
    if (inner == j.end()) return Status::InvalidArgument(std::string(KindName(kind)) + " has no " + key + ": " + j.dump());
    auto type = Parse(*inner, ns);
    if (!type.ok()) return type.status();
    node->items = *type;
    return node;
  }

  AvroSchema& schema_;
};

Result<std::shared_ptr<AvroSchema>> AvroSchema::Parse(const std::string& text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::InvalidArgument("not JSON: " + text.substr(0, 200));
  auto schema = std::make_shared<AvroSchema>();
  AvroParser parser(*schema);
  auto root = parser.Parse(j, "");
  if (!root.ok()) return root.status();
  schema->root_ = *root;
  schema->compact_ = j.dump();
  return schema;
}

namespace {

// Avro's reader/writer resolution, collecting why it fails. Pairs under check are assumed
// compatible when met again, so recursive types terminate.
class Resolver {
 public:
  std::vector<std::string> problems;

  bool Check(const AvroNode& reader, const AvroNode& writer, const std::string& path) {
    if (!in_progress_.insert({&reader, &writer}).second) return true;
    bool ok = CheckOnce(reader, writer, path);
    in_progress_.erase({&reader, &writer});
    return ok;
  }

 private:
  bool Fail(const std::string& path, const std::string& what) {
    problems.push_back(what + " at " + (path.empty() ? "/" : path));
    return false;
  }

  static bool NamesMatch(const AvroNode& reader, const AvroNode& writer) {
    if (ShortName(reader.full_name) == ShortName(writer.full_name)) return true;
    for (const std::string& alias : reader.aliases)
      if (alias == writer.full_name || ShortName(alias) == ShortName(writer.full_name)) return true;
    return false;
  }

  static bool Promotes(Kind reader, Kind writer) {
    switch (reader) {
      case Kind::kLong: return writer == Kind::kInt;
      case Kind::kFloat: return writer == Kind::kInt || writer == Kind::kLong;
      case Kind::kDouble: return writer == Kind::kInt || writer == Kind::kLong || writer == Kind::kFloat;
      case Kind::kString: return writer == Kind::kBytes;
      case Kind::kBytes: return writer == Kind::kString;
      default: return false;
    }
  }

  // Whether a branch can read `writer`, without recording why the others cannot.
  bool Quietly(const AvroNode& reader, const AvroNode& writer) {
    Resolver probe;
    probe.in_progress_ = in_progress_;
    return probe.Check(reader, writer, "");
  }

  bool CheckOnce(const AvroNode& reader, const AvroNode& writer, const std::string& path) {
    if (writer.kind == Kind::kUnion) {
      bool ok = true;
      for (size_t i = 0; i < writer.branches.size(); ++i)
        ok = Check(reader, *writer.branches[i], path + "/" + std::to_string(i)) && ok;
      return ok;
    }
    if (reader.kind == Kind::kUnion) {
      for (const AvroNode* branch : reader.branches)
        if (Quietly(*branch, writer)) return true;
      return Fail(path, "the reader's union has no branch for the writer's " + Describe(writer));
    }
    if (reader.kind != writer.kind) {
      if (Promotes(reader.kind, writer.kind)) return true;
      return Fail(path, "the reader's " + Describe(reader) + " cannot read the writer's " + Describe(writer));
    }
    switch (reader.kind) {
      case Kind::kRecord: return Record(reader, writer, path);
      case Kind::kEnum: return Enum(reader, writer, path);
      case Kind::kFixed:
        if (!NamesMatch(reader, writer)) return Fail(path, "the fixed types are named differently (" + reader.full_name + ", " + writer.full_name + ")");
        if (reader.size != writer.size) return Fail(path, "fixed " + reader.full_name + " changed its size");
        return true;
      case Kind::kArray: return Check(*reader.items, *writer.items, path + "/items");
      case Kind::kMap: return Check(*reader.items, *writer.items, path + "/values");
      default: return true;  // same primitive
    }
  }

  bool Record(const AvroNode& reader, const AvroNode& writer, const std::string& path) {
    if (!NamesMatch(reader, writer))
      return Fail(path, "the records are named differently (" + reader.full_name + ", " + writer.full_name + ")");
    bool ok = true;
    for (const AvroNode::Field& field : reader.fields) {
      const AvroNode::Field* match = nullptr;
      for (const AvroNode::Field& w : writer.fields) {
        if (w.name == field.name) match = &w;
        for (const std::string& alias : field.aliases)
          if (!match && w.name == alias) match = &w;
      }
      const std::string field_path = path + "/fields/" + field.name;
      if (match) ok = Check(*field.type, *match->type, field_path) && ok;
      else if (!field.has_default)
        ok = Fail(field_path, "the reader's field " + field.name + " of " + reader.full_name +
                                  " has no default value and the writer's record lacks it") && ok;
    }
    return ok;
  }

  bool Enum(const AvroNode& reader, const AvroNode& writer, const std::string& path) {
    if (!NamesMatch(reader, writer))
      return Fail(path, "the enums are named differently (" + reader.full_name + ", " + writer.full_name + ")");
    if (reader.has_enum_default) return true;
    std::set<std::string> known(reader.symbols.begin(), reader.symbols.end());
    std::string missing;
    for (const std::string& s : writer.symbols)
      if (!known.count(s)) missing += (missing.empty() ? "" : ", ") + s;
    if (missing.empty()) return true;
    return Fail(path, "the reader's enum " + reader.full_name + " lacks the writer's symbols " + missing);
  }

  std::set<std::pair<const AvroNode*, const AvroNode*>> in_progress_;
};

}  // namespace

std::vector<std::string> AvroReadIncompatibilities(const AvroSchema& reader, const AvroSchema& writer) {
  Resolver r;
  r.Check(reader.root(), writer.root(), "");
  return r.problems;
}

}  // namespace sluice
