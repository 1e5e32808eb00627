#pragma once
// State stores of the stateful engine: key-value (tables, aggregates), window (windowed
// aggregates, stream-stream joins) and session (session windows). Keys and values are bytes:
// operators encode them (keys in the source's key format, values with the internal row codec,
// engine/runtime/state/row_codec.h), so stores, the record cache, the changelog and pull
// queries all see the same bytes.
//
// Every store is partitioned: a task owns one partition of it and passes that partition with
// each call. Implementations: RocksDB (the server's; one instance per server, a column family
// per store, keys prefixed by partition, see rocksdb_state.h) and in-memory (unit tests only).
//
// Changelog: every write (put or delete) that reaches the underlying store is also appended,
// as a ChangelogRecord, to the ChangelogCollector the store was opened with; the task hands
// them to the driver, which writes them to the store's changelog topic
// (`_confluent-ksql-<service.id>query_<id>-<store>-changelog`). Restore() replays such records.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/common/status.h"

namespace sluice {

struct ChangelogRecord {
  std::string store;   // store name
  int partition = 0;
  std::string key;     // the store key as the changelog carries it (windowed: key + window)
  std::optional<std::string> value;  // nullopt: delete (tombstone)
  int64_t timestamp = 0;
};

// Collects changelog records produced by writes; owned by the task (one per task, no lock).
class ChangelogCollector {
 public:
  void Add(ChangelogRecord r) { records_.push_back(std::move(r)); }
  std::vector<ChangelogRecord> Take() { return std::move(records_); }
  bool empty() const { return records_.empty(); }

 private:
  std::vector<ChangelogRecord> records_;
};

class KeyValueStore {
 public:
  virtual ~KeyValueStore() = default;
  virtual const std::string& name() const = 0;
  virtual std::optional<std::string> Get(int partition, std::string_view key) = 0;
  virtual void Put(int partition, std::string_view key, std::string_view value, int64_t timestamp) = 0;
  virtual void Delete(int partition, std::string_view key, int64_t timestamp) = 0;
  // Every entry of one partition in key byte order; the callback returns false to stop.
  virtual void Scan(int partition,
                    const std::function<bool(std::string_view key, std::string_view value)>& fn) = 0;
};

// Windowed entries: (key, window start) -> value. Entries older than the retention
// (stream time - retention) may be dropped by the store.
class WindowStore {
 public:
  virtual ~WindowStore() = default;
  virtual const std::string& name() const = 0;
  virtual std::optional<std::string> Get(int partition, std::string_view key, int64_t window_start) = 0;
  virtual void Put(int partition, std::string_view key, int64_t window_start, std::string_view value,
                   int64_t timestamp) = 0;
  virtual void Delete(int partition, std::string_view key, int64_t window_start, int64_t timestamp) = 0;
  // Entries of `key` with window start in [from, to], in start order.
  virtual void Fetch(int partition, std::string_view key, int64_t from, int64_t to,
                     const std::function<bool(int64_t start, std::string_view value)>& fn) = 0;
  // Every entry of a partition (key order, then start order).
  virtual void Scan(int partition,
                    const std::function<bool(std::string_view key, int64_t start, std::string_view value)>& fn) = 0;
  // Drops entries whose window start is < `before` (retention).
  virtual void Expire(int partition, int64_t before) = 0;
};

// Session windows: (key, start, end) -> value.
class SessionStore {
 public:
  virtual ~SessionStore() = default;
  virtual const std::string& name() const = 0;
  // Sessions of `key` with end >= earliest_end and start <= latest_start, in start order.
  virtual void FindSessions(int partition, std::string_view key, int64_t earliest_end, int64_t latest_start,
                            const std::function<bool(int64_t start, int64_t end, std::string_view value)>& fn) = 0;
  virtual void Put(int partition, std::string_view key, int64_t start, int64_t end, std::string_view value,
                   int64_t timestamp) = 0;
  virtual void Remove(int partition, std::string_view key, int64_t start, int64_t end, int64_t timestamp) = 0;
  virtual void Scan(int partition,
                    const std::function<bool(std::string_view key, int64_t start, int64_t end,
                                             std::string_view value)>& fn) = 0;
  // Drops sessions whose end is < `before` (retention; Kafka Streams expires sessions by end).
  virtual void Expire(int partition, int64_t before) = 0;
};

// Where stores live: one per server (RocksDB) or per test (memory). Opening the same name
// twice returns the same store. The collector receives the changelog records of writes made
// through the returned store.
class StateBackend {
 public:
  virtual ~StateBackend() = default;
  virtual Result<std::shared_ptr<KeyValueStore>> OpenKeyValue(const std::string& name,
                                                              ChangelogCollector* changelog) = 0;
  virtual Result<std::shared_ptr<WindowStore>> OpenWindow(const std::string& name, int64_t retention_ms,
                                                          ChangelogCollector* changelog) = 0;
  virtual Result<std::shared_ptr<SessionStore>> OpenSession(const std::string& name, int64_t retention_ms,
                                                            ChangelogCollector* changelog) = 0;
  // Applies changelog records (as written by the stores above) without producing new ones.
  virtual Status Restore(const std::string& store, const std::vector<ChangelogRecord>& records) = 0;
  // Drops every entry of a partition of a store (the partition moved to another server).
  virtual void DropPartition(const std::string& store, int partition) = 0;
  // Drops the store entirely (TERMINATE).
  virtual void DropStore(const std::string& store) = 0;
  // Durability point: everything written so far survives a crash, along with the given
  // changelog offsets reached (store -> partition -> next offset), readable after reopening.
  virtual Status Checkpoint(const std::string& store, int partition, int64_t changelog_offset) = 0;
  virtual std::optional<int64_t> CheckpointedOffset(const std::string& store, int partition) = 0;
};

std::unique_ptr<StateBackend> MakeMemoryStateBackend();

}  // namespace sluice
