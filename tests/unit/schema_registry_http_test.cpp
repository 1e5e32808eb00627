// The embedded Schema Registry's REST API (server/schema_registry_service.*) and the HTTP
// client (engine/schema_registry/http_registry_client.*), against each other in-process: the
// registry served on an ephemeral 127.0.0.1 port, the client pointed at it.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include <boost/asio.hpp>
#include <nlohmann/json.hpp>

#include "engine/executor/engine.h"
#include "engine/schema_registry/http_registry_client.h"
#include "server/schema_registry_avro.h"
#include "server/schema_registry_server.h"
#include "server/schema_registry_service.h"

namespace schema_registry_http_test {  // this file's own names (unity build: tests/README.md)

using namespace sluice;
using json = nlohmann::json;

namespace {

const std::string kUserV1 =
    R"({"type": "record", "name": "User", "namespace": "io.example",
        "fields": [{"name": "id", "type": "long"}, {"name": "name", "type": "string"}]})";
// v1 plus an optional field: BACKWARD compatible.
const std::string kUserV2 =
    R"({"type":"record","name":"User","namespace":"io.example","fields":[{"name":"id","type":"long"},)"
    R"({"name":"name","type":"string"},{"name":"email","type":["null","string"],"default":null}]})";
// v1 plus a required field: not BACKWARD compatible (old records lack it).
const std::string kUserRequiredAge =
    R"({"type":"record","name":"User","namespace":"io.example","fields":[{"name":"id","type":"long"},)"
    R"({"name":"name","type":"string"},{"name":"age","type":"int"}]})";

struct Served {
  std::shared_ptr<InMemorySchemaRegistry> registry = std::make_shared<InMemorySchemaRegistry>();
  std::unique_ptr<SchemaRegistrySetup> server;
  Served() {
    auto s = SchemaRegistrySetup::Serve(registry, "http://127.0.0.1:0", false);
    REQUIRE(s.ok());
    server = std::move(*s);
  }
  std::shared_ptr<HttpSchemaRegistryClient> Client(std::string urls = "") {
    HttpRegistryOptions o;
    o.urls = {urls.empty() ? server->url() : urls};
    o.timeout = std::chrono::milliseconds(5000);
    auto c = HttpSchemaRegistryClient::Create(o);
    REQUIRE(c.ok());
    return *c;
  }
};

// A port nothing listens on: bound, then closed.
int ClosedPort() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  int port = a.local_endpoint().port();
  a.close();
  return port;
}

// A one-connection HTTP server that records the request and answers `response`, or never
// answers when `response` is empty (the client must give up on its own).
class OneShotServer {
 public:
  explicit OneShotServer(std::string response)
      : acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}), response_(std::move(response)) {
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { Run(); });
  }
  ~OneShotServer() {
    stop_ = true;
    boost::system::error_code ec;
    acceptor_.close(ec);
    if (socket_) socket_->close(ec);
    thread_.join();
  }
  int port() const { return port_; }
  std::string request() {
    thread_.join();
    thread_ = std::thread([] {});
    return request_;
  }

 private:
  void Run() {
    boost::system::error_code ec;
    socket_.emplace(io_);
    acceptor_.accept(*socket_, ec);
    if (ec) return;
    std::string data;
    char buf[4096];
    while (data.find("\r\n\r\n") == std::string::npos && !stop_) {
      size_t n = socket_->read_some(boost::asio::buffer(buf), ec);
      if (ec) return;
      data.append(buf, n);
    }
    request_ = data;
    if (response_.empty()) {
      while (!stop_) std::this_thread::sleep_for(std::chrono::milliseconds(20));  // silent until torn down
      return;
    }
    boost::asio::write(*socket_, boost::asio::buffer(response_), ec);
    socket_->shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
  }

  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::optional<boost::asio::ip::tcp::socket> socket_;
  std::string response_;
  std::string request_;
  std::atomic<bool> stop_{false};
  int port_ = 0;
  std::thread thread_;
};

json Body(const HttpReply& r) { return json::parse(r.body); }
std::string Req(const std::string& schema, const std::string& type = "") {
  json j{{"schema", schema}};
  if (!type.empty()) j["schemaType"] = type;
  return j.dump();
}

}  // namespace

