#include "engine/kafka/consumer.h"

#include <map>

#include <spdlog/spdlog.h>

namespace sluice {

// ---- RecordView / RecordBatch ---------------------------------------------------------------

int64_t RecordView::timestamp() const {
  rd_kafka_timestamp_type_t type;
  return rd_kafka_message_timestamp(msg_, &type);
}

std::optional<std::string_view> RecordView::key() const {
  if (!msg_->key) return std::nullopt;
  return std::string_view(static_cast<const char*>(msg_->key), msg_->key_len);
}

std::optional<std::string_view> RecordView::value() const {
  if (!msg_->payload) return std::nullopt;
  return std::string_view(static_cast<const char*>(msg_->payload), msg_->len);
}

std::vector<HeaderView> RecordView::headers() const {
  std::vector<HeaderView> out;
  rd_kafka_headers_t* hdrs = nullptr;
  // The headers belong to the message; the const_cast is librdkafka's API shape, not a write.
  if (rd_kafka_message_headers(const_cast<rd_kafka_message_t*>(msg_), &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR)
    return out;
  const char* name;
  const void* value;
  size_t size;
  for (size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i) {
    HeaderView h{name, std::nullopt};
    if (value) h.value = std::string_view(static_cast<const char*>(value), size);
    out.push_back(h);
  }
  return out;
}

KafkaRecord RecordView::ToKafkaRecord() const {
  KafkaRecord r;
  r.topic = std::string(topic());
  r.partition = partition();
  r.offset = offset();
  r.timestamp = timestamp();
  if (auto k = key()) r.key = std::string(*k);
  if (auto v = value()) r.value = std::string(*v);
  for (const HeaderView& h : headers()) {
    RecordHeader header{std::string(h.key), std::nullopt};
    if (h.value) header.value = std::string(*h.value);
    r.headers.push_back(std::move(header));
  }
  return r;
}

RecordBatch& RecordBatch::operator=(RecordBatch&& o) noexcept {
  if (this != &o) {
    for (auto* m : msgs_) rd_kafka_message_destroy(m);
    msgs_ = std::move(o.msgs_);
  }
  return *this;
}

RecordBatch::~RecordBatch() {
  for (auto* m : msgs_) rd_kafka_message_destroy(m);
}

std::vector<TopicPartitionOffset> RecordBatch::NextOffsets() const {
  std::map<TopicPartition, int64_t> next;
  for (const auto* m : msgs_) {
    int64_t& n = next[TopicPartition{rd_kafka_topic_name(m->rkt), m->partition}];
    n = std::max(n, m->offset + 1);
  }
  std::vector<TopicPartitionOffset> out;
  for (const auto& [tp, offset] : next) out.push_back({tp.topic, tp.partition, offset});
  return out;
}

// ---- lists ----------------------------------------------------------------------------------

rd_kafka_topic_partition_list_t* ToPartitionList(const std::vector<TopicPartitionOffset>& v) {
  auto* list = rd_kafka_topic_partition_list_new(static_cast<int>(v.size()));
  for (const auto& tpo : v)
    rd_kafka_topic_partition_list_add(list, tpo.topic.c_str(), tpo.partition)->offset = tpo.offset;
  return list;
}

std::vector<TopicPartition> FromPartitionList(const rd_kafka_topic_partition_list_t* list) {
  std::vector<TopicPartition> out;
  if (!list) return out;
  for (int i = 0; i < list->cnt; ++i) out.push_back({list->elems[i].topic, list->elems[i].partition});
  return out;
}

namespace {

// First per-partition error of a list (commit results and the like), or OK.
KafkaError FirstPartitionError(const rd_kafka_topic_partition_list_t* list, const std::string& what) {
  for (int i = 0; list && i < list->cnt; ++i)
    if (list->elems[i].err)
      return MakeKafkaError(list->elems[i].err, what, list->elems[i].topic, list->elems[i].partition);
  return {};
}

}  // namespace

// ---- Consumer -------------------------------------------------------------------------------

Result<std::unique_ptr<Consumer>> Consumer::Create(KafkaProperties props, std::string name,
                                                   RebalanceListener listener) {
  if (!props.count("bootstrap.servers"))
    return Status::InvalidArgument("Kafka consumer " + name + ": bootstrap.servers is not set");
  if (!props.count("group.id"))
    return Status::InvalidArgument("Kafka consumer " + name + ": group.id is not set");
  props.try_emplace("enable.auto.commit", "false");
  props.try_emplace("enable.auto.offset.store", "false");
  std::unique_ptr<Consumer> c(new Consumer());
  c->context_ = std::make_unique<ClientContext>();
  c->context_->name = "consumer " + name;
  c->listener_ = std::move(listener);
  Consumer* raw = c.get();
  c->context_->rebalance = [raw](rd_kafka_t* rk, rd_kafka_resp_err_t err,
                                 rd_kafka_topic_partition_list_t* parts) {
    raw->OnRebalance(rk, err, parts);
  };
  auto conf = BuildClientConf(props, c->context_.get());
  if (!conf.ok()) return conf.status();
  auto rk = NewClient(RD_KAFKA_CONSUMER, *conf, c->context_->name);
  if (!rk.ok()) return rk.status();
  c->rk_ = *rk;
  // Route the main queue (logs, errors, stats) to the consumer queue: one Poll serves all.
  rd_kafka_poll_set_consumer(c->rk_);
  return c;
}

Consumer::~Consumer() {
  if (!rk_) return;
  if (!closed_) Close().ok();
  rd_kafka_destroy(rk_);
}

void Consumer::OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                           rd_kafka_topic_partition_list_t* parts) {
  const bool cooperative = UsesCooperativeRebalancing(rk);
  const auto tps = FromPartitionList(parts);
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    spdlog::info("kafka {}: assigned {} partitions", context_->name, tps.size());
    rd_kafka_topic_partition_list_t* starts = nullptr;
    if (listener_.start_offsets && !tps.empty()) starts = ToPartitionList(listener_.start_offsets(tps));
    rd_kafka_topic_partition_list_t* assigned = starts ? starts : parts;
    KafkaError e = cooperative ? TakeKafkaError(rd_kafka_incremental_assign(rk, assigned), "assign")
                               : MakeKafkaError(rd_kafka_assign(rk, assigned), "assign");
    if (starts) rd_kafka_topic_partition_list_destroy(starts);
    if (!e.ok()) spdlog::error("kafka {}: {}", context_->name, e.ToString());
    if (listener_.on_assigned) listener_.on_assigned(tps);
  } else {
    spdlog::info("kafka {}: {} {} partitions", context_->name,
                 err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS ? "revoking" : "lost", tps.size());
    if (listener_.on_revoked) listener_.on_revoked(tps);
    KafkaError e = cooperative ? TakeKafkaError(rd_kafka_incremental_unassign(rk, parts), "unassign")
                               : MakeKafkaError(rd_kafka_assign(rk, nullptr), "unassign");
    if (!e.ok()) spdlog::error("kafka {}: {}", context_->name, e.ToString());
  }
}

