// PROTOBUF and PROTOBUF_NOSR row formats (ksqlDB's ProtobufFormat / ProtobufNoSRFormat).
//
// PROTOBUF: Confluent's wire format, magic byte 0, the 4-byte schema id, the message indexes,
// then the message. Readers take the writer's schema from the registry by id (parsed once per
// id) and pick the message by the indexes (a reader plan per id and indexes); writers
// register the schema ksqlDB derives from the columns under the subject (once, lazily), or
// write with the schema VALUE_/KEY_SCHEMA_ID names.
// PROTOBUF_NOSR: the bare message, its schema derived from the columns on both sides.
#include <spdlog/spdlog.h>

#include <map>

#include "engine/schema_registry/schema_registry.h"
#include "engine/serde/protobuf_codec.h"
#include "engine/serde/serde_factories.h"

namespace sluice::serde {

namespace {

using pb::MessageReader;
using pb::MessageWriter;
using pb::ProtoSchema;

Status SerdeFailure(const std::string& what, const Status& cause) {
  return Status::SerdeError(what + ": " + cause.message());
}

// The schema ksqlDB derives for `columns`, parsed (PROTOBUF_NOSR's only schema, and the one a
// PROTOBUF writer registers).
struct Derived {
  std::string text;
  std::shared_ptr<const ProtoSchema> schema;
  const pb::gpb::Descriptor* message = nullptr;
};

Result<Derived> Derive(const FormatOptions& opts, const std::vector<Column>& columns) {
  auto derived = pb::DeriveSchema(columns, opts.schema_full_name, opts.protobuf_nullable);
  if (!derived.ok()) return derived.status();
  auto schema = ProtoSchema::Parse(derived->text, nullptr);
  if (!schema.ok()) return schema.status();
  auto message = (*schema)->FindMessage(derived->message_name);
  if (!message.ok()) return message.status();
  return Derived{derived->text, *schema, *message};
}

// ---------------------------------------------------------------------------------------------

class ProtobufDeserializer final : public RowDeserializer {
 public:
  ProtobufDeserializer(const FormatOptions& opts, std::vector<Column> columns,
                       std::vector<bool> needed)
      : registry_(opts.registry), columns_(std::move(columns)), needed_(std::move(needed)) {}

  Status Deserialize(std::string_view bytes, Row* out) override {
    auto id = ReadConfluentHeader(bytes);
    if (!id.ok()) return id.status();
    pb::WireReader in(bytes.substr(kConfluentHeaderSize));
    if (!pb::ReadMessageIndexes(&in, &indexes_))
      return Status::SerdeError("Invalid Protobuf message indexes for schema id " +
                                std::to_string(*id));
    auto reader = ReaderFor(*id);
    if (!reader.ok()) return reader.status();
    out->resize(columns_.size());  // Read writes every column
    const std::string_view message(in.pos(), bytes.data() + bytes.size() - in.pos());
    Status st = (*reader)->Read(message, out->data());
    if (!st.ok()) return SerdeFailure("Error deserializing Protobuf message for id " + std::to_string(*id), st);
    return st;
  }

 private:
  Result<const MessageReader*> ReaderFor(int id) {
    if (last_reader_ && id == last_id_ && indexes_ == last_indexes_) return last_reader_;
    auto key = std::make_pair(id, indexes_);
    auto it = readers_.find(key);
    if (it == readers_.end()) {
      if (auto broken = broken_.find(key); broken != broken_.end()) return broken->second;
      bool transient = false;
      auto built = BuildReader(id, &transient);
      if (!built.ok()) {
        // A schema that cannot be read stays so: remember why, rather than parse it again for
        // every record. (A failed registry lookup is not remembered: it may be transient.)
        if (!transient && broken_.size() < kMaxBroken) broken_.emplace(std::move(key), built.status());
        return built.status();
      }
      it = readers_.emplace(std::move(key), std::move(built.value())).first;
    }
    last_id_ = id;
    last_indexes_ = indexes_;
    last_reader_ = it->second.get();
    return last_reader_;
  }

