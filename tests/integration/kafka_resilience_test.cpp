// Resilience of persistent queries over Kafka (issue #11, "What it must show"): malformed records
// go to the processing log while the query goes on, and two servers sharing a service id share a
// query's partitions and hand them over when one leaves. The executor with KafkaQueryRunner
// against an in-process embedded broker; inputs produced and sinks read with the Kafka wrappers.
// TestEventListenerBase and CATCH_REGISTER_LISTENER (the log set-up below).
#define CATCH_CONFIG_EXTERNAL_INTERFACES
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <tuple>

#include <unistd.h>

#include <nlohmann/json.hpp>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include "tests/integration/kafka_test_util.h"
#include "engine/executor/engine.h"
#include "engine/kafka/consumer.h"
#include "engine/kafka/embedded_broker.h"
#include "engine/kafka/producer.h"
#include "engine/kafka/query_runner.h"

using namespace sluice;
using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kWait = 60s;  // bound of every wait (group joins and session timeouts take seconds)

// The runner exposes processing-log entries only as a counter (RunnerStats) and as spdlog warnings
// "processing log: query Q topic T partition P offset O: why": this sink keeps the (topic,
// partition, offset) of every such line, so the test can check which records were logged.
class ProcessingLogSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  using Entry = std::tuple<std::string, std::string, int, int64_t>;  // query, topic, partition, offset

  std::vector<Entry> entries() {
    std::lock_guard<std::mutex> lock(mutex_);
    return entries_;
  }
  void clear() {
    std::lock_guard<std::mutex> lock(mutex_);
    entries_.clear();
  }

 protected:
  // Called under base_sink's mutex_.
  void sink_it_(const spdlog::details::log_msg& msg) override {
    const std::string line(msg.payload.data(), msg.payload.size());
    char query[256], topic[256];
    int partition = -1;
    long long offset = -1;
    if (std::sscanf(line.c_str(), "processing log: query %255s topic %255s partition %d offset %lld", query, topic,
                    &partition, &offset) == 4) {
      std::string t = topic;
      entries_.emplace_back(query, t, partition, offset);
    }
  }
  void flush_() override {}

 private:
  std::vector<Entry> entries_;
};

std::shared_ptr<ProcessingLogSink> g_log_sink;

// Adds g_log_sink before the first test (the shared main, catch_main.cpp, has set the level from
// SLUICE_TEST_LOG). The processing-log sink needs warnings; the console shows them only with
// SLUICE_TEST_LOG=LEVEL.
class ProcessingLogSinkInstaller : public Catch::TestEventListenerBase {
 public:
  using TestEventListenerBase::TestEventListenerBase;
  void testRunStarting(const Catch::TestRunInfo& info) override {
    const char* level = std::getenv("SLUICE_TEST_LOG");
    auto logger = spdlog::default_logger();
    for (auto& sink : logger->sinks()) sink->set_level(level ? spdlog::level::from_str(level) : spdlog::level::off);
    g_log_sink = std::make_shared<ProcessingLogSink>();
    g_log_sink->set_level(spdlog::level::warn);
    logger->sinks().push_back(g_log_sink);
    spdlog::set_level(level ? std::min(spdlog::level::from_str(level), spdlog::level::warn) : spdlog::level::warn);
    TestEventListenerBase::testRunStarting(info);
  }
};
CATCH_REGISTER_LISTENER(ProcessingLogSinkInstaller)

struct Server {
  std::unique_ptr<KafkaQueryRunner> runner;
  std::unique_ptr<Engine> engine;

  ~Server() {
    engine.reset();
    runner.reset();  // stops the queries, committing what they processed
  }
};

// An Engine whose topics and queries live on `broker`, as sluiced would set it up.
std::unique_ptr<Server> StartServer(EmbeddedBroker& broker, const std::string& service_id, int threads,
                                    const std::map<std::string, std::string>& extra = {}) {
  std::map<std::string, std::string> props{{"ksql.service.id", service_id},
                                           {"ksql.streams.num.stream.threads", std::to_string(threads)},
                                           {"ksql.streams.commit.interval.ms", "100"}};
  for (const auto& [k, v] : extra) props[k] = v;
  KafkaRunnerOptions options = test::TestRunnerOptions(broker, props);
  auto admin = broker.NewAdmin();
  REQUIRE(admin.ok());
  auto runner = KafkaQueryRunner::Create(std::move(options), std::move(*admin));
  REQUIRE(runner.ok());
  auto server = std::make_unique<Server>();
  server->runner = std::move(*runner);
  props["auto.offset.reset"] = "earliest";  // the tests' queries read their inputs from the beginning
  server->engine = std::make_unique<Engine>(props);
  server->engine->SetQueryRunner(server->runner.get());
  return server;
}