Status Consumer::Subscribe(const std::vector<std::string>& topics) {
  auto* list = rd_kafka_topic_partition_list_new(static_cast<int>(topics.size()));
  for (const auto& t : topics) rd_kafka_topic_partition_list_add(list, t.c_str(), RD_KAFKA_PARTITION_UA);
  rd_kafka_resp_err_t err = rd_kafka_subscribe(rk_, list);
  rd_kafka_topic_partition_list_destroy(list);
  return MakeKafkaError(err, context_->name + ": subscribe").ToStatus();
}

Status Consumer::Assign(const std::vector<TopicPartitionOffset>& partitions) {
  auto* list = ToPartitionList(partitions);
  rd_kafka_resp_err_t err = rd_kafka_assign(rk_, list);
  rd_kafka_topic_partition_list_destroy(list);
  return MakeKafkaError(err, context_->name + ": assign").ToStatus();
}

Status Consumer::Unassign() {
  return MakeKafkaError(rd_kafka_assign(rk_, nullptr), context_->name + ": unassign").ToStatus();
}

Result<std::vector<TopicPartition>> Consumer::Assignment() {
  rd_kafka_topic_partition_list_t* list = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_assignment(rk_, &list);
  if (err) return MakeKafkaError(err, context_->name + ": assignment").ToStatus();
  auto out = FromPartitionList(list);
  rd_kafka_topic_partition_list_destroy(list);
  return out;
}