  Result<std::unique_ptr<MessageReader>> BuildReader(int id, bool* transient) {
    auto schema = SchemaById(id, transient);
    if (!schema.ok()) return schema.status();
    auto message = (*schema)->MessageAt(indexes_);
    if (!message.ok()) return message.status();
    auto reader = MessageReader::Build(**schema, *message, columns_, needed_);
    if (!reader.ok()) return SerdeFailure("Cannot read Protobuf schema id " + std::to_string(id), reader.status());
    return reader;
  }

  Result<std::shared_ptr<const ProtoSchema>> SchemaById(int id, bool* transient) {
    auto it = schemas_.find(id);
    if (it != schemas_.end()) return it->second;
    if (!registry_) return Status::SerdeError("PROTOBUF needs a schema registry");
    auto registered = registry_->ById(id);
    *transient = !registered.ok();
    if (!registered.ok())
      return SerdeFailure("Error retrieving Protobuf schema for id " + std::to_string(id), registered.status());
    auto schema = ProtoSchema::Parse(registered->text, registry_.get(), registered->references);
    if (!schema.ok()) return schema.status();
    schemas_.emplace(id, *schema);
    return *schema;
  }

  std::shared_ptr<SchemaRegistry> registry_;
  std::vector<Column> columns_;
  std::vector<bool> needed_;
  std::vector<int> indexes_;  // of the record being read
  std::map<int, std::shared_ptr<const ProtoSchema>> schemas_;
  std::map<std::pair<int, std::vector<int>>, std::unique_ptr<MessageReader>> readers_;
  // Schemas (or message indexes) that cannot be read; bounded, since the indexes come from
  // the payloads and malformed ones would otherwise grow it without end.
  static constexpr size_t kMaxBroken = 64;
  std::map<std::pair<int, std::vector<int>>, Status> broken_;
  int last_id_ = -1;
  std::vector<int> last_indexes_;
  const MessageReader* last_reader_ = nullptr;
};

class ProtobufSerializer final : public RowSerializer {
 public:
  ProtobufSerializer(std::shared_ptr<SchemaRegistry> registry, std::string subject,
                     std::string schema_text, std::optional<int> id,
                     std::shared_ptr<const ProtoSchema> schema,
                     const pb::gpb::Descriptor* message, std::unique_ptr<MessageWriter> writer)
      : registry_(std::move(registry)), subject_(std::move(subject)),
        schema_text_(std::move(schema_text)), id_(id), schema_(std::move(schema)),
        indexes_(ProtoSchema::IndexesOf(message)), writer_(std::move(writer)) {}

  Status Serialize(const Row& row, std::string* out) override {
    out->clear();
    if (!id_) SLUICE_RETURN_IF_ERROR(RegisterSchema());
    AppendConfluentHeader(*id_, out);
    pb::PutMessageIndexes(indexes_, out);
    return writer_->Write(row.data(), out);
  }

 private:
  Status RegisterSchema() {
    auto id = registry_->Register(subject_, SchemaType::kProtobuf, schema_text_);
    if (!id.ok()) return SerdeFailure("Error registering Protobuf schema under " + subject_, id.status());
    id_ = *id;
    spdlog::debug("protobuf: registered schema id {} under subject {}", *id_, subject_);
    return Status::OK();
  }

  std::shared_ptr<SchemaRegistry> registry_;
  std::string subject_;
  std::string schema_text_;
  std::optional<int> id_;
  std::shared_ptr<const ProtoSchema> schema_;  // owns the descriptors the writer points into
  std::vector<int> indexes_;
  std::unique_ptr<MessageWriter> writer_;
};

// ---------------------------------------------------------------------------------------------

class ProtobufNoSrDeserializer final : public RowDeserializer {
 public:
  ProtobufNoSrDeserializer(Derived derived, std::unique_ptr<MessageReader> reader, size_t columns)
      : derived_(std::move(derived)), reader_(std::move(reader)), columns_(columns) {}

  Status Deserialize(std::string_view bytes, Row* out) override {
    out->resize(columns_);  // Read writes every column
    Status st = reader_->Read(bytes, out->data());
    if (!st.ok()) return SerdeFailure("Error deserializing PROTOBUF_NOSR message", st);
    return st;
  }

 private:
  Derived derived_;  // owns the descriptors
  std::unique_ptr<MessageReader> reader_;
  size_t columns_;
};

class ProtobufNoSrSerializer final : public RowSerializer {
 public:
  ProtobufNoSrSerializer(Derived derived, std::unique_ptr<MessageWriter> writer)
      : derived_(std::move(derived)), writer_(std::move(writer)) {}

