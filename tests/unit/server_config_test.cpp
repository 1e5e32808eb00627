// engine/config: Java-properties parsing, the property table's validation, environment
// overrides and pass-through of Kafka client settings.
#include <catch2/catch.hpp>

#include "engine/config/server_config.h"

namespace server_config_test {  // this file's own names (unity build: tests/README.md)

using namespace sluice;

namespace {

std::map<std::string, std::string> Parse(const std::string& text) {
  auto entries = ParseJavaProperties(text);
  REQUIRE(entries.ok());
  std::map<std::string, std::string> out;
  for (auto& [k, v] : *entries) out[k] = v;
  return out;
}

Result<ServerConfig> BuildFrom(const std::string& text, std::vector<std::string> env = {},
                               std::vector<std::string>* warnings = nullptr) {
  auto entries = ParseJavaProperties(text);
  REQUIRE(entries.ok());
  return ServerConfig::Build(*entries, env, warnings);
}

}  // namespace

TEST_CASE("Java properties: separators, comments, escapes, continuations", "[config]") {
  auto p = Parse(
      "# comment\n"
      "! also a comment\n"
      "   \n"
      "a=1\n"
      "b : two\n"
      "c   three words  \n"
      "d=\n"
      "e\n"
      "key\\ with\\ spaces=x\\ty\n"
      "colon\\:key=v\n"
      "uni=caf\\u00e9\n"
      "long=first, \\\n"
      "      second, \\\n"
      "  third\n"
      "not\\\\continued=end\\\\\n"
      "after=ok\r\n"
      "a=overridden\n");
  CHECK(p["a"] == "overridden");  // later duplicates win
  CHECK(p["b"] == "two");
  CHECK(p["c"] == "three words  ");
  CHECK(p["d"].empty());
  CHECK(p.count("e") == 1);
  CHECK(p["key with spaces"] == "x\ty");
  CHECK(p["colon:key"] == "v");
  CHECK(p["uni"] == "caf\xc3\xa9");
  CHECK(p["long"] == "first, second, third");
  CHECK(p["not\\continued"] == "end\\");
  CHECK(p["after"] == "ok");

  auto bad = ParseJavaProperties("ok=1\n\nbad=\\u12x4\n");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message() == "line 3: Malformed \\uxxxx encoding.");
}

TEST_CASE("Config: defaults, types and validators name the property", "[config]") {
  ServerConfig defaults = ServerConfig::Defaults();
  CHECK(defaults.Get("listeners") == "http://0.0.0.0:8088");
  CHECK(defaults.Get("ksql.service.id") == "default_");
  CHECK(defaults.GetLong("ksql.streams.num.stream.threads") == 4);
  CHECK(defaults.Get("processing.guarantee") == "at_least_once");
  CHECK(defaults.Get("bootstrap.servers").empty());
  for (const PropertyDef& d : ServerPropertyDefs())
    if (!d.default_value.empty()) CHECK(ValidateProperty(d.name, d.default_value).ok());

  auto threads = BuildFrom("ksql.streams.num.stream.threads=many\n");
  REQUIRE_FALSE(threads.ok());
  CHECK(threads.status().message() ==
        "Invalid value many for configuration ksql.streams.num.stream.threads: Not a number of type INT");
  auto zero = BuildFrom("ksql.streams.num.stream.threads=0\n");
  REQUIRE_FALSE(zero.ok());
  CHECK(zero.status().message().find("Value must be at least 1") != std::string::npos);
  auto guarantee = BuildFrom("processing.guarantee=twice\n");
  REQUIRE_FALSE(guarantee.ok());
  CHECK(guarantee.status().message().find("processing.guarantee") != std::string::npos);
  auto listeners = BuildFrom("listeners=localhost:8088\n");
  REQUIRE_FALSE(listeners.ok());
  CHECK(listeners.status().message().find("configuration listeners") != std::string::npos);
  CHECK(BuildFrom("listeners=http://127.0.0.1:9000, http://[::1]:9001\n").ok());
  auto boolean = BuildFrom("ksql.fail.on.deserialization.error=yes\n");
  REQUIRE_FALSE(boolean.ok());
  CHECK(boolean.status().message().find("ksql.fail.on.deserialization.error") != std::string::npos);

  auto ok = BuildFrom("processing.guarantee=exactly_once_v2\nksql.service.id=svc_\n");
  REQUIRE(ok.ok());
  CHECK(ok->Get("ksql.streams.processing.guarantee") == "exactly_once_v2");
  CHECK(ok->Get("ksql.service.id") == "svc_");
}

