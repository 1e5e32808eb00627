#include "tools/qtt/rest_case_runner.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <regex>
#include <set>
#include <thread>

#include <spdlog/spdlog.h>

#include "engine/kafka/admin.h"
#include "engine/kafka/mock_control.h"
#include "engine/kafka/murmur2.h"
#include "engine/kafka/producer.h"
#include "tools/qtt/zero_timestamp_producer.h"
#include "engine/common/ascii.h"
#include "engine/parser/parser.h"
#include "engine/schema_registry/http_registry_client.h"
#include "tools/qtt/kafka_case_runner.h"
#include "tools/qtt/qtt_case_parts.h"
#include "tools/qtt/rest_client.h"

namespace sluice::qtt {

namespace {

using nlohmann::json;
using ojson = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// A loopback port nobody listens on now (the server binds it right after).
Result<int> FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return Status::IOError("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
    port = ntohs(addr.sin_port);
  ::close(fd);
  if (port == 0) return Status::IOError("no free port on 127.0.0.1");
  return port;
}

// One sluiced for one case: its own directory, config, port and embedded broker. Killed and
// cleaned up when destroyed, whatever happened.
class ServerProcess {
 public:
  static Result<std::unique_ptr<ServerProcess>> Start(const RestCaseOptions& options,
                                                      const std::map<std::string, std::string>& config) {
    auto server = std::unique_ptr<ServerProcess>(new ServerProcess());
    char tmpl[] = "/tmp/sluice-qtt-rest-XXXXXX";
    if (!::mkdtemp(tmpl)) return Status::IOError("mkdtemp failed");
    server->dir_ = tmpl;
    auto port = FreePort();
    if (!port.ok()) return port.status();
    server->port_ = *port;
    auto registry_port = FreePort();
    if (!registry_port.ok()) return registry_port.status();
    server->registry_url_ = "http://127.0.0.1:" + std::to_string(*registry_port);
    const std::string config_path = server->dir_ + "/sluiced.properties";
    {
      std::ofstream out(config_path);
      out << "listeners=http://127.0.0.1:" << server->port_ << "\n";
      out << "ksql.streams.state.dir=" << server->dir_ << "/state\n";
      out << "sluice.schema.registry.listener=" << server->registry_url_ << "\n";
      for (const auto& [k, v] : config) out << k << "=" << v << "\n";
    }
    const std::string log_path = server->dir_ + "/sluiced.log";
    const pid_t pid = ::fork();
    if (pid < 0) return Status::IOError("fork failed");
    if (pid == 0) {
      const int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      ::execl(options.sluiced_path.c_str(), options.sluiced_path.c_str(), "--config", config_path.c_str(),
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
    server->pid_ = pid;
    if (Status st = server->WaitReady(options.startup_seconds); !st.ok()) return st;
    return server;
  }

  ~ServerProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      const auto deadline = Clock::now() + 5s;
      int status = 0;
      while (::waitpid(pid_, &status, WNOHANG) == 0) {
        if (Clock::now() > deadline) {
          ::kill(pid_, SIGKILL);
          ::waitpid(pid_, &status, 0);
          break;
        }
        std::this_thread::sleep_for(20ms);
      }
    }
    std::error_code ec;
    if (!dir_.empty() && !std::getenv("SLUICE_QTT_KEEP")) std::filesystem::remove_all(dir_, ec);
  }

  int port() const { return port_; }
  const std::string& bootstrap_servers() const { return bootstrap_; }
  // The server's embedded Schema Registry.
  const std::string& registry_url() const { return registry_url_; }
  std::string LogTail(size_t bytes = 1500) const {
    std::ifstream in(dir_ + "/sluiced.log");
    std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return all.size() > bytes ? all.substr(all.size() - bytes) : all;
  }

 private:
  ServerProcess() = default;

