#include "engine/analyzer/registry_schemas.h"

#include <cctype>
#include <tuple>

#include <spdlog/spdlog.h>

#include "engine/common/ascii.h"
#include "engine/schema_registry/schema_registry.h"
#include "engine/serde/text_codec.h"  // TrimSpaces

namespace sluice {

namespace {

// The registry's schemaType a format reads and writes.
SchemaType RegistryTypeOf(FormatKind kind) {
  switch (kind) {
    case FormatKind::kProtobuf: return SchemaType::kProtobuf;
    case FormatKind::kJsonSr: return SchemaType::kJson;
    default: return SchemaType::kAvro;
  }
}

const char* Side(bool is_key) { return is_key ? "key" : "value"; }

// ksqlDB's name of a format's registry type, as its errors print it.
const char* FormatOfRegistryType(SchemaType type) {
  switch (type) {
    case SchemaType::kProtobuf: return "PROTOBUF";
    case SchemaType::kJson: return "JSON";
    case SchemaType::kAvro: return "AVRO";
  }
  return "AVRO";
}

Status NotFoundInRegistry(const std::string& topic, bool is_key) {
  const std::string subject = SchemaSubject(topic, is_key);
  return Status::InvalidArgument(
      std::string("Schema for message ") + (is_key ? "keys" : "values") + " on topic '" + topic +
      "' does not exist in the Schema Registry.\nSubject: " + subject +
      "\n\nPossible causes include:\n- The topic itself does not exist\n\t-> Use SHOW TOPICS; to "
      "check\n- Messages on the topic are not serialized using a format Schema Registry "
      "supports\n\t-> Use PRINT '" + topic + "' FROM BEGINNING; to verify\n- Messages on the "
      "topic have not been serialized using a Confluent Schema Registry supported serializer\n- "
      "The schema is registered on a different instance of the Schema Registry\n\t-> Use the "
      "REST API to list available subjects");
}

std::string RenderColumns(const std::vector<Column>& columns, bool is_key) {
  std::string out = "[";
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i) out += ", ";
    out += "`" + columns[i].name + "` " + (columns[i].type ? columns[i].type->ToString() : "?") +
           (is_key ? " KEY" : "");
  }
  return out + "]";
}

}  // namespace

std::string SchemaSubject(const std::string& topic, bool is_key) {
  return topic + (is_key ? "-key" : "-value");
}

std::string AvroKeySchemaName(const std::string& source_name) {
  std::string camel;
  bool word_start = true;
  for (char ch : source_name) {
    if (ch == '_') {
      word_start = true;
      continue;
    }
    const unsigned char c = static_cast<unsigned char>(ch);
    camel += static_cast<char>(word_start ? std::toupper(c) : std::tolower(c));
    word_start = false;
  }
  return "io.confluent.ksql.avro_schemas." + camel + "Key";
}

void AttachSchemaOptions(FormatOptions* format, const std::string& topic, bool is_key,
                         const WithProperties& props, const AnalysisConfig& config,
                         const std::string& source_name) {
  format->is_key = is_key;
  const auto& nullable = is_key ? props.key_nullable_representation : props.value_nullable_representation;
  if (nullable)
    format->protobuf_nullable = *nullable == "WRAPPER" ? ProtobufNullable::kWrapper : ProtobufNullable::kOptional;
  if (!UsesSchemaRegistry(format->kind)) return;
  format->registry = config.schema_registry;
  format->subject = SchemaSubject(topic, is_key);
  format->schema_id = is_key ? props.key_schema_id : props.value_schema_id;
  if (is_key && props.key_schema_full_name) format->schema_full_name = *props.key_schema_full_name;
  else if (is_key && format->kind == FormatKind::kAvro) format->schema_full_name = AvroKeySchemaName(source_name);
  if (!is_key) {
    if (props.value_schema_full_name) format->schema_full_name = *props.value_schema_full_name;
    else if (props.value_avro_schema_full_name)
      format->schema_full_name = std::string(serde::TrimSpaces(*props.value_avro_schema_full_name));
  }
}