void Execute(Server& s, const std::string& sql) {
  Status st = s.engine->Execute(sql);
  INFO(sql << ": " << st.ToString());
  REQUIRE(st.ok());
}

// Waits (bounded) until `cond` holds; the caller asserts it afterwards.
template <typename F>
void WaitFor(F cond) {
  const auto deadline = Clock::now() + kWait;
  while (!cond() && Clock::now() < deadline) std::this_thread::sleep_for(20ms);
}

using test::ProduceAll;

std::unique_ptr<Consumer> Reader(EmbeddedBroker& broker) {
  static int reader = 0;
  auto consumer = Consumer::Create({{"bootstrap.servers", broker.bootstrap_servers()},
                                    {"group.id", "test-reader-" + std::to_string(reader++)}},
                                   "test reader");
  REQUIRE(consumer.ok());
  return std::move(*consumer);
}

// Reads `topic` from the beginning (all partitions) until `done(records)` holds or the bound passes.
std::vector<KafkaRecord> ReadUntil(EmbeddedBroker& broker, const std::string& topic, int partitions,
                                   const std::function<bool(const std::vector<KafkaRecord>&)>& done) {
  auto consumer = Reader(broker);
  std::vector<TopicPartitionOffset> parts;
  for (int p = 0; p < partitions; ++p) parts.push_back({topic, p, RD_KAFKA_OFFSET_BEGINNING});
  REQUIRE(consumer->Assign(parts).ok());
  std::vector<KafkaRecord> out;
  const auto deadline = Clock::now() + kWait;
  while (!done(out) && Clock::now() < deadline) {
    auto batch = consumer->Poll(1000, 200ms);
    REQUIRE(batch.ok());
    for (size_t i = 0; i < batch->size(); ++i) out.push_back((*batch)[i].ToKafkaRecord());
  }
  return out;
}

// Records in `topic` as the broker counts them: the sum of its partitions' high watermarks.
int64_t RecordCount(EmbeddedBroker& broker, const std::string& topic, int partitions) {
  auto consumer = Reader(broker);
  int64_t n = 0;
  for (int p = 0; p < partitions; ++p) {
    auto wm = consumer->Watermarks(topic, p, 10s);
    REQUIRE(wm.ok());
    n += wm->second - wm->first;
  }
  return n;
}

// Bad JSON in a few shapes: text, a truncated object, an unquoted name, bytes that are not UTF-8.
// (Text starting with 'n' is left to its own test below: the deserializer takes it for null.)
std::string BadValue(int j) {
  switch (j % 4) {
    case 0: return "garbage " + std::to_string(j);
    case 1: return "{\"N\":" + std::to_string(j) + ",\"V\":\"trunc";
    case 2: return "{N:" + std::to_string(j) + "}";
    default: return std::string("\xff\xfe{\"N\":") + std::to_string(j);
  }
}

}  // namespace

