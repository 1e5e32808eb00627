// Format names, the factories that pick an implementation, and the schema checks that tell a
// user at CREATE time (not at the first record) that a format cannot carry their columns.
#include "engine/serde/format.h"

#include <strings.h>

#include "engine/serde/serde_factories.h"

namespace sluice {

namespace {
struct NamedFormat {
  const char* name;
  FormatKind kind;
};
constexpr NamedFormat kFormats[] = {
    {"JSON", FormatKind::kJson},         {"KAFKA", FormatKind::kKafka},
    {"DELIMITED", FormatKind::kDelimited}, {"NONE", FormatKind::kNone},
    {"AVRO", FormatKind::kAvro},         {"PROTOBUF", FormatKind::kProtobuf},
    {"PROTOBUF_NOSR", FormatKind::kProtobufNoSr}, {"JSON_SR", FormatKind::kJsonSr},
};

bool ContainsMap(const SqlType& t) {
  switch (t.kind) {
    case TypeKind::kMap: return true;
    case TypeKind::kArray: return ContainsMap(*t.element);
    case TypeKind::kStruct:
      for (const auto& f : t.fields)
        if (ContainsMap(*f.type)) return true;
      return false;
    default: return false;
  }
}

bool KafkaSupports(TypeKind k) {
  return k == TypeKind::kInteger || k == TypeKind::kBigint || k == TypeKind::kDouble ||
         k == TypeKind::kString || k == TypeKind::kBytes;
}

// "[`K` STRING KEY, `V` INTEGER]" as ksqlDB lists columns in its messages.
std::string ListColumns(const std::vector<Column>& columns, bool is_key) {
  std::string s = "[";
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i) s += ", ";
    s += "`" + columns[i].name + "` " + columns[i].type->ToSqlString() + (is_key ? " KEY" : "");
  }
  return s + "]";
}

Status UnsupportedType(FormatKind kind, TypeKind type) {
  return Status::TypeError(std::string("The '") + FormatName(kind) +
                           "' format does not support type '" + TypeKindName(type) + "'");
}

Status CheckNeeded(const std::vector<Column>& columns, const std::vector<bool>& needed) {
  if (needed.empty() || needed.size() == columns.size()) return Status::OK();
  return Status::InvalidArgument("needed has " + std::to_string(needed.size()) +
                                 " entries for " + std::to_string(columns.size()) + " columns");
}

}  // namespace

bool UsesSchemaRegistry(FormatKind kind) {
  return kind == FormatKind::kAvro || kind == FormatKind::kProtobuf || kind == FormatKind::kJsonSr;
}

Result<FormatKind> ParseFormatName(const std::string& name) {
  for (const auto& f : kFormats)
    if (strcasecmp(f.name, name.c_str()) == 0) return f.kind;
  std::string upper = name;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return Status::InvalidArgument("Unknown format: " + upper);
}

const char* FormatName(FormatKind kind) {
  switch (kind) {
    case FormatKind::kKafka: return "KAFKA";
    case FormatKind::kJson: return "JSON";
    case FormatKind::kDelimited: return "DELIMITED";
    case FormatKind::kNone: return "NONE";
    case FormatKind::kAvro: return "AVRO";
    case FormatKind::kProtobuf: return "PROTOBUF";
    case FormatKind::kProtobufNoSr: return "PROTOBUF_NOSR";
    case FormatKind::kJsonSr: return "JSON_SR";
  }
  return "?";
}

namespace {
// Why `opts` cannot carry `columns` (the reason of ksqlDB's format classes), or OK.
Status FormatSupports(const FormatOptions& opts, const std::vector<Column>& columns, bool is_key) {
  switch (opts.kind) {
    case FormatKind::kNone:
      if (columns.empty()) return Status::OK();
      return Status::TypeError("The 'NONE' format can only be used when no columns are defined. Got: " +
                               ListColumns(columns, is_key));
    case FormatKind::kKafka:
      for (const Column& c : columns)
        if (!KafkaSupports(c.type->kind)) return UnsupportedType(opts.kind, c.type->kind);
      if (columns.size() > 1)
        return Status::TypeError("The 'KAFKA' format only supports a single field. Got: " +
                                 ListColumns(columns, is_key));
      return Status::OK();
    case FormatKind::kDelimited:
      for (const Column& c : columns)
        if (!c.type->IsPrimitive())
          return Status::TypeError(UnsupportedType(opts.kind, c.type->kind).message() +
                                   ", column: `" + c.name + "`");
      return Status::OK();
    case FormatKind::kProtobuf:
    case FormatKind::kProtobufNoSr:
      return serde::ProtobufSupports(columns);
    default:
      return Status::OK();
  }
}
}  // namespace

