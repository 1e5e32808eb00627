#pragma once
// The first stage of an aggregation: from a source row (after WHERE) to a GroupedChange —
// grouping key and aggregate arguments. A table source is materialized here (a key-value
// store of source key -> the grouping key and arguments it contributed) so that an update or
// delete can subtract the row's earlier contribution, as Kafka Streams' KTable groupBy does.
#include <functional>
#include <memory>

#include "engine/planner/query_plan.h"
#include "engine/runtime/aggregation/grouped_change.h"
#include "engine/runtime/state/state_store.h"
#include "engine/serde/format.h"

namespace sluice {

class GroupByStage {
 public:
  using ChangeConsumer = std::function<void(GroupedChange&)>;
  // `table_store` is required when the source is a table.
  static Result<std::unique_ptr<GroupByStage>> Create(const QueryPlan& plan, std::shared_ptr<KeyValueStore> table_store,
                                                      int partition, ChangeConsumer consumer);

  // `row_key`: a table row's key bytes (the row it replaces); null: the record's key (a table
  // source's). A join's result passes its join key.
  void Accept(const Row& row, int64_t timestamp, const KafkaRecord& in, bool deleted,
              std::vector<std::string>* log, const std::string* row_key = nullptr);

 private:
  GroupByStage(const QueryPlan& plan, std::shared_ptr<KeyValueStore> table_store, int partition, ChangeConsumer consumer)
      : plan_(plan), agg_(*plan.aggregation), table_store_(std::move(table_store)), partition_(partition),
        consumer_(std::move(consumer)) {}
  // Grouping key and arguments of a row; false (with a log entry) if the key is NULL.
  bool Evaluate(const Row& row, const KafkaRecord& in, Row* key, std::string* key_bytes, Row* args,
                std::vector<std::string>* log);
  void AcceptTableRow(const Row& row, const std::string& row_key, int64_t timestamp, const KafkaRecord& in,
                      bool deleted, std::vector<std::string>* log);
  std::string LogEntry(const KafkaRecord& in, const std::string& what) const;

  const QueryPlan& plan_;
  const AggregationPlan& agg_;
  std::shared_ptr<KeyValueStore> table_store_;
  int partition_;
  ChangeConsumer consumer_;
  std::unique_ptr<RowSerializer> key_serializer_;
  std::vector<TypePtr> stored_types_;  // grouping key types, then argument types
  EvalContext ctx_;
  std::string scratch_;
  // A stream record's change, reused: its key, key bytes and arguments keep their capacity.
  GroupedChange change_;
};

}  // namespace sluice
