// Avro schema text -> Node tree; Node -> SQL type (ksqlDB's inference); columns -> the Avro
// schema ksqlDB registers (Connect's AvroData.fromConnectSchema with its metadata on).
#include "engine/serde/avro_schema.h"

#include <set>

#include "engine/common/ascii.h"

namespace sluice::serde::avro {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

namespace {
constexpr const char* kConnectNamespace = "io.confluent.connect.avro";

struct Primitive {
  const char* name;
  AvroType type;
};
constexpr Primitive kPrimitives[] = {
    {"null", AvroType::kNull},     {"boolean", AvroType::kBoolean}, {"int", AvroType::kInt},
    {"long", AvroType::kLong},     {"float", AvroType::kFloat},     {"double", AvroType::kDouble},
    {"bytes", AvroType::kBytes},   {"string", AvroType::kString},
};

bool PrimitiveType(const std::string& name, AvroType* out) {
  for (const auto& p : kPrimitives)
    if (name == p.name) {
      *out = p.type;
      return true;
    }
  return false;
}

std::string JoinName(const std::string& ns, const std::string& name) {
  return ns.empty() ? name : ns + "." + name;
}
}  // namespace

// Builds the node graph; named types are registered before their fields are parsed, so a
// record may refer to itself.
class SchemaParser {
 public:
  explicit SchemaParser(Schema* schema) : schema_(schema) {}

  Result<const Node*> Parse(const json& j, const std::string& ns) {
    if (++depth_ > 200) return Status::InvalidArgument("Invalid Avro schema: nested too deeply");
    Result<const Node*> r = ParseAny(j, ns);
    --depth_;
    return r;
  }

 private:
  Result<const Node*> ParseAny(const json& j, const std::string& ns) {
    if (j.is_string()) return ParseName(j.get<std::string>(), ns);
    if (j.is_array()) return ParseUnion(j, ns);
    if (!j.is_object() || !j.contains("type"))
      return Status::InvalidArgument("Invalid Avro schema: " + j.dump());
    const json& type = j["type"];
    if (!type.is_string()) return Parse(type, ns);  // {"type": {...}} or {"type": [...]}
    const std::string t = type.get<std::string>();
    if (t == "record" || t == "error") return ParseRecord(j, ns);
    if (t == "enum") return ParseEnum(j, ns);
    if (t == "fixed") return ParseFixed(j, ns);
    if (t == "array") return ParseArray(j, ns);
    if (t == "map") return ParseMap(j, ns);
    AvroType prim;
    if (!PrimitiveType(t, &prim)) return ParseName(t, ns);
    Node* n = NewNode(prim);
    ReadLogicalType(j, n);
    return n;
  }

  Node* NewNode(AvroType type) {
    schema_->nodes_.emplace_back();
    schema_->nodes_.back().type = type;
    return &schema_->nodes_.back();
  }

  Result<const Node*> ParseName(const std::string& name, const std::string& ns) {
    AvroType prim;
    if (PrimitiveType(name, &prim)) return NewNode(prim);
    auto it = named_.find(name.find('.') == std::string::npos ? JoinName(ns, name) : name);
    if (it == named_.end()) it = named_.find(name);
    if (it == named_.end()) return Status::InvalidArgument("Invalid Avro schema: undefined name: " + name);
    return it->second;
  }

  // Avro's rule: a name with a dot is already full; else the "namespace" attribute or the
  // enclosing namespace qualifies it.
  Status NameNode(const json& j, const std::string& ns, Node* n) {
    if (!j.contains("name") || !j["name"].is_string())
      return Status::InvalidArgument("Invalid Avro schema: no name in " + j.dump());
    n->name = j["name"].get<std::string>();
    if (n->name.find('.') != std::string::npos) {
      n->full_name = n->name;
      n->name = n->name.substr(n->name.rfind('.') + 1);
    } else {
      std::string own_ns = ns;
      if (j.contains("namespace") && j["namespace"].is_string()) own_ns = j["namespace"].get<std::string>();
      n->full_name = JoinName(own_ns, n->name);
    }
    named_[n->full_name] = n;
    return Status::OK();
  }

  static std::string NamespaceOf(const Node* n) {
    auto dot = n->full_name.rfind('.');
    return dot == std::string::npos ? "" : n->full_name.substr(0, dot);
  }

