#pragma once
// HttpSchemaRegistryClient: the SchemaRegistry interface over Confluent Schema Registry's REST
// API (`ksql.schema.registry.url`), for a sluiced that uses a real registry (or another
// sluiced's embedded one). Schemas are cached by id and by (subject, type, text), so a running
// query asks the registry once per schema, never per record.
//
// URLs: a comma-separated list; a request goes to the first one that answers, starting from
// the one that answered last. A URL that cannot be reached (connect failure, timeout) moves on
// to the next; an HTTP error answer does not (the registry said no). Every wait is bounded
// (`timeout`, connect and request alike). Errors name the URL, the request, the subject and
// the HTTP status with Confluent's error code and message: NotFound for 404 (40401 subject,
// 40402 version, 40403 schema), InvalidArgument for 409 (incompatible) and 422 (invalid
// schema or version), IOError for the rest and for unreachable registries.
//
// Auth: HTTP basic, as ksqlDB passes it to its registry client:
// `ksql.schema.registry.basic.auth.credentials.source` = USER_INFO (with
// `ksql.schema.registry.basic.auth.user.info` = user:password) or URL (user:password@ in the
// URL). Only http:// URLs: Sluice has no TLS client for the registry yet.
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "engine/schema_registry/schema_registry.h"

namespace sluice {

struct HttpRegistryOptions {
  std::vector<std::string> urls;           // "http://host:port[/prefix]", tried in order
  std::string user_info;                   // "user:password" for basic auth, "" for none
  std::chrono::milliseconds timeout{10000}; // per request, connect included
};

class HttpSchemaRegistryClient final : public SchemaRegistry {
 public:
  // From the server's properties (`ksql.schema.registry.url` and the basic auth ones);
  // InvalidArgument naming the property when a value cannot be used.
  static Result<std::shared_ptr<HttpSchemaRegistryClient>> FromProperties(
      const std::map<std::string, std::string>& props);
  static Result<std::shared_ptr<HttpSchemaRegistryClient>> Create(HttpRegistryOptions options);

  Result<int> Register(const std::string& subject, SchemaType type, const std::string& text) override;
  // With references, and at a given id: the registry must be in IMPORT mode for the subject
  // (SetMode below); Confluent's registry refuses otherwise (422, error code 42205).
  Result<int> RegisterWith(const std::string& subject, SchemaType type, const std::string& text,
                           const std::vector<SchemaReference>& references, std::optional<int> id) override;
  Result<RegisteredSchema> ById(int id) override;
  Result<RegisteredSchema> Latest(const std::string& subject) override;
  Result<RegisteredSchema> Version(const std::string& subject, int version) override;
  Result<std::vector<std::string>> Subjects() override;
  Result<std::vector<int>> Versions(const std::string& subject) override;
  Result<std::vector<int>> DeleteSubject(const std::string& subject) override;
  // GET, PUT and DELETE /mode[/{subject}]. Refusals: NotFound (404), InvalidArgument (422).
  Result<RegistryMode> Mode(const std::string& subject, bool default_to_global) override;
  Status SetMode(const std::string& subject, RegistryMode mode, bool force) override;
  Result<RegistryMode> DeleteMode(const std::string& subject) override;

  // HTTP requests sent so far (tests check that the caches spare them).
  int requests_sent() const;

  struct Endpoint {
    std::string host, port, prefix, authorization;  // authorization: "Basic ..." or ""
    std::string url;                                // as configured, credentials removed
  };

 private:
  struct Response {
    int status = 0;
    std::string body;
    std::string url;
  };
  HttpSchemaRegistryClient(std::vector<Endpoint> endpoints, std::chrono::milliseconds timeout);
  // One request, to the first reachable URL. `what` names it in errors ("subject 'x'").
  Result<Response> Send(const std::string& method, const std::string& target, const std::string& body,
                        const std::string& what);
  Result<RegisteredSchema> FetchVersion(const std::string& subject, const std::string& version);

  std::vector<Endpoint> endpoints_;
  std::chrono::milliseconds timeout_;
  mutable std::mutex mu_;
  size_t preferred_ = 0;  // the endpoint that answered last
  int requests_sent_ = 0;
  std::map<int, RegisteredSchema> by_id_;
  std::map<std::tuple<std::string, SchemaType, std::string>, int> by_subject_text_;
};

}  // namespace sluice
