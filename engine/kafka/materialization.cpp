#include "engine/kafka/materialization.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <optional>
#include <shared_mutex>
#include <thread>
#include <utility>

#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

#include "engine/kafka/consumer.h"
#include "engine/kafka/murmur2.h"
#include "engine/kafka/query_runner.h"

namespace sluice {

namespace {
constexpr auto kReadTimeout = std::chrono::seconds(60);  // per partition, reading to its end
using Clock = std::chrono::steady_clock;
// A pull query waits at most this long for the copy to reach the end offsets it needs.
constexpr auto kCatchUpTimeout = std::chrono::seconds(60);
// While a table is queried (a read in the last kHotFor), its tail refreshes the end offsets this
// often, so queries with a staleness bound above it never wait for the broker.
constexpr auto kRefreshEvery = std::chrono::milliseconds(50);
constexpr auto kHotFor = std::chrono::seconds(1);
constexpr auto kIdleStop = std::chrono::minutes(10);     // a tail nobody reads stops
constexpr auto kCheckpointEvery = std::chrono::seconds(1);
constexpr int64_t kCheckpointRecords = 200000;           // or after this many records
constexpr int kApplyBatch = 10000;                       // records applied under one lock
}  // namespace

// Where a table's rows live: in memory, or in a store of the runner's RocksDB (bounded memory,
// and the copy survives a restart: its offsets are checkpointed with it).
// Reads may run concurrently with each other (never with a write: the tail holds an exclusive
// lock while it applies records).
class TopicMaterializer::Rows {
 public:
  virtual ~Rows() = default;
  virtual void Put(const KafkaRecord& r) = 0;
  virtual void Delete(int partition, const std::string& key) = 0;
  virtual void DropPartition(int partition) = 0;
  virtual std::optional<int64_t> CheckpointedOffset(int) { return std::nullopt; }
  virtual Status Checkpoint(int, int64_t) { return Status::OK(); }
  // The rows of one partition in key order: every one, those with the given keys, or (windowed
  // tables, whose stored keys end with the window) those starting with them. False: stopped.
  virtual bool Read(int partition, const std::vector<std::string>& keys, bool prefixes,
                    const QueryRunner::RecordFn& fn) = 0;
};

namespace {


class MemoryRows : public TopicMaterializer::Rows {
 public:
  void Put(const KafkaRecord& r) override { Part(r.partition)[*r.key] = r; }
  void Delete(int partition, const std::string& key) override { Part(partition).erase(key); }
  void DropPartition(int partition) override { Part(partition).clear(); }
  bool Read(int partition, const std::vector<std::string>& keys, bool prefixes,
            const QueryRunner::RecordFn& fn) override {
    if (partition < 0 || static_cast<size_t>(partition) >= parts_.size()) return true;  // nothing read yet
    const auto& rows = parts_[partition];
    if (keys.empty()) {
      for (const auto& [key, record] : rows)
        if (!fn(record)) return false;
      return true;
    }
    for (const auto& key : keys) {
      if (!prefixes) {
        auto it = rows.find(key);
        if (it != rows.end() && !fn(it->second)) return false;
        continue;
      }
      for (auto it = rows.lower_bound(key); it != rows.end() && it->first.starts_with(key); ++it)
        if (!fn(it->second)) return false;
    }
    return true;
  }

