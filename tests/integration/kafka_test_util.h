#pragma once
// Shared by the Kafka integration tests: writing test input through the producer wrapper.
#include <chrono>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "engine/kafka/embedded_broker.h"
#include "engine/kafka/producer.h"
#include "engine/kafka/query_runner.h"

namespace sluice::test {

// Produces (key, value) records to `topic` and waits (bounded) until every one is delivered.
inline void ProduceAll(EmbeddedBroker& broker, const std::string& topic,
                       const std::vector<std::pair<std::string, std::string>>& records) {
  using namespace std::chrono_literals;
  auto producer = Producer::Create({{"bootstrap.servers", broker.bootstrap_servers()}}, "test input");
  REQUIRE(producer.ok());
  std::vector<OutputRecord> batch;
  for (const auto& [k, v] : records) {
    OutputRecord o;
    o.topic = topic;
    o.key = k;
    o.value = v;
    batch.push_back(o);
  }
  DeliveryTracker tracker;
  REQUIRE((*producer)->Produce(batch, &tracker).ok());
  REQUIRE((*producer)->Flush(30s).ok());
  REQUIRE(tracker.Wait(30s).ok());
}

// Runner options for a test "server" on the embedded broker. The mock cluster does not act on
// LeaveGroup: a member that leaves (or a restarted query's old member) is noticed only after its
// session timeout (librdkafka's default 45 s), so test groups rebalance after 6 s.
inline KafkaRunnerOptions TestRunnerOptions(EmbeddedBroker& broker, const std::map<std::string, std::string>& props) {
  const KafkaProperties client{{"bootstrap.servers", broker.bootstrap_servers()}};
  KafkaProperties consumer = client;
  consumer["session.timeout.ms"] = "6000";
  consumer["heartbeat.interval.ms"] = "500";
  auto options = KafkaRunnerOptions::FromProperties(props, consumer, client);
  REQUIRE(options.ok());
  return std::move(*options);
}

}  // namespace sluice::test