TEST_CASE("Registry client and embedded registry: register, read back, cache, delete", "[schema_registry]") {
  Served served;
  auto client = served.Client();
  auto id = client->Register("users-value", SchemaType::kAvro, kUserV1);
  REQUIRE(id.ok());
  CHECK(*id == 1);
  const int sent = client->requests_sent();
  CHECK(*client->Register("users-value", SchemaType::kAvro, kUserV1) == 1);
  CHECK(client->requests_sent() == sent);  // (subject, text) cache

  // A fresh client reads what the first registered, in the registry's compact form.
  auto reader = served.Client();
  auto by_id = reader->ById(1);
  REQUIRE(by_id.ok());
  CHECK(by_id->type == SchemaType::kAvro);
  CHECK(json::parse(by_id->text) == json::parse(kUserV1));
  CHECK(by_id->text.find(' ') == std::string::npos);
  const int after_first = reader->requests_sent();
  REQUIRE(reader->ById(1).ok());
  CHECK(reader->requests_sent() == after_first);  // id cache

  // Whitespace does not make a new schema; the same schema under another subject keeps its id.
  CHECK(*client->Register("users-value", SchemaType::kAvro, json::parse(kUserV1).dump(2)) == 1);
  CHECK(*client->Register("copy-value", SchemaType::kAvro, kUserV1) == 1);
  auto v2 = client->Register("users-value", SchemaType::kAvro, kUserV2);
  REQUIRE(v2.ok());
  CHECK(*v2 == 2);

  auto latest = reader->Latest("users-value");
  REQUIRE(latest.ok());
  CHECK(latest->version == 2);
  CHECK(latest->id == 2);
  CHECK(latest->subject == "users-value");
  CHECK(reader->Version("users-value", 1)->id == 1);
  CHECK(*reader->Versions("users-value") == std::vector<int>{1, 2});
  CHECK(*reader->Subjects() == std::vector<std::string>{"copy-value", "users-value"});

  auto deleted = reader->DeleteSubject("users-value");
  REQUIRE(deleted.ok());
  CHECK(*deleted == std::vector<int>{1, 2});
  auto gone = reader->Latest("users-value");
  REQUIRE(gone.status().code() == Status::Code::kNotFound);
  CHECK_THAT(gone.status().message(), Catch::Contains(served.server->url()) && Catch::Contains("users-value") &&
                                          Catch::Contains("HTTP 404") && Catch::Contains("40401"));
  CHECK(*reader->Subjects() == std::vector<std::string>{"copy-value"});
}

TEST_CASE("Registry client: PROTOBUF and JSON schemas keep their type", "[schema_registry]") {
  Served served;
  auto client = served.Client();
  const std::string proto = "syntax = \"proto3\";\nmessage Ping { int64 n = 1; string s = 2; }\n";
  auto id = client->Register("pings-value", SchemaType::kProtobuf, proto);
  REQUIRE(id.ok());
  auto json_id = client->Register("docs-value", SchemaType::kJson, R"({"type": "object"})");
  REQUIRE(json_id.ok());
  auto reader = served.Client();
  CHECK(reader->ById(*id)->type == SchemaType::kProtobuf);
  CHECK(reader->ById(*id)->text == proto);
  CHECK(reader->Latest("docs-value")->type == SchemaType::kJson);
  CHECK(reader->Latest("docs-value")->text == R"({"type":"object"})");
}

TEST_CASE("Registry client: refusals carry the URL, subject, HTTP status and Confluent's code", "[schema_registry]") {
  Served served;
  auto client = served.Client();
  REQUIRE(client->Register("users-value", SchemaType::kAvro, kUserV1).ok());

  auto incompatible = client->Register("users-value", SchemaType::kAvro, kUserRequiredAge);
  REQUIRE(incompatible.status().code() == Status::Code::kInvalidArgument);
  CHECK_THAT(incompatible.status().message(),
             Catch::Contains("HTTP 409") && Catch::Contains("users-value") && Catch::Contains("age") &&
                 Catch::Contains(served.server->url()));
  CHECK(*client->Versions("users-value") == std::vector<int>{1});  // nothing registered

  auto invalid = client->Register("users-value", SchemaType::kAvro, R"({"type":"record","name":"X"})");
  REQUIRE(invalid.status().code() == Status::Code::kInvalidArgument);
  CHECK_THAT(invalid.status().message(), Catch::Contains("HTTP 422") && Catch::Contains("42201"));

  auto missing = client->ById(99);
  REQUIRE(missing.status().code() == Status::Code::kNotFound);
  CHECK_THAT(missing.status().message(), Catch::Contains("40403") && Catch::Contains("Schema 99 not found"));
  CHECK(client->Version("users-value", 7).status().code() == Status::Code::kNotFound);
  CHECK(client->Versions("nobody").status().code() == Status::Code::kNotFound);
}

TEST_CASE("Registry client: the first reachable URL answers; none reachable is an error naming each", "[schema_registry]") {
  Served served;
  const std::string down = "http://127.0.0.1:" + std::to_string(ClosedPort());
  auto client = served.Client(down);
  HttpRegistryOptions o;
  o.urls = {down, served.server->url()};
  auto failover = HttpSchemaRegistryClient::Create(o);
  REQUIRE(failover.ok());
  REQUIRE((*failover)->Register("a-value", SchemaType::kAvro, R"("string")").ok());
  CHECK(served.registry->Latest("a-value")->text == R"("string")");

  auto unreachable = client->Subjects();
  REQUIRE(unreachable.status().code() == Status::Code::kIOError);
  CHECK_THAT(unreachable.status().message(), Catch::Contains(down) && Catch::Contains("unreachable"));
}

TEST_CASE("Registry client: a registry that never answers times out", "[schema_registry]") {
  OneShotServer silent("");
  HttpRegistryOptions o;
  o.urls = {"http://127.0.0.1:" + std::to_string(silent.port())};
  o.timeout = std::chrono::milliseconds(300);
  auto client = HttpSchemaRegistryClient::Create(o);
  REQUIRE(client.ok());
  auto r = (*client)->ById(1);
  REQUIRE(r.status().code() == Status::Code::kIOError);
  CHECK_THAT(r.status().message(), Catch::Contains("timed out"));
}

