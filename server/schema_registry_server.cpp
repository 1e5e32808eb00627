#include "server/schema_registry_server.h"

#include <spdlog/spdlog.h>

#include "engine/executor/engine.h"
#include "engine/schema_registry/http_registry_client.h"
#include "server/http_server.h"
#include "server/schema_registry_service.h"

namespace sluice {

namespace {

constexpr const char* kListenerProperty = "sluice.schema.registry.listener";

std::string UrlFor(const Listener& l, int port) {
  std::string host = l.host == "0.0.0.0" || l.host == "::" || l.host.empty() ? "localhost" : l.host;
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return "http://" + host + ":" + std::to_string(port);
}

// "http://user:pw@host:8081,http://h2:8081" -> "http://host:8081,http://h2:8081": for logs and /info.
std::string WithoutCredentials(const std::string& urls) {
  std::string out;
  size_t start = 0;
  while (start <= urls.size()) {
    size_t comma = urls.find(',', start);
    if (comma == std::string::npos) comma = urls.size();
    std::string url = urls.substr(start, comma - start);
    const size_t scheme = url.find("://");
    const size_t at = url.find('@', scheme == std::string::npos ? 0 : scheme);
    if (scheme != std::string::npos && at != std::string::npos && url.find('/', scheme + 3) > at)
      url = url.substr(0, scheme + 3) + url.substr(at + 1);
    out += (out.empty() ? "" : ",") + url;
    start = comma + 1;
  }
  return out;
}

HttpRoutes RegistryRoutes(std::shared_ptr<SchemaRegistryService> service) {
  HttpRoutes routes;
  routes.handle = [service](const std::shared_ptr<HttpExchange>& ex) {
    const HttpRequest& req = ex->request();
    HttpReply r = service->Handle(req.method, req.path, req.query, req.body);
    ex->Reply(r.status, std::move(r.body), kSchemaRegistryContentType);
  };
  return routes;
}

}  // namespace

SchemaRegistrySetup::~SchemaRegistrySetup() = default;

Result<std::unique_ptr<SchemaRegistrySetup>> SchemaRegistrySetup::Start(const ServerConfig& config, Engine& engine) {
  std::unique_ptr<SchemaRegistrySetup> setup(new SchemaRegistrySetup());
  if (!config.Get("ksql.schema.registry.url").empty()) {
    std::map<std::string, std::string> props;
    for (const char* name : {"ksql.schema.registry.url", "ksql.schema.registry.basic.auth.credentials.source",
                             "ksql.schema.registry.basic.auth.user.info"})
      props[name] = config.Get(name);
    auto client = HttpSchemaRegistryClient::FromProperties(props);
    if (!client.ok()) return client.status();
    engine.SetSchemaRegistry(*client);
    setup->url_ = WithoutCredentials(props["ksql.schema.registry.url"]);
    spdlog::info("Schema Registry: {}", setup->url_);
    return setup;
  }

  return Serve(engine.schema_registry(), config.Get(kListenerProperty), !config.IsSet(kListenerProperty));
}

Result<std::unique_ptr<SchemaRegistrySetup>> SchemaRegistrySetup::Serve(std::shared_ptr<SchemaRegistry> registry,
                                                                        const std::string& listener,
                                                                        bool fallback_to_ephemeral) {
  auto listeners = ParseListeners(listener);
  if (!listeners.ok()) return Status::InvalidArgument(std::string(kListenerProperty) + ": " + listeners.status().message());
  std::unique_ptr<SchemaRegistrySetup> setup(new SchemaRegistrySetup());
  setup->service_ = std::make_shared<SchemaRegistryService>(std::move(registry));
  auto http = HttpServer::Start(*listeners, 1, RegistryRoutes(setup->service_));
  if (!http.ok() && fallback_to_ephemeral && (*listeners)[0].port != 0) {
    // The default port is Confluent's: a registry (or another sluiced) may hold it already.
    spdlog::warn("Embedded Schema Registry: {}; using an ephemeral port instead. Set {} to choose one.",
                 http.status().message(), kListenerProperty);
    (*listeners)[0].port = 0;
    http = HttpServer::Start(*listeners, 1, RegistryRoutes(setup->service_));
  }
  if (!http.ok())
    return Status::IOError("Embedded Schema Registry: " + http.status().message() + " (" + kListenerProperty +
                           "; another Schema Registry running? Choose a free port, or port 0 for an ephemeral one, "
                           "or set ksql.schema.registry.url to use a registry of your own)");
  setup->http_ = std::move(*http);
  setup->url_ = UrlFor((*listeners)[0], setup->http_->ports()[0]);
  return setup;
}

}  // namespace sluice
