#pragma once
// TopicMaterializer: what pull queries read on the Kafka runtime. A queryable table's current
// rows are its topic compacted (latest record per key; a tombstone deletes it): a CTAS sink
// topic carries the query's finished output (aggregates finalized, HAVING applied, projected),
// a SOURCE table is its topic. The materializer keeps, per table topic, a compacted copy in
// memory and the next offset per partition; each read first brings the copy up to the
// partition ends the broker reports at that moment (read_committed), then serves the rows, so
// a pull query sees every record written before it started, and never reads the stream
// threads' stores or record caches.
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

namespace sluice {

class Consumer;

class TopicMaterializer {
 public:
  // `consumer_properties`: librdkafka settings of the runner's clients (bootstrap.servers).
  explicit TopicMaterializer(KafkaProperties consumer_properties);
  ~TopicMaterializer();

  // The table's rows, partition by partition in key byte order; only keys starting with one
  // of `key_prefixes` when it is not empty.
  Status ReadTable(const std::string& topic, int partitions, const std::vector<std::string>& key_prefixes,
                   const QueryRunner::RecordFn& fn);
  // Every record of the topic up to the end each partition has now (streams), with a consumer
  // of its own (nothing is kept).
  Status ReadTopic(const std::string& topic, int partitions, const QueryRunner::RecordFn& fn);

 private:
  struct Table;
  Result<std::unique_ptr<Consumer>> NewConsumer(const std::string& name) const;
  // Reads partitions from `next` to their current end; `apply` gets each record.
  Status ReadToEnd(Consumer& consumer, const std::string& topic, std::vector<int64_t>* next,
                   const std::function<bool(const KafkaRecord&)>& apply, bool* stopped) const;
  Status CatchUp(Table& table, const std::string& topic, int partitions) const;

  KafkaProperties props_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Table>> tables_;
};

}  // namespace sluice