TEST_CASE("Registry client: properties as ksqlDB passes them, basic auth header", "[schema_registry]") {
  OneShotServer registry("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 9\r\n\r\n{\"id\":42}");
  std::map<std::string, std::string> props{
      {"ksql.schema.registry.url", " http://127.0.0.1:" + std::to_string(registry.port()) + "/base/ "},
      {"ksql.schema.registry.basic.auth.credentials.source", "USER_INFO"},
      {"ksql.schema.registry.basic.auth.user.info", "fred:letmein"}};
  auto client = HttpSchemaRegistryClient::FromProperties(props);
  REQUIRE(client.ok());
  auto id = (*client)->Register("a/b", SchemaType::kProtobuf, "syntax = \"proto3\";");
  REQUIRE(id.ok());
  CHECK(*id == 42);
  const std::string request = registry.request();
  CHECK_THAT(request, Catch::StartsWith("POST /base/subjects/a%2Fb/versions HTTP/1.1"));
  CHECK_THAT(request, Catch::Contains("Authorization: Basic ZnJlZDpsZXRtZWlu"));  // fred:letmein

  props["ksql.schema.registry.basic.auth.user.info"] = "no-colon";
  CHECK(HttpSchemaRegistryClient::FromProperties(props).status().code() == Status::Code::kInvalidArgument);
  props["ksql.schema.registry.basic.auth.credentials.source"] = "SASL_INHERIT";
  CHECK_THAT(HttpSchemaRegistryClient::FromProperties(props).status().message(), Catch::Contains("SASL_INHERIT"));
  CHECK(HttpSchemaRegistryClient::FromProperties({{"ksql.schema.registry.url", "https://r:8081"}}).status().code() ==
        Status::Code::kInvalidArgument);
  CHECK(HttpSchemaRegistryClient::FromProperties({{"ksql.schema.registry.url", "r:8081"}}).status().code() ==
        Status::Code::kInvalidArgument);
  CHECK(HttpSchemaRegistryClient::FromProperties({{"ksql.schema.registry.url", "http://u:p@r:8081"},
                                                   {"ksql.schema.registry.basic.auth.credentials.source", "URL"}})
            .ok());
}

TEST_CASE("Embedded registry API: Confluent's answers and error codes", "[schema_registry]") {
  auto registry = std::make_shared<InMemorySchemaRegistry>();
  SchemaRegistryService api(registry);
  auto call = [&](const std::string& method, const std::string& path, const std::string& body = "",
                  const std::string& query = "") { return api.Handle(method, path, query, body); };

  HttpReply r = call("POST", "/subjects/orders-value/versions", Req(kUserV1));
  REQUIRE(r.status == 200);
  CHECK(Body(r) == json{{"id", 1}});

  r = call("GET", "/subjects/orders-value/versions/latest");
  CHECK(Body(r)["subject"] == "orders-value");
  CHECK(Body(r)["version"] == 1);
  CHECK(Body(r)["id"] == 1);
  CHECK(!Body(r).contains("schemaType"));  // AVRO is left out, as Confluent does
  const std::string compact = nlohmann::ordered_json::parse(kUserV1).dump();  // keys as written
  CHECK(call("GET", "/subjects/orders-value/versions/1/schema").body == compact);
  CHECK(call("GET", "/schemas/ids/1/schema").body == compact);
  CHECK(Body(call("GET", "/schemas/ids/1/versions")) == json::array({{{"subject", "orders-value"}, {"version", 1}}}));
  CHECK(Body(call("GET", "/schemas/types")).size() == 3);

  // Lookup: found, schema not found, subject not found.
  r = call("POST", "/subjects/orders-value", Req(kUserV1));
  CHECK(Body(r)["version"] == 1);
  r = call("POST", "/subjects/orders-value", Req(kUserV2));
  CHECK(r.status == 404);
  CHECK(Body(r) == json{{"error_code", 40403}, {"message", "Schema not found"}});
  r = call("POST", "/subjects/nope", Req(kUserV1));
  CHECK(Body(r) == json{{"error_code", 40401}, {"message", "Subject 'nope' not found."}});

  // Versions: invalid, missing; subjects percent-decoded.
  r = call("GET", "/subjects/orders-value/versions/abc");
  CHECK(r.status == 422);
  CHECK(Body(r)["error_code"] == 42202);
  CHECK(Body(call("GET", "/subjects/orders-value/versions/0"))["error_code"] == 42202);
  CHECK(Body(call("GET", "/subjects/orders-value/versions/9"))["error_code"] == 40402);
  CHECK(Body(call("GET", "/subjects/x/versions/1"))["error_code"] == 40401);
  CHECK(call("POST", "/subjects/a%2Fb%20c/versions", Req(R"("int")")).status == 200);
  CHECK(registry->Latest("a/b c").ok());
  CHECK(Body(call("GET", "/schemas/ids/77"))["error_code"] == 40403);
  CHECK(call("GET", "/schemas/ids/x").status == 404);

  // Bad bodies: Confluent-style errors, nothing registered.
  for (const std::string& bad : {std::string("not json"), std::string("[]"), std::string("{}"),
                                 std::string(R"({"schema": 5})"), Req("{\"type\":\"nope\"}"),
                                 Req(R"("int")", "XML"), Req("syntax = \"proto3\"; message {", "PROTOBUF"), Req("[1", "JSON"),
                                 std::string(R"({"schema":"\"int\"","references":[{"name":"x"}]})")}) {
    r = call("POST", "/subjects/bad/versions", bad);
    CHECK(r.status == 422);
    CHECK(Body(r)["error_code"] == 42201);
  }
  CHECK(!registry->Latest("bad").ok());

  // Routes: unknown 404, wrong method 405.
  CHECK(Body(call("GET", "/nowhere"))["error_code"] == 404);
  CHECK(Body(call("PUT", "/subjects"))["error_code"] == 405);
  CHECK(call("GET", "/").status == 200);
}

