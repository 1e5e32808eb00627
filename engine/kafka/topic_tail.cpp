// KafkaQueryRunner's side of PRINT (ksqlDB's PrintTopicUtil + the poll loop of its
// TopicStreamWriter): a consumer of its own, assigned every partition of the topic at its
// beginning or its end (no group is joined, no offset committed, so nothing is left behind on
// the broker), polled on a thread of its own; each poll's records go to the TopicTailOutput,
// and an empty poll after `idle` too (PRINT's keep-alive line). Destroying the handle stops
// the thread and closes the consumer.
#include <atomic>
#include <random>
#include <thread>

#include <spdlog/spdlog.h>

#include "engine/kafka/consumer.h"
#include "engine/kafka/query_runner.h"

namespace sluice {

namespace {

// How long one poll blocks: the bound on how long stopping a PRINT waits for its thread.
constexpr std::chrono::milliseconds kPollSlice{100};

class KafkaTopicTail : public TransientRun {
 public:
  KafkaTopicTail(std::unique_ptr<Consumer> consumer, std::string topic, std::chrono::milliseconds idle,
                 size_t max_records, std::shared_ptr<TopicTailOutput> output)
      : consumer_(std::move(consumer)), topic_(std::move(topic)), idle_(idle), max_records_(max_records),
        output_(std::move(output)) {
    thread_ = std::thread([this] { Loop(); });
  }
  ~KafkaTopicTail() override {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    Status closed = consumer_->Close();
    if (!closed.ok()) spdlog::warn("PRINT {}: closing its consumer: {}", topic_, closed.message());
    spdlog::info("PRINT {}: consumer closed", topic_);
  }

 private:
  void Loop() {
    auto last_output = std::chrono::steady_clock::now();
    std::vector<KafkaRecord> records;
    while (!stop_) {
      auto batch = consumer_->Poll(max_records_, kPollSlice);
      if (!batch.ok()) {
        spdlog::warn("PRINT {}: reading stopped: {}", topic_, batch.status().message());
        output_->OnError(batch.status());
        return;
      }
      const auto now = std::chrono::steady_clock::now();
      if (batch->empty() && now - last_output < idle_) continue;
      records.clear();
      for (size_t i = 0; i < batch->size(); ++i) records.push_back((*batch)[i].ToKafkaRecord());
      last_output = now;
      if (!output_->OnPoll(records)) return;
    }
  }

  std::unique_ptr<Consumer> consumer_;
  std::string topic_;
  std::chrono::milliseconds idle_;
  size_t max_records_;
  std::shared_ptr<TopicTailOutput> output_;
  std::atomic<bool> stop_{false};
  std::thread thread_;  // last: started once everything it reads is set
};

}  // namespace

Result<std::vector<std::string>> KafkaQueryRunner::ListTopicNames() {
  auto topics = admin_->ListTopics();
  if (!topics.ok()) return topics.status();
  std::vector<std::string> names;
  for (const TopicInfo& t : *topics) names.push_back(t.name);
  return names;
}

Result<std::unique_ptr<TransientRun>> KafkaQueryRunner::TailTopic(const std::string& topic, bool from_beginning,
                                                                  std::chrono::milliseconds idle,
                                                                  std::shared_ptr<TopicTailOutput> output) {
  auto partitions = PartitionCount(topic);
  if (!partitions.ok()) return partitions.status();
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  KafkaProperties props = options_.consumer_properties;
  // Required by the consumer wrapper; never joined (the partitions are assigned) nor committed.
  props["group.id"] = "_confluent-ksql-" + options_.service_id + "print_" + std::to_string(rng() & 0xffffffffULL);
  auto consumer = Consumer::Create(std::move(props), "print-" + topic);
  if (!consumer.ok()) return consumer.status();
  std::vector<TopicPartitionOffset> assignment;
  for (int32_t p = 0; p < *partitions; ++p)
    assignment.push_back({topic, p, from_beginning ? RD_KAFKA_OFFSET_BEGINNING : RD_KAFKA_OFFSET_END});
  SLUICE_RETURN_IF_ERROR((*consumer)->Assign(assignment));
  spdlog::info("PRINT {}: {} partitions from {}", topic, *partitions, from_beginning ? "the beginning" : "the end");
  return std::unique_ptr<TransientRun>(
      std::make_unique<KafkaTopicTail>(std::move(*consumer), topic, idle, options_.max_poll_records, std::move(output)));
}

}  // namespace sluice
