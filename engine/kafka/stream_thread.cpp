#include "engine/kafka/stream_thread.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "engine/common/murmur2.h"
#include "engine/runtime/task_factory.h"
#include "engine/planner/sink_partition.h"

namespace sluice {

namespace {

constexpr auto kPollTimeout = std::chrono::milliseconds(100);
constexpr auto kDeliveryTimeout = std::chrono::seconds(120);
constexpr auto kRestoreTimeout = std::chrono::seconds(120);
constexpr size_t kRestoreChunk = 10000;

std::string OffsetKey(const std::string& topic, int partition) { return topic + "/" + std::to_string(partition); }

void AssignString(std::optional<std::string>& slot, std::optional<std::string_view> v) {
  if (!v) {
    slot.reset();
    return;
  }
  if (!slot) slot.emplace();
  slot->assign(v->data(), v->size());
}

}  // namespace

Status WithContext(const Status& status, const std::string& context) {
  const std::string m = context + ": " + status.message();
  switch (status.code()) {
    case Status::Code::kOk: return status;
    case Status::Code::kInvalidArgument: return Status::InvalidArgument(m);
    case Status::Code::kNotFound: return Status::NotFound(m);
    case Status::Code::kAlreadyExists: return Status::AlreadyExists(m);
    case Status::Code::kSyntaxError: return Status::SyntaxError(m);
    case Status::Code::kTypeError: return Status::TypeError(m);
    case Status::Code::kSerdeError: return Status::SerdeError(m);
    case Status::Code::kRuntimeError: return Status::RuntimeError(m);
    case Status::Code::kNotSupported: return Status::NotSupported(m);
    case Status::Code::kIOError: return Status::IOError(m);
  }
  return Status::RuntimeError(m);
}

void QueryContext::Fail(const Status& status, const std::string& thread) {
  {
    std::lock_guard<std::mutex> lock(error_mu_);
    if (failed.exchange(true)) return;
    error_ = status.message();
    error_time_ms_ = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  }
  spdlog::error("query {} failed and stopped (state ERROR): {}", query_id, status.message());
  if (processing_log) processing_log->QueryError(query_id, thread, status.message());
  if (on_failure) on_failure(status);
}

void QueryContext::HandOver(const TopicPartition& tp, int64_t next_offset) {
  std::lock_guard<std::mutex> lock(handed_over_mu_);
  int64_t& slot = handed_over_.try_emplace(tp, next_offset).first->second;
  slot = std::max(slot, next_offset);
}

std::optional<int64_t> QueryContext::TakeHandedOver(const TopicPartition& tp) {
  std::lock_guard<std::mutex> lock(handed_over_mu_);
  auto it = handed_over_.find(tp);
  if (it == handed_over_.end()) return std::nullopt;
  const int64_t offset = it->second;
  handed_over_.erase(it);
  return offset;
}

std::string QueryContext::error() const {
  std::lock_guard<std::mutex> lock(error_mu_);
  return error_;
}

int64_t QueryContext::error_time_ms() const {
  std::lock_guard<std::mutex> lock(error_mu_);
  return error_time_ms_;
}

// The task of one (sub-topology, partition) and the deliveries of its changelog records since
// the last commit, per store: the last acknowledged offset is where the store's checkpoint goes.
struct StreamThread::TaskSlot {
  size_t sub = 0;
  int partition = 0;
  std::unique_ptr<Task> task;
  std::map<std::string, std::unique_ptr<DeliveryTracker>> changelog_deliveries;
};

StreamThread::StreamThread(std::shared_ptr<QueryContext> ctx, int index) : ctx_(std::move(ctx)), index_(index) {}

StreamThread::~StreamThread() {
  RequestStop();
  Join();
}

std::string StreamThread::Name() const { return "query " + ctx_->query_id + " thread " + std::to_string(index_); }

Status StreamThread::Start() {
  if (!ctx_->shared_state) own_state_ = MakeMemoryStateBackend();
  tracker_ = std::make_unique<DeliveryTracker>();
  if (ctx_->exactly_once) {
    KafkaProperties props = ctx_->producer_properties;
    props["transactional.id"] = ctx_->group_id + "-" + std::to_string(index_);
    auto p = Producer::Create(std::move(props), Name() + " (transactional)");
    if (!p.ok()) return p.status();
    own_producer_ = std::move(*p);
    // Fences an older incarnation of this thread and aborts what it left open.
    SLUICE_RETURN_IF_ERROR(own_producer_->InitTransactions(std::chrono::seconds(60)));
  }
  RebalanceListener listener;
  listener.start_offsets = [this](const std::vector<TopicPartition>& parts) { return StartOffsets(parts); };
  listener.on_assigned = [this](const std::vector<TopicPartition>& parts) { OnAssigned(parts); };
  listener.on_revoked = [this](const std::vector<TopicPartition>& parts) { OnRevoked(parts); };
  KafkaProperties props = ctx_->consumer_properties;
  props["client.id"] = ctx_->group_id + "-" + std::to_string(index_) + "-consumer";
  auto c = Consumer::Create(std::move(props), Name(), std::move(listener));
  if (!c.ok()) return c.status();
  consumer_ = std::move(*c);
  SLUICE_RETURN_IF_ERROR(consumer_->Subscribe(ctx_->input_topics));
  next_commit_ = std::chrono::steady_clock::now() + ctx_->commit_interval;
  thread_ = std::thread([this] { Run(); });
  return Status::OK();
}

void StreamThread::Join() {
  if (thread_.joinable()) thread_.join();
}

void StreamThread::Run() {
  Status s;
  try {
    s = Loop();
  } catch (const std::exception& e) {
    // Never a silent stop: whatever escapes the loop puts the query in ERROR with the reason.
    s = Status::RuntimeError(std::string("unexpected exception: ") + e.what());
  }
  if (!s.ok()) ctx_->Fail(WithContext(s, Name()), Name());
  // Leaving the group revokes the partitions (OnRevoked commits unless the query failed).
  if (consumer_) {
    Status closed = consumer_->Close();
    if (!closed.ok()) spdlog::warn("{}: closing the consumer: {}", Name(), closed.message());
  }
  if (own_producer_ && in_transaction_) own_producer_->AbortTransaction(std::chrono::seconds(30)).ok();
  // Deliveries still in flight report to tracker_: let them land before it goes.
  if (tracker_ && tracker_->pending() > 0) tracker_->Wait(kDeliveryTimeout).ok();
  for (auto& [key, slot] : tasks_)
    for (auto& [store, t] : slot->changelog_deliveries)
      if (t->pending() > 0) t->Wait(kDeliveryTimeout).ok();
  tasks_.clear();
}

Status StreamThread::Loop() {
  while (!stop_ && !ctx_->failed) {
    ApplyPause();
    auto batch = consumer_->Poll(ctx_->max_poll_records, kPollTimeout);
    if (!callback_error_.ok()) return callback_error_;
    if (!batch.ok()) return batch.status();
    if (!batch->empty()) SLUICE_RETURN_IF_ERROR(ProcessRecords(*batch));
    if (std::chrono::steady_clock::now() >= next_commit_) SLUICE_RETURN_IF_ERROR(CommitAll());
  }
  return ctx_->failed ? Status::OK() : CommitAll();
}

// PAUSE/RESUME: the consumer keeps polling (heartbeats, rebalances) with its partitions paused.
void StreamThread::ApplyPause() {
  const bool want = ctx_->paused.load();
  if (want == consumer_paused_) return;
  auto assignment = consumer_->Assignment();
  if (!assignment.ok()) return;  // tried again at the next poll
  std::vector<TopicPartitionOffset> tps;
  for (const auto& tp : *assignment) tps.push_back({tp.topic, tp.partition, RD_KAFKA_OFFSET_INVALID});
  rd_kafka_topic_partition_list_t* list = ToPartitionList(tps);
  rd_kafka_resp_err_t err = want ? rd_kafka_pause_partitions(consumer_->handle(), list)
                                 : rd_kafka_resume_partitions(consumer_->handle(), list);
  rd_kafka_topic_partition_list_destroy(list);
  if (err) {
    spdlog::warn("{}: {} partitions: {}", Name(), want ? "pausing" : "resuming", rd_kafka_err2str(err));
    return;
  }
  consumer_paused_ = want;
  ctx_->paused_partitions += want ? static_cast<int>(tps.size()) : -static_cast<int>(tps.size());
  spdlog::info("{}: {} {} partitions", Name(), want ? "paused" : "resumed", tps.size());
}

void StreamThread::Log(const std::string& entry, const KafkaRecord& in) {
  ctx_->counters->processing_log++;
  if (ctx_->processing_log) {
    ctx_->processing_log->RecordError(ctx_->query_id, entry, in, ctx_->sink_topic);
    return;
  }
  spdlog::warn("processing log: query {} topic {} partition {} offset {}: {}", ctx_->query_id, in.topic, in.partition,
               in.offset, entry);
}

// Records a task emitted with partition < 0 go where Kafka's Java producer would put them:
// murmur2 of the key over the topic's partitions (of the key without its window for a
// windowed sink, as Kafka Streams); a null key stays on the input's partition.
void StreamThread::CollectOutputs(TaskSlot& slot, size_t first, int input_partition) {
  for (size_t i = first; i < out_.records.size(); ++i) {
    KafkaRecord& r = out_.records[i];
    if (r.partition >= 0) continue;
    auto it = ctx_->partitions.find(r.topic);
    const int n = it == ctx_->partitions.end() ? 0 : it->second;
    if (n <= 0) continue;  // unknown count: librdkafka's murmur2_random partitioner decides
    r.partition = r.key ? SinkPartitionForKey(*ctx_->plan, r.topic, *r.key, n) : std::min(input_partition, n - 1);
  }
  for (auto& c : slot.task->TakeChangelog()) {
    auto it = ctx_->changelog_of_store.find(c.store);
    if (it == ctx_->changelog_of_store.end()) continue;
    auto& tracker = slot.changelog_deliveries[c.store];
    if (!tracker) tracker = std::make_unique<DeliveryTracker>();
    PendingChangelog p;
    p.tracker = tracker.get();
    p.record.topic = it->second;
    p.record.partition = c.partition;
    p.record.timestamp = c.timestamp;
    p.record.key = std::move(c.key);
    p.record.value = std::move(c.value);
    changelog_out_.push_back(std::move(p));
  }
}

Status StreamThread::ProcessRecords(const RecordBatch& batch) {
  // A push query's client sees the order its records are processed in. Kafka Streams' thread
  // works through a poll task by task, in task (partition) order: so do push queries, records
  // of lower partitions first within a poll (each partition's own order unchanged).
  order_.clear();
  if (ctx_->local_output && batch.size() > 1) {
    for (size_t i = 0; i < batch.size(); ++i) order_.push_back(i);
    std::stable_sort(order_.begin(), order_.end(),
                     [&](size_t a, size_t b) { return batch[a].partition() < batch[b].partition(); });
  }
  for (size_t n = 0; n < batch.size(); ++n) {
    const size_t i = order_.empty() ? n : order_[n];
    const RecordView v = batch[i];
    scratch_.topic.assign(v.topic());
    scratch_.partition = v.partition();
    scratch_.offset = v.offset();
    scratch_.timestamp = v.timestamp();
    AssignString(scratch_.key, v.key());
    AssignString(scratch_.value, v.value());
    scratch_.headers.clear();
    for (const auto& h : v.headers())
      scratch_.headers.push_back({std::string(h.key), h.value ? std::optional<std::string>(std::string(*h.value))
                                                              : std::nullopt});
    auto subs = ctx_->subs_of_topic.find(scratch_.topic);
    if (subs == ctx_->subs_of_topic.end()) continue;
    for (size_t sub : subs->second) {
      auto slot = TaskFor(sub, scratch_.partition);
      if (!slot.ok()) return slot.status();
      const size_t first = out_.records.size();
      Status s = (*slot)->task->Process(scratch_, &out_);
      for (const auto& entry : out_.processing_log) Log(entry, scratch_);
      out_.processing_log.clear();
      if (!s.ok()) {
        // What the records before it produced still goes out (their offsets are not committed:
        // a restarted query processes them again, at-least-once).
        ProduceOutputs().ok();
        if (tracker_->pending() > 0) tracker_->Wait(kDeliveryTimeout).ok();
        return WithContext(s, "processing topic " + scratch_.topic + " partition " +
                                std::to_string(scratch_.partition) + " offset " + std::to_string(scratch_.offset));
      }
      CollectOutputs(**slot, first, scratch_.partition);
    }
    next_offsets_[TopicPartition{scratch_.topic, scratch_.partition}] = scratch_.offset + 1;
    dirty_ = true;
  }
  ctx_->counters->processed += static_cast<int64_t>(batch.size());
  return ProduceOutputs();
}

// The batch's outputs in one Produce call, then its changelog records, one call per store
// partition (each tracked on its own so that its last offset is known at commit).
Status StreamThread::ProduceOutputs() {
  if (ctx_->local_output) DeliverLocalOutputs();
  if (!ctx_->subscribers.empty() && !out_.records.empty()) ctx_->subscribers.Deliver(out_.records, ctx_->sink_topic);
  if (out_.records.empty() && changelog_out_.empty()) return Status::OK();
  if (own_producer_ && !in_transaction_) {
    SLUICE_RETURN_IF_ERROR(own_producer_->BeginTransaction());
    in_transaction_ = true;
  }
  std::vector<OutputRecord> batch(out_.records.size());
  std::vector<std::vector<HeaderView>> headers;  // filled first: the spans below point into it
  for (const auto& r : out_.records) {
    if (r.headers.empty()) continue;
    auto& views = headers.emplace_back();
    for (const auto& h : r.headers)
      views.push_back({h.key, h.value ? std::optional<std::string_view>(*h.value) : std::nullopt});
  }
  for (size_t i = 0, h = 0; i < out_.records.size(); ++i) {
    const KafkaRecord& r = out_.records[i];
    OutputRecord& o = batch[i];
    o.topic = r.topic;
    o.partition = r.partition;
    if (r.key) o.key = std::string_view(*r.key);
    if (r.value) o.value = std::string_view(*r.value);
    o.timestamp = r.timestamp;
    if (!r.headers.empty()) o.headers = headers[h++];
  }
  Status s = batch.empty() ? Status::OK() : producer()->Produce(batch, tracker_.get());
  ctx_->counters->produced += static_cast<int64_t>(batch.size());
  out_.records.clear();
  if (!s.ok()) return s;

  for (size_t i = 0; i < changelog_out_.size();) {
    DeliveryTracker* tracker = changelog_out_[i].tracker;
    std::vector<OutputRecord> logs;
    for (; i < changelog_out_.size() && changelog_out_[i].tracker == tracker; ++i) {
      const KafkaRecord& r = changelog_out_[i].record;
      OutputRecord o;
      o.topic = r.topic;
      o.partition = r.partition;
      if (r.key) o.key = std::string_view(*r.key);
      if (r.value) o.value = std::string_view(*r.value);
      o.timestamp = r.timestamp;
      logs.push_back(o);
    }
    SLUICE_RETURN_IF_ERROR(producer()->Produce(logs, tracker));
  }
  changelog_out_.clear();
  return Status::OK();
}

uint64_t SinkSubscribers::Add(Fn fn) {
  std::lock_guard<std::mutex> lock(mu_);
  const uint64_t id = next_++;
  subs_.emplace(id, std::move(fn));
  count_.store(static_cast<int>(subs_.size()), std::memory_order_relaxed);
  return id;
}

void SinkSubscribers::Remove(uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  subs_.erase(id);
  count_.store(static_cast<int>(subs_.size()), std::memory_order_relaxed);
}

// Under the lock: the query's threads deliver one at a time, and Remove cannot return while a
// subscriber is being called (its handle then frees what the callback uses).
void SinkSubscribers::Deliver(const std::vector<KafkaRecord>& records, const std::string& topic) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const KafkaRecord& r : records) {
    if (r.topic != topic) continue;
    for (auto it = subs_.begin(); it != subs_.end();) {
      if (it->second(r)) ++it;
      else it = subs_.erase(it);
    }
  }
  count_.store(static_cast<int>(subs_.size()), std::memory_order_relaxed);
}

