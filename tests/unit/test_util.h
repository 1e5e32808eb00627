#pragma once
// Helpers that several unit test files need the same way. A helper only one file uses stays in
// that file (inside the file's own namespace, see tests/README.md).
#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "engine/common/status.h"
#include "engine/executor/transient_query.h"
#include "engine/runtime/test_driver.h"
#include "engine/types/value.h"

namespace sluice::testing {

// Fails the test with the status's message (REQUIRE(s.ok()) alone would not say why).
inline void RequireOk(const Status& s) {
  INFO(s.message());
  REQUIRE(s.ok());
}

// A decimal from its text ("12.34") with exactly `scale` digits after the point; text that does
// not parse fails the test.
inline Decimal DecimalOf(const char* text, int scale) {
  Decimal d;
  REQUIRE(Decimal::Parse(text, scale, &d));
  return d;
}

// A Kafka record as the test driver takes and gives them (a null key/value is std::nullopt).
inline KafkaRecord Record(const std::string& topic, std::optional<std::string> key,
                          std::optional<std::string> value, int64_t ts = 0, int partition = 0) {
  KafkaRecord r;
  r.topic = topic;
  r.key = std::move(key);
  r.value = std::move(value);
  r.timestamp = ts;
  r.partition = partition;
  return r;
}

// Keeps what a transient (pull or push) query delivers, as the REST layer would get it.
class CollectSink : public QueryRowSink {
 public:
  QueryResultSchema schema;
  nlohmann::json rows = nlohmann::json::array();
  Status end = Status::RuntimeError("no OnEnd");
  int schemas = 0, ends = 0;  // how often OnSchema/OnEnd were called (each must be once)

  void OnSchema(const QueryResultSchema& s) override {
    schema = s;
    ++schemas;
  }
  bool OnRow(QueryRow row) override {
    rows.push_back(row.columns);
    return true;
  }
  void OnEnd(const Status& s) override {
    end = s;
    ++ends;
  }
};

}  // namespace sluice::testing
