#pragma once
// Value -> Avro binary, written into the schema a sink uses: the one ksqlDB derives from the
// columns (every field ["null", T]) or a registered one (VALUE_SCHEMA_ID), whose unions,
// enums, fixed, floats and defaults the values are fitted into as Connect's AvroData does.
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "engine/common/status.h"
#include "engine/serde/avro_binary.h"
#include "engine/serde/avro_schema.h"
#include "engine/types/value.h"

namespace sluice::serde::avro {

class Encoder {
 public:
  // Appends `v` encoded as schema `w` to `out`. A value that does not fit the schema (a NULL
  // where the schema has no null and no default, a symbol not in an enum...) is a SerdeError.
  Status Encode(const Value& v, const Node* w, std::string* out);
  // A field's value, or its default when the value is NULL and the field has one (Connect's
  // Struct.get hands out the default for a null field).
  Status EncodeField(const Value& v, const FieldDef& f, std::string* out);
  // The schema's default (Avro's JSON form) encoded as `w`.
  Status EncodeDefault(const nlohmann::json& d, const Node* w, std::string* out);

 private:
  Status EncodeUnion(const Value& v, const Node* w, std::string* out);
  Status EncodeScalar(const Value& v, const Node* w, std::string* out);
  Status EncodeDecimal(const Value& v, const Node* w, std::string* out);
  Status EncodeArray(const Value& v, const Node* w, std::string* out);
  Status EncodeMap(const Value& v, const Node* w, std::string* out);
  Status EncodeRecord(const Value& v, const Node* w, std::string* out);
  // For each field of record `w`, the index of the STRUCT field that fills it (or -1).
  const std::vector<int>& FieldMap(const Node* w, const SqlType* t);
  static Status Mismatch(const Value& v, const Node* w);

  std::map<std::pair<const Node*, const SqlType*>, std::vector<int>> field_maps_;
  int depth_ = 0;
};

// Whether a value can be written as `w` without loss of meaning (picks a union's branch).
bool Accepts(const Node* w, const Value& v);

// For each field of record `w`, the index in `names` that fills it (or -1): ksqlDB's
// exact match (after its '.' -> '_' rename), then a case-insensitive one.
std::vector<int> MatchFields(const Node* w, const std::vector<std::string>& names);

}  // namespace sluice::serde::avro
