#pragma once
// The Schema Registry side of CREATE STREAM/TABLE [AS SELECT] with AVRO, PROTOBUF and JSON_SR:
// which subject and schema a source's or sink's formats use, the checks of the *_SCHEMA_ID /
// *_SCHEMA_FULL_NAME properties, and the columns ksqlDB infers from a registered schema when a
// statement leaves them out (its DefaultSchemaInjector and SchemaRegistryTopicSchemaSupplier).
#include <optional>
#include <string>
#include <vector>

#include "engine/analyzer/source_analyzer.h"
#include "engine/analyzer/with_properties.h"

namespace sluice {

// ksqlDB's TopicNameStrategy: "<topic>-key" / "<topic>-value".
std::string SchemaSubject(const std::string& topic, bool is_key);

// Fills the registry, subject, side, schema id / full name and Protobuf nullability of a
// format from the statement's WITH properties (nothing changes for formats without a
// registry, beyond the side). An AVRO key's record is named after the source unless the
// statement names it: io.confluent.ksql.avro_schemas.<SourceInCamelCase>Key, as ksqlDB does
// so that every sink's key record has its own name.
void AttachSchemaOptions(FormatOptions* format, const std::string& topic, bool is_key,
                         const WithProperties& props, const AnalysisConfig& config,
                         const std::string& source_name);

// ksqlDB's default AVRO key schema name for a source: "io.confluent.ksql.avro_schemas.OrdersKey"
// for ORDERS (Guava's UPPER_UNDERSCORE to UPPER_CAMEL: MY_SINK -> MySink).
std::string AvroKeySchemaName(const std::string& source_name);

// The property checks that need the formats: *_SCHEMA_ID only with a format that infers
// schemas, full names only with formats that have them (ksqlDB's messages).
Status CheckSchemaProperties(const WithProperties& props, FormatKind key_kind,
                             FormatKind value_kind);

// A registered schema read for one side of a topic: its columns and id.
struct InferredSchema {
  std::vector<Column> columns;
  int id = 0;
};

// Reads the schema of `topic`'s key or value (by `schema_id`, else the subject's latest) and
// translates it into columns, with ksqlDB's errors (no such subject or id, another format's
// schema, types ksqlDB cannot read, a multi-column key). `unwrapped` (WRAP_SINGLE_VALUE=false):
// the whole value schema is one column, ROWVAL.
Result<InferredSchema> ReadTopicSchema(const std::string& topic, bool is_key, FormatKind kind,
                                       std::optional<int> schema_id,
                                       const std::string& full_name,
                                       const AnalysisConfig& config, bool unwrapped = false);

// CREATE STREAM/TABLE: whether the key (value) columns come from the registry, i.e. the
// statement gives none and the format infers them, or it gives a schema id (then it must
// give no such columns, and the format must infer).
Result<bool> ShouldInferColumns(std::optional<int> schema_id, bool has_columns,
                                FormatKind kind, bool is_key);

// CREATE STREAM/TABLE that gives a side's columns and a schema id for it (the form a statement
// whose columns came from the registry is kept in, source_statement_text.h): accepted when the
// columns are exactly those the schema gives (names compared case-insensitively), else
// ksqlDB's "Table elements and VALUE_SCHEMA_ID cannot both exist for create statement."
// (ksqlDB refuses both together whatever the columns).
Status CheckDeclaredColumnsAgainstSchemaId(const std::vector<Column>& declared,
                                           const std::string& topic, bool is_key, FormatKind kind,
                                           int schema_id, const std::string& full_name,
                                           const AnalysisConfig& config, bool unwrapped);

// CREATE ... AS SELECT with KEY_/VALUE_SCHEMA_ID: the registered schema must hold the
// query's columns, in order, with their types (names compared case-insensitively: the codecs
// upper-case the names they infer, ksqlDB's keep the schema's spelling).
Status CheckSinkColumnsAgainstSchema(const std::vector<Column>& sink_columns,
                                     const InferredSchema& registered, bool is_key);

// ksqlDB's SchemaRegisterInjector: the schemas a source's formats derive from its columns are
// registered under its subjects when the statement runs (a C*AS always, a CREATE STREAM/TABLE
// only where the subject has none yet), so that a schema the format cannot express, or one the
// registry refuses, fails the statement rather than its first record.
Status RegisterSourceSchemas(const DataSource& source, bool even_if_subject_exists);

// DROP ... DELETE TOPIC: the topic's subjects go with it (a subject that is not there is fine).
void DeleteSourceSubjects(const DataSource& source);

}  // namespace sluice
