#pragma once
// Internal to engine/expr/aggregates: what every aggregate family shares (the call being
// bound, the registry entry, a base class, Java-compatible comparisons and arithmetic).
// Each family file (count.cpp, sum_avg.cpp, ...) defines the resolvers the registry table in
// registry.cpp points at.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/expr/aggregate_function.h"

namespace sluice::agg {

struct AggregateSpec;

// One call being bound: the argument types (nullptr = untyped NULL literal), the literal
// values (nullopt for non-literals), the settings and the registry entry of the name.
struct Call {
  const AggregateSpec& spec;
  const std::vector<TypePtr>& types;
  const std::vector<std::optional<Value>>& literals;
  const AggregateConfig& config;
  const std::vector<std::string>& texts;  // the arguments' SQL text, when the caller gave it
  size_t size() const { return types.size(); }
};

using Resolver = Result<AggregateFunctionPtr> (*)(const Call&);

// A registry entry: one per aggregate function name (registry.cpp).
struct AggregateSpec {
  const char* name;          // upper case, as SQL resolves it
  const char* ksql_name;     // the name as ksqlDB spells it in its messages ('sum', 'TOPK')
  const char* description;   // for DESCRIBE FUNCTION, written for Sluice
  std::vector<std::string> signatures;  // "SUM(val INT) => INT", shown by DESCRIBE FUNCTION
  Resolver resolve;
};

// The fixed part of every implementation: argument count and the three types.
class AggregateBase : public AggregateFunction {
 public:
  AggregateBase(int column_args, TypePtr return_type, TypePtr intermediate_type)
      : column_args_(column_args), return_type_(std::move(return_type)),
        intermediate_type_(std::move(intermediate_type)) {}
  int ColumnArgCount() const override { return column_args_; }
  TypePtr ReturnType() const override { return return_type_; }
  TypePtr IntermediateType() const override { return intermediate_type_; }

 private:
  int column_args_;
  TypePtr return_type_;
  TypePtr intermediate_type_;
};

// ksqlDB's "Function 'sum' does not accept parameters (STRING).\nValid alternatives are:..."
Status NoMatchingSignature(const Call& call);
// An init argument (a trailing literal such as TOPK's k) given as an expression: "Parameter 2
// passed to function TOPK must be a literal constant, but was expression: 'X'".
Status InitArgError(const Call& call, size_t index);
// Whether argument `index` is a non-NULL literal of exactly `kind`.
bool IsLiteralOf(const Call& call, size_t index, TypeKind kind);

inline bool IsKind(const TypePtr& t, TypeKind k) { return t && t->kind == k; }
inline bool IsAnyKind(const TypePtr& t, std::initializer_list<TypeKind> kinds) {
  if (!t) return false;
  for (TypeKind k : kinds)
    if (t->kind == k) return true;
  return false;
}

// STRUCT type with the given (name, type) fields, in order.
TypePtr StructOf(std::vector<StructField> fields);

// Java's Comparable.compareTo for the values the UDAFs order (same kind on both sides):
// Double.compare (NaN largest, -0.0 < 0.0), String.compareTo (UTF-16 code units),
// ByteBuffer.compareTo (signed bytes); CompareValues for everything else.
int JavaCompare(const Value& a, const Value& b);

// Java's wrapping integer arithmetic (no UB on overflow).
inline int32_t JAdd(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) + static_cast<uint32_t>(b));
}
inline int32_t JSub(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) - static_cast<uint32_t>(b));
}
inline int32_t JMul(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) * static_cast<uint32_t>(b));
}
inline int64_t JAdd(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}
inline int64_t JSub(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
}
inline int64_t JMul(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
}
// Java's integer division (truncates; MIN / -1 wraps; the callers never divide by zero).
inline int64_t JDiv(int64_t a, int64_t b) { return (b == -1) ? JSub(int64_t{0}, a) : a / b; }

// Family resolvers (one per function name; see registry.cpp).
Result<AggregateFunctionPtr> ResolveCount(const Call& call);
Result<AggregateFunctionPtr> ResolveCountDistinct(const Call& call);
Result<AggregateFunctionPtr> ResolveSum(const Call& call);
Result<AggregateFunctionPtr> ResolveSumList(const Call& call);
Result<AggregateFunctionPtr> ResolveAvg(const Call& call);
Result<AggregateFunctionPtr> ResolveMin(const Call& call);
Result<AggregateFunctionPtr> ResolveMax(const Call& call);
Result<AggregateFunctionPtr> ResolveCollectList(const Call& call);
Result<AggregateFunctionPtr> ResolveCollectSet(const Call& call);
Result<AggregateFunctionPtr> ResolveTopK(const Call& call);
Result<AggregateFunctionPtr> ResolveTopKDistinct(const Call& call);
Result<AggregateFunctionPtr> ResolveHistogram(const Call& call);
Result<AggregateFunctionPtr> ResolveEarliestByOffset(const Call& call);
Result<AggregateFunctionPtr> ResolveLatestByOffset(const Call& call);
Result<AggregateFunctionPtr> ResolveStddevSamp(const Call& call);
Result<AggregateFunctionPtr> ResolveStddevSample(const Call& call);
Result<AggregateFunctionPtr> ResolveCorrelation(const Call& call);
Result<AggregateFunctionPtr> ResolveAttr(const Call& call);

}  // namespace sluice::agg
