#pragma once
// Confluent Schema Registry, as the engine sees it: register a schema under a subject and get
// its id; look a schema up by id (readers: the id is in every payload's wire header) or by
// subject (CREATE without columns, sinks checking what is there). Implementations: the
// in-memory registry below (sluiced's embedded registry, the test driver, sluice-qtt) and an
// HTTP client of a real registry (`ksql.schema.registry.url`). All are thread-safe: stream
// threads of every query share one instance. See engine/schema_registry/README.md.
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "engine/common/status.h"

namespace sluice {

// The registry's schemaType: AVRO (the default when a request names none), PROTOBUF, JSON.
enum class SchemaType { kAvro, kProtobuf, kJson };
const char* SchemaTypeName(SchemaType type);  // "AVRO", "PROTOBUF", "JSON"
Result<SchemaType> ParseSchemaType(const std::string& name);

// Confluent's registry modes: READWRITE (the default) registers as usual; READONLY refuses
// registrations and deletes; IMPORT registers schemas at the ids (and versions) a migration
// gives, and only those. A subject without a mode of its own follows the global one.
enum class RegistryMode { kReadWrite, kReadOnly, kImport };
const char* RegistryModeName(RegistryMode mode);  // "READWRITE", "READONLY", "IMPORT"
Result<RegistryMode> ParseRegistryMode(const std::string& name);  // case-insensitive

// A schema that another imports (Protobuf `import "x.proto"`, Avro named types): the import's
// name and where the registry keeps it.
struct SchemaReference {
  std::string name;     // as the referencing schema names it, e.g. "event.proto"
  std::string subject;  // where it is registered
  int version = 1;
  bool operator==(const SchemaReference&) const = default;
};

struct RegisteredSchema {
  int id = 0;
  int version = 0;      // within `subject` (0 when looked up by id alone)
  std::string subject;  // empty when looked up by id alone
  SchemaType type = SchemaType::kAvro;
  std::string text;     // Avro JSON, .proto text, or JSON Schema, as registered
  std::vector<SchemaReference> references;
};

class SchemaRegistry {
 public:
  virtual ~SchemaRegistry() = default;
  // Registers `text` under `subject` (a new version unless the same text is already there)
  // and returns its id. The same text under another subject keeps its id, as Confluent's does.
  virtual Result<int> Register(const std::string& subject, SchemaType type,
                               const std::string& text) = 0;
  // The same with references, and optionally at a given id (Confluent's IMPORT mode; the test
  // corpora's keySchemaId/valueSchemaId). An id already holding another schema is an error.
  // Registries that support neither answer NotSupported when asked for them. The in-memory
  // registry keeps references as given (a test may register them after the schema); the
  // embedded REST API checks them before it calls this.
  virtual Result<int> RegisterWith(const std::string& subject, SchemaType type,
                                   const std::string& text,
                                   const std::vector<SchemaReference>& references,
                                   std::optional<int> id) {
    if (!references.empty() || id)
      return Status::NotSupported("schema references and given ids are not supported here");
    return Register(subject, type, text);
  }
  // NotFound "Schema <id> not found" when no schema has this id.
  virtual Result<RegisteredSchema> ById(int id) = 0;
  // NotFound "Subject '<subject>' not found." when the subject has no versions.
  virtual Result<RegisteredSchema> Latest(const std::string& subject) = 0;
  virtual Result<RegisteredSchema> Version(const std::string& subject, int version) = 0;
  virtual Result<std::vector<std::string>> Subjects() = 0;
  virtual Result<std::vector<int>> Versions(const std::string& subject) = 0;
  // Deletes every version of `subject`; returns the deleted versions (DROP ... DELETE TOPIC).
  virtual Result<std::vector<int>> DeleteSubject(const std::string& subject) = 0;

  // Modes (Confluent's /mode API). `subject` "" is the global mode. Mode: the subject's own,
  // else (with `default_to_global`) the global one, else NotFound. SetMode to IMPORT needs
  // the scope (the subject, or for the global mode every subject) to have no schemas, unless
  // `force`; refused as InvalidArgument "Cannot import since found existing subjects".
  // DeleteMode: the subject follows the global mode again; returns the mode it had.
  // Registries that keep no modes answer NotSupported.
  virtual Result<RegistryMode> Mode(const std::string& subject, bool default_to_global) {
    (void)subject, (void)default_to_global;
    return Status::NotSupported("this schema registry keeps no modes");
  }
  virtual Status SetMode(const std::string& subject, RegistryMode mode, bool force) {
    (void)subject, (void)mode, (void)force;
    return Status::NotSupported("this schema registry keeps no modes");
  }
  virtual Result<RegistryMode> DeleteMode(const std::string& subject) {
    (void)subject;
    return Status::NotSupported("this schema registry keeps no modes");
  }
};

// In memory, in this process: sluiced's embedded registry and the test runners' registry.
// Modes apply to every registration, the engine's included, as a Confluent registry applies
// them to ksqlDB's: READONLY refuses ("Subject <s> is in read-only mode"), IMPORT refuses a
// new schema without an id ("Subject <s> is not in read-write mode"); a schema already in the
// subject is answered with its id in any mode. In-process callers may give an id in any mode
// other than READONLY (the test runners import the corpora's keySchemaId/valueSchemaId so);
// the REST API (server/schema_registry_service.cpp) asks for IMPORT, as Confluent's does.
// Mode refusals are InvalidArgument; an id held by another schema is AlreadyExists.
class InMemorySchemaRegistry final : public SchemaRegistry {
 public:
  Result<int> Register(const std::string& subject, SchemaType type,
                       const std::string& text) override;
  Result<int> RegisterWith(const std::string& subject, SchemaType type, const std::string& text,
                           const std::vector<SchemaReference>& references,
                           std::optional<int> id) override;
  Result<RegisteredSchema> ById(int id) override;
  Result<RegisteredSchema> Latest(const std::string& subject) override;
  Result<RegisteredSchema> Version(const std::string& subject, int version) override;
  Result<std::vector<std::string>> Subjects() override;
  Result<std::vector<int>> Versions(const std::string& subject) override;
  Result<std::vector<int>> DeleteSubject(const std::string& subject) override;  // and its mode
  Result<RegistryMode> Mode(const std::string& subject, bool default_to_global) override;
  Status SetMode(const std::string& subject, RegistryMode mode, bool force) override;
  Result<RegistryMode> DeleteMode(const std::string& subject) override;

 private:
  struct Stored {
    SchemaType type;
    std::string text;
    std::vector<SchemaReference> references;
    bool operator==(const Stored&) const = default;
  };
  RegisteredSchema Describe(int id) const;  // mu_ held
  RegistryMode ModeInScope(const std::string& subject) const;  // mu_ held
  std::mutex mu_;
  std::map<int, Stored> by_id_;                                // id -> schema
  int next_id_ = 1;                                            // above every id given so far
  std::map<std::string, std::vector<int>> subject_versions_;   // subject -> ids by version - 1
  RegistryMode global_mode_ = RegistryMode::kReadWrite;
  std::map<std::string, RegistryMode> subject_modes_;          // subjects with a mode of their own
};

// Confluent's wire format: magic byte 0, then the schema id as 4 big-endian bytes, then the
// payload (for PROTOBUF, message indexes come first: that is the format's business).
constexpr size_t kConfluentHeaderSize = 5;
void AppendConfluentHeader(int schema_id, std::string* out);
// The schema id of a payload, or a SerdeError naming what is wrong (too short, magic byte).
Result<int> ReadConfluentHeader(std::string_view payload);

}  // namespace sluice
