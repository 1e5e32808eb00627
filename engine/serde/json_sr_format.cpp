// JSON_SR: ksqlDB's JSON with Confluent's Schema Registry. The payload is Confluent's 5-byte
// header (magic byte 0, schema id) followed by plain JSON, so the JSON format's deserializer
// and serializer do the row work; this file adds the header, the JSON Schema ksqlDB derives
// for the columns (registered as schemaType JSON under the sink's subject), and the columns
// ksqlDB infers from a registered JSON Schema (Confluent's JsonSchemaData, as ksqlDB reads it).
//
// As ksqlDB's JSON_SR deserializer, a reader requires the header but does not look the id up:
// the columns, not the writer's schema, say how the JSON is read.
#include <algorithm>

#include <nlohmann/json.hpp>

#include "engine/schema_registry/schema_registry.h"
#include "engine/serde/serde_factories.h"

namespace sluice::serde {

namespace {

using ojson = nlohmann::ordered_json;

// ---------------------------------------------------------------------------------------------
// Columns -> JSON Schema (Confluent's JsonSchemaData.fromConnectSchema of ksqlDB's schema:
// every field optional, written as oneOf null / the type, with its connect.index)

ojson JsonSchemaOf(const SqlType& type);

ojson Optional(ojson schema) {
  return ojson{{"oneOf", ojson::array({ojson{{"type", "null"}}, std::move(schema)})}};
}

ojson LogicalInteger(const char* connect_type, const char* title) {
  return ojson{{"type", "integer"}, {"title", title}, {"connect.type", connect_type}};
}

ojson ObjectSchema(const std::vector<StructField>& fields) {
  ojson properties = ojson::object();
  for (size_t i = 0; i < fields.size(); ++i) {
    ojson field = Optional(JsonSchemaOf(*fields[i].type));
    field["connect.index"] = static_cast<int>(i);
    properties[fields[i].name] = std::move(field);
  }
  return ojson{{"type", "object"}, {"properties", std::move(properties)}};
}

ojson JsonSchemaOf(const SqlType& type) {
  switch (type.kind) {
    case TypeKind::kBoolean: return ojson{{"type", "boolean"}};
    case TypeKind::kInteger: return ojson{{"type", "integer"}, {"connect.type", "int32"}};
    case TypeKind::kBigint: return ojson{{"type", "integer"}, {"connect.type", "int64"}};
    case TypeKind::kDouble: return ojson{{"type", "number"}, {"connect.type", "float64"}};
    case TypeKind::kString: return ojson{{"type", "string"}};
    case TypeKind::kBytes: return ojson{{"type", "string"}, {"connect.type", "bytes"}};
    case TypeKind::kDecimal:
      return ojson{{"type", "number"},
                   {"title", "org.apache.kafka.connect.data.Decimal"},
                   {"connect.type", "bytes"},
                   {"connect.parameters",
                    ojson{{"connect.decimal.precision", std::to_string(type.precision)},
                          {"scale", std::to_string(type.scale)}}}};
    case TypeKind::kDate: return LogicalInteger("int32", "org.apache.kafka.connect.data.Date");
    case TypeKind::kTime: return LogicalInteger("int32", "org.apache.kafka.connect.data.Time");
    case TypeKind::kTimestamp:
      return LogicalInteger("int64", "org.apache.kafka.connect.data.Timestamp");
    case TypeKind::kArray:
      return ojson{{"type", "array"}, {"items", Optional(JsonSchemaOf(*type.element))}};
    case TypeKind::kMap:
      return ojson{{"type", "object"},
                   {"additionalProperties", Optional(JsonSchemaOf(*type.value))},
                   {"connect.type", "map"}};
    case TypeKind::kStruct: return ObjectSchema(type.fields);
  }
  return ojson::object();
}

// The schema of one side: a record of the columns, or the bare (optional) type of a single
// key column / unwrapped value, as ksqlDB writes them.
std::string DerivedSchemaText(const std::vector<Column>& columns, bool bare) {
  if (bare) return Optional(JsonSchemaOf(*columns[0].type)).dump();
  std::vector<StructField> fields;
  for (const auto& c : columns) fields.push_back({c.name, c.type});
  return ObjectSchema(fields).dump();
}

bool IsBare(const FormatOptions& opts, const std::vector<Column>& columns) {
  return columns.size() == 1 && !opts.wrap_single_value;
}

// ---------------------------------------------------------------------------------------------
// Payloads

class JsonSrDeserializer final : public RowDeserializer {
 public:
  explicit JsonSrDeserializer(std::unique_ptr<RowDeserializer> json) : json_(std::move(json)) {}

