#pragma once
// Producer: batched writes with delivery reports. Records are partitioned as Kafka's Java client
// does (`partitioner=murmur2_random` is the default here). A background thread serves
// librdkafka's callbacks, so delivery reports arrive without the caller polling.
//
//   auto producer = Producer::Create({{"bootstrap.servers", addr}}, "sink");
//   DeliveryTracker tracker;
//   producer->Produce(batch, &tracker);       // enqueue, returns at once
//   tracker.Wait(10s);                         // every record acknowledged, or the first error
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "engine/kafka/client.h"

namespace sluice {

struct HeaderView {
  std::string_view key;
  std::optional<std::string_view> value;  // nullopt: null header value
};

// One record to write. Views into caller memory; librdkafka copies the bytes while producing,
// so the caller may reuse its buffers as soon as Produce returns.
struct OutputRecord {
  std::string_view topic;
  int32_t partition = -1;                 // -1: the partitioner decides (murmur2 of the key)
  std::optional<std::string_view> key;    // nullopt: null key
  std::optional<std::string_view> value;  // nullopt: tombstone
  int64_t timestamp = 0;                  // ms since epoch; 0: now
  std::span<const HeaderView> headers;
};

// Counts the records of one or more Produce calls until librdkafka reports them delivered or
// failed. Thread-safe; must outlive the delivery of every record it tracks.
class DeliveryTracker {
 public:
  // Waits until every tracked record is acknowledged. Returns the first delivery error, or
  // a timeout error (retriable) naming how many records are still outstanding.
  Status Wait(std::chrono::milliseconds timeout);
  int64_t pending() const;
  int64_t delivered() const;
  std::vector<KafkaError> errors() const;
  // Where the last acknowledged record landed (for single-record writes).
  int32_t last_partition() const;
  int64_t last_offset() const;

 private:
  friend class Producer;
  void Add(int64_t n);
  void Done(const rd_kafka_message_t* msg);

  mutable std::mutex mu_;
  std::condition_variable cv_;
  int64_t pending_ = 0, delivered_ = 0;
  int32_t last_partition_ = -1;
  int64_t last_offset_ = -1;
  std::vector<KafkaError> errors_;
};

class Producer {
 public:
  // `props` are librdkafka settings; bootstrap.servers is required. `name` appears in logs.
  static Result<std::unique_ptr<Producer>> Create(KafkaProperties props, std::string name);
  ~Producer();  // flushes (bounded) and stops the poll thread
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  // Enqueues every record of `batch` in order. When librdkafka's queue is full it waits for
  // room (bounded by message.timeout.ms) instead of failing. Records not enqueued because of
  // an error are not counted in `tracker`; the error names their topic/partition.
  Status Produce(std::span<const OutputRecord> batch, DeliveryTracker* tracker = nullptr);
  // One record, waited for: its partition and offset, or the delivery error.
  Result<std::pair<int32_t, int64_t>> ProduceSync(const OutputRecord& record,
                                                  std::chrono::milliseconds timeout);
  // Waits until everything enqueued so far is delivered or failed.
  Status Flush(std::chrono::milliseconds timeout);

  // Transactions (transactional.id set): librdkafka's calls, errors with their flags.
  Status InitTransactions(std::chrono::milliseconds timeout);
  Status BeginTransaction();
  Status SendOffsetsToTransaction(const rd_kafka_topic_partition_list_t* offsets,
                                  const rd_kafka_consumer_group_metadata_t* group,
                                  std::chrono::milliseconds timeout);
  Status CommitTransaction(std::chrono::milliseconds timeout);
  Status AbortTransaction(std::chrono::milliseconds timeout);

  // Records whose delivery failed with no tracker attached (they are also logged).
  int64_t untracked_failures() const { return untracked_failures_.load(); }
  const ClientStats& stats() const { return context_->stats; }
  // The client's fatal error, if it had one (a fatal client must be recreated).
  std::optional<KafkaError> fatal_error() const;
  rd_kafka_t* handle() { return rk_; }

 private:
  Producer() = default;
  void OnDelivery(const rd_kafka_message_t* msg);
  void PollLoop();

  std::unique_ptr<ClientContext> context_;
  rd_kafka_t* rk_ = nullptr;
  std::thread poller_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> untracked_failures_{0};
  int message_timeout_ms_ = 300000;
};

}  // namespace sluice
