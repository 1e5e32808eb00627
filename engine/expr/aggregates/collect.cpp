// COLLECT_LIST and COLLECT_SET: ksqlDB's CollectListUdaf and CollectSetUdaf, over any type.
// The accumulator is the ARRAY itself. NULL values are collected like any other (ksqlDB's
// aggregate() has no NULL test). Values beyond ksql.functions.collect_list.limit
// (collect_set.limit) are ignored; a negative limit means none. Session merge appends the
// second list up to the limit (COLLECT_SET: its values not already present).
// COLLECT_LIST undo removes the last occurrence of the value; COLLECT_SET has no undo
// (stream only).
#include <climits>

#include "engine/expr/aggregates/aggregate_internal.h"

namespace sluice::agg {

namespace {

size_t LimitOf(int configured) {
  return configured < 0 ? static_cast<size_t>(INT_MAX) : static_cast<size_t>(configured);
}

bool Contains(const ArrayValue& list, const Value& v) {
  for (const Value& e : list)
    if (e == v) return true;
  return false;
}

class CollectList final : public AggregateBase {
 public:
  CollectList(TypePtr t, int limit)
      : AggregateBase(1, SqlType::Array(t), SqlType::Array(t)), limit_(LimitOf(limit)) {}
  Value Initial() const override { return Value::Array({}); }
  Value Aggregate(const Value* args, Value acc) const override {
    if (acc.AsArray().size() >= limit_) return acc;
    ArrayValue list = acc.AsArray();
    list.push_back(args[0]);
    return Value::Array(std::move(list));
  }
  bool SupportsUndo() const override { return true; }
  Value Undo(const Value* args, Value acc) const override {
    const ArrayValue& list = acc.AsArray();
    for (size_t i = list.size(); i-- > 0;) {
      if (list[i] == args[0]) {
        ArrayValue out = list;
        out.erase(out.begin() + static_cast<std::ptrdiff_t>(i));
        return Value::Array(std::move(out));
      }
    }
    return acc;  // never added: it came after the limit
  }
  Value Merge(const Value& a, const Value& b) const override {
    ArrayValue out = a.AsArray();
    for (const Value& v : b.AsArray()) {
      if (out.size() >= limit_) break;
      out.push_back(v);
    }
    return Value::Array(std::move(out));
  }
  Value Map(const Value& acc) const override { return acc; }

 private:
  size_t limit_;
};

class CollectSet final : public AggregateBase {
 public:
  CollectSet(TypePtr t, int limit)
      : AggregateBase(1, SqlType::Array(t), SqlType::Array(t)), limit_(LimitOf(limit)) {}
  Value Initial() const override { return Value::Array({}); }
  Value Aggregate(const Value* args, Value acc) const override {
    if (acc.AsArray().size() >= limit_ || Contains(acc.AsArray(), args[0])) return acc;
    ArrayValue set = acc.AsArray();
    set.push_back(args[0]);
    return Value::Array(std::move(set));
  }
  Value Merge(const Value& a, const Value& b) const override {
    ArrayValue out = a.AsArray();
    for (const Value& v : b.AsArray()) {
      if (out.size() >= limit_) break;
      if (!Contains(out, v)) out.push_back(v);
    }
    return Value::Array(std::move(out));
  }
  Value Map(const Value& acc) const override { return acc; }

 private:
  size_t limit_;
};

}  // namespace

Result<AggregateFunctionPtr> ResolveCollectList(const Call& call) {
  if (call.size() != 1 || !call.types[0]) return NoMatchingSignature(call);
  return AggregateFunctionPtr(
      std::make_shared<CollectList>(call.types[0], call.config.collect_list_limit));
}

Result<AggregateFunctionPtr> ResolveCollectSet(const Call& call) {
  if (call.size() != 1 || !call.types[0]) return NoMatchingSignature(call);
  return AggregateFunctionPtr(
      std::make_shared<CollectSet>(call.types[0], call.config.collect_set_limit));
}

}  // namespace sluice::agg
