// The Schema Registry client over HTTP/1.1 (Boost.Beast). One short connection per request:
// the caches keep requests rare (a schema is fetched once per id), so keep-alive would buy
// little and cost a connection pool shared across stream threads.
#include "engine/schema_registry/http_registry_client.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace sluice {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using json = nlohmann::json;

namespace {

std::string Base64(const std::string& in) {
  static const char* kChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t n = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += kChars[(n >> s) & 63];
  }
  if (i + 1 == in.size()) {
    uint32_t n = uint8_t(in[i]) << 16;
    out += kChars[(n >> 18) & 63];
    out += kChars[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    uint32_t n = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out += kChars[(n >> 18) & 63];
    out += kChars[(n >> 12) & 63];
    out += kChars[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

// Subjects go into paths percent-encoded, as Confluent's clients send them ("a/b" -> "a%2Fb").
std::string Encode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

std::string TrimSpacesAndTabs(std::string s) {
  s.erase(0, s.find_first_not_of(" \t"));
  s.erase(s.find_last_not_of(" \t") + 1);
  return s;
}

// "http://user:pw@host:8081/prefix" -> host, port, prefix (no trailing '/'), credentials.
Result<HttpSchemaRegistryClient::Endpoint> ParseUrl(const std::string& url, std::string* credentials) {
  if (url.rfind("https://", 0) == 0)
    return Status::InvalidArgument("ksql.schema.registry.url: https is not supported yet (" + url + ")");
  if (url.rfind("http://", 0) != 0)
    return Status::InvalidArgument("ksql.schema.registry.url must be http://host:port, got '" + url + "'");
  std::string rest = url.substr(7);
  HttpSchemaRegistryClient::Endpoint e;
  const size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  e.prefix = slash == std::string::npos ? "" : rest.substr(slash);
  while (!e.prefix.empty() && e.prefix.back() == '/') e.prefix.pop_back();
  if (const size_t at = authority.rfind('@'); at != std::string::npos) {
    *credentials = authority.substr(0, at);
    authority = authority.substr(at + 1);
  }
  size_t colon = authority.rfind(':');
  if (!authority.empty() && authority[0] == '[') {  // [::1]:8081
    const size_t close = authority.find(']');
    if (close == std::string::npos) return Status::InvalidArgument("ksql.schema.registry.url: bad host in " + url);
    e.host = authority.substr(1, close - 1);
    colon = authority.find(':', close);
  } else {
    e.host = authority.substr(0, colon);
  }
  e.port = colon == std::string::npos ? "80" : authority.substr(colon + 1);
  if (e.host.empty() || e.port.empty() || e.port.find_first_not_of("0123456789") != std::string::npos)
    return Status::InvalidArgument("ksql.schema.registry.url must be http://host:port, got '" + url + "'");
  e.url = "http://" + authority + e.prefix;
  return e;
}

// The registry's answer to a refused request, as a Status of the kind callers branch on.
Status ErrorFromResponse(const std::string& method, const std::string& target, int status,
                         const std::string& body, const std::string& url, const std::string& what) {
  json j = json::parse(body, nullptr, false);
  std::string detail = "HTTP " + std::to_string(status);
  if (j.is_object() && j.contains("error_code")) detail += ", error code " + j["error_code"].dump();
  if (j.is_object() && j.contains("message") && j["message"].is_string())
    detail += ": " + j["message"].get<std::string>();
  else if (!body.empty())
    detail += ": " + body.substr(0, 200);
  const std::string msg = "Schema Registry " + url + ": " + method + " " + target +
                          (what.empty() ? "" : " (" + what + ")") + ": " + detail;
  if (status == 404) return Status::NotFound(msg);
  if (status == 409 || status == 422) return Status::InvalidArgument(msg);
  return Status::IOError(msg);
}

Result<SchemaType> TypeOf(const json& j) {
  if (!j.contains("schemaType") || j["schemaType"].is_null()) return SchemaType::kAvro;
  if (!j["schemaType"].is_string()) return Status::IOError("bad schemaType in " + j.dump().substr(0, 200));
  return ParseSchemaType(j["schemaType"].get<std::string>());
}

// A schema's "references" as the registry lists them (absent: none).
std::vector<SchemaReference> ReferencesOf(const json& j) {
  std::vector<SchemaReference> out;
  if (!j.contains("references") || !j["references"].is_array()) return out;
  for (const json& r : j["references"])
    if (r.is_object() && r.value("name", json()).is_string() && r.value("subject", json()).is_string() &&
        r.value("version", json()).is_number_integer())
      out.push_back({r["name"].get<std::string>(), r["subject"].get<std::string>(), r["version"].get<int>()});
  return out;
}

Result<json> ParseBody(const std::string& body, const std::string& url, const std::string& target) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded())
    return Status::IOError("Schema Registry " + url + ": " + target + ": the answer is not JSON: " + body.substr(0, 200));
  return j;
}

}  // namespace

Result<std::shared_ptr<HttpSchemaRegistryClient>> HttpSchemaRegistryClient::FromProperties(
    const std::map<std::string, std::string>& props) {
  auto get = [&](const std::string& name) {
    auto it = props.find(name);
    return it == props.end() ? std::string() : TrimSpacesAndTabs(it->second);
  };
  HttpRegistryOptions options;
  std::string urls = get("ksql.schema.registry.url");
  size_t start = 0;
  while (start <= urls.size()) {
    size_t comma = urls.find(',', start);
    if (comma == std::string::npos) comma = urls.size();
    if (std::string u = TrimSpacesAndTabs(urls.substr(start, comma - start)); !u.empty()) options.urls.push_back(u);
    start = comma + 1;
  }
  if (options.urls.empty()) return Status::InvalidArgument("ksql.schema.registry.url is empty");
  std::string source = get("ksql.schema.registry.basic.auth.credentials.source");
  std::transform(source.begin(), source.end(), source.begin(), ::toupper);
  if (source == "USER_INFO") {
    options.user_info = get("ksql.schema.registry.basic.auth.user.info");
    if (options.user_info.find(':') == std::string::npos)
      return Status::InvalidArgument(
          "ksql.schema.registry.basic.auth.user.info must be user:password when "
          "ksql.schema.registry.basic.auth.credentials.source is USER_INFO");
  } else if (!source.empty() && source != "URL") {
    return Status::InvalidArgument("ksql.schema.registry.basic.auth.credentials.source: '" + source +
                                   "' is not supported (USER_INFO or URL)");
  }
  if (source == "URL") {
    for (const std::string& u : options.urls) {
      std::string credentials;
      if (!ParseUrl(u, &credentials).ok() || credentials.empty())
        return Status::InvalidArgument(
            "ksql.schema.registry.basic.auth.credentials.source is URL but " + u + " has no user:password@");
    }
  }
  return Create(std::move(options));
}

Result<std::shared_ptr<HttpSchemaRegistryClient>> HttpSchemaRegistryClient::Create(HttpRegistryOptions options) {
  if (options.urls.empty()) return Status::InvalidArgument("ksql.schema.registry.url is empty");
  std::vector<Endpoint> endpoints;
  for (const std::string& url : options.urls) {
    std::string credentials;
    auto e = ParseUrl(url, &credentials);
    if (!e.ok()) return e.status();
    // USER_INFO wins over credentials in the URL, as Confluent's client does it.
    const std::string user_info = !options.user_info.empty() ? options.user_info : credentials;
    if (!user_info.empty()) e->authorization = "Basic " + Base64(user_info);
    endpoints.push_back(std::move(*e));
  }
  return std::shared_ptr<HttpSchemaRegistryClient>(new HttpSchemaRegistryClient(std::move(endpoints), options.timeout));
}

HttpSchemaRegistryClient::HttpSchemaRegistryClient(std::vector<Endpoint> endpoints, std::chrono::milliseconds timeout)
    : endpoints_(std::move(endpoints)), timeout_(timeout) {}

int HttpSchemaRegistryClient::requests_sent() const {
  std::lock_guard lock(mu_);
  return requests_sent_;
}

namespace {

// One request to one endpoint, the whole exchange (resolve, connect, write, read) bounded by
// `timeout`. A status of 0 with `error` set: the registry was not reached.
struct Exchange {
  int status = 0;
  std::string body;
  std::string error;
};

Exchange SendOnce(const HttpSchemaRegistryClient::Endpoint& e, const std::string& method, const std::string& target,
                  const std::string& body, std::chrono::milliseconds timeout) {
  Exchange out;
  asio::io_context io;
  asio::ip::tcp::resolver resolver(io);
  beast::error_code ec;
  auto addresses = resolver.resolve(e.host, e.port, ec);
  if (ec) {
    out.error = "cannot resolve " + e.host + ": " + ec.message();
    return out;
  }
  beast::tcp_stream stream(io);
  http::request<http::string_body> req(http::string_to_verb(method), e.prefix + target, 11);
  req.set(http::field::host, e.host + ":" + e.port);
  req.set(http::field::user_agent, "sluice");
  req.set(http::field::accept, "application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json, application/json");
  if (!e.authorization.empty()) req.set(http::field::authorization, e.authorization);
  if (!body.empty() || method == "POST" || method == "PUT") {
    req.set(http::field::content_type, "application/vnd.schemaregistry.v1+json");
    req.body() = body;
  }
  req.prepare_payload();
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  stream.expires_after(timeout);  // one deadline for the whole exchange
  stream.async_connect(addresses, [&](beast::error_code c, const auto&) {
    if (c) {
      out.error = "cannot connect: " + (c == beast::error::timeout
                                            ? "timed out after " + std::to_string(timeout.count()) + " ms"
                                            : c.message());
      return;
    }
    http::async_write(stream, req, [&](beast::error_code w, size_t) {
      if (w) {
        out.error = "cannot send the request: " + w.message();
        return;
      }
      http::async_read(stream, buffer, parser, [&](beast::error_code r, size_t) {
        if (r) {
          out.error = r == beast::error::timeout ? "timed out after " + std::to_string(timeout.count()) + " ms"
                                                 : "no answer: " + r.message();
          return;
        }
        out.status = static_cast<int>(parser.get().result_int());
        out.body = std::move(parser.get().body());
      });
    });
  });
  io.run();
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  if (out.status == 0 && out.error.empty()) out.error = "no answer";
  return out;
}

}  // namespace

Result<HttpSchemaRegistryClient::Response> HttpSchemaRegistryClient::Send(const std::string& method,
                                                                          const std::string& target,
                                                                          const std::string& body,
                                                                          const std::string& what) {
  size_t first;
  {
    std::lock_guard lock(mu_);
    first = preferred_;
  }
  std::string failures;
  for (size_t n = 0; n < endpoints_.size(); ++n) {
    const size_t i = (first + n) % endpoints_.size();
    const Endpoint& e = endpoints_[i];
    Exchange ex = SendOnce(e, method, target, body, timeout_);
    {
      std::lock_guard lock(mu_);
      ++requests_sent_;
      if (ex.status != 0) preferred_ = i;
    }
    if (ex.status != 0) return Response{ex.status, std::move(ex.body), e.url};
    failures += (failures.empty() ? "" : "; ") + e.url + ": " + ex.error;
    spdlog::warn("Schema Registry {}: {} {}: {}", e.url, method, target, ex.error);
  }
  return Status::IOError("Schema Registry unreachable: " + method + " " + target +
                         (what.empty() ? "" : " (" + what + ")") + ": " + failures);
}

Result<int> HttpSchemaRegistryClient::Register(const std::string& subject, SchemaType type, const std::string& text) {
  return RegisterWith(subject, type, text, {}, std::nullopt);
}

Result<int> HttpSchemaRegistryClient::RegisterWith(const std::string& subject, SchemaType type, const std::string& text,
                                                   const std::vector<SchemaReference>& references,
                                                   std::optional<int> given_id) {
  const bool plain = references.empty() && !given_id;  // what the cache below knows
  const auto key = std::make_tuple(subject, type, text);
  if (plain) {
    std::lock_guard lock(mu_);
    if (auto it = by_subject_text_.find(key); it != by_subject_text_.end()) return it->second;
  }
  json req{{"schema", text}};
  if (type != SchemaType::kAvro) req["schemaType"] = SchemaTypeName(type);  // older registries know no schemaType
  if (!references.empty()) {
    req["references"] = json::array();
    for (const SchemaReference& r : references)
      req["references"].push_back({{"name", r.name}, {"subject", r.subject}, {"version", r.version}});
  }
  if (given_id) req["id"] = *given_id;
  const std::string target = "/subjects/" + Encode(subject) + "/versions";
  const std::string what = "subject '" + subject + "'" + (given_id ? " at id " + std::to_string(*given_id) : "");
  auto res = Send("POST", target, req.dump(), what);
  if (!res.ok()) return res.status();
  if (res->status != 200) return ErrorFromResponse("POST", target, res->status, res->body, res->url, what);
  auto j = ParseBody(res->body, res->url, target);
  if (!j.ok()) return j.status();
  if (!j->is_object() || !(*j)["id"].is_number_integer())
    return Status::IOError("Schema Registry " + res->url + ": " + target + ": no id in " + res->body.substr(0, 200));
  const int id = (*j)["id"].get<int>();
  std::lock_guard lock(mu_);
  if (plain) by_subject_text_[key] = id;
  // Registering returns only the id: the schema by id is what was sent (the registry may store
  // another layout of it, which ById would fetch; the caller's text reads the same data).
  by_id_.try_emplace(id, RegisteredSchema{id, 0, "", type, text, references});
  return id;
}

Result<RegisteredSchema> HttpSchemaRegistryClient::ById(int id) {
  {
    std::lock_guard lock(mu_);
    if (auto it = by_id_.find(id); it != by_id_.end()) return it->second;
  }
  const std::string target = "/schemas/ids/" + std::to_string(id);
  const std::string what = "schema id " + std::to_string(id);
  auto res = Send("GET", target, "", what);
  if (!res.ok()) return res.status();
  if (res->status != 200) return ErrorFromResponse("GET", target, res->status, res->body, res->url, what);
  auto j = ParseBody(res->body, res->url, target);
  if (!j.ok()) return j.status();
  if (!j->is_object() || !(*j)["schema"].is_string())
    return Status::IOError("Schema Registry " + res->url + ": " + target + ": no schema in " + res->body.substr(0, 200));
  auto type = TypeOf(*j);
  if (!type.ok()) return type.status();
  RegisteredSchema s{id, 0, "", *type, (*j)["schema"].get<std::string>(), ReferencesOf(*j)};
  std::lock_guard lock(mu_);
  by_id_[id] = s;
  return s;
}

Result<RegisteredSchema> HttpSchemaRegistryClient::FetchVersion(const std::string& subject, const std::string& version) {
  const std::string target = "/subjects/" + Encode(subject) + "/versions/" + version;
  const std::string what = "subject '" + subject + "' version " + version;
  auto res = Send("GET", target, "", what);
  if (!res.ok()) return res.status();
  if (res->status != 200) return ErrorFromResponse("GET", target, res->status, res->body, res->url, what);
  auto j = ParseBody(res->body, res->url, target);
  if (!j.ok()) return j.status();
  if (!j->is_object() || !(*j)["schema"].is_string() || !(*j)["id"].is_number_integer() ||
      !(*j)["version"].is_number_integer())
    return Status::IOError("Schema Registry " + res->url + ": " + target + ": unexpected answer " + res->body.substr(0, 200));
  auto type = TypeOf(*j);
  if (!type.ok()) return type.status();
  RegisteredSchema s{(*j)["id"].get<int>(), (*j)["version"].get<int>(), subject, *type,
                     (*j)["schema"].get<std::string>(), ReferencesOf(*j)};
  std::lock_guard lock(mu_);
  by_id_.try_emplace(s.id, RegisteredSchema{s.id, 0, "", s.type, s.text, s.references});
  return s;
}

Result<RegisteredSchema> HttpSchemaRegistryClient::Latest(const std::string& subject) {
  return FetchVersion(subject, "latest");
}

Result<RegisteredSchema> HttpSchemaRegistryClient::Version(const std::string& subject, int version) {
  return FetchVersion(subject, version == -1 ? "latest" : std::to_string(version));
}

Result<std::vector<std::string>> HttpSchemaRegistryClient::Subjects() {
  auto res = Send("GET", "/subjects", "", "");
  if (!res.ok()) return res.status();
  if (res->status != 200) return ErrorFromResponse("GET", "/subjects", res->status, res->body, res->url, "");
  auto j = ParseBody(res->body, res->url, "/subjects");
  if (!j.ok()) return j.status();
  std::vector<std::string> out;
  for (const json& s : j->is_array() ? *j : json::array())
    if (s.is_string()) out.push_back(s.get<std::string>());
  return out;
}

namespace {
Result<std::vector<int>> IntList(const json& j, const std::string& url, const std::string& target) {
  if (!j.is_array()) return Status::IOError("Schema Registry " + url + ": " + target + ": expected a list, got " + j.dump().substr(0, 200));
  std::vector<int> out;
  for (const json& v : j)
    if (v.is_number_integer()) out.push_back(v.get<int>());
  return out;
}
}  // namespace

Result<std::vector<int>> HttpSchemaRegistryClient::Versions(const std::string& subject) {
  const std::string target = "/subjects/" + Encode(subject) + "/versions";
  const std::string what = "subject '" + subject + "'";
  auto res = Send("GET", target, "", what);
  if (!res.ok()) return res.status();
  if (res->status != 200) return ErrorFromResponse("GET", target, res->status, res->body, res->url, what);
  auto j = ParseBody(res->body, res->url, target);
  if (!j.ok()) return j.status();
  return IntList(*j, res->url, target);
}

namespace {
std::string ModeTarget(const std::string& subject) { return subject.empty() ? "/mode" : "/mode/" + Encode(subject); }
std::string ModeWhat(const std::string& subject) { return subject.empty() ? "global mode" : "mode of subject '" + subject + "'"; }

Result<RegistryMode> ModeFromBody(const std::string& body, const std::string& url, const std::string& target) {
  json j = json::parse(body, nullptr, false);
  if (!j.is_object() || !j.contains("mode") || !j["mode"].is_string())
    return Status::IOError("Schema Registry " + url + ": " + target + ": no mode in " + body.substr(0, 200));
  return ParseRegistryMode(j["mode"].get<std::string>());
}
}  // namespace

Result<RegistryMode> HttpSchemaRegistryClient::Mode(const std::string& subject, bool default_to_global) {
  const std::string target = ModeTarget(subject) + (default_to_global && !subject.empty() ? "?defaultToGlobal=true" : "");
  auto res = Send("GET", target, "", ModeWhat(subject));
  if (!res.ok()) return res.status();
  if (res->status != 200) return ErrorFromResponse("GET", target, res->status, res->body, res->url, ModeWhat(subject));
  return ModeFromBody(res->body, res->url, target);
}

Status HttpSchemaRegistryClient::SetMode(const std::string& subject, RegistryMode mode, bool force) {
  const std::string target = ModeTarget(subject) + (force ? "?force=true" : "");
  auto res = Send("PUT", target, json{{"mode", RegistryModeName(mode)}}.dump(), ModeWhat(subject));
  if (!res.ok()) return res.status();
  if (res->status != 200) return ErrorFromResponse("PUT", target, res->status, res->body, res->url, ModeWhat(subject));
  return Status::OK();
}

Result<RegistryMode> HttpSchemaRegistryClient::DeleteMode(const std::string& subject) {
  const std::string target = ModeTarget(subject);
  auto res = Send("DELETE", target, "", ModeWhat(subject));
  if (!res.ok()) return res.status();
  if (res->status != 200) return ErrorFromResponse("DELETE", target, res->status, res->body, res->url, ModeWhat(subject));
  return ModeFromBody(res->body, res->url, target);
}

// ksqlDB deletes a dropped source's subjects for good: a soft delete, then a permanent one.
Result<std::vector<int>> HttpSchemaRegistryClient::DeleteSubject(const std::string& subject) {
  const std::string target = "/subjects/" + Encode(subject);
  const std::string what = "subject '" + subject + "'";
  auto res = Send("DELETE", target, "", what);
  if (!res.ok()) return res.status();
  if (res->status != 200) return ErrorFromResponse("DELETE", target, res->status, res->body, res->url, what);
  auto j = ParseBody(res->body, res->url, target);
  if (!j.ok()) return j.status();
  auto versions = IntList(*j, res->url, target);
  if (!versions.ok()) return versions.status();
  auto hard = Send("DELETE", target + "?permanent=true", "", what);
  if (hard.ok() && hard->status != 200)
    spdlog::warn("{}", ErrorFromResponse("DELETE", target + "?permanent=true", hard->status, hard->body, hard->url, what).message());
  std::lock_guard lock(mu_);
  for (auto it = by_subject_text_.begin(); it != by_subject_text_.end();)
    it = std::get<0>(it->first) == subject ? by_subject_text_.erase(it) : std::next(it);
  return versions;
}

}  // namespace sluice
