// The CLI's pieces without a server (cli/): statement splitting, the /query stream parser,
// tables, type and schema text.
#include <catch2/catch.hpp>

#include <sstream>

#include "cli/render.h"
#include "cli/rest_client.h"
#include "cli/shell.h"

namespace cli_test {  // this file's own names (unity build: tests/README.md)

using namespace sluice::cli;
using nlohmann::json;

TEST_CASE("StatementBuffer ends statements at ';' outside quotes and comments", "[cli]") {
  StatementBuffer b;
  CHECK(b.AddLine("CREATE STREAM S (A STRING)").empty());
  CHECK_FALSE(b.empty());
  auto done = b.AddLine("  WITH (kafka_topic='a;b', value_format='JSON');  SELECT 1");
  REQUIRE(done.size() == 1);
  CHECK(done[0] == "CREATE STREAM S (A STRING)\n  WITH (kafka_topic='a;b', value_format='JSON');");
  done = b.AddLine("FROM S; -- trailing; comment");
  REQUIRE(done.size() == 1);
  CHECK(done[0] == "SELECT 1\nFROM S;");
  CHECK(b.empty());
  CHECK(b.AddLine("/* a; */ LIST STREAMS;").size() == 1);
  CHECK(b.AddLine("SELECT `x;y`, \"q;\" FROM T;").size() == 1);
  CHECK(b.AddLine("INSERT INTO S VALUES ('it''s; ok');").size() == 1);
  CHECK(b.AddLine("A; B; C").size() == 2);
  CHECK_FALSE(b.empty());
}

TEST_CASE("JsonArrayStream splits a /query response whatever the chunk boundaries", "[cli]") {
  const std::string body =
      "[{\"header\":{\"queryId\":\"q\",\"schema\":\"`A` STRING\"}},\n"
      "{\"row\":{\"columns\":[\"x]}{\\\"\",1]}},\n"
      "{\"finalMessage\":\"Limit Reached\"}]\n";
  for (size_t cut = 1; cut < body.size(); cut += 7) {
    JsonArrayStream s;
    auto a = s.Feed(body.substr(0, cut));
    auto b = s.Feed(body.substr(cut));
    a.insert(a.end(), b.begin(), b.end());
    REQUIRE(a.size() == 3);
    CHECK(json::parse(a[1])["row"]["columns"][0] == "x]}{\"");
    CHECK(json::parse(a[2])["finalMessage"] == "Limit Reached");
  }
}

TEST_CASE("Query header schema text gives the column names", "[cli]") {
  CHECK(SchemaColumnNames("`ID` STRING KEY, `V` MAP<STRING, INTEGER>, `S` STRUCT<`A` INT, `B` DECIMAL(4, 2)>") ==
        std::vector<std::string>{"ID", "V", "S"});
  CHECK(SchemaColumnNames("`we``ird` INT") == std::vector<std::string>{"we`ird"});
  CHECK(SchemaColumnNames("A INT, B STRING") == std::vector<std::string>{"A", "B"});
}

TEST_CASE("Tables are sized to their content; query tables wrap long values", "[cli]") {
  std::string t = Table({"Name", "Topic"}, {{"S", "a_long_topic"}, {"LONGER_NAME", "t"}});
  CHECK(t ==
        " Name        | Topic\n"
        "----------------------------\n"
        " S           | a_long_topic\n"
        " LONGER_NAME | t\n"
        "----------------------------\n");
  QueryTable q({"A", "B"}, 25);  // (25 - 3) / 2 = 11 per column
  CHECK(q.Header() == "+-----------+-----------+\n|A          |B          |\n+-----------+-----------+\n");
  CHECK(q.Row({"0123456789abc", "x"}) == "|0123456789a|x          |\n|bc         |           |\n");
}

TEST_CASE("Entities render as ksqlDB's CLI prints them", "[cli]") {
  json status = {{"@type", "currentStatus"}, {"commandStatus", {{"status", "SUCCESS"}, {"message", "Stream created"}}}};
  CHECK(RenderEntity(status) == " Message\n----------------\n Stream created\n----------------\n");
  json desc = {{"@type", "sourceDescription"},
               {"sourceDescription",
                {{"name", "S"}, {"extended", false},
                 {"fields", {{{"name", "ID"}, {"schema", {{"type", "STRING"}}}, {"type", "KEY"}},
                             {{"name", "M"}, {"schema", {{"type", "MAP"}, {"memberSchema", {{"type", "INTEGER"}}}}}}}}}}};
  std::string out = RenderEntity(desc);
  CHECK(out.find("Name                 : S\n") == 0);
  CHECK(out.find(" ID    | VARCHAR(STRING)  (key)\n") != std::string::npos);
  CHECK(out.find(" M     | MAP<STRING, INTEGER>\n") != std::string::npos);
  json queries = {{"@type", "queries"},
                 {"queries", {{{"id", "CSAS_T_0"}, {"queryType", "PERSISTENT"}, {"statusCount", {{"RUNNING", 1}}},
                               {"sinks", {"T"}}, {"sinkKafkaTopics", {"t"}}, {"queryString", "CREATE STREAM T\nAS SELECT"}}}}};
  CHECK(RenderEntity(queries).find(" CSAS_T_0 | PERSISTENT | RUNNING:1 | T         | t                | CREATE STREAM T AS SELECT\n") !=
        std::string::npos);
  json types = {{"@type", "type_list"}, {"types", {{"ADDR", {{"type", "STRUCT"}, {"fields", {{{"name", "S"}, {"schema", {{"type", "STRING"}}}}}}}}}}};
  CHECK(RenderEntity(types).find(" ADDR      | STRUCT<S VARCHAR(STRING)>\n") != std::string::npos);
  CHECK(FormatSchema({{"type", "DECIMAL"}, {"parameters", {{"precision", 4}, {"scale", 2}}}}) == "DECIMAL(4, 2)");
  CHECK(RenderError(400, R"({"@type":"statement_error","message":"boom","entities":[]})") == "boom\n");
  CHECK(RenderError(502, "bad gateway") == "Server responded with status 502: bad gateway\n");
  CHECK(FormatValue(nullptr) == "<null>");
  CHECK(FormatValue("s") == "s");
  CHECK(FormatValue(json{{"a", 1}}) == "{\"a\":1}");
}

TEST_CASE("Server addresses", "[cli]") {
  std::string error;
  auto u = ParseServerUrl("http://127.0.0.1:9000", &error);
  REQUIRE(u);
  CHECK(u->host == "127.0.0.1");
  CHECK(u->port == "9000");
  CHECK(ParseServerUrl("myhost", &error)->port == "8088");
  CHECK(ParseServerUrl("https://x:1", &error)->scheme == "https");
  CHECK_FALSE(ParseServerUrl("ftp://x:1", &error));
  CHECK_FALSE(ParseServerUrl("http://x:abc", &error));
}

TEST_CASE("SET/DEFINE stay in the CLI and a server that is down is a clear error", "[cli]") {
  std::string error;
  // Port 1 on loopback: nothing listens there.
  Shell shell{RestClient(*ParseServerUrl("http://127.0.0.1:1", &error))};
  std::ostringstream out, err;
  shell.set_output(out, err);
  CHECK(shell.Execute("SET 'auto.offset.reset' = 'earliest';"));
  CHECK(out.str() == "Successfully changed local property 'auto.offset.reset' to 'earliest'. "
                     "Use the UNSET command to revert your change.\n");
  CHECK(shell.Execute("DEFINE region = 'it''s';"));
  CHECK(shell.properties().at("auto.offset.reset") == "earliest");
  CHECK(shell.variables().at("region") == "it's");
  CHECK(shell.Execute("UNSET 'auto.offset.reset';"));
  CHECK(shell.properties().empty());
  CHECK(shell.Execute("UNDEFINE region;"));
  CHECK(shell.variables().empty());
  CHECK_FALSE(shell.Execute("UNSET 'never.set';"));
  CHECK(err.str() == "Property 'never.set' is not set.\n");
  CHECK_FALSE(shell.Execute("LIST STREAMS;"));
  CHECK(err.str().find("Could not reach the server at http://127.0.0.1:1: Connection refused") != std::string::npos);
  CHECK(shell.Execute("output JSON"));
  CHECK(out.str().find("Output format: JSON\n") != std::string::npos);
  CHECK_FALSE(shell.CheckServer(nullptr).empty());
}

}  // namespace cli_test
