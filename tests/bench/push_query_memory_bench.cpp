// Memory per push query (SELECT ... EMIT CHANGES) on the Kafka runtime: an Engine with a
// KafkaQueryRunner on an in-process embedded broker, one source stream, then 1, 20, 100
// (--steps) concurrent push queries, each `SELECT * FROM ORDERS WHERE STATUS = 'OK' EMIT
// CHANGES` from earliest. A step counts once every query has delivered all its rows; then the
// process RSS (VmRSS), threads and open descriptors are printed with the increment per query.
// Baseline in the same run: the idle server (broker, runner, engine, source, no query). Last,
// every push query is closed and the RSS measured again (what closing gives back).
// ksqlDB's ceiling is ~80 concurrent push queries (a consumer and a topology each, ksql#10093).
//
//   sluice-bench-push-memory [--steps 1,20,100] [--timeout S] [--records N]
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "engine/executor/engine.h"
#include "engine/kafka/embedded_broker.h"
#include "engine/kafka/producer.h"
#include "engine/kafka/query_runner.h"
#include "engine/parser/parser.h"
#include "tests/bench/process_stats.h"

using namespace sluice;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

using bench::Measure;
using bench::Sample;

void Print(const char* what, int queries, const Sample& s) {
  std::printf("%-30s push queries %4d  RSS %8.1f MB  threads %5ld  fds %5ld\n", what, queries, s.rss_kb / 1024.0,
              s.threads, s.fds);
}

// Counts rows; the bench only needs to know every query got all of them.
class CountingSink : public QueryRowSink {
 public:
  void OnSchema(const QueryResultSchema&) override {}
  bool OnRow(QueryRow) override {
    ++rows;
    return true;
  }
  void OnEnd(const Status& s) override {
    if (!s.ok()) failed = true;
  }
  std::atomic<int64_t> rows{0};
  std::atomic<bool> failed{false};
};

Status ProduceSource(const EmbeddedBroker& broker, int records) {
  auto producer = Producer::Create({{"bootstrap.servers", broker.bootstrap_servers()}, {"linger.ms", "20"}}, "source");
  if (!producer.ok()) return producer.status();
  std::vector<std::string> keys, values;
  for (int i = 0; i < records; ++i) {
    keys.push_back("k" + std::to_string(i % 1000));
    values.push_back("{\"ID\":" + std::to_string(i) + ",\"AMOUNT\":" + std::to_string(i % 1000) + ".5,\"STATUS\":\"" +
                     (i % 2 ? "OK" : "FAILED") + "\",\"NOTE\":\"" + std::string(140, 'x') + "\"}");
  }
  std::vector<OutputRecord> batch(values.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    batch[i].topic = "orders";
    batch[i].key = keys[i];
    batch[i].value = values[i];
  }
  DeliveryTracker tracker;
  SLUICE_RETURN_IF_ERROR((*producer)->Produce(batch, &tracker));
  return tracker.Wait(120s);
}