 private:
  std::map<std::string, KafkaRecord>& Part(int p) {
    if (static_cast<size_t>(p) >= parts_.size()) parts_.resize(p + 1);
    return parts_[p];
  }
  std::vector<std::map<std::string, KafkaRecord>> parts_;  // per partition: key bytes -> latest
};

void PutU32(std::string* out, uint32_t v) {
  for (int i = 3; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
uint64_t GetBe(std::string_view in, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<uint8_t>(in[at + i]);
  return v;
}

// Stored value: be64 timestamp, be32 header count, per header (be32 length, key, 1 byte
// has-value, be32 length, value), then the record's value.
std::string EncodeRow(const KafkaRecord& r) {
  std::string out;
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((static_cast<uint64_t>(r.timestamp) >> (8 * i)) & 0xff));
  PutU32(&out, static_cast<uint32_t>(r.headers.size()));
  for (const auto& h : r.headers) {
    PutU32(&out, static_cast<uint32_t>(h.key.size()));
    out += h.key;
    out.push_back(h.value ? 1 : 0);
    PutU32(&out, h.value ? static_cast<uint32_t>(h.value->size()) : 0);
    if (h.value) out += *h.value;
  }
  out += *r.value;
  return out;
}

bool DecodeRow(std::string_view in, KafkaRecord* r) {
  if (in.size() < 12) return false;
  r->timestamp = static_cast<int64_t>(GetBe(in, 0, 8));
  const uint32_t n = static_cast<uint32_t>(GetBe(in, 8, 4));
  size_t at = 12;
  r->headers.clear();
  for (uint32_t i = 0; i < n; ++i) {
    if (at + 4 > in.size()) return false;
    const size_t klen = GetBe(in, at, 4);
    at += 4;
    if (at + klen + 5 > in.size()) return false;
    RecordHeader h;
    h.key.assign(in.substr(at, klen));
    at += klen;
    const bool has = in[at] != 0;
    const size_t vlen = GetBe(in, at + 1, 4);
    at += 5;
    if (at + vlen > in.size()) return false;
    if (has) h.value = std::string(in.substr(at, vlen));
    at += vlen;
    r->headers.push_back(std::move(h));
  }
  r->value = std::string(in.substr(at));
  return true;
}

class RocksRows : public TopicMaterializer::Rows {
 public:
  RocksRows(StateBackend* backend, std::string topic, std::string name)
      : backend_(backend), topic_(std::move(topic)), name_(std::move(name)) {}
  Status Open() {
    // No changelog: the topic is this store's changelog already.
    auto store = backend_->OpenKeyValue(name_, nullptr);
    if (!store.ok()) return store.status();
    store_ = std::move(*store);
    return Status::OK();
  }
  void Put(const KafkaRecord& r) override { store_->Put(r.partition, *r.key, EncodeRow(r), r.timestamp); }
  void Delete(int partition, const std::string& key) override { store_->Delete(partition, key, 0); }
  void DropPartition(int partition) override { backend_->DropPartition(name_, partition); }
  std::optional<int64_t> CheckpointedOffset(int p) override { return backend_->CheckpointedOffset(name_, p); }
  Status Checkpoint(int p, int64_t next) override { return backend_->Checkpoint(name_, p, next); }
  bool Read(int partition, const std::vector<std::string>& keys, bool prefixes,
            const QueryRunner::RecordFn& fn) override {
    KafkaRecord r;
    r.topic = topic_;
    r.partition = partition;
    bool go = true;
    auto emit = [&](std::string_view key, std::string_view value) {
      r.key = std::string(key);
      if (!DecodeRow(value, &r)) {
        spdlog::error("pull queries: undecodable row in store {} partition {}", name_, partition);
        return true;
      }
      go = fn(r);
      return go;
    };
    if (keys.empty() || prefixes) {
      // A prefix needs a scan of the partition (KeyValueStore has no seek).
      store_->Scan(partition, [&](std::string_view key, std::string_view value) {
        if (!keys.empty() &&
            std::none_of(keys.begin(), keys.end(), [&](const std::string& k) { return key.substr(0, k.size()) == k; }))
          return true;
        return emit(key, value);
      });
      return go;
    }
    for (const auto& key : keys)
      if (auto value = store_->Get(partition, key); value && !emit(key, *value)) return false;
    return go;
  }

 private:
  StateBackend* backend_;
  std::string topic_, name_;
  std::shared_ptr<KeyValueStore> store_;
};

}  // namespace

// ---- one table's copy and its tail --------------------------------------------------------

class TopicMaterializer::Tail {
 public:
  Tail(const TopicMaterializer& owner, std::string topic) : owner_(owner), topic_(std::move(topic)) {}
  ~Tail() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    if (thread_.joinable()) thread_.join();
  }

  // Waits until the copy holds every record the topic had at a moment no earlier than
  // `max_staleness` before now, then hands out the rows under the shared lock.
  Status Read(int partitions, const std::vector<std::string>& keys, bool windowed,
              std::chrono::milliseconds max_staleness, const QueryRunner::RecordFn& fn) {
    const auto now = Clock::now();
    last_read_.store(now.time_since_epoch().count(), std::memory_order_relaxed);
    SLUICE_RETURN_IF_ERROR(WaitUntilFresh(partitions, now - max_staleness, now + kCatchUpTimeout));
    std::shared_lock<std::shared_mutex> rows_lock(rows_mu_);
    if (!keys.empty() && !windowed && placed_by_murmur2_.load(std::memory_order_relaxed)) {
      ReadKeyPartitions(partitions, keys, fn);
      return Status::OK();
    }
    for (int p = 0; p < partitions; ++p)
      if (!rows_->Read(p, keys, windowed, fn)) break;
    return Status::OK();
  }

