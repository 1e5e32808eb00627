#include "engine/kafka/producer.h"

#include <spdlog/spdlog.h>

namespace sluice {

// ---- DeliveryTracker ------------------------------------------------------------------------

void DeliveryTracker::Add(int64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  pending_ += n;
}

void DeliveryTracker::Done(const rd_kafka_message_t* msg) {
  std::lock_guard<std::mutex> lock(mu_);
  --pending_;
  if (msg->err) {
    errors_.push_back(MakeKafkaError(msg->err, "delivery failed", rd_kafka_topic_name(msg->rkt),
                                     msg->partition));
  } else {
    ++delivered_;
    last_partition_ = msg->partition;
    last_offset_ = msg->offset;
  }
  if (pending_ == 0) cv_.notify_all();
}

Status DeliveryTracker::Wait(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!cv_.wait_for(lock, timeout, [this] { return pending_ == 0; })) {
    KafkaError e = MakeKafkaError(RD_KAFKA_RESP_ERR__TIMED_OUT,
                                  std::to_string(pending_) + " records not yet acknowledged");
    return e.ToStatus();
  }
  return errors_.empty() ? Status::OK() : errors_.front().ToStatus();
}

int64_t DeliveryTracker::pending() const { std::lock_guard<std::mutex> l(mu_); return pending_; }
int64_t DeliveryTracker::delivered() const { std::lock_guard<std::mutex> l(mu_); return delivered_; }
std::vector<KafkaError> DeliveryTracker::errors() const { std::lock_guard<std::mutex> l(mu_); return errors_; }
int32_t DeliveryTracker::last_partition() const { std::lock_guard<std::mutex> l(mu_); return last_partition_; }
int64_t DeliveryTracker::last_offset() const { std::lock_guard<std::mutex> l(mu_); return last_offset_; }

// ---- Producer -------------------------------------------------------------------------------

Result<std::unique_ptr<Producer>> Producer::Create(KafkaProperties props, std::string name) {
  if (!props.count("bootstrap.servers"))
    return Status::InvalidArgument("Kafka producer " + name + ": bootstrap.servers is not set");
  // Kafka's Java partitioner for keyed records (DESIGN.md): librdkafka's default is CRC32.
  props.try_emplace("partitioner", "murmur2_random");
  std::unique_ptr<Producer> p(new Producer());
  p->context_ = std::make_unique<ClientContext>();
  p->context_->name = "producer " + name;
  Producer* raw = p.get();
  p->context_->delivery = [raw](rd_kafka_t*, const rd_kafka_message_t* msg) { raw->OnDelivery(msg); };
  if (auto it = props.find("message.timeout.ms"); it != props.end())
    p->message_timeout_ms_ = std::atoi(it->second.c_str());
  auto conf = BuildClientConf(props, p->context_.get());
  if (!conf.ok()) return conf.status();
  auto rk = NewClient(RD_KAFKA_PRODUCER, *conf, p->context_->name);
  if (!rk.ok()) return rk.status();
  p->rk_ = *rk;
  p->poller_ = std::thread([raw] { raw->PollLoop(); });
  return p;
}

