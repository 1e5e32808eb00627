// Push queries (SELECT ... EMIT CHANGES) over the Kafka runtime: the executor's
// Engine::StartQuery with a KafkaQueryRunner on an in-process embedded broker. Rows are
// collected by a QueryRowSink as the REST layer would get them. Every wait is bounded.
#include <catch2/catch.hpp>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "tests/integration/kafka_test_util.h"
#include "engine/executor/engine.h"
#include "engine/kafka/embedded_broker.h"
#include "engine/kafka/query_runner.h"
#include "engine/parser/parser.h"

using namespace sluice;
using namespace std::chrono_literals;

namespace {

constexpr auto kWait = 60s;  // bound of every wait (a group join on the mock takes seconds)

// Records the deletions the runner asks for (the embedded broker itself has no delete APIs).
class RecordingAdmin : public Admin {
 public:
  explicit RecordingAdmin(std::unique_ptr<Admin> inner) : inner_(std::move(inner)) {}
  Status CreateTopic(const std::string& name, int partitions, int replicas,
                     const std::map<std::string, std::string>& configs) override {
    std::lock_guard<std::mutex> lock(mu);
    created_topics.insert(name);
    return inner_->CreateTopic(name, partitions, replicas, configs);
  }
  Status DeleteTopics(const std::vector<std::string>& names) override {
    {
      std::lock_guard<std::mutex> lock(mu);
      deleted_topics.insert(names.begin(), names.end());
    }
    return inner_->DeleteTopics(names);
  }
  Status DeleteConsumerGroups(const std::vector<std::string>& groups) override {
    {
      std::lock_guard<std::mutex> lock(mu);
      deleted_groups.insert(groups.begin(), groups.end());
    }
    return inner_->DeleteConsumerGroups(groups);
  }
  bool SupportsDeletion() const override { return inner_->SupportsDeletion(); }
  Result<std::vector<TopicInfo>> ListTopics() override { return inner_->ListTopics(); }
  Result<std::string> ClusterId() override { return inner_->ClusterId(); }

  std::mutex mu;
  std::set<std::string> created_topics, deleted_topics, deleted_groups;

 private:
  std::unique_ptr<Admin> inner_;
};

struct Server {
  RecordingAdmin* admin = nullptr;  // owned by the runner
  std::unique_ptr<KafkaQueryRunner> runner;
  std::unique_ptr<Engine> engine;
  ~Server() {
    engine.reset();
    runner.reset();
  }
};

std::unique_ptr<Server> StartServer(EmbeddedBroker& broker, const std::string& service_id) {
  std::map<std::string, std::string> props{{"ksql.service.id", service_id},
                                           {"ksql.streams.num.stream.threads", "1"},
                                           {"ksql.streams.commit.interval.ms", "100"}};
  KafkaRunnerOptions options = test::TestRunnerOptions(broker, props);
  auto admin = broker.NewAdmin();
  REQUIRE(admin.ok());
  auto recording = std::make_unique<RecordingAdmin>(std::move(*admin));
  auto server = std::make_unique<Server>();
  server->admin = recording.get();
  auto runner = KafkaQueryRunner::Create(std::move(options), std::move(recording));
  REQUIRE(runner.ok());
  server->runner = std::move(*runner);
  server->engine = std::make_unique<Engine>(props);
  server->engine->SetQueryRunner(server->runner.get());
  return server;
}

void Execute(Server& s, const std::string& sql) {
  Status st = s.engine->Execute(sql);
  INFO(sql << ": " << st.message());
  REQUIRE(st.ok());
}

// What a client of the REST layer would see: the header, the rows, the end.
class CollectingSink : public QueryRowSink {
 public:
  explicit CollectingSink(int refuse_after = -1) : refuse_after_(refuse_after) {}
  void OnSchema(const QueryResultSchema& s) override {
    std::lock_guard<std::mutex> lock(mu_);
    schema = s;
    ++schemas;
  }
  bool OnRow(QueryRow row) override {
    std::lock_guard<std::mutex> lock(mu_);
    rows.push_back(std::move(row));
    cv_.notify_all();
    return refuse_after_ < 0 || static_cast<int>(rows.size()) < refuse_after_;
  }
  void OnEnd(const Status& s) override {
    std::lock_guard<std::mutex> lock(mu_);
    end = s;
    ++ends;
    cv_.notify_all();
  }
  bool WaitForEnd() {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, kWait, [&] { return ends > 0; });
  }
  bool WaitForRows(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, kWait, [&] { return rows.size() >= n; });
  }
  std::vector<QueryRow> Rows() {
    std::lock_guard<std::mutex> lock(mu_);
    return rows;
  }
  int Ends() {
    std::lock_guard<std::mutex> lock(mu_);
    return ends;
  }

  QueryResultSchema schema;
  int schemas = 0;
  Status end;

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<QueryRow> rows;
  int ends = 0;
  int refuse_after_;
};

