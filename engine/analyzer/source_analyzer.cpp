#include "engine/analyzer/source_analyzer.h"

#include <algorithm>
#include <set>

#include "engine/analyzer/registry_schemas.h"
#include "engine/analyzer/source_statement_text.h"
#include "engine/analyzer/with_properties.h"
#include "engine/common/ascii.h"
#include "engine/expr/expression_compiler.h"

namespace sluice {

AnalysisConfig AnalysisConfig::FromProperties(const std::map<std::string, std::string>& props) {
  AnalysisConfig c;
  if (auto it = props.find("ksql.persistence.default.format.value"); it != props.end()) {
    auto f = ParseFormatName(it->second);
    if (f.ok()) c.default_value_format = *f;
  }
  if (auto it = props.find("ksql.persistence.default.format.key"); it != props.end()) {
    auto f = ParseFormatName(it->second);
    if (f.ok()) c.default_key_format = *f;
  }
  if (auto it = props.find("ksql.persistence.wrap.single.values"); it != props.end())
    c.wrap_single_values = it->second != "false";
  for (auto [name, limit] : {std::pair{"ksql.functions.collect_list.limit", &c.aggregates.collect_list_limit},
                             std::pair{"ksql.functions.collect_set.limit", &c.aggregates.collect_set_limit}})
    if (auto it = props.find(name); it != props.end()) {
      try {
        *limit = std::stoi(it->second);
      } catch (const std::exception&) {
        // An unparsable limit keeps the default; the server's config validation reports it.
      }
    }
  return c;
}

// WINDOW_TYPE / WINDOW_SIZE of a source over a windowed topic (the output of a windowed
// aggregation): its keys carry the window, as Kafka Streams' windowed serdes write them.
Result<WindowInfo> ParseSourceWindow(const std::string& type, std::optional<int64_t> size_ms) {
  const std::string upper = AsciiUpper(type);
  WindowInfo w;
  if (upper == "SESSION") w.kind = WindowSpec::Kind::kSession;
  else if (upper == "TUMBLING") w.kind = WindowSpec::Kind::kTumbling;
  else if (upper == "HOPPING") w.kind = WindowSpec::Kind::kHopping;
  else return Status::InvalidArgument("WINDOW_TYPE property is not set correctly. value: " + type +
                                      ", validValues: [SESSION, HOPPING, TUMBLING]");
  if (w.kind == WindowSpec::Kind::kSession) {
    if (size_ms) return Status::InvalidArgument("'WINDOW_SIZE' should not be set for SESSION windows.");
    return w;
  }
  if (!size_ms)
    return Status::InvalidArgument(upper + " window type needs WINDOW_SIZE. Please specify WINDOW_SIZE in the WITH clause.");
  w.size_ms = size_ms;
  return w;
}

bool IsReservedColumnName(const std::string& name) {
  return name == "ROWTIME" || name == "ROWPARTITION" || name == "ROWOFFSET" ||
         name == "WINDOWSTART" || name == "WINDOWEND";
}

Status CheckWrapping(FormatKind kind, std::optional<bool> wrap_single_value) {
  // Only JSON (and the schema-registry formats) wrap a single value in a record; the
  // others always write the bare value, so asking them to wrap is an error.
  if (wrap_single_value && *wrap_single_value &&
      (kind == FormatKind::kDelimited || kind == FormatKind::kKafka || kind == FormatKind::kNone))
    return Status::InvalidArgument(std::string("Format '") + FormatName(kind) +
                                   "' does not support 'WRAP_SINGLE_VALUE' set to 'true'.");
  // Protobuf values are always messages: a single value cannot be written bare.
  if (wrap_single_value && !*wrap_single_value &&
      (kind == FormatKind::kProtobuf || kind == FormatKind::kProtobufNoSr))
    return Status::InvalidArgument(std::string("Format '") + FormatName(kind) +
                                   "' does not support 'WRAP_SINGLE_VALUE' set to 'false'.");
  return Status::OK();
}

FormatOptions MakeFormatOptions(FormatKind kind, std::optional<char> delimiter,
                                std::optional<bool> wrap_single_value) {
  FormatOptions o;
  o.kind = kind;
  if (delimiter) o.delimiter = *delimiter;
  if (wrap_single_value) o.wrap_single_value = *wrap_single_value;
  return o;
}

namespace {

Status CheckKeyConstraints(const CreateSource& stmt) {
  const bool table = stmt.source_kind == SourceKind::kTable;
  for (const auto& e : stmt.elements) {
    if (e.constraint == TableElement::Constraint::kKey && table)
      return Status::InvalidArgument("Column `" + e.name +
                                     "` is a 'KEY' column: please use 'PRIMARY KEY' for tables.\n"
                                     "Tables have PRIMARY KEYs, which are unique and NON NULL.\n"
                                     "Streams have KEYs, which have no uniqueness or NON NULL constraints.");
    if (e.constraint == TableElement::Constraint::kPrimaryKey && !table)
      return Status::InvalidArgument("Column `" + e.name +
                                     "` is a 'PRIMARY KEY' column: please use 'KEY' for streams.\n"
                                     "Tables have PRIMARY KEYs, which are unique and NON NULL.\n"
                                     "Streams have KEYs, which have no uniqueness or NON NULL constraints.");
  }
  return Status::OK();
}

// After inference (a table's key may come from the registry).
Status CheckTableHasKey(const CreateSource& stmt, const std::vector<SourceColumn>& columns) {
  if (stmt.source_kind != SourceKind::kTable || columns.empty()) return Status::OK();
  for (const auto& c : columns)
    if (c.ns == ColumnNamespace::kKey) return Status::OK();
  return Status::InvalidArgument("Tables require a PRIMARY KEY. Please define the PRIMARY KEY.");
}

// The ids of the registered schemas a CREATE's columns were read from (or checked against).
struct SchemaIdsUsed {
  std::optional<int> key, value;
};

std::vector<Column> ColumnsIn(const std::vector<SourceColumn>& columns, ColumnNamespace ns) {
  std::vector<Column> out;
  for (const auto& c : columns)
    if (c.ns == ns) out.push_back({c.name, c.type});
  return out;
}

// ksqlDB's DefaultSchemaInjector: key and value columns the statement leaves out come from the
// topic's registered schemas when the format infers them (or a *_SCHEMA_ID names one). A side
// that gives both its columns and a schema id is the form such a statement is kept in
// (source_statement_text.h): its columns must be the schema's.
Status AddInferredColumns(const WithProperties& props, FormatKind key_kind, FormatKind value_kind,
                          const AnalysisConfig& config, std::vector<SourceColumn>* columns,
                          SchemaIdsUsed* used) {
  bool has_key = false, has_value = false;
  for (const auto& c : *columns) {
    has_key |= c.ns == ColumnNamespace::kKey;
    has_value |= c.ns == ColumnNamespace::kValue;
  }
  const std::string& topic = *props.kafka_topic;
  const std::string value_full_name =
      props.value_schema_full_name.value_or(props.value_avro_schema_full_name.value_or(""));
  const bool unwrapped = props.wrap_single_value && !*props.wrap_single_value;
  bool infer_key = false, infer_value = false;
  if (has_key && props.key_schema_id) {
    SLUICE_RETURN_IF_ERROR(CheckDeclaredColumnsAgainstSchemaId(
        ColumnsIn(*columns, ColumnNamespace::kKey), topic, true, key_kind, *props.key_schema_id,
        props.key_schema_full_name.value_or(""), config, false));
    used->key = props.key_schema_id;
  } else {
    auto infer = ShouldInferColumns(props.key_schema_id, has_key, key_kind, true);
    if (!infer.ok()) return infer.status();
    infer_key = *infer;
  }
  if (has_value && props.value_schema_id) {
    SLUICE_RETURN_IF_ERROR(CheckDeclaredColumnsAgainstSchemaId(
        ColumnsIn(*columns, ColumnNamespace::kValue), topic, false, value_kind,
        *props.value_schema_id, value_full_name, config, unwrapped));
    used->value = props.value_schema_id;
  } else {
    auto infer = ShouldInferColumns(props.value_schema_id, has_value, value_kind, false);
    if (!infer.ok()) return infer.status();
    infer_value = *infer;
  }
  if (infer_key) {
    auto key = ReadTopicSchema(topic, true, key_kind, props.key_schema_id,
                               props.key_schema_full_name.value_or(""), config);
    if (!key.ok()) return key.status();
    std::vector<SourceColumn> inferred;
    for (auto& c : key->columns) inferred.push_back({c.name, c.type, ColumnNamespace::kKey, ""});
    columns->insert(columns->begin(), inferred.begin(), inferred.end());
    used->key = key->id;
  }
  if (infer_value) {
    auto value = ReadTopicSchema(topic, false, value_kind, props.value_schema_id, value_full_name,
                                 config, unwrapped);
    if (!value.ok()) return value.status();
    auto first_other = std::find_if(columns->begin(), columns->end(), [](const SourceColumn& c) {
      return c.ns != ColumnNamespace::kKey;
    });
    std::vector<SourceColumn> inferred;
    for (auto& c : value->columns) inferred.push_back({c.name, c.type, ColumnNamespace::kValue, ""});
    columns->insert(first_other, inferred.begin(), inferred.end());
    used->value = value->id;
  }
  return Status::OK();
}

Result<std::vector<SourceColumn>> BuildColumns(const CreateSource& stmt, const MetaStore& metastore) {
  std::vector<SourceColumn> keys, others;
  std::set<std::string> seen;
  CustomTypeLookup lookup = [&metastore](const std::string& n) { return metastore.FindType(n); };
  for (const auto& e : stmt.elements) {
    if (IsReservedColumnName(e.name))
      return Status::InvalidArgument("'" + e.name + "' is a reserved column name. You cannot use it as a name for a column.");
    if (!seen.insert(e.name).second)
      return Status::InvalidArgument("Duplicate column names:\n\t" + e.name);
    auto type = ResolveTypeSpec(*e.type, lookup);
    if (!type.ok()) return type.status();
    SourceColumn c{e.name, *type, ColumnNamespace::kValue, ""};
    switch (e.constraint) {
      case TableElement::Constraint::kKey:
      case TableElement::Constraint::kPrimaryKey: c.ns = ColumnNamespace::kKey; break;
      case TableElement::Constraint::kHeaders: c.ns = ColumnNamespace::kHeaders; break;
      case TableElement::Constraint::kHeader:
        c.ns = ColumnNamespace::kHeader;
        c.header_key = e.header_key;
        break;
      case TableElement::Constraint::kNone: break;
    }
    if (c.ns == ColumnNamespace::kHeaders) {
      const TypePtr& t = c.type;
      bool ok = t->kind == TypeKind::kArray && t->element->kind == TypeKind::kStruct &&
                t->element->fields.size() == 2 && t->element->fields[0].name == "KEY" &&
                t->element->fields[0].type->kind == TypeKind::kString &&
                t->element->fields[1].name == "VALUE" &&
                t->element->fields[1].type->kind == TypeKind::kBytes;
      if (!ok)
        return Status::InvalidArgument("Invalid type for HEADERS column: expected ARRAY<STRUCT<`KEY` STRING, `VALUE` BYTES>>, got " +
                                       t->ToString());
    }
    if (c.ns == ColumnNamespace::kHeader && c.type->kind != TypeKind::kBytes)
      return Status::InvalidArgument("Invalid type for HEADER('" + c.header_key + "') column: expected BYTES, got " +
                                     c.type->ToString());
    (c.ns == ColumnNamespace::kKey ? keys : others).push_back(std::move(c));
  }
  keys.insert(keys.end(), others.begin(), others.end());
  return keys;
}

}  // namespace

Status CheckTimestampColumn(const DataSource& source) {
  if (source.timestamp_column.empty()) return Status::OK();
  const SourceColumn* c = source.FindColumn(source.timestamp_column);
  if (!c)
    return Status::InvalidArgument("The TIMESTAMP column set in the WITH clause does not exist in the schema: '" +
                                   source.timestamp_column + "'");
  const TypeKind k = c->type->kind;
  if (k == TypeKind::kBigint || k == TypeKind::kTimestamp) return Status::OK();
  if (k == TypeKind::kString) {
    if (source.timestamp_format.empty())
      return Status::InvalidArgument("A String timestamp field has been specified without also specifying the TIMESTAMP_FORMAT property");
    return Status::OK();
  }
  return Status::InvalidArgument("Timestamp column, `" + c->name +
                                 "`, should be LONG(INT64), TIMESTAMP, or a String with a timestamp_format specified");
}

Result<DataSourcePtr> AnalyzeCreateSource(const CreateSource& stmt, const MetaStore& metastore,
                                          const AnalysisConfig& config) {
  auto props = ParseWithProperties(stmt.properties);
  if (!props.ok()) return props.status();
  SLUICE_RETURN_IF_ERROR(CheckKeyConstraints(stmt));

  auto source = std::make_shared<DataSource>();
  source->name = stmt.name;
  source->kind = stmt.source_kind;
  source->is_source_table = stmt.is_source;
  source->sql = stmt.text;
  if (!props->kafka_topic)
    return Status::InvalidArgument("Missing required property \"KAFKA_TOPIC\" which has no default value.");
  source->topic = *props->kafka_topic;
  source->partitions = props->partitions.value_or(1);

  auto value_kind = props->value_format ? props->value_format : config.default_value_format;
  if (!value_kind)
    return Status::InvalidArgument(
        "Statement is missing the 'VALUE_FORMAT' property from the WITH clause. Either provide "
        "one or set a default via the 'ksql.persistence.default.format.value' config.");
  auto key_kind = props->key_format ? props->key_format : config.default_key_format;

  // A delimiter is a property of the DELIMITED format only; ksqlDB's formats reject the
  // properties they do not know before the schema is looked at.
  if (props->value_delimiter && *value_kind != FormatKind::kDelimited)
    return Status::InvalidArgument(std::string(FormatName(*value_kind)) +
                                   " does not support the following configs: [delimiter]");
  if (props->key_delimiter && *key_kind != FormatKind::kDelimited)
    return Status::InvalidArgument(std::string(FormatName(*key_kind)) +
                                   " does not support the following configs: [delimiter]");

  SLUICE_RETURN_IF_ERROR(CheckSchemaProperties(*props, *key_kind, *value_kind));

  auto columns = BuildColumns(stmt, metastore);
  if (!columns.ok()) return columns.status();
  SchemaIdsUsed schema_ids;
  SLUICE_RETURN_IF_ERROR(AddInferredColumns(*props, *key_kind, *value_kind, config, &*columns, &schema_ids));
  SLUICE_RETURN_IF_ERROR(CheckTableHasKey(stmt, *columns));
  if (columns->empty())
    return Status::InvalidArgument("The statement does not define any columns.");
  source->columns = std::move(*columns);

  const auto value_columns = source->ValueColumns();
  const auto key_columns = source->KeyColumns();
  if (props->wrap_single_value && value_columns.size() != 1 && *value_kind != FormatKind::kNone)
    return Status::InvalidArgument("'WRAP_SINGLE_VALUE' is only valid for single-field value schemas");
  SLUICE_RETURN_IF_ERROR(CheckWrapping(*value_kind, props->wrap_single_value));
  const bool wrap = props->wrap_single_value.value_or(config.wrap_single_values);
  source->value_format = MakeFormatOptions(*value_kind, props->value_delimiter, wrap);
  source->key_format = MakeFormatOptions(*key_kind, props->key_delimiter, false);
  AttachSchemaOptions(&source->key_format, source->topic, true, *props, config, source->name);
  AttachSchemaOptions(&source->value_format, source->topic, false, *props, config, source->name);
  // Columns read from a registered schema are that schema's: the source writes with it, and is
  // kept with its columns and the schema's id, as the statement that replays it the same way.
  if (schema_ids.key || schema_ids.value) {
    if (schema_ids.key) source->key_format.schema_id = schema_ids.key;
    if (schema_ids.value) source->value_format.schema_id = schema_ids.value;
    source->sql = CreateSourceTextWithColumns(stmt, *source, schema_ids.key, schema_ids.value);
  }
  SLUICE_RETURN_IF_ERROR(ValidateColumns(source->key_format, key_columns, true));
  SLUICE_RETURN_IF_ERROR(ValidateColumns(source->value_format, value_columns, false));

  if (props->window_type) {
    auto window = ParseSourceWindow(*props->window_type, props->window_size_ms);
    if (!window.ok()) return window.status();
    source->window = *window;
  } else if (props->window_size_ms) {
    return Status::InvalidArgument("'WINDOW_SIZE' should not be set without 'WINDOW_TYPE'.");
  }
  if (props->timestamp) source->timestamp_column = *props->timestamp;
  if (props->timestamp_format) source->timestamp_format = *props->timestamp_format;
  SLUICE_RETURN_IF_ERROR(CheckTimestampColumn(*source));

  if (stmt.or_replace && stmt.is_source)
    return Status::InvalidArgument("Cannot add " + std::string(stmt.source_kind == SourceKind::kStream ? "stream" : "table") +
                                   " '" + source->name + "': CREATE OR REPLACE is not supported on source " +
                                   (stmt.source_kind == SourceKind::kStream ? "streams." : "tables."));
  if (auto existing = metastore.FindSource(source->name)) {
    if (stmt.or_replace && existing->is_source_table)
      return Status::InvalidArgument("Cannot add " + std::string(stmt.source_kind == SourceKind::kStream ? "stream" : "table") +
                                     " '" + source->name + "': CREATE OR REPLACE is not supported on source " +
                                     (existing->kind == SourceKind::kStream ? "streams." : "tables."));
    if (!stmt.or_replace && !stmt.if_not_exists) {
      const char* kind = existing->kind == SourceKind::kStream ? "stream" : "table";
      return Status::AlreadyExists(
          std::string("Cannot add ") + (source->kind == SourceKind::kStream ? "stream" : "table") +
          " '" + source->name + "': A " + kind + " with the same name already exists");
    }
  }
  return DataSourcePtr(source);
}

}  // namespace sluice