Producer::~Producer() {
  if (rk_) {
    if (rd_kafka_flush(rk_, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR)
      spdlog::warn("kafka {}: {} records still undelivered at shutdown", context_->name,
                   rd_kafka_outq_len(rk_));
  }
  stop_ = true;
  if (poller_.joinable()) poller_.join();
  if (rk_) rd_kafka_destroy(rk_);
}

void Producer::PollLoop() {
  while (!stop_.load(std::memory_order_relaxed)) rd_kafka_poll(rk_, 100);
}

void Producer::OnDelivery(const rd_kafka_message_t* msg) {
  auto* tracker = static_cast<DeliveryTracker*>(msg->_private);
  if (tracker) {
    tracker->Done(msg);
    return;
  }
  if (msg->err) {
    untracked_failures_.fetch_add(1);
    KafkaError e = MakeKafkaError(msg->err, "delivery failed", rd_kafka_topic_name(msg->rkt),
                                  msg->partition);
    spdlog::error("kafka {}: {}", context_->name, e.ToString());
  }
}

namespace {

rd_kafka_resp_err_t ProduceOne(rd_kafka_t* rk, const OutputRecord& r, DeliveryTracker* tracker) {
  rd_kafka_headers_t* headers = nullptr;
  if (!r.headers.empty()) {
    headers = rd_kafka_headers_new(r.headers.size());
    for (const HeaderView& h : r.headers)
      rd_kafka_header_add(headers, h.key.data(), static_cast<ssize_t>(h.key.size()),
                          h.value ? h.value->data() : nullptr,
                          h.value ? static_cast<ssize_t>(h.value->size()) : 0);
  }
  const std::string topic(r.topic);
  rd_kafka_vu_t vus[8];
  size_t n = 0;
  vus[n].vtype = RD_KAFKA_VTYPE_TOPIC; vus[n++].u.cstr = topic.c_str();
  vus[n].vtype = RD_KAFKA_VTYPE_PARTITION;
  vus[n++].u.i32 = r.partition < 0 ? RD_KAFKA_PARTITION_UA : r.partition;
  vus[n].vtype = RD_KAFKA_VTYPE_MSGFLAGS; vus[n++].u.i = RD_KAFKA_MSG_F_COPY;
  if (r.key) {
    vus[n].vtype = RD_KAFKA_VTYPE_KEY;
    vus[n].u.mem.ptr = const_cast<char*>(r.key->data());
    vus[n++].u.mem.size = r.key->size();
  }
  if (r.value) {
    vus[n].vtype = RD_KAFKA_VTYPE_VALUE;
    vus[n].u.mem.ptr = const_cast<char*>(r.value->data());
    vus[n++].u.mem.size = r.value->size();
  }
  vus[n].vtype = RD_KAFKA_VTYPE_OPAQUE; vus[n++].u.ptr = tracker;
  if (r.timestamp > 0) { vus[n].vtype = RD_KAFKA_VTYPE_TIMESTAMP; vus[n++].u.i64 = r.timestamp; }
  if (headers) { vus[n].vtype = RD_KAFKA_VTYPE_HEADERS; vus[n++].u.headers = headers; }
  rd_kafka_error_t* error = rd_kafka_produceva(rk, vus, n);
  if (!error) return RD_KAFKA_RESP_ERR_NO_ERROR;
  rd_kafka_resp_err_t code = rd_kafka_error_code(error);
  rd_kafka_error_destroy(error);
  if (headers) rd_kafka_headers_destroy(headers);  // not taken over on failure
  return code;
}

}  // namespace

Status Producer::Produce(std::span<const OutputRecord> batch, DeliveryTracker* tracker) {
  if (tracker) tracker->Add(static_cast<int64_t>(batch.size()));
  for (size_t i = 0; i < batch.size(); ++i) {
    const OutputRecord& r = batch[i];
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(message_timeout_ms_);
    rd_kafka_resp_err_t err;
    // Queue full: the poll thread drains delivery reports; wait for room, bounded.
    while ((err = ProduceOne(rk_, r, tracker)) == RD_KAFKA_RESP_ERR__QUEUE_FULL &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (tracker) {
        std::lock_guard<std::mutex> lock(tracker->mu_);
        tracker->pending_ -= static_cast<int64_t>(batch.size() - i);
        tracker->cv_.notify_all();
      }
      return MakeKafkaError(err, "produce failed", std::string(r.topic), r.partition).ToStatus();
    }
  }
  return Status::OK();
}

Result<std::pair<int32_t, int64_t>> Producer::ProduceSync(const OutputRecord& record,
                                                          std::chrono::milliseconds timeout) {
  DeliveryTracker tracker;
  SLUICE_RETURN_IF_ERROR(Produce(std::span<const OutputRecord>(&record, 1), &tracker));
  rd_kafka_flush(rk_, static_cast<int>(timeout.count()));  // no linger for a waited write
  Status s = tracker.Wait(timeout);
  if (!s.ok()) {
    // A timed-out tracker must outlive the pending delivery: wait for librdkafka's own
    // message timeout before returning (the report then lands on a live object).
    if (tracker.pending() > 0) tracker.Wait(std::chrono::milliseconds(message_timeout_ms_ + 1000)).ok();
    return s;
  }
  return std::make_pair(tracker.last_partition(), tracker.last_offset());
}

Status Producer::Flush(std::chrono::milliseconds timeout) {
  rd_kafka_resp_err_t err = rd_kafka_flush(rk_, static_cast<int>(timeout.count()));
  if (err) {
    return MakeKafkaError(err, std::to_string(rd_kafka_outq_len(rk_)) + " records not flushed")
        .ToStatus();
  }
  return Status::OK();
}

Status Producer::InitTransactions(std::chrono::milliseconds timeout) {
  return TakeKafkaError(rd_kafka_init_transactions(rk_, static_cast<int>(timeout.count())),
                        context_->name + ": init transactions").ToStatus();
}
Status Producer::BeginTransaction() {
  return TakeKafkaError(rd_kafka_begin_transaction(rk_), context_->name + ": begin transaction")
      .ToStatus();
}
Status Producer::SendOffsetsToTransaction(const rd_kafka_topic_partition_list_t* offsets,
                                          const rd_kafka_consumer_group_metadata_t* group,
                                          std::chrono::milliseconds timeout) {
  return TakeKafkaError(rd_kafka_send_offsets_to_transaction(rk_, offsets, group,
                                                             static_cast<int>(timeout.count())),
                        context_->name + ": send offsets to transaction").ToStatus();
}
Status Producer::CommitTransaction(std::chrono::milliseconds timeout) {
  return TakeKafkaError(rd_kafka_commit_transaction(rk_, static_cast<int>(timeout.count())),
                        context_->name + ": commit transaction").ToStatus();
}
Status Producer::AbortTransaction(std::chrono::milliseconds timeout) {
  return TakeKafkaError(rd_kafka_abort_transaction(rk_, static_cast<int>(timeout.count())),
                        context_->name + ": abort transaction").ToStatus();
}

std::optional<KafkaError> Producer::fatal_error() const {
  if (!context_->has_fatal) return std::nullopt;
  std::lock_guard<std::mutex> lock(context_->error_mu);
  return context_->fatal_error;
}

}  // namespace sluice