Status ValidateColumns(const FormatOptions& opts, const std::vector<Column>& columns, bool is_key) {
  if (is_key) {
    for (const Column& c : columns)
      if (ContainsMap(*c.type))
        return Status::TypeError(
            "Map keys, including types that contain maps, are not supported as they may lead to "
            "unexpected behavior due to inconsistent serialization. Key column name: `" + c.name +
            "`. Column type: " + c.type->ToSqlString() +
            ". See https://github.com/confluentinc/ksql/issues/6621 for more.");
  }
  // ksqlDB's Avro serde factory refuses these columns with its own, unwrapped, messages.
  if (opts.kind == FormatKind::kAvro) SLUICE_RETURN_IF_ERROR(serde::AvroSupports(opts, columns, is_key));
  Status reason = FormatSupports(opts, columns, is_key);
  if (reason.ok()) return reason;
  // ksqlDB's serde factory wraps the format's reason with the format and the persistence
  // schema (columns and serde features; the only feature Sluice knows is unwrapping).
  const bool unwrapped = !is_key && columns.size() == 1 && !opts.wrap_single_value &&
                         opts.kind == FormatKind::kJson;
  return Status::TypeError(std::string(is_key ? "Key" : "Value") +
                           " format does not support schema.\nformat: " + FormatName(opts.kind) +
                           "\nschema: Persistence{columns=" + ListColumns(columns, is_key) +
                           ", features=[" + (unwrapped ? "UNWRAP_SINGLES" : "") +
                           "]}\nreason: " + reason.message());
}

Result<std::unique_ptr<RowDeserializer>> MakeDeserializer(const FormatOptions& opts,
                                                          std::vector<Column> columns,
                                                          std::vector<bool> needed) {
  SLUICE_RETURN_IF_ERROR(CheckNeeded(columns, needed));
  SLUICE_RETURN_IF_ERROR(ValidateColumns(opts, columns, false));
  switch (opts.kind) {
    case FormatKind::kJson: {
      bool wrapped = opts.wrap_single_value || columns.size() != 1;
      return serde::MakeJsonDeserializer(std::move(columns), std::move(needed), wrapped);
    }
    case FormatKind::kDelimited:
      return serde::MakeDelimitedDeserializer(std::move(columns), std::move(needed), opts.delimiter);
    case FormatKind::kKafka:
      return serde::MakeKafkaDeserializer(std::move(columns));
    case FormatKind::kNone:
      return serde::MakeNoneDeserializer();
    case FormatKind::kAvro:
      return serde::MakeAvroDeserializer(opts, std::move(columns), std::move(needed));
    case FormatKind::kProtobuf:
    case FormatKind::kProtobufNoSr:
      return serde::MakeProtobufDeserializer(opts, std::move(columns), std::move(needed));
    case FormatKind::kJsonSr:
      return serde::MakeJsonSrDeserializer(opts, std::move(columns), std::move(needed));
  }
  return Status::InvalidArgument("unknown format");
}

Result<std::unique_ptr<RowSerializer>> MakeSerializer(const FormatOptions& opts,
                                                      std::vector<Column> columns) {
  SLUICE_RETURN_IF_ERROR(ValidateColumns(opts, columns, false));
  switch (opts.kind) {
    case FormatKind::kJson: {
      bool wrapped = opts.wrap_single_value || columns.size() != 1;
      return serde::MakeJsonSerializer(std::move(columns), wrapped);
    }
    case FormatKind::kDelimited:
      return serde::MakeDelimitedSerializer(std::move(columns), opts.delimiter);
    case FormatKind::kKafka:
      return serde::MakeKafkaSerializer(std::move(columns));
    case FormatKind::kNone:
      return serde::MakeNoneSerializer();
    case FormatKind::kAvro:
      return serde::MakeAvroSerializer(opts, std::move(columns));
    case FormatKind::kProtobuf:
    case FormatKind::kProtobufNoSr:
      return serde::MakeProtobufSerializer(opts, std::move(columns));
    case FormatKind::kJsonSr:
      return serde::MakeJsonSrSerializer(opts, std::move(columns));
  }
  return Status::InvalidArgument("unknown format");
}

Result<std::vector<Column>> ColumnsFromSchema(FormatKind kind, const std::string& schema_text,
                                              const std::string& full_name, bool is_key,
                                              SchemaRegistry* registry,
                                              std::optional<InferredFieldNames> names) {
  switch (kind) {
    case FormatKind::kAvro:
      return serde::AvroColumnsFromSchema(schema_text, is_key, names == InferredFieldNames::kOriginal);
    case FormatKind::kProtobuf:
    case FormatKind::kProtobufNoSr:
      return serde::ProtobufColumnsFromSchema(schema_text, full_name, is_key, registry,
                                              names != InferredFieldNames::kUpperCase);
    case FormatKind::kJsonSr: return serde::JsonSchemaColumnsFromSchema(schema_text, is_key);
    default:
      return Status::InvalidArgument(std::string("The '") + FormatName(kind) +
                                     "' format does not support schema inference");
  }
}

}  // namespace sluice
