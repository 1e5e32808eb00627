// server/auth_basic: HTTP Basic authentication against a Jetty-style password file (plain,
// OBF:, MD5:, CRYPT: passwords, roles), ksqlDB's unauthenticated paths, its error bodies; the
// websocket endpoint's request parsing helpers.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "server/auth_basic.h"
#include "server/http_exchange.h"
#include "server/websocket_query.h"
#include "server/websocket_session.h"

namespace auth_basic_test {  // this file's own names (unity build: tests/README.md)

using namespace sluice;

namespace {

// "Basic base64(user:password)" for the few credentials below, written out by hand.
const char* kFredLetmein = "Basic ZnJlZDpsZXRtZWlu";  // fred:letmein
const char* kFredWrong = "Basic ZnJlZDpsZXRtZWlO";    // fred:letmeiN
const char* kHarryChangeme = "Basic aGFycnk6Y2hhbmdlbWU=";  // harry:changeme
const char* kTomLetmein = "Basic dG9tOmxldG1laW4=";      // tom:letmein
const char* kDickLetmein = "Basic ZGljazpsZXRtZWlu";     // dick:letmein
const char* kNobody = "Basic bm9ib2R5OmxldG1laW4=";      // nobody:letmein

// Passwords as Jetty's Password tool writes "letmein" (ksqlDB's security docs).
const char* kPasswords =
    "# users\n"
    "fred: OBF:1w8t1tvf1w261w8v1w1c1tvn1w8x,user,admin\n"
    "harry: changeme,user,developer\n"
    "tom: MD5:0d107d09f5bbe40cade3de5c71e9e9b7,user\n"
    "dick: CRYPT:frd5btY/mvXo6,admin,ksql-user\n";

std::unique_ptr<BasicAuthenticator> Make(std::vector<std::string> roles, std::vector<std::string> skip = {}) {
  auto auth = BasicAuthenticator::Create(kPasswords, "KsqlServer-Props", std::move(roles), std::move(skip));
  REQUIRE(auth.ok());
  return std::move(*auth);
}

}  // namespace

TEST_CASE("Jetty's OBF: passwords decode", "[auth]") {
  CHECK(BasicAuthenticator::Deobfuscate("OBF:1w8t1tvf1w261w8v1w1c1tvn1w8x") == std::optional<std::string>("letmein"));
  CHECK_FALSE(BasicAuthenticator::Deobfuscate("OBF:1w8"));
  CHECK_FALSE(BasicAuthenticator::Deobfuscate("OBF:1w8!"));
}

TEST_CASE("Basic credentials are checked against every password form", "[auth]") {
  auto auth = Make({"*"});
  CHECK(auth->users() == 4);
  CHECK_FALSE(auth->Check("/ksql", kFredLetmein));       // OBF:
  CHECK_FALSE(auth->Check("/ksql", kHarryChangeme));     // plain
  CHECK_FALSE(auth->Check("/ksql", kTomLetmein));        // MD5:
  CHECK_FALSE(auth->Check("/ksql", kDickLetmein));       // CRYPT:
  CHECK_FALSE(auth->Check("/query", "basic ZnJlZDpsZXRtZWlu"));  // the scheme is case-insensitive

  for (const char* bad : {kFredWrong, kNobody, "", "Bearer abc", "Basic ", "Basic Og=="}) {
    auto denial = auth->Check("/info", bad);
    REQUIRE(denial);
    CHECK(denial->status == 401);
    CHECK(denial->www_authenticate == "Basic realm=\"KsqlServer-Props\"");
    CHECK(nlohmann::json::parse(denial->body) ==
          nlohmann::json{{"@type", "generic_error"}, {"error_code", 40100}, {"message", "Unauthorized"}});
  }
  auto malformed = auth->Check("/info", "Basic !!!");
  REQUIRE(malformed);
  CHECK(malformed->status == 400);
  CHECK(malformed->body.find("Malformed authorization header") != std::string::npos);
}

TEST_CASE("Roles and unauthenticated paths", "[auth]") {
  auto admins = Make({"admin"}, {"/metrics", "/debug/*"});
  CHECK_FALSE(admins->Check("/ksql", kFredLetmein));
  CHECK_FALSE(admins->Check("/ksql", kDickLetmein));
  auto forbidden = admins->Check("/ksql", kHarryChangeme);
  REQUIRE(forbidden);
  CHECK(forbidden->status == 403);
  CHECK(forbidden->body.find("40300") != std::string::npos);
  // ksqlDB's open paths and the configured ones need nothing; others still do.
  for (const char* open : {"/healthcheck", "/v1/metadata", "/v1/metadata/id", "/metrics", "/debug/a/b"})
    CHECK_FALSE(admins->Check(open, ""));
  CHECK(admins->Check("/info", ""));
  CHECK(admins->Check("/healthcheck/x", ""));
  CHECK(admins->Check("/metricsx", ""));
  auto nobody = Make({});  // no role allowed: everyone is forbidden
  CHECK(nobody->Check("/ksql", kFredLetmein)->status == 403);
}

TEST_CASE("Bad password files are refused", "[auth]") {
  CHECK_FALSE(BasicAuthenticator::Create("", "", {"*"}, {}).ok());
  CHECK_FALSE(BasicAuthenticator::Create("fred:\n", "", {"*"}, {}).ok());
  CHECK_FALSE(BasicAuthenticator::Create("fred: MD5:abc\n", "", {"*"}, {}).ok());
  CHECK_FALSE(BasicAuthenticator::Create("fred: OBF:zz\n", "", {"*"}, {}).ok());
}

TEST_CASE("Websocket query parameters and close reasons", "[websocket]") {
  CHECK(PercentDecode("a%20b+c%2B", true) == "a b c+");
  CHECK(PercentDecode("%60S%60/a+b") == "`S`/a+b");
  CHECK(QueryParam("request=%7B%22ksql%22%7D&version=1", "request") == std::optional<std::string>("{\"ksql\"}"));
  CHECK(QueryParam("request=x&version=1", "version") == std::optional<std::string>("1"));
  CHECK_FALSE(QueryParam("request=x", "version"));
  CHECK(TruncateCloseReason("done") == "done");
  std::string long_reason(200, 'x');
  CHECK(TruncateCloseReason(long_reason).size() == 123);
  CHECK(TruncateCloseReason(long_reason).substr(120) == "...");
  auto schema = SchemaInfoFromTypeText("ARRAY<STRUCT<`A` INTEGER>>");
  CHECK(schema["type"] == "ARRAY");
  CHECK(schema["memberSchema"]["type"] == "STRUCT");
  CHECK(schema["memberSchema"]["fields"][0]["name"] == "A");
}

TEST_CASE("https listeners and the security properties validate", "[auth]") {
  std::vector<std::string> warnings;
  auto build = [&](std::vector<std::pair<std::string, std::string>> entries) {
    return ServerConfig::Build(entries, {}, &warnings);
  };
  CHECK(build({{"listeners", "http://127.0.0.1:8088,https://0.0.0.0:8443"}}).ok());
  auto bad = build({{"listeners", "ftp://0.0.0.0:8443"}});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("configuration listeners") != std::string::npos);
  auto jks = build({{"ssl.keystore.type", "JKS"}});
  REQUIRE_FALSE(jks.ok());
  CHECK(jks.status().message().find("ssl.keystore.type") != std::string::npos);
  CHECK_FALSE(build({{"authentication.method", "DIGEST"}}).ok());
  CHECK_FALSE(build({{"ssl.enabled.protocols", "TLSv1.1"}}).ok());
  CHECK(build({{"authentication.method", "BASIC"}, {"ssl.enabled.protocols", "TLSv1.3"}}).ok());
  // BASIC without a password file is refused when the authenticator is made (start-up).
  auto config = build({{"authentication.method", "BASIC"}});
  REQUIRE(config.ok());
  auto auth = BasicAuthenticator::FromConfig(*config);
  REQUIRE_FALSE(auth.ok());
  CHECK(auth.status().message().find("sluice.authentication.password.file") != std::string::npos);
  CHECK(BasicAuthenticator::FromConfig(ServerConfig::Defaults()).ok());  // NONE: no authenticator
}

}  // namespace auth_basic_test
