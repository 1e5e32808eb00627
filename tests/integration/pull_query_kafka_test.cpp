// Pull queries on the Kafka runtime: the executor with KafkaQueryRunner on an in-process
// embedded broker; pull queries run on this thread while the query's stream threads process
// input produced concurrently (engine/kafka/materialization.cpp).
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include <unistd.h>

#include "tests/integration/kafka_test_util.h"
#include "engine/executor/engine.h"
#include "engine/kafka/embedded_broker.h"
#include "engine/kafka/query_runner.h"
#include "engine/parser/parser.h"

using namespace sluice;
using namespace std::chrono_literals;

namespace {

constexpr auto kPullWait = 60s;

class CollectSink : public QueryRowSink {
 public:
  QueryResultSchema schema;
  nlohmann::json rows = nlohmann::json::array();
  Status end = Status::RuntimeError("no OnEnd");
  void OnSchema(const QueryResultSchema& s) override { schema = s; }
  bool OnRow(QueryRow row) override {
    rows.push_back(row.columns);
    return true;
  }
  void OnEnd(const Status& s) override { end = s; }
};

struct PullServer {
  std::unique_ptr<KafkaQueryRunner> runner;
  std::unique_ptr<Engine> engine;
  ~PullServer() {
    engine.reset();
    runner.reset();
  }
};

// `state_dir` empty: memory stores and in-memory table copies; else RocksDB for both.
std::unique_ptr<PullServer> StartPullServer(EmbeddedBroker& broker, const std::string& state_dir) {
  std::map<std::string, std::string> props{{"ksql.service.id", "it_pull_"},
                                           {"ksql.streams.num.stream.threads", "2"},
                                           {"ksql.streams.commit.interval.ms", "100"}};
  if (!state_dir.empty()) props["ksql.streams.state.dir"] = state_dir;
  auto admin = broker.NewAdmin();
  REQUIRE(admin.ok());
  auto runner = KafkaQueryRunner::Create(test::TestRunnerOptions(broker, props), std::move(*admin));
  REQUIRE(runner.ok());
  auto server = std::make_unique<PullServer>();
  server->runner = std::move(*runner);
  props["auto.offset.reset"] = "earliest";
  server->engine = std::make_unique<Engine>(props);
  server->engine->SetQueryRunner(server->runner.get());
  return server;
}

// Runs a pull query; the status is StartQuery's error or the sink's end.
std::pair<Status, std::shared_ptr<CollectSink>> Pull(Engine& engine, const std::string& sql,
                                                     const std::map<std::string, std::string>& props = {}) {
  auto parsed = ParseSingleStatement(sql);
  REQUIRE(parsed.ok());
  auto sink = std::make_shared<CollectSink>();
  auto running = engine.StartQuery(static_cast<const QueryStatement&>(**parsed), props, sink);
  if (!running.ok()) return {running.status(), sink};
  return {sink->end, sink};
}

// The pull query's rows once `done(rows)` holds, or the last rows when the bound passes.
nlohmann::json PullUntil(Engine& engine, const std::string& sql, const std::function<bool(const nlohmann::json&)>& done) {
  const auto deadline = std::chrono::steady_clock::now() + kPullWait;
  nlohmann::json rows;
  do {
    auto [status, sink] = Pull(engine, sql);
    INFO(sql << ": " << status.message());
    REQUIRE(status.ok());
    rows = sink->rows;
    if (done(rows)) break;
    std::this_thread::sleep_for(50ms);
  } while (std::chrono::steady_clock::now() < deadline);
  return rows;
}

std::string View(const std::string& page, int duration) {
  return "{\"PAGE\":\"" + page + "\",\"DURATION\":" + std::to_string(duration) + "}";
}

}  // namespace

