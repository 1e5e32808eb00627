// Scalable push queries fanned out on one stream (issue #12: "500 concurrent push queries on one
// stream: memory per push query and delivery latency"). An Engine with a KafkaQueryRunner on an
// in-process embedded broker; a source stream SRC and a persistent `CREATE STREAM S AS SELECT *
// FROM SRC`; then 1, 100, 500 (--steps) concurrent `SELECT * FROM S EMIT CHANGES` from latest,
// which take the scalable path (push v2: a subscription to the CSAS's stream thread, id
// SCALABLE_PUSH_QUERY_...; the bench stops if a query gets another id).
//
// At each step: a warm-up record every query must receive (so all are live), then RSS (VmRSS),
// threads and open descriptors with the increment per query over the previous step and over the
// baseline (the idle server with the CSAS running, no push query); then --records records
// produced at --rate per second, each carrying its send time (steady_clock ns, column SENT), and
// every query's sink records now - SENT: p50/p99/max over all deliveries, deliveries per second,
// and whether every query got every record. Last, the queries are closed and RSS measured again.
// Comparison in the same run: --classic N classic push queries (push v2 off, from earliest: a
// consumer group, a topology and a stream thread each), the same latency figures.
// ksqlDB's ceiling is ~80 concurrent push queries (ksql#10093).
//
//   sluice-bench-push-fanout [--steps 1,100,500] [--records 2000] [--rate 1000] [--classic 20]
//                            [--timeout S] [--fetch-wait-ms MS]
//
// The embedded broker (librdkafka's mock cluster) holds an empty fetch for the whole
// fetch.wait.max.ms (500 ms by default) even when records arrive meanwhile, which a real broker
// does not: that wait, not Sluice, is most of the latency unless --fetch-wait-ms lowers it.
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
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

void Print(const std::string& what, size_t queries, const Sample& s) {
  std::printf("%-34s push queries %4zu  RSS %8.1f MB  threads %5ld  fds %5ld\n", what.c_str(), queries,
              s.rss_kb / 1024.0, s.threads, s.fds);
}

int64_t NowNs() { return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count(); }

// Latencies in microseconds, shared by every sink (lock-free: classic queries deliver from many
// threads). 1 us buckets below 1 ms, then 10 us to 10 ms, 100 us to 100 ms, 1 ms to 10 s.
// Allocated once, before the baseline, so it does not show in the per-query figures.
class LatencyHistogram {
 public:
  void Add(int64_t us) {
    us = std::max<int64_t>(us, 0);
    buckets_[Index(us)].fetch_add(1, std::memory_order_relaxed);
    int64_t seen = max_.load(std::memory_order_relaxed);
    while (us > seen && !max_.compare_exchange_weak(seen, us, std::memory_order_relaxed)) {}
  }
  void Reset() {
    for (auto& b : buckets_) b.store(0, std::memory_order_relaxed);
    max_ = 0;
  }
  int64_t Count() const {
    int64_t n = 0;
    for (const auto& b : buckets_) n += b.load(std::memory_order_relaxed);
    return n;
  }
  // The upper bound of the bucket holding the q-th quantile, in microseconds.
  int64_t Quantile(double q) const {
    const int64_t total = Count();
    const int64_t rank = std::max<int64_t>(1, static_cast<int64_t>(q * static_cast<double>(total) + 0.5));
    int64_t seen = 0;
    for (size_t i = 0; i < kBuckets; ++i) {
      seen += buckets_[i].load(std::memory_order_relaxed);
      if (seen >= rank) return UpperBound(i);
    }
    return max_;
  }
  int64_t Max() const { return max_; }

