#pragma once
// The processing log (ksqlDB's reference/processing-log): a record a query cannot deserialize,
// evaluate or serialize is skipped, and an entry saying why goes to the server log (spdlog,
// with query, topic, partition and offset) and to the processing-log topic
// `<service.id>ksql_processing_log` (ksql.logging.processing.topic.name) as ksqlDB writes it:
//
//   key null, value JSON {"level":"ERROR","logger":"processing.<QUERY_ID>...","time":<ms>,
//     "message":{"type":0..4,"deserializationError":{target,errorMessage,recordB64,cause,topic},
//                "recordProcessingError":{errorMessage,record,cause},"productionError":...,
//                "serializationError":{target,errorMessage,record,cause,topic},
//                "kafkaStreamsThreadError":{errorMessage,threadName,cause}}}
//
// (ProcessingLogMessageSchema: one struct set per type, the others null.) ksqlDB's entries
// carry the topic but not where in it the record was: Sluice adds "(partition P, offset O)" to
// errorMessage and the headers sluice.source.topic / .partition / .offset, so an entry leads
// back to its record. recordB64 / record only with ksql.logging.processing.rows.include=true.
// A query that fails writes a kafkaStreamsThreadError entry (type 4) with the reason.
//
// Tasks report entries as text ("query Q, topic T, partition P, offset O: <what>", see
// engine/runtime/task.h); the type follows from <what>: "Failed to deserialize key|value: ..."
// is a deserialization error, "Failed to serialize key|value: ..." a serialization error,
// anything else a record-processing error.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "engine/common/status.h"
#include "engine/kafka/producer.h"
#include "engine/runtime/test_driver.h"

namespace sluice {

// ksqlDB's ksql.logging.processing.* properties.
struct ProcessingLogOptions {
  std::string topic;               // resolved: topic.name, or <service.id>ksql_processing_log
  bool topic_auto_create = false;  // topic.auto.create: create it at start-up
  int topic_partitions = 1;        // topic.partitions
  int topic_replicas = 1;          // topic.replication.factor
  bool stream_auto_create = false; // stream.auto.create: register the stream over the topic
  std::string stream_name = "KSQL_PROCESSING_LOG";  // stream.name
  bool include_rows = false;       // rows.include: recordB64 / record filled in

  // From the server's properties; `service_id` names the default topic. InvalidArgument
  // naming a property with a bad value.
  static Result<ProcessingLogOptions> FromProperties(const std::map<std::string, std::string>& properties,
                                                     const std::string& service_id);
};

// ksqlDB's MessageType ids.
enum class ProcessingLogType { kDeserialization = 0, kRecordProcessing = 1, kProduction = 2, kSerialization = 3,
                               kStreamsThread = 4 };

// One task entry classified: its type, key/value target and ksqlDB-like message parts.
struct ProcessingLogEntry {
  ProcessingLogType type = ProcessingLogType::kRecordProcessing;
  std::string target;  // "key" / "value" for (de)serialization errors
  std::string what;    // the task's text after "query ..., offset N: "
  std::string detail;  // what follows "Failed to (de)serialize key|value: "
};
ProcessingLogEntry ClassifyProcessingLogEntry(const std::string& task_entry);

// The value JSON of a processing-log record for `entry` about input record `in` of query
// `query_id`; `sink_topic` is where a serialization error was writing to. `time_ms`: when.
std::string ProcessingLogRecordJson(const std::string& query_id, const ProcessingLogEntry& entry,
                                    const KafkaRecord& in, const std::string& sink_topic, bool include_rows,
                                    int64_t time_ms);
// A kafkaStreamsThreadError entry: the query stopped on `thread` because of `error`.
std::string ProcessingLogThreadErrorJson(const std::string& query_id, const std::string& thread,
                                         const std::string& error, int64_t time_ms);

// ksqlDB's CREATE STREAM for the processing log (ProcessingLogServerUtils), over `topic`.
std::string ProcessingLogStreamStatement(const std::string& stream_name, const std::string& topic);

// Writes entries to spdlog and, when enabled, to the topic through a producer shared with the
// runner (never transactional: an entry stays even when the query's transaction aborts, as
// ksqlDB's log appender writes outside the query's transactions). Thread-safe: every stream
// thread of every query writes through one instance.
class ProcessingLog {
 public:
  // `producer` null or options.topic empty: spdlog only.
  ProcessingLog(ProcessingLogOptions options, Producer* producer);
  ~ProcessingLog();

  // A record the query skipped: spdlog warning "processing log: query Q topic T partition P
  // offset O: <task entry>" and, when enabled, a topic record.
  void RecordError(const std::string& query_id, const std::string& task_entry, const KafkaRecord& in,
                   const std::string& sink_topic);
  // The query stopped (ERROR state): a kafkaStreamsThreadError record.
  void QueryError(const std::string& query_id, const std::string& thread, const std::string& error);

  bool writes_topic() const { return producer_ != nullptr && !options_.topic.empty(); }
  const ProcessingLogOptions& options() const { return options_; }
  // Waits (bounded) until the entries written so far are acknowledged; the first error.
  Status Flush(std::chrono::milliseconds timeout);
  int64_t entries() const { return entries_.load(); }

 private:
  void Write(const std::string& json, const KafkaRecord* in);

  ProcessingLogOptions options_;
  Producer* producer_;
  DeliveryTracker tracker_;
  std::atomic<int64_t> entries_{0};
  std::atomic<int64_t> reported_failures_{0};
};

}  // namespace sluice