  Status WaitReady(int seconds) {
    RestClient client("127.0.0.1", port_);
    const auto deadline = Clock::now() + std::chrono::seconds(seconds);
    while (Clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        const std::string how = WIFEXITED(status) ? "with code " + std::to_string(WEXITSTATUS(status))
                                                  : "on signal " + std::to_string(WTERMSIG(status));
        return Status::RuntimeError("sluiced exited at start-up " + how + ": " + OneLine(LogTail(600)));
      }
      auto info = client.Get("/info", 2s);
      if (info.ok() && info->status == 200) {
        const json body = json::parse(info->body, nullptr, false);
        if (body.is_object() && body.contains("KsqlServerInfo"))
          bootstrap_ = body["KsqlServerInfo"].value("kafkaBootstrapServers", "");
        if (bootstrap_.empty()) return Status::RuntimeError("GET /info names no kafkaBootstrapServers");
        return Status::OK();
      }
      std::this_thread::sleep_for(50ms);
    }
    return Status::RuntimeError("sluiced did not answer GET /info within " + std::to_string(seconds) + " s");
  }

  std::string dir_;
  int port_ = 0;
  std::string registry_url_;
  pid_t pid_ = -1;
  std::string bootstrap_;
};

// The case's view of the server's Kafka: inputs are encoded with the formats of the sources
// the statements declared (a shadow metastore: the same statements run on a TestDriver), then
// produced to the embedded broker; outputs are read back from it.
class RestTarget : public CaseTarget {
 public:
  RestTarget(std::map<std::string, std::string> properties, std::string bootstrap_servers)
      : shadow_(std::move(properties)), bootstrap_(std::move(bootstrap_servers)) {}

  // The shadow's statements and the inputs' serializers use the server's own registry, so
  // that the schema ids in the inputs are the server's.
  Status Init(const std::string& registry_url) {
    auto registry = HttpSchemaRegistryClient::Create(HttpRegistryOptions{{registry_url}, "", 10s});
    if (!registry.ok()) return registry.status();
    registry_ = *registry;
    shadow_.SetSchemaRegistry(registry_);
    auto producer = Producer::Create({{"bootstrap.servers", bootstrap_}}, "qtt rest inputs");
    if (!producer.ok()) return producer.status();
    producer_ = std::move(*producer);
    auto admin = CreateKafkaAdmin({{"bootstrap.servers", bootstrap_}});
    if (!admin.ok()) return admin.status();
    admin_ = std::move(*admin);
    return Status::OK();
  }

  Status Execute(const std::string& sql) override { return shadow_.Execute(sql); }
  void CreateTopic(const std::string& name, int partitions) override {
    Status st = CreateTopicOnRemoteMock({{"bootstrap.servers", bootstrap_}}, name, partitions, 1, 10s);
    if (!st.ok() && st.code() != Status::Code::kAlreadyExists)
      spdlog::warn("qtt --rest: creating topic {}: {}", name, st.message());
  }
  Status Produce(KafkaRecord record) override {
    // librdkafka writes timestamp 0 as "now"; the case means 0 (see zero_timestamp_producer.h).
    if (record.timestamp == 0) {
      if (record.partition < 0) {  // where librdkafka's murmur2 partitioner would put it
        auto topic = admin_->DescribeTopic(record.topic);
        if (!topic.ok()) return topic.status();
        record.partition = record.key ? PartitionForKey(*record.key, topic->partitions) : 0;
      }
      return ProduceAtTimestampZero(bootstrap_, record);
    }
    std::vector<HeaderView> headers;
    for (const auto& h : record.headers) headers.push_back({h.key, h.value ? std::optional<std::string_view>(*h.value) : std::nullopt});
    OutputRecord out;
    out.topic = record.topic;
    out.partition = record.partition;
    if (record.key) out.key = *record.key;
    if (record.value) out.value = *record.value;
    out.timestamp = record.timestamp;
    out.headers = headers;
    auto r = producer_->ProduceSync(out, 10s);
    return r.ok() ? Status::OK() : r.status();
  }
  std::vector<KafkaRecord> Records(const std::string& topic, size_t expected) override {
    KafkaCaseOptions options;
    return ReadTopicRecords(*admin_, bootstrap_, topic, expected, options);
  }
  DataSourcePtr FindSource(const std::string& name) const override { return shadow_.FindSource(name); }
  std::vector<DataSourcePtr> SourcesForTopic(const std::string& topic) const override {
    return shadow_.SourcesForTopic(topic);
  }
  std::vector<std::string> ProcessingLog() const override { return {}; }
  std::shared_ptr<SchemaRegistry> Registry() const override { return registry_; }

