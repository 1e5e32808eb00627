#pragma once
// QueryTask: runs one stateless persistent query's plan over input records of its source
// topic, producing the records for its sink topic. It never touches Kafka or topics itself:
// the driver (test driver today, the Kafka runtime later) hands it records and takes what it
// emits, so the same task runs under both.
//
// Per record: deserialize key and value -> extract the timestamp -> WHERE -> table
// functions (flat-map) -> project key and value -> serialize. A record that cannot be
// processed (bad bytes, failed expression) goes to the processing log and the query goes on.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/expr/java_time_format.h"
#include "engine/planner/query_plan.h"
#include "engine/runtime/test_driver.h"
#include "engine/serde/format.h"

namespace sluice {

class QueryTask {
 public:
  static Result<std::unique_ptr<QueryTask>> Create(QueryPlan plan);

  const QueryPlan& plan() const { return plan_; }

  // Aggregations use this task as their source stage: rows that pass WHERE (and, for a table
  // source, rows deleted or filtered out: `deleted`) go to the consumer instead of being
  // projected to the sink. The row is the source row layout of the plan.
  using RowConsumer = std::function<void(const Row& row, int64_t timestamp, const KafkaRecord& in, bool deleted)>;
  void SetRowConsumer(RowConsumer consumer) { consumer_ = std::move(consumer); }
  // Appends the records this input produces to *out; problems with a record go to
  // *processing_log and the query goes on. An error Status means the query must stop (a bad
  // timestamp with ksql.timestamp.throw.on.invalid set).
  Status Process(const KafkaRecord& in, std::vector<KafkaRecord>* out,
                 std::vector<std::string>* processing_log);

 private:
  explicit QueryTask(QueryPlan plan) : plan_(std::move(plan)) {}
  bool Decode(const KafkaRecord& in, std::string* error);
  bool SplitWindowedKey(std::string_view* key, std::string* error);
  void DecodeHeaders(const KafkaRecord& in);
  bool ExtractTimestamp(int64_t* ts, std::string* error);
  static bool TimestampMillis(const Value& v, const jtime::DateTimeFormat* format,
                              const std::string& format_error, int64_t* ts, std::string* error);
  Status PassToConsumer(const KafkaRecord& in, int64_t ts, bool null_value, std::vector<std::string>* log);
  void EmitProjected(const KafkaRecord& in, int64_t ts, bool null_value,
                     std::vector<KafkaRecord>* out, std::vector<std::string>* log);
  void EmitTombstone(const KafkaRecord& in, int64_t ts, std::vector<KafkaRecord>* out,
                     std::vector<std::string>* log);
  std::string LogEntry(const KafkaRecord& in, const std::string& what) const;

  QueryPlan plan_;
  RowConsumer consumer_;
  std::unique_ptr<RowDeserializer> key_in_, value_in_;
  std::unique_ptr<RowSerializer> key_out_, value_out_;
  std::vector<int> key_positions_, value_positions_;  // where decoded columns go in the row
  int timestamp_index_ = -1;  // the source's TIMESTAMP column in the row, -1: record time
  std::shared_ptr<const jtime::DateTimeFormat> source_ts_format_, sink_ts_format_;
  std::string source_ts_format_error_, sink_ts_format_error_;
  Row row_, key_row_, value_row_, out_key_, out_value_;
  std::string window_suffix_;  // the window bytes of the current record's key (windowed sources)
  EvalContext ctx_;
};

}  // namespace sluice
