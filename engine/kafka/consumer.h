#pragma once
// Consumer: librdkafka's high-level consumer shaped for stream threads. Poll() hands a batch of
// records whose key/value/headers are views into librdkafka's own buffers (no copy); the batch
// owns the messages and releases them when it goes away. Offsets are committed explicitly
// (enable.auto.commit=false): a task commits what it has flushed, never what it merely read.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/kafka/client.h"
#include "engine/kafka/producer.h"  // HeaderView
#include "engine/runtime/test_driver.h"  // KafkaRecord

namespace sluice {

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;
  bool operator<(const TopicPartition& o) const {
    return topic != o.topic ? topic < o.topic : partition < o.partition;
  }
  bool operator==(const TopicPartition& o) const = default;
};

struct TopicPartitionOffset {
  std::string topic;
  int32_t partition = 0;
  // Assign: where to start (RD_KAFKA_OFFSET_BEGINNING / _END / _STORED or an offset).
  // Commit: the next offset to read (last processed + 1), as Kafka stores it.
  int64_t offset = RD_KAFKA_OFFSET_STORED;
};

// One consumed record: views valid while its RecordBatch lives.
class RecordView {
 public:
  explicit RecordView(const rd_kafka_message_t* msg) : msg_(msg) {}
  std::string_view topic() const { return rd_kafka_topic_name(msg_->rkt); }
  int32_t partition() const { return msg_->partition; }
  int64_t offset() const { return msg_->offset; }
  int64_t timestamp() const;  // create/log-append time, ms; -1 when the broker gave none
  std::optional<std::string_view> key() const;
  std::optional<std::string_view> value() const;
  // Parsed on demand (a walk over librdkafka's header list; views, no copy).
  std::vector<HeaderView> headers() const;
  // A copy, in the test driver's shape (for code that keeps records beyond the batch).
  KafkaRecord ToKafkaRecord() const;
  const rd_kafka_message_t* raw() const { return msg_; }

 private:
  const rd_kafka_message_t* msg_;
};

// The records of one Poll(), in the order librdkafka delivered them (per partition, offset
// order). Move-only; destroys its messages.
class RecordBatch {
 public:
  RecordBatch() = default;
  RecordBatch(RecordBatch&& o) noexcept : msgs_(std::move(o.msgs_)) {}
  RecordBatch& operator=(RecordBatch&& o) noexcept;
  ~RecordBatch();

  size_t size() const { return msgs_.size(); }
  bool empty() const { return msgs_.empty(); }
  RecordView operator[](size_t i) const { return RecordView(msgs_[i]); }
  // For each partition in the batch, the offset to commit once all its records are processed.
  std::vector<TopicPartitionOffset> NextOffsets() const;

 private:
  friend class Consumer;
  std::vector<rd_kafka_message_t*> msgs_;
};

// Called on the polling thread inside Poll(), around librdkafka's own (incremental) assign.
struct RebalanceListener {
  // Where newly assigned partitions start fetching, asked before they are assigned (offset
  // RD_KAFKA_OFFSET_STORED: the group's committed offset, else auto.offset.reset). Deciding
  // before the one assignment matters: assigning first and re-assigning with other offsets
  // lets the first assignment's committed-offset lookup land late and rewind the partition.
  std::function<std::vector<TopicPartitionOffset>(const std::vector<TopicPartition>&)> start_offsets;
  std::function<void(const std::vector<TopicPartition>&)> on_assigned;
  std::function<void(const std::vector<TopicPartition>&)> on_revoked;  // before they go
};

// How long the stream threads and the materialization wait for the broker's answer to a
// metadata request (watermarks, committed offsets, offsets for times).
inline constexpr auto kMetadataTimeout = std::chrono::seconds(10);

class Consumer {
 public:
  // `props`: librdkafka settings; bootstrap.servers and group.id are required. Defaults set
  // here unless given: enable.auto.commit=false, enable.auto.offset.store=false.
  static Result<std::unique_ptr<Consumer>> Create(KafkaProperties props, std::string name,
                                                  RebalanceListener listener = {});
  ~Consumer();  // closes (leaves the group) if Close() was not called
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  Status Subscribe(const std::vector<std::string>& topics);
  Status Assign(const std::vector<TopicPartitionOffset>& partitions);
  Status Unassign();
  Result<std::vector<TopicPartition>> Assignment();

  // Up to `max_records` records: waits up to `timeout` for the first, then takes what is
  // already fetched without waiting. An empty batch means nothing arrived in time. Errors
  // that concern one partition (offset out of range: data loss, logged as such) are logged and
  // counted; a fatal consumer error is returned.
  Result<RecordBatch> Poll(size_t max_records, std::chrono::milliseconds timeout);

  // Commits `offsets` (next offsets to read). Synchronous unless `async`.
  Status Commit(const std::vector<TopicPartitionOffset>& offsets, bool async = false);
  Result<std::vector<TopicPartitionOffset>> Committed(const std::vector<TopicPartition>& partitions,
                                                      std::chrono::milliseconds timeout);
  // Low and high watermarks of one partition, asked of the broker.
  Result<std::pair<int64_t, int64_t>> Watermarks(const std::string& topic, int32_t partition,
                                                 std::chrono::milliseconds timeout);
  // For transactional producers (sendOffsetsToTransaction). Caller destroys it with
  // rd_kafka_consumer_group_metadata_destroy.
  rd_kafka_consumer_group_metadata_t* GroupMetadata();

  Status Close();
  int64_t partition_errors() const { return partition_errors_; }
  const ClientStats& stats() const { return context_->stats; }
  const std::string& name() const { return context_->name; }
  rd_kafka_t* handle() { return rk_; }

 private:
  Consumer() = default;
  void OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts);
  // Returns false (and fills `fatal`) when the message carries a fatal error.
  bool HandleMessageError(const rd_kafka_message_t* msg, KafkaError* fatal);

  std::unique_ptr<ClientContext> context_;
  RebalanceListener listener_;
  rd_kafka_t* rk_ = nullptr;
  bool closed_ = false;
  int64_t partition_errors_ = 0;
};

// librdkafka list <-> vectors.
rd_kafka_topic_partition_list_t* ToPartitionList(const std::vector<TopicPartitionOffset>& v);
std::vector<TopicPartition> FromPartitionList(const rd_kafka_topic_partition_list_t* list);

}  // namespace sluice