  Status Serialize(const Row& row, std::string* out) override {
    out->clear();
    return writer_->Write(row.data(), out);
  }

 private:
  Derived derived_;
  std::unique_ptr<MessageWriter> writer_;
};

// The serializer for an explicit schema id: columns must fit the registered message.
Result<std::unique_ptr<RowSerializer>> SerializerForSchemaId(const FormatOptions& opts,
                                                             const std::vector<Column>& columns) {
  auto registered = opts.registry->ById(*opts.schema_id);
  if (!registered.ok()) return registered.status();
  auto schema = ProtoSchema::Parse(registered->text, opts.registry.get(), registered->references);
  if (!schema.ok()) return schema.status();
  auto message = (*schema)->FindMessage(opts.schema_full_name);
  if (!message.ok()) return message.status();
  auto writer = MessageWriter::Build(**schema, *message, columns);
  if (!writer.ok())
    return Status::SerdeError("Schema id " + std::to_string(*opts.schema_id) +
                              " is not compatible with the columns: " + writer.status().message());
  return std::unique_ptr<RowSerializer>(std::make_unique<ProtobufSerializer>(
      opts.registry, opts.subject, registered->text, opts.schema_id, *schema, *message,
      std::move(writer.value())));
}

}  // namespace

Result<std::unique_ptr<RowDeserializer>> MakeProtobufDeserializer(const FormatOptions& opts,
                                                                  std::vector<Column> columns,
                                                                  std::vector<bool> needed) {
  SLUICE_RETURN_IF_ERROR(pb::CheckColumns(columns));
  if (opts.kind == FormatKind::kProtobuf) {
    if (!opts.registry) return Status::InvalidArgument("PROTOBUF needs a schema registry");
    return std::unique_ptr<RowDeserializer>(
        std::make_unique<ProtobufDeserializer>(opts, std::move(columns), std::move(needed)));
  }
  auto derived = Derive(opts, columns);
  if (!derived.ok()) return derived.status();
  auto reader = MessageReader::Build(*derived->schema, derived->message, columns, needed);
  if (!reader.ok()) return reader.status();
  return std::unique_ptr<RowDeserializer>(std::make_unique<ProtobufNoSrDeserializer>(
      std::move(derived.value()), std::move(reader.value()), columns.size()));
}

Result<std::unique_ptr<RowSerializer>> MakeProtobufSerializer(const FormatOptions& opts,
                                                              std::vector<Column> columns) {
  SLUICE_RETURN_IF_ERROR(pb::CheckColumns(columns));
  if (opts.kind == FormatKind::kProtobuf && !opts.registry)
    return Status::InvalidArgument("PROTOBUF needs a schema registry");
  if (opts.kind == FormatKind::kProtobuf && opts.schema_id)
    return SerializerForSchemaId(opts, columns);
  auto derived = Derive(opts, columns);
  if (!derived.ok()) return derived.status();
  auto writer = MessageWriter::Build(*derived->schema, derived->message, columns);
  if (!writer.ok()) return writer.status();
  if (opts.kind == FormatKind::kProtobufNoSr)
    return std::unique_ptr<RowSerializer>(std::make_unique<ProtobufNoSrSerializer>(
        std::move(derived.value()), std::move(writer.value())));
  const pb::gpb::Descriptor* message = derived->message;
  return std::unique_ptr<RowSerializer>(std::make_unique<ProtobufSerializer>(
      opts.registry, opts.subject, derived->text, std::nullopt, derived->schema, message,
      std::move(writer.value())));
}

Status ProtobufSupports(const std::vector<Column>& columns) { return pb::CheckColumns(columns); }

Result<std::vector<Column>> ProtobufColumnsFromSchema(const std::string& proto_text,
                                                      const std::string& full_name, bool,
                                                      SchemaRegistry* registry,
                                                      bool original_field_names) {
  auto schema = ProtoSchema::Parse(proto_text, registry);
  if (!schema.ok()) return schema.status();
  auto message = (*schema)->FindMessage(full_name);
  if (!message.ok()) return message.status();
  return pb::ColumnsOf(**schema, *message, !original_field_names);
}

}  // namespace sluice::serde
