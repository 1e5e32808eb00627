// Persistent queries over real Kafka topics: the executor with KafkaQueryRunner against an
// in-process embedded broker (librdkafka's mock cluster on loopback, ephemeral ports). Inputs are
// produced and sinks read with the Kafka wrappers, as any client would.
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/integration/kafka_test_util.h"
#include "engine/common/murmur2.h"
#include "engine/executor/engine.h"
#include "engine/kafka/consumer.h"
#include "engine/kafka/embedded_broker.h"
#include "engine/kafka/producer.h"
#include "engine/kafka/query_runner.h"

using namespace sluice;
using namespace std::chrono_literals;

namespace {

constexpr auto kWait = 60s;  // bound of every wait for records (group joins take seconds)

// Records every deletion the runner asks for, then forwards to the broker's own admin (which,
// on the embedded broker, answers NotSupported: the mock has no DeleteTopics API).
class RecordingAdmin : public Admin {
 public:
  explicit RecordingAdmin(std::unique_ptr<Admin> inner) : inner_(std::move(inner)) {}
  Status CreateTopic(const std::string& name, int partitions, int replicas,
                     const std::map<std::string, std::string>& configs) override {
    return inner_->CreateTopic(name, partitions, replicas, configs);
  }
  Status DeleteTopics(const std::vector<std::string>& names) override {
    deleted_topics->insert(names.begin(), names.end());
    return inner_->DeleteTopics(names);
  }
  Status DeleteConsumerGroups(const std::vector<std::string>& groups) override {
    deleted_groups->insert(groups.begin(), groups.end());
    return inner_->DeleteConsumerGroups(groups);
  }
  bool SupportsDeletion() const override { return inner_->SupportsDeletion(); }
  Result<std::vector<TopicInfo>> ListTopics() override { return inner_->ListTopics(); }
  Result<std::string> ClusterId() override { return inner_->ClusterId(); }

  std::shared_ptr<std::set<std::string>> deleted_topics = std::make_shared<std::set<std::string>>();
  std::shared_ptr<std::set<std::string>> deleted_groups = std::make_shared<std::set<std::string>>();

 private:
  std::unique_ptr<Admin> inner_;
};

struct Server {
  std::unique_ptr<KafkaQueryRunner> runner;
  std::unique_ptr<Engine> engine;
  std::shared_ptr<std::set<std::string>> deleted_topics, deleted_groups;