// A push query's result records leave here, in order; the rest stay for the producer. Once the
// query is done (LIMIT, client gone) its results are dropped and the thread stops.
void StreamThread::DeliverLocalOutputs() {
  size_t kept = 0;
  for (size_t i = 0; i < out_.records.size(); ++i) {
    KafkaRecord& r = out_.records[i];
    if (r.topic != ctx_->local_topic) {
      if (kept != i) out_.records[kept] = std::move(r);
      ++kept;
      continue;
    }
    if (!stop_ && !ctx_->local_output(r)) stop_ = true;
  }
  out_.records.resize(kept);
}

// Commit point: caches flush (Task::Commit), everything produced is acknowledged, stores
// checkpoint at the changelog offsets reached, then the consumed offsets are committed (or the
// transaction holding all of it commits). A failed delivery leaves the offsets uncommitted, so
// the records are processed again (at-least-once) and the query stops.
Status StreamThread::CommitAll() {
  next_commit_ = std::chrono::steady_clock::now() + ctx_->commit_interval;
  for (auto& [key, slot] : tasks_) {
    const size_t first = out_.records.size();
    slot->task->Commit(&out_);
    CollectOutputs(*slot, first, slot->partition);
  }
  SLUICE_RETURN_IF_ERROR(ProduceOutputs());
  if (!dirty_ && !in_transaction_) return Status::OK();
  std::vector<TopicPartitionOffset> offsets;
  for (const auto& [tp, next] : next_offsets_) offsets.push_back({tp.topic, tp.partition, next});
  if (own_producer_) {
    SLUICE_RETURN_IF_ERROR(CommitTransaction(offsets));
  } else {
    SLUICE_RETURN_IF_ERROR(tracker_->Wait(kDeliveryTimeout));
  }
  tracker_ = std::make_unique<DeliveryTracker>();
  for (auto& [key, slot] : tasks_) {
    for (auto& [store, t] : slot->changelog_deliveries) {
      SLUICE_RETURN_IF_ERROR(t->Wait(kDeliveryTimeout));
      if (t->delivered() > 0)
        SLUICE_RETURN_IF_ERROR(state()->Checkpoint(store, slot->partition, t->last_offset() + 1));
    }
    slot->changelog_deliveries.clear();
  }
  if (!own_producer_) {
    // A commit refused because the group is rebalancing (or this member was fenced) loses
    // nothing: the outputs are flushed, and whoever owns the partitions next starts from the
    // last committed offset (at-least-once, as Kafka Streams' CommitFailedException). The
    // offsets stay in next_offsets_ and go with the next commit: the revocation callback's,
    // which a real broker accepts before the member rejoins. The embedded broker refuses that
    // one too; OnRevoked then hands the offsets to the query's next owner on this server.
    Status committed = consumer_->Commit(offsets);
    if (!committed.ok()) {
      spdlog::warn("{}: offsets not committed (tried again at the next commit or revocation): {}", Name(),
                   committed.message());
      return Status::OK();  // still dirty_
    }
  }
  dirty_ = false;
  ctx_->counters->commits++;
  return Status::OK();
}

