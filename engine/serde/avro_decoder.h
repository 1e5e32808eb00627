#pragma once
// Avro binary -> Value, walking the writer's schema and converting into the column's SQL type
// with ksqlDB's coercions (Connect's AvroData, then ksqlDB's ConnectDataTranslator): INT into
// BIGINT, FLOAT into DOUBLE, any number or boolean into STRING (Java's text), enums into
// STRING, records into STRUCTs by case-insensitive field name, maps (and Connect's MapEntry
// arrays) into MAPs. Values not wanted are skipped on the wire without being built.
#include <string_view>
#include <vector>

#include "engine/common/status.h"
#include "engine/serde/avro_binary.h"
#include "engine/serde/avro_schema.h"
#include "engine/types/value.h"

namespace sluice::serde::avro {

class Decoder {
 public:
  // One value of writer schema `w` into `target`. Bad bytes (truncated, a varint too long,
  // a negative length, a union index out of range) and type mismatches are SerdeErrors.
  Status Decode(BinaryReader& in, const Node* w, const TypePtr& target, Value* out);
  // Moves past one value of writer schema `w`.
  Status Skip(BinaryReader& in, const Node* w);

  // The path segment used in mismatch messages ("... for path: ->COL->FIELD"): callers push
  // the top-level column before decoding it.
  void PushPath(std::string_view segment) { path_.push_back(segment); }
  void PopPath() { path_.pop_back(); }

 private:
  Status DecodeAny(BinaryReader& in, const Node* w, const TypePtr& target, Value* out);
  Status DecodeUnion(BinaryReader& in, const Node* w, const TypePtr& target, Value* out);
  Status DecodeLong(BinaryReader& in, const Node* w, const SqlType& t, Value* out);
  Status DecodeInt(BinaryReader& in, const Node* w, const SqlType& t, Value* out);
  Status DecodeFloating(BinaryReader& in, const Node* w, const SqlType& t, Value* out);
  Status DecodeBytes(BinaryReader& in, const Node* w, const SqlType& t, Value* out);
  Status DecodeDecimal(std::string_view raw, const Node* w, const SqlType& t, Value* out);
  Status DecodeArray(BinaryReader& in, const Node* w, const TypePtr& target, Value* out);
  Status DecodeMap(BinaryReader& in, const Node* w, const TypePtr& target, Value* out);
  Status DecodeMapEntries(BinaryReader& in, const Node* w, const TypePtr& target, Value* out);
  Status DecodeRecord(BinaryReader& in, const Node* w, const TypePtr& target, Value* out);
  // Reads one block header of an array or map: the item count (0 ends the value).
  Status ReadBlockCount(BinaryReader& in, const Node* item, int64_t* count);

  Status Mismatch(const Node* w, const SqlType& target) const;
  static Status Truncated();

  std::vector<std::string_view> path_;
  int depth_ = 0;
};

}  // namespace sluice::serde::avro
