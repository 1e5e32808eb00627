// SUM, SUM_LIST and AVG: ksqlDB's SumKudaf family, ListSumUdaf and AverageUdaf.
//
// SUM(INT) -> INT, SUM(BIGINT) -> BIGINT, SUM(DOUBLE) -> DOUBLE with Java's wrapping
// arithmetic, starting at 0 (a group whose values are all NULL sums to 0).
// SUM(DECIMAL(p, s)) -> DECIMAL(p, s): a sum that reaches 10^(p - s) in magnitude fails the
// query ("Numeric field overflow", TryAggregate); merge and undo do not check.
// SUM_LIST(ARRAY<INT|BIGINT|DOUBLE>) sums the non-NULL elements of each array.
// AVG(INT|BIGINT|DOUBLE) -> DOUBLE over STRUCT<SUM T, COUNT BIGINT>; 0.0 for no values.
// All of them skip NULL arguments and support undo (table aggregation).
#include "engine/expr/aggregates/aggregate_internal.h"

namespace sluice::agg {

namespace {

// Java addition/subtraction on the accumulator's kind (INT, BIGINT or DOUBLE).
Value AddSameKind(const Value& acc, const Value& v, bool subtract) {
  if (acc.IsInt()) {
    const auto x = static_cast<int32_t>(v.ToInt64());
    return Value(subtract ? JSub(acc.AsInt(), x) : JAdd(acc.AsInt(), x));
  }
  if (acc.IsBigint())
    return Value(subtract ? JSub(acc.AsBigint(), v.ToInt64()) : JAdd(acc.AsBigint(), v.ToInt64()));
  return Value(subtract ? acc.AsDouble() - v.ToDouble() : acc.AsDouble() + v.ToDouble());
}

Value ZeroOf(TypeKind kind) {
  if (kind == TypeKind::kInteger) return Value(int32_t{0});
  if (kind == TypeKind::kBigint) return Value(int64_t{0});
  return Value(0.0);
}

class NumberSum final : public AggregateBase {
 public:
  explicit NumberSum(TypePtr t) : AggregateBase(1, t, t) {}
  Value Initial() const override { return ZeroOf(ReturnType()->kind); }
  Value Aggregate(const Value* args, Value acc) const override {
    return args[0].IsNull() ? acc : AddSameKind(acc, args[0], false);
  }
  bool SupportsUndo() const override { return true; }
  Value Undo(const Value* args, Value acc) const override {
    return args[0].IsNull() ? acc : AddSameKind(acc, args[0], true);
  }
  Value Merge(const Value& a, const Value& b) const override { return AddSameKind(a, b, false); }
  Value Map(const Value& acc) const override { return acc; }
};

class DecimalSum final : public AggregateBase {
 public:
  explicit DecimalSum(TypePtr t) : AggregateBase(1, t, t) {
    limit_ = 1;
    for (int i = 0; i < t->precision; ++i) limit_ *= 10;  // 10^(p - s) in units of 10^-s
  }
  Value Initial() const override { return Value(Decimal{0, ReturnType()->scale}); }
  Result<Value> TryAggregate(const Value* args, Value acc) const override {
    if (args[0].IsNull()) return acc;
    const Decimal sum = Add(acc, args[0], false);
    const __int128 magnitude = sum.unscaled < 0 ? -sum.unscaled : sum.unscaled;
    if (magnitude >= limit_) {
      const SqlType& t = *ReturnType();
      return Status::RuntimeError(
          "Numeric field overflow: A field with precision " + std::to_string(t.precision) +
          " and scale " + std::to_string(t.scale) + " must round to an absolute value less than 10^" +
          std::to_string(t.precision - t.scale) + ". Got " + sum.ToString());
    }
    return Value(sum);
  }
  Value Aggregate(const Value* args, Value acc) const override {
    auto r = TryAggregate(args, acc);
    return r.ok() ? std::move(r.value()) : acc;
  }
  bool SupportsUndo() const override { return true; }
  Value Undo(const Value* args, Value acc) const override {
    return args[0].IsNull() ? acc : Value(Add(acc, args[0], true));
  }
  Value Merge(const Value& a, const Value& b) const override { return Value(Add(a, b, false)); }
  Value Map(const Value& acc) const override { return acc; }