// exactly_once_v2: the consumed offsets go into the transaction twice: as records of the
// query's offsets topic (read back read_committed on assignment: the embedded broker's
// TxnOffsetCommit stores nothing) and through sendOffsetsToTransaction (a real cluster's group
// offsets, for tools that read them).
Status StreamThread::CommitTransaction(const std::vector<TopicPartitionOffset>& offsets) {
  if (!in_transaction_) {
    if (offsets.empty()) return Status::OK();
    SLUICE_RETURN_IF_ERROR(own_producer_->BeginTransaction());
    in_transaction_ = true;
  }
  std::vector<std::string> keys, values;
  for (const auto& o : offsets) {
    keys.push_back(OffsetKey(o.topic, o.partition));
    values.push_back(std::to_string(o.offset));
  }
  std::vector<OutputRecord> records;
  for (size_t i = 0; i < offsets.size(); ++i) {
    OutputRecord r;
    r.topic = ctx_->offsets_topic;
    r.partition = 0;
    r.key = keys[i];
    r.value = values[i];
    records.push_back(r);
  }
  SLUICE_RETURN_IF_ERROR(own_producer_->Produce(records, tracker_.get()));
  if (!offsets.empty()) {
    rd_kafka_topic_partition_list_t* list = ToPartitionList(offsets);
    rd_kafka_consumer_group_metadata_t* group = consumer_->GroupMetadata();
    Status sent = own_producer_->SendOffsetsToTransaction(list, group, std::chrono::seconds(30));
    rd_kafka_consumer_group_metadata_destroy(group);
    rd_kafka_topic_partition_list_destroy(list);
    SLUICE_RETURN_IF_ERROR(sent);
  }
  Status committed = own_producer_->CommitTransaction(std::chrono::seconds(60));
  in_transaction_ = false;
  SLUICE_RETURN_IF_ERROR(committed);
  return tracker_->Wait(kDeliveryTimeout);
}