StatementPtr Parse(const std::string& sql) {
  auto raws = SplitStatements(sql);
  REQUIRE(raws.size() == 1);
  auto parsed = ParseStatement(raws[0]);
  REQUIRE(parsed.ok());
  return std::move(*parsed);
}

std::unique_ptr<RunningQuery> StartPush(Server& s, const std::string& sql, std::shared_ptr<CollectingSink> sink,
                                        std::map<std::string, std::string> props = {{"auto.offset.reset",
                                                                                     "earliest"}}) {
  auto parsed = Parse(sql);
  REQUIRE(parsed->kind == StatementKind::kQuery);
  auto started = s.engine->StartQuery(static_cast<const QueryStatement&>(*parsed), props, sink);
  INFO(sql << ": " << (started.ok() ? "" : started.status().message()));
  REQUIRE(started.ok());
  return std::move(*started);
}

const char* kViews =
    "CREATE STREAM VIEWS (USERID STRING KEY, PAGE STRING, DURATION INT) "
    "WITH (KAFKA_TOPIC='views', VALUE_FORMAT='JSON', PARTITIONS=2);";

std::string View(const std::string& page, int duration) {
  return "{\"PAGE\":\"" + page + "\",\"DURATION\":" + std::to_string(duration) + "}";
}

std::string Text(const QueryRow& r) { return r.columns.dump() + (r.tombstone ? " tombstone" : ""); }

}  // namespace

TEST_CASE("Push query over a stream with LIMIT: exactly the produced rows, then the end", "[push]") {
  auto broker = EmbeddedBroker::Start({});
  REQUIRE(broker.ok());
  auto server = StartServer(**broker, "push_limit_");
  Execute(*server, kViews);
  std::vector<std::pair<std::string, std::string>> input;
  std::multiset<std::string> expected;
  for (int i = 0; i < 40; ++i) {
    input.push_back({"u" + std::to_string(i % 7), View("p" + std::to_string(i), i)});
    if (i % 2 == 0) expected.insert(nlohmann::json::array({"u" + std::to_string(i % 7), "p" + std::to_string(i), i}).dump());
  }
  test::ProduceAll(**broker, "views", input);

  auto sink = std::make_shared<CollectingSink>();
  auto q = StartPush(*server,
                     "SELECT USERID, PAGE, DURATION FROM VIEWS WHERE DURATION % 2 = 0 EMIT CHANGES LIMIT 20;", sink);
  REQUIRE(q->id().rfind("transient_VIEWS_", 0) == 0);
  REQUIRE(sink->schemas == 1);
  CHECK(sink->schema.schema == "`USERID` STRING, `PAGE` STRING, `DURATION` INTEGER");
  REQUIRE(sink->WaitForEnd());
  CHECK(sink->end.ok());
  CHECK(q->finished());
  std::multiset<std::string> got;
  for (const auto& r : sink->Rows()) got.insert(r.columns.dump());
  CHECK(got == expected);
  q.reset();
  CHECK(sink->Ends() == 1);
  CHECK(server->runner->TransientCount() == 0);
}

TEST_CASE("Push query from latest (the default) sees only records produced after it started", "[push]") {
  auto broker = EmbeddedBroker::Start({});
  REQUIRE(broker.ok());
  auto server = StartServer(**broker, "push_latest_");
  Execute(*server, kViews);
  test::ProduceAll(**broker, "views", {{"old", View("before", 1)}, {"old", View("before", 2)}});
  auto sink = std::make_shared<CollectingSink>();
  auto q = StartPush(*server, "SELECT * FROM VIEWS EMIT CHANGES;", sink, {});
  // Until its consumer is in place nothing reaches it: keep writing markers until one arrives.
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  while (sink->Rows().empty() && std::chrono::steady_clock::now() < deadline) {
    test::ProduceAll(**broker, "views", {{"new", View("after", 3)}});
    std::this_thread::sleep_for(300ms);
  }
  REQUIRE(!sink->Rows().empty());
  for (const auto& r : sink->Rows()) CHECK(Text(r) == R"(["new","after",3])");
  q.reset();
  CHECK(sink->Ends() == 1);
  CHECK(sink->end.ok());
}