TEST_CASE("Config: environment overrides as ksqlDB's docker images", "[config]") {
  CHECK(PropertyNameFromEnv("KSQL_BOOTSTRAP_SERVERS") == "bootstrap.servers");
  CHECK(PropertyNameFromEnv("KSQL_KSQL_SERVICE_ID") == "ksql.service.id");
  CHECK(PropertyNameFromEnv("KSQL_KSQL_STREAMS_NUM_STREAM_THREADS") == "ksql.streams.num.stream.threads");
  CHECK(PropertyNameFromEnv("KSQL_SOME__NAME___X") == "some_name-x");
  CHECK(PropertyNameFromEnv("KSQL_HEAP_OPTS").empty());
  CHECK(PropertyNameFromEnv("KSQL_CLASSPATH").empty());
  CHECK(PropertyNameFromEnv("PATH").empty());

  auto config = BuildFrom("bootstrap.servers=file:9092\nksql.service.id=from_file\n",
                          {"KSQL_BOOTSTRAP_SERVERS=env:9092", "HOME=/root", "KSQL_OPTS=-Xmx1g"});
  REQUIRE(config.ok());
  CHECK(config->Get("bootstrap.servers") == "env:9092");
  CHECK(config->Get("ksql.service.id") == "from_file");
  auto bad_env = BuildFrom("", {"KSQL_KSQL_STREAMS_COMMIT_INTERVAL_MS=soon"});
  REQUIRE_FALSE(bad_env.ok());
  CHECK(bad_env.status().message().find("ksql.streams.commit.interval.ms") != std::string::npos);
}

TEST_CASE("Config: Kafka settings pass through, unknown names are warned about", "[config]") {
  std::vector<std::string> warnings;
  auto config = BuildFrom(
      "bootstrap.servers=b:9092\n"
      "linger.ms=7\n"
      "ksql.streams.fetch.min.bytes=10\n"
      "ksql.streams.producer.batch.num.messages=500\n"
      "ksql.streams.consumer.fetch.wait.max.ms=50\n"
      "ksql.streams.topology.optimization=all\n"
      "no.such.property=1\n",
      {}, &warnings);
  REQUIRE(config.ok());
  auto common = config->KafkaClientProperties();
  CHECK(common["bootstrap.servers"] == "b:9092");
  CHECK(common["linger.ms"] == "7");
  CHECK(common["fetch.min.bytes"] == "10");
  CHECK(common.count("batch.num.messages") == 0);
  CHECK(config->KafkaClientProperties("producer")["batch.num.messages"] == "500");
  CHECK(config->KafkaClientProperties("consumer")["fetch.wait.max.ms"] == "50");
  CHECK(common.count("ksql.streams.num.stream.threads") == 0);
  REQUIRE(warnings.size() == 2);
  CHECK(warnings[0].find("ksql.streams.topology.optimization") != std::string::npos);
  CHECK(warnings[1].find("no.such.property") != std::string::npos);

  auto bad = BuildFrom("ksql.streams.linger.ms=later\n");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("configuration ksql.streams.linger.ms") != std::string::npos);
}

TEST_CASE("Config: the sample file lists every property, commented out", "[config]") {
  std::string sample = RenderSampleProperties();
  CHECK(Parse(sample).empty());  // nothing active
  for (const PropertyDef& d : ServerPropertyDefs())
    CHECK(sample.find("\n#" + d.name + "=" + d.default_value + "\n") != std::string::npos);
}

}  // namespace server_config_test