 private:
  Decimal Add(const Value& acc, const Value& v, bool subtract) const {
    const int scale = ReturnType()->scale;
    const Decimal x = acc.AsDecimal().Rescale(scale);
    const Decimal y = v.IsDecimal() ? v.AsDecimal().Rescale(scale)
                                    : Decimal{static_cast<__int128>(v.ToInt64()), 0}.Rescale(scale);
    return Decimal{subtract ? x.unscaled - y.unscaled : x.unscaled + y.unscaled, scale};
  }
  __int128 limit_;
};

class ListSum final : public AggregateBase {
 public:
  explicit ListSum(TypePtr element) : AggregateBase(1, element, element) {}
  Value Initial() const override { return ZeroOf(ReturnType()->kind); }
  Value Aggregate(const Value* args, Value acc) const override {
    return args[0].IsNull() ? acc : AddSameKind(acc, SumOf(args[0]), false);
  }
  bool SupportsUndo() const override { return true; }
  Value Undo(const Value* args, Value acc) const override {
    return args[0].IsNull() ? acc : AddSameKind(acc, SumOf(args[0]), true);
  }
  Value Merge(const Value& a, const Value& b) const override { return AddSameKind(a, b, false); }
  Value Map(const Value& acc) const override { return acc; }

 private:
  Value SumOf(const Value& list) const {
    Value sum = Initial();
    for (const Value& e : list.AsArray())
      if (!e.IsNull()) sum = AddSameKind(sum, e, false);
    return sum;
  }
};

// AVG: STRUCT<SUM T, COUNT BIGINT>.
class Average final : public AggregateBase {
 public:
  explicit Average(TypePtr t)
      : AggregateBase(1, SqlType::Double(), StructOf({{"SUM", t}, {"COUNT", SqlType::Bigint()}})) {}
  Value Initial() const override { return Make(ZeroOf(SumKind()), 0); }
  Value Aggregate(const Value* args, Value acc) const override {
    if (args[0].IsNull()) return acc;
    const auto& f = acc.AsStruct().fields;
    return Make(AddSameKind(f[0], args[0], false), JAdd(f[1].AsBigint(), int64_t{1}));
  }
  bool SupportsUndo() const override { return true; }
  Value Undo(const Value* args, Value acc) const override {
    if (args[0].IsNull()) return acc;
    const auto& f = acc.AsStruct().fields;
    return Make(AddSameKind(f[0], args[0], true), JSub(f[1].AsBigint(), int64_t{1}));
  }
  Value Merge(const Value& a, const Value& b) const override {
    const auto &x = a.AsStruct().fields, &y = b.AsStruct().fields;
    return Make(AddSameKind(x[0], y[0], false), JAdd(x[1].AsBigint(), y[1].AsBigint()));
  }
  Value Map(const Value& acc) const override {
    const auto& f = acc.AsStruct().fields;
    const int64_t count = f[1].AsBigint();
    if (count == 0) return Value(0.0);
    return Value(f[0].ToDouble() / static_cast<double>(count));
  }

 private:
  TypeKind SumKind() const { return IntermediateType()->fields[0].type->kind; }
  Value Make(Value sum, int64_t count) const {
    return Value::Struct(IntermediateType(), {std::move(sum), Value(count)});
  }
};

bool IsIntBigintDouble(const TypePtr& t) {
  return IsAnyKind(t, {TypeKind::kInteger, TypeKind::kBigint, TypeKind::kDouble});
}

}  // namespace

Result<AggregateFunctionPtr> ResolveSum(const Call& call) {
  if (call.size() != 1) return NoMatchingSignature(call);
  const TypePtr& t = call.types[0];
  if (IsIntBigintDouble(t)) return AggregateFunctionPtr(std::make_shared<NumberSum>(t));
  if (IsKind(t, TypeKind::kDecimal)) return AggregateFunctionPtr(std::make_shared<DecimalSum>(t));
  return NoMatchingSignature(call);
}

Result<AggregateFunctionPtr> ResolveSumList(const Call& call) {
  if (call.size() != 1 || !IsKind(call.types[0], TypeKind::kArray) ||
      !IsIntBigintDouble(call.types[0]->element))
    return NoMatchingSignature(call);
  return AggregateFunctionPtr(std::make_shared<ListSum>(call.types[0]->element));
}

Result<AggregateFunctionPtr> ResolveAvg(const Call& call) {
  if (call.size() != 1 || !IsIntBigintDouble(call.types[0])) return NoMatchingSignature(call);
  return AggregateFunctionPtr(std::make_shared<Average>(call.types[0]));
}

}  // namespace sluice::agg