 private:
  TestDriver shadow_;
  std::shared_ptr<SchemaRegistry> registry_;
  std::string bootstrap_;
  std::unique_ptr<Producer> producer_;
  std::unique_ptr<Admin> admin_;
};

// `expected` against `actual` as ksqlDB's REST tests compare responses: every field the case
// gives must be there and equal (numbers by value); a field named "name|starts_with" compares
// a prefix. Returns "" or where they differ.
std::string MatchSubset(const json& expected, const json& actual, const std::string& path) {
  if (expected.is_object()) {
    if (!actual.is_object()) return path + ": expected an object, got " + OneLine(Dump(actual), 200);
    for (const auto& [key, want] : expected.items()) {
      const size_t bar = key.find('|');
      const std::string field = key.substr(0, bar);
      if (!actual.contains(field)) return path + "." + field + ": missing";
      if (bar != std::string::npos) {
        const std::string matcher = key.substr(bar + 1);
        const json& got = actual[field];
        if (matcher == "starts_with" && want.is_string() && got.is_string() &&
            got.get<std::string>().rfind(want.get<std::string>(), 0) == 0)
          continue;
        return path + "." + key + ": " + OneLine(Dump(got), 200) + " does not match " + OneLine(Dump(want), 200);
      }
      if (std::string d = MatchSubset(want, actual[field], path + "." + field); !d.empty()) return d;
    }
    return "";
  }
  if (expected.is_array()) {
    if (!actual.is_array() || actual.size() != expected.size())
      return path + ": expected " + OneLine(Dump(expected), 200) + ", got " + OneLine(Dump(actual), 200);
    for (size_t i = 0; i < expected.size(); ++i)
      if (std::string d = MatchSubset(expected[i], actual[i], path + "[" + std::to_string(i) + "]"); !d.empty())
        return d;
    return "";
  }
  if (!JsonEqual(expected, actual))
    return path + ": expected " + OneLine(Dump(expected), 200) + ", got " + OneLine(Dump(actual), 200);
  return "";
}

// A query response (the /query array's elements) against the case's: same elements in the
// same order; a row the case does not mark as a tombstone must not be one.
std::string MatchQueryResponse(const json& expected, const std::vector<json>& actual) {
  std::string listing = " (got " + std::to_string(actual.size()) + " elements:";
  for (size_t i = 0; i < actual.size() && i < 12; ++i) listing += " " + OneLine(Dump(actual[i]), 160);
  listing += ")";
  if (!expected.is_array()) return "the case's query response is not an array";
  for (size_t i = 0; i < expected.size(); ++i) {
    if (i >= actual.size())
      return "missing element " + std::to_string(i) + ": " + OneLine(Dump(expected[i]), 200) + listing;
    if (std::string d = MatchSubset(expected[i], actual[i], "query[" + std::to_string(i) + "]"); !d.empty())
      return d + listing;
    const json& e = expected[i];
    const json& a = actual[i];
    if (e.contains("row") && a.contains("row") && a["row"].is_object() && a["row"].value("tombstone", false) &&
        !(e["row"].is_object() && e["row"].value("tombstone", false)))
      return "query[" + std::to_string(i) + "]: a tombstone where the case expects a row" + listing;
  }
  if (actual.size() > expected.size())
    return "extra element " + std::to_string(expected.size()) + ": " + OneLine(Dump(actual[expected.size()]), 200) + listing;
  return "";
}

// A REST error response against the case's expectedError: its message must contain the
// expected text; "status" is the HTTP status; KsqlStatementErrorMessage is a statement_error
// (KsqlErrorMessage, its superclass, accepts either).
std::string MatchError(const json& expected, int status, const json& body) {
  const std::string message = body.is_object() ? body.value("message", "") : "";
  if (expected.contains("status") && expected["status"].is_number_integer() && expected["status"].get<int>() != status)
    return "HTTP status " + std::to_string(status) + ", expected " + std::to_string(expected["status"].get<int>()) +
           " (message: " + OneLine(message, 200) + ")";
  const std::string type = expected.value("type", "");
  if (type.size() >= 25 && type.substr(type.size() - 25) == "KsqlStatementErrorMessage" &&
      body.value("@type", "") != "statement_error")
    return "expected a statement_error, got " + OneLine(Dump(body), 300);
  if (expected.contains("message") && expected["message"].is_string() &&
      NormalizeSpace(message).find(NormalizeSpace(expected["message"].get<std::string>())) == std::string::npos)
    return "message does not contain the expected text: expected " +
           OneLine(expected["message"].get<std::string>(), 300) + ", got " + OneLine(message, 300);
  return "";
}

struct QueryReply {
  int status = 0;
  json error;               // the body when status != 200
  std::vector<json> elements;
};

// POST /query; reads the streamed array until it ends, `want` elements arrived (0: no limit),
// or the deadline. `on_header` runs once the first element (the header) is in.
Result<QueryReply> RunQuery(const RestClient& client, const json& request, size_t want,
                            std::chrono::milliseconds timeout, const std::function<void()>& on_header) {
  QueryReply reply;
  JsonArrayStream stream;
  std::string error_body;
  bool header_seen = false;
  auto http = client.PostStreaming("/query", request.dump(), [&](int status, std::string_view data) {
    if (status != 200) {
      error_body.append(data);
      return true;
    }
    for (auto& text : stream.Feed(data)) {
      reply.elements.push_back(json::parse(text, nullptr, false));
      if (!header_seen) {
        header_seen = true;
        if (on_header) on_header();
      }
    }
    return want == 0 || reply.elements.size() < want;
  }, timeout);
  if (!http.ok()) return http.status();
  reply.status = http->status;
  if (reply.status != 200) reply.error = json::parse(error_body, nullptr, false);
  return reply;
}

class RestCase {
 public:
  RestCase(const TestCase& c, const RestCaseOptions& options) : c_(c), options_(options), spec_(c.spec) {}

