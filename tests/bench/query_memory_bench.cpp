// Memory per persistent query on the Kafka runtime: an Engine with a KafkaQueryRunner on an
// in-process embedded broker (as sluiced runs with its embedded broker: one stream thread per
// query, 6 s consumer session), one source stream, then 1, 100, 500 (--steps) simple persistent
// queries, each a CSAS filter over the source into its own sink. After each step, once every
// query is running (its consumer has its partitions and it has processed the source's records),
// the process RSS (VmRSS of /proc/self/status), threads and open file descriptors are printed,
// with the increment per query added. DESIGN goal: < 10 MB per query (ksqlDB needs ~100 MB).
// Baseline in the same run: the RSS with the broker, the runner and the source but no query.
// The broker lives in this process, so its share (groups, topics, connections) is counted too.
// A step that fails or does not get every query running within --timeout seconds stops the
// run, saying how far it got and why (thread, descriptor or memory limits show there).
//
//   sluice-bench-query-memory [--steps 1,100,500] [--timeout S] [--partitions P] [--records N]
//                             [--where CONDITION]
//   (default 10 source records: the queries' idle footprint; WHERE STATUS = 'OK')
#include <sys/resource.h>

#include <algorithm>
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
#include "tests/bench/process_stats.h"

using namespace sluice;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

// Records in the source (--records): each query processes them all before it counts as
// running, so a larger source shows what consuming a backlog adds (fetch queues, batches).
int g_source_records = 10;
// The queries' filter (--where): "ID < 0" keeps the sinks empty, which separates what the
// in-process broker holds for the sinks from what the queries hold.
std::string g_where = "STATUS = 'OK'";

using bench::OpenFds;
using bench::StatusField;

struct Sample {
  long rss_kb, peak_kb, threads, fds;
};

Sample Measure() { return {StatusField("VmRSS"), StatusField("VmHWM"), StatusField("Threads"), OpenFds()}; }

void Print(const char* what, int queries, const Sample& s) {
  std::printf("%-28s queries %4d  RSS %8.1f MB (peak %8.1f MB)  threads %5ld  fds %5ld\n", what, queries,
              s.rss_kb / 1024.0, s.peak_kb / 1024.0, s.threads, s.fds);
}