TEST_CASE("Malformed records: 1,000 bad among 10,000 good go to the processing log, the query goes on",
          "[integration][resilience]") {
  auto broker = EmbeddedBroker::Start({1, 0});
  REQUIRE(broker.ok());
  g_log_sink->clear();
  // The processing log also goes to its topic (ksqlDB's default name: <service id>ksql_processing_log).
  auto server = StartServer(**broker, "it_malformed_", 2, {{"ksql.logging.processing.topic.auto.create", "true"}});
  const std::string log_topic = "it_malformed_ksql_processing_log";
  REQUIRE(server->runner->processing_log().writes_topic());
  REQUIRE(server->runner->processing_log().options().topic == log_topic);
  Execute(*server, "CREATE STREAM EVENTS (ID STRING KEY, N INT, V STRING) "
                   "WITH (KAFKA_TOPIC='events', VALUE_FORMAT='JSON', PARTITIONS=4);");
  Execute(*server, "CREATE STREAM EVENTS_OUT AS SELECT ID, N * 2 AS N2, V FROM EVENTS;");
  REQUIRE(server->engine->last_started_query());
  const std::string query = *server->engine->last_started_query();
  // Records consumed before the group settles may be processed twice (the mock refuses commits
  // while rebalancing): the exact checks need a settled group.
  WaitFor([&] { return server->runner->AssignedPartitions(query) == 4; });
  REQUIRE(server->runner->AssignedPartitions(query) == 4);

  // One bad record after every 10 good ones.
  std::vector<std::pair<std::string, std::string>> inputs;
  std::multiset<std::tuple<std::string, int, std::string>> expected;
  std::set<std::string> bad_values;
  for (int i = 0, bad = 0; i < 10000; ++i) {
    const std::string id = "k" + std::to_string(i);
    const std::string v = "v" + std::to_string(i % 97);
    inputs.push_back({id, "{\"N\":" + std::to_string(i) + ",\"V\":\"" + v + "\"}"});
    expected.insert({id, 2 * i, v});
    if (i % 10 == 9) {
      bad_values.insert(BadValue(bad));
      inputs.push_back({"bad" + std::to_string(bad), BadValue(bad)});
      ++bad;
    }
  }
  REQUIRE(bad_values.size() == 1000);
  ProduceAll(**broker, "events", inputs);

  // Where the bad records landed, as the broker stored them.
  auto in = ReadUntil(**broker, "events", 4, [&](const auto& r) { return r.size() >= inputs.size(); });
  REQUIRE(in.size() == inputs.size());
  std::set<std::tuple<std::string, int, int64_t>> bad_positions;
  for (const auto& r : in)
    if (r.value && bad_values.count(*r.value)) bad_positions.insert({r.topic, r.partition, r.offset});
  REQUIRE(bad_positions.size() == 1000);

  auto out = ReadUntil(**broker, "EVENTS_OUT", 4, [&](const auto& r) { return r.size() >= expected.size(); });
  // Every input read, so every output produced: the sink holds exactly the good records.
  WaitFor([&] { return server->runner->Stats().records_processed >= static_cast<int64_t>(inputs.size()); });
  CHECK(server->runner->Stats().records_processed == static_cast<int64_t>(inputs.size()));
  CHECK(RecordCount(**broker, "EVENTS_OUT", 4) == static_cast<int64_t>(expected.size()));
  std::multiset<std::tuple<std::string, int, std::string>> got;
  for (const auto& r : out) {
    REQUIRE(r.key);
    REQUIRE(r.value);
    auto v = nlohmann::json::parse(*r.value);
    got.insert({*r.key, v.at("N2").get<int>(), v.at("V").get<std::string>()});
  }
  CHECK(got.size() == expected.size());
  CHECK(got == expected);

  // Each bad record logged once, with its topic, partition and offset.
  CHECK(server->runner->Stats().processing_log_entries == 1000);
  std::set<std::tuple<std::string, int, int64_t>> logged;
  size_t for_query = 0;
  for (const auto& [q, topic, partition, offset] : g_log_sink->entries()) {
    if (q != query) continue;
    ++for_query;
    logged.insert({topic, partition, offset});
  }
  CHECK(for_query == 1000);
  CHECK(logged == bad_positions);
  CHECK(server->runner->QueryStatus(query).state == QueryRunState::kRunning);

  // The processing-log topic holds one entry per bad record, in ksqlDB's shape; where the record
  // was is in the headers and in errorMessage.
  REQUIRE(server->runner->processing_log().Flush(30s).ok());
  auto entries = ReadUntil(**broker, log_topic, 1, [](const auto& r) { return r.size() >= 1000; });
  CHECK(entries.size() == 1000);
  std::set<std::tuple<std::string, int, int64_t>> in_topic;
  for (const auto& r : entries) {
    REQUIRE(r.value);
    CHECK_FALSE(r.key);
    std::map<std::string, std::string> h;
    for (const auto& header : r.headers)
      if (header.value) h[header.key] = *header.value;
    REQUIRE(h.count("sluice.source.offset"));
    const std::tuple<std::string, int, int64_t> where{h["sluice.source.topic"], std::stoi(h["sluice.source.partition"]),
                                                      std::stoll(h["sluice.source.offset"])};
    in_topic.insert(where);
    auto j = nlohmann::json::parse(*r.value);
    CHECK(j.at("level") == "ERROR");
    CHECK(j.at("logger") == "processing." + query + ".KsqlTopic.Source.deserializer");
    const auto& m = j.at("message");
    CHECK(m.at("type") == 0);
    CHECK(m.at("recordProcessingError").is_null());
    const auto& d = m.at("deserializationError");
    CHECK(d.at("target") == "value");
    CHECK(d.at("topic") == "events");
    CHECK(d.at("recordB64").is_null());  // ksql.logging.processing.rows.include=false
    const std::string msg = d.at("errorMessage");
    CHECK(msg.find("partition " + h["sluice.source.partition"] + ", offset " + h["sluice.source.offset"]) !=
          std::string::npos);
  }
  CHECK(in_topic == bad_positions);

  // And it still processes new input.
  ProduceAll(**broker, "events", {{"after", "{\"N\":21,\"V\":\"late\"}"}});
  out = ReadUntil(**broker, "EVENTS_OUT", 4, [&](const auto& r) { return r.size() > expected.size(); });
  REQUIRE(out.size() == expected.size() + 1);
  CHECK(server->runner->QueryStatus(query).state == QueryRunState::kRunning);
}

