// TOPK and TOPKDISTINCT: ksqlDB's TopkKudaf and TopkDistinctKudaf. `k` is a trailing INTEGER
// literal (an init argument); the accumulator is the result array itself, kept sorted in
// descending Java compareTo order (a stable sort: equal values keep their arrival order).
//
// TOPK(col, k) over INT, BIGINT, DOUBLE or STRING -> ARRAY<T>. TOPK(col, other..., k) keeps
// the other columns of the top records: ARRAY<STRUCT<sort_col T, col0 T0, col1 T1, ...>>.
// TOPKDISTINCT(col, k) over INT, BIGINT, DOUBLE, DECIMAL, STRING, DATE, TIME, TIMESTAMP and
// BYTES -> ARRAY<T> without repeats. Records whose col is NULL are ignored. Merge interleaves
// two sessions' arrays down to k entries. No undo (stream only).
#include <algorithm>

#include "engine/expr/aggregates/aggregate_internal.h"

namespace sluice::agg {

namespace {

class TopK final : public AggregateBase {
 public:
  TopK(int column_args, TypePtr element, int k, bool with_struct)
      : AggregateBase(column_args, SqlType::Array(element), SqlType::Array(element)),
        k_(static_cast<size_t>(k)), with_struct_(with_struct) {}

  Value Initial() const override { return Value::Array({}); }

  Value Aggregate(const Value* args, Value acc) const override {
    if (args[0].IsNull()) return acc;
    const ArrayValue& cur = acc.AsArray();
    if (cur.size() == k_ && !cur.empty() && JavaCompare(args[0], SortValue(cur.back())) <= 0)
      return acc;
    ArrayValue out = cur;
    Value entry = MakeEntry(args);
    if (out.size() == k_) {
      out.back() = std::move(entry);
    } else {
      out.push_back(std::move(entry));
    }
    std::stable_sort(out.begin(), out.end(), [this](const Value& a, const Value& b) {
      return JavaCompare(SortValue(a), SortValue(b)) > 0;
    });
    return Value::Array(std::move(out));
  }

  Value Merge(const Value& a, const Value& b) const override {
    const ArrayValue &x = a.AsArray(), &y = b.AsArray();
    ArrayValue out;
    size_t i = 0, j = 0;
    while (out.size() < k_ && (i < x.size() || j < y.size())) {
      if (i < x.size() && (j >= y.size() || JavaCompare(SortValue(x[i]), SortValue(y[j])) >= 0)) {
        out.push_back(x[i++]);
      } else {
        out.push_back(y[j++]);
      }
    }
    return Value::Array(std::move(out));
  }

  Value Map(const Value& acc) const override { return acc; }

 private:
  const Value& SortValue(const Value& entry) const {
    return with_struct_ ? entry.AsStruct().fields[0] : entry;
  }
  Value MakeEntry(const Value* args) const {
    if (!with_struct_) return args[0];
    std::vector<Value> fields(args, args + ColumnArgCount());
    return Value::Struct(ReturnType()->element, std::move(fields));
  }
  size_t k_;
  bool with_struct_;
};

class TopKDistinct final : public AggregateBase {
 public:
  TopKDistinct(TypePtr t, int k)
      : AggregateBase(1, SqlType::Array(t), SqlType::Array(t)), k_(static_cast<size_t>(k)) {}

  Value Initial() const override { return Value::Array({}); }

  Value Aggregate(const Value* args, Value acc) const override {
    const Value& v = args[0];
    if (v.IsNull()) return acc;
    const ArrayValue& cur = acc.AsArray();
    if (cur.size() == k_ && !cur.empty() && JavaCompare(v, cur.back()) <= 0) return acc;
    for (const Value& e : cur)
      if (e == v) return acc;
    ArrayValue out = cur;
    if (out.size() == k_) {
      out.back() = v;
    } else {
      out.push_back(v);
    }
    std::stable_sort(out.begin(), out.end(),
                     [](const Value& a, const Value& b) { return JavaCompare(a, b) > 0; });
    return Value::Array(std::move(out));
  }

  Value Merge(const Value& a, const Value& b) const override {
    const ArrayValue &x = a.AsArray(), &y = b.AsArray();
    ArrayValue out;
    size_t i = 0, j = 0;
    while (out.size() < k_ && (i < x.size() || j < y.size())) {
      if (j >= y.size()) {
        out.push_back(x[i++]);
      } else if (i >= x.size()) {
        out.push_back(y[j++]);
      } else {
        const int c = JavaCompare(x[i], y[j]);
        if (c > 0) {
          out.push_back(x[i++]);
        } else if (c < 0) {
          out.push_back(y[j++]);
        } else {
          out.push_back(x[i++]);
          ++j;
        }
      }
    }
    return Value::Array(std::move(out));
  }

  Value Map(const Value& acc) const override { return acc; }

 private:
  size_t k_;
};

// The trailing k: an INTEGER literal of at least 1.
Result<int> KArg(const Call& call) {
  const size_t last = call.size() - 1;
  if (!IsLiteralOf(call, last, TypeKind::kInteger)) return InitArgError(call, last);
  const int k = call.literals[last]->AsInt();
  if (k < 1)
    return Status::InvalidArgument(std::string(call.spec.name) +
                                   " requires k to be 1 or greater, but was " + std::to_string(k));
  return k;
}

}  // namespace

Result<AggregateFunctionPtr> ResolveTopK(const Call& call) {
  if (call.size() < 2 ||
      !IsAnyKind(call.types[0],
                 {TypeKind::kInteger, TypeKind::kBigint, TypeKind::kDouble, TypeKind::kString}) ||
      !IsKind(call.types.back(), TypeKind::kInteger))
    return NoMatchingSignature(call);
  for (size_t i = 1; i + 1 < call.size(); ++i)
    if (!call.types[i]) return NoMatchingSignature(call);  // an untyped NULL column
  auto k = KArg(call);
  if (!k.ok()) return k.status();
  const int columns = static_cast<int>(call.size()) - 1;
  if (columns == 1)
    return AggregateFunctionPtr(std::make_shared<TopK>(1, call.types[0], *k, false));
  std::vector<StructField> fields{{"sort_col", call.types[0]}};
  for (int i = 1; i < columns; ++i)
    fields.push_back({"col" + std::to_string(i - 1), call.types[static_cast<size_t>(i)]});
  return AggregateFunctionPtr(std::make_shared<TopK>(columns, StructOf(std::move(fields)), *k, true));
}

Result<AggregateFunctionPtr> ResolveTopKDistinct(const Call& call) {
  if (call.size() != 2 ||
      !IsAnyKind(call.types[0], {TypeKind::kInteger, TypeKind::kBigint, TypeKind::kDouble,
                                 TypeKind::kDecimal, TypeKind::kString, TypeKind::kDate,
                                 TypeKind::kTime, TypeKind::kTimestamp, TypeKind::kBytes}) ||
      !IsKind(call.types[1], TypeKind::kInteger))
    return NoMatchingSignature(call);
  auto k = KArg(call);
  if (!k.ok()) return k.status();
  return AggregateFunctionPtr(std::make_shared<TopKDistinct>(call.types[0], *k));
}

}  // namespace sluice::agg