// Assign-only, never commits: reads changelogs and the offsets topic (read_committed, the
// default isolation level), with an end-of-partition event to know where the end is.
Status StreamThread::EnsureRestoreConsumer() {
  if (restore_consumer_) return Status::OK();
  KafkaProperties props = ctx_->consumer_properties;
  props["group.id"] = ctx_->group_id + "-restore";
  props["enable.partition.eof"] = "true";
  props["auto.offset.reset"] = "earliest";
  props["isolation.level"] = "read_committed";
  // The end of a changelog partition is known from a fetch response: do not let the broker
  // hold an empty fetch for the default 500 ms (each store partition restored would wait it).
  props["fetch.wait.max.ms"] = "10";
  auto c = Consumer::Create(std::move(props), Name() + " restore");
  if (!c.ok()) return c.status();
  restore_consumer_ = std::move(*c);
  return Status::OK();
}

Result<StreamThread::TaskSlot*> StreamThread::TaskFor(size_t sub, int partition) {
  auto& slot = tasks_[{sub, partition}];
  if (slot) return slot.get();
  TaskEnvironment env;
  env.state = state();
  env.partition = partition;
  env.cache_max_bytes = ctx_->cache_max_bytes;
  auto created = CreateTask(ctx_->plan, ctx_->topology, sub, env);
  if (!created.ok()) {
    tasks_.erase({sub, partition});
    return WithContext(created.status(), Name() + ": task " + std::to_string(sub) + "_" + std::to_string(partition));
  }
  slot = std::make_unique<TaskSlot>();
  slot->sub = sub;
  slot->partition = partition;
  slot->task = std::move(*created);
  Status restored = RestoreStores(*slot);
  if (!restored.ok()) {
    tasks_.erase({sub, partition});
    return restored;
  }
  return tasks_[{sub, partition}].get();
}

