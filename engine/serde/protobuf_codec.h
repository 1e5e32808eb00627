#pragma once
// Compiled readers and writers between one Protobuf message (a descriptor) and a list of SQL
// columns (or a STRUCT's fields): built once per schema, then run per record with no
// reflection. The reader decodes the wire bytes straight into Values and skips the fields no
// column needs; the writer encodes Values straight into the output buffer.
// Internal to engine/serde (see engine/serde/README.md).
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/serde/protobuf_schema.h"
#include "engine/serde/protobuf_wire.h"

namespace sluice::serde::pb {

struct FieldReader;
struct FieldWriter;

class MessageReader {
 public:
  // Fields are matched to `targets` by name (exact, then case-insensitive); a oneof matches a
  // target named `<oneof>_<index>`. Targets absent from the message read as NULL. `needed`
  // (empty = all) leaves the other targets NULL and their fields skipped. Errors (a field
  // whose type cannot become its target's type) are SerdeError.
  static Result<std::unique_ptr<MessageReader>> Build(const ProtoSchema& schema,
                                                      const gpb::Descriptor* message,
                                                      const std::vector<Column>& targets,
                                                      const std::vector<bool>& needed = {});
  ~MessageReader();
  size_t size() const { return slots_; }
  // Decodes one message into out[0 .. size()), writing every slot: fields absent from the
  // bytes get ksqlDB's value for them (proto3 default, empty ARRAY/MAP, NULL for messages,
  // wrappers, `optional`), targets without a field NULL.
  // Not thread-safe (it keeps scratch accumulators): one reader per deserializer.
  Status Read(std::string_view bytes, Value* out) const;

 private:
  MessageReader() = default;
  friend struct ReaderBuilder;
  size_t slots_ = 0;
  std::vector<FieldReader> fields_;
  std::vector<int16_t> by_number_;          // field number -> index in fields_, -1 = skip
  std::vector<std::pair<int, Value>> absent_;  // slot -> value when its field is absent
  std::vector<int> unread_;                   // slots no field fills: always NULL
  bool track_seen_ = true;                    // slots fit the 64-bit `seen` mask
  int repeated_count_ = 0;
  mutable std::vector<std::vector<Value>> repeated_;  // ARRAY/MAP items of the message being read
  const FieldReader* Find(uint64_t number) const;
  Status ReadField(const FieldReader& f, uint32_t wire_type, WireReader* in, Value* out,
                   uint64_t* seen) const;
};

class MessageWriter {
 public:
  // Every source is matched to a field by name (exact, then case-insensitive), or to a oneof
  // named `<oneof>_<index>` when the source is a STRUCT of its members. A source with no field,
  // or whose type cannot be written as the field's type, is a SerdeError.
  static Result<std::unique_ptr<MessageWriter>> Build(const ProtoSchema& schema,
                                                      const gpb::Descriptor* message,
                                                      const std::vector<Column>& sources);
  ~MessageWriter();
  // Appends the message's bytes for values[0 .. sources.size()) to *out. NULLs, empty arrays and
  // proto3 default values of fields without presence are not written.
  Status Write(const Value* values, std::string* out);

 private:
  MessageWriter() = default;
  friend struct WriterBuilder;
  std::vector<FieldWriter> fields_;
  Status WriteField(FieldWriter& f, const Value& v, std::string* out);
  Status WriteSingle(FieldWriter& f, const Value& v, bool in_repeated, std::string* out);
};

}  // namespace sluice::serde::pb