TEST_CASE("Pull queries read a CTAS table over Kafka while its query runs", "[integration][pull]") {
  const bool rocksdb = GENERATE(false, true);
  INFO("table copies in " << (rocksdb ? "RocksDB" : "memory"));
  const auto dir = std::filesystem::temp_directory_path() / ("sluice-it-pull-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  struct Cleanup {
    std::filesystem::path dir;
    ~Cleanup() { std::filesystem::remove_all(dir); }
  } cleanup{dir};
  auto broker = EmbeddedBroker::Start({1, 0});
  REQUIRE(broker.ok());
  auto server = StartPullServer(**broker, rocksdb ? dir.string() : "");
  Engine& engine = *server->engine;
  REQUIRE(engine.Execute("CREATE STREAM PAGEVIEWS (USERID STRING KEY, PAGE STRING, DURATION INT) "
                         "WITH (KAFKA_TOPIC='pageviews', VALUE_FORMAT='JSON', PARTITIONS=2);")
              .ok());
  REQUIRE(engine.Execute("CREATE TABLE PAGESTATS AS SELECT PAGE, COUNT(*) AS CNT, AVG(DURATION) AS AVG_DURATION "
                         "FROM PAGEVIEWS GROUP BY PAGE;")
              .ok());
  REQUIRE(engine.Execute("CREATE TABLE PLAIN (ID STRING PRIMARY KEY, V INT) "
                         "WITH (KAFKA_TOPIC='plain', VALUE_FORMAT='JSON', PARTITIONS=1);")
              .ok());

  // An aggregate is read finalized (AVG, not its running sum and count).
  test::ProduceAll(**broker, "pageviews", {{"u1", View("home", 10)}, {"u2", View("about", 4)}, {"u3", View("home", 20)}});
  auto rows = PullUntil(engine, "SELECT * FROM PAGESTATS WHERE PAGE = 'home';",
                        [](const nlohmann::json& r) { return r.size() == 1 && r[0][1] == 2; });
  REQUIRE(rows == nlohmann::json::parse(R"([["home",2,15.0]])"));

  // Reads while the stream threads process more input: every answer is a state the table went
  // through (counts never go back, AVG matches them), and the last one has everything.
  const int kMore = 200;
  std::atomic<bool> produced{false};
  std::thread producer([&] {
    for (int i = 0; i < kMore; i += 20) {
      std::vector<std::pair<std::string, std::string>> batch;
      for (int j = i; j < i + 20; ++j) batch.push_back({"u" + std::to_string(j), View(j % 2 ? "news" : "home", 30)});
      test::ProduceAll(**broker, "pageviews", batch);
    }
    produced = true;
  });
  int64_t last_home = 2;
  int reads = 0;
  const auto deadline = std::chrono::steady_clock::now() + kPullWait;
  while (std::chrono::steady_clock::now() < deadline) {
    auto [status, sink] = Pull(engine, "SELECT PAGE, CNT, AVG_DURATION FROM PAGESTATS;");
    REQUIRE(status.ok());
    ++reads;
    CHECK(sink->schema.schema == "`PAGE` STRING KEY, `CNT` BIGINT, `AVG_DURATION` DOUBLE");
    int64_t home = 0;
    for (const auto& row : sink->rows)
      if (row[0] == "home") {
        home = row[1].get<int64_t>();
        // 10 and 20, then 30 each: the average of what was counted.
        CHECK(row[2].get<double>() == Approx((30.0 + 30.0 * (home - 2)) / home));
      }
    CHECK(home >= last_home);
    last_home = home;
    if (produced && home == 2 + kMore / 2) break;
    std::this_thread::sleep_for(20ms);
  }
  producer.join();
  CHECK(last_home == 2 + kMore / 2);
  CHECK(reads > 1);
  // 'news' may be counted by another task than 'home' (the repartition topic has 2 partitions):
  // home's final count says nothing of news', so wait for the expected answer itself.
  const auto news_and_about = nlohmann::json::parse("[[1],[100]]");
  CHECK(PullUntil(engine, "SELECT CNT FROM PAGESTATS WHERE PAGE IN ('news', 'about');",
                  [&](const nlohmann::json& r) { return r == news_and_about; }) == news_and_about);

  // A stream reads to its current end; a plain CREATE TABLE is not queryable.
  auto [stream_status, stream_sink] = Pull(engine, "SELECT USERID FROM PAGEVIEWS WHERE PAGE = 'about';");
  REQUIRE(stream_status.ok());
  CHECK(stream_sink->rows == nlohmann::json::parse(R"([["u2"]])"));
  auto [plain_status, plain_sink] = Pull(engine, "SELECT * FROM PLAIN;");
  CHECK_THAT(plain_status.message(), Catch::StartsWith("The `PLAIN` table isn't queryable."));
}

TEST_CASE("Pull queries with max staleness 0 see every record acknowledged before them", "[integration][pull]") {
  auto broker = EmbeddedBroker::Start({1, 0});
  REQUIRE(broker.ok());
  auto server = StartPullServer(**broker, "");
  Engine& engine = *server->engine;
  REQUIRE(engine.Execute("CREATE SOURCE TABLE FRESH (ID STRING PRIMARY KEY, V INT) "
                         "WITH (KAFKA_TOPIC='fresh', VALUE_FORMAT='JSON', PARTITIONS=3);")
              .ok());
  const std::map<std::string, std::string> strict{{"sluice.query.pull.max.staleness.ms", "0"}};
  auto [first_status, first] = Pull(engine, "SELECT * FROM FRESH;", strict);  // starts the table's tail
  REQUIRE(first_status.ok());
  CHECK(first->rows.empty());
  // Each value is acknowledged by the broker before the query starts: the first try sees it, no
  // retry (the tail is running, so this checks the freshness wait, not the first load).
  for (int i = 1; i <= 5; ++i) {
    test::ProduceAll(**broker, "fresh", {{"k" + std::to_string(i % 2), "{\"V\":" + std::to_string(i) + "}"}});
    auto [status, sink] = Pull(engine, "SELECT V FROM FRESH WHERE ID = 'k" + std::to_string(i % 2) + "';", strict);
    REQUIRE(status.ok());
    CHECK(sink->rows == nlohmann::json::parse("[[" + std::to_string(i) + "]]"));
  }
  // A malformed bound is refused, naming the property.
  auto [bad, bad_sink] = Pull(engine, "SELECT * FROM FRESH;", {{"sluice.query.pull.max.staleness.ms", "-1"}});
  CHECK_THAT(bad.message(), Catch::Contains("sluice.query.pull.max.staleness.ms"));
}
