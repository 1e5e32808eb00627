// STDDEV_SAMP, STDDEV_SAMPLE and CORRELATION: ksqlDB's StandardDeviationSampUdaf,
// StandardDeviationSampleUdaf and CorrelationUdaf, with their Java arithmetic reproduced
// (integer wrap-around and integer divisions included) so that results match to the bit.
//
// STDDEV_SAMP(INT|BIGINT|DOUBLE) -> DOUBLE returns the sample *variance* (ksqlDB's docs
// say so); STRUCT<SUM T, COUNT INTEGER, M2 DOUBLE>, Youngs-Cramer updates.
// STDDEV_SAMPLE(INT|BIGINT|DOUBLE) -> DOUBLE returns the sample standard deviation;
// STRUCT<SUM T, COUNT BIGINT, M2 DOUBLE>. Both give 0.0 below two values.
// CORRELATION(x DOUBLE, y DOUBLE) -> DOUBLE, Pearson's coefficient from running sums; rows
// where x or y is NULL are ignored; NaN with fewer than two rows or a constant column.
// All support undo (table aggregation) and merge.
#include <array>
#include <cmath>

#include "engine/expr/aggregates/aggregate_internal.h"
#include "engine/expr/function_registry.h"

namespace sluice::agg {

namespace {

class StdDev final : public AggregateBase {
 public:
  // `sample`: STDDEV_SAMPLE (BIGINT count, floating merge, square root of the variance).
  StdDev(TypePtr t, bool sample)
      : AggregateBase(1, SqlType::Double(),
                      StructOf({{"SUM", t},
                                {"COUNT", sample ? SqlType::Bigint() : SqlType::Integer()},
                                {"M2", SqlType::Double()}})),
        kind_(t->kind), sample_(sample) {}

  Value Initial() const override {
    Value zero = kind_ == TypeKind::kInteger ? Value(int32_t{0})
                 : kind_ == TypeKind::kBigint ? Value(int64_t{0})
                                              : Value(0.0);
    return Make(std::move(zero), 0, 0.0);
  }

  Value Aggregate(const Value* args, Value acc) const override {
    if (args[0].IsNull()) return acc;
    const auto& f = acc.AsStruct().fields;
    const int64_t new_count = CountOf(f[1]) + 1;
    double new_m2 = 0;
    if (new_count - 1 > 0) {
      const double delta = Delta(f, args[0]);
      new_m2 = delta * delta / CountProduct(new_count, new_count - 1);
    }
    return Make(AddSum(f[0], args[0], false), new_count, new_m2 + f[2].AsDouble());
  }

  bool SupportsUndo() const override { return true; }
  Value Undo(const Value* args, Value acc) const override {
    if (args[0].IsNull()) return acc;
    const auto& f = acc.AsStruct().fields;
    const int64_t new_count = CountOf(f[1]) - 1;
    double new_m2 = 0;
    if (new_count > 0) {
      const double delta = Delta(f, args[0]);
      new_m2 = delta * delta / CountProduct(new_count, new_count + 1);
    }
    return Make(AddSum(f[0], args[0], true), new_count, f[2].AsDouble() - new_m2);
  }

  Value Merge(const Value& a, const Value& b) const override {
    const auto &x = a.AsStruct().fields, &y = b.AsStruct().fields;
    const int64_t c1 = CountOf(x[1]), c2 = CountOf(y[1]);
    const int64_t new_count = Wrap(JAdd(c1, c2));
    double m2 = x[2].AsDouble() + y[2].AsDouble();
    if (c1 != 0 && c2 != 0) {
      const double inner = MergeInner(x, y);
      m2 += static_cast<double>(Wrap(JMul(c1, c2))) * inner * inner / static_cast<double>(new_count);
    }
    return Make(AddSum(x[0], y[0], false), new_count, m2);
  }

  Value Map(const Value& acc) const override {
    const auto& f = acc.AsStruct().fields;
    const int64_t count = CountOf(f[1]);
    if (count < 2) return Value(0.0);
    const double variance = f[2].AsDouble() / static_cast<double>(count - 1);
    return Value(sample_ ? std::sqrt(variance) : variance);
  }

 private:
  int64_t CountOf(const Value& v) const { return v.ToInt64(); }
  // STDDEV_SAMP keeps its count in a Java int.
  int64_t Wrap(int64_t v) const { return sample_ ? v : static_cast<int32_t>(static_cast<uint32_t>(v)); }
  double CountProduct(int64_t a, int64_t b) const {
    return static_cast<double>(sample_ ? JMul(a, b) : JMul(static_cast<int32_t>(a), static_cast<int32_t>(b)));
  }

  Value AddSum(const Value& sum, const Value& v, bool subtract) const {
    if (kind_ == TypeKind::kInteger) {
      const auto x = static_cast<int32_t>(v.ToInt64());
      return Value(subtract ? JSub(sum.AsInt(), x) : JAdd(sum.AsInt(), x));
    }
    if (kind_ == TypeKind::kBigint)
      return Value(subtract ? JSub(sum.AsBigint(), v.ToInt64()) : JAdd(sum.AsBigint(), v.ToInt64()));
    return Value(subtract ? sum.AsDouble() - v.ToDouble() : sum.AsDouble() + v.ToDouble());
  }

