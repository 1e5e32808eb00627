#include "engine/kafka/materialization.h"

#include <algorithm>
#include <chrono>
#include <optional>

#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

#include "engine/kafka/consumer.h"
#include "engine/kafka/query_runner.h"

namespace sluice {

namespace {
constexpr auto kMetadataTimeout = std::chrono::seconds(10);
constexpr auto kReadTimeout = std::chrono::seconds(60);  // per partition, reading to its end
}  // namespace

// Where a table's rows live: in memory, or in a store of the runner's RocksDB (bounded memory,
// and the copy survives a restart: its offsets are checkpointed with it).
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

bool StartsWith(const std::string& s, const std::string& prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

class MemoryRows : public TopicMaterializer::Rows {
 public:
  void Put(const KafkaRecord& r) override { Part(r.partition)[*r.key] = r; }
  void Delete(int partition, const std::string& key) override { Part(partition).erase(key); }
  void DropPartition(int partition) override { Part(partition).clear(); }
  bool Read(int partition, const std::vector<std::string>& keys, bool prefixes,
            const QueryRunner::RecordFn& fn) override {
    auto& rows = Part(partition);
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
      for (auto it = rows.lower_bound(key); it != rows.end() && StartsWith(it->first, key); ++it)
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
  // Not in the constructor: the store keeps a pointer to this object's collector.
  Status Open() {
    auto store = backend_->OpenKeyValue(name_, &changelog_);
    if (!store.ok()) return store.status();
    store_ = std::move(*store);
    return Status::OK();
  }
  void Put(const KafkaRecord& r) override { store_->Put(r.partition, *r.key, EncodeRow(r), r.timestamp); }
  void Delete(int partition, const std::string& key) override { store_->Delete(partition, key, 0); }
  void DropPartition(int partition) override { backend_->DropPartition(name_, partition); }
  std::optional<int64_t> CheckpointedOffset(int p) override { return backend_->CheckpointedOffset(name_, p); }
  Status Checkpoint(int p, int64_t next) override {
    changelog_.Take();  // the topic is this store's changelog already
    return backend_->Checkpoint(name_, p, next);
  }
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
  ChangelogCollector changelog_;
};

}  // namespace

struct TopicMaterializer::Table {
  std::mutex mu;
  std::unique_ptr<Consumer> consumer;
  std::vector<int64_t> next;  // per partition; -1: not read yet
  std::unique_ptr<Rows> rows;
};

TopicMaterializer::TopicMaterializer(KafkaProperties consumer_properties, StateBackend* state)
    : props_(std::move(consumer_properties)), state_(state) {}
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

Status TopicMaterializer::OpenRows(Table& t, const std::string& topic) const {
  if (!state_) {
    t.rows = std::make_unique<MemoryRows>();
    return Status::OK();
  }
  auto rows = std::make_unique<RocksRows>(state_, topic, "_sluice-pull-" + topic);
  SLUICE_RETURN_IF_ERROR(rows->Open());
  t.rows = std::move(rows);
  return Status::OK();
}

Status TopicMaterializer::CatchUp(Table& t, const std::string& topic, int partitions) const {
  if (!t.consumer) {
    auto c = NewConsumer(topic);
    if (!c.ok()) return c.status();
    t.consumer = std::move(*c);
  }
  if (!t.rows) SLUICE_RETURN_IF_ERROR(OpenRows(t, topic));
  for (int p = static_cast<int>(t.next.size()); p < partitions; ++p)
    t.next.push_back(t.rows->CheckpointedOffset(p).value_or(-1));  // a RocksDB copy goes on from its checkpoint
  const std::vector<int64_t> before = t.next;
  bool stopped = false;
  int64_t applied = 0;
  Status s = ReadToEnd(*t.consumer, topic, &t.next,
                       [&t, &applied](const KafkaRecord& r) {
                         if (r.offset < 0) t.rows->DropPartition(r.partition);
                         else if (!r.key) return true;  // a table row needs its key
                         else if (r.value) t.rows->Put(r);
                         else t.rows->Delete(r.partition, *r.key);
                         ++applied;
                         return true;
                       },
                       &stopped);
  for (int p = 0; p < partitions; ++p)
    if (t.next[p] != before[p] && t.next[p] >= 0) SLUICE_RETURN_IF_ERROR(t.rows->Checkpoint(p, t.next[p]));
  if (applied > 0) spdlog::debug("pull queries: {} new records of {} materialized", applied, topic);
  return s;
}

Status TopicMaterializer::ReadTable(const std::string& topic, int partitions, const std::vector<std::string>& keys,
                                    bool windowed, const QueryRunner::RecordFn& fn) {
  std::shared_ptr<Table> table;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto& slot = tables_[topic];
    if (!slot) slot = std::make_shared<Table>();
    table = slot;
  }
  std::lock_guard<std::mutex> lock(table->mu);
  SLUICE_RETURN_IF_ERROR(CatchUp(*table, topic, partitions));
  for (int p = 0; p < partitions; ++p)
    if (!table->rows->Read(p, keys, windowed, fn)) break;
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

Status KafkaQueryRunner::ReadTable(const std::string& topic, const std::vector<std::string>& keys, bool windowed,
                                   const RecordFn& fn) {
  std::call_once(materializer_once_, [this] {
    materializer_ = std::make_shared<TopicMaterializer>(options_.consumer_properties, rocksdb_.get());
  });
  auto partitions = PartitionCount(topic);
  if (!partitions.ok()) return partitions.status();
  return materializer_->ReadTable(topic, *partitions, keys, windowed, fn);
}

Status KafkaQueryRunner::ReadTopic(const std::string& topic, const RecordFn& fn) {
  std::call_once(materializer_once_, [this] {
    materializer_ = std::make_shared<TopicMaterializer>(options_.consumer_properties, rocksdb_.get());
  });
  auto partitions = PartitionCount(topic);
  if (!partitions.ok()) return partitions.status();
  return materializer_->ReadTopic(topic, *partitions, fn);
}

}  // namespace sluice
