// HISTOGRAM: ksqlDB's HistogramUdaf. STRING -> MAP<STRING, BIGINT> counting each distinct
// value; at most 1000 distinct values (later new values are ignored, known ones still
// count). Undo decrements and drops a value whose count reaches 0; merge adds the second
// session's counts under the same limit.
//
// NULL is counted like any value, under a NULL key, as ksqlDB's HashMap does. ksqlDB keeps
// the counts in a java.util.HashMap, so the result iterates in HashMap order; Map() orders
// the entries that way.
#include <algorithm>

#include "engine/expr/aggregates/aggregate_internal.h"
#include "engine/types/java_hash_order.h"

namespace sluice::agg {

namespace {

constexpr size_t kLimit = 1000;

// Index of `key` in the map, or -1.
long Find(const MapValue& m, const Value& key) {
  for (size_t i = 0; i < m.size(); ++i)
    if (m[i].first == key) return static_cast<long>(i);
  return -1;
}

// Adds `n` to key's count, within the limit of distinct keys.
void AddCount(MapValue& m, const Value& key, int64_t n) {
  const long i = Find(m, key);
  if (i >= 0) {
    m[static_cast<size_t>(i)].second = Value(JAdd(m[static_cast<size_t>(i)].second.AsBigint(), n));
  } else if (m.size() < kLimit) {
    m.emplace_back(key, Value(n));
  }
}

class Histogram final : public AggregateBase {
 public:
  Histogram()
      : AggregateBase(1, SqlType::Map(SqlType::String(), SqlType::Bigint()),
                      SqlType::Map(SqlType::String(), SqlType::Bigint())) {}
  Value Initial() const override { return Value::Map({}); }
  Value Aggregate(const Value* args, Value acc) const override {
    MapValue m = acc.AsMap();
    AddCount(m, args[0], 1);
    return Value::Map(std::move(m));
  }
  bool SupportsUndo() const override { return true; }
  Value Undo(const Value* args, Value acc) const override {
    const long i = Find(acc.AsMap(), args[0]);
    if (i < 0) return acc;  // never counted: it came beyond the limit
    MapValue m = acc.AsMap();
    const int64_t left = m[static_cast<size_t>(i)].second.AsBigint() - 1;
    if (left < 1) {
      m.erase(m.begin() + i);
    } else {
      m[static_cast<size_t>(i)].second = Value(left);
    }
    return Value::Map(std::move(m));
  }
  Value Merge(const Value& a, const Value& b) const override {
    MapValue m = a.AsMap();
    for (const auto& [k, v] : b.AsMap()) AddCount(m, k, v.AsBigint());
    return Value::Map(std::move(m));
  }
  Value Map(const Value& acc) const override {
    MapValue m = acc.AsMap();
    OrderLikeDefaultHashMap(&m);
    return Value::Map(std::move(m));
  }

 private:
  // A HashMap created with the default capacity (16) and grown by doubling past 3/4 load:
  // entries iterate by bucket of the spread String.hashCode, in insertion order within one.
  static void OrderLikeDefaultHashMap(MapValue* m) {
    size_t cap = 16;
    while (m->size() > cap * 3 / 4) cap *= 2;
    auto bucket = [cap](const Value& k) -> uint32_t {
      if (k.IsNull()) return 0;  // HashMap.hash(null)
      const auto h = static_cast<uint32_t>(JavaStringHash(k.AsString()));
      return (h ^ (h >> 16)) & (cap - 1);
    };
    std::stable_sort(m->begin(), m->end(),
                     [&](const auto& x, const auto& y) { return bucket(x.first) < bucket(y.first); });
  }
};

}  // namespace

Result<AggregateFunctionPtr> ResolveHistogram(const Call& call) {
  if (call.size() != 1 || !IsKind(call.types[0], TypeKind::kString)) return NoMatchingSignature(call);
  return AggregateFunctionPtr(std::make_shared<Histogram>());
}

}  // namespace sluice::agg
