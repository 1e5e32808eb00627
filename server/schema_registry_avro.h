#pragma once
// What the embedded Schema Registry needs to know about an Avro schema: whether it is valid
// (42201 otherwise), its stored form, and whether one schema can read data written with
// another (the compatibility levels). The rules are Avro's schema resolution, as Confluent's
// registry applies them through Avro's SchemaCompatibility: named types match by name, a
// reader's record field missing from the writer needs a default, enums may only gain symbols
// (unless the reader has a default symbol), int -> long -> float -> double and string <-> bytes
// promote, and union branches resolve one by one.
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/common/status.h"

namespace sluice {

struct AvroNode {
  enum class Kind { kNull, kBoolean, kInt, kLong, kFloat, kDouble, kBytes, kString,
                    kRecord, kEnum, kFixed, kArray, kMap, kUnion };
  struct Field {
    std::string name;
    std::vector<std::string> aliases;
    const AvroNode* type = nullptr;
    bool has_default = false;
  };
  Kind kind = Kind::kNull;
  std::string full_name;                 // record, enum, fixed
  std::vector<std::string> aliases;      // full names
  std::vector<Field> fields;             // record
  std::vector<std::string> symbols;      // enum
  bool has_enum_default = false;         // enum
  int64_t size = 0;                      // fixed
  const AvroNode* items = nullptr;       // array items, map values
  std::vector<const AvroNode*> branches; // union
};

class AvroSchema {
 public:
  // Parses Avro's JSON schema text; InvalidArgument names what is wrong (unknown type name,
  // a record without fields, duplicate union branches ...).
  static Result<std::shared_ptr<AvroSchema>> Parse(const std::string& text);
  const AvroNode& root() const { return *root_; }
  // The schema as compact JSON, keys in the order written: what the registry stores, so that
  // the same schema written with other whitespace gets the same id.
  const std::string& compact() const { return compact_; }

 private:
  friend class AvroParser;
  std::deque<AvroNode> nodes_;
  std::map<std::string, const AvroNode*> named_;
  const AvroNode* root_ = nullptr;
  std::string compact_;
};

// Empty when data written with `writer` can be read with `reader`; else why not, one line per
// incompatibility found.
std::vector<std::string> AvroReadIncompatibilities(const AvroSchema& reader, const AvroSchema& writer);

}  // namespace sluice