  // createDelta: v * (count + 1) - (sum + v), in the Java types of each variant.
  double Delta(const std::vector<Value>& f, const Value& v) const {
    const int64_t count = CountOf(f[1]);
    if (kind_ == TypeKind::kDouble) {
      const double x = v.ToDouble();
      return x * static_cast<double>(count + 1) - (f[0].AsDouble() + x);
    }
    if (kind_ == TypeKind::kInteger) {
      const auto x = static_cast<int32_t>(v.ToInt64());
      const int32_t sum_plus = JAdd(f[0].AsInt(), x);
      if (!sample_) return static_cast<double>(JSub(JMul(x, JAdd(static_cast<int32_t>(count), 1)), sum_plus));
      return static_cast<double>(JSub(JMul(int64_t{x}, count + 1), int64_t{sum_plus}));
    }
    const int64_t x = v.ToInt64();
    return static_cast<double>(JSub(JMul(x, count + 1), JAdd(f[0].AsBigint(), x)));
  }

  // The difference of the two means: integer division for STDDEV_SAMP over INT/BIGINT.
  double MergeInner(const std::vector<Value>& x, const std::vector<Value>& y) const {
    const int64_t c1 = CountOf(x[1]), c2 = CountOf(y[1]);
    if (kind_ == TypeKind::kDouble || sample_)
      return x[0].ToDouble() / static_cast<double>(c1) - y[0].ToDouble() / static_cast<double>(c2);
    if (kind_ == TypeKind::kInteger)
      return static_cast<double>(JSub(static_cast<int32_t>(JDiv(x[0].AsInt(), c1)),
                                      static_cast<int32_t>(JDiv(y[0].AsInt(), c2))));
    return static_cast<double>(JSub(JDiv(x[0].AsBigint(), c1), JDiv(y[0].AsBigint(), c2)));
  }

  Value Make(Value sum, int64_t count, double m2) const {
    Value c = sample_ ? Value(count) : Value(static_cast<int32_t>(count));
    return Value::Struct(IntermediateType(), {std::move(sum), std::move(c), Value(m2)});
  }

  TypeKind kind_;
  bool sample_;
};

class Correlation final : public AggregateBase {
 public:
  Correlation()
      : AggregateBase(2, SqlType::Double(),
                      StructOf({{"X_SUM", SqlType::Double()},
                                {"Y_SUM", SqlType::Double()},
                                {"X_SQUARED_SUM", SqlType::Double()},
                                {"Y_SQUARED_SUM", SqlType::Double()},
                                {"XY_SUM", SqlType::Double()},
                                {"COUNT", SqlType::Bigint()}})) {}

  Value Initial() const override { return Make({0, 0, 0, 0, 0}, 0); }

  Value Aggregate(const Value* args, Value acc) const override {
    if (args[0].IsNull() || args[1].IsNull()) return acc;
    return Step(acc, args[0].ToDouble(), args[1].ToDouble(), 1);
  }
  bool SupportsUndo() const override { return true; }
  Value Undo(const Value* args, Value acc) const override {
    if (args[0].IsNull() || args[1].IsNull()) return acc;
    return Step(acc, args[0].ToDouble(), args[1].ToDouble(), -1);
  }
  Value Merge(const Value& a, const Value& b) const override {
    const auto &x = a.AsStruct().fields, &y = b.AsStruct().fields;
    std::array<double, 5> s;
    for (size_t i = 0; i < 5; ++i) s[i] = x[i].AsDouble() + y[i].AsDouble();
    return Make(s, JAdd(x[5].AsBigint(), y[5].AsBigint()));
  }
  Value Map(const Value& acc) const override {
    const auto& f = acc.AsStruct().fields;
    const double sx = f[0].AsDouble(), sy = f[1].AsDouble(), sxx = f[2].AsDouble(),
                 syy = f[3].AsDouble(), sxy = f[4].AsDouble();
    const auto n = static_cast<double>(f[5].AsBigint());
    const double numerator = n * sxy - sx * sy;
    const double dx = n * sxx - sx * sx, dy = n * syy - sy * sy;
    return Value(numerator / std::sqrt(dx * dy));
  }

 private:
  Value Step(const Value& acc, double x, double y, int sign) const {
    const auto& f = acc.AsStruct().fields;
    const double terms[5] = {x, y, x * x, y * y, x * y};
    std::array<double, 5> s;
    for (size_t i = 0; i < 5; ++i) s[i] = sign > 0 ? f[i].AsDouble() + terms[i] : f[i].AsDouble() - terms[i];
    return Make(s, JAdd(f[5].AsBigint(), int64_t{sign}));
  }
  Value Make(const std::array<double, 5>& s, int64_t count) const {
    return Value::Struct(IntermediateType(), {Value(s[0]), Value(s[1]), Value(s[2]), Value(s[3]),
                                              Value(s[4]), Value(count)});
  }
};

Result<AggregateFunctionPtr> ResolveStdDev(const Call& call, bool sample) {
  if (call.size() != 1 ||
      !IsAnyKind(call.types[0], {TypeKind::kInteger, TypeKind::kBigint, TypeKind::kDouble}))
    return NoMatchingSignature(call);
  return AggregateFunctionPtr(std::make_shared<StdDev>(call.types[0], sample));
}

}  // namespace

Result<AggregateFunctionPtr> ResolveStddevSamp(const Call& call) { return ResolveStdDev(call, false); }
Result<AggregateFunctionPtr> ResolveStddevSample(const Call& call) { return ResolveStdDev(call, true); }

Result<AggregateFunctionPtr> ResolveCorrelation(const Call& call) {
  // DOUBLE parameters; INT, BIGINT and DECIMAL arguments widen to them.
  if (call.size() != 2 || !call.types[0] || !call.types[1] ||
      !fn::Accepts(TypeKind::kDouble, call.types[0]) || !fn::Accepts(TypeKind::kDouble, call.types[1]))
    return NoMatchingSignature(call);
  return AggregateFunctionPtr(std::make_shared<Correlation>());
}

}  // namespace sluice::agg
