// engine/kafka against the in-process embedded broker (librdkafka's mock cluster on loopback).
#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "engine/kafka/admin.h"
#include "engine/kafka/consumer.h"
#include "engine/kafka/embedded_broker.h"
#include "engine/kafka/mock_control.h"
#include "engine/kafka/murmur2.h"
#include "engine/kafka/producer.h"

namespace kafka_test {  // this file's own names (unity build: tests/README.md)

using namespace sluice;
using namespace std::chrono_literals;

TEST_CASE("Murmur2 matches Kafka's Utils.murmur2", "[kafka]") {
  // The vectors of Kafka's own UtilsTest.testMurmur2.
  CHECK(Murmur2("21") == -973932308);
  CHECK(Murmur2("foobar") == -790332482);
  CHECK(Murmur2("a-little-bit-long-string") == -985981536);
  CHECK(Murmur2("a-little-bit-longer-string") == -1486304829);
  CHECK(Murmur2("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8") == -58897971);
  CHECK(Murmur2("abc") == 479470107);
  // toPositive(h) % n: a negative hash must not give a negative partition.
  CHECK(PartitionForKey("21", 4) == (static_cast<uint32_t>(-973932308) & 0x7fffffff) % 4);
  for (int i = 0; i < 200; ++i) {
    int32_t p = PartitionForKey("key-" + std::to_string(i), 7);
    CHECK((p >= 0 && p < 7));
  }
}

namespace {

std::unique_ptr<EmbeddedBroker> StartBroker(int brokers = 1) {
  auto broker = EmbeddedBroker::Start({brokers, 0});
  REQUIRE(broker.ok());
  return std::move(*broker);
}

// Polls until `want` records arrived or 10 s passed; copies them out.
std::vector<KafkaRecord> ReadRecords(Consumer& consumer, size_t want) {
  std::vector<KafkaRecord> out;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (out.size() < want && std::chrono::steady_clock::now() < deadline) {
    auto batch = consumer.Poll(1000, 200ms);
    REQUIRE(batch.ok());
    for (size_t i = 0; i < batch->size(); ++i) out.push_back((*batch)[i].ToKafkaRecord());
  }
  return out;
}

}  // namespace

TEST_CASE("Embedded broker: topics through the admin interface", "[kafka]") {
  auto broker = StartBroker(2);
  auto admin = broker->NewAdmin();
  REQUIRE(admin.ok());
  REQUIRE((*admin)->CreateTopic("orders", 4, 2).ok());
  Status again = (*admin)->CreateTopic("orders", 4, 1);
  CHECK(again.code() == Status::Code::kAlreadyExists);
  CHECK((*admin)->CreateTopic("bad", 1, 3).code() == Status::Code::kInvalidArgument);

  auto info = (*admin)->DescribeTopic("orders");
  REQUIRE(info.ok());
  CHECK(info->partitions == 4);
  CHECK(info->replicas == 2);
  CHECK((*admin)->DescribeTopic("nope").status().code() == Status::Code::kNotFound);
  CHECK_FALSE((*admin)->SupportsDeletion());
  CHECK((*admin)->DeleteTopics({"orders"}).code() == Status::Code::kNotSupported);
  auto id = (*admin)->ClusterId();
  REQUIRE(id.ok());
  CHECK_FALSE(id->empty());
}

TEST_CASE("Producer and consumer round trip on the embedded broker", "[kafka]") {
  auto broker = StartBroker();
  REQUIRE(broker->CreateTopic("events", 4, 1).ok());
  const KafkaProperties common{{"bootstrap.servers", broker->bootstrap_servers()}};

  auto producer = Producer::Create(common, "test");
  REQUIRE(producer.ok());
  std::vector<std::string> keys, values;
  for (int i = 0; i < 100; ++i) {
    keys.push_back("user-" + std::to_string(i % 17));
    values.push_back("{\"n\":" + std::to_string(i) + "}");
  }
  const HeaderView headers[] = {{"source", "unit"}, {"empty", std::nullopt}};
  std::vector<OutputRecord> batch;
  for (int i = 0; i < 100; ++i) {
    OutputRecord r;
    r.topic = "events";
    r.key = keys[i];
    if (i != 50) r.value = values[i];  // record 50 is a tombstone
    r.timestamp = 1000 + i;
    if (i == 7) r.headers = headers;
    batch.push_back(r);
  }
  DeliveryTracker tracker;
  REQUIRE((*producer)->Produce(batch, &tracker).ok());
  REQUIRE(tracker.Wait(10s).ok());
  CHECK(tracker.delivered() == 100);

  KafkaProperties cprops = common;
  cprops["group.id"] = "round-trip";
  auto consumer = Consumer::Create(cprops, "test");
  REQUIRE(consumer.ok());
  std::vector<TopicPartitionOffset> assignment;
  for (int p = 0; p < 4; ++p) assignment.push_back({"events", p, RD_KAFKA_OFFSET_BEGINNING});
  REQUIRE((*consumer)->Assign(assignment).ok());
  auto records = ReadRecords(**consumer, 100);
  REQUIRE(records.size() == 100);

  std::map<int, int64_t> last_offset;
  std::set<std::string> seen;
  for (const KafkaRecord& r : records) {
    REQUIRE(r.key.has_value());
    // librdkafka's murmur2_random put each key where Kafka's Java client would.
    CHECK(r.partition == PartitionForKey(*r.key, 4));
    CHECK(r.offset > (last_offset.count(r.partition) ? last_offset[r.partition] : -1));
    last_offset[r.partition] = r.offset;
    int n = static_cast<int>(r.timestamp - 1000);
    REQUIRE((n >= 0 && n < 100));
    seen.insert(std::to_string(n));
    if (n == 50) CHECK_FALSE(r.value.has_value());
    else CHECK(r.value == values[n]);
    if (n == 7) {
      REQUIRE(r.headers.size() == 2);
      CHECK(r.headers[0].key == "source");
      CHECK(r.headers[0].value == "unit");
      CHECK_FALSE(r.headers[1].value.has_value());
    } else {
      CHECK(r.headers.empty());
    }
  }
  CHECK(seen.size() == 100);

  // Commit what was read; a new consumer of the group sees the committed offsets.
  std::vector<TopicPartitionOffset> commit;
  for (const auto& [p, off] : last_offset) commit.push_back({"events", p, off + 1});
  REQUIRE((*consumer)->Commit(commit).ok());
  auto committed = (*consumer)->Committed({{"events", 0}, {"events", 1}, {"events", 2}, {"events", 3}}, 5s);
  REQUIRE(committed.ok());
  int64_t total = 0;
  for (const auto& tpo : *committed) total += tpo.offset > 0 ? tpo.offset : 0;
  CHECK(total == 100);
  auto marks = (*consumer)->Watermarks("events", last_offset.begin()->first, 5s);
  REQUIRE(marks.ok());
  CHECK(marks->second == last_offset.begin()->second + 1);
}

TEST_CASE("Consumer group subscription gets every partition and batches hand views", "[kafka]") {
  auto broker = StartBroker();
  REQUIRE(broker->CreateTopic("subs", 3, 1).ok());
  const KafkaProperties common{{"bootstrap.servers", broker->bootstrap_servers()}};
  auto producer = Producer::Create(common, "test");
  REQUIRE(producer.ok());
  std::vector<std::string> values;
  for (int i = 0; i < 30; ++i) values.push_back("v" + std::to_string(i));
  std::vector<OutputRecord> out;
  for (int i = 0; i < 30; ++i) {
    OutputRecord r;
    r.topic = "subs";
    r.partition = i % 3;  // explicit partitions
    r.value = values[i];
    out.push_back(r);
  }
  REQUIRE((*producer)->Produce(out).ok());
  REQUIRE((*producer)->Flush(10s).ok());

  KafkaProperties cprops = common;
  cprops["group.id"] = "subscribers";
  cprops["auto.offset.reset"] = "earliest";
  std::vector<TopicPartition> assigned;
  RebalanceListener listener;
  listener.on_assigned = [&](const std::vector<TopicPartition>& tps) {
    assigned.insert(assigned.end(), tps.begin(), tps.end());
  };
  auto consumer = Consumer::Create(cprops, "test", listener);
  REQUIRE(consumer.ok());
  REQUIRE((*consumer)->Subscribe({"subs"}).ok());
  size_t got = 0;
  auto deadline = std::chrono::steady_clock::now() + 15s;
  while (got < 30 && std::chrono::steady_clock::now() < deadline) {
    auto batch = (*consumer)->Poll(500, 200ms);
    REQUIRE(batch.ok());
    for (size_t i = 0; i < batch->size(); ++i) {
      RecordView v = (*batch)[i];
      CHECK(v.topic() == "subs");
      CHECK_FALSE(v.key().has_value());
      CHECK(v.value()->substr(0, 1) == "v");
    }
    for (const auto& tpo : batch->NextOffsets()) CHECK(tpo.offset > 0);
    got += batch->size();
  }
  CHECK(got == 30);
  CHECK(assigned.size() == 3);
  REQUIRE((*consumer)->Close().ok());
}

TEST_CASE("Kafka errors name the property, topic and partition", "[kafka]") {
  auto bad = Producer::Create({{"bootstrap.servers", "127.0.0.1:1"}, {"linger.ms", "soon"}}, "bad");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("linger.ms") != std::string::npos);
  auto unknown = Producer::Create({{"bootstrap.servers", "127.0.0.1:1"}, {"no.such.thing", "1"}}, "bad");
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.status().message().find("no.such.thing") != std::string::npos);
  CHECK_FALSE(Consumer::Create({{"bootstrap.servers", "127.0.0.1:1"}}, "nogroup").ok());

  auto broker = StartBroker();
  REQUIRE(broker->CreateTopic("small", 2, 1).ok());
  auto producer = Producer::Create({{"bootstrap.servers", broker->bootstrap_servers()},
                                    {"message.timeout.ms", "3000"}}, "test");
  REQUIRE(producer.ok());
  OutputRecord r;
  r.topic = "small";
  r.partition = 9;  // the topic has 2
  r.value = std::string_view("x");
  auto result = (*producer)->ProduceSync(r, 10s);
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().message().find("topic 'small' partition 9") != std::string::npos);

  KafkaError e = MakeKafkaError(RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, "fetch", "t", 3);
  CHECK(e.retriable);
  CHECK_FALSE(e.fatal);
  CHECK(e.ToString().find("topic 't' partition 3") == 0);
  CHECK_FALSE(MakeKafkaError(RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, "x").retriable);
}

