#include "engine/kafka/materialization.h"

#include <chrono>

#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

#include "engine/kafka/consumer.h"
#include "engine/kafka/query_runner.h"

namespace sluice {

namespace {
constexpr auto kMetadataTimeout = std::chrono::seconds(10);
constexpr auto kReadTimeout = std::chrono::seconds(60);  // per partition, reading to its end
}  // namespace

struct TopicMaterializer::Table {
  std::mutex mu;
  std::unique_ptr<Consumer> consumer;
  std::vector<int64_t> next;                             // per partition; -1: not read yet
  std::vector<std::map<std::string, KafkaRecord>> rows;  // per partition: key bytes -> latest
};

TopicMaterializer::TopicMaterializer(KafkaProperties consumer_properties) : props_(std::move(consumer_properties)) {}
TopicMaterializer::~TopicMaterializer() = default;

// Assign-only, never commits; reads committed records and says where a partition ends.
Result<std::unique_ptr<Consumer>> TopicMaterializer::NewConsumer(const std::string& name) const {
  KafkaProperties props = props_;
  props["group.id"] = "_sluice-pull-" + name;
  props["enable.partition.eof"] = "true";
  props["auto.offset.reset"] = "earliest";
  props["isolation.level"] = "read_committed";
  return Consumer::Create(std::move(props), "pull " + name);
}

// Partition by partition, from (*next)[p] (or the partition's start) to the end the broker
// reports now. A partition whose offsets no longer include (*next)[p] is read again from its
// start, and `apply` learns it by a record with offset -1 and that partition.
Status TopicMaterializer::ReadToEnd(Consumer& consumer, const std::string& topic, std::vector<int64_t>* next,
                                    const std::function<bool(const KafkaRecord&)>& apply, bool* stopped) const {
  *stopped = false;
  for (int p = 0; p < static_cast<int>(next->size()) && !*stopped; ++p) {
    const std::string where = "pull query reading " + topic + " partition " + std::to_string(p);
    auto marks = consumer.Watermarks(topic, p, kMetadataTimeout);
    if (!marks.ok()) return Status::IOError(where + ": " + marks.status().message());
    const auto [low, high] = *marks;
    int64_t& at = (*next)[p];
    if (at >= 0 && (at < low || at > high)) {
      // Records were dropped (retention, the embedded broker's size limit) or the topic was
      // deleted and created again: what was read no longer describes it.
      spdlog::warn("{}: offset {} is outside the topic's [{}, {}]: reading it again from {}", where, at, low, high, low);
      KafkaRecord reset;
      reset.partition = p;
      reset.offset = -1;
      apply(reset);
      at = -1;
    }
    if (at < 0) at = low;
    if (at >= high) continue;
    SLUICE_RETURN_IF_ERROR(consumer.Assign({{topic, p, at}}));
    const auto deadline = std::chrono::steady_clock::now() + kReadTimeout;
    Status status;
    while (at < high && !*stopped) {
      if (std::chrono::steady_clock::now() > deadline) {
        status = Status::IOError(where + ": timed out at offset " + std::to_string(at) + " of " + std::to_string(high));
        break;
      }
      rd_kafka_message_t* msg = rd_kafka_consumer_poll(consumer.handle(), 100);
      if (!msg) continue;
      if (msg->rkt && msg->partition != p) {  // left over from the previous partition's assignment
        rd_kafka_message_destroy(msg);
        continue;
      }
      if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        rd_kafka_message_destroy(msg);
        break;  // the end (transaction markers may keep offsets below the high watermark)
      }
      if (msg->err) {
        status = Status::IOError(where + ": " + rd_kafka_message_errstr(msg));
        rd_kafka_message_destroy(msg);
        break;
      }
      RecordView view(msg);
      at = view.offset() + 1;
      if (!apply(view.ToKafkaRecord())) *stopped = true;
      rd_kafka_message_destroy(msg);
    }
    consumer.Unassign().ok();
    SLUICE_RETURN_IF_ERROR(status);
  }
  return Status::OK();
}

Status TopicMaterializer::CatchUp(Table& t, const std::string& topic, int partitions) const {
  if (!t.consumer) {
    auto c = NewConsumer(topic);
    if (!c.ok()) return c.status();
    t.consumer = std::move(*c);
  }
  if (static_cast<int>(t.next.size()) < partitions) {
    t.next.resize(partitions, -1);
    t.rows.resize(partitions);
  }
  bool stopped = false;
  int64_t applied = 0;
  Status s = ReadToEnd(*t.consumer, topic, &t.next,
                       [&t, &applied](const KafkaRecord& r) {
                         auto& rows = t.rows[r.partition];
                         if (r.offset < 0) rows.clear();
                         else if (!r.key) return true;  // a table row needs its key
                         else if (r.value) rows[*r.key] = r;
                         else rows.erase(*r.key);
                         ++applied;
                         return true;
                       },
                       &stopped);
  if (applied > 0) spdlog::debug("pull queries: {} new records of {} materialized", applied, topic);
  return s;
}

Status TopicMaterializer::ReadTable(const std::string& topic, int partitions,
                                    const std::vector<std::string>& key_prefixes, const QueryRunner::RecordFn& fn) {
  std::shared_ptr<Table> table;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto& slot = tables_[topic];
    if (!slot) slot = std::make_shared<Table>();
    table = slot;
  }
  std::lock_guard<std::mutex> lock(table->mu);
  SLUICE_RETURN_IF_ERROR(CatchUp(*table, topic, partitions));
  for (const auto& rows : table->rows) {
    if (key_prefixes.empty()) {
      for (const auto& [key, record] : rows)
        if (!fn(record)) return Status::OK();
      continue;
    }
    for (const auto& prefix : key_prefixes)
      for (auto it = rows.lower_bound(prefix); it != rows.end() && it->first.compare(0, prefix.size(), prefix) == 0;
           ++it)
        if (!fn(it->second)) return Status::OK();
  }
  return Status::OK();
}

Status TopicMaterializer::ReadTopic(const std::string& topic, int partitions, const QueryRunner::RecordFn& fn) {
  auto consumer = NewConsumer(topic + "-scan");
  if (!consumer.ok()) return consumer.status();
  std::vector<int64_t> next(partitions, -1);
  bool stopped = false;
  Status s = ReadToEnd(**consumer, topic, &next, [&fn](const KafkaRecord& r) { return r.offset < 0 || fn(r); },
                       &stopped);
  (*consumer)->Close().ok();
  return s;
}

// ---- KafkaQueryRunner's side ----------------------------------------------------------

Status KafkaQueryRunner::ReadTable(const std::string& topic, const std::vector<std::string>& key_prefixes,
                                   const RecordFn& fn) {
  std::call_once(materializer_once_,
                 [this] { materializer_ = std::make_shared<TopicMaterializer>(options_.consumer_properties); });
  auto partitions = PartitionCount(topic);
  if (!partitions.ok()) return partitions.status();
  return materializer_->ReadTable(topic, *partitions, key_prefixes, fn);
}

Status KafkaQueryRunner::ReadTopic(const std::string& topic, const RecordFn& fn) {
  std::call_once(materializer_once_,
                 [this] { materializer_ = std::make_shared<TopicMaterializer>(options_.consumer_properties); });
  auto partitions = PartitionCount(topic);
  if (!partitions.ok()) return partitions.status();
  return materializer_->ReadTopic(topic, *partitions, fn);
}

}  // namespace sluice