Status CheckSchemaProperties(const WithProperties& props, FormatKind key_kind,
                             FormatKind value_kind) {
  // A full name names a message of a registered schema (or the record ksqlDB writes): only
  // the registry formats have one; AVRO's own property is for AVRO values only.
  auto full_name_error = [](FormatKind kind) {
    return Status::InvalidArgument(std::string(FormatName(kind)) +
                                   " does not support the following configs: [fullSchemaName]");
  };
  auto has_full_name = [](FormatKind kind) {
    return kind == FormatKind::kAvro || kind == FormatKind::kProtobuf ||
           kind == FormatKind::kProtobufNoSr || kind == FormatKind::kJsonSr;
  };
  if (props.value_avro_schema_full_name) {
    if (value_kind != FormatKind::kAvro) return full_name_error(value_kind);
    if (serde::TrimSpaces(*props.value_avro_schema_full_name).empty())
      return Status::InvalidArgument("fullSchemaName cannot be empty. Format configuration: {fullSchemaName=}");
  }
  for (const auto& [name, kind] : {std::pair{&props.key_schema_full_name, key_kind},
                                   std::pair{&props.value_schema_full_name, value_kind}}) {
    if (!*name) continue;
    if (!has_full_name(kind)) return full_name_error(kind);
    if (serde::TrimSpaces(**name).empty())
      return Status::InvalidArgument("fullSchemaName cannot be empty. Format configuration: {fullSchemaName=}");
  }
  for (const auto& [id, kind, is_key] : {std::tuple{props.key_schema_id, key_kind, true},
                                         std::tuple{props.value_schema_id, value_kind, false}})
    if (id && !UsesSchemaRegistry(kind))
      return Status::InvalidArgument(std::string(is_key ? "KEY_FORMAT" : "VALUE_FORMAT") +
                                     " should support schema inference when " +
                                     (is_key ? "KEY_SCHEMA_ID" : "VALUE_SCHEMA_ID") +
                                     " is provided. Current format is " + FormatName(kind) + ".");
  return Status::OK();
}

Result<bool> ShouldInferColumns(std::optional<int> schema_id, bool has_columns, FormatKind kind,
                                bool is_key) {
  if (!schema_id) return !has_columns && UsesSchemaRegistry(kind);
  if (has_columns)
    return Status::InvalidArgument(std::string("Table elements and ") +
                                   (is_key ? "KEY_SCHEMA_ID" : "VALUE_SCHEMA_ID") +
                                   " cannot both exist for create statement.");
  return true;
}

Result<InferredSchema> ReadTopicSchema(const std::string& topic, bool is_key, FormatKind kind,
                                       std::optional<int> schema_id,
                                       const std::string& full_name,
                                       const AnalysisConfig& config, bool unwrapped) {
  if (!config.schema_registry)
    return Status::InvalidArgument(std::string("Cannot create topic '") + topic + "' with format " +
                                   FormatName(kind) +
                                   " without configuring 'ksql.schema.registry.url'");
  const std::string subject = SchemaSubject(topic, is_key);
  Result<RegisteredSchema> schema = schema_id ? config.schema_registry->ById(*schema_id)
                                              : config.schema_registry->Latest(subject);
  if (!schema.ok()) {
    if (schema.status().code() == Status::Code::kNotFound) return NotFoundInRegistry(topic, is_key);
    return Status::InvalidArgument(std::string("Schema registry fetch for topic ") + Side(is_key) +
                                   " request failed. Topic: " + topic + ": " + schema.status().message());
  }
  const SchemaType expected = RegistryTypeOf(kind);
  if (schema->type != expected) {
    const char* actual = FormatOfRegistryType(schema->type);
    return Status::InvalidArgument(std::string(is_key ? "Key" : "Value") +
                                   " schema is not in the expected format. You may want to set " +
                                   (is_key ? "KEY_FORMAT" : "VALUE_FORMAT") + " to '" + actual +
                                   "'.\ntopic: " + topic + "\nexpected format: " +
                                   FormatOfRegistryType(expected) + "\nactual format: " + actual);
  }
  auto columns = ColumnsFromSchema(kind, schema->text, full_name, is_key, config.schema_registry.get(),
                                   schema_id ? InferredFieldNames::kOriginal : InferredFieldNames::kUpperCase);
  if (!columns.ok()) {
    if (columns.status().code() == Status::Code::kNotSupported) return columns.status();
    return Status::InvalidArgument(std::string("Unable to verify if the ") + Side(is_key) +
                                   " schema for topic " + topic + " is compatible with ksqlDB.\nReason: " +
                                   columns.status().message() +
                                   "\n\nPlease see https://github.com/confluentinc/ksql/issues/ to see if "
                                   "this particular reason is already known.\nIf not, please log a new "
                                   "issue, including this full error message.\nSchema:" + schema->text);
  }
  if (!is_key && unwrapped && !(columns->size() == 1 && (*columns)[0].name == "ROWVAL")) {
    // A record read whole: one STRUCT column of its fields.
    std::vector<StructField> fields;
    for (auto& c : *columns) fields.push_back({c.name, c.type});
    *columns = {Column{"ROWVAL", SqlType::Struct(std::move(fields))}};
  }
  if (is_key && columns->size() > 1)
    return Status::InvalidArgument("The key schema for topic " + topic +
                                   " contains multiple columns, which is not supported by ksqlDB at "
                                   "this time.\nSchema:" + schema->text);
  return InferredSchema{std::move(*columns), schema->id};
}