TEST_CASE("Embedded registry API: compatibility levels, checks and config", "[schema_registry]") {
  auto registry = std::make_shared<InMemorySchemaRegistry>();
  SchemaRegistryService api(registry);
  auto call = [&](const std::string& method, const std::string& path, const std::string& body = "",
                  const std::string& query = "") { return api.Handle(method, path, query, body); };
  REQUIRE(call("POST", "/subjects/u/versions", Req(kUserV1)).status == 200);

  CHECK(Body(call("GET", "/config")) == json{{"compatibilityLevel", "BACKWARD"}});
  CHECK(Body(call("GET", "/config/u"))["error_code"] == 40408);
  CHECK(Body(call("GET", "/config/u", "", "defaultToGlobal=true")) == json{{"compatibilityLevel", "BACKWARD"}});

  {
    HttpReply r = call("POST", "/compatibility/subjects/u/versions/latest", Req(kUserRequiredAge), "verbose=true");
    CHECK(Body(r)["is_compatible"] == false);
    CHECK(Body(r)["messages"].dump().find("age") != std::string::npos);
    CHECK(Body(call("POST", "/compatibility/subjects/u/versions/1", Req(kUserV2)))["is_compatible"] == true);
    CHECK(Body(call("POST", "/compatibility/subjects/u/versions/2", Req(kUserV2)))["error_code"] == 40402);
    CHECK(Body(call("POST", "/compatibility/subjects/none/versions/latest", Req(kUserV2)))["is_compatible"] == true);
    r = call("POST", "/subjects/u/versions", Req(kUserRequiredAge));
    CHECK(r.status == 409);
    CHECK(Body(r)["error_code"] == 409);
  }

  // FORWARD: old readers must read new data; dropping a field without a default breaks them.
  HttpReply put = call("PUT", "/config/u", R"({"compatibility":"forward"})");
  CHECK(Body(put) == json{{"compatibility", "FORWARD"}});
  CHECK(Body(call("GET", "/config/u")) == json{{"compatibilityLevel", "FORWARD"}});
  const std::string only_id = R"({"type":"record","name":"User","namespace":"io.example","fields":[{"name":"id","type":"long"}]})";
  CHECK(call("POST", "/subjects/u/versions", Req(only_id)).status == 409);
  CHECK(call("POST", "/subjects/u/versions", Req(kUserRequiredAge)).status == 200);  // old readers ignore "age"
  CHECK(Body(call("PUT", "/config/u", R"({"compatibility":"sideways"})"))["error_code"] == 42203);
  CHECK(Body(call("PUT", "/config", R"({"compatibility":"NONE"})")) == json{{"compatibility", "NONE"}});
  CHECK(Body(call("DELETE", "/config/u")) == json{{"compatibilityLevel", "FORWARD"}});
  CHECK(call("POST", "/subjects/u/versions", Req(only_id)).status == 200);  // global NONE now
  CHECK(call("POST", "/subjects/u/versions", Req("syntax = \"proto3\"; message M {}", "PROTOBUF")).status == 200);
}

TEST_CASE("Embedded registry API: soft and permanent deletes", "[schema_registry]") {
  auto registry = std::make_shared<InMemorySchemaRegistry>();
  SchemaRegistryService api(registry);
  auto call = [&](const std::string& method, const std::string& path, const std::string& query = "") {
    return api.Handle(method, path, query, "");
  };
  REQUIRE(api.Handle("POST", "/subjects/s/versions", "", Req(R"("int")")).status == 200);
  CHECK(Body(call("DELETE", "/subjects/s", "permanent=true"))["error_code"] == 40405);
  CHECK(Body(call("DELETE", "/subjects/s")) == json::array({1}));
  CHECK(Body(call("GET", "/subjects")) == json::array());
  CHECK(Body(call("GET", "/subjects", "deleted=true")) == json::array({"s"}));
  CHECK(Body(call("GET", "/subjects/s/versions"))["error_code"] == 40401);
  CHECK(Body(call("DELETE", "/subjects/s", "permanent=true")) == json::array({1}));
  CHECK(Body(call("GET", "/subjects", "deleted=true")) == json::array());
  CHECK(Body(call("DELETE", "/subjects/s"))["error_code"] == 40401);
}