 private:
  // Every row sits in the partition Kafka's default partitioner (murmur2 of the key bytes) gives
  // its key, so a key can only be there: read that partition alone (in partition order, as a
  // full read would).
  void ReadKeyPartitions(int partitions, const std::vector<std::string>& keys, const QueryRunner::RecordFn& fn) {
    std::map<int, std::vector<std::string>> by_partition;
    for (const auto& key : keys) by_partition[PartitionForKey(key, partitions)].push_back(key);
    for (const auto& [p, these] : by_partition)
      if (!rows_->Read(p, these, false, fn)) return;
  }

  // Tail thread, before consuming: whether a copy restored from a checkpoint has every row in
  // its key's murmur2 partition (a new copy learns it record by record).
  void CheckRestoredPlacement(int partitions) {
    bool placed = true;
    std::shared_lock<std::shared_mutex> rows_lock(rows_mu_);
    for (int p = 0; p < partitions && placed; ++p)
      rows_->Read(p, {}, false, [&](const KafkaRecord& r) {
        placed = r.key && PartitionForKey(*r.key, partitions) == p;
        return placed;
      });
    placed_by_murmur2_ = placed;
  }

  // End offsets observed at or after `fresh_after`, then the tail reaching them.
  Status WaitUntilFresh(int partitions, Clock::time_point fresh_after, Clock::time_point deadline) {
    std::unique_lock<std::mutex> lock(mu_);
    SLUICE_RETURN_IF_ERROR(EnsureRunning(partitions));
    while (!(ends_at_ >= fresh_after && static_cast<int>(ends_.size()) >= partitions)) {
      if (!refreshing_) {
        SLUICE_RETURN_IF_ERROR(RefreshEnds(lock, partitions));
        continue;
      }
      if (cv_.wait_until(lock, deadline) == std::cv_status::timeout)
        return Status::IOError("pull query on " + topic_ + ": timed out asking the broker for the topic's end offsets");
    }
    const std::vector<int64_t> target(ends_.begin(), ends_.begin() + partitions);
    while (!Reached(target)) {
      if (!failure_.ok()) return failure_;
      if (cv_.wait_until(lock, deadline) == std::cv_status::timeout) return CatchUpTimeout(target);
      if (!running_) SLUICE_RETURN_IF_ERROR(EnsureRunning(partitions));
    }
    return Status::OK();
  }

  // Every partition's next offset at its target. (The end offsets are asked read_committed and
  // a partition-end event moves the next offset past trailing transaction markers.)
  bool Reached(const std::vector<int64_t>& target) const {
    for (size_t p = 0; p < target.size(); ++p)
      if (p >= next_.size() || std::max<int64_t>(next_[p], 0) < target[p]) return false;
    return true;
  }

  Status CatchUpTimeout(const std::vector<int64_t>& target) const {
    std::string where;
    for (size_t p = 0; p < target.size(); ++p)
      if (p >= next_.size() || next_[p] < target[p])
        where += " partition " + std::to_string(p) + " at " + std::to_string(p < next_.size() ? next_[p] : -1) +
                 " of " + std::to_string(target[p]) + ";";
    return Status::IOError("pull query on " + topic_ + ": the table's copy did not catch up in time:" + where);
  }

