#pragma once
// StreamThread: one thread of a persistent query (Kafka Streams' StreamThread). It owns a
// consumer in the query's group and the tasks of the partitions that consumer is assigned, so
// nothing on the hot path takes a lock:
//
//   poll a batch -> each record to the task of (sub-topology, partition), in order -> the
//   batch's outputs (sink, repartition) and changelog records to the producer in one go ->
//   every commit.interval.ms: Task::Commit, produce, wait for the deliveries, checkpoint the
//   stores at the changelog offsets reached, commit the consumed offsets (at-least-once), or
//   commit a transaction holding outputs, changelogs and offsets (exactly_once_v2).
//
// Tasks are created when their partition is assigned (stores restored from the changelog: the
// tail after the store's checkpoint, or all of it) and dropped when it is revoked, after a
// commit; RocksDB keeps the stores' partitions, checkpointed, for whoever gets them next. Rebalance callbacks run inside Poll, on this thread.
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "engine/kafka/consumer.h"
#include "engine/kafka/processing_log.h"
#include "engine/kafka/producer.h"
#include "engine/planner/topology.h"
#include "engine/runtime/task.h"

namespace sluice {

// `status` with `context` in front of its message, same code.
Status WithContext(const Status& status, const std::string& context);

struct RunnerCounters {
  std::atomic<int64_t> processed{0}, produced{0}, restored{0}, processing_log{0}, commits{0};
};

// Scalable push queries subscribed to a persistent query's sink records. The stream threads
// check `count` (relaxed) per batch: with no subscriber the hot path pays one atomic load.
class SinkSubscribers {
 public:
  using Fn = std::function<bool(const KafkaRecord&)>;
  bool empty() const { return count_.load(std::memory_order_relaxed) == 0; }
  uint64_t Add(Fn fn);
  // Waits for a delivery in flight: once it returns, the subscriber is never called again.
  void Remove(uint64_t id);
  // The records of `records` written to `topic`, to every subscriber; one that returns false
  // is removed.
  void Deliver(const std::vector<KafkaRecord>& records, const std::string& topic);

 private:
  std::atomic<int> count_{0};
  std::mutex mu_;
  uint64_t next_ = 0;
  std::map<uint64_t, Fn> subs_;
};

// What the threads of one query share; immutable after start except the atomics and `error`.
struct QueryContext {
  std::string query_id;
  std::string group_id;
  std::shared_ptr<const QueryPlan> plan;
  TopologySpec topology;
  std::vector<std::string> input_topics;          // of every sub-topology, deduplicated
  std::map<std::string, std::vector<size_t>> subs_of_topic;  // input topic -> sub-topologies
  std::map<std::string, std::string> changelog_of_store;     // store name -> changelog topic
  std::map<std::string, int> partitions;          // output/changelog topic -> partition count
  KafkaProperties consumer_properties;            // group.id, auto.offset.reset set
  KafkaProperties producer_properties;            // for transactional producers
  std::string offsets_topic;                      // exactly_once_v2
  bool exactly_once = false;
  std::chrono::milliseconds commit_interval{2000};
  size_t max_poll_records = 1000;
  size_t cache_max_bytes = 0;                     // ksql.streams.cache.max.bytes.buffering
  Producer* shared_producer = nullptr;            // at-least-once
  StateBackend* shared_state = nullptr;           // RocksDB; null: one memory backend per thread
  ProcessingLog* processing_log = nullptr;        // the runner's; null: spdlog only
  std::string sink_topic;                         // for serialization-error entries
  std::shared_ptr<RunnerCounters> counters;

  // A transient (push) query: the records its tasks write to `local_topic` go to
  // `local_output` on the stream thread instead of the producer; false means the query is done
  // (its thread stops). `on_failure` hears the error that stopped the query, once.
  std::string local_topic;
  std::function<bool(const KafkaRecord&)> local_output;
  std::function<void(const Status&)> on_failure;

  // Scalable push queries reading this query's sink records (`sink_topic`).
  SinkSubscribers subscribers;

  std::atomic<bool> paused{false};
  std::atomic<bool> failed{false};
  std::atomic<int> paused_partitions{0};
  std::atomic<int> assigned_partitions{0};  // over the query's consumers

