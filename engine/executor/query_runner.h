#pragma once
// Where the executor's topics and queries live. Without a runner (the test driver, `sluiced
// --check`) the Engine keeps topics in memory and runs each record through the tasks
// synchronously. With one (the server over Kafka: engine/kafka), topics are Kafka topics and
// each started query runs on the runner's stream threads.
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/common/status.h"
#include "engine/planner/topology.h"
#include "engine/runtime/test_driver.h"

namespace sluice {

// What SHOW QUERIES / EXPLAIN say about a query the runner runs.
enum class QueryRunState { kRunning, kPaused, kError, kNotRunning };

struct QueryRunStatus {
  QueryRunState state = QueryRunState::kNotRunning;
  std::string error;  // kError: why the query stopped (with topic/partition/offset when known)
  int64_t error_time_ms = 0;  // kError: when (ms since the epoch)
};

// Where a transient (push) query's results go: the records its tasks write to its sink topic
// (plan.sink->topic, never created), handed over on a stream thread instead of being produced.
class TransientOutput {
 public:
  virtual ~TransientOutput() = default;
  // One record the query wrote to its sink topic. false: the query is done (LIMIT reached, the
  // client went away); its threads stop and nothing more is delivered.
  virtual bool OnRecord(const KafkaRecord& record) = 0;
  // The query failed and stopped (at most once).
  virtual void OnError(const Status& status) = 0;
};

// A transient query running on a runner. Destroying it stops the query and deletes what it
// owned: consumer group, internal topics (where the broker allows), state stores.
class TransientRun {
 public:
  virtual ~TransientRun() = default;
  // Input partitions its consumers hold now (-1: unknown), for callers that must know when a
  // push query reading from `latest` is in place.
  virtual int AssignedPartitions() const { return -1; }
};

// Where PRINT's records go (QueryRunner::TailTopic), on the runner's thread.
class TopicTailOutput {
 public:
  virtual ~TopicTailOutput() = default;
  // One poll's records, in partition/offset order; empty when nothing arrived for the idle
  // interval. false: stop reading (LIMIT reached, the client went away).
  virtual bool OnPoll(const std::vector<KafkaRecord>& records) = 0;
  // Reading failed and stopped (at most once).
  virtual void OnError(const Status& status) = 0;
};

class QueryRunner {
 public:
  virtual ~QueryRunner() = default;
  // Creates the topic if it does not exist (PARTITIONS honoured); an existing topic is fine.
  virtual Status CreateTopic(const std::string& name, int partitions) = 0;
  virtual Status DeleteTopic(const std::string& name) = 0;
  // Whether the topic exists. A failed CREATE ... AS SELECT deletes only the topics it created,
  // so a runner that cannot tell (the default) keeps every topic.
  virtual Result<bool> TopicExists(const std::string& name) {
    return Status::NotSupported("TopicExists: " + name);
  }
  // The partition count of an existing topic (a source declared over a topic made elsewhere
  // takes its count from Kafka, and so do its sinks and repartition topics).
  virtual Result<int> TopicPartitions(const std::string& name) {
    return Status::NotSupported("TopicPartitions: " + name);
  }
  // INSERT VALUES: writes one record (partitioned by its key with murmur2 when partition < 0).
  virtual Status Produce(const KafkaRecord& record) = 0;
  // Starts running a persistent query's topology; its tasks are made with CreateTask
  // (engine/runtime/task_factory.h). The plan stays alive as long as the runner holds it.
  // `properties`: the session's properties when the query started (SET 'auto.offset.reset').
  virtual Status Start(std::shared_ptr<const QueryPlan> plan, const TopologySpec& topology,
                       const std::map<std::string, std::string>& properties) = 0;
  // TERMINATE: stops the query, deletes its internal topics and consumer group.
  virtual Status Stop(const std::string& query_id) = 0;
  virtual Status Pause(const std::string& query_id) = 0;
  virtual Status Resume(const std::string& query_id) = 0;

  // Pull queries (engine/executor/pull_query.cpp), called from REST threads while stream
  // threads run; committed records only.
  using RecordFn = std::function<bool(const KafkaRecord&)>;  // false: stop reading
  // A table's current rows: its topic compacted (latest record per key; a tombstone deletes
  // it), partition by partition in key byte order. When `keys` is not empty, only the rows
  // with these key bytes; for a `windowed` table, whose keys end with the window, the rows
  // whose key starts with one of them.
  // `max_staleness`: the rows include every record the topic held at some moment no earlier
  // than this long before the call (0: every record written before the call).
  virtual Status ReadTable(const std::string& topic, const std::vector<std::string>& keys, bool windowed,
                           std::chrono::milliseconds max_staleness, const RecordFn& fn) {
    return Status::NotSupported("Pull queries on tables need a runner that can read " + topic);
  }
  // Every record of a stream's topic up to its end, partition by partition in offset order.
  virtual Status ReadTopic(const std::string& topic, const RecordFn& fn) {
    return Status::NotSupported("Pull queries on streams need a runner that can read " + topic);
  }
  // A transient (push) query: its topology runs like a persistent query's (internal topics
  // named for it), but its sink records go to `output`. `properties`: the request's
  // (auto.offset.reset: default latest).
  virtual Result<std::unique_ptr<TransientRun>> StartTransient(std::shared_ptr<const QueryPlan> plan,
                                                               const TopologySpec& topology,
                                                               const std::map<std::string, std::string>& properties,
                                                               std::shared_ptr<TransientOutput> output) {
    return Status::NotSupported("This query runner does not run push queries (" + topology.query_id + ")");
  }
  // A scalable push query (ksqlDB's push v2): `on_record` hears every record the running
  // persistent query `query_id` writes to its sink from now on, on the stream thread that
  // wrote it, until it returns false or the returned handle is destroyed (which waits for a
  // call in flight). No consumer, no group, no internal topic. NotFound: no such query running.
  virtual Result<std::unique_ptr<TransientRun>> SubscribeToSink(const std::string& query_id,
                                                                std::function<bool(const KafkaRecord&)> on_record) {
    return Status::NotSupported("This query runner has no scalable push queries (" + query_id + ")");
  }
  // Every topic's name, internal ones included (PRINT suggests one spelled in another case).
  virtual Result<std::vector<std::string>> ListTopicNames() {
    return Status::NotSupported("This query runner cannot list topics");
  }
  // PRINT: every partition of `topic` read from its beginning or from its end, raw, by a
  // consumer of its own (assigned, in no group, committing nothing) on a thread of its own,
  // until `output` says stop or the handle is destroyed (which waits for the thread).
  virtual Result<std::unique_ptr<TransientRun>> TailTopic(const std::string& topic, bool from_beginning,
                                                          std::chrono::milliseconds idle,
                                                          std::shared_ptr<TopicTailOutput> output) {
    return Status::NotSupported("This query runner cannot read topics for PRINT (" + topic + ")");
  }
  // RUNNING, PAUSED, or ERROR with the reason the query stopped (a fatal Kafka error, a bad
  // timestamp with ksql.timestamp.throw.on.invalid, ...); kNotRunning for an unknown id.
  // Thread-safe (REST threads ask while stream threads run).
  virtual QueryRunStatus QueryStatus(const std::string& query_id) const { return {}; }
};

}  // namespace sluice
