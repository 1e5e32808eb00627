#pragma once
// sluiced's Schema Registry at start-up: with `ksql.schema.registry.url` set, the engine gets
// an HttpSchemaRegistryClient of that registry; without it, the engine keeps its in-memory
// registry and sluiced serves it over Confluent's REST API on `sluice.schema.registry.listener`
// (server/schema_registry_service.h), so Confluent's serializers and a user's own producers
// register against the same schemas the queries use.
#include <memory>
#include <string>

#include "engine/common/status.h"
#include "engine/config/server_config.h"

namespace sluice {

class Engine;
class SchemaRegistry;
class HttpServer;
class SchemaRegistryService;

class SchemaRegistrySetup {
 public:
  // Fails (naming the property) on a bad URL or auth setting, or when an explicitly configured
  // listener port is taken; the default port (8081) being taken falls back to an ephemeral port.
  static Result<std::unique_ptr<SchemaRegistrySetup>> Start(const ServerConfig& config, Engine& engine);
  // Serves `registry` over Confluent's REST API on `listener` ("http://127.0.0.1:0"); with
  // `fallback_to_ephemeral`, a taken port is replaced by an ephemeral one. Tests use it alone.
  static Result<std::unique_ptr<SchemaRegistrySetup>> Serve(std::shared_ptr<SchemaRegistry> registry,
                                                           const std::string& listener, bool fallback_to_ephemeral);
  ~SchemaRegistrySetup();  // stops the embedded registry's listener

  const std::string& url() const { return url_; }  // for clients: http://localhost:8081
  bool embedded() const { return http_ != nullptr; }

 private:
  SchemaRegistrySetup() = default;
  std::shared_ptr<SchemaRegistryService> service_;
  std::unique_ptr<HttpServer> http_;
  std::string url_;
};

}  // namespace sluice
