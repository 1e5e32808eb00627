#pragma once
// Push queries' results: the records a transient query's tasks write to its sink topic (JSON
// key and value, engine/analyzer SinkRequest::transient) turned into the rows a QueryRowSink
// gets, and the delivery rules (LIMIT, a sink that refuses a row, OnEnd exactly once).
#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "engine/executor/query_runner.h"
#include "engine/executor/transient_query.h"
#include "engine/planner/query_plan.h"
#include "engine/serde/format.h"

namespace sluice {

// Decodes sink records into result rows, columns in projection order. A table's tombstone
// (null value) of a key that has a row becomes a row with tombstone set: the columns that are
// key columns (or window bounds) keep their values from the record's key, the rest are null,
// as ksqlDB shows it.
class PushRowDecoder {
 public:
  // `result_columns`: the names the analyzer recorded (SinkRequest::result_columns).
  static Result<std::unique_ptr<PushRowDecoder>> Create(const QueryPlan& plan,
                                                        const std::vector<std::string>& result_columns);
  QueryResultSchema Schema(const std::string& query_id) const;
  // nullopt: a record that shows as no row (a stream's null value).
  Result<std::optional<QueryRow>> Decode(const KafkaRecord& record);

 private:
  enum class From { kKey, kValue, kWindowStart, kWindowEnd };
  struct Slot {
    std::string name;
    TypePtr type;
    From from = From::kValue;
    size_t index = 0;
  };
  PushRowDecoder() = default;

  std::vector<Slot> slots_;
  std::optional<WindowInfo> window_;
  bool table_ = false;
  size_t key_count_ = 0, value_count_ = 0;
  std::unique_ptr<RowDeserializer> key_in_, value_in_;
  Row key_row_, value_row_;
  // Table results: the keys (bytes, window included) whose latest row was not a delete. A
  // delete of a key that has no row shows nothing, as in ksqlDB (a table row filtered out by
  // WHERE before it ever passed is no change for the client).
  std::unordered_set<std::string> live_;
};

// The TransientOutput a push query hands its runner: decodes, counts against LIMIT, stops when
// the sink refuses a row, and ends the sink exactly once (OnEnd).
class PushDelivery : public TransientOutput {
 public:
  PushDelivery(std::unique_ptr<PushRowDecoder> decoder, std::shared_ptr<QueryRowSink> sink,
               std::optional<int64_t> limit, std::string query_id);
  bool OnRecord(const KafkaRecord& record) override;
  void OnError(const Status& status) override;
  // Ends the sink with `status` unless it has ended already (stop, LIMIT, error).
  void End(const Status& status);
  bool ended() const { return ended_; }
  int64_t delivered() const { return delivered_; }

 private:
  std::mutex mu_;  // OnRecord from stream threads, End from the owner
  std::unique_ptr<PushRowDecoder> decoder_;
  std::shared_ptr<QueryRowSink> sink_;
  std::optional<int64_t> limit_;
  std::string query_id_;
  std::atomic<bool> ended_{false};
  int64_t delivered_ = 0;
};

}  // namespace sluice