  // Under mu_: starts the tail thread if it is not running (first read, idle stop, failure).
  Status EnsureRunning(int partitions) {
    if (partitions > partitions_) {
      // More partitions move keys (murmur2 modulo the count): placement is no longer known.
      if (partitions_ > 0) placed_by_murmur2_ = false;
      partitions_ = partitions;
      reassign_ = true;
    }
    if (running_) return Status::OK();
    if (thread_.joinable()) thread_.join();  // it stopped (idle or failed) and released mu_ last
    failure_ = Status::OK();
    if (!rows_) {
      auto rows = owner_.OpenRows(topic_);
      if (!rows.ok()) return rows.status();
      rows_ = std::move(*rows);
    }
    for (int p = static_cast<int>(next_.size()); p < partitions_; ++p) {
      next_.push_back(rows_->CheckpointedOffset(p).value_or(-1));  // a RocksDB copy goes on from its checkpoint
      if (next_.back() >= 0 && !placement_checked_) check_placement_ = true;
    }
    if (!check_placement_ && !placement_checked_) placed_by_murmur2_ = true;  // an empty copy
    placement_checked_ = true;
    auto consumer = owner_.NewConsumer(topic_, "error");
    if (!consumer.ok()) return consumer.status();
    consumer_ = std::move(*consumer);
    running_ = true;
    reassign_ = true;
    thread_ = std::thread([this] { Run(); });
    spdlog::info("pull queries: tailing {} ({} partitions) for its table's copy", topic_, partitions_);
    return Status::OK();
  }

