#pragma once
// The embedded Schema Registry's REST API, without HTTP: Confluent Schema Registry's v1 API
// over a SchemaRegistry (the engine's in-memory one), so that Confluent's serializers, the
// registry's own clients and Sluice's HttpSchemaRegistryClient can register and read schemas
// in a sluiced that has no `ksql.schema.registry.url`. server.cpp serves it on its own
// listener (`sluice.schema.registry.listener`). See server/README.md for the endpoints.
//
// Kept here, beside the registry: the compatibility levels (global and per subject), the
// references of each schema id, and soft-deleted subjects. Modes (READWRITE, READONLY,
// IMPORT: /mode) are the registry's own, so that they bind the engine's registrations too. Registrations, deletes and config
// changes are serialized; reads go straight to the registry.
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/schema_registry/schema_registry.h"
#include "server/ksql_service.h"

namespace sluice {

constexpr const char* kSchemaRegistryContentType = "application/vnd.schemaregistry.v1+json";

class SchemaRegistryService {
 public:
  explicit SchemaRegistryService(std::shared_ptr<SchemaRegistry> registry);

  // One request: `path` as sent (percent-encoded segments), `query` the part after '?'.
  // Always answers: Confluent's {"error_code","message"} bodies for every refusal.
  HttpReply Handle(const std::string& method, const std::string& path, const std::string& query,
                   const std::string& body);

 private:
  // A schema as a request carries it, checked and in its stored form.
  struct Candidate {
    SchemaType type = SchemaType::kAvro;
    std::string text;             // normalized: compact Avro/JSON, .proto text
    nlohmann::json references;    // [] or [{"name","subject","version"}]
  };
  using Query = std::map<std::string, std::string>;

  HttpReply Schemas(const std::string& method, const std::vector<std::string>& seg);
  HttpReply Subjects(const std::string& method, const std::vector<std::string>& seg, const Query& query,
                     const std::string& body);
  HttpReply Config(const std::string& method, const std::vector<std::string>& seg, const Query& query,
                   const std::string& body);
  HttpReply Compatibility(const std::string& method, const std::vector<std::string>& seg, const Query& query,
                          const std::string& body);
  HttpReply Mode(const std::string& method, const std::vector<std::string>& seg, const Query& query,
                 const std::string& body);

  HttpReply Register(const std::string& subject, const std::string& body);
  HttpReply Lookup(const std::string& subject, const std::string& body);
  HttpReply GetVersion(const std::string& subject, const std::string& version, bool raw);
  HttpReply DeleteSubject(const std::string& subject, bool permanent);

  Result<Candidate> ParseCandidate(const std::string& body);
  // An import's "version": a refusal, or nullopt when it can be honoured (or none is given).
  std::optional<HttpReply> CheckImportVersion(const std::string& subject, const nlohmann::json& request);
  // Schema `s` is `c`: same type, same schema, same references.
  bool SameSchema(const RegisteredSchema& s, const Candidate& c);
  RegistryMode ModeOf(const std::string& subject);  // the subject's, else the global one
  // The version of `subject` that holds this schema, if any.
  std::optional<RegisteredSchema> FindInSubject(const std::string& subject, const Candidate& c);
  // Why `c` may not follow `existing` under `level` (empty: compatible).
  std::vector<std::string> Incompatibilities(const std::string& level, const Candidate& c,
                                             const std::vector<RegisteredSchema>& existing);
  std::vector<RegisteredSchema> AllVersions(const std::string& subject);
  std::string LevelOf(const std::string& subject);
  nlohmann::json SchemaJson(const RegisteredSchema& s, bool with_subject);

  std::shared_ptr<SchemaRegistry> registry_;
  std::mutex mu_;  // registrations, deletes, config
  std::string global_level_ = "BACKWARD";
  std::map<std::string, std::string> subject_levels_;
  std::map<int, nlohmann::json> references_;                // schema id -> its references
  std::map<std::string, std::vector<int>> soft_deleted_;    // subject -> versions it had
};

}  // namespace sluice
