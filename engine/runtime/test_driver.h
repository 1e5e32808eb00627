#pragma once
// TestDriver: runs statements and their persistent queries in-process and deterministically,
// records in, records out, with no broker (Kafka Streams' TopologyTestDriver, for Sluice).
// The same operators run over Kafka later; only the task around them differs.
//
// Topics are in-memory logs. Produce() appends a record to a topic and synchronously runs
// every query reading that topic (and the queries reading their outputs), so after it
// returns every output it causes is in its topic.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/common/status.h"
#include "engine/metastore/data_source.h"

namespace sluice {

struct RecordHeader {
  std::string key;
  std::optional<std::string> value;  // header values may be null
};

struct KafkaRecord {
  std::string topic;
  int partition = 0;
  int64_t offset = 0;                // assigned by the driver on Produce
  int64_t timestamp = 0;
  std::optional<std::string> key;    // nullopt: null key
  std::optional<std::string> value;  // nullopt: null value (tombstone)
  std::vector<RecordHeader> headers;
};

class Engine;          // the analyzer/planner/runtime behind the driver
class SchemaRegistry;  // engine/schema_registry/schema_registry.h

class TestDriver {
 public:
  // `properties`: session/config properties (e.g. ksql.streams.cache.max.bytes.buffering).
  explicit TestDriver(std::map<std::string, std::string> properties = {});
  ~TestDriver();

  // Executes one or more statements in order (DDL registers sources; CSAS/CTAS/INSERT INTO
  // start queries; INSERT VALUES produces a record). Stops at the first error, which carries
  // the statement's text.
  Status Execute(const std::string& sql);

  // Creates a topic up front (a test's `topics` section); otherwise topics appear on first use.
  void CreateTopic(const std::string& name, int partitions);

  // Appends a record to its topic and runs every query that reads it.
  Status Produce(KafkaRecord record);

  // Every record written to `topic` so far, in order (inputs included, if it is an input).
  const std::vector<KafkaRecord>& Records(const std::string& topic) const;
  std::vector<std::string> Topics() const;

  // Sources registered so far (for serializing test inputs and reading outputs).
  DataSourcePtr FindSource(const std::string& name) const;
  std::vector<DataSourcePtr> SourcesForTopic(const std::string& topic) const;

  // Records that could not be processed (bad bytes, failed expressions), as ksqlDB's
  // processing log would have them.
  const std::vector<std::string>& ProcessingLog() const;

  // The in-process Schema Registry of the AVRO/PROTOBUF/JSON_SR formats (a test registers a
  // topic's schemas here before its statements read them).
  const std::shared_ptr<SchemaRegistry>& schema_registry() const;
  // Another registry (e.g. a client of a server's), before any statement.
  void SetSchemaRegistry(std::shared_ptr<SchemaRegistry> registry);

 private:
  std::unique_ptr<Engine> engine_;
};

}  // namespace sluice
