// The processing log's records (engine/kafka/processing_log.h): task entries classified as
// ksqlDB's message types, the JSON shape of ProcessingLogMessageSchema, and the
// KSQL_PROCESSING_LOG stream reading those records back through the engine.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "engine/kafka/processing_log.h"
#include "engine/runtime/test_driver.h"
#include "tests/unit/test_util.h"

namespace processing_log_test {  // this file's own names (unity build: tests/README.md)

using namespace sluice;
using namespace sluice::testing;
using json = nlohmann::json;

namespace {

KafkaRecord Input(std::optional<std::string> key, std::optional<std::string> value) {
  KafkaRecord r;
  r.topic = "events";
  r.partition = 2;
  r.offset = 17;
  r.key = std::move(key);
  r.value = std::move(value);
  return r;
}

}  // namespace

TEST_CASE("Processing log: task entries classified as ksqlDB's message types", "[processing_log]") {
  auto e = ClassifyProcessingLogEntry(
      "query CSAS_OUT_0, topic events, partition 2, offset 17: Failed to deserialize value: bad JSON: x");
  CHECK(e.type == ProcessingLogType::kDeserialization);
  CHECK(e.target == "value");
  CHECK(e.detail == "bad JSON: x");

  e = ClassifyProcessingLogEntry("query Q, topic t, partition 0, offset 3: Failed to deserialize key: short");
  CHECK(e.type == ProcessingLogType::kDeserialization);
  CHECK(e.target == "key");
  CHECK(e.detail == "short");

  e = ClassifyProcessingLogEntry("query Q, topic t, partition 0, offset 3: Failed to serialize value: too big");
  CHECK(e.type == ProcessingLogType::kSerialization);
  CHECK(e.target == "value");

  // A reason that merely contains a colon stays whole.
  e = ClassifyProcessingLogEntry("query Q, topic t, partition 1, offset 9: Error evaluating WHERE: division by zero");
  CHECK(e.type == ProcessingLogType::kRecordProcessing);
  CHECK(e.what == "Error evaluating WHERE: division by zero");
  CHECK(ClassifyProcessingLogEntry("query Q: repartition record of unexpected width").what ==
        "repartition record of unexpected width");
}

TEST_CASE("Processing log: record JSON has ksqlDB's shape, location in the message", "[processing_log]") {
  const KafkaRecord in = Input("k1", std::string("\xff{oops", 6));
  const auto e = ClassifyProcessingLogEntry(
      "query CSAS_OUT_0, topic events, partition 2, offset 17: Failed to deserialize value: not JSON");

  auto j = json::parse(ProcessingLogRecordJson("CSAS_OUT_0", e, in, "OUT", /*include_rows=*/false, 1234));
  CHECK(j["level"] == "ERROR");
  CHECK(j["logger"] == "processing.CSAS_OUT_0.KsqlTopic.Source.deserializer");
  CHECK(j["time"] == 1234);
  const auto& m = j["message"];
  CHECK(m["type"] == 0);
  for (const char* other : {"recordProcessingError", "productionError", "serializationError", "kafkaStreamsThreadError"})
    CHECK(m[other].is_null());
  const auto& d = m["deserializationError"];
  CHECK(d["target"] == "value");
  CHECK(d["topic"] == "events");
  CHECK(d["recordB64"].is_null());  // rows.include=false
  CHECK(d["cause"] == json::array({"not JSON"}));
  const std::string msg = d["errorMessage"];
  CHECK(msg.find("Failed to deserialize value from topic: events") == 0);
  CHECK(msg.find("partition 2, offset 17") != std::string::npos);

  // rows.include: the record's bytes in base64 ("\xff{oops" -> "/3tvb3Bz").
  j = json::parse(ProcessingLogRecordJson("CSAS_OUT_0", e, in, "OUT", /*include_rows=*/true, 1234));
  CHECK(j["message"]["deserializationError"]["recordB64"] == "/3tvb3Bz");

  // An evaluation error is a recordProcessingError (type 1).
  const auto p = ClassifyProcessingLogEntry("query Q, topic events, partition 2, offset 17: Error evaluating WHERE: x");
  j = json::parse(ProcessingLogRecordJson("Q", p, in, "OUT", false, 1));
  CHECK(j["message"]["type"] == 1);
  CHECK(j["message"]["deserializationError"].is_null());
  CHECK(j["message"]["recordProcessingError"]["errorMessage"] ==
        "Error evaluating WHERE: x (topic events, partition 2, offset 17)");

  // A query that stops: kafkaStreamsThreadError (type 4) with the reason as its cause.
  j = json::parse(ProcessingLogThreadErrorJson("Q", "query Q thread 0", "bad timestamp at offset 3", 5));
  CHECK(j["message"]["type"] == 4);
  CHECK(j["message"]["kafkaStreamsThreadError"]["threadName"] == "query Q thread 0");
  CHECK(j["message"]["kafkaStreamsThreadError"]["cause"] == json::array({"bad timestamp at offset 3"}));
}

TEST_CASE("Processing log: options from ksqlDB's properties", "[processing_log]") {
  auto o = ProcessingLogOptions::FromProperties({}, "default_");
  REQUIRE(o.ok());
  CHECK(o->topic == "default_ksql_processing_log");
  CHECK_FALSE(o->topic_auto_create);
  CHECK_FALSE(o->stream_auto_create);
  CHECK_FALSE(o->include_rows);
  CHECK(o->stream_name == "KSQL_PROCESSING_LOG");
  o = ProcessingLogOptions::FromProperties({{"ksql.logging.processing.topic.name", "plog"},
                                            {"ksql.logging.processing.topic.auto.create", "true"},
                                            {"ksql.logging.processing.rows.include", "TRUE"}},
                                           "svc_");
  REQUIRE(o.ok());
  CHECK(o->topic == "plog");
  CHECK(o->topic_auto_create);
  CHECK(o->include_rows);
  auto bad = ProcessingLogOptions::FromProperties({{"ksql.logging.processing.rows.include", "yes"}}, "s_");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("ksql.logging.processing.rows.include") != std::string::npos);
}

TEST_CASE("Processing log: the KSQL_PROCESSING_LOG stream reads the records Sluice writes", "[processing_log]") {
  TestDriver driver;
  RequireOk(driver.Execute(ProcessingLogStreamStatement("KSQL_PROCESSING_LOG", "default_ksql_processing_log")));
  RequireOk(driver.Execute(
      "CREATE STREAM ERRS AS SELECT message->type AS T, message->deserializationError->errorMessage AS MSG, "
      "message->deserializationError->`topic` AS SRC, logger FROM KSQL_PROCESSING_LOG;"));
  const auto e = ClassifyProcessingLogEntry("query Q, topic events, partition 2, offset 17: Failed to deserialize "
                                            "value: not JSON");
  KafkaRecord r;
  r.topic = "default_ksql_processing_log";
  r.value = ProcessingLogRecordJson("Q", e, Input("k", "x"), "OUT", false, 99);
  RequireOk(driver.Produce(r));
  REQUIRE(driver.ProcessingLog().empty());
  const auto& out = driver.Records("ERRS");
  REQUIRE(out.size() == 1);
  auto j = json::parse(*out[0].value);
  CHECK(j["T"] == 0);
  CHECK(j["SRC"] == "events");
  CHECK(j["LOGGER"] == "processing.Q.KsqlTopic.Source.deserializer");
  CHECK(j["MSG"].get<std::string>().find("offset 17") != std::string::npos);
}

}  // namespace processing_log_test
