// COUNT: ksqlDB's CountKudaf. COUNT(col) counts records whose argument is not NULL; COUNT(*)
// and COUNT() arrive with no argument and count every record. A literal argument (COUNT(1))
// is evaluated per record like a column, so a non-NULL literal counts every record.
// BIGINT accumulator starting at 0; undo subtracts, merge adds.
#include "engine/expr/aggregates/aggregate_internal.h"

namespace sluice::agg {

namespace {

class Count final : public AggregateBase {
 public:
  explicit Count(int column_args)
      : AggregateBase(column_args, SqlType::Bigint(), SqlType::Bigint()) {}
  Value Initial() const override { return Value(int64_t{0}); }
  Value Aggregate(const Value* args, Value acc) const override {
    if (Counts(args)) return Value(JAdd(acc.AsBigint(), int64_t{1}));
    return acc;
  }
  bool SupportsUndo() const override { return true; }
  Value Undo(const Value* args, Value acc) const override {
    if (Counts(args)) return Value(JSub(acc.AsBigint(), int64_t{1}));
    return acc;
  }
  Value Merge(const Value& a, const Value& b) const override {
    return Value(JAdd(a.AsBigint(), b.AsBigint()));
  }
  Value Map(const Value& acc) const override { return acc; }

 private:
  bool Counts(const Value* args) const { return ColumnArgCount() == 0 || !args[0].IsNull(); }
};

}  // namespace

Result<AggregateFunctionPtr> ResolveCount(const Call& call) {
  // ksqlDB accepts any single argument type (and none, for COUNT(*)).
  if (call.size() > 1) return NoMatchingSignature(call);
  return AggregateFunctionPtr(std::make_shared<Count>(static_cast<int>(call.size())));
}

}  // namespace sluice::agg