TEST_CASE("Statistics are kept when statistics.interval.ms is set", "[kafka]") {
  auto broker = StartBroker();
  auto producer = Producer::Create({{"bootstrap.servers", broker->bootstrap_servers()},
                                    {"statistics.interval.ms", "100"}}, "stats");
  REQUIRE(producer.ok());
  OutputRecord r;
  r.topic = "stats-topic";
  r.value = std::string_view("hello");
  REQUIRE((*producer)->ProduceSync(r, 10s).ok());
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while ((*producer)->stats().tx_messages() < 1 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(50ms);
  CHECK((*producer)->stats().updates() > 0);
  CHECK((*producer)->stats().tx_messages() >= 1);
  CHECK((*producer)->stats().LatestJson().find("\"type\": \"producer\"") != std::string::npos);
}

TEST_CASE("Embedded broker with a fixed bootstrap port forwards to its broker", "[kafka]") {
  // Port 0 for the forwarder would defeat the point; pick a free one from the kernel first.
  auto probe = TcpForwarder::Start(0, "127.0.0.1", 1);
  REQUIRE(probe.ok());
  int port = (*probe)->port();
  probe->reset();
  auto broker = EmbeddedBroker::Start({1, port});
  REQUIRE(broker.ok());
  CHECK((*broker)->bootstrap_servers() == "127.0.0.1:" + std::to_string(port));
  auto producer = Producer::Create({{"bootstrap.servers", (*broker)->bootstrap_servers()}}, "fwd");
  REQUIRE(producer.ok());
  OutputRecord r;
  r.topic = "via-forwarder";
  r.key = std::string_view("k");
  r.value = std::string_view("v");
  auto where = (*producer)->ProduceSync(r, 10s);
  REQUIRE(where.ok());
  CHECK(where->second == 0);
}

TEST_CASE("A Kafka admin on a mock cluster creates topics through sluice-broker's control port", "[kafka]") {
  auto broker = StartBroker();
  const KafkaProperties props{{"bootstrap.servers", broker->bootstrap_servers()}};
  auto admin = CreateKafkaAdmin(props, 5s);
  REQUIRE(admin.ok());
  // No control port announced: a plain mock cluster cannot create topics for remote clients.
  CHECK((*admin)->CreateTopic("early", 3, 1).code() == Status::Code::kNotSupported);

  EmbeddedBroker* b = broker.get();
  auto control = MockControlServer::Start([b](const std::string& t, int p, int r) { return b->CreateTopic(t, p, r); });
  REQUIRE(control.ok());
  // The probe above may have auto-created the control topic already.
  Status control_topic = broker->CreateTopic(kMockControlTopic, 1, 1);
  REQUIRE((control_topic.ok() || control_topic.code() == Status::Code::kAlreadyExists));
  auto producer = Producer::Create(props, "control");
  REQUIRE(producer.ok());
  const std::string address = "127.0.0.1:" + std::to_string((*control)->port());
  OutputRecord r;
  r.topic = kMockControlTopic;
  r.partition = 0;
  r.value = address;
  REQUIRE((*producer)->ProduceSync(r, 10s).ok());

  REQUIRE((*admin)->CreateTopic("remote", 3, 1).ok());
  auto info = (*admin)->DescribeTopic("remote");
  REQUIRE(info.ok());
  CHECK(info->partitions == 3);
  CHECK((*admin)->CreateTopic("remote", 3, 1).code() == Status::Code::kAlreadyExists);
  CHECK((*admin)->CreateTopic("too-many-replicas", 1, 2).code() == Status::Code::kInvalidArgument);
  CHECK_FALSE((*admin)->SupportsDeletion());
}

}  // namespace kafka_test