  CaseResult Run() {
    if (std::string why = StaticSkipReason(c_); !why.empty()) return Skip(why);
    // The ports were free when picked; a server started beside this one may take one first,
    // and this one exits at start-up: try again with new ports.
    auto server = ServerProcess::Start(options_, ServerConfig());
    for (int attempt = 1; attempt < 3 && !server.ok() &&
                          server.status().message().find("exited at start-up") != std::string::npos;
         ++attempt)
      server = ServerProcess::Start(options_, ServerConfig());
    if (!server.ok()) return Fail("cannot start sluiced: " + OneLine(server.status().message()));
    server_owned_ = std::move(*server);
    server_ = server_owned_.get();
    client_ = std::make_unique<RestClient>("127.0.0.1", server_->port());
    target_ = std::make_unique<RestTarget>(Properties(spec_), server_->bootstrap_servers());
    if (Status st = target_->Init(server_->registry_url()); !st.ok())
      return Fail("Kafka or registry client: " + OneLine(st.message()));
    CreateTopics();
    auto imports = PrepareSchemaImports();
    if (!imports.ok()) return Fail("preparing the topics' schemas at their ids: " + OneLine(imports.status().message()));
    if (Status st = RegisterTopicSchemas(*target_, spec_); !st.ok()) {
      if (st.code() == Status::Code::kNotSupported) return Skip(OneLine(st.message()));
      return Fail("registering the topics' schemas: " + OneLine(st.message()));
    }
    for (const std::string& subject : *imports)
      if (auto back = target_->Registry()->DeleteMode(subject); !back.ok())
        return Fail("ending the import of subject " + subject + ": " + OneLine(back.status().message()));
    request_properties_ = spec_.contains("properties") && spec_["properties"].is_object() ? spec_["properties"]
                                                                                         : json::object();
    CaseResult r = RunStatements();
    if (r.outcome == Outcome::kFail) r.detail += "\nsluiced log (tail):\n" + server_->LogTail();
    return r;
  }