TEST_CASE("Embedded registry API: modes and registering at a given id", "[schema_registry]") {
  auto registry = std::make_shared<InMemorySchemaRegistry>();
  SchemaRegistryService api(registry);
  auto call = [&](const std::string& method, const std::string& path, const std::string& body = "",
                  const std::string& query = "") { return api.Handle(method, path, query, body); };
  auto at = [](const std::string& schema, int id, const std::string& type = "") {
    json j = json::parse(Req(schema, type));
    j["id"] = id;
    return j.dump();
  };
  const std::string kImport = R"({"mode":"IMPORT"})";

  CHECK(Body(call("GET", "/mode")) == json{{"mode", "READWRITE"}});
  HttpReply r = call("GET", "/mode/t-value");
  CHECK(r.status == 404);
  CHECK(Body(r) == json{{"error_code", 40409}, {"message", "Subject 't-value' does not have subject-level mode configured"}});
  CHECK(Body(call("GET", "/mode/t-value", "", "defaultToGlobal=true")) == json{{"mode", "READWRITE"}});

  // An id outside IMPORT mode is refused.
  r = call("POST", "/subjects/t-value/versions", at(kUserV1, 102));
  CHECK(r.status == 422);
  CHECK(Body(r) == json{{"error_code", 42205}, {"message", "Subject t-value is not in import mode"}});

  // IMPORT on the empty subject: the schema gets the id it is given, the next id continues above it.
  CHECK(Body(call("PUT", "/mode/t-value", kImport)) == json{{"mode", "IMPORT"}});
  CHECK(Body(call("GET", "/mode/t-value")) == json{{"mode", "IMPORT"}});
  CHECK(Body(call("GET", "/mode")) == json{{"mode", "READWRITE"}});
  r = call("POST", "/subjects/t-value/versions", at(kUserV1, 102));
  REQUIRE(r.status == 200);
  CHECK(Body(r) == json{{"id", 102}});
  CHECK(Body(call("GET", "/subjects/t-value/versions/1"))["id"] == 102);
  CHECK(call("GET", "/schemas/ids/102/schema").body == nlohmann::ordered_json::parse(kUserV1).dump());
  CHECK(Body(call("POST", "/subjects/t-value/versions", at(kUserV1, 102))) == json{{"id", 102}});  // again: same answer
  // Without an id, IMPORT refuses; compatibility is not checked while importing.
  CHECK(Body(call("POST", "/subjects/t-value/versions", Req(kUserV2))) ==
        json{{"error_code", 42205}, {"message", "Subject t-value is not in read-write mode"}});
  CHECK(call("POST", "/subjects/t-value/versions", at(kUserRequiredAge, 103)).status == 200);
  // An id holding another schema is refused, and nothing is registered.
  r = call("POST", "/subjects/t-value/versions", at(R"("int")", 102));
  CHECK(r.status == 422);
  CHECK(Body(r) == json{{"error_code", 42205}, {"message", "Overwrite new schema with id 102 is not permitted."}});
  CHECK(Body(call("GET", "/subjects/t-value/versions")) == json::array({1, 2}));
  // A version other than the next is refused (versions have no gaps here); the next is fine.
  json versioned = json::parse(at(R"("string")", 104));
  versioned["version"] = 7;
  CHECK(Body(call("POST", "/subjects/t-value/versions", versioned.dump()))["error_code"] == 42205);
  versioned["version"] = 3;
  CHECK(Body(call("POST", "/subjects/t-value/versions", versioned.dump())) == json{{"id", 104}});

  // Back to the global mode: registering as usual, ids above the imported ones.
  CHECK(Body(call("DELETE", "/mode/t-value")) == json{{"mode", "IMPORT"}});
  CHECK(Body(call("DELETE", "/mode/t-value"))["error_code"] == 40409);
  CHECK(Body(call("DELETE", "/mode/nowhere"))["error_code"] == 40401);
  CHECK(Body(call("PUT", "/config/t-value", R"({"compatibility":"NONE"})")).contains("compatibility"));
  CHECK(Body(call("POST", "/subjects/t-value/versions", Req(R"("long")"))) == json{{"id", 105}});

  // IMPORT on a subject with schemas, or globally on a registry with some: refused unless forced.
  r = call("PUT", "/mode/t-value", kImport);
  CHECK(r.status == 422);
  CHECK(Body(r) == json{{"error_code", 42205}, {"message", "Cannot import since found existing subjects"}});
  CHECK(Body(call("PUT", "/mode", kImport))["error_code"] == 42205);
  CHECK(Body(call("PUT", "/mode/t-value", kImport, "force=true")) == json{{"mode", "IMPORT"}});
  CHECK(call("POST", "/subjects/t-value/versions", at(R"("double")", 9)).status == 200);
  CHECK(call("DELETE", "/mode/t-value").status == 200);
  // A soft-deleted subject still counts.
  REQUIRE(call("POST", "/subjects/gone/versions", Req(R"("int")")).status == 200);
  REQUIRE(call("DELETE", "/subjects/gone").status == 200);
  CHECK(Body(call("PUT", "/mode/gone", kImport))["error_code"] == 42205);

  // READONLY refuses registering, deleting and config changes; lookups still answer.
  CHECK(Body(call("PUT", "/mode", R"({"mode":"readonly"})")) == json{{"mode", "READONLY"}});
  r = call("POST", "/subjects/new-value/versions", Req(R"("int")"));
  CHECK(r.status == 422);
  CHECK(Body(r) == json{{"error_code", 42205}, {"message", "Subject new-value is in read-only mode"}});
  CHECK(Body(call("DELETE", "/subjects/t-value"))["error_code"] == 42205);
  CHECK(Body(call("PUT", "/config/t-value", R"({"compatibility":"FULL"})"))["error_code"] == 42205);
  CHECK(call("POST", "/subjects/t-value", Req(R"("long")")).status == 200);
  CHECK(Body(call("POST", "/subjects/t-value/versions", Req(R"("long")"))) == json{{"id", 105}});  // already there
  // A subject's own mode wins over the global one.
  CHECK(call("PUT", "/mode/rw", R"({"mode":"READWRITE"})").status == 200);
  CHECK(call("POST", "/subjects/rw/versions", Req(R"("int")")).status == 200);
  // The engine's own registrations obey the mode too.
  CHECK(registry->Register("engine-value", SchemaType::kAvro, R"("boolean")").status().message() ==
        "Subject engine-value is in read-only mode");

  CHECK(Body(call("PUT", "/mode", R"({"mode":"WRITEONLY"})")) ==
        json{{"error_code", 42204}, {"message", "Invalid mode. Valid values are READWRITE, READONLY and IMPORT"}});
  CHECK(Body(call("PUT", "/mode", "{}"))["error_code"] == 42204);
  CHECK(Body(call("DELETE", "/mode"))["error_code"] == 405);
  CHECK(Body(call("GET", "/mode/a/b"))["error_code"] == 404);
}