Status StreamThread::RestoreStores(TaskSlot& slot) {
  for (const auto& store : ctx_->topology.subtopologies[slot.sub].stores)
    SLUICE_RETURN_IF_ERROR(RestoreStore(store, slot.partition, slot));
  return Status::OK();
}

// Reads the store's changelog partition from the store's checkpoint (or from the beginning
// when there is none, or when the changelog no longer holds it) to its end, read_committed,
// and replays it into the store.
Status StreamThread::RestoreStore(const StoreSpec& store, int partition, TaskSlot& slot) {
  const std::string& topic = store.changelog_topic;
  const std::string where = "restoring store " + store.name + " from " + topic + " partition " + std::to_string(partition);
  SLUICE_RETURN_IF_ERROR(EnsureRestoreConsumer());
  auto marks = restore_consumer_->Watermarks(topic, partition, kMetadataTimeout);
  if (!marks.ok()) return WithContext(marks.status(), where);
  const auto [low, high] = *marks;
  std::optional<int64_t> from = state()->CheckpointedOffset(store.name, partition);
  if (from && (*from > high || *from < low)) {
    spdlog::warn("{}: checkpoint at offset {} is outside the changelog [{}, {}): restoring all of it", Name(), *from,
                 low, high);
    state()->DropPartition(store.name, partition);
    from.reset();
  }
  const int64_t start = from ? *from : low;
  if (start >= high) return Status::OK();
  SLUICE_RETURN_IF_ERROR(restore_consumer_->Assign({{topic, partition, start}}));
  std::vector<ChangelogRecord> records;
  int64_t next = start, restored = 0;
  const auto deadline = std::chrono::steady_clock::now() + kRestoreTimeout;
  bool eof = false;
  while (!eof) {
    if (std::chrono::steady_clock::now() > deadline) {
      restore_consumer_->Unassign().ok();
      return Status::IOError(where + ": timed out at offset " + std::to_string(next) + " of " + std::to_string(high));
    }
    rd_kafka_message_t* msg = rd_kafka_consumer_poll(restore_consumer_->handle(), 100);
    if (!msg) continue;
    if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      eof = true;
    } else if (msg->err) {
      const std::string error = rd_kafka_message_errstr(msg);
      rd_kafka_message_destroy(msg);
      restore_consumer_->Unassign().ok();
      return Status::IOError(where + ": " + error);
    } else {
      RecordView v(msg);
      ChangelogRecord r;
      r.store = store.name;
      r.partition = partition;
      if (auto k = v.key()) r.key.assign(k->data(), k->size());
      if (auto val = v.value()) r.value = std::string(*val);
      r.timestamp = v.timestamp();
      records.push_back(std::move(r));
      next = v.offset() + 1;
    }
    rd_kafka_message_destroy(msg);
    if (records.size() >= kRestoreChunk || (eof && !records.empty())) {
      SLUICE_RETURN_IF_ERROR(state()->Restore(store.name, records));
      restored += static_cast<int64_t>(records.size());
      records.clear();
    }
  }
  restore_consumer_->Unassign().ok();
  ctx_->counters->restored += restored;
  SLUICE_RETURN_IF_ERROR(state()->Checkpoint(store.name, partition, next));
  spdlog::info("{}: restored {} records of store {} partition {} from {} (offsets {}..{})", Name(), restored,
               store.name, partition, topic, start, next);
  return Status::OK();
}