  // At-least-once: offsets a revoked thread processed and flushed (outputs, changelogs,
  // checkpoints) but could not commit because the group was already rebalancing (the embedded
  // broker refuses commits then). The next owner on this server starts from them rather than
  // from the older committed offset, so a hand-over between the query's own threads processes
  // nothing twice; it commits them with its first commit.
  void HandOver(const TopicPartition& tp, int64_t next_offset);
  // The handed-over offset of `tp` (removed), if any.
  std::optional<int64_t> TakeHandedOver(const TopicPartition& tp);
  // The first error that stopped the query: logged with its context, and written to the
  // processing log as ksqlDB's kafkaStreamsThreadError entry naming `thread`.
  void Fail(const Status& status, const std::string& thread);
  std::string error() const;
  int64_t error_time_ms() const;

 private:
  std::mutex handed_over_mu_;
  std::map<TopicPartition, int64_t> handed_over_;
  mutable std::mutex error_mu_;
  std::string error_;
  int64_t error_time_ms_ = 0;
};

class StreamThread {
 public:
  StreamThread(std::shared_ptr<QueryContext> ctx, int index);
  ~StreamThread();  // stops and joins
  // Creates the clients, subscribes and starts the thread.
  Status Start();
  // Asks the thread to commit what it processed and leave the group; Join waits for it.
  void RequestStop() { stop_ = true; }
  void Join();

 private:
  struct TaskSlot;
  void Run();
  Status Loop();
  Status ProcessRecords(const RecordBatch& batch);
  Status ProduceOutputs();
  void DeliverLocalOutputs();
  Status CommitAll();
  Status CommitTransaction(const std::vector<TopicPartitionOffset>& offsets);
  void OnAssigned(const std::vector<TopicPartition>& parts);
  void OnRevoked(const std::vector<TopicPartition>& parts);
  std::vector<TopicPartitionOffset> StartOffsets(const std::vector<TopicPartition>& parts);
  Result<std::vector<TopicPartitionOffset>> ReadStartOffsets(const std::vector<TopicPartition>& parts);
  Status EnsureRestoreConsumer();
  Result<TaskSlot*> TaskFor(size_t sub, int partition);
  Status RestoreStores(TaskSlot& slot);
  Status RestoreStore(const StoreSpec& store, int partition, TaskSlot& slot);
  void DropTask(size_t sub, int partition, bool keep_state);
  void ApplyPause();
  void CollectOutputs(TaskSlot& slot, size_t first, int input_partition);
  void Log(const std::string& entry, const KafkaRecord& in);
  StateBackend* state() { return ctx_->shared_state ? ctx_->shared_state : own_state_.get(); }
  Producer* producer() { return own_producer_ ? own_producer_.get() : ctx_->shared_producer; }
  std::string Name() const;

  std::shared_ptr<QueryContext> ctx_;
  int index_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::unique_ptr<Consumer> consumer_;
  std::unique_ptr<Consumer> restore_consumer_;   // assign-only, reads changelogs and offsets
  std::unique_ptr<Producer> own_producer_;       // transactional (exactly_once_v2)
  std::unique_ptr<StateBackend> own_state_;      // memory stores when there is no RocksDB
  bool in_transaction_ = false;
  bool consumer_paused_ = false;
  Status callback_error_;                        // from rebalance callbacks, raised after Poll

  std::map<std::pair<size_t, int>, std::unique_ptr<TaskSlot>> tasks_;
  std::map<TopicPartition, int64_t> next_offsets_;   // processed, not yet committed
  bool dirty_ = false;                               // something processed since the last commit
  std::chrono::steady_clock::time_point next_commit_;

  // The current batch's outputs (OutputRecords view their bytes until Produce returns).
  TaskOutput out_;
  KafkaRecord scratch_;
  std::vector<size_t> order_;  // a push query's processing order within a poll (by partition)
  struct PendingChangelog {
    KafkaRecord record;
    DeliveryTracker* tracker = nullptr;  // its store partition's, in the TaskSlot
  };
  std::vector<PendingChangelog> changelog_out_;
  std::unique_ptr<DeliveryTracker> tracker_;         // outputs since the last commit
};

}  // namespace sluice