TEST_CASE("Registry client: modes, and schemas with references registered at their ids", "[schema_registry]") {
  Served served;
  auto client = served.Client();
  CHECK(*client->Mode("", false) == RegistryMode::kReadWrite);
  CHECK(client->Mode("input-value", false).status().code() == Status::Code::kNotFound);
  const std::string event = "syntax = \"proto3\";\n\nmessage Event {\n int64 TIMESTAMP = 1;\n}\n";
  const std::string logistics =
      "syntax = \"proto3\";\n\nimport \"event.proto\";\n\nmessage Logistics {\n Event EVENT = 1;\n}\n";
  REQUIRE(*client->Register("event.proto", SchemaType::kProtobuf, event) == 1);
  const std::vector<SchemaReference> refs{{"event.proto", "event.proto", 1}};

  // Not importing: the registry refuses the id, and the client says why.
  auto refused = client->RegisterWith("input-value", SchemaType::kProtobuf, logistics, refs, 5);
  CHECK(refused.status().code() == Status::Code::kInvalidArgument);
  CHECK(refused.status().message().find("42205") != std::string::npos);
  CHECK(refused.status().message().find("not in import mode") != std::string::npos);

  REQUIRE(client->SetMode("input-value", RegistryMode::kImport, false).ok());
  CHECK(*client->Mode("input-value", false) == RegistryMode::kImport);
  auto id = client->RegisterWith("input-value", SchemaType::kProtobuf, logistics, refs, 5);
  REQUIRE(id.ok());
  CHECK(*id == 5);
  CHECK(*client->DeleteMode("input-value") == RegistryMode::kImport);
  CHECK(*client->Mode("input-value", true) == RegistryMode::kReadWrite);
  // The registry keeps the references: a reader by id (the engine, another client) gets them.
  auto stored = served.registry->ById(5);
  REQUIRE(stored.ok());
  CHECK(stored->references == refs);
  auto other = served.Client();
  auto read = other->ById(5);
  REQUIRE(read.ok());
  CHECK(read->references == refs);
  CHECK(other->Version("input-value", 1)->references == refs);

  // IMPORT where schemas exist: refused unless forced.
  Status st = client->SetMode("event.proto", RegistryMode::kImport, false);
  CHECK(st.code() == Status::Code::kInvalidArgument);
  CHECK(st.message().find("Cannot import since found existing subjects") != std::string::npos);
  CHECK(client->SetMode("event.proto", RegistryMode::kImport, true).ok());
  CHECK(client->DeleteMode("nowhere").status().code() == Status::Code::kNotFound);
}

TEST_CASE("Embedded registry API: a base64 FileDescriptorProto is kept as .proto text", "[schema_registry]") {
  // confluent-kafka-python sends PROTOBUF schemas this way: base64 of a serialized
  // FileDescriptorProto {name: "ping.proto", message_type {name: "Ping", field {name: "n",
  // number: 1, label: OPTIONAL, type: INT64}}, syntax: "proto3"}, built here byte by byte.
  std::string field = std::string("\x0a\x01n", 3) + "\x18\x01" + "\x20\x01" + "\x28\x03";
  std::string message = std::string("\x0a\x04Ping", 6) + "\x12" + static_cast<char>(field.size()) + field;
  std::string file = std::string("\x0a\x0aping.proto", 12) + "\x22" + static_cast<char>(message.size()) + message +
                     std::string("\x62\x06proto3", 8);
  static const char* kChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string b64;
  for (size_t i = 0; i < file.size(); i += 3) {
    uint32_t n = uint8_t(file[i]) << 16;
    if (i + 1 < file.size()) n |= uint8_t(file[i + 1]) << 8;
    if (i + 2 < file.size()) n |= uint8_t(file[i + 2]);
    b64 += kChars[(n >> 18) & 63];
    b64 += kChars[(n >> 12) & 63];
    b64 += i + 1 < file.size() ? kChars[(n >> 6) & 63] : '=';
    b64 += i + 2 < file.size() ? kChars[n & 63] : '=';
  }
  auto registry = std::make_shared<InMemorySchemaRegistry>();
  SchemaRegistryService api(registry);
  HttpReply r = api.Handle("POST", "/subjects/ping-value/versions", "", Req(b64, "PROTOBUF"));
  REQUIRE(r.status == 200);
  auto stored = registry->ById(Body(r)["id"].get<int>());
  REQUIRE(stored.ok());
  CHECK(stored->type == SchemaType::kProtobuf);
  CHECK_THAT(stored->text, Catch::Contains("syntax = \"proto3\";") && Catch::Contains("message Ping {") &&
                               Catch::Contains("int64 n = 1;"));
  // The same schema sent again (either form) is the same version.
  CHECK(Body(api.Handle("POST", "/subjects/ping-value/versions", "", Req(b64, "PROTOBUF")))["id"] == Body(r)["id"]);
  CHECK(Body(api.Handle("POST", "/subjects/ping-value", "", Req(b64, "PROTOBUF")))["version"] == 1);
}