TEST_CASE("Scale-out: two servers share a query's 4 partitions; when one stops the other takes them all",
          "[integration][resilience]") {
  auto broker = EmbeddedBroker::Start({1, 0});
  REQUIRE(broker.ok());
  const std::vector<std::string> statements = {
      "CREATE STREAM CLICKS (ID STRING KEY, N INT) WITH (KAFKA_TOPIC='clicks', VALUE_FORMAT='JSON', PARTITIONS=4);",
      "CREATE STREAM CLICKS_OUT AS SELECT ID, N FROM CLICKS WHERE N >= 0;"};
  // One stream thread each: the group has one member per server.
  auto a = StartServer(**broker, "it_scale_", 1);
  for (const auto& s : statements) Execute(*a, s);
  auto b = StartServer(**broker, "it_scale_", 1);
  for (const auto& s : statements) Execute(*b, s);  // same statements, same query id, same group
  REQUIRE(a->engine->last_started_query());
  const std::string query = *a->engine->last_started_query();
  REQUIRE(b->engine->last_started_query() == query);

  // Range assignment over two members: two partitions each.
  WaitFor([&] { return a->runner->AssignedPartitions(query) == 2 && b->runner->AssignedPartitions(query) == 2; });
  REQUIRE(a->runner->AssignedPartitions(query) == 2);
  REQUIRE(b->runner->AssignedPartitions(query) == 2);

  int next = 0;
  std::set<std::string> produced;
  auto produce = [&](int n) {
    std::vector<std::pair<std::string, std::string>> batch;
    for (int i = 0; i < n; ++i, ++next) {
      const std::string id = "c" + std::to_string(next);
      batch.push_back({id, "{\"N\":" + std::to_string(next) + "}"});
      produced.insert(id);
    }
    ProduceAll(**broker, "clicks", batch);
  };
  // Every input in the sink with its value; at-least-once allows duplicates around a rebalance.
  auto all_reflected = [&](const std::vector<KafkaRecord>& records) {
    std::set<std::string> ids;
    for (const auto& r : records)
      if (r.key) ids.insert(*r.key);
    return ids == produced;
  };
  auto check_sink = [&] {
    auto out = ReadUntil(**broker, "CLICKS_OUT", 4, all_reflected);
    std::set<std::string> ids;
    for (const auto& r : out) {
      REQUIRE(r.key);
      REQUIRE(r.value);
      CHECK("c" + std::to_string(nlohmann::json::parse(*r.value).at("N").get<int>()) == *r.key);
      ids.insert(*r.key);
    }
    CHECK(ids == produced);
  };

  produce(2000);
  check_sink();
  // Both servers did part of the work.
  const int64_t processed_a = a->runner->Stats().records_processed;
  const int64_t processed_b = b->runner->Stats().records_processed;
  CHECK(processed_a > 0);
  CHECK(processed_b > 0);
  CHECK(processed_a + processed_b >= 2000);

  // Server b stops (its runner commits and closes); inputs keep arriving while the group has not
  // noticed yet (the mock ignores LeaveGroup: b's session times out after 6 s).
  b.reset();
  produce(1000);
  WaitFor([&] { return a->runner->AssignedPartitions(query) == 4; });
  REQUIRE(a->runner->AssignedPartitions(query) == 4);
  produce(1000);
  check_sink();
  CHECK(a->runner->QueryStatus(query).state == QueryRunState::kRunning);
  // a processed b's partitions too: at least every record produced after the stop.
  CHECK(a->runner->Stats().records_processed - processed_a >= 2000);
}