// Where each assigned partition starts: exactly_once_v2's offsets topic first (committed
// transactions only), then the group's committed offset; a repartition topic with neither
// starts at its beginning (its records were all written for this query), a source topic at
// auto.offset.reset.
// Asked by the consumer before it assigns `parts`. A failure here (the offsets topic cannot be
// read) fails the query at the next poll; the partitions start at their committed offsets
// meanwhile and nothing is processed from there (the loop stops first).
std::vector<TopicPartitionOffset> StreamThread::StartOffsets(const std::vector<TopicPartition>& parts) {
  auto starts = ReadStartOffsets(parts);
  if (starts.ok()) return std::move(*starts);
  if (callback_error_.ok()) callback_error_ = WithContext(starts.status(), "on assignment");
  std::vector<TopicPartitionOffset> committed;
  for (const auto& tp : parts) committed.push_back({tp.topic, tp.partition, RD_KAFKA_OFFSET_STORED});
  return committed;
}

Result<std::vector<TopicPartitionOffset>> StreamThread::ReadStartOffsets(const std::vector<TopicPartition>& parts) {
  std::map<std::string, int64_t> stored;
  if (ctx_->exactly_once) {
    SLUICE_RETURN_IF_ERROR(EnsureRestoreConsumer());
    auto marks = restore_consumer_->Watermarks(ctx_->offsets_topic, 0, kMetadataTimeout);
    if (!marks.ok()) return marks.status();
    if (marks->second > marks->first) {
      SLUICE_RETURN_IF_ERROR(restore_consumer_->Assign({{ctx_->offsets_topic, 0, marks->first}}));
      const auto deadline = std::chrono::steady_clock::now() + kRestoreTimeout;
      for (bool eof = false; !eof;) {
        if (std::chrono::steady_clock::now() > deadline) return Status::IOError("reading " + ctx_->offsets_topic + ": timed out");
        rd_kafka_message_t* msg = rd_kafka_consumer_poll(restore_consumer_->handle(), 100);
        if (!msg) continue;
        if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) eof = true;
        else if (!msg->err && msg->key && msg->payload)
          stored[std::string(static_cast<const char*>(msg->key), msg->key_len)] =
              std::stoll(std::string(static_cast<const char*>(msg->payload), msg->len));
        rd_kafka_message_destroy(msg);
      }
      restore_consumer_->Unassign().ok();
    }
  }
  auto committed = consumer_->Committed(parts, kMetadataTimeout);
  if (!committed.ok()) return committed.status();
  std::vector<TopicPartitionOffset> assign;
  for (const auto& c : *committed) {
    TopicPartitionOffset o{c.topic, c.partition, c.offset};
    const char* from = "the group's committed offset";
    const std::optional<int64_t> handed_over = ctx_->TakeHandedOver({c.topic, c.partition});
    if (auto it = stored.find(OffsetKey(c.topic, c.partition)); it != stored.end()) {
      o.offset = it->second;
      from = "the offsets topic";
    } else if (handed_over && *handed_over >= 0 && *handed_over > o.offset) {
      o.offset = *handed_over;
      from = "handed over by this query's previous owner, not yet committed";
      next_offsets_[{c.topic, c.partition}] = *handed_over;  // committed with the next commit
      dirty_ = true;
    } else if (o.offset < 0 && ctx_->topology.IsRepartitionTopic(c.topic)) {
      o.offset = RD_KAFKA_OFFSET_BEGINNING;
      from = "the beginning (repartition topic)";
    } else if (o.offset < 0) {
      o.offset = RD_KAFKA_OFFSET_STORED;  // auto.offset.reset
      from = "auto.offset.reset";
    }
    spdlog::info("{}: {} partition {} starts at {} ({})", Name(), o.topic, o.partition, o.offset, from);
    assign.push_back(o);
  }
  return assign;
}