  Result<const Node*> ParseRecord(const json& j, const std::string& ns) {
    Node* n = NewNode(AvroType::kRecord);
    SLUICE_RETURN_IF_ERROR(NameNode(j, ns, n));
    if (!j.contains("fields") || !j["fields"].is_array())
      return Status::InvalidArgument("Invalid Avro schema: record " + n->full_name + " has no fields");
    const std::string inner_ns = NamespaceOf(n);
    for (const json& f : j["fields"]) {
      if (!f.is_object() || !f.contains("name") || !f["name"].is_string() || !f.contains("type"))
        return Status::InvalidArgument("Invalid Avro schema: bad field in " + n->full_name);
      FieldDef def;
      def.name = f["name"].get<std::string>();
      auto type = Parse(f["type"], inner_ns);
      if (!type.ok()) return type.status();
      def.type = type.value();
      if (f.contains("default")) {
        def.has_default = true;
        def.default_value = f["default"];
      }
      n->fields.push_back(std::move(def));
    }
    if (j.value("connect.internal.type", "") == "MapEntry" || n->full_name == JoinName(kConnectNamespace, "MapEntry"))
      map_entry_records_.insert(n);
    return n;
  }

  Result<const Node*> ParseEnum(const json& j, const std::string& ns) {
    Node* n = NewNode(AvroType::kEnum);
    SLUICE_RETURN_IF_ERROR(NameNode(j, ns, n));
    if (!j.contains("symbols") || !j["symbols"].is_array())
      return Status::InvalidArgument("Invalid Avro schema: enum " + n->full_name + " has no symbols");
    for (const json& s : j["symbols"]) {
      if (!s.is_string()) return Status::InvalidArgument("Invalid Avro schema: bad enum symbol");
      n->symbols.push_back(s.get<std::string>());
    }
    return n;
  }

  Result<const Node*> ParseFixed(const json& j, const std::string& ns) {
    Node* n = NewNode(AvroType::kFixed);
    SLUICE_RETURN_IF_ERROR(NameNode(j, ns, n));
    if (!j.contains("size") || !j["size"].is_number_integer() || j["size"].get<int64_t>() < 0)
      return Status::InvalidArgument("Invalid Avro schema: fixed " + n->full_name + " has no size");
    n->fixed_size = static_cast<int>(j["size"].get<int64_t>());
    ReadLogicalType(j, n);
    return n;
  }

  Result<const Node*> ParseArray(const json& j, const std::string& ns) {
    if (!j.contains("items")) return Status::InvalidArgument("Invalid Avro schema: array without items");
    auto items = Parse(j["items"], ns);
    if (!items.ok()) return items.status();
    Node* n = NewNode(AvroType::kArray);
    n->items = items.value();
    // Connect's map-as-array: records of exactly {key, value}, marked as MapEntry.
    const Node* it = n->items;
    n->map_entries = map_entry_records_.count(it) && it->fields.size() == 2 &&
                     it->fields[0].name == "key" && it->fields[1].name == "value";
    return n;
  }

  Result<const Node*> ParseMap(const json& j, const std::string& ns) {
    if (!j.contains("values")) return Status::InvalidArgument("Invalid Avro schema: map without values");
    auto values = Parse(j["values"], ns);
    if (!values.ok()) return values.status();
    Node* n = NewNode(AvroType::kMap);
    n->values = values.value();
    return n;
  }

  Result<const Node*> ParseUnion(const json& j, const std::string& ns) {
    Node* n = NewNode(AvroType::kUnion);
    for (const json& b : j) {
      auto branch = Parse(b, ns);
      if (!branch.ok()) return branch.status();
      if (branch.value()->type == AvroType::kNull) n->null_branch = static_cast<int>(n->branches.size());
      n->branches.push_back(branch.value());
    }
    if (n->branches.empty()) return Status::InvalidArgument("Invalid Avro schema: empty union");
    if (n->branches.size() == 2 && n->null_branch >= 0) n->value_branch = 1 - n->null_branch;
    return n;
  }