  // Under mu_ (released during the request): one ListOffsets for every partition.
  Status RefreshEnds(std::unique_lock<std::mutex>& lock, int partitions) {
    refreshing_ = true;
    partitions = std::max(partitions, partitions_);
    rd_kafka_t* rk = consumer_->handle();
    const Clock::time_point asked = Clock::now();
    lock.unlock();
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions);
    for (int p = 0; p < partitions; ++p)
      rd_kafka_topic_partition_list_add(list, topic_.c_str(), p)->offset = RD_KAFKA_OFFSET_END;  // latest
    rd_kafka_resp_err_t err = rd_kafka_offsets_for_times(
        rk, list, static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(kMetadataTimeout).count()));
    std::vector<int64_t> ends(partitions, 0);
    for (int i = 0; i < list->cnt && !err; ++i) {
      if (list->elems[i].err) err = list->elems[i].err;
      else ends[list->elems[i].partition] = list->elems[i].offset;
    }
    rd_kafka_topic_partition_list_destroy(list);
    lock.lock();
    refreshing_ = false;
    cv_.notify_all();
    if (err) return Status::IOError("pull query on " + topic_ + ": asking the end offsets: " + rd_kafka_err2str(err));
    if (asked > ends_at_ || ends_.size() < ends.size()) {
      ends_ = std::move(ends);
      ends_at_ = asked;
    }
    return Status::OK();
  }

  // The tail thread: consumes every partition from where the copy is, applying records in
  // batches; refreshes the end offsets while the table is queried; checkpoints; stops when
  // told, when nobody read for kIdleStop, or on a consumer failure.
  void Run() {
    bool check_placement = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      tail_partitions_ = partitions_;
      check_placement = std::exchange(check_placement_, false);
    }
    if (check_placement) CheckRestoredPlacement(tail_partitions_);
    Clock::time_point last_checkpoint = Clock::now();
    int64_t since_checkpoint = 0;
    while (true) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        const Clock::time_point now = Clock::now();
        const Clock::time_point last_read{Clock::duration(last_read_.load(std::memory_order_relaxed))};
        if (stop_ || now - last_read > kIdleStop) break;
        tail_partitions_ = partitions_;
        if (reassign_) {
          if (Status s = Assign(); !s.ok()) {
            Fail(s);
            break;
          }
        }
        if (!refreshing_ && now - last_read < kHotFor && now - ends_at_ > kRefreshEvery)
          if (Status s = RefreshEnds(lock, partitions_); !s.ok())
            spdlog::warn("pull queries on {}: {}", topic_, s.message());
      }
      since_checkpoint += PollAndApply();
      if (since_checkpoint > 0 &&
          (since_checkpoint >= kCheckpointRecords || Clock::now() - last_checkpoint >= kCheckpointEvery)) {
        Checkpoint();
        since_checkpoint = 0;
        last_checkpoint = Clock::now();
      }
    }
    Checkpoint();
    std::lock_guard<std::mutex> lock(mu_);
    consumer_.reset();
    running_ = false;
    cv_.notify_all();
  }

  // Under mu_: every partition from the copy's next offset (or its start).
  Status Assign() {
    std::vector<TopicPartitionOffset> parts;
    for (int p = 0; p < partitions_; ++p) parts.push_back({topic_, p, next_[p] >= 0 ? next_[p] : RD_KAFKA_OFFSET_BEGINNING});
    reassign_ = false;
    return consumer_->Assign(parts);
  }

  void Fail(const Status& s) {
    spdlog::error("pull queries: the copy of {} stopped: {}", topic_, s.message());
    failure_ = s;
  }

  // One poll's worth of messages (up to kApplyBatch) applied under the exclusive rows lock.
  int64_t PollAndApply() {
    rd_kafka_t* rk = consumer_->handle();
    rd_kafka_message_t* msg = rd_kafka_consumer_poll(rk, 50);
    if (!msg) return 0;
    std::map<int, int64_t> next;  // partition -> next offset, from this batch
    std::vector<int> lost;        // partitions to read again from their start
    int64_t applied = 0;
    {
      std::unique_lock<std::shared_mutex> rows_lock(rows_mu_);
      for (int n = 0; msg; msg = ++n < kApplyBatch ? rd_kafka_consumer_poll(rk, 0) : nullptr) {
        ApplyMessage(msg, &next, &lost, &applied);
        rd_kafka_message_destroy(msg);
      }
    }
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [p, offset] : next) next_[p] = std::max(next_[p], offset);
    for (int p : lost) {
      next_[p] = -1;
      reassign_ = true;
    }
    cv_.notify_all();
    return applied;
  }

  void ApplyMessage(rd_kafka_message_t* msg, std::map<int, int64_t>* next, std::vector<int>* lost,
                    int64_t* applied) {
    const int p = msg->partition;
    if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      // The readable end: past transaction markers and aborted records.
      (*next)[p] = std::max((*next)[p], msg->offset);
      return;
    }
    if (msg->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET || msg->err == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE) {
      // Records were dropped (retention, the embedded broker's size limit) or the topic was
      // deleted and created again: what was read no longer describes it.
      spdlog::warn("pull queries: {} partition {}: {}: reading it again from its start", topic_, p,
                   rd_kafka_message_errstr(msg));
      if (p >= 0 && p < tail_partitions_) {
        rows_->DropPartition(p);
        lost->push_back(p);
      }
      return;
    }
    if (msg->err) {
      // Once per error kind a minute: a deleted topic reports itself at every poll.
      const Clock::time_point now = Clock::now();
      if (msg->err != last_error_ || now - last_error_at_ > std::chrono::minutes(1)) {
        spdlog::warn("pull queries: tailing {}: {}", topic_, rd_kafka_message_errstr(msg));
        last_error_ = msg->err;
        last_error_at_ = now;
      }
      return;
    }
    RecordView view(msg);
    (*next)[p] = view.offset() + 1;
    if (!msg->key) return;  // a table row needs its key
    const KafkaRecord r = view.ToKafkaRecord();
    if (placed_by_murmur2_.load(std::memory_order_relaxed) && PartitionForKey(*r.key, tail_partitions_) != p)
      placed_by_murmur2_ = false;  // another partitioner wrote it (librdkafka's default is CRC32)
    if (r.value) rows_->Put(r);
    else rows_->Delete(p, *r.key);
    ++*applied;
  }

  void Checkpoint() {
    std::vector<int64_t> next;
    {
      std::lock_guard<std::mutex> lock(mu_);
      next = next_;
    }
    std::unique_lock<std::shared_mutex> rows_lock(rows_mu_);
    for (int p = 0; p < static_cast<int>(next.size()); ++p)
      if (next[p] >= 0 && next[p] != checkpointed_[p]) {
        if (Status s = rows_->Checkpoint(p, next[p]); !s.ok())
          spdlog::warn("pull queries: checkpointing the copy of {}: {}", topic_, s.message());
        else checkpointed_[p] = next[p];
      }
  }

  const TopicMaterializer& owner_;
  const std::string topic_;

  std::shared_mutex rows_mu_;  // rows_: shared for reads, exclusive for updates
  std::unique_ptr<Rows> rows_;
  std::map<int, int64_t> checkpointed_;  // tail thread only
  int tail_partitions_ = 0;               // tail thread only: partitions_ as of its last look
  rd_kafka_resp_err_t last_error_ = RD_KAFKA_RESP_ERR_NO_ERROR;  // tail thread only: log throttle
  Clock::time_point last_error_at_;

  std::mutex mu_;  // everything below
  std::condition_variable cv_;  // the tail progressed, end offsets arrived, or the tail stopped
  std::unique_ptr<Consumer> consumer_;
  std::thread thread_;
  bool running_ = false, stop_ = false, reassign_ = false, refreshing_ = false;
  int partitions_ = 0;
  std::vector<int64_t> next_;  // per partition: next offset to apply; -1 from the start
  std::vector<int64_t> ends_;  // end offsets as observed at ends_at_
  Clock::time_point ends_at_ = Clock::time_point::min();
  Status failure_;
  std::atomic<Clock::rep> last_read_{0};
  // Every row is in its key's murmur2 partition (Java clients', ksqlDB's and Sluice's
  // placement): key lookups read one partition. Sticky once false.
  std::atomic<bool> placed_by_murmur2_{false};
  bool placement_checked_ = false, check_placement_ = false;
};