TEST_CASE("Avro schema resolution as the compatibility levels use it", "[schema_registry]") {
  auto parse = [](const std::string& text) {
    auto s = AvroSchema::Parse(text);
    REQUIRE(s.ok());
    return *s;
  };
  auto compatible = [&](const std::string& reader, const std::string& writer) {
    return AvroReadIncompatibilities(*parse(reader), *parse(writer)).empty();
  };
  CHECK(compatible(R"("long")", R"("int")"));
  CHECK(compatible(R"("double")", R"("float")"));
  CHECK(!compatible(R"("int")", R"("long")"));
  CHECK(compatible(R"("string")", R"("bytes")"));
  CHECK(compatible(R"(["null","string"])", R"("string")"));
  CHECK(!compatible(R"("string")", R"(["null","string"])"));  // the writer may have written null
  CHECK(compatible(R"({"type":"array","items":"long"})", R"({"type":"array","items":"int"})"));
  const std::string e2 = R"({"type":"enum","name":"E","symbols":["A","B"]})";
  const std::string e3 = R"({"type":"enum","name":"E","symbols":["A","B","C"]})";
  CHECK(compatible(e3, e2));
  CHECK(!compatible(e2, e3));
  CHECK(compatible(R"({"type":"enum","name":"E","symbols":["A","B"],"default":"A"})", e3));
  // A recursive type resolves against itself.
  const std::string list = R"({"type":"record","name":"Node","fields":[{"name":"v","type":"int"},)"
                           R"({"name":"next","type":["null","Node"],"default":null}]})";
  CHECK(compatible(list, list));
  CHECK(!compatible(R"({"type":"record","name":"A","fields":[]})", R"({"type":"record","name":"B","fields":[]})"));

  for (const char* bad : {R"("Unknown")", R"({"type":"record","fields":[]})", R"(["int","int"])",
                                 R"({"type":"fixed","name":"F"})", R"({"type":"enum","name":"E","symbols":["A","A"]})",
                                 R"({"type":"record","name":"R","fields":[{"name":"a"}]})", "{"})
    CHECK(!AvroSchema::Parse(bad).ok());
}

TEST_CASE("The engine keeps its Schema Registry across SET and UNSET", "[schema_registry]") {
  // The REST API applies a request's streamsProperties as SETs: the registry sluiced gave the
  // engine (embedded, or the HTTP client) must survive them.
  Engine engine({});
  auto registry = std::make_shared<InMemorySchemaRegistry>();
  engine.SetSchemaRegistry(registry);
  REQUIRE(registry->Register("s-value", SchemaType::kAvro,
                             R"({"type":"record","name":"R","fields":[{"name":"A","type":"long"}]})").ok());
  REQUIRE(engine.Execute("SET 'auto.offset.reset'='earliest';").ok());
  REQUIRE(engine.Execute("UNSET 'auto.offset.reset';").ok());
  CHECK(engine.schema_registry() == registry);
  Status created = engine.Execute("CREATE STREAM S WITH (KAFKA_TOPIC='s', VALUE_FORMAT='AVRO');");
  CHECK(created.ok());
  CHECK(created.message() == "");
}

TEST_CASE("Embedded registry listener: a taken port fails, or falls back to an ephemeral one", "[schema_registry]") {
  Served first;
  const std::string taken = first.server->url();
  auto strict = SchemaRegistrySetup::Serve(std::make_shared<InMemorySchemaRegistry>(), taken, false);
  REQUIRE(strict.status().code() == Status::Code::kIOError);
  CHECK_THAT(strict.status().message(),
             Catch::Contains("sluice.schema.registry.listener") && Catch::Contains("in use"));
  auto fallback = SchemaRegistrySetup::Serve(std::make_shared<InMemorySchemaRegistry>(), taken, true);
  REQUIRE(fallback.ok());
  CHECK((*fallback)->url() != taken);
  CHECK((*fallback)->embedded());
  HttpRegistryOptions o;
  o.urls = {(*fallback)->url()};
  auto client = HttpSchemaRegistryClient::Create(o);
  REQUIRE(client.ok());
  CHECK((*client)->Subjects().ok());
  CHECK(SchemaRegistrySetup::Serve(std::make_shared<InMemorySchemaRegistry>(), "localhost:8081", false).status().code() ==
        Status::Code::kInvalidArgument);
}