namespace {

bool SameNameIgnoringCase(const std::string& a, const std::string& b) {
  return AsciiUpper(a) == AsciiUpper(b);
}

bool SameTypeIgnoringNameCase(const TypePtr& a, const TypePtr& b) {
  if (!a || !b || a->kind != b->kind) return a == b;
  switch (a->kind) {
    case TypeKind::kArray: return SameTypeIgnoringNameCase(a->element, b->element);
    case TypeKind::kMap:
      return SameTypeIgnoringNameCase(a->key, b->key) && SameTypeIgnoringNameCase(a->value, b->value);
    case TypeKind::kStruct:
      if (a->fields.size() != b->fields.size()) return false;
      for (size_t i = 0; i < a->fields.size(); ++i)
        if (!SameNameIgnoringCase(a->fields[i].name, b->fields[i].name) ||
            !SameTypeIgnoringNameCase(a->fields[i].type, b->fields[i].type))
          return false;
      return true;
    default: return TypeEquals(a, b);
  }
}

}  // namespace

Status CheckSinkColumnsAgainstSchema(const std::vector<Column>& sink_columns,
                                     const InferredSchema& registered, bool is_key) {
  std::vector<Column> differing;
  for (size_t i = 0; i < sink_columns.size(); ++i) {
    const bool same = i < registered.columns.size() &&
                      SameNameIgnoringCase(registered.columns[i].name, sink_columns[i].name) &&
                      SameTypeIgnoringNameCase(registered.columns[i].type, sink_columns[i].type);
    if (!same) differing.push_back(sink_columns[i]);
  }
  if (differing.empty()) return Status::OK();
  return Status::InvalidArgument(std::string("The following ") + Side(is_key) +
                                 " columns are changed, missing or reordered: " +
                                 RenderColumns(differing, is_key) + ". Schema from schema registry is " +
                                 RenderColumns(registered.columns, is_key));
}

Status CheckDeclaredColumnsAgainstSchemaId(const std::vector<Column>& declared,
                                           const std::string& topic, bool is_key, FormatKind kind,
                                           int schema_id, const std::string& full_name,
                                           const AnalysisConfig& config, bool unwrapped) {
  const std::string both = std::string("Table elements and ") +
                           (is_key ? "KEY_SCHEMA_ID" : "VALUE_SCHEMA_ID") +
                           " cannot both exist for create statement.";
  if (!UsesSchemaRegistry(kind)) return Status::InvalidArgument(both);
  auto registered = ReadTopicSchema(topic, is_key, kind, schema_id, full_name, config, unwrapped);
  if (!registered.ok())
    return Status::InvalidArgument(both + "\nThe schema with id " + std::to_string(schema_id) +
                                   " could not be read: " + registered.status().message());
  if (declared.size() != registered->columns.size() ||
      !CheckSinkColumnsAgainstSchema(declared, *registered, is_key).ok())
    return Status::InvalidArgument(both);
  return Status::OK();
}

namespace {

bool SubjectHasSchema(SchemaRegistry& registry, const std::string& subject) {
  return registry.Latest(subject).ok();
}

Status RegisterSide(const FormatOptions& format, const std::vector<Column>& columns,
                    bool even_if_subject_exists) {
  if (!UsesSchemaRegistry(format.kind) || format.schema_id || !format.registry) return Status::OK();
  if (!even_if_subject_exists && SubjectHasSchema(*format.registry, format.subject)) return Status::OK();
  auto serializer = MakeSerializer(format, columns);
  if (!serializer.ok()) return serializer.status();
  if (SubjectHasSchema(*format.registry, format.subject)) return Status::OK();
  // A format may register on its first record: write one all-NULL record to nowhere.
  std::string scratch;
  return (*serializer)->Serialize(Row(columns.size()), &scratch);
}

}  // namespace

Status RegisterSourceSchemas(const DataSource& source, bool even_if_subject_exists) {
  SLUICE_RETURN_IF_ERROR(RegisterSide(source.key_format, source.KeyColumns(), even_if_subject_exists));
  return RegisterSide(source.value_format, source.ValueColumns(), even_if_subject_exists);
}

void DeleteSourceSubjects(const DataSource& source) {
  for (const FormatOptions* f : {&source.key_format, &source.value_format}) {
    if (!UsesSchemaRegistry(f->kind) || !f->registry || f->subject.empty()) continue;
    auto deleted = f->registry->DeleteSubject(f->subject);
    if (!deleted.ok() && deleted.status().code() != Status::Code::kNotFound)
      spdlog::warn("DROP {} DELETE TOPIC: deleting subject {}: {}", source.name, f->subject,
                   deleted.status().message());
  }
}

}  // namespace sluice