  static void ReadLogicalType(const json& j, Node* n) {
    const std::string lt = j.value("logicalType", "");
    if (lt == "decimal" && (n->type == AvroType::kBytes || n->type == AvroType::kFixed)) {
      n->logical = Logical::kDecimal;
      if (j.contains("precision") && j["precision"].is_number_integer()) n->precision = j["precision"].get<int>();
      if (j.contains("scale") && j["scale"].is_number_integer()) n->scale = j["scale"].get<int>();
    } else if (n->type == AvroType::kInt) {
      if (lt == "date") n->logical = Logical::kDate;
      if (lt == "time-millis") n->logical = Logical::kTimeMillis;
    } else if (n->type == AvroType::kLong) {
      if (lt == "time-micros") n->logical = Logical::kTimeMicros;
      if (lt == "timestamp-millis") n->logical = Logical::kTimestampMillis;
      if (lt == "timestamp-micros") n->logical = Logical::kTimestampMicros;
    }
  }

  Schema* schema_;
  std::map<std::string, const Node*> named_;
  std::set<const Node*> map_entry_records_;
  int depth_ = 0;
};

Result<std::shared_ptr<const Schema>> Schema::Parse(const std::string& text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    // A bare primitive name (`int`) is how some tools write a primitive schema.
    const size_t b = text.find_first_not_of(" \t\r\n"), e = text.find_last_not_of(" \t\r\n");
    const std::string bare = b == std::string::npos ? "" : text.substr(b, e - b + 1);
    AvroType prim;
    if (!PrimitiveType(bare, &prim))
      return Status::InvalidArgument("Invalid Avro schema: not JSON: " + text.substr(0, 80));
    j = bare;
  }
  auto schema = std::make_shared<Schema>();
  SchemaParser parser(schema.get());
  auto root = parser.Parse(j, "");
  if (!root.ok()) return root.status();
  schema->root_ = root.value();
  return std::shared_ptr<const Schema>(std::move(schema));
}

// ---- Avro -> SQL types (CREATE without columns) ----

std::string UnionBranchName(const Node* branch) {
  switch (branch->type) {
    case AvroType::kRecord: case AvroType::kEnum: return branch->name;
    case AvroType::kFixed: return "bytes";  // Connect sees fixed as bytes
    default: break;
  }
  for (const auto& p : kPrimitives)
    if (p.type == branch->type) return p.name;
  return branch->type == AvroType::kArray ? "array" : "map";
}

namespace {
class SqlTypeMapper {
 public:
  explicit SqlTypeMapper(bool original_field_names) : original_field_names_(original_field_names) {}

  Result<TypePtr> Map(const Node* n) {
    switch (n->type) {
      case AvroType::kNull:
        return Status::InvalidArgument("Standalone null schemas are not supported by this converter");
      case AvroType::kBoolean: return SqlType::Boolean();
      case AvroType::kInt:
        if (n->logical == Logical::kDate) return SqlType::Date();
        if (n->logical == Logical::kTimeMillis) return SqlType::Time();
        return SqlType::Integer();
      case AvroType::kLong:
        return n->logical == Logical::kTimestampMillis ? SqlType::Timestamp() : SqlType::Bigint();
      case AvroType::kFloat: case AvroType::kDouble: return SqlType::Double();
      case AvroType::kString: case AvroType::kEnum: return SqlType::String();
      case AvroType::kBytes: case AvroType::kFixed:
        if (n->logical == Logical::kDecimal)
          return SqlType::Decimal(n->precision > 0 ? n->precision : 64, n->scale);
        return SqlType::Bytes();
      case AvroType::kArray: return MapArray(n);
      case AvroType::kMap: {
        auto v = Map(n->values);
        if (!v.ok()) return v;
        return SqlType::Map(SqlType::String(), v.value());
      }
      case AvroType::kRecord: return MapRecord(n);
      case AvroType::kUnion: return MapUnion(n);
    }
    return Status::InvalidArgument("Unsupported Avro type");
  }

 private:
  Result<TypePtr> MapArray(const Node* n) {
    if (!n->map_entries) {
      auto e = Map(n->items);
      if (!e.ok()) return e;
      return SqlType::Array(e.value());
    }
    // ksqlDB turns any primitive map key into STRING; other key types are refused.
    auto key = Map(n->items->fields[0].type);
    if (!key.ok()) return key;
    switch (key.value()->kind) {
      case TypeKind::kInteger: case TypeKind::kBigint: case TypeKind::kBoolean: case TypeKind::kString:
        break;
      default:
        return Status::InvalidArgument("Unsupported type for map key: " + key.value()->ToString());
    }
    auto v = Map(n->items->fields[1].type);
    if (!v.ok()) return v;
    return SqlType::Map(SqlType::String(), v.value());
  }