 private:
  static constexpr size_t kDecade = 900;
  static constexpr size_t kBuckets = 1000 + 4 * kDecade + 1;
  static size_t Index(int64_t us) {
    if (us < 1000) return static_cast<size_t>(us);
    int64_t step = 1, base = 1000;
    for (size_t d = 0; d < 4; ++d, step *= 10, base *= 10)
      if (us < base * 10) return 1000 + d * kDecade + static_cast<size_t>((us - base) / (step * 10));
    return kBuckets - 1;
  }
  static int64_t UpperBound(size_t i) {
    if (i < 1000) return static_cast<int64_t>(i) + 1;
    if (i == kBuckets - 1) return 10'000'000;
    const size_t d = (i - 1000) / kDecade, off = (i - 1000) % kDecade;
    int64_t step = 10, base = 1000;
    for (size_t k = 0; k < d; ++k) step *= 10, base *= 10;
    return base + static_cast<int64_t>(off + 1) * step;
  }
  std::array<std::atomic<int64_t>, kBuckets> buckets_{};
  std::atomic<int64_t> max_{0};
};

// One push query's sink: the schema's query id, the warm-up and timed rows of the current round.
class TimingSink : public QueryRowSink {
 public:
  explicit TimingSink(LatencyHistogram* histogram) : histogram_(histogram) {}
  void OnSchema(const QueryResultSchema& schema) override {
    query_id = schema.query_id;
    for (size_t i = 0; i < schema.column_names.size(); ++i) {
      if (schema.column_names[i] == "ROUND") round_col_ = static_cast<int>(i);
      if (schema.column_names[i] == "SENT") sent_col_ = static_cast<int>(i);
      if (schema.column_names[i] == "ID") id_col_ = static_cast<int>(i);
    }
    schema_seen = true;
  }
  bool OnRow(QueryRow row) override {
    const int64_t now = NowNs();
    if (round_col_ < 0 || sent_col_ < 0 || id_col_ < 0) return true;
    if (row.columns.at(round_col_).get<int64_t>() != round.load()) return true;  // an earlier round's row
    if (row.columns.at(id_col_).get<int64_t>() < 0) {
      ++warmups;
      return true;
    }
    histogram_->Add((now - row.columns.at(sent_col_).get<int64_t>()) / 1000);
    ++rows;
    return true;
  }
  void OnEnd(const Status& s) override {
    if (!s.ok()) failed = true;
  }
  void NewRound(int64_t r) {
    warmups = 0;
    rows = 0;
    round = r;
  }
  std::string query_id;
  std::atomic<bool> schema_seen{false};
  std::atomic<int64_t> round{0}, warmups{0}, rows{0};
  std::atomic<bool> failed{false};

 private:
  LatencyHistogram* histogram_;
  int round_col_ = -1, sent_col_ = -1, id_col_ = -1;
};

struct Options {
  std::vector<int> steps = {1, 100, 500};
  int records = 2000, rate = 1000, classic = 20, timeout_s = 120;
  std::string fetch_wait_ms;  // the stream threads' fetch.wait.max.ms; empty: librdkafka's 500
};

std::vector<int> ParseSteps(const std::string& s) {
  std::vector<int> steps;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');) steps.push_back(std::atoi(item.c_str()));
  return steps;
}

std::string Row(int64_t round, int64_t id) {
  return "{\"ID\":" + std::to_string(id) + ",\"ROUND\":" + std::to_string(round) + ",\"SENT\":" +
         std::to_string(NowNs()) + ",\"NOTE\":\"" + std::string(100, 'x') + "\"}";
}

// The bench's world: broker, runner, engine, SRC and the CSAS S, a producer into SRC.
struct Bench {
  std::unique_ptr<EmbeddedBroker> broker;
  std::unique_ptr<KafkaQueryRunner> runner;
  std::unique_ptr<Engine> engine;
  std::unique_ptr<Producer> producer;
  LatencyHistogram histogram;
  Options opt;
  int64_t round = 0;

  Status Produce(int64_t id) {
    const std::string key = "k" + std::to_string(id), value = Row(round, id);  // OutputRecord holds views
    OutputRecord r;
    r.topic = "src";
    r.key = key;
    r.value = value;
    return producer->Produce(std::span<const OutputRecord>(&r, 1));
  }

