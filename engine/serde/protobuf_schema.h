#pragma once
// PROTOBUF schemas: .proto text (as the Schema Registry keeps it) parsed into descriptors, the
// SQL columns ksqlDB infers from a message, and the .proto text ksqlDB derives from columns.
// Internal to engine/serde (protobuf_*.cpp); see engine/serde/README.md.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor_database.h>

#include "engine/common/status.h"
#include "engine/serde/format.h"

#include "engine/schema_registry/schema_registry.h"

namespace sluice::serde::pb {

namespace gpb = google::protobuf;

// A parsed schema file with everything it imports. Well-known imports resolve without a
// registry: google/protobuf/*.proto (libprotobuf's own), google/type/date.proto,
// google/type/timeofday.proto, confluent/type/decimal.proto and confluent/meta.proto; any other
// import is a schema reference, looked up as the latest schema of the subject named like the
// import (Confluent's default reference subject). Immutable once built: shared by threads.
class ProtoSchema {
 public:
  // `registry` may be null (then only well-known imports resolve). An import named by one of
  // `references` is that subject's version; any other is the latest schema of the subject
  // named like the import. Errors are SerdeError carrying libprotobuf's message with line:column.
  static Result<std::shared_ptr<const ProtoSchema>> Parse(
      const std::string& text, SchemaRegistry* registry,
      const std::vector<SchemaReference>& references = {});

  const gpb::FileDescriptor* file() const { return file_; }
  // The message `name` (full name, or its last component when that is unique), or the first
  // message of the file when `name` is empty. NotFound when there is none.
  Result<const gpb::Descriptor*> FindMessage(const std::string& name) const;
  // Confluent's message indexes: positions from the file's top level down to `message`.
  static std::vector<int> IndexesOf(const gpb::Descriptor* message);
  Result<const gpb::Descriptor*> MessageAt(const std::vector<int>& indexes) const;
  // The `confluent.field_meta` params of a field (precision/scale of a decimal), or null.
  const std::map<std::string, std::string>* FieldParams(const gpb::FieldDescriptor* f) const;

 private:
  ProtoSchema() = default;
  gpb::SimpleDescriptorDatabase files_;
  std::unique_ptr<gpb::DescriptorPool> pool_;
  const gpb::FileDescriptor* file_ = nullptr;
  // field full name -> params; custom options are taken out before building, since the
  // extensions that define them need not be imported (Confluent's parser tolerates that).
  std::map<std::string, std::map<std::string, std::string>> field_params_;
};

// How a nullable column is written (KEY_/VALUE_PROTOBUF_NULLABLE_REPRESENTATION).
using Nullable = ProtobufNullable;

// Well-known message kinds that map to one SQL value rather than a STRUCT.
enum class MessageKind { kStruct, kMapEntry, kWrapper, kTimestamp, kDate, kTime, kDecimal };
MessageKind KindOf(const gpb::Descriptor* message);
// A repeated field of map entries (protoc's map<K, V>, or Confluent's `...Entry` messages).
bool IsMapField(const gpb::FieldDescriptor* field);

// ksqlDB's type for a field (repeated -> ARRAY, map entry -> MAP, wrappers -> the primitive,
// enum -> STRING, uint32/64-bit ints -> BIGINT, float -> DOUBLE, Decimal/Date/TimeOfDay/
// Timestamp -> DECIMAL/DATE/TIME/TIMESTAMP, other messages -> STRUCT).
Result<TypePtr> SqlTypeOf(const ProtoSchema& schema, const gpb::FieldDescriptor* field);
// The columns of a message: its fields in order; a oneof becomes one STRUCT column named
// `<oneof>_<index>` holding its members, as Confluent's converter names it. With
// `upper_case_names` (ksqlDB's inference without a schema id) every column and struct field
// name is upper-cased, else kept as the schema writes it.
Result<std::vector<Column>> ColumnsOf(const ProtoSchema& schema, const gpb::Descriptor* message,
                                      bool upper_case_names = false);

// The .proto text ksqlDB registers for these columns: proto3, top-level message
// `full_name` (or ConnectDefault1), nested STRUCTs as nested messages ConnectDefault2, 3, ...
// in the order Confluent's converter numbers them, ARRAY as repeated, MAP as map<>, DECIMAL
// as confluent.type.Decimal with precision/scale params, DATE/TIME/TIMESTAMP as google.type.Date,
// google.type.TimeOfDay, google.protobuf.Timestamp; nullable primitives per `nullable`.
// Returns the message's full name too.
struct DerivedSchema {
  std::string text;
  std::string message_name;
};
Result<DerivedSchema> DeriveSchema(const std::vector<Column>& columns,
                                   const std::string& full_name, Nullable nullable);

// ksqlDB's column checks for PROTOBUF (map keys must be STRING).
Status CheckColumns(const std::vector<Column>& columns);

}  // namespace sluice::serde::pb