  // Fields whose type ksqlDB cannot carry are left out (ksqlDB logs and drops them).
  Result<TypePtr> MapRecord(const Node* n) {
    if (!in_progress_.insert(n).second)
      return Status::InvalidArgument("Recursive Avro record " + n->full_name + " is not supported");
    std::vector<StructField> fields;
    for (const FieldDef& f : n->fields) {
      auto t = Map(f.type);
      if (t.ok()) fields.push_back({FieldName(f.name), t.value()});
      else if (t.status().message().rfind("Recursive", 0) == 0) return t;
    }
    in_progress_.erase(n);
    return SqlType::Struct(std::move(fields));
  }

  Result<TypePtr> MapUnion(const Node* n) {
    if (n->value_branch >= 0) return Map(n->branches[n->value_branch]);
    std::vector<StructField> fields;
    for (const Node* b : n->branches) {
      if (b->type == AvroType::kNull) continue;
      auto t = Map(b);
      if (!t.ok()) return t;
      std::string name = FieldName(UnionBranchName(b));
      for (const auto& f : fields)
        if (f.name == name)
          return Status::InvalidArgument("Multiple union schemas map to the Connect union field name");
      fields.push_back({std::move(name), t.value()});
    }
    if (fields.size() == 1) return fields[0].type;
    return SqlType::Struct(std::move(fields));
  }

  std::string FieldName(const std::string& name) const { return original_field_names_ ? name : AsciiUpper(name); }

  const bool original_field_names_;
  std::set<const Node*> in_progress_;
};
}  // namespace

Result<TypePtr> ToSqlType(const Node* node, bool original_field_names) {
  return SqlTypeMapper(original_field_names).Map(node);
}

// ---- columns -> the Avro schema ksqlDB registers ----

namespace {
// Avro's name rule ([A-Za-z_][A-Za-z0-9_]*), with Avro's messages.
Status ValidateAvroName(const std::string& name) {
  if (name.empty()) return Status::InvalidArgument("Schema is not compatible with Avro: Empty name");
  auto alpha = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; };
  if (!alpha(name[0]))
    return Status::InvalidArgument("Schema is not compatible with Avro: Illegal initial character: " + name);
  for (char c : name)
    if (!alpha(c) && !(c >= '0' && c <= '9'))
      return Status::InvalidArgument("Schema is not compatible with Avro: Illegal character in: " + name);
  return Status::OK();
}

// Builds AvroData's JSON for ksqlDB's Connect schema of each SQL type. `path` is the name
// nested records take (ksqlDB's AvroSchemas: the full name, then "_<FIELD>" per level).
class KsqlSchemaWriter {
 public:
  explicit KsqlSchemaWriter(const std::string& full_name) {
    auto dot = full_name.rfind('.');
    namespace_ = dot == std::string::npos ? "" : full_name.substr(0, dot);
  }

  // An optional value: ["null", T].
  Result<ojson> Optional(const SqlType& t, const std::string& path) {
    auto inner = Type(t, path);
    if (!inner.ok()) return inner;
    return ojson::array({"null", std::move(inner.value())});
  }

  Result<ojson> Type(const SqlType& t, const std::string& path) {
    switch (t.kind) {
      case TypeKind::kBoolean: return ojson("boolean");
      case TypeKind::kInteger: return ojson("int");
      case TypeKind::kBigint: return ojson("long");
      case TypeKind::kDouble: return ojson("double");
      case TypeKind::kString: return ojson("string");
      case TypeKind::kBytes: return ojson("bytes");
      case TypeKind::kDecimal: return DecimalType(t);
      case TypeKind::kDate: return ConnectLogical("int", "org.apache.kafka.connect.data.Date", "date");
      case TypeKind::kTime:
        return ConnectLogical("int", "org.apache.kafka.connect.data.Time", "time-millis");
      case TypeKind::kTimestamp:
        return ConnectLogical("long", "org.apache.kafka.connect.data.Timestamp", "timestamp-millis");
      case TypeKind::kArray: {
        // Array elements take the array's own name: a STRUCT element is named like the field.
        auto items = Optional(*t.element, path);
        if (!items.ok()) return items;
        ojson a;
        a["type"] = "array";
        a["items"] = std::move(items.value());
        return a;
      }
      case TypeKind::kMap: return MapType(t, path);
      case TypeKind::kStruct: return Record(t.fields, path);
    }
    return Status::InvalidArgument("unknown type");
  }