  ~Server() {
    engine.reset();
    runner.reset();  // stops the queries, committing what they processed
  }
};

// An Engine whose topics and queries live on `broker`, as sluiced would set it up.
std::unique_ptr<Server> StartServer(EmbeddedBroker& broker, const std::string& service_id,
                                    std::map<std::string, std::string> extra = {}) {
  std::map<std::string, std::string> props{{"ksql.service.id", service_id},
                                           {"ksql.streams.num.stream.threads", "2"},
                                           {"ksql.streams.commit.interval.ms", "100"}};
  for (auto& [k, v] : extra) props[k] = v;
  KafkaRunnerOptions options = test::TestRunnerOptions(broker, props);
  auto admin = broker.NewAdmin();
  REQUIRE(admin.ok());
  auto recording = std::make_unique<RecordingAdmin>(std::move(*admin));
  auto server = std::make_unique<Server>();
  server->deleted_topics = recording->deleted_topics;
  server->deleted_groups = recording->deleted_groups;
  auto runner = KafkaQueryRunner::Create(std::move(options), std::move(recording));
  REQUIRE(runner.ok());
  server->runner = std::move(*runner);
  // The tests' queries read their inputs from the beginning (ksqlDB's default is latest).
  props["auto.offset.reset"] = "earliest";
  server->engine = std::make_unique<Engine>(props);
  server->engine->SetQueryRunner(server->runner.get());
  return server;
}

void Execute(Server& s, const std::string& sql) {
  Status st = s.engine->Execute(sql);
  INFO(sql);
  REQUIRE(st.ok());
}

// Waits until the query's consumers hold all `partitions` input partitions. The mock cluster
// refuses offset commits while its group rebalances, so records consumed before the group
// settles may be processed twice (at-least-once allows it); the tests' exact checks start after.
void WaitForAssignment(Server& s, const std::string& query_id, int partitions) {
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  while (s.runner->AssignedPartitions(query_id) != partitions && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  REQUIRE(s.runner->AssignedPartitions(query_id) == partitions);
}

using test::ProduceAll;

// Reads `topic` from the beginning (all partitions) until `done(records)` holds or the bound passes.
std::vector<KafkaRecord> ReadUntil(EmbeddedBroker& broker, const std::string& topic, int partitions,
                                   const std::function<bool(const std::vector<KafkaRecord>&)>& done) {
  static int reader = 0;
  auto consumer = Consumer::Create({{"bootstrap.servers", broker.bootstrap_servers()},
                                    {"group.id", "test-reader-" + std::to_string(reader++)}},
                                   "test reader");
  REQUIRE(consumer.ok());
  std::vector<TopicPartitionOffset> parts;
  for (int p = 0; p < partitions; ++p) parts.push_back({topic, p, RD_KAFKA_OFFSET_BEGINNING});
  REQUIRE((*consumer)->Assign(parts).ok());
  std::vector<KafkaRecord> out;
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  while (!done(out) && std::chrono::steady_clock::now() < deadline) {
    auto batch = (*consumer)->Poll(1000, 200ms);
    REQUIRE(batch.ok());
    for (size_t i = 0; i < batch->size(); ++i) out.push_back((*batch)[i].ToKafkaRecord());
  }
  return out;
}

// The latest value per key (a table's sink), by the JSON field `field`.
std::map<std::string, int64_t> Latest(const std::vector<KafkaRecord>& records, const std::string& field) {
  std::map<std::string, int64_t> latest;
  for (const auto& r : records)
    if (r.key && r.value) latest[*r.key] = nlohmann::json::parse(*r.value).at(field).get<int64_t>();
  return latest;
}

const char* kPageviews =
    "CREATE STREAM PAGEVIEWS (USERID STRING KEY, PAGE STRING, DURATION INT) "
    "WITH (KAFKA_TOPIC='pageviews', VALUE_FORMAT='JSON', PARTITIONS=2);";
const char* kCounts = "CREATE TABLE PAGECOUNTS AS SELECT PAGE, COUNT(*) AS CNT FROM PAGEVIEWS GROUP BY PAGE;";

std::string View(const std::string& page, int duration) {
  return "{\"PAGE\":\"" + page + "\",\"DURATION\":" + std::to_string(duration) + "}";
}

}  // namespace

TEST_CASE("Stateless CSAS over a 2-partition topic: filter, project, murmur2 placement, processing log",
          "[integration]") {
  auto broker = EmbeddedBroker::Start({1, 0});
  REQUIRE(broker.ok());
  auto server = StartServer(**broker, "it_stateless_");
  Execute(*server, kPageviews);
  Execute(*server, "CREATE STREAM LONGVIEWS AS SELECT USERID, PAGE, DURATION * 2 AS D2 FROM PAGEVIEWS "
                   "WHERE DURATION > 10;");
  WaitForAssignment(*server, "CSAS_LONGVIEWS_0", 2);
  std::vector<std::pair<std::string, std::string>> inputs;
  std::multiset<std::pair<std::string, int>> expected;
  for (int i = 0; i < 40; ++i) {
    const std::string user = "user-" + std::to_string(i % 7);
    inputs.push_back({user, View("p" + std::to_string(i), i)});
    if (i > 10) expected.insert({user, 2 * i});
  }
  inputs.push_back({"user-bad", "this is not json"});
  ProduceAll(**broker, "pageviews", inputs);

  auto out = ReadUntil(**broker, "LONGVIEWS", 2, [&](const auto& r) { return r.size() >= expected.size(); });
  std::multiset<std::pair<std::string, int>> got;
  for (const auto& r : out) {
    REQUIRE(r.key);
    REQUIRE(r.value);
    auto v = nlohmann::json::parse(*r.value);
    got.insert({*r.key, v.at("D2").get<int>()});
    CHECK(v.at("PAGE").get<std::string>() == "p" + std::to_string(v.at("D2").get<int>() / 2));
    // The sink has the source's 2 partitions; a key goes where Kafka's Java producer puts it.
    CHECK(r.partition == KafkaPartitionForKey(*r.key, 2));
  }
  CHECK(got == expected);
  const RunnerStats stats = server->runner->Stats();
  CHECK(stats.processing_log_entries == 1);  // the record that is not JSON, and the query went on
  CHECK(server->runner->QueryStatus("CSAS_LONGVIEWS_0").state == QueryRunState::kRunning);
}

TEST_CASE("CTAS with GROUP BY through a repartition topic; restart continues from restored state",
          "[integration]") {
  // at-least-once with memory stores, with RocksDB; exactly_once_v2 (memory stores).
  const int mode = GENERATE(0, 1, 2);
  const bool rocksdb = mode == 1, exactly_once = mode == 2;
  INFO("state: " << (rocksdb ? "RocksDB" : "memory") << (exactly_once ? ", exactly_once_v2" : ", at_least_once"));
  auto broker = EmbeddedBroker::Start({1, 0});
  REQUIRE(broker.ok());
  std::map<std::string, std::string> extra;
  const auto dir = std::filesystem::temp_directory_path() / ("sluice-it-state-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  if (rocksdb) extra["ksql.streams.state.dir"] = dir.string();
  // On the embedded broker TxnOffsetCommit stores nothing: without the runner's offsets topic a
  // restart would count every input again.
  if (exactly_once) extra["processing.guarantee"] = "exactly_once_v2";
  struct Cleanup {
    std::filesystem::path dir;
    ~Cleanup() { std::filesystem::remove_all(dir); }
  } cleanup{dir};

  auto first_done = [](const std::vector<KafkaRecord>& r) {
    auto l = Latest(r, "CNT");
    return l["home"] == 3 && l["about"] == 2;
  };
  {
    auto server = StartServer(**broker, "it_agg_", extra);
    Execute(*server, kPageviews);
    Execute(*server, kCounts);
    WaitForAssignment(*server, "CTAS_PAGECOUNTS_0", 4);  // source and repartition topic
    ProduceAll(**broker, "pageviews",
               {{"u1", View("home", 1)}, {"u2", View("about", 2)}, {"u3", View("home", 3)},
                {"u4", View("home", 4)}, {"u5", View("about", 5)}});
    auto out = ReadUntil(**broker, "PAGECOUNTS", 2, first_done);
    auto latest = Latest(out, "CNT");
    CHECK(latest == std::map<std::string, int64_t>{{"about", 2}, {"home", 3}});
    for (const auto& r : out) CHECK(r.partition == KafkaPartitionForKey(*r.key, 2));
  }  // the runner stops: offsets committed, stores checkpointed

  auto server = StartServer(**broker, "it_agg_", extra);
  Execute(*server, kPageviews);
  Execute(*server, kCounts);  // same statements, same query id CTAS_PAGECOUNTS_0, same group
  WaitForAssignment(*server, "CTAS_PAGECOUNTS_0", 4);
  ProduceAll(**broker, "pageviews", {{"u6", View("home", 6)}, {"u7", View("news", 7)}, {"u8", View("home", 8)}});
  auto out = ReadUntil(**broker, "PAGECOUNTS", 2, [](const auto& r) {
    auto l = Latest(r, "CNT");
    return l["home"] >= 5 && l["news"] >= 1;
  });
  // Counts continue from the restored state (5, not 2); nothing was counted twice.
  CHECK(Latest(out, "CNT") == std::map<std::string, int64_t>{{"about", 2}, {"home", 5}, {"news", 1}});
  const RunnerStats stats = server->runner->Stats();
  if (rocksdb) {
    // Local RocksDB was checkpointed at the changelog's end: nothing to replay.
    CHECK(stats.changelog_records_restored == 0);
  } else {
    CHECK(stats.changelog_records_restored >= 2);  // at least the last value of home and about
  }

  // TERMINATE removes the query's internal topics and its consumer group (the embedded broker
  // itself cannot delete them: the runner asks, and goes on).
  const std::string prefix = "_confluent-ksql-it_agg_query_CTAS_PAGECOUNTS_0-";
  Execute(*server, "TERMINATE CTAS_PAGECOUNTS_0;");
  std::set<std::string> internal;
  for (const auto& t : *server->deleted_topics) {
    CHECK(t.rfind(prefix, 0) == 0);
    internal.insert(t.substr(prefix.size()));
  }
  CHECK(internal.count("Aggregate-GroupBy-repartition") == 1);
  CHECK(internal.count("Aggregate-Aggregate-Materialize-changelog") == 1);
  CHECK(internal.count("sluice-offsets") == (exactly_once ? 1 : 0));
  CHECK(*server->deleted_groups == std::set<std::string>{"_confluent-ksql-it_agg_query_CTAS_PAGECOUNTS_0"});
  CHECK(server->runner->QueryStatus("CTAS_PAGECOUNTS_0").state == QueryRunState::kNotRunning);
}

TEST_CASE("PAUSE stops consuming a query's partitions, RESUME restarts it", "[integration]") {
  auto broker = EmbeddedBroker::Start({1, 0});
  REQUIRE(broker.ok());
  auto server = StartServer(**broker, "it_pause_");
  Execute(*server, kPageviews);
  Execute(*server, "CREATE STREAM ALLVIEWS AS SELECT * FROM PAGEVIEWS;");
  WaitForAssignment(*server, "CSAS_ALLVIEWS_0", 2);
  ProduceAll(**broker, "pageviews", {{"a", View("x", 1)}, {"b", View("y", 2)}});
  auto out = ReadUntil(**broker, "ALLVIEWS", 2, [](const auto& r) { return r.size() >= 2; });
  REQUIRE(out.size() == 2);

  Execute(*server, "PAUSE CSAS_ALLVIEWS_0;");
  CHECK(server->runner->QueryStatus("CSAS_ALLVIEWS_0").state == QueryRunState::kPaused);
  // Both input partitions paused on the query's consumers (each thread applies it at its next poll).
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  while (server->runner->PausedPartitions("CSAS_ALLVIEWS_0") < 2 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  REQUIRE(server->runner->PausedPartitions("CSAS_ALLVIEWS_0") == 2);
  const int64_t processed = server->runner->Stats().records_processed;
  ProduceAll(**broker, "pageviews", {{"c", View("z", 3)}, {"d", View("w", 4)}, {"e", View("v", 5)}});
  std::this_thread::sleep_for(1s);  // a running query would have processed them by now
  CHECK(server->runner->Stats().records_processed == processed);

  Execute(*server, "RESUME CSAS_ALLVIEWS_0;");
  out = ReadUntil(**broker, "ALLVIEWS", 2, [](const auto& r) { return r.size() >= 5; });
  CHECK(out.size() == 5);
  CHECK(server->runner->QueryStatus("CSAS_ALLVIEWS_0").state == QueryRunState::kRunning);
}

TEST_CASE("A record the query cannot process stops that query with ERROR, not the runner", "[integration]") {
  auto broker = EmbeddedBroker::Start({1, 0});
  REQUIRE(broker.ok());
  auto server = StartServer(**broker, "it_fail_", {{"ksql.timestamp.throw.on.invalid", "true"}});
  Execute(*server, "CREATE STREAM EVENTS (ID STRING KEY, TS BIGINT, V INT) "
                   "WITH (KAFKA_TOPIC='events', VALUE_FORMAT='JSON', TIMESTAMP='TS', PARTITIONS=2);");
  Execute(*server, "CREATE STREAM COPY AS SELECT * FROM EVENTS;");
  WaitForAssignment(*server, "CSAS_COPY_0", 2);
  ProduceAll(**broker, "events", {{"a", R"({"TS":1000,"V":1})"}, {"a", R"({"TS":null,"V":2})"}});
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  while (server->runner->QueryStatus("CSAS_COPY_0").state != QueryRunState::kError &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  const QueryRunStatus status = server->runner->QueryStatus("CSAS_COPY_0");
  REQUIRE(status.state == QueryRunState::kError);
  // The error says which record: topic, partition and offset of the bad timestamp.
  CHECK(status.error.find("topic events partition " + std::to_string(KafkaPartitionForKey("a", 2)) + " offset 1") !=
        std::string::npos);
  auto out = ReadUntil(**broker, "COPY", 2, [](const auto& r) { return r.size() >= 1; });
  CHECK(out.size() == 1);  // the good record before it

  // The runner goes on: a new query over other data runs.
  Execute(*server, "CREATE STREAM MORE (ID STRING KEY, TS BIGINT, V INT) "
                   "WITH (KAFKA_TOPIC='more', VALUE_FORMAT='JSON', TIMESTAMP='TS', PARTITIONS=2);");
  Execute(*server, "CREATE STREAM COPY2 AS SELECT ID, V FROM MORE WHERE V = 1;");
  ProduceAll(**broker, "more", {{"b", R"({"TS":2000,"V":1})"}});
  out = ReadUntil(**broker, "COPY2", 2, [](const auto& r) { return r.size() >= 1; });
  CHECK(out.size() == 1);
  CHECK(server->runner->QueryStatus("CSAS_COPY2_1").state == QueryRunState::kRunning);
}

namespace {

const char* kOrdersAndCustomers =
    "CREATE STREAM ORDERS (ORDER_ID STRING KEY, CUSTOMER_ID STRING, AMOUNT INT) "
    "WITH (KAFKA_TOPIC='orders', VALUE_FORMAT='JSON', PARTITIONS=4);"
    "CREATE TABLE CUSTOMERS (ID STRING PRIMARY KEY, NAME STRING) "
    "WITH (KAFKA_TOPIC='customers', VALUE_FORMAT='JSON', PARTITIONS=4);";

// Eight customers c0..c7 (c8 and c9 are missing), on the broker and processed by the query
// (the join task has them in its table before any order arrives).
void ProduceCustomers(EmbeddedBroker& broker, Server& server) {
  std::vector<std::pair<std::string, std::string>> customers;
  for (int c = 0; c < 8; ++c)
    customers.push_back({"c" + std::to_string(c), "{\"NAME\":\"n" + std::to_string(c % 3) + "\"}"});
  ProduceAll(broker, "customers", customers);
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  while (server.runner->Stats().records_processed < 8 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  REQUIRE(server.runner->Stats().records_processed >= 8);
}

// Order o<i> of customer c<(7 i) % 10>, amount i, keyed by its order id.
std::vector<std::pair<std::string, std::string>> Orders(int n) {
  std::vector<std::pair<std::string, std::string>> orders;
  for (int i = 0; i < n; ++i)
    orders.push_back({"o" + std::to_string(i), "{\"CUSTOMER_ID\":\"c" + std::to_string((7 * i) % 10) +
                                                   "\",\"AMOUNT\":" + std::to_string(i) + "}"});
  return orders;
}

}  // namespace

TEST_CASE("Stream-table join on a non-key column over 4 partitions goes through the Join-repartition topic",
          "[integration]") {
  auto broker = EmbeddedBroker::Start({1, 0});
  REQUIRE(broker.ok());
  auto server = StartServer(**broker, "it_join_");
  Execute(*server, kOrdersAndCustomers);
  Execute(*server, "CREATE STREAM ENRICHED AS SELECT O.CUSTOMER_ID AS CID, ORDER_ID, AMOUNT, NAME "
                   "FROM ORDERS O LEFT JOIN CUSTOMERS C ON O.CUSTOMER_ID = C.ID;");
  // orders (re-keyed), then the repartition topic and customers (joined): 3 topics x 4.
  WaitForAssignment(*server, "CSAS_ENRICHED_0", 12);
  ProduceCustomers(**broker, *server);
  ProduceAll(**broker, "orders", Orders(40));

  std::multiset<std::string> expected;
  for (int i = 0; i < 40; ++i) {
    const int c = (7 * i) % 10;
    expected.insert("c" + std::to_string(c) + " {\"ORDER_ID\":\"o" + std::to_string(i) + "\",\"AMOUNT\":" +
                    std::to_string(i) + ",\"NAME\":" + (c < 8 ? "\"n" + std::to_string(c % 3) + "\"" : "null") + "}");
  }
  auto out = ReadUntil(**broker, "ENRICHED", 4, [&](const auto& r) { return r.size() >= expected.size(); });
  std::multiset<std::string> got;
  for (const auto& r : out) {
    REQUIRE(r.key);
    REQUIRE(r.value);
    got.insert(*r.key + " " + *r.value);
    CHECK(r.partition == KafkaPartitionForKey(*r.key, 4));  // keyed by the customer id now
  }
  // Every order met its customer, although orders and customers are partitioned by other keys.
  CHECK(got == expected);
  auto repartitioned = ReadUntil(**broker, "_confluent-ksql-it_join_query_CSAS_ENRICHED_0-Join-repartition", 4,
                                 [](const auto& r) { return r.size() >= 40; });
  CHECK(repartitioned.size() == 40);
  for (const auto& r : repartitioned) CHECK(r.partition == KafkaPartitionForKey(*r.key, 4));
}

TEST_CASE("GROUP BY over a non-key stream-table join over 4 partitions: two repartition topics", "[integration]") {
  auto broker = EmbeddedBroker::Start({1, 0});
  REQUIRE(broker.ok());
  auto server = StartServer(**broker, "it_join_agg_");
  Execute(*server, kOrdersAndCustomers);
  Execute(*server, "CREATE TABLE TOTALS AS SELECT NAME, SUM(AMOUNT) AS TOTAL, COUNT(*) AS CNT "
                   "FROM ORDERS O JOIN CUSTOMERS C ON O.CUSTOMER_ID = C.ID GROUP BY NAME;");
  // orders, Join-repartition, customers, Aggregate-GroupBy-repartition: 4 topics x 4.
  WaitForAssignment(*server, "CTAS_TOTALS_0", 16);
  ProduceCustomers(**broker, *server);
  ProduceAll(**broker, "orders", Orders(40));

  std::map<std::string, int64_t> total, count;
  for (int i = 0; i < 40; ++i) {
    const int c = (7 * i) % 10;
    if (c >= 8) continue;  // INNER JOIN: no customer, no row
    total["n" + std::to_string(c % 3)] += i;
    count["n" + std::to_string(c % 3)] += 1;
  }
  auto out = ReadUntil(**broker, "TOTALS", 4, [&](const auto& r) { return Latest(r, "CNT") == count; });
  CHECK(Latest(out, "CNT") == count);
  CHECK(Latest(out, "TOTAL") == total);
  for (const auto& r : out) CHECK(r.partition == KafkaPartitionForKey(*r.key, 4));
}
