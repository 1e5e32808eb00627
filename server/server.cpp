#include "server/server.h"

#include <algorithm>
#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

#include <spdlog/spdlog.h>

#include "engine/executor/engine.h"
#include "engine/kafka/embedded_broker.h"
#include "engine/kafka/mock_control.h"
#include "engine/kafka/query_runner.h"
#include "server/command_log.h"
#include "server/http_server.h"
#include "server/ksql_service.h"
#include "server/query_endpoints.h"
#include "server/schema_registry_server.h"
#include "server/tls_context.h"
#include "server/websocket_query.h"

namespace sluice {

using namespace std::chrono_literals;

namespace {

// What the server talks to Kafka with: the embedded broker or the configured cluster.
struct KafkaSetup {
  std::unique_ptr<EmbeddedBroker> broker;  // null with a real cluster
  // The embedded broker's topic creation for other processes (mock_control.h): the mock has
  // no CreateTopics API, so a client elsewhere creates topics with partitions through this.
  std::unique_ptr<MockControlServer> topic_control;
  std::unique_ptr<Admin> admin;
  KafkaProperties client_props;
  std::string cluster_id;
};

Result<KafkaSetup> ConnectKafka(const ServerConfig& config) {
  KafkaSetup k;
  k.client_props = config.KafkaClientProperties();
  if (config.Get("bootstrap.servers").empty()) {
    auto broker = EmbeddedBroker::Start({1, static_cast<int>(config.GetLong("sluice.embedded.broker.port"))});
    if (!broker.ok()) return broker.status();
    k.broker = std::move(*broker);
    k.client_props["bootstrap.servers"] = k.broker->bootstrap_servers();
    auto control = ServeTopicControl(*k.broker);
    if (!control.ok()) return control.status();
    k.topic_control = std::move(*control);
    spdlog::warn("No bootstrap.servers configured: started the embedded Kafka broker at {}. It keeps data in "
                 "memory only ({}; older data is dropped) and loses it when sluiced stops. Set "
                 "bootstrap.servers to use a real Kafka cluster.",
                 k.broker->bootstrap_servers(), EmbeddedBroker::kPartitionLimit);
    auto admin = k.broker->NewAdmin();
    if (!admin.ok()) return admin.status();
    k.admin = std::move(*admin);
  } else {
    auto admin = CreateKafkaAdmin(k.client_props);
    if (!admin.ok()) return admin.status();
    k.admin = std::move(*admin);
  }
  auto id = k.admin->ClusterId();
  if (!id.ok())
    return Status::IOError("cannot reach Kafka at " + k.client_props["bootstrap.servers"] + ": " + id.status().message());
  k.cluster_id = *id;
  return k;
}

// The Kafka runtime that runs the persistent queries: its clients reach the same cluster (or
// embedded broker) as the server's own, with the `ksql.streams.*` / client settings.
Result<std::unique_ptr<KafkaQueryRunner>> StartQueryRuntime(const ServerConfig& config, KafkaSetup& kafka) {
  KafkaProperties consumer = config.KafkaClientProperties("consumer");
  KafkaProperties producer = config.KafkaClientProperties("producer");
  consumer["bootstrap.servers"] = producer["bootstrap.servers"] = kafka.client_props["bootstrap.servers"];
  // librdkafka's mock cluster: in-process, or another process's (sluice-broker, a second
  // sluiced scaling out over this one's embedded broker), recognised by its cluster id.
  const bool mock_cluster = kafka.broker || kafka.cluster_id.rfind("mockCluster", 0) == 0;
  if (mock_cluster) {
    // The mock's group coordinator ignores LeaveGroup, refuses commits while a group
    // rebalances, and waits session.timeout.ms - 1 s for members to rejoin when one joins a
    // stable group: a short session timeout keeps a restarted, scaled-out or rebalanced
    // query from stalling for ~45 s (librdkafka's default timeout).
    consumer.try_emplace("session.timeout.ms", "6000");
    consumer.try_emplace("heartbeat.interval.ms", "1000");
  }
  auto options = KafkaRunnerOptions::FromProperties(config.AllProperties(), consumer, producer);
  if (!options.ok()) return options.status();
  if (mock_cluster && !config.IsSet("ksql.streams.num.stream.threads")) {
    // One stream thread per query on the embedded broker unless configured: every extra group
    // member is another round of rebalancing there, and the quick start gains nothing from it.
    options->num_stream_threads = 1;
  }
  auto admin = kafka.broker ? kafka.broker->NewAdmin() : CreateKafkaAdmin(kafka.client_props);
  if (!admin.ok()) return admin.status();
  return KafkaQueryRunner::Create(std::move(*options), std::move(*admin));
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::IOError("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}


std::string ClientUrl(const Listener& l, int port) {
  std::string host = l.host == "0.0.0.0" || l.host == "::" || l.host.empty() ? "localhost" : l.host;
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return std::string(l.tls ? "https://" : "http://") + host + ":" + std::to_string(port);
}

}  // namespace

int RunServer(const ServerConfig& config) {
  auto listeners = ParseListeners(config.Get("listeners"));
  if (!listeners.ok()) {
    spdlog::error("listeners: {}", listeners.status().message());
    return 1;
  }
  // TLS and authentication settings are checked before anything starts (errors name the property).
  std::shared_ptr<boost::asio::ssl::context> tls;
  if (std::any_of(listeners->begin(), listeners->end(), [](const Listener& l) { return l.tls; })) {
    auto ctx = MakeServerTlsContext(config);
    if (!ctx.ok()) {
      spdlog::error("{}", ctx.status().message());
      return 1;
    }
    tls = *ctx;
  }
  auto authenticator = BasicAuthenticator::FromConfig(config);
  if (!authenticator.ok()) {
    spdlog::error("{}", authenticator.status().message());
    return 1;
  }
  auto kafka = ConnectKafka(config);
  if (!kafka.ok()) {
    spdlog::error("{}", kafka.status().message());
    return 1;
  }
  const std::string service_id = config.Get("ksql.service.id");
  const std::map<std::string, std::string> engine_props = config.EngineProperties();
  Engine engine(engine_props);
  // Before anything runs statements: the engine's registry is the HTTP client of
  // ksql.schema.registry.url, or its in-memory one served on sluice.schema.registry.listener.
  auto registry = SchemaRegistrySetup::Start(config, engine);
  if (!registry.ok()) {
    spdlog::error("{}", registry.status().message());
    return 1;
  }
  auto runtime = StartQueryRuntime(config, *kafka);
  if (!runtime.ok()) {
    spdlog::error("query runtime: {}", runtime.status().message());
    return 1;
  }
  engine.SetQueryRunner(runtime->get());  // topics are Kafka topics, queries run on stream threads

  ServerIdentity identity;
  identity.service_id = service_id;
  identity.kafka_cluster_id = kafka->cluster_id;
  identity.bootstrap_servers = kafka->client_props["bootstrap.servers"];
  identity.embedded_broker = kafka->broker != nullptr;
  identity.schema_registry_url = (*registry)->url();
  identity.embedded_schema_registry = (*registry)->embedded();
  const std::string queries_file = config.Get("ksql.queries.file");
  identity.headless = !queries_file.empty();

  std::unique_ptr<CommandLog> command_log;
  if (!identity.headless) {
    auto log = CommandLog::Open(*kafka->admin, kafka->client_props, service_id,
                                static_cast<int>(config.GetLong("ksql.internal.topic.replicas")));
    if (!log.ok()) {
      spdlog::error("{}", log.status().message());
      return 1;
    }
    command_log = std::move(*log);
  }
  KsqlService service(engine, engine_props, command_log.get(), kafka->admin.get(), identity);

  std::optional<std::vector<Command>> replayed_commands;
  if (command_log) {
    auto commands = command_log->ReadAll(60s);
    if (!commands.ok()) {
      spdlog::error("cannot read the command topic: {}", commands.status().message());
      return 1;
    }
    replayed_commands = *commands;
    int ran = service.Replay(*commands);
    spdlog::info("Replayed {} of {} commands from {}", ran, commands->size(), command_log->topic());
    // A new cluster (nothing to replay): register the processing log's stream through the
    // command topic, as ksqlDB does with ksql.logging.processing.stream.auto.create.
    if (commands->empty() && (*runtime)->processing_log().options().stream_auto_create) {
      const ProcessingLogOptions& plog = (*runtime)->processing_log().options();
      HttpReply r = service.HandleKsql(nlohmann::json{{"ksql", ProcessingLogStreamStatement(plog.stream_name, plog.topic)}}.dump());
      if (r.status == 200)
        spdlog::info("processing log: stream {} over topic {} created", plog.stream_name, plog.topic);
      else
        spdlog::warn("processing log: stream {} not created: {}", plog.stream_name, r.body);
    }
  } else {
    auto text = ReadFile(queries_file);
    if (!text.ok()) {
      spdlog::error("ksql.queries.file: {}", text.status().message());
      return 1;
    }
    // Headless: the processing log's stream first, so the queries file can read it.
    if (const ProcessingLogOptions& plog = (*runtime)->processing_log().options(); plog.stream_auto_create) {
      Status created = engine.Execute(ProcessingLogStreamStatement(plog.stream_name, plog.topic));
      if (!created.ok()) spdlog::warn("processing log: stream {} not created: {}", plog.stream_name, created.message());
    }
    Status s = engine.Execute(*text);
    if (!s.ok()) {
      spdlog::error("ksql.queries.file {}: {}", queries_file, s.message());
      return 1;
    }
    spdlog::info("Headless mode: ran the statements of {}", queries_file);
  }

  CommandStatuses statuses;
  if (command_log) {
    for (const Command& c : *replayed_commands) statuses.Record(c.id, "SUCCESS", "Executed during start-up");
  }
  QueryEndpoints queries(service);
  WebSocketQueryEndpoint ws_queries(service);
  HttpRoutes routes;
  if (const BasicAuthenticator* auth = authenticator->get()) {
    spdlog::info("REST: HTTP Basic authentication, {} users", auth->users());
    routes.authenticate = [auth](const HttpRequest& req) { return auth->Check(req.path, req.authorization); };
  }
  routes.websocket_path = &WebSocketQueryEndpoint::Serves;
  routes.websocket = [&ws_queries](const std::shared_ptr<WebSocketConnection>& c) { ws_queries.Handle(c); };
  routes.streams_body = [](const HttpRequest& req) { return req.path == "/inserts-stream" && req.version == 20; };
  routes.handle = [&service, &statuses, &queries](const std::shared_ptr<HttpExchange>& ex) {
    const HttpRequest& req = ex->request();
    // application/json when the client asks for exactly that; ksqlDB's type otherwise.
    const bool plain_json = req.accept.find("application/json") != std::string::npos &&
                            req.accept.find("vnd.ksql") == std::string::npos;
    auto reply = [&](const HttpReply& r) {
      ex->Reply(r.status, r.body, plain_json ? "application/json" : kKsqlContentType);
    };
    auto post_only = [&]() {
      if (req.method == "POST") return true;
      reply(KsqlService::Error(405, 40500, "Use POST for " + req.path));
      return false;
    };
    if (req.path == "/ksql") {
      if (!post_only()) return;
      HttpReply r = service.HandleKsql(req.body);
      if (r.status == 200) statuses.RecordKsqlAnswer(r.body);
      return reply(r);
    }
    if (req.path == "/query") {
      if (post_only()) queries.Query(ex);
      return;
    }
    if (req.path == "/query-stream") {
      if (post_only()) queries.QueryStream(ex);
      return;
    }
    if (req.path == "/close-query") {
      if (post_only()) queries.CloseQuery(ex);
      return;
    }
    if (req.path == "/inserts-stream") {
      if (post_only()) queries.InsertsStream(ex);
      return;
    }
    if (req.method == "GET") {
      if (req.path == "/info") return reply(service.HandleInfo());
      if (req.path == "/healthcheck") return reply(service.HandleHealthcheck());
      if (req.path == "/clusterStatus") return reply(queries.ClusterStatus());
      if (req.path == "/status") return reply(statuses.All());
      if (req.path.rfind("/status/", 0) == 0) return reply(statuses.One(PercentDecode(req.path.substr(8))));
    }
    reply(KsqlService::Error(404, 40400, "Not found: " + req.method + " " + req.path));
  };
  // A streamed response's unsent rows are bounded per client (server/http_exchange.h).
  if (config.IsSet("sluice.rest.max.queued.bytes"))
    HttpExchange::SetMaxQueuedBytes(static_cast<size_t>(std::max<int64_t>(4096, config.GetLong("sluice.rest.max.queued.bytes"))));
  const int threads = static_cast<int>(std::clamp<unsigned>(std::thread::hardware_concurrency(), 2, 4));
  auto http = HttpServer::Start(*listeners, threads, std::move(routes), tls);
  if (!http.ok()) {
    spdlog::error("{}", http.status().message());
    return 1;
  }
  const std::string first_url = ClientUrl((*listeners)[0], (*http)->ports()[0]);
  queries.SetHost(first_url.substr(first_url.find("://") + 3));  // "host:port" for /clusterStatus
  for (size_t i = 0; i < listeners->size(); ++i)
    spdlog::info("Sluice server listening on {}: point the CLI or curl at {} (e.g. curl {}/info)",
                 config.Get("listeners"), ClientUrl((*listeners)[i], (*http)->ports()[i]),
                 ClientUrl((*listeners)[i], (*http)->ports()[i]));
  if (kafka->broker) spdlog::info("Kafka clients (kcat, producers): bootstrap servers {}", kafka->broker->bootstrap_servers());
  if ((*registry)->embedded())
    spdlog::info("Schema Registry clients (Avro, Protobuf, JSON Schema serializers): embedded registry at {} "
                 "(in memory, lost when sluiced stops)", (*registry)->url());

  int sig = (*http)->WaitForSignal();
  spdlog::info("{}: shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
  // Push queries end (and pending query starts finish) while the HTTP side still runs: their
  // responses are written through it, and nothing may post to it once it is gone.
  queries.Shutdown();
  ws_queries.Shutdown();
  http->reset();         // no more requests
  runtime->reset();      // stops the queries, committing what they processed
  command_log.reset();   // flushes its producer
  return 0;
}

}  // namespace sluice