  // Starts a round: every sink forgets the last one, then one warm-up record (ID -1), produced
  // again each second until every query has it (a classic query may still be joining its group).
  Status WarmUp(const std::vector<std::shared_ptr<TimingSink>>& sinks) {
    ++round;
    for (const auto& s : sinks) s->NewRound(round);
    const auto deadline = Clock::now() + std::chrono::seconds(opt.timeout_s);
    auto next_send = Clock::now();
    while (true) {
      if (Clock::now() >= next_send) {
        SLUICE_RETURN_IF_ERROR(Produce(-1));
        next_send += 1s;
      }
      size_t live = 0;
      for (const auto& s : sinks) live += s->warmups > 0 ? 1 : 0;
      if (live == sinks.size()) return Status::OK();
      if (Clock::now() > deadline)
        return Status::RuntimeError(std::to_string(live) + " of " + std::to_string(sinks.size()) +
                                    " push queries got the warm-up record within the timeout");
      std::this_thread::sleep_for(10ms);
    }
  }

  // --records records at --rate per second, then waits (bounded) for every query to have them.
  void TimedRound(const char* label, const std::vector<std::shared_ptr<TimingSink>>& sinks) {
    histogram.Reset();
    const auto start = Clock::now();
    const auto interval = std::chrono::nanoseconds(1'000'000'000LL / std::max(1, opt.rate));
    for (int i = 0; i < opt.records; ++i) {
      std::this_thread::sleep_until(start + i * interval);
      if (Status s = Produce(i); !s.ok()) {
        std::printf("  %s: producing record %d failed: %s\n", label, i, s.message().c_str());
        break;
      }
    }
    const auto produced = Clock::now();
    const int64_t want = static_cast<int64_t>(sinks.size()) * opt.records;
    const auto deadline = produced + std::chrono::seconds(opt.timeout_s);
    while (histogram.Count() < want && Clock::now() < deadline) std::this_thread::sleep_for(10ms);
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    size_t complete = 0, extra = 0;
    for (const auto& s : sinks) {
      complete += s->rows == opt.records ? 1 : 0;
      extra += s->rows > opt.records ? 1 : 0;
    }
    const int64_t got = histogram.Count();
    std::printf("  %s latency: %d records at %d/s to %zu queries: %lld deliveries in %.1f s (%.0f/s); "
                "p50 %.2f ms  p99 %.2f ms  max %.2f ms\n",
                label, opt.records, opt.rate, sinks.size(), static_cast<long long>(got), seconds, got / seconds,
                histogram.Quantile(0.5) / 1000.0, histogram.Quantile(0.99) / 1000.0, histogram.Max() / 1000.0);
    std::printf("  every record to every query: %s (%zu of %zu queries complete%s)\n",
                complete == sinks.size() ? "yes" : "NO", complete, sinks.size(),
                extra ? (", " + std::to_string(extra) + " got duplicates").c_str() : "");
  }
};

Result<std::unique_ptr<Bench>> Setup(const Options& opt) {
  auto b = std::make_unique<Bench>();
  b->opt = opt;
  auto broker = EmbeddedBroker::Start({1, 0});
  if (!broker.ok()) return broker.status();
  b->broker = std::move(*broker);
  std::map<std::string, std::string> props{{"ksql.service.id", "pushfan_"}, {"ksql.streams.num.stream.threads", "1"}};
  KafkaProperties consumer{{"bootstrap.servers", b->broker->bootstrap_servers()},
                           {"session.timeout.ms", "6000"},
                           {"heartbeat.interval.ms", "1000"}};
  if (!opt.fetch_wait_ms.empty()) consumer["fetch.wait.max.ms"] = opt.fetch_wait_ms;
  KafkaProperties producer{{"bootstrap.servers", b->broker->bootstrap_servers()}};
  auto options = KafkaRunnerOptions::FromProperties(props, consumer, producer);
  if (!options.ok()) return options.status();
  auto admin = b->broker->NewAdmin();
  if (!admin.ok()) return admin.status();
  auto runner = KafkaQueryRunner::Create(std::move(*options), std::move(*admin));
  if (!runner.ok()) return runner.status();
  b->runner = std::move(*runner);
  b->engine = std::make_unique<Engine>(props);
  b->engine->SetQueryRunner(b->runner.get());
  SLUICE_RETURN_IF_ERROR(b->engine->Execute(
      "CREATE STREAM SRC (K STRING KEY, ID BIGINT, ROUND BIGINT, SENT BIGINT, NOTE STRING) "
      "WITH (KAFKA_TOPIC='src', VALUE_FORMAT='JSON', PARTITIONS=1);"));
  SLUICE_RETURN_IF_ERROR(b->engine->Execute("CREATE STREAM S AS SELECT * FROM SRC;"));
  auto p = Producer::Create({{"bootstrap.servers", b->broker->bootstrap_servers()}, {"linger.ms", "0"}}, "bench");
  if (!p.ok()) return p.status();
  b->producer = std::move(*p);
  return b;
}

// Starts push queries until `sinks` holds `target`; an error names the query that failed.
Status StartQueries(Bench& b, const QueryStatement& stmt, const std::map<std::string, std::string>& props,
                    const char* id_prefix, size_t target, std::vector<std::shared_ptr<TimingSink>>& sinks,
                    std::vector<std::unique_ptr<RunningQuery>>& queries) {
  while (sinks.size() < target) {
    auto sink = std::make_shared<TimingSink>(&b.histogram);
    auto q = b.engine->StartQuery(stmt, props, sink);
    if (!q.ok()) return Status::RuntimeError("starting push query " + std::to_string(sinks.size() + 1) + ": " +
                                             q.status().message());
    if (!sink->schema_seen || sink->query_id.rfind(id_prefix, 0) != 0)
      return Status::RuntimeError("push query " + std::to_string(sinks.size() + 1) + " has id '" + sink->query_id +
                                  "', not " + id_prefix + "...: not the path this bench measures");
    sinks.push_back(std::move(sink));
    queries.push_back(std::move(*q));
  }
  return Status::OK();
}

int RunScalable(Bench& b, const QueryStatement& stmt, const Sample& base) {
  std::vector<std::shared_ptr<TimingSink>> sinks;
  std::vector<std::unique_ptr<RunningQuery>> queries;
  Sample prev = base;
  int failed = 0;
  for (const int target : b.opt.steps) {
    const size_t before = sinks.size();
    const auto start = Clock::now();
    Status s = StartQueries(b, stmt, {{"auto.offset.reset", "latest"}}, "SCALABLE_PUSH_QUERY_",
                            static_cast<size_t>(target), sinks, queries);
    const double start_s = std::chrono::duration<double>(Clock::now() - start).count();
    if (s.ok()) s = b.WarmUp(sinks);
    if (!s.ok()) {
      std::printf("STOPPED at %zu scalable push queries: %s\n", sinks.size(), s.message().c_str());
      failed = 1;
      break;
    }
    const Sample now = Measure();
    char label[64];
    std::snprintf(label, sizeof label, "scalable, started in %.1f s", start_s);
    Print(label, sinks.size(), now);
    const size_t added = sinks.size() - before;
    if (added > 0)
      std::printf("  per push query: %.3f MB over the previous step, %.3f MB over the baseline; %.2f threads, "
                  "%.2f fds\n",
                  (now.rss_kb - prev.rss_kb) / 1024.0 / static_cast<double>(added),
                  (now.rss_kb - base.rss_kb) / 1024.0 / static_cast<double>(sinks.size()),
                  static_cast<double>(now.threads - prev.threads) / static_cast<double>(added),
                  static_cast<double>(now.fds - prev.fds) / static_cast<double>(added));
    b.TimedRound("scalable", sinks);
    prev = now;
  }
  const auto close_start = Clock::now();
  const size_t n = queries.size();
  queries.clear();
  std::printf("closed %zu scalable push queries in %.2f s\n", n,
              std::chrono::duration<double>(Clock::now() - close_start).count());
  Print("after closing them", 0, Measure());
  for (const auto& sink : sinks) failed |= sink->failed ? 1 : 0;
  return failed;
}

int RunClassic(Bench& b, const QueryStatement& stmt, const Sample& base) {
  std::vector<std::shared_ptr<TimingSink>> sinks;
  std::vector<std::unique_ptr<RunningQuery>> queries;
  const auto start = Clock::now();
  Status s = StartQueries(b, stmt, {{"auto.offset.reset", "earliest"}, {"ksql.query.push.v2.enabled", "false"}},
                          "transient_", static_cast<size_t>(b.opt.classic), sinks, queries);
  if (s.ok()) s = b.WarmUp(sinks);
  if (!s.ok()) {
    std::printf("STOPPED at %zu classic push queries: %s\n", sinks.size(), s.message().c_str());
    return 1;
  }
  const Sample now = Measure();
  char label[64];
  std::snprintf(label, sizeof label, "classic, live in %.1f s",
                std::chrono::duration<double>(Clock::now() - start).count());
  Print(label, sinks.size(), now);
  std::printf("  per push query: %.3f MB over the baseline; %.2f threads, %.2f fds\n",
              (now.rss_kb - base.rss_kb) / 1024.0 / static_cast<double>(sinks.size()),
              static_cast<double>(now.threads - base.threads) / static_cast<double>(sinks.size()),
              static_cast<double>(now.fds - base.fds) / static_cast<double>(sinks.size()));
  b.TimedRound("classic", sinks);
  const auto close_start = Clock::now();
  queries.clear();
  std::printf("closed %zu classic push queries in %.2f s; %zu still running\n", sinks.size(),
              std::chrono::duration<double>(Clock::now() - close_start).count(), b.runner->TransientCount());
  Print("after closing them", 0, Measure());
  int failed = 0;
  for (const auto& sink : sinks) failed |= sink->failed ? 1 : 0;
  return failed;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--steps")) opt.steps = ParseSteps(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--records")) opt.records = std::max(1, std::atoi(argv[i + 1]));
    else if (!std::strcmp(argv[i], "--rate")) opt.rate = std::max(1, std::atoi(argv[i + 1]));
    else if (!std::strcmp(argv[i], "--classic")) opt.classic = std::max(0, std::atoi(argv[i + 1]));
    else if (!std::strcmp(argv[i], "--timeout")) opt.timeout_s = std::max(1, std::atoi(argv[i + 1]));
    else if (!std::strcmp(argv[i], "--fetch-wait-ms")) opt.fetch_wait_ms = argv[i + 1];
  }
  spdlog::set_level(std::getenv("BENCH_LOG") ? spdlog::level::info : spdlog::level::err);
  rlimit fds{};
  if (getrlimit(RLIMIT_NOFILE, &fds) == 0) {
    fds.rlim_cur = fds.rlim_max;
    setrlimit(RLIMIT_NOFILE, &fds);
  }
  auto bench = Setup(opt);
  if (!bench.ok()) return std::fprintf(stderr, "setup: %s\n", bench.status().message().c_str()), 1;
  Bench& b = **bench;
  auto parsed = ParseStatement(SplitStatements("SELECT * FROM S EMIT CHANGES;")[0]);
  if (!parsed.ok()) return std::fprintf(stderr, "parse: %s\n", parsed.status().message().c_str()), 1;
  const auto& stmt = static_cast<const QueryStatement&>(**parsed);
  std::printf("SRC: 1 partition; CSAS S AS SELECT * FROM SRC (1 stream thread, fetch.wait.max.ms %s); push "
              "queries: SELECT * FROM S EMIT CHANGES\n",
              opt.fetch_wait_ms.empty() ? "500 (default)" : opt.fetch_wait_ms.c_str());
  // The baseline: the CSAS running (its stream thread settled into its group), no push query.
  std::this_thread::sleep_for(3s);
  const Sample base = Measure();
  Print("baseline (idle server + CSAS)", 0, base);
  int failed = RunScalable(b, stmt, base);
  if (opt.classic > 0) failed |= RunClassic(b, stmt, Measure());
  return failed;
}