TEST_CASE("Push query over GROUP BY: every update of the table; close deletes its group and internal topics",
          "[push]") {
  auto broker = EmbeddedBroker::Start({});
  REQUIRE(broker.ok());
  auto server = StartServer(**broker, "push_agg_");
  Execute(*server, kViews);
  std::vector<std::pair<std::string, std::string>> input;
  std::map<std::string, int> views;
  for (int i = 0; i < 30; ++i) {
    const std::string page = "p" + std::to_string(i % 3);
    input.push_back({"u" + std::to_string(i), View(page, i)});
    ++views[page];
  }
  test::ProduceAll(**broker, "views", input);

  auto sink = std::make_shared<CollectingSink>();
  auto q = StartPush(*server, "SELECT PAGE, COUNT(*) AS CNT FROM VIEWS GROUP BY PAGE EMIT CHANGES;", sink,
                     {{"auto.offset.reset", "earliest"}, {"ksql.streams.cache.max.bytes.buffering", "0"}});
  CHECK(sink->schema.schema == "`PAGE` STRING, `CNT` BIGINT");
  REQUIRE(sink->WaitForRows(30));
  // With the record cache off every update is a row: each page counts 1, 2, ... up to its views.
  std::map<std::string, std::vector<int64_t>> counts;
  for (const auto& r : sink->Rows()) {
    REQUIRE_FALSE(r.tombstone);
    counts[r.columns[0].get<std::string>()].push_back(r.columns[1].get<int64_t>());
  }
  REQUIRE(counts.size() == 3);
  for (const auto& [page, seq] : counts) {
    INFO(page);
    REQUIRE(static_cast<int>(seq.size()) == views[page]);
    for (size_t i = 0; i < seq.size(); ++i) CHECK(seq[i] == static_cast<int64_t>(i + 1));
  }
  const std::string id = q->id();
  const std::string prefix = "_confluent-ksql-push_agg_transient_" + id + "-";
  {
    std::lock_guard<std::mutex> lock(server->admin->mu);
    CHECK(server->admin->created_topics.count(prefix + "Aggregate-GroupBy-repartition") == 1);
  }
  q.reset();
  CHECK(sink->Ends() == 1);
  CHECK(sink->end.ok());
  CHECK(server->runner->TransientCount() == 0);
  std::lock_guard<std::mutex> lock(server->admin->mu);
  CHECK(server->admin->deleted_groups.count("_confluent-ksql-push_agg_transient_" + id) == 1);
  CHECK(server->admin->deleted_topics.count(prefix + "Aggregate-GroupBy-repartition") == 1);
  bool changelog = false;
  for (const auto& t : server->admin->deleted_topics)
    changelog = changelog || (t.rfind(prefix, 0) == 0 && t.size() > 10 && t.substr(t.size() - 10) == "-changelog");
  CHECK(changelog);
}