  Status Deserialize(std::string_view bytes, Row* out) override {
    if (bytes.empty() || bytes[0] != 0)
      return Status::SerdeError(
          "Got unexpected JSON serialization format that did not start with the magic byte. If "
          "this stream was not serialized using the JsonSchemaConverter, then make sure the "
          "stream is declared with a format that doesn't use schema registry.");
    auto id = ReadConfluentHeader(bytes);
    if (!id.ok()) return id.status();
    return json_->Deserialize(bytes.substr(kConfluentHeaderSize), out);
  }

 private:
  std::unique_ptr<RowDeserializer> json_;
};

class JsonSrSerializer final : public RowSerializer {
 public:
  JsonSrSerializer(std::unique_ptr<RowSerializer> json, int schema_id)
      : json_(std::move(json)), schema_id_(schema_id) {}

  Status Serialize(const Row& row, std::string* out) override {
    SLUICE_RETURN_IF_ERROR(json_->Serialize(row, &scratch_));
    out->clear();
    AppendConfluentHeader(schema_id_, out);
    out->append(scratch_);
    return Status::OK();
  }

  bool IsNullPayload(const Row& row) const override { return json_->IsNullPayload(row); }

 private:
  std::unique_ptr<RowSerializer> json_;
  int schema_id_;
  std::string scratch_;
};

// The id a writer puts in its header: the statement's schema id (which must exist and be a
// JSON Schema), else the derived schema registered under the subject.
Result<int> WriterSchemaId(const FormatOptions& opts, const std::vector<Column>& columns) {
  if (!opts.registry)
    return Status::InvalidArgument("The 'JSON_SR' format needs a Schema Registry ('ksql.schema.registry.url')");
  if (opts.schema_id) {
    auto schema = opts.registry->ById(*opts.schema_id);
    if (!schema.ok()) return schema.status();
    if (schema->type != SchemaType::kJson)
      return Status::InvalidArgument("Schema " + std::to_string(*opts.schema_id) + " is a " +
                                     SchemaTypeName(schema->type) + " schema, not a JSON schema");
    return *opts.schema_id;
  }
  if (opts.subject.empty()) return Status::InvalidArgument("JSON_SR serializer: no subject");
  auto id = opts.registry->Register(opts.subject, SchemaType::kJson,
                                    DerivedSchemaText(columns, IsBare(opts, columns)));
  // ksqlDB's words when the registry refuses a sink's schema (its SchemaRegisterInjector).
  if (!id.ok()) return Status::InvalidArgument("Could not register schema for topic: " + id.status().message());
  return id;
}

// ---------------------------------------------------------------------------------------------
// JSON Schema -> columns (CREATE without columns)

Result<TypePtr> SqlTypeOf(const ojson& schema, const std::string& where);

// {"oneOf": [{"type": "null"}, X]} and {"type": ["null", X]} are X, made optional (every ksqlDB
// column is); other unions ksqlDB cannot read.
Result<const ojson*> StripNull(const ojson& schema, ojson* scratch, const std::string& where) {
  for (const char* key : {"oneOf", "anyOf"}) {
    if (!schema.contains(key)) continue;
    const ojson& options = schema[key];
    const ojson* chosen = nullptr;
    int non_null = 0;
    for (const auto& o : options) {
      if (o.is_object() && o.value("type", "") == "null") continue;
      chosen = &o;
      ++non_null;
    }
    if (non_null != 1) return Status::InvalidArgument("Unsupported union at " + where + ": " + schema.dump());
    return chosen;
  }
  if (schema.contains("type") && schema["type"].is_array()) {
    std::vector<std::string> types;
    for (const auto& t : schema["type"])
      if (t.is_string() && t.get<std::string>() != "null") types.push_back(t.get<std::string>());
    if (types.size() != 1)
      return Status::InvalidArgument("Unsupported union at " + where + ": " + schema.dump());
    *scratch = schema;
    (*scratch)["type"] = types[0];
    return scratch;
  }
  return &schema;
}

std::string Param(const ojson& schema, const char* name) {
  if (!schema.contains("connect.parameters") || !schema["connect.parameters"].is_object()) return "";
  const ojson& p = schema["connect.parameters"];
  if (!p.contains(name)) return "";
  return p[name].is_string() ? p[name].get<std::string>() : p[name].dump();
}

Result<std::vector<StructField>> FieldsOf(const ojson& object_schema, const std::string& where) {
  std::vector<std::pair<int, StructField>> fields;
  const ojson& properties = object_schema["properties"];
  int position = 0;
  for (auto it = properties.begin(); it != properties.end(); ++it, ++position) {
    auto type = SqlTypeOf(it.value(), where + "." + it.key());
    if (!type.ok()) return type.status();
    // connect.index orders the fields as the writer declared them (JSON objects are unordered).
    int index = it.value().is_object() ? it.value().value("connect.index", position) : position;
    fields.push_back({index, StructField{it.key(), *type}});
  }
  std::stable_sort(fields.begin(), fields.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<StructField> out;
  for (auto& [index, field] : fields) out.push_back(std::move(field));
  return out;
}

Result<TypePtr> SqlTypeOf(const ojson& raw, const std::string& where) {
  if (raw.is_boolean()) return Status::InvalidArgument("Unsupported schema at " + where + ": " + raw.dump());
  ojson scratch;
  auto stripped = StripNull(raw, &scratch, where);
  if (!stripped.ok()) return stripped.status();
  const ojson& schema = **stripped;
  const std::string type = schema.value("type", "");
  const std::string connect_type = schema.value("connect.type", "");
  const std::string title = schema.value("title", "");
  if (type == "boolean") return SqlType::Boolean();
  if (type == "string") return connect_type == "bytes" ? SqlType::Bytes() : SqlType::String();
  if (type == "integer") {
    if (title == "org.apache.kafka.connect.data.Date") return SqlType::Date();
    if (title == "org.apache.kafka.connect.data.Time") return SqlType::Time();
    if (title == "org.apache.kafka.connect.data.Timestamp") return SqlType::Timestamp();
    if (connect_type == "int8" || connect_type == "int16" || connect_type == "int32") return SqlType::Integer();
    return SqlType::Bigint();
  }
  if (type == "number") {
    if (title == "org.apache.kafka.connect.data.Decimal") {
      const std::string precision = Param(schema, "connect.decimal.precision");
      const std::string scale = Param(schema, "scale");
      try {
        return SqlType::Decimal(precision.empty() ? 64 : std::stoi(precision), scale.empty() ? 0 : std::stoi(scale));
      } catch (const std::exception&) {
        return Status::InvalidArgument("Invalid decimal parameters at " + where);
      }
    }
    return SqlType::Double();
  }
  if (type == "array") {
    if (!schema.contains("items")) return Status::InvalidArgument("Array without items at " + where);
    auto element = SqlTypeOf(schema["items"], where + "[]");
    if (!element.ok()) return element.status();
    return SqlType::Array(*element);
  }
  if (type == "object") {
    if (schema.contains("properties") && schema["properties"].is_object()) {
      auto fields = FieldsOf(schema, where);
      if (!fields.ok()) return fields.status();
      return SqlType::Struct(std::move(*fields));
    }
    if (schema.contains("additionalProperties") && schema["additionalProperties"].is_object()) {
      auto value = SqlTypeOf(schema["additionalProperties"], where + "{}");
      if (!value.ok()) return value.status();
      return SqlType::Map(SqlType::String(), *value);
    }
    return SqlType::Struct({});
  }
  return Status::InvalidArgument("Unsupported schema type '" + type + "' at " + where);
}

}  // namespace

Result<std::unique_ptr<RowDeserializer>> MakeJsonSrDeserializer(const FormatOptions& opts,
                                                                std::vector<Column> columns,
                                                                std::vector<bool> needed) {
  const bool wrapped = !IsBare(opts, columns);
  return std::unique_ptr<RowDeserializer>(std::make_unique<JsonSrDeserializer>(
      MakeJsonDeserializer(std::move(columns), std::move(needed), wrapped)));
}

Result<std::unique_ptr<RowSerializer>> MakeJsonSrSerializer(const FormatOptions& opts,
                                                            std::vector<Column> columns) {
  auto id = WriterSchemaId(opts, columns);
  if (!id.ok()) return id.status();
  const bool wrapped = !IsBare(opts, columns);
  return std::unique_ptr<RowSerializer>(
      std::make_unique<JsonSrSerializer>(MakeJsonSerializer(std::move(columns), wrapped), *id));
}

Result<std::vector<Column>> JsonSchemaColumnsFromSchema(const std::string& schema_text,
                                                        bool is_key) {
  ojson schema = ojson::parse(schema_text, nullptr, /*allow_exceptions=*/false);
  if (schema.is_discarded()) return Status::InvalidArgument("Invalid JSON schema: " + schema_text);
  auto type = SqlTypeOf(schema, "$");
  if (!type.ok()) return type.status();
  // A record's fields are the columns; any other schema is one column (ksqlDB's ROWKEY for a
  // key, ROWVAL for an unwrapped value).
  if ((*type)->kind == TypeKind::kStruct) {
    std::vector<Column> columns;
    for (const auto& f : (*type)->fields) columns.push_back({f.name, f.type});
    return columns;
  }
  return std::vector<Column>{{is_key ? "ROWKEY" : "ROWVAL", *type}};
}

}  // namespace sluice::serde