  Result<ojson> Record(const std::vector<StructField>& fields, const std::string& path) {
    ojson r;
    r["type"] = "record";
    r["name"] = SimpleName(path);
    if (!emitted_namespace_) {  // nested records share the top-level namespace: Avro omits it
      if (!namespace_.empty()) r["namespace"] = namespace_;
      emitted_namespace_ = true;
    }
    SLUICE_RETURN_IF_ERROR(ValidateAvroName(SimpleName(path)));
    ojson out_fields = ojson::array();
    for (const StructField& f : fields) {
      std::string name = f.name;
      for (char& c : name) if (c == '.') c = '_';
      SLUICE_RETURN_IF_ERROR(ValidateAvroName(name));
      auto type = Optional(*f.type, path + "_" + f.name);
      if (!type.ok()) return type;
      ojson field;
      field["name"] = name;
      field["type"] = std::move(type.value());
      field["default"] = nullptr;
      out_fields.push_back(std::move(field));
    }
    r["fields"] = std::move(out_fields);
    r["connect.name"] = path;
    return r;
  }

 private:
  static std::string SimpleName(const std::string& path) {
    auto dot = path.rfind('.');
    return dot == std::string::npos ? path : path.substr(dot + 1);
  }

  static ojson ConnectLogical(const char* base, const char* connect_name, const char* logical) {
    ojson o;
    o["type"] = base;
    o["connect.version"] = 1;
    o["connect.name"] = connect_name;
    o["logicalType"] = logical;
    return o;
  }

  static ojson DecimalType(const SqlType& t) {
    ojson o;
    o["type"] = "bytes";
    o["scale"] = t.scale;
    o["precision"] = t.precision;
    o["connect.version"] = 1;
    o["connect.parameters"] = {{"scale", std::to_string(t.scale)},
                               {"connect.decimal.precision", std::to_string(t.precision)}};
    o["connect.name"] = "org.apache.kafka.connect.data.Decimal";
    o["logicalType"] = "decimal";
    return o;
  }

  // ksqlDB's map keys are optional strings, which AvroData writes as an array of MapEntry
  // records named after the map (Avro maps require non-null string keys).
  Result<ojson> MapType(const SqlType& t, const std::string& path) {
    if (t.key->kind != TypeKind::kString)
      return Status::InvalidArgument("Avro only supports MAPs with STRING keys");
    auto key = Optional(*t.key, path + "_MapKey");
    if (!key.ok()) return key;
    auto value = Optional(*t.value, path + "_MapValue");
    if (!value.ok()) return value;
    ojson entry;
    entry["type"] = "record";
    entry["name"] = SimpleName(path);
    if (!emitted_namespace_) {
      if (!namespace_.empty()) entry["namespace"] = namespace_;
      emitted_namespace_ = true;
    }
    entry["fields"] = ojson::array({ojson{{"name", "key"}, {"type", std::move(key.value())}, {"default", nullptr}},
                                    ojson{{"name", "value"}, {"type", std::move(value.value())}, {"default", nullptr}}});
    entry["connect.internal.type"] = "MapEntry";
    ojson a;
    a["type"] = "array";
    a["items"] = std::move(entry);
    a["connect.name"] = path;
    return a;
  }

  std::string namespace_;
  bool emitted_namespace_ = false;
};
}  // namespace

Result<ojson> KsqlAvroSchema(const std::vector<Column>& columns, bool wrapped,
                             const std::string& full_name) {
  const std::string name = full_name.empty() ? kDefaultSchemaFullName : full_name;
  KsqlSchemaWriter writer(name);
  if (wrapped) {
    std::vector<StructField> fields;
    for (const Column& c : columns) fields.push_back({c.name, c.type});
    return writer.Record(fields, name);
  }
  if (columns.size() != 1)
    return Status::InvalidArgument("An unwrapped AVRO schema needs exactly one column, got " +
                                   std::to_string(columns.size()));
  return writer.Type(*columns[0].type, name);  // the root is not optional: no union
}

}  // namespace sluice::serde::avro