// simdjson's on-demand `doc.type()` looks at the first byte only: a value starting with 'n'
// ("not json", "nope") was once taken for JSON null (a null-value record in the sink, nothing
// logged). ksqlDB fails to deserialize it and writes a processing-log entry; so does Sluice.
TEST_CASE("Malformed records: text starting with 'n' is bad JSON, not null", "[integration][resilience]") {
  auto broker = EmbeddedBroker::Start({1, 0});
  REQUIRE(broker.ok());
  g_log_sink->clear();
  auto server = StartServer(**broker, "it_malformed_n_", 1);
  Execute(*server, "CREATE STREAM EVENTS (ID STRING KEY, N INT) "
                   "WITH (KAFKA_TOPIC='events', VALUE_FORMAT='JSON', PARTITIONS=1);");
  Execute(*server, "CREATE STREAM EVENTS_OUT AS SELECT ID, N FROM EVENTS;");
  REQUIRE(server->engine->last_started_query());
  const std::string query = *server->engine->last_started_query();
  WaitFor([&] { return server->runner->AssignedPartitions(query) == 1; });
  REQUIRE(server->runner->AssignedPartitions(query) == 1);
  ProduceAll(**broker, "events", {{"a", "{\"N\":1}"}, {"bad", "not json"}, {"b", "{\"N\":2}"}});
  WaitFor([&] { return server->runner->Stats().records_processed >= 3; });
  auto out = ReadUntil(**broker, "EVENTS_OUT", 1, [](const auto& r) { return r.size() >= 2; });
  CHECK(RecordCount(**broker, "EVENTS_OUT", 1) == 2);
  for (const auto& r : out) CHECK(r.value);
  CHECK(server->runner->Stats().processing_log_entries == 1);
  const auto entries = g_log_sink->entries();
  REQUIRE(entries.size() == 1);
  CHECK(entries[0] == ProcessingLogSink::Entry{query, "events", 0, 1});
}

