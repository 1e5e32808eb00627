#pragma once
// Avro schemas for the AVRO format: a schema's JSON text parsed once into a tree of Nodes that
// the decoder and encoder walk for every record (no name lookups, no JSON on the hot path),
// ksqlDB's mapping of an Avro schema to SQL types (CREATE without columns), and the schema
// ksqlDB derives from a source's columns (what a sink registers). See engine/serde/README.md.
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/common/status.h"
#include "engine/serde/format.h"
#include "engine/types/sql_type.h"

namespace sluice::serde::avro {

// Primitives first: `type < AvroType::kRecord` means a primitive (the coders fast-path those).
enum class AvroType : uint8_t {
  kNull, kBoolean, kInt, kLong, kFloat, kDouble, kBytes, kString,
  kRecord, kEnum, kArray, kMap, kUnion, kFixed
};
enum class Logical : uint8_t {
  kNone, kDecimal, kDate, kTimeMillis, kTimeMicros, kTimestampMillis, kTimestampMicros
};

struct Node;

struct FieldDef {
  std::string name;
  const Node* type = nullptr;
  bool has_default = false;
  nlohmann::json default_value;  // as written in the schema (Avro's JSON encoding)
};

struct Node {
  AvroType type = AvroType::kNull;
  Logical logical = Logical::kNone;
  int precision = 0, scale = 0;          // decimal (precision 0: none given, Connect's 64)
  std::string name, full_name;           // record, enum, fixed
  std::vector<FieldDef> fields;          // record
  std::vector<std::string> symbols;      // enum
  int fixed_size = 0;                    // fixed
  const Node* items = nullptr;           // array
  const Node* values = nullptr;          // map
  std::vector<const Node*> branches;     // union
  // Union: the index of its "null" branch, and the one other branch when it has exactly two
  // (["null", T] is how Connect and ksqlDB write an optional T), else -1.
  int null_branch = -1, value_branch = -1;
  // Array whose items are Connect's MapEntry records ({key, value}): a MAP with non-string
  // keys as Connect writes it (AvroData's map-as-array form); items are the entry record.
  bool map_entries = false;
};

// A parsed schema: owns its nodes (named types may refer to themselves: nodes are a graph).
class Schema {
 public:
  // InvalidArgument with the reason when the text is not an Avro schema.
  static Result<std::shared_ptr<const Schema>> Parse(const std::string& text);
  const Node* root() const { return root_; }

 private:
  std::deque<Node> nodes_;  // stable addresses
  const Node* root_ = nullptr;
  friend class SchemaParser;
};

// The node a value of `node` really is once an optional union (["null", T]) is looked through.
inline const Node* NonNull(const Node* node) {
  return node->type == AvroType::kUnion && node->value_branch >= 0
             ? node->branches[node->value_branch] : node;
}

// ksqlDB's SQL type for an Avro schema (Connect's AvroData, then ksqlDB's schema translator):
// int/long/float/double/boolean/string/enum, bytes/fixed (DECIMAL when logical decimal),
// date/time-millis/timestamp-millis, arrays, maps (string keys; Connect's MapEntry arrays),
// records as STRUCTs with upper-cased field names, ["null", T] as T, other unions as STRUCTs
// with one field per branch (`original_field_names`: names as written, see
// InferredFieldNames). Unsupported: standalone null, recursive records.
Result<TypePtr> ToSqlType(const Node* node, bool original_field_names = false);

// The field name a multi-branch union gives a branch (Connect's: "int", "string", a record's
// or enum's simple name).
std::string UnionBranchName(const Node* branch);

// The Avro schema ksqlDB registers for these columns (AvroData with Connect metadata):
// `wrapped` -> a record named `full_name` whose fields are the columns, each ["null", T]
// defaulting to null; otherwise the single column's type itself. Nested records are named
// after their path (<name>_<FIELD>), maps are arrays of MapEntry records. Errors as ksqlDB's:
// "Avro only supports MAPs with STRING keys", "Schema is not compatible with Avro: Illegal
// initial character: 1X".
Result<nlohmann::ordered_json> KsqlAvroSchema(const std::vector<Column>& columns, bool wrapped,
                                              const std::string& full_name);

constexpr const char* kDefaultSchemaFullName = "io.confluent.ksql.avro_schemas.KsqlDataSourceSchema";

}  // namespace sluice::serde::avro