 private:
  // What the server is started with for every case: inputs are produced before the queries
  // start, so queries read from the beginning; no record cache and frequent commits, so that
  // every update is visible to pull queries soon after it is processed.
  static std::map<std::string, std::string> ServerConfig() {
    return {{"ksql.streams.auto.offset.reset", "earliest"},
            {"ksql.streams.commit.interval.ms", "100"},
            {"ksql.streams.cache.max.bytes.buffering", "0"}};
  }

  // The case's `topics` with their partitions. An input topic the case does not list, and
  // that no statement creates with PARTITIONS, exists before the statements run (ksqlDB
  // refuses a source on a missing topic without PARTITIONS) with four partitions: the row
  // order the cases expect from table scans is partition by partition over four.
  void CreateTopics() {
    std::set<std::string> listed;
    if (spec_.contains("topics") && spec_["topics"].is_array())
      for (const auto& t : spec_["topics"])
        if (t.contains("name")) {
          listed.insert(t["name"].get<std::string>());
          target_->CreateTopic(t["name"].get<std::string>(), t.value("partitions", 1));
        }
    for (const auto& in : spec_.value("inputs", json::array())) {
      const std::string topic = in.value("topic", "");
      if (topic.empty() || listed.count(topic) || CreatedWithPartitions(topic)) continue;
      listed.insert(topic);
      target_->CreateTopic(topic, kDefaultInputPartitions);
    }
  }

  bool CreatedWithPartitions(const std::string& topic) const {
    const std::regex names_topic("KAFKA_TOPIC\\s*=\\s*'" + topic + "'", std::regex::icase);
    const std::regex partitions("PARTITIONS\\s*=", std::regex::icase);
    for (const auto& sql : c_.statements)
      if (std::regex_search(sql, names_topic) && std::regex_search(sql, partitions)) return true;
    return false;
  }

  static constexpr int kDefaultInputPartitions = 4;

  // A topic schema the case gives an id (keySchemaId/valueSchemaId) is registered at that id
  // through the server's REST API, which allows it in IMPORT mode only, as Confluent's
  // registry does: its subject is put in IMPORT mode (it is empty, the server just started),
  // and the schemas it references are registered first, since the registry checks that a
  // reference exists (RegisterTopicSchemas registers them after the topics' schemas, so that
  // a schema without an id gets the first id; with an id, the order does not matter).
  // Returns the subjects put in IMPORT mode: the caller puts them back to the global mode
  // (READWRITE) once the schemas are in, so that the statements can register under them.
  Result<std::vector<std::string>> PrepareSchemaImports() {
    std::vector<std::string> subjects;
    if (!spec_.contains("topics") || !spec_["topics"].is_array()) return subjects;
    const std::shared_ptr<SchemaRegistry> registry = target_->Registry();
    for (const auto& t : spec_["topics"]) {
      const std::string topic = t.value("name", "");
      for (const std::string side : {"key", "value"}) {
        if (topic.empty() || !t.contains(side + "SchemaId") || !t[side + "SchemaId"].is_number_integer()) continue;
        for (const auto& r : t.value(side + "SchemaReferences", json::array())) {
          const SchemaType type = RegistryTypeOfFormat(r.value("format", ""));
          auto id = registry->Register(r.value("name", ""), type, SchemaText(r.value("schema", json()), type));
          if (!id.ok()) return Status::InvalidArgument("reference " + r.value("name", "") + ": " + id.status().message());
        }
        const std::string subject = topic + "-" + side;
        if (Status st = registry->SetMode(subject, RegistryMode::kImport, false); !st.ok()) return st;
        subjects.push_back(subject);
      }
    }
    return subjects;
  }

