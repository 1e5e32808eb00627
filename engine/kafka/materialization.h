#pragma once
// TopicMaterializer: what pull queries read on the Kafka runtime. A queryable table's current
// rows are its topic compacted (latest record per key; a tombstone deletes it): a CTAS sink
// topic carries the query's finished output (aggregates finalized, HAVING applied, projected),
// a SOURCE table is its topic. The materializer keeps, per table topic, a compacted copy and
// the next offset per partition; each read first brings the copy up to the partition ends the
// broker reports at that moment (read_committed), then serves the rows, so a pull query sees
// every record written before it started, and never reads the stream threads' stores or
// record caches. The copy lives in the runner's RocksDB when it has one (a store
// `_sluice-pull-<topic>`, checkpointed at the offsets read, so a restart goes on from there),
// else in memory.
//
// Threads: REST threads call in concurrently; one mutex per table (held while the rows are
// handed out), one for the table map.
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/executor/query_runner.h"
#include "engine/kafka/client.h"
#include "engine/runtime/state/state_store.h"

namespace sluice {

class Consumer;

class TopicMaterializer {
 public:
  class Rows;  // where one table's copy lives (materialization.cpp)
  // `consumer_properties`: librdkafka settings of the runner's clients (bootstrap.servers).
  // `state`: the runner's RocksDB, or null (copies in memory); not owned.
  TopicMaterializer(KafkaProperties consumer_properties, StateBackend* state);
  ~TopicMaterializer();

  // The table's rows, partition by partition in key byte order (QueryRunner::ReadTable).
  Status ReadTable(const std::string& topic, int partitions, const std::vector<std::string>& keys, bool windowed,
                   const QueryRunner::RecordFn& fn);
  // Every record of the topic up to the end each partition has now (streams), with a consumer
  // of its own (nothing is kept).
  Status ReadTopic(const std::string& topic, int partitions, const QueryRunner::RecordFn& fn);

 private:
  struct Table;
  Status OpenRows(Table& table, const std::string& topic) const;
  Result<std::unique_ptr<Consumer>> NewConsumer(const std::string& name) const;
  // Reads partitions from `next` to their current end; `apply` gets each record.
  Status ReadToEnd(Consumer& consumer, const std::string& topic, std::vector<int64_t>* next,
                   const std::function<bool(const KafkaRecord&)>& apply, bool* stopped) const;
  Status CatchUp(Table& table, const std::string& topic, int partitions) const;

  KafkaProperties props_;
  StateBackend* state_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Table>> tables_;
};

}  // namespace sluice
