// MIN and MAX: ksqlDB's MinKudaf/MaxKudaf (BaseComparableKudaf) over INT, BIGINT, DOUBLE,
// DECIMAL, DATE, TIME, TIMESTAMP, STRING and BYTES, in Java's compareTo order. The
// accumulator is the value itself, NULL until the first non-NULL value; NULL arguments are
// ignored. Merge keeps the smaller (larger) of two sessions. No undo: stream only.
#include "engine/expr/aggregates/aggregate_internal.h"

namespace sluice::agg {

namespace {

class Extreme final : public AggregateBase {
 public:
  Extreme(TypePtr t, bool want_max) : AggregateBase(1, t, t), want_max_(want_max) {}
  Value Initial() const override { return Value(); }
  Value Aggregate(const Value* args, Value acc) const override { return Pick(std::move(acc), args[0]); }
  // ksqlDB's merger is aggregate(a, b): `a` plays the current value, `b` the accumulator.
  Value Merge(const Value& a, const Value& b) const override { return Pick(b, a); }
  Value Map(const Value& acc) const override { return acc; }

 private:
  // BaseComparableKudaf.aggregate(current, agg): NULLs lose; on a tie the current value wins.
  Value Pick(Value acc, const Value& current) const {
    if (current.IsNull()) return acc;
    if (acc.IsNull()) return current;
    const int c = JavaCompare(acc, current);
    return (want_max_ ? c > 0 : c < 0) ? acc : current;
  }
  bool want_max_;
};

Result<AggregateFunctionPtr> ResolveExtreme(const Call& call, bool want_max) {
  if (call.size() != 1 ||
      !IsAnyKind(call.types[0], {TypeKind::kInteger, TypeKind::kBigint, TypeKind::kDouble,
                                 TypeKind::kDecimal, TypeKind::kDate, TypeKind::kTime,
                                 TypeKind::kTimestamp, TypeKind::kString, TypeKind::kBytes}))
    return NoMatchingSignature(call);
  return AggregateFunctionPtr(std::make_shared<Extreme>(call.types[0], want_max));
}

}  // namespace

Result<AggregateFunctionPtr> ResolveMin(const Call& call) { return ResolveExtreme(call, false); }
Result<AggregateFunctionPtr> ResolveMax(const Call& call) { return ResolveExtreme(call, true); }

}  // namespace sluice::agg