// Issue #11 item 7: a query that fails never stops silently. The executor's QueryRunner
// interface (what SHOW QUERIES / EXPLAIN read) says ERROR with the reason, and the processing
// log gets ksqlDB's kafkaStreamsThreadError entry (type 4).
TEST_CASE("A failing query shows ERROR with its reason and writes a thread-error entry to the processing log",
          "[integration][resilience]") {
  auto broker = EmbeddedBroker::Start({1, 0});
  REQUIRE(broker.ok());
  auto server = StartServer(**broker, "it_error_", 1,
                            {{"ksql.timestamp.throw.on.invalid", "true"},
                             {"ksql.logging.processing.topic.auto.create", "true"}});
  Execute(*server, "CREATE STREAM EVENTS (ID STRING KEY, TS BIGINT, V INT) "
                   "WITH (KAFKA_TOPIC='events', VALUE_FORMAT='JSON', TIMESTAMP='TS', PARTITIONS=1);");
  Execute(*server, "CREATE STREAM COPY AS SELECT * FROM EVENTS;");
  REQUIRE(server->engine->last_started_query());
  const std::string query = *server->engine->last_started_query();
  WaitFor([&] { return server->runner->AssignedPartitions(query) == 1; });
  REQUIRE(server->runner->AssignedPartitions(query) == 1);
  const QueryRunner& generic = *server->runner;
  CHECK(generic.QueryStatus(query).state == QueryRunState::kRunning);
  CHECK(generic.QueryStatus("NO_SUCH_QUERY").state == QueryRunState::kNotRunning);

  ProduceAll(**broker, "events", {{"a", R"({"TS":1000,"V":1})"}, {"a", R"({"TS":null,"V":2})"}});
  WaitFor([&] { return generic.QueryStatus(query).state == QueryRunState::kError; });
  const QueryRunStatus status = generic.QueryStatus(query);
  REQUIRE(status.state == QueryRunState::kError);
  CHECK(status.error.find("topic events partition 0 offset 1") != std::string::npos);
  CHECK(status.error_time_ms > 0);
  // EXPLAIN <query id> says so too (ksqlDB's queryDescription: state, queryErrors).
  sluice::Explain explain_stmt;
  explain_stmt.query_id = query;
  explain_stmt.text = "EXPLAIN " + query + ";";
  auto explained = server->engine->Explain(explain_stmt);
  REQUIRE(explained.ok());
  const auto& description = explained->at("queryDescription");
  CHECK(description.at("state") == "ERROR");
  REQUIRE(description.at("queryErrors").size() == 1);
  CHECK(description.at("queryErrors")[0].at("errorMessage") == status.error);

  REQUIRE(server->runner->processing_log().Flush(30s).ok());
  auto entries = ReadUntil(**broker, "it_error_ksql_processing_log", 1, [](const auto& r) { return r.size() >= 1; });
  REQUIRE(entries.size() == 1);
  auto j = nlohmann::json::parse(*entries[0].value);
  CHECK(j.at("message").at("type") == 4);
  const auto& t = j.at("message").at("kafkaStreamsThreadError");
  CHECK(t.at("threadName").get<std::string>().find(query) != std::string::npos);
  REQUIRE(t.at("cause").size() == 1);
  CHECK(t.at("cause")[0] == status.error);
}