TEST_CASE("Embedded registry API: PROTOBUF compatibility as Confluent's SchemaDiff", "[schema_registry]") {
  auto registry = std::make_shared<InMemorySchemaRegistry>();
  SchemaRegistryService api(registry);
  auto post = [&](const std::string& subject, const std::string& proto) {
    return api.Handle("POST", "/subjects/" + subject + "/versions", "", Req(proto, "PROTOBUF"));
  };
  const std::string v1 =
      "syntax = \"proto3\"; package shop; enum Kind { A = 0; B = 1; }\n"
      "message Order { int32 id = 1; string name = 2; Kind kind = 3; Line line = 4; map<string, int64> counts = 5;\n"
      "  oneof pay { string card = 6; int64 cash = 7; } }\n"
      "message Line { string sku = 1; }";
  REQUIRE(post("o", v1).status == 200);

  // Compatible under BACKWARD (the default): added/removed optional fields, a renamed field,
  // int32 -> int64 and enum -> int32 (one wire group), string -> bytes, a new message, a new enum constant.
  const std::string v2 =
      "syntax = \"proto3\"; package shop; enum Kind { A = 0; B = 1; C = 2; }\n"
      "message Order { int64 id = 1; bytes title = 2; int32 kind = 3; Line line = 4; map<string, int64> counts = 5;\n"
      "  oneof pay { string card = 6; int64 cash = 7; } double total = 8; }\n"
      "message Line { string sku = 1; }\nmessage Extra { bool b = 1; }";
  HttpReply ok = post("o", v2);
  INFO(ok.body);
  CHECK(ok.status == 200);

  // Each of these breaks readers of v2: Confluent's 409 with the difference named.
  const std::vector<std::pair<std::string, std::string>> breaking = {
      {"FIELD_SCALAR_KIND_CHANGED at #/Order/1",
       "syntax = \"proto3\"; package shop; message Order { string id = 1; }\nmessage Line { string sku = 1; }\nmessage Extra { bool b = 1; }"},
      {"FIELD_KIND_CHANGED at #/Order/4",
       "syntax = \"proto3\"; package shop; message Order { int32 line = 4; }\nmessage Line { string sku = 1; }\nmessage Extra { bool b = 1; }"},
      {"FIELD_NAMED_TYPE_CHANGED at #/Order/4",
       "syntax = \"proto3\"; package shop; message Order { Extra line = 4; }\nmessage Line { string sku = 1; }\nmessage Extra { bool b = 1; }"},
      {"FIELD_SCALAR_KIND_CHANGED at #/Order/5",
       "syntax = \"proto3\"; package shop; message Order { map<string, string> counts = 5; }\nmessage Line { string sku = 1; }\nmessage Extra { bool b = 1; }"},
      {"MESSAGE_REMOVED at #/Extra", "syntax = \"proto3\"; package shop; message Order { int64 id = 1; }\nmessage Line { string sku = 1; }"},
      {"PACKAGE_CHANGED at #/", "syntax = \"proto3\"; package other; message Order { int64 id = 1; }\nmessage Line { string sku = 1; }\nmessage Extra { bool b = 1; }"},
      {"ONEOF_FIELD_REMOVED at #/Order/pay/7",
       "syntax = \"proto3\"; package shop; message Order { oneof pay { string card = 6; } }\nmessage Line { string sku = 1; }\nmessage Extra { bool b = 1; }"},
      {"MULTIPLE_FIELDS_MOVED_TO_ONEOF at #/Order/either",
       "syntax = \"proto3\"; package shop; message Order { oneof either { int64 id = 1; double total = 8; } }\nmessage Line { string sku = 1; }\nmessage Extra { bool b = 1; }"}};
  for (const auto& [difference, proto] : breaking) {
    HttpReply r = post("o", proto);
    INFO(difference << " -> " << r.body);
    CHECK(r.status == 409);
    CHECK(Body(r)["error_code"] == 409);
    CHECK_THAT(Body(r)["message"].get<std::string>(),
               Catch::StartsWith("Schema being registered is incompatible with an earlier schema for subject \"o\"") &&
                   Catch::Contains(difference));
  }
  CHECK(*registry->Versions("o") == std::vector<int>{1, 2});

  // One field moved into a new oneof is compatible; the check endpoint agrees with registering.
  const std::string moved =
      "syntax = \"proto3\"; package shop; message Order { oneof either { int64 id = 1; } }\nmessage Line { string sku = 1; }\nmessage Extra { bool b = 1; }";
  CHECK(Body(api.Handle("POST", "/compatibility/subjects/o/versions/latest", "", Req(moved, "PROTOBUF")))["is_compatible"] == true);
  CHECK(post("o", moved).status == 200);

  // Required (proto2) fields may be neither added nor removed. FORWARD compares the other way
  // round (new to old); NONE checks nothing.
  const std::string p2 = "syntax = \"proto2\"; message R { required int32 a = 1; }";
  const std::string p2_more = "syntax = \"proto2\"; message R { required int32 a = 1; required int32 b = 2; }";
  REQUIRE(post("p", p2).status == 200);
  CHECK_THAT(post("p", p2_more).body, Catch::Contains("REQUIRED_FIELD_ADDED at #/R/2"));
  REQUIRE(api.Handle("PUT", "/config/p", "", R"({"compatibility":"FORWARD"})").status == 200);
  CHECK_THAT(post("p", p2_more).body, Catch::Contains("REQUIRED_FIELD_REMOVED at #/R/2"));
  CHECK_THAT(post("p", "syntax = \"proto2\"; message R { optional int32 c = 3; }").body,
             Catch::Contains("REQUIRED_FIELD_ADDED at #/R/1"));
  CHECK(post("p", "syntax = \"proto2\"; message R { required int32 a = 1; optional int32 d = 4; }").status == 200);
  REQUIRE(api.Handle("PUT", "/config/p", "", R"({"compatibility":"NONE"})").status == 200);
  CHECK(post("p", "syntax = \"proto3\"; package x; message Q { string z = 1; }").status == 200);
}

}  // namespace schema_registry_http_test