TEST_CASE("Push query over a table: upserts and tombstones; a sink that refuses a row stops it", "[push]") {
  auto broker = EmbeddedBroker::Start({});
  REQUIRE(broker.ok());
  auto server = StartServer(**broker, "push_table_");
  Execute(*server,
          "CREATE TABLE USERS (ID STRING PRIMARY KEY, NAME STRING) "
          "WITH (KAFKA_TOPIC='users', VALUE_FORMAT='JSON', PARTITIONS=1);");
  auto producer = Producer::Create({{"bootstrap.servers", (*broker)->bootstrap_servers()}}, "test input");
  REQUIRE(producer.ok());
  for (auto [k, v] : std::vector<std::pair<std::string, std::optional<std::string>>>{
           {"a", R"({"NAME":"ann"})"}, {"b", R"({"NAME":"bob"})"}, {"a", std::nullopt}, {"b", R"({"NAME":"bo"})"}}) {
    OutputRecord o;
    o.topic = "users";
    o.partition = 0;
    o.key = k;
    if (v) o.value = *v;
    REQUIRE((*producer)->ProduceSync(o, 30s).ok());
  }
  auto sink = std::make_shared<CollectingSink>();
  auto q = StartPush(*server, "SELECT NAME, ID FROM USERS EMIT CHANGES;", sink);
  REQUIRE(sink->WaitForRows(4));
  std::vector<std::string> got;
  for (const auto& r : sink->Rows()) got.push_back(Text(r));
  CHECK(got == std::vector<std::string>{R"(["ann","a"])", R"(["bob","b"])", R"([null,"a"] tombstone)",
                                        R"(["bo","b"])"});
  q.reset();

  // The client goes away after the first row: the query stops at once and ends OK.
  auto refusing = std::make_shared<CollectingSink>(1);
  auto q2 = StartPush(*server, "SELECT * FROM USERS EMIT CHANGES;", refusing);
  REQUIRE(refusing->WaitForEnd());
  CHECK(refusing->end.ok());
  CHECK(refusing->Rows().size() == 1);
  CHECK(q2->finished());
  q2.reset();
  CHECK(refusing->Ends() == 1);
}

TEST_CASE("20 concurrent push queries each receive every row", "[push]") {
  auto broker = EmbeddedBroker::Start({});
  REQUIRE(broker.ok());
  auto server = StartServer(**broker, "push_many_");
  Execute(*server, kViews);
  constexpr int kQueries = 20, kRows = 25;
  std::vector<std::shared_ptr<CollectingSink>> sinks;
  std::vector<std::unique_ptr<RunningQuery>> queries;
  for (int i = 0; i < kQueries; ++i) {
    sinks.push_back(std::make_shared<CollectingSink>());
    queries.push_back(StartPush(*server, "SELECT PAGE FROM VIEWS EMIT CHANGES LIMIT " + std::to_string(kRows) + ";",
                                sinks.back()));
  }
  CHECK(server->runner->TransientCount() == kQueries);
  std::vector<std::pair<std::string, std::string>> input;
  std::multiset<std::string> expected;
  for (int i = 0; i < kRows; ++i) {
    input.push_back({"u" + std::to_string(i), View("page" + std::to_string(i), i)});
    expected.insert(nlohmann::json::array({"page" + std::to_string(i)}).dump());
  }
  test::ProduceAll(**broker, "views", input);
  for (int i = 0; i < kQueries; ++i) {
    INFO("query " << i);
    REQUIRE(sinks[i]->WaitForEnd());
    CHECK(sinks[i]->end.ok());
    std::multiset<std::string> got;
    for (const auto& r : sinks[i]->Rows()) got.insert(r.columns.dump());
    CHECK(got == expected);
  }
  queries.clear();
  CHECK(server->runner->TransientCount() == 0);
}

TEST_CASE("Push query errors: unknown source, LIMIT 0, no runner", "[push]") {
  auto broker = EmbeddedBroker::Start({});
  REQUIRE(broker.ok());
  auto server = StartServer(**broker, "push_err_");
  Execute(*server, kViews);
  auto parsed = Parse("SELECT * FROM NOPE EMIT CHANGES;");
  auto sink = std::make_shared<CollectingSink>();
  auto r = server->engine->StartQuery(static_cast<const QueryStatement&>(*parsed), {}, sink);
  REQUIRE_FALSE(r.ok());
  CHECK(sink->schemas == 0);

  auto zero = std::make_shared<CollectingSink>();
  auto q = StartPush(*server, "SELECT * FROM VIEWS EMIT CHANGES LIMIT 0;", zero);
  CHECK(zero->schemas == 1);
  CHECK(zero->Ends() == 1);
  CHECK(q->finished());
  CHECK(server->runner->TransientCount() == 0);

  Engine in_memory({});
  REQUIRE(in_memory.Execute(kViews).ok());
  auto p = Parse("SELECT * FROM VIEWS EMIT CHANGES;");
  auto none = in_memory.StartQuery(static_cast<const QueryStatement&>(*p), {}, std::make_shared<CollectingSink>());
  REQUIRE_FALSE(none.ok());
  CHECK(none.status().code() == Status::Code::kNotSupported);
}