  // As RegisterTopicSchemas (qtt_runner.cpp) reads a reference's format and schema.
  static SchemaType RegistryTypeOfFormat(const std::string& format) {
    const std::string f = AsciiUpper(format);
    if (f == "PROTOBUF" || f == "PROTOBUF_NOSR") return SchemaType::kProtobuf;
    if (f == "JSON_SR" || f == "JSON") return SchemaType::kJson;
    return SchemaType::kAvro;
  }
  static std::string SchemaText(const json& schema, SchemaType type) {
    if (type == SchemaType::kProtobuf && schema.is_string()) return schema.get<std::string>();
    return Dump(schema);
  }

  CaseResult RunStatements() {
    const bool wait_for_push =
        spec_.contains("inputConditions") && spec_["inputConditions"].value("waitForActivePushQuery", false);
    for (size_t i = 0; i < c_.statements.size(); ++i) {
      const std::string& sql = c_.statements[i];
      auto parsed = ParseSingleStatement(sql);
      const bool is_query = parsed.ok() && (*parsed)->kind == StatementKind::kQuery;
      std::optional<CaseResult> r;
      if (!is_query) {
        r = RunStatement(i, sql);
      } else {
        const auto& q = static_cast<const QueryStatement&>(**parsed);
        const bool push = q.query && q.query->emit != EmitKind::kNone;
        if (!push || !wait_for_push) {
          if (auto in = ProduceInputs()) return *in;
        }
        r = push ? RunPushQuery(i, sql, wait_for_push) : RunPullQuery(i, sql);
      }
      if (r) return *r;
    }
    if (c_.expects_error) return Fail("expected an error (" + OneLine(Dump(spec_["expectedError"])) + "), none occurred");
    if (auto in = ProduceInputs()) return *in;
    if (spec_.contains("responses") && next_response_ < spec_["responses"].size())
      return Fail("the case expects " + std::to_string(spec_["responses"].size()) + " responses, the server gave " +
                  std::to_string(next_response_));
    return CompareOutputs(*target_, spec_);
  }

  std::optional<CaseResult> ProduceInputs() {
    if (produced_) return std::nullopt;
    produced_ = true;
    const ojson inputs = c_.exact.is_object() && c_.exact.contains("inputs") ? c_.exact["inputs"] : ojson::array();
    for (const auto& in : inputs) {
      auto rec = EncodeInput(*target_, in);
      if (!rec.ok()) {
        if (rec.status().code() == Status::Code::kNotSupported) return Skip("input: " + OneLine(rec.status().message()));
        return Fail("input: " + OneLine(rec.status().message()));
      }
      if (!in.contains("partition")) rec->partition = -1;  // murmur2 of the key, as a Java producer
      if (Status st = target_->Produce(std::move(*rec)); !st.ok())
        return Fail("producing an input: " + OneLine(st.message()));
    }
    return std::nullopt;
  }

  json Request(const std::string& sql) const {
    return json{{"ksql", sql}, {"streamsProperties", request_properties_}};
  }

  // The next expected response, if the case lists responses.
  const json* NextExpected() {
    if (!spec_.contains("responses") || !spec_["responses"].is_array()) return nullptr;
    if (next_response_ >= spec_["responses"].size()) return nullptr;
    return &spec_["responses"][next_response_];
  }

  std::optional<CaseResult> Error(size_t i, int status, const json& body) {
    const std::string what = "statement " + std::to_string(i + 1);
    if (!c_.expects_error)
      return Fail(what + " failed (HTTP " + std::to_string(status) + "): " + OneLine(Dump(body)));
    const std::string mismatch = MatchError(spec_["expectedError"], status, body);
    if (mismatch.empty()) return Pass();
    return Fail(what + " failed, but " + mismatch);
  }

