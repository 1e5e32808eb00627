#pragma once
// Aggregate functions (ksqlDB's UDAFs: COUNT, SUM, TOPK, LATEST_BY_OFFSET, ...), as the
// aggregate operators of the stateful engine run them.
//
// A call such as `TOPK(price, 3)` or `LATEST_BY_OFFSET(v, 2, false)` has column arguments
// (evaluated per record: `price`, `v`) and trailing literal arguments that configure the
// function once (ksqlDB's "init args": `3`, `2, false`). ResolveAggregate binds a call from
// the types of all its arguments and the values of those that are literals; the operator
// then evaluates only the column arguments per record and passes them to Aggregate/Undo.
//
// The accumulator is a Value of IntermediateType() (ksqlDB's aggregate type): it is what the
// state store and its changelog hold, so it must round-trip through the internal row codec
// (plain SQL types: no hidden C++ state). Result() maps it to the output column's value
// (ksqlDB's `map`).
//
// Instances are immutable after ResolveAggregate and may be shared between tasks/threads.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/common/status.h"
#include "engine/types/sql_type.h"
#include "engine/types/value.h"

namespace sluice {

class AggregateFunction {
 public:
  virtual ~AggregateFunction() = default;

  // Number of leading arguments evaluated per record (the rest were literal init args).
  virtual int ColumnArgCount() const = 0;
  virtual TypePtr ReturnType() const = 0;
  virtual TypePtr IntermediateType() const = 0;

  // The accumulator of a new group (ksqlDB's initialize()).
  virtual Value Initial() const = 0;
  // Folds one record's column arguments (ColumnArgCount() values, NULLs included: each
  // function applies ksqlDB's NULL rule itself) into the accumulator.
  virtual Value Aggregate(const Value* args, Value acc) const = 0;
  // Aggregate() that reports the records ksqlDB fails the query on instead of folding them
  // (SUM of a DECIMAL that overflows its precision: "Numeric field overflow: ..."; ksqlDB
  // throws, and the query stops). For those records Aggregate() returns `acc` unchanged.
  virtual Result<Value> TryAggregate(const Value* args, Value acc) const {
    return Aggregate(args, std::move(acc));
  }
  // Table aggregation: removes a record's earlier contribution (ksqlDB's TableUdaf.undo).
  // Only called when SupportsUndo().
  virtual bool SupportsUndo() const { return false; }
  virtual Value Undo(const Value* args, Value acc) const { return acc; }
  // Session windows: combines the accumulators of two sessions that a record joins.
  virtual Value Merge(const Value& a, const Value& b) const = 0;
  // The output value from the accumulator (ksqlDB's map()).
  virtual Value Map(const Value& acc) const = 0;
};

using AggregateFunctionPtr = std::shared_ptr<const AggregateFunction>;

// Whether `upper_name` names an aggregate function (the analyzer's test for GROUP BY queries).
bool IsAggregateFunctionName(const std::string& upper_name);

// Server/session settings the aggregate functions read (ksqlDB's `ksql.functions.*`).
struct AggregateConfig {
  // ksql.functions.collect_list.limit / collect_set.limit: values beyond are ignored
  // (a negative setting means no limit).
  int collect_list_limit = 1000;
  int collect_set_limit = 1000;
};

// Binds a call. `arg_types` has every argument's type (nullptr for an untyped NULL literal);
// `literal_args[i]` holds argument i's value when it is a literal, nullopt otherwise;
// `arg_texts` (optional) the arguments' SQL text, for errors that quote one ("Parameter 2
// passed to function EARLIEST_BY_OFFSET must be a literal constant, but was expression: 'F0'").
// Errors carry ksqlDB's wording, e.g. "Function 'sum' does not accept parameters (STRING)."
Result<AggregateFunctionPtr> ResolveAggregate(const std::string& upper_name,
                                              const std::vector<TypePtr>& arg_types,
                                              const std::vector<std::optional<Value>>& literal_args);
Result<AggregateFunctionPtr> ResolveAggregate(const std::string& upper_name,
                                              const std::vector<TypePtr>& arg_types,
                                              const std::vector<std::optional<Value>>& literal_args,
                                              const AggregateConfig& config,
                                              const std::vector<std::string>& arg_texts = {});

}  // namespace sluice
