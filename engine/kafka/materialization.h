#pragma once
// TopicMaterializer: what pull queries read on the Kafka runtime. A queryable table's current
// rows are its topic compacted (latest record per key; a tombstone deletes it): a CTAS sink
// topic carries the query's finished output (aggregates finalized, HAVING applied, projected),
// a SOURCE table is its topic. The materializer keeps, per table topic, a compacted copy that a
// background thread (the table's "tail", started by the first pull query on it) keeps up to
// date by consuming the topic continuously (read_committed). A pull query is then a local read
// with no broker round trip, and never reads the stream threads' stores or record caches.
//
// Freshness (what a pull query is guaranteed to see): every record the topic held at some
// moment no earlier than `max_staleness` before the query started. The query takes the end
// offsets of the topic's partitions observed at such a moment (a snapshot the tail refreshes
// every ~50 ms while the table is being queried; a query finding it older than its bound asks
// the broker itself, one request shared by the queries waiting at that moment), then waits
// until the copy has reached them. `max_staleness` 0: every record acknowledged before the
// query started (read-your-writes, at the cost of a broker round trip per query or batch of
// concurrent queries).
//
// The copy lives in the runner's RocksDB when it has one (a store `_sluice-pull-<topic>`,
// checkpointed at the offsets applied, so a restart goes on from there), else in memory. A
// tail that serves no query for 10 minutes stops (its copy is kept and caught up by the next
// query).
//
// Threads: REST threads call in concurrently. The rows are read under a shared lock and updated
// under an exclusive one, batch by batch, so one read sees one state of the copy (a prefix of
// every partition).
#include <chrono>
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
  class Tail;  // one table's copy and the thread that keeps it up to date
  // `consumer_properties`: librdkafka settings of the runner's clients (bootstrap.servers).
  // `state`: the runner's RocksDB, or null (copies in memory); not owned.
  TopicMaterializer(KafkaProperties consumer_properties, StateBackend* state);
  ~TopicMaterializer();  // stops the tails

  // The table's rows, partition by partition in key byte order (QueryRunner::ReadTable), as
  // fresh as `max_staleness` says (see above).
  Status ReadTable(const std::string& topic, int partitions, const std::vector<std::string>& keys, bool windowed,
                   std::chrono::milliseconds max_staleness, const QueryRunner::RecordFn& fn);
  // Every record of the topic up to the end each partition has now (streams), with a consumer
  // of its own (nothing is kept).
  Status ReadTopic(const std::string& topic, int partitions, const QueryRunner::RecordFn& fn);

  // Assign-only consumer, never commits, read_committed, partition EOF events on.
  Result<std::unique_ptr<Consumer>> NewConsumer(const std::string& name, const std::string& offset_reset) const;
  Result<std::unique_ptr<Rows>> OpenRows(const std::string& topic) const;

 private:
  // Reads partitions from `next` to their current end; `apply` gets each record.
  Status ReadToEnd(Consumer& consumer, const std::string& topic, std::vector<int64_t>* next,
                   const std::function<bool(const KafkaRecord&)>& apply, bool* stopped) const;

  KafkaProperties props_;
  StateBackend* state_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Tail>> tails_;
};

}  // namespace sluice