  std::optional<CaseResult> RunStatement(size_t i, const std::string& sql) {
    auto reply = client_->Post("/ksql", Request(sql).dump(), 60s);
    (void)target_->Execute(sql);  // the shadow metastore, for encoding inputs; its verdict does not count
    if (!reply.ok()) return Fail("POST /ksql: " + OneLine(reply.status().message()));
    const json body = json::parse(reply->body, nullptr, false);
    if (reply->status != 200) return Error(i, reply->status, body);
    if (!body.is_array()) return Fail("POST /ksql answered " + OneLine(reply->body));
    for (const auto& entity : body) {
      const json* expected = NextExpected();
      if (!expected) continue;
      ++next_response_;
      if (!expected->contains("admin"))
        return Fail("statement " + std::to_string(i + 1) + ": the case expects " + OneLine(Dump(*expected), 200) +
                    ", got the entity " + OneLine(Dump(entity), 200));
      if (std::string d = MatchSubset((*expected)["admin"], entity, "admin"); !d.empty())
        return Fail("statement " + std::to_string(i + 1) + ": " + d);
    }
    return std::nullopt;
  }

  std::optional<CaseResult> CheckQuery(size_t i, const QueryReply& reply, bool* mismatch_out) {
    if (reply.status != 200) return Error(i, reply.status, reply.error);
    const json* expected = NextExpected();
    if (!expected) return std::nullopt;
    if (!expected->contains("query"))
      return Fail("statement " + std::to_string(i + 1) + ": the case expects " + OneLine(Dump(*expected), 200) +
                  ", got a query response");
    if (std::string d = MatchQueryResponse((*expected)["query"], reply.elements); !d.empty()) {
      if (mismatch_out) *mismatch_out = true;
      return Fail("statement " + std::to_string(i + 1) + ": " + d);
    }
    ++next_response_;
    return std::nullopt;
  }

  size_t ExpectedElements() {
    const json* expected = NextExpected();
    return expected && expected->contains("query") && (*expected)["query"].is_array() ? (*expected)["query"].size() : 0;
  }

  // Tables catch up asynchronously: a pull query whose rows differ is asked again, bounded.
  std::optional<CaseResult> RunPullQuery(size_t i, const std::string& sql) {
    const auto deadline = Clock::now() + std::chrono::seconds(options_.pull_wait_seconds);
    while (true) {
      auto reply = RunQuery(*client_, Request(sql), 0, 30s, nullptr);
      if (!reply.ok()) return Fail("POST /query: " + OneLine(reply.status().message()));
      bool mismatch = false;
      auto r = CheckQuery(i, *reply, &mismatch);
      if (!mismatch || Clock::now() > deadline) return r;
      std::this_thread::sleep_for(200ms);
    }
  }

  std::optional<CaseResult> RunPushQuery(size_t i, const std::string& sql, bool inputs_after_start) {
    const size_t want = ExpectedElements();
    std::atomic<bool> header{false};
    Result<QueryReply> reply = Status::RuntimeError("not run");
    std::thread reader([&] {
      reply = RunQuery(*client_, Request(sql), want, std::chrono::seconds(options_.push_wait_seconds),
                       [&] { header = true; });
    });
    std::optional<CaseResult> produce_failure;
    if (inputs_after_start && !produced_) {
      // The query reads from the end of its topic: produce once it is running. The header
      // comes when it has started; its consumer then still has to be assigned its partitions.
      const auto deadline = Clock::now() + 10s;
      while (!header && Clock::now() < deadline) std::this_thread::sleep_for(20ms);
      std::this_thread::sleep_for(1500ms);
      produce_failure = ProduceInputs();
    }
    reader.join();
    if (produce_failure) return produce_failure;
    if (!reply.ok()) return Fail("POST /query: " + OneLine(reply.status().message()));
    return CheckQuery(i, *reply, nullptr);
  }

  const TestCase& c_;
  const RestCaseOptions& options_;
  const json& spec_;
  std::unique_ptr<ServerProcess> server_owned_;  // first: it goes last, after its clients
  ServerProcess* server_ = nullptr;
  std::unique_ptr<RestClient> client_;
  std::unique_ptr<RestTarget> target_;
  json request_properties_;
  size_t next_response_ = 0;
  bool produced_ = false;
};

}  // namespace

CaseResult RunRestCase(const TestCase& c, const RestCaseOptions& options) {
  try {
    RestCase run(c, options);
    return run.Run();
  } catch (const std::exception& e) {
    return Fail(std::string("exception: ") + OneLine(e.what()));
  }
}

}  // namespace sluice::qtt
