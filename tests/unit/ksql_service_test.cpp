// POST /ksql entities for SHOW/LIST/DESCRIBE (server/ksql_service.*), against an in-memory
// engine: the field names and shapes ksqlDB's clients read.
#include <catch2/catch.hpp>

#include <set>

#include "server/ksql_service.h"

namespace ksql_service_test {  // this file's own names (unity build: tests/README.md)

using namespace sluice;
using nlohmann::json;

namespace {

struct Service {
  Engine engine{{}};
  KsqlService service{engine, {}, nullptr, nullptr, ServerIdentity{}};

  // The entities of a successful request.
  json Ok(const std::string& sql, json extra = json::object()) {
    extra["ksql"] = sql;
    HttpReply r = service.HandleKsql(extra.dump());
    INFO(sql << " -> " << r.body);
    REQUIRE(r.status == 200);
    return json::parse(r.body);
  }
  json One(const std::string& sql, json extra = json::object()) {
    json entities = Ok(sql, std::move(extra));
    REQUIRE(entities.size() == 1);
    return entities[0];
  }
  HttpReply Raw(const std::string& sql) { return service.HandleKsql(json{{"ksql", sql}}.dump()); }
};

void CreateSources(Service& s) {
  s.Ok("CREATE STREAM S (ID STRING KEY, V INT, TAGS ARRAY<STRING>) "
       "WITH (KAFKA_TOPIC='s_topic', VALUE_FORMAT='JSON', PARTITIONS=2);"
       "CREATE STREAM T AS SELECT * FROM S WHERE V > 1;");
}

}  // namespace

TEST_CASE("SHOW QUERIES lists persistent queries as ksqlDB's RunningQuery", "[ksql_service]") {
  Service s;
  REQUIRE(s.One("SHOW QUERIES;")["queries"].empty());
  CreateSources(s);
  json e = s.One("SHOW QUERIES;");
  CHECK(e["@type"] == "queries");
  CHECK(e["statementText"] == "SHOW QUERIES;");
  REQUIRE(e["queries"].size() == 1);
  json q = e["queries"][0];
  CHECK(q["id"] == "CSAS_T_0");
  CHECK(q["sinks"] == json::array({"T"}));
  CHECK(q["sinkKafkaTopics"] == json::array({"T"}));
  CHECK(q["queryType"] == "PERSISTENT");
  CHECK(q["state"] == "RUNNING");
  CHECK(q["statusCount"] == json{{"RUNNING", 1}});
  CHECK(q["queryString"].get<std::string>().find("CREATE STREAM T AS SELECT") == 0);

  json ext = s.One("SHOW QUERIES EXTENDED;");
  CHECK(ext["@type"] == "query_descriptions");
  REQUIRE(ext["queryDescriptions"].size() == 1);
  CHECK(ext["queryDescriptions"][0]["id"] == "CSAS_T_0");
  CHECK(ext["queryDescriptions"][0]["sinks"] == json::array({"T"}));

  s.Ok("TERMINATE CSAS_T_0;");
  CHECK(s.One("LIST QUERIES;")["queries"].empty());
}

TEST_CASE("DESCRIBE answers a sourceDescription with fields, queries, topic and formats", "[ksql_service]") {
  Service s;
  CreateSources(s);
  json e = s.One("DESCRIBE S;");
  CHECK(e["@type"] == "sourceDescription");
  json d = e["sourceDescription"];
  CHECK(d["name"] == "S");
  CHECK(d["type"] == "STREAM");
  CHECK(d["topic"] == "s_topic");
  CHECK(d["keyFormat"] == "KAFKA");
  CHECK(d["valueFormat"] == "JSON");
  CHECK(d["extended"] == false);
  CHECK(d["windowType"].is_null());
  CHECK(d["partitions"] == 0);  // as ksqlDB: looked up only for EXTENDED
  CHECK(d["statement"].get<std::string>().find("CREATE STREAM S") == 0);
  REQUIRE(d["fields"].size() == 3);
  CHECK(d["fields"][0]["name"] == "ID");
  CHECK(d["fields"][0]["schema"]["type"] == "STRING");
  CHECK(d["fields"][0]["type"] == "KEY");
  CHECK(d["fields"][1]["name"] == "V");
  CHECK(d["fields"][1]["schema"]["type"] == "INTEGER");
  CHECK_FALSE(d["fields"][1].contains("type"));
  CHECK(d["fields"][2]["schema"]["type"] == "ARRAY");
  CHECK(d["fields"][2]["schema"]["memberSchema"]["type"] == "STRING");
  REQUIRE(d["readQueries"].size() == 1);
  CHECK(d["readQueries"][0]["id"] == "CSAS_T_0");
  CHECK(d["writeQueries"].empty());
  for (const char* key : {"statistics", "errorStats", "timestamp"}) CHECK(d[key].is_string());

  CHECK(s.One("DESCRIBE EXTENDED T;")["sourceDescription"]["extended"] == true);  // the older word order
  json t = s.One("DESCRIBE T EXTENDED;")["sourceDescription"];                  // ksqlDB's
  CHECK(t["extended"] == true);
  CHECK(t["partitions"] == 2);
  CHECK(t["replication"] == 1);
  REQUIRE(t["writeQueries"].size() == 1);
  CHECK(t["writeQueries"][0]["id"] == "CSAS_T_0");
  CHECK(t["readQueries"].empty());

  json all = s.One("DESCRIBE STREAMS;");
  CHECK(all["@type"] == "source_descriptions");
  CHECK(all["sourceDescriptions"].size() == 2);
  CHECK(s.One("DESCRIBE TABLES;")["sourceDescriptions"].empty());
  json listed = s.One("SHOW STREAMS EXTENDED;");  // as ksqlDB: descriptions, not the short list
  CHECK(listed["@type"] == "source_descriptions");
  REQUIRE(listed["sourceDescriptions"].size() == 2);
  CHECK(listed["sourceDescriptions"][0]["extended"] == true);
  CHECK(s.One("SHOW STREAMS;")["streams"].size() == 2);

  HttpReply missing = s.Raw("DESCRIBE NOPE;");
  CHECK(missing.status == 400);
  json err = json::parse(missing.body);
  CHECK(err["@type"] == "statement_error");
  CHECK(err["message"].get<std::string>().find("Could not find STREAM/TABLE 'NOPE'") != std::string::npos);
}

TEST_CASE("SHOW PROPERTIES lists server properties and the request's overrides", "[ksql_service]") {
  Service s;
  json e = s.One("SHOW PROPERTIES;", {{"streamsProperties", {{"ksql.streams.auto.offset.reset", "earliest"}}}});
  CHECK(e["@type"] == "properties");
  bool found = false;
  for (const json& p : e["properties"]) {
    REQUIRE(p.contains("scope"));
    if (p["name"] == "ksql.streams.auto.offset.reset") {
      found = true;
      CHECK(p["value"] == "earliest");
      CHECK(p["scope"] == "STREAMS");
    }
  }
  CHECK(found);
  CHECK(e["overwrittenProperties"] == json::array({"ksql.streams.auto.offset.reset"}));
  CHECK(e["properties"].size() > 5);  // the table's defaults are there too
  CHECK_FALSE(e["defaultProperties"].empty());
  // The override lasted for that request only.
  CHECK(s.One("SHOW PROPERTIES;")["overwrittenProperties"].empty());
}

TEST_CASE("SHOW FUNCTIONS, DESCRIBE FUNCTION, SHOW TOPICS, TYPES and VARIABLES", "[ksql_service]") {
  Service s;
  CreateSources(s);
  json f = s.One("SHOW FUNCTIONS;");
  CHECK(f["@type"] == "function_names");
  bool abs = false;
  for (const json& fn : f["functions"]) abs = abs || fn["name"] == "ABS";
  CHECK(abs);
  json d = s.One("DESCRIBE FUNCTION abs;");
  CHECK(d["@type"] == "describe_function");
  CHECK(d["name"] == "ABS");
  CHECK_FALSE(d["functions"].empty());
  CHECK(s.Raw("DESCRIBE FUNCTION no_such_fn;").status == 400);

  json topics = s.One("SHOW TOPICS;");
  CHECK(topics["@type"] == "kafka_topics");
  bool s_topic = false;
  for (const json& t : topics["topics"]) {
    CHECK(t["name"].get<std::string>()[0] != '_');
    if (t["name"] == "s_topic") s_topic = true;
    CHECK(t["replicaInfo"].is_array());
  }
  CHECK(s_topic);
  json ext = s.One("SHOW TOPICS EXTENDED;");
  CHECK(ext["@type"] == "kafka_topics_extended");
  REQUIRE_FALSE(ext["topics"].empty());
  CHECK(ext["topics"][0].contains("consumerGroupCount"));

  s.Ok("CREATE TYPE ADDRESS AS STRUCT<STREET STRING, NUMBER INT>;");
  json types = s.One("SHOW TYPES;");
  CHECK(types["@type"] == "type_list");
  CHECK(types["types"]["ADDRESS"]["type"] == "STRUCT");
  CHECK(types["types"]["ADDRESS"]["fields"].size() == 2);

  json vars = s.One("SHOW VARIABLES;", {{"sessionVariables", {{"region", "eu"}}}});
  CHECK(vars["@type"] == "variables");
  REQUIRE(vars["variables"].size() == 1);
  CHECK(vars["variables"][0]["value"] == "eu");
  CHECK(s.One("SHOW VARIABLES;")["variables"].empty());  // session variables last one request
}

TEST_CASE("SHOW PROPERTIES tells the server's values from the defaults", "[ksql_service]") {
  Engine engine{{}};
  // What sluiced hands the service: every property, defaults included.
  KsqlService service{engine,
                      {{"ksql.internal.topic.replicas", "1"}, {"ksql.persistent.prefix", "custom_"}},
                      nullptr, nullptr, ServerIdentity{}};
  json e = json::parse(service.HandleKsql(R"({"ksql": "SHOW PROPERTIES;"})").body)[0];
  std::set<std::string> defaults = e["defaultProperties"].get<std::set<std::string>>();
  CHECK(defaults.count("ksql.internal.topic.replicas") == 1);
  CHECK(defaults.count("ksql.persistent.prefix") == 0);
  for (const json& p : e["properties"])
    if (p["name"] == "ksql.persistent.prefix") CHECK(p["value"] == "custom_");
}

}  // namespace ksql_service_test
