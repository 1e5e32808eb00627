#pragma once
// KafkaQueryRunner: the executor's QueryRunner over real Kafka topics (the embedded broker or a
// cluster). Each persistent query gets its consumer group
// `_confluent-ksql-<service.id>query_<QUERY_ID>` (as ksqlDB names it) and its own pool of
// `ksql.streams.num.stream.threads` stream threads (stream_thread.h), each with its own consumer
// in that group: the group protocol spreads the query's partitions over the threads (and over
// servers sharing the service id), and a thread owns the tasks of the partitions it is assigned.
//
// Why a pool per query rather than one per runner: a consumer group member is a client, so a
// shared pool would still need one consumer per query per thread, and a thread serving many
// consumers would have to multiplex their queues; per query, a thread blocks on one consumer and
// a slow or failed query never delays another. (The memory cost, librdkafka clients per query
// per thread, is what the memory-per-query benchmark measures.)
//
// Writes: one shared producer for at-least-once (thread-safe; each thread tracks its own
// deliveries), a transactional producer per stream thread with exactly_once_v2.
#include <atomic>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "engine/executor/query_runner.h"
#include "engine/kafka/admin.h"
#include "engine/kafka/processing_log.h"
#include "engine/kafka/producer.h"
#include "engine/runtime/state/state_store.h"

namespace sluice {

// The first of `names` set (non-empty) in a query's properties, else `fallback`: ksqlDB takes most
// streams settings with or without their "ksql.streams." prefix. (The transient runner too.)
std::string LookupProperty(const std::map<std::string, std::string>& props, std::initializer_list<const char*> names,
                           const std::string& fallback);

struct KafkaRunnerOptions {
  // librdkafka settings (bootstrap.servers at least) for the query clients: ServerConfig's
  // KafkaClientProperties("consumer") and ("producer").
  KafkaProperties consumer_properties;
  KafkaProperties producer_properties;
  std::string service_id = "default_";
  int num_stream_threads = 4;          // per query
  int64_t commit_interval_ms = 2000;   // ksqlDB's default
  std::string auto_offset_reset = "latest";
  bool exactly_once = false;           // processing.guarantee=exactly_once_v2
  // RocksDB under <state_dir>/<service id> when set; otherwise in-memory stores (restored from
  // the whole changelog on every assignment).
  std::string state_dir;
  int internal_topic_replicas = 1;
  size_t max_poll_records = 1000;
  // ksql.logging.processing.*: where skipped records are reported (processing_log.h).
  ProcessingLogOptions processing_log;

  // From the server's properties (ksqlDB names: ksql.service.id, ksql.streams.num.stream.threads,
  // ksql.streams.commit.interval.ms, ksql.streams.auto.offset.reset, processing.guarantee /
  // ksql.streams.processing.guarantee, ksql.streams.state.dir, ksql.internal.topic.replicas) and
  // the clients' librdkafka settings. InvalidArgument naming a property with a bad value.
  static Result<KafkaRunnerOptions> FromProperties(const std::map<std::string, std::string>& properties,
                                                   KafkaProperties consumer, KafkaProperties producer);
};

// Counters over all queries of a runner, for tests and metrics.
struct RunnerStats {
  int64_t records_processed = 0;
  int64_t records_produced = 0;
  int64_t changelog_records_restored = 0;
  int64_t processing_log_entries = 0;
  int64_t commits = 0;
};

struct QueryContext;
class KafkaTransientRun;
struct RunnerCounters;
class StreamThread;
class TopicMaterializer;

class KafkaQueryRunner : public QueryRunner {
 public:
  // `admin` creates and deletes topics: EmbeddedBroker::NewAdmin() or CreateKafkaAdmin().
  static Result<std::unique_ptr<KafkaQueryRunner>> Create(KafkaRunnerOptions options, std::unique_ptr<Admin> admin);
  // Stops every query (committing what was processed); topics and groups stay, so a new runner
  // with the same service id continues where this one stopped.
  ~KafkaQueryRunner() override;