void StreamThread::OnAssigned(const std::vector<TopicPartition>& parts) {
  ctx_->assigned_partitions += static_cast<int>(parts.size());
  if (!callback_error_.ok() || parts.empty()) return;
  Status s;
  for (const auto& tp : parts) {
    if (!s.ok()) break;
    auto subs = ctx_->subs_of_topic.find(tp.topic);
    if (subs == ctx_->subs_of_topic.end()) continue;
    for (size_t sub : subs->second) {
      auto slot = TaskFor(sub, tp.partition);
      if (!slot.ok()) {
        s = slot.status();
        break;
      }
    }
  }
  if (s.ok() && consumer_paused_) {
    std::vector<TopicPartitionOffset> tps;
    for (const auto& tp : parts) tps.push_back({tp.topic, tp.partition, RD_KAFKA_OFFSET_INVALID});
    rd_kafka_topic_partition_list_t* list = ToPartitionList(tps);
    rd_kafka_pause_partitions(consumer_->handle(), list);
    rd_kafka_topic_partition_list_destroy(list);
    ctx_->paused_partitions += static_cast<int>(tps.size());
  }
  if (!s.ok()) callback_error_ = WithContext(s, "on assignment");
}

void StreamThread::OnRevoked(const std::vector<TopicPartition>& parts) {
  // Commit what was processed before the partitions go (not when the query failed: its
  // uncommitted records are then processed again by whoever gets them).
  bool committed = false;
  if (!ctx_->failed && callback_error_.ok()) {
    Status s = CommitAll();
    if (!s.ok()) ctx_->Fail(WithContext(s, Name() + ": commit on revocation"), Name());
    committed = s.ok();
  }
  if (own_producer_ && in_transaction_) {
    own_producer_->AbortTransaction(std::chrono::seconds(30)).ok();
    in_transaction_ = false;
  }
  if (consumer_paused_) ctx_->paused_partitions -= static_cast<int>(parts.size());
  ctx_->assigned_partitions -= static_cast<int>(parts.size());
  const bool keep_state = committed && !own_state_;
  // Flushed but refused by the group (still dirty): the next owner here starts after them.
  const bool hand_over = committed && dirty_ && !own_producer_;
  for (const auto& tp : parts) {
    if (auto next = next_offsets_.find(tp); hand_over && next != next_offsets_.end()) ctx_->HandOver(tp, next->second);
    next_offsets_.erase(tp);
    auto subs = ctx_->subs_of_topic.find(tp.topic);
    if (subs == ctx_->subs_of_topic.end()) continue;
    for (size_t sub : subs->second) DropTask(sub, tp.partition, keep_state);
  }
}