// The source's records, ~200-byte JSON values, in one batch through a producer of their own.
Status ProduceSource(const EmbeddedBroker& broker) {
  auto producer = Producer::Create({{"bootstrap.servers", broker.bootstrap_servers()}, {"linger.ms", "20"}}, "source");
  if (!producer.ok()) return producer.status();
  std::vector<std::string> keys, values;
  for (int i = 0; i < g_source_records; ++i) {
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

// Waits until every query of `ids` runs with its partitions assigned and the runner has
// processed the source's records once per query. Empty string: all running; otherwise why not.
std::string WaitRunning(const KafkaQueryRunner& runner, const std::vector<std::string>& ids, Clock::time_point deadline) {
  const int64_t expected = static_cast<int64_t>(ids.size()) * g_source_records;
  size_t ready = 0;  // ids[0, ready) were seen running with partitions
  while (Clock::now() < deadline) {
    for (; ready < ids.size(); ++ready) {
      const QueryRunStatus st = runner.QueryStatus(ids[ready]);
      if (st.state == QueryRunState::kError) return "query " + ids[ready] + " failed: " + st.error;
      if (st.state != QueryRunState::kRunning || runner.AssignedPartitions(ids[ready]) == 0) break;
    }
    if (ready == ids.size() && runner.Stats().records_processed >= expected) return "";
    std::this_thread::sleep_for(50ms);
  }
  return std::to_string(ready) + " of " + std::to_string(ids.size()) + " queries assigned, " +
         std::to_string(runner.Stats().records_processed) + " of " + std::to_string(expected) +
         " source records processed before the timeout";
}

std::vector<int> ParseSteps(const std::string& s) {
  std::vector<int> steps;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');) steps.push_back(std::atoi(item.c_str()));
  return steps;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> steps = {1, 100, 500};
  int timeout_s = 300, partitions = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--steps")) steps = ParseSteps(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--timeout")) timeout_s = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--partitions")) partitions = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--where")) g_where = argv[i + 1];
    else if (!std::strcmp(argv[i], "--records")) g_source_records = std::max(1, std::atoi(argv[i + 1]));
  }
  spdlog::set_level(spdlog::level::err);
  // Every query holds librdkafka sockets and wake-up descriptors on both the client and the
  // broker side: take the hard limit, as a server would be configured.
  rlimit fds{};
  if (getrlimit(RLIMIT_NOFILE, &fds) == 0) {
    fds.rlim_cur = fds.rlim_max;
    setrlimit(RLIMIT_NOFILE, &fds);
  }
  std::printf("machine: open-files limit %llu, %u cores; rates and sizes move with the machine: compare with the "
              "baseline line\n",
              static_cast<unsigned long long>(fds.rlim_cur), std::thread::hardware_concurrency());

  auto broker = EmbeddedBroker::Start({1, 0});
  if (!broker.ok()) return std::fprintf(stderr, "broker: %s\n", broker.status().message().c_str()), 1;
  std::map<std::string, std::string> props{{"ksql.service.id", "memq_"}, {"ksql.streams.num.stream.threads", "1"}};
  KafkaProperties consumer{{"bootstrap.servers", (*broker)->bootstrap_servers()},
                           {"session.timeout.ms", "6000"},
                           {"heartbeat.interval.ms", "1000"}};
  KafkaProperties producer{{"bootstrap.servers", (*broker)->bootstrap_servers()}};
  auto options = KafkaRunnerOptions::FromProperties(props, consumer, producer);
  auto admin = (*broker)->NewAdmin();
  if (!options.ok() || !admin.ok()) return std::fprintf(stderr, "runner options or admin failed\n"), 1;
  auto runner = KafkaQueryRunner::Create(std::move(*options), std::move(*admin));
  if (!runner.ok()) return std::fprintf(stderr, "runner: %s\n", runner.status().message().c_str()), 1;
  props["auto.offset.reset"] = "earliest";
  Engine engine(props);
  engine.SetQueryRunner(runner->get());
  Status s = engine.Execute("CREATE STREAM ORDERS (K STRING KEY, ID INT, AMOUNT DOUBLE, STATUS STRING, NOTE STRING) "
                            "WITH (KAFKA_TOPIC='orders', VALUE_FORMAT='JSON', PARTITIONS=" +
                            std::to_string(partitions) + ");");
  if (s.ok()) s = ProduceSource(**broker);
  if (!s.ok()) return std::fprintf(stderr, "source: %s\n", s.message().c_str()), 1;
  std::printf("source ORDERS: %d partition(s), %d records; each query: CSAS ... WHERE %s into its own sink, 1 "
              "stream thread\n",
              partitions, g_source_records, g_where.c_str());

  const Sample base = Measure();
  Print("baseline (no query)", 0, base);
  std::vector<std::string> ids;
  Sample prev = base;
  int stopped_at = -1;
  for (const int target : steps) {
    const size_t before = ids.size();
    const auto step_start = Clock::now();
    std::string why;
    while (static_cast<int>(ids.size()) < target) {
      const std::string n = std::to_string(ids.size());
      s = engine.Execute("CREATE STREAM OK_" + n + " AS SELECT K, ID, AMOUNT FROM ORDERS WHERE " + g_where + ";");
      if (!s.ok() || !engine.last_started_query()) {
        why = "creating query " + std::to_string(ids.size() + 1) + ": " + (s.ok() ? "no query started" : s.message());
        break;
      }
      ids.push_back(*engine.last_started_query());
    }
    if (why.empty()) why = WaitRunning(**runner, ids, step_start + std::chrono::seconds(timeout_s));
    const double seconds = std::chrono::duration<double>(Clock::now() - step_start).count();
    const Sample now = Measure();
    const int added = static_cast<int>(ids.size() - before);
    char label[64];
    std::snprintf(label, sizeof label, "%s (%.0f s)", why.empty() ? "all running" : "STOPPED", seconds);
    Print(label, static_cast<int>(ids.size()), now);
    if (added > 0)
      std::printf("  per query: %.2f MB over the previous step, %.2f MB over the baseline (goal < 10 MB); "
                  "%.1f threads, %.1f fds\n",
                  (now.rss_kb - prev.rss_kb) / 1024.0 / added,
                  (now.rss_kb - base.rss_kb) / 1024.0 / static_cast<double>(ids.size()),
                  static_cast<double>(now.threads - prev.threads) / added,
                  static_cast<double>(now.fds - prev.fds) / added);
    if (!why.empty()) {
      std::printf("stopped at %zu queries (target %d): %s\n", ids.size(), target, why.c_str());
      stopped_at = static_cast<int>(ids.size());
      break;
    }
    prev = now;
  }
  // Stops every query's threads before the broker goes away.
  const auto stop_start = Clock::now();
  runner->reset();
  std::printf("runner stopped %zu queries in %.1f s\n", ids.size(),
              std::chrono::duration<double>(Clock::now() - stop_start).count());
  return stopped_at < 0 ? 0 : 1;
}