  Status CreateTopic(const std::string& name, int partitions) override;
  Status DeleteTopic(const std::string& name) override;
  Result<bool> TopicExists(const std::string& name) override;
  Result<int> TopicPartitions(const std::string& name) override { return PartitionCount(name); }
  Status Produce(const KafkaRecord& record) override;
  Status Start(std::shared_ptr<const QueryPlan> plan, const TopologySpec& topology,
               const std::map<std::string, std::string>& properties) override;
  Status Stop(const std::string& query_id) override;
  Status Pause(const std::string& query_id) override;
  Status Resume(const std::string& query_id) override;
  // Push queries (transient_runner.cpp): one stream thread, group
  // `_confluent-ksql-<service.id>transient_<QUERY_ID>`, the runner's producer and state.
  Result<std::unique_ptr<TransientRun>> StartTransient(std::shared_ptr<const QueryPlan> plan,
                                                       const TopologySpec& topology,
                                                       const std::map<std::string, std::string>& properties,
                                                       std::shared_ptr<TransientOutput> output) override;
  // Scalable push queries (transient_runner.cpp): a subscriber of the query's sink records.
  Result<std::unique_ptr<TransientRun>> SubscribeToSink(const std::string& query_id,
                                                        std::function<bool(const KafkaRecord&)> on_record) override;
  // The consumer group of a transient query, as ksqlDB names it.
  std::string TransientGroupId(const std::string& query_id) const;
  // Push queries running now.
  size_t TransientCount() const;
  // Pull queries: engine/kafka/materialization.cpp.
  Status ReadTable(const std::string& topic, const std::vector<std::string>& keys, bool windowed,
                   std::chrono::milliseconds max_staleness, const RecordFn& fn) override;
  Status ReadTopic(const std::string& topic, const RecordFn& fn) override;

  // PRINT (topic_tail.cpp): a consumer assigned every partition of the topic, on a thread.
  Result<std::vector<std::string>> ListTopicNames() override;
  Result<std::unique_ptr<TransientRun>> TailTopic(const std::string& topic, bool from_beginning,
                                                  std::chrono::milliseconds idle,
                                                  std::shared_ptr<TopicTailOutput> output) override;

  QueryRunStatus QueryStatus(const std::string& query_id) const override;
  RunnerStats Stats() const;
  // Partitions currently paused on the query's consumers (PAUSE takes effect on each thread's
  // next poll: tests wait for this before producing).
  int PausedPartitions(const std::string& query_id) const;
  // Input partitions currently assigned to the query's consumers on this server.
  int AssignedPartitions(const std::string& query_id) const;
  // Where the queries report records they skip (and their own failure).
  ProcessingLog& processing_log() { return *processing_log_; }

  const KafkaRunnerOptions& options() const { return options_; }
  // The consumer group of a query, as ksqlDB names it.
  std::string GroupId(const std::string& query_id) const;
  // The Sluice-owned topic where exactly_once_v2 keeps source offsets inside transactions.
  std::string OffsetsTopic(const std::string& query_id) const;

 private:
  struct RunningQuery;
  KafkaQueryRunner() = default;
  Result<int> PartitionCount(const std::string& topic);
  TopicMaterializer& Materializer();  // made on first use
  Status StartProcessingLog();
  void StopThreads(RunningQuery& q);
  friend class KafkaTransientRun;
  void StopTransient(KafkaTransientRun& run);  // threads, internal topics, group, stores
  void StopTransients();                       // at destruction: push queries still open

  KafkaRunnerOptions options_;
  std::unique_ptr<Admin> admin_;
  std::unique_ptr<Producer> producer_;      // INSERT VALUES and at-least-once queries
  std::unique_ptr<StateBackend> rocksdb_;   // shared by every query when state_dir is set
  std::unique_ptr<ProcessingLog> processing_log_;  // writes through producer_ (declared after it)
  std::shared_ptr<RunnerCounters> counters_;
  mutable std::mutex mu_;                   // queries_ and partitions_ (REST threads call in)
  std::map<std::string, std::unique_ptr<RunningQuery>> queries_;
  std::map<std::string, int> partitions_;   // topic -> partition count, as created or described
  std::set<KafkaTransientRun*> transients_;  // under mu_: push queries not yet stopped
  // Compacted copies of the tables pull queries read, made on first use.
  std::once_flag materializer_once_;
  std::shared_ptr<TopicMaterializer> materializer_;
};

}  // namespace sluice