bool Consumer::HandleMessageError(const rd_kafka_message_t* msg, KafkaError* fatal) {
  const char* topic = msg->rkt ? rd_kafka_topic_name(msg->rkt) : "";
  if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) return true;
  if (msg->err == RD_KAFKA_RESP_ERR__FATAL) {
    char buf[512];
    rd_kafka_resp_err_t code = rd_kafka_fatal_error(rk_, buf, sizeof buf);
    *fatal = MakeKafkaError(code, context_->name + ": fatal error: " + buf);
    fatal->fatal = true;
    return false;
  }
  ++partition_errors_;
  KafkaError e = MakeKafkaError(msg->err, context_->name, topic, msg->partition);
  if (msg->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET || msg->err == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE) {
    // The broker no longer has the records we were about to read (retention, or the embedded
    // broker's per-partition limit): never silent.
    spdlog::error("kafka {}: DATA LOSS: offset out of range, records were dropped before they "
                  "were read: {} ({})", context_->name, e.ToString(), rd_kafka_message_errstr(msg));
  } else {
    spdlog::warn("kafka {}: {} ({})", context_->name, e.ToString(), rd_kafka_message_errstr(msg));
  }
  return true;
}

Result<RecordBatch> Consumer::Poll(size_t max_records, std::chrono::milliseconds timeout) {
  RecordBatch batch;
  batch.msgs_.reserve(std::min<size_t>(max_records, 4096));
  int wait_ms = static_cast<int>(timeout.count());
  while (batch.msgs_.size() < max_records) {
    rd_kafka_message_t* msg = rd_kafka_consumer_poll(rk_, wait_ms);
    if (!msg) break;
    wait_ms = 0;  // after the first record, take only what is already here
    if (msg->err) {
      KafkaError fatal;
      bool go_on = HandleMessageError(msg, &fatal);
      rd_kafka_message_destroy(msg);
      if (!go_on) return fatal.ToStatus();
      continue;
    }
    batch.msgs_.push_back(msg);
  }
  return batch;
}

Status Consumer::Commit(const std::vector<TopicPartitionOffset>& offsets, bool async) {
  if (offsets.empty()) return Status::OK();
  auto* list = ToPartitionList(offsets);
  rd_kafka_resp_err_t err = rd_kafka_commit(rk_, list, async ? 1 : 0);
  KafkaError e = err ? MakeKafkaError(err, context_->name + ": commit",
                                      offsets.size() == 1 ? offsets[0].topic : "",
                                      offsets.size() == 1 ? offsets[0].partition : -1)
                     : (async ? KafkaError{} : FirstPartitionError(list, context_->name + ": commit"));
  rd_kafka_topic_partition_list_destroy(list);
  return e.ToStatus();
}

Result<std::vector<TopicPartitionOffset>> Consumer::Committed(
    const std::vector<TopicPartition>& partitions, std::chrono::milliseconds timeout) {
  std::vector<TopicPartitionOffset> in;
  for (const auto& tp : partitions) in.push_back({tp.topic, tp.partition, RD_KAFKA_OFFSET_INVALID});
  auto* list = ToPartitionList(in);
  rd_kafka_resp_err_t err = rd_kafka_committed(rk_, list, static_cast<int>(timeout.count()));
  KafkaError e = err ? MakeKafkaError(err, context_->name + ": committed offsets")
                     : FirstPartitionError(list, context_->name + ": committed offsets");
  std::vector<TopicPartitionOffset> out;
  for (int i = 0; i < list->cnt; ++i)
    out.push_back({list->elems[i].topic, list->elems[i].partition, list->elems[i].offset});
  rd_kafka_topic_partition_list_destroy(list);
  if (!e.ok()) return e.ToStatus();
  return out;
}

Result<std::pair<int64_t, int64_t>> Consumer::Watermarks(const std::string& topic, int32_t partition,
                                                         std::chrono::milliseconds timeout) {
  int64_t low = 0, high = 0;
  rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(rk_, topic.c_str(), partition, &low,
                                                             &high, static_cast<int>(timeout.count()));
  if (err) return MakeKafkaError(err, context_->name + ": watermarks", topic, partition).ToStatus();
  return std::make_pair(low, high);
}

rd_kafka_consumer_group_metadata_t* Consumer::GroupMetadata() {
  return rd_kafka_consumer_group_metadata(rk_);
}

Status Consumer::Close() {
  if (closed_) return Status::OK();
  closed_ = true;
  return MakeKafkaError(rd_kafka_consumer_close(rk_), context_->name + ": close").ToStatus();
}

}  // namespace sluice