std::vector<int> ParseSteps(const std::string& s) {
  std::vector<int> steps;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');) steps.push_back(std::atoi(item.c_str()));
  return steps;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> steps = {1, 20, 100};
  int timeout_s = 300, records = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--steps")) steps = ParseSteps(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--timeout")) timeout_s = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--records")) records = std::max(2, std::atoi(argv[i + 1]));
  }
  spdlog::set_level(spdlog::level::err);
  rlimit fds{};
  if (getrlimit(RLIMIT_NOFILE, &fds) == 0) {
    fds.rlim_cur = fds.rlim_max;
    setrlimit(RLIMIT_NOFILE, &fds);
  }
  auto broker = EmbeddedBroker::Start({1, 0});
  if (!broker.ok()) return std::fprintf(stderr, "broker: %s\n", broker.status().message().c_str()), 1;
  std::map<std::string, std::string> props{{"ksql.service.id", "pushmem_"}, {"ksql.streams.num.stream.threads", "1"}};
  KafkaProperties consumer{{"bootstrap.servers", (*broker)->bootstrap_servers()},
                           {"session.timeout.ms", "6000"},
                           {"heartbeat.interval.ms", "1000"}};
  KafkaProperties producer{{"bootstrap.servers", (*broker)->bootstrap_servers()}};
  auto options = KafkaRunnerOptions::FromProperties(props, consumer, producer);
  auto admin = (*broker)->NewAdmin();
  if (!options.ok() || !admin.ok()) return std::fprintf(stderr, "runner options or admin failed\n"), 1;
  auto runner = KafkaQueryRunner::Create(std::move(*options), std::move(*admin));
  if (!runner.ok()) return std::fprintf(stderr, "runner: %s\n", runner.status().message().c_str()), 1;
  Engine engine(props);
  engine.SetQueryRunner(runner->get());
  Status s = engine.Execute("CREATE STREAM ORDERS (K STRING KEY, ID INT, AMOUNT DOUBLE, STATUS STRING, NOTE STRING) "
                            "WITH (KAFKA_TOPIC='orders', VALUE_FORMAT='JSON', PARTITIONS=1);");
  if (s.ok()) s = ProduceSource(**broker, records);
  if (!s.ok()) return std::fprintf(stderr, "source: %s\n", s.message().c_str()), 1;
  const int64_t per_query = records / 2;  // STATUS = 'OK' on odd ids
  auto parsed = ParseStatement(SplitStatements("SELECT * FROM ORDERS WHERE STATUS = 'OK' EMIT CHANGES;")[0]);
  if (!parsed.ok()) return std::fprintf(stderr, "parse: %s\n", parsed.status().message().c_str()), 1;
  const auto& stmt = static_cast<const QueryStatement&>(**parsed);
  std::printf("source ORDERS: 1 partition, %d records; each push query: SELECT * ... WHERE STATUS = 'OK' EMIT "
              "CHANGES from earliest (%lld rows each)\n",
              records, static_cast<long long>(per_query));

  const Sample base = Measure();
  Print("baseline (idle server)", 0, base);
  std::vector<std::shared_ptr<CountingSink>> sinks;
  std::vector<std::unique_ptr<RunningQuery>> queries;
  Sample prev = base;
  int failed = 0;
  for (const int target : steps) {
    const size_t before = queries.size();
    const auto start = Clock::now();
    std::string why;
    while (static_cast<int>(queries.size()) < target) {
      auto sink = std::make_shared<CountingSink>();
      auto q = engine.StartQuery(stmt, {{"auto.offset.reset", "earliest"}}, sink);
      if (!q.ok()) {
        why = "starting push query " + std::to_string(queries.size() + 1) + ": " + q.status().message();
        break;
      }
      sinks.push_back(sink);
      queries.push_back(std::move(*q));
    }
    const auto deadline = start + std::chrono::seconds(timeout_s);
    size_t done = 0;
    while (why.empty()) {
      done = 0;
      for (const auto& sink : sinks) done += sink->rows >= per_query ? 1 : 0;
      if (done == sinks.size()) break;
      if (Clock::now() > deadline)
        why = std::to_string(done) + " of " + std::to_string(sinks.size()) + " push queries got their rows in time";
      std::this_thread::sleep_for(50ms);
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    const Sample now = Measure();
    char label[64];
    std::snprintf(label, sizeof label, "%s (%.0f s)", why.empty() ? "all delivered" : "STOPPED", seconds);
    Print(label, static_cast<int>(queries.size()), now);
    const int added = static_cast<int>(queries.size() - before);
    if (added > 0)
      std::printf("  per push query: %.2f MB over the previous step, %.2f MB over the baseline; %.1f threads, "
                  "%.1f fds\n",
                  (now.rss_kb - prev.rss_kb) / 1024.0 / added,
                  (now.rss_kb - base.rss_kb) / 1024.0 / static_cast<double>(queries.size()),
                  static_cast<double>(now.threads - prev.threads) / added,
                  static_cast<double>(now.fds - prev.fds) / added);
    if (!why.empty()) {
      std::printf("stopped: %s\n", why.c_str());
      failed = 1;
      break;
    }
    prev = now;
  }
  const auto close_start = Clock::now();
  const size_t n = queries.size();
  queries.clear();
  const Sample closed = Measure();
  std::printf("closed %zu push queries in %.1f s; %zu still running\n", n,
              std::chrono::duration<double>(Clock::now() - close_start).count(), (*runner)->TransientCount());
  Print("after closing them all", 0, closed);
  for (const auto& sink : sinks) failed |= sink->failed ? 1 : 0;
  return failed;
}
