#pragma once
// Shared by the Kafka integration tests: writing test input through the producer wrapper.
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "engine/kafka/embedded_broker.h"
#include "engine/kafka/producer.h"

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

}  // namespace sluice::test