TopicMaterializer::TopicMaterializer(KafkaProperties consumer_properties, StateBackend* state)
    : props_(std::move(consumer_properties)), state_(state) {}
TopicMaterializer::~TopicMaterializer() {
  std::lock_guard<std::mutex> lock(mu_);
  tails_.clear();  // each stops and joins its thread
}

// Assign-only, never commits; reads committed records and says where a partition ends.
// `offset_reset` "error": an offset that left the topic is reported, not silently skipped.
Result<std::unique_ptr<Consumer>> TopicMaterializer::NewConsumer(const std::string& name,
                                                                 const std::string& offset_reset) const {
  KafkaProperties props = props_;
  props["group.id"] = "_sluice-pull-" + name;
  props["enable.partition.eof"] = "true";
  props["auto.offset.reset"] = offset_reset;
  props["isolation.level"] = "read_committed";
  // A fetch with nothing new waits at most this long at the broker: bounds how late a new
  // record reaches the copy on brokers that do not answer a waiting fetch early (the mock).
  props.try_emplace("fetch.wait.max.ms", "20");
  return Consumer::Create(std::move(props), "pull " + name);
}

Result<std::unique_ptr<TopicMaterializer::Rows>> TopicMaterializer::OpenRows(const std::string& topic) const {
  if (!state_) return std::unique_ptr<Rows>(std::make_unique<MemoryRows>());
  auto rows = std::make_unique<RocksRows>(state_, topic, "_sluice-pull-" + topic);
  SLUICE_RETURN_IF_ERROR(rows->Open());
  return std::unique_ptr<Rows>(std::move(rows));
}

Status TopicMaterializer::ReadTable(const std::string& topic, int partitions, const std::vector<std::string>& keys,
                                    bool windowed, std::chrono::milliseconds max_staleness,
                                    const QueryRunner::RecordFn& fn) {
  std::shared_ptr<Tail> tail;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto& slot = tails_[topic];
    if (!slot) slot = std::make_shared<Tail>(*this, topic);
    tail = slot;
  }
  return tail->Read(partitions, keys, windowed, max_staleness, fn);
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

Status TopicMaterializer::ReadTopic(const std::string& topic, int partitions, const QueryRunner::RecordFn& fn) {
  auto consumer = NewConsumer(topic + "-scan", "earliest");
  if (!consumer.ok()) return consumer.status();
  std::vector<int64_t> next(partitions, -1);
  bool stopped = false;
  Status s = ReadToEnd(**consumer, topic, &next, [&fn](const KafkaRecord& r) { return r.offset < 0 || fn(r); },
                       &stopped);
  (*consumer)->Close().ok();
  return s;
}

// ---- KafkaQueryRunner's side ----------------------------------------------------------

TopicMaterializer& KafkaQueryRunner::Materializer() {
  std::call_once(materializer_once_, [this] {
    materializer_ = std::make_shared<TopicMaterializer>(options_.consumer_properties, rocksdb_.get());
  });
  return *materializer_;
}

Status KafkaQueryRunner::ReadTable(const std::string& topic, const std::vector<std::string>& keys, bool windowed,
                                   std::chrono::milliseconds max_staleness, const RecordFn& fn) {
  auto partitions = PartitionCount(topic);
  if (!partitions.ok()) return partitions.status();
  return Materializer().ReadTable(topic, *partitions, keys, windowed, max_staleness, fn);
}

Status KafkaQueryRunner::ReadTopic(const std::string& topic, const RecordFn& fn) {
  auto partitions = PartitionCount(topic);
  if (!partitions.ok()) return partitions.status();
  return Materializer().ReadTopic(topic, *partitions, fn);
}

}  // namespace sluice