// A revoked task goes. Its stores' partitions in the server's RocksDB stay, checkpointed by
// the revocation commit: whoever gets the partition next (another thread of this server after
// an eager rebalance, which revokes everything; this thread again; a restarted server) replays
// only the changelog after the checkpoint, which also holds what another owner wrote meanwhile.
// Dropping them instead made every rebalance restore every changelog from its start, and a
// thread revoked while its siblings left the group could close before getting them back.
// They go (one DeleteRange per store partition, checkpoint included) when the revocation did
// not commit: the stores may then hold updates past their checkpoint that the changelog lacks
// (the failing batch), so whoever restores gets exactly what the changelog says. Per-thread
// memory stores always go: the next owner may be another thread.
void StreamThread::DropTask(size_t sub, int partition, bool keep_state) {
  auto it = tasks_.find({sub, partition});
  if (it == tasks_.end()) return;
  for (auto& [store, t] : it->second->changelog_deliveries)
    if (t->pending() > 0) t->Wait(kDeliveryTimeout).ok();
  const auto& stores = ctx_->topology.subtopologies[sub].stores;
  if (!keep_state) {
    for (const auto& store : stores) state()->DropPartition(store.name, partition);
    if (!stores.empty()) spdlog::info("{}: partition {} of task {} revoked: its stores' state dropped", Name(), partition, sub);
  }
  tasks_.erase(it);
}

}  // namespace sluice
