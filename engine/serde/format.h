#pragma once
// Record formats (ksqlDB's KAFKA, JSON, DELIMITED, NONE): Kafka payload bytes <-> Row.
// The runtime builds one deserializer/serializer per source/sink and reuses it for every
// record, so implementations keep their scratch buffers between calls (no per-record
// allocation beyond the values themselves). See engine/serde/README.md.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/common/status.h"
#include "engine/types/sql_type.h"
#include "engine/types/value.h"

namespace sluice {

struct Column {
  std::string name;
  TypePtr type;
};

enum class FormatKind { kKafka, kJson, kDelimited, kNone, kAvro, kProtobuf, kProtobufNoSr, kJsonSr };

class SchemaRegistry;  // engine/schema_registry/schema_registry.h

// PROTOBUF / PROTOBUF_NOSR: how a nullable column is written in the schema ksqlDB derives
// (KEY_/VALUE_PROTOBUF_NULLABLE_REPRESENTATION): plain proto3 fields (NULL reads back as the
// type's default), `optional` fields, or google.protobuf wrapper messages.
enum class ProtobufNullable { kDefault, kOptional, kWrapper };

// Whether the format keeps its schemas in a Schema Registry (AVRO, PROTOBUF, JSON_SR).
bool UsesSchemaRegistry(FormatKind kind);

struct FormatOptions {
  FormatKind kind = FormatKind::kJson;
  char delimiter = ',';           // DELIMITED only; callers map 'TAB'/'SPACE' to '\t'/' '
  bool wrap_single_value = true;  // JSON with exactly one column: false = bare value

  // Schema-registry formats (AVRO, PROTOBUF, JSON_SR; PROTOBUF_NOSR derives its schema from
  // the columns and needs none of these). A serializer registers the schema ksqlDB derives
  // from the columns under `subject` (or uses `schema_id` when the statement gave one) and
  // writes Confluent's wire header; a deserializer reads the writer's schema id from each
  // payload and looks it up (cached) in `registry`.
  std::shared_ptr<SchemaRegistry> registry;
  std::string subject;            // "<topic>-key" or "<topic>-value"
  std::optional<int> schema_id;   // KEY_SCHEMA_ID / VALUE_SCHEMA_ID
  std::string schema_full_name;   // KEY_SCHEMA_FULL_NAME / VALUE_SCHEMA_FULL_NAME
  bool is_key = false;
  ProtobufNullable protobuf_nullable = ProtobufNullable::kDefault;
};

// "JSON", "kafka", ... case-insensitive.
Result<FormatKind> ParseFormatName(const std::string& name);
// The upper-case name ksqlDB prints: "KAFKA", "JSON", ...
const char* FormatName(FormatKind kind);

class RowDeserializer {
 public:
  virtual ~RowDeserializer() = default;
  // Decodes one non-null Kafka payload into *out (resized to columns.size()). Columns not in
  // `needed` may be left NULL (their decoding is skipped: that is the point).
  // A payload that decodes to a null record (JSON `null`) -> out->clear() and OK.
  // Malformed bytes -> Status::SerdeError with a clear message (never throws).
  // NONE (zero columns) also leaves *out empty: see IsNullRecord.
  virtual Status Deserialize(std::string_view bytes, Row* out) = 0;
};

// Whether a deserialized row is the null record. A format with zero columns (NONE, or a
// keyless KAFKA key) yields an empty row for every payload, and that row is NOT null: the
// empty-row signal only means "null record" when the schema has columns.
inline bool IsNullRecord(const Row& row, size_t column_count) {
  return column_count > 0 && row.empty();
}

class RowSerializer {
 public:
  virtual ~RowSerializer() = default;
  // *out is cleared, then holds the payload (its capacity is reused).
  virtual Status Serialize(const Row& row, std::string* out) = 0;
  // True when this row must be written as a null Kafka payload (a tombstone) rather than
  // the bytes Serialize produces: an empty row (the null record), or a KAFKA / unwrapped
  // JSON value whose only column is NULL, as ksqlDB writes them.
  virtual bool IsNullPayload(const Row& row) const { return row.empty(); }
};

Result<std::unique_ptr<RowDeserializer>> MakeDeserializer(const FormatOptions& opts,
                                                          std::vector<Column> columns,
                                                          std::vector<bool> needed = {});
Result<std::unique_ptr<RowSerializer>> MakeSerializer(const FormatOptions& opts,
                                                      std::vector<Column> columns);

// Checks that a format can carry these columns, with ksqlDB's messages: KAFKA at most one
// column of INT/BIGINT/DOUBLE/STRING/BYTES; DELIMITED no ARRAY/MAP/STRUCT; NONE zero columns;
// keys may not contain maps. AVRO/PROTOBUF/JSON_SR are accepted here (checked when built).
// A format's reason comes wrapped as ksqlDB's serde factory does ("Key format does not support
// schema.\nformat: ...\nschema: Persistence{...}\nreason: <reason>").
Status ValidateColumns(const FormatOptions& opts, const std::vector<Column>& columns,
                       bool is_key);

// JSON <-> Value with ksqlDB's coercions (the same rules as the JSON format's columns), for
// the test runners and the REST layer. JsonToValue errors are SerdeError.
Result<Value> JsonToValue(const nlohmann::json& j, const TypePtr& type);
nlohmann::json ValueToJson(const Value& v, const TypePtr& type);

// CREATE STREAM/TABLE without columns: the columns ksqlDB infers from a registered schema
// (AVRO record fields, the PROTOBUF message named by `full_name` or the first one, JSON Schema
// properties), in the schema's order. `is_key` with a non-record schema gives one column ROWKEY.
// `registry` (optional) resolves a PROTOBUF schema's imports other than the well-known ones
// (schema references, registered under the subject named like the import).
// `names`: ksqlDB upper-cases inferred AVRO and PROTOBUF field names (nested struct fields and
// Protobuf oneof columns too), but keeps them as written when the statement names the schema
// by id (KEY_SCHEMA_ID/VALUE_SCHEMA_ID: its ORIGINAL_FIELD_NAME policy), so that the columns
// are the registered schema's own fields; the analyzer says which. Unset: each codec's plain
// translation (AVRO upper-cases, PROTOBUF keeps the names). JSON_SR keeps them as written.
enum class InferredFieldNames { kUpperCase, kOriginal };
Result<std::vector<Column>> ColumnsFromSchema(FormatKind kind, const std::string& schema_text,
                                              const std::string& full_name, bool is_key,
                                              SchemaRegistry* registry = nullptr,
                                              std::optional<InferredFieldNames> names = std::nullopt);

}  // namespace sluice
