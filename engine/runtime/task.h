#pragma once
// Task: one partition of one sub-topology of a persistent query (DESIGN.md, "Stateful engine
// and runtime"). The driver (test driver, Kafka stream thread) hands it the records of its
// input topics for that partition, in order, and collects what it emits: records for sink and
// repartition topics, changelog records of its stores, processing-log entries. A task never
// does I/O itself, so the same task runs under the test driver and over Kafka.
#include <memory>
#include <string>
#include <vector>

#include "engine/common/status.h"
#include "engine/runtime/state/state_store.h"
#include "engine/runtime/test_driver.h"

namespace sluice {

// A processing-log entry about the input record `in`: the query, topic, partition and offset
// every entry names, then what went wrong.
inline std::string ProcessingLogMessage(const std::string& query_id, const KafkaRecord& in, const std::string& what) {
  return "query " + query_id + ", topic " + in.topic + ", partition " + std::to_string(in.partition) + ", offset " +
         std::to_string(in.offset) + ": " + what;
}

struct TaskOutput {
  std::vector<KafkaRecord> records;         // partition < 0: the driver partitions by key
  std::vector<std::string> processing_log;  // records that could not be processed
  void Clear() {
    records.clear();
    processing_log.clear();
  }
};

class Task {
 public:
  virtual ~Task() = default;
  // Runs one input record through the task's operators. An error means the query must stop.
  virtual Status Process(const KafkaRecord& in, TaskOutput* out) = 0;
  // A batch of records of this task's partition, in order (what a stream thread hands over).
  Status ProcessBatch(const std::vector<KafkaRecord>& batch, TaskOutput* out) {
    for (const auto& r : batch) SLUICE_RETURN_IF_ERROR(Process(r, out));
    return Status::OK();
  }
  // Commit point: record caches flush into the stores (and changelogs) and emit what they held.
  virtual void Commit(TaskOutput* out) {}
  // Changelog records written since the last call, for the driver to produce.
  virtual std::vector<ChangelogRecord> TakeChangelog() { return {}; }
};

// What a task needs from its query's environment.
struct TaskEnvironment {
  StateBackend* state = nullptr;
  int partition = 0;
  // ksql.streams.cache.max.bytes.buffering for this task's record caches (0: every update
  // is emitted at once).
  size_t cache_max_bytes = 0;
};

}  // namespace sluice