// Issue #11 item 6 for a stateful query: two servers (runners with their own RocksDB, same
// service id) share a GROUP BY query's partitions; a partition's aggregation state follows it
// (the new owner restores its stores from the changelog; the old one drops them), first when
// a second server joins, then when it leaves.
//
// What at-least-once guarantees, and so what is asserted: every input is reflected at least
// once. Records processed but not yet committed when partitions move are processed again by
// the new owner, so COUNT and SUM may count some inputs twice: they are checked as lower
// bounds (and as exact when no input was counted twice). COLLECT_SET and MAX of a unique
// per-input value are idempotent: a duplicate does not change them, so they must be exact (the
// set holds exactly the account's inputs). They are exact only if the state built before each
// move reached the new owner. (COUNT_DISTINCT would not do: it is an estimate, as in ksqlDB.)
TEST_CASE("Scale-out of a GROUP BY query: the state follows its partitions to the other server",
          "[integration][resilience]") {
  auto broker = EmbeddedBroker::Start({1, 0});
  REQUIRE(broker.ok());
  const auto base = std::filesystem::temp_directory_path() / ("sluice-it-scale-" + std::to_string(::getpid()));
  std::filesystem::remove_all(base);
  struct Cleanup {
    std::filesystem::path dir;
    ~Cleanup() { std::filesystem::remove_all(dir); }
  } cleanup{base};
  auto state_dir = [&](const char* server) {
    return std::map<std::string, std::string>{{"ksql.streams.state.dir", (base / server).string()}};
  };
  const std::vector<std::string> statements = {
      "CREATE STREAM TXNS (ID STRING KEY, ACCT STRING, N INT) "
      "WITH (KAFKA_TOPIC='txns', VALUE_FORMAT='JSON', PARTITIONS=4);",
      "CREATE TABLE TOTALS AS SELECT ACCT, COUNT(*) AS C, SUM(N) AS S, COLLECT_SET(N) AS D, MAX(N) AS M "
      "FROM TXNS GROUP BY ACCT;"};
  auto a = StartServer(**broker, "it_scale_agg_", 1, state_dir("a"));
  for (const auto& s : statements) Execute(*a, s);
  REQUIRE(a->engine->last_started_query());
  const std::string query = *a->engine->last_started_query();
  // Input partitions: the source's 4 and the repartition topic's 4.
  WaitFor([&] { return a->runner->AssignedPartitions(query) == 8; });
  REQUIRE(a->runner->AssignedPartitions(query) == 8);

  constexpr int kAccounts = 16;
  struct Expected {
    int64_t count = 0, sum = 0, max = 0;
    std::set<int64_t> values;
  };
  std::map<std::string, Expected> expected;
  int next = 0;
  auto produce = [&](int n) {
    std::vector<std::pair<std::string, std::string>> batch;
    for (int i = 0; i < n; ++i, ++next) {
      const std::string acct = "acct" + std::to_string(next % kAccounts);
      const int value = next + 1;  // unique per input
      batch.push_back({"t" + std::to_string(next), "{\"ACCT\":\"" + acct + "\",\"N\":" + std::to_string(value) + "}"});
      Expected& e = expected[acct];
      e.count++;
      e.sum += value;
      e.max = std::max<int64_t>(e.max, value);
      e.values.insert(value);
    }
    ProduceAll(**broker, "txns", batch);
  };
  struct Totals {
    int64_t c = 0, s = 0, m = 0;
    std::set<int64_t> d;
  };
  auto latest = [](const std::vector<KafkaRecord>& records) {
    std::map<std::string, Totals> l;  // per key, the last record of its partition
    for (const auto& r : records) {
      if (!r.key || !r.value) continue;
      auto j = nlohmann::json::parse(*r.value);
      l[*r.key] = {j.at("C").get<int64_t>(), j.at("S").get<int64_t>(), j.at("M").get<int64_t>(),
                   j.at("D").get<std::set<int64_t>>()};
    }
    return l;
  };
  // The idempotent aggregates have caught up with every input produced so far.
  auto caught_up = [&](const std::vector<KafkaRecord>& records) {
    auto l = latest(records);
    if (l.size() != expected.size()) return false;
    for (const auto& [acct, e] : expected)
      if (l[acct].d != e.values || l[acct].m != e.max) return false;
    return true;
  };
  auto check_totals = [&] {
    auto l = latest(ReadUntil(**broker, "TOTALS", 4, caught_up));
    REQUIRE(l.size() == expected.size());
    for (const auto& [acct, e] : expected) {
      INFO(acct << ": C " << l[acct].c << " S " << l[acct].s << " |D| " << l[acct].d.size() << " M " << l[acct].m
                << ", inputs " << e.count << " sum " << e.sum);
      CHECK(l[acct].d == e.values);  // exact: no input lost, state carried over
      CHECK(l[acct].m == e.max);
      CHECK(l[acct].c >= e.count);  // at-least-once: duplicates possible, loss not
      CHECK(l[acct].s >= e.sum);
      if (l[acct].c == e.count) CHECK(l[acct].s == e.sum);
    }
  };

  produce(1500);
  check_totals();

  // Server b joins: the group splits the partitions, b restores the state of those it gets
  // from the changelog; a keeps its copy of them, checkpointed, and stops updating it.
  auto b = StartServer(**broker, "it_scale_agg_", 1, state_dir("b"));
  for (const auto& s : statements) Execute(*b, s);
  REQUIRE(b->engine->last_started_query() == query);
  WaitFor([&] { return a->runner->AssignedPartitions(query) == 4 && b->runner->AssignedPartitions(query) == 4; });
  REQUIRE(a->runner->AssignedPartitions(query) == 4);
  REQUIRE(b->runner->AssignedPartitions(query) == 4);
  const int64_t processed_b_before = b->runner->Stats().records_processed;
  produce(1500);
  check_totals();
  CHECK(b->runner->Stats().records_processed > processed_b_before);
  // Its tasks were restored before they processed anything.
  CHECK(b->runner->Stats().changelog_records_restored > 0);

  // Server b leaves: a takes its partitions back and brings their state up to date from the
  // changelog after its checkpoint (what b wrote); inputs keep arriving while the group has not
  // noticed yet. The totals stay exact: nothing b did is missed, nothing is counted twice.
  const int64_t restored_a_before = a->runner->Stats().changelog_records_restored;
  b.reset();
  produce(1000);
  WaitFor([&] { return a->runner->AssignedPartitions(query) == 8; });
  REQUIRE(a->runner->AssignedPartitions(query) == 8);
  produce(1000);
  check_totals();
  CHECK(a->runner->Stats().changelog_records_restored > restored_a_before);
  CHECK(a->runner->QueryStatus(query).state == QueryRunState::kRunning);
}
