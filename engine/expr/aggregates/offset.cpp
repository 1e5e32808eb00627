// EARLIEST_BY_OFFSET and LATEST_BY_OFFSET: ksqlDB's EarliestByOffset and LatestByOffset over
// any type, with the optional init arguments N (INTEGER) and ignoreNulls (BOOLEAN, default
// true): (col), (col, ignoreNulls), (col, N), (col, N, ignoreNulls).
//
// Each kept value is a STRUCT<SEQ BIGINT, VAL T> whose SEQ comes from a process-wide counter
// (one per function, as ksqlDB's static AtomicLong), so that merging two sessions can tell
// which value arrived first. A SEQ that wrapped negative counts as later than any
// non-negative one. Single forms return T, the N forms ARRAY<T> over
// ARRAY<STRUCT<SEQ, VAL>>. No undo (stream only).
//
//   EARLIEST: the accumulator starts NULL and keeps the first (non-NULL, if ignoring NULLs)
//             value; the N form keeps the first N.
//   LATEST:   the accumulator starts as {SEQ, NULL} and is replaced by each (non-NULL, if
//             ignoring NULLs) value; the N form keeps the last N.
//   Merge picks by SEQ (LATEST ignoring NULLs prefers a non-NULL value); the N forms sort
//   both lists by SEQ and keep the first N, LATEST included, as ksqlDB does.
#include <algorithm>
#include <atomic>

#include "engine/expr/aggregates/aggregate_internal.h"

namespace sluice::agg {

namespace {

std::atomic<int64_t> earliest_sequence{0};
std::atomic<int64_t> latest_sequence{0};

int64_t SeqOf(const Value& entry) { return entry.AsStruct().fields[0].AsBigint(); }
const Value& ValOf(const Value& entry) { return entry.AsStruct().fields[1]; }

// KudafByOffsetUtils.INTERMEDIATE_STRUCT_COMPARATOR.
int CompareSeq(const Value& a, const Value& b) {
  const int64_t x = SeqOf(a), y = SeqOf(b);
  if (x < 0 && y >= 0) return 1;
  if (y < 0 && x >= 0) return -1;
  return x < y ? -1 : (x > y ? 1 : 0);
}

// INTERMEDIATE_STRUCT_COMPARATOR_IGNORE_NULLS: a NULL value sorts before any other.
int CompareSeqIgnoringNulls(const Value& a, const Value& b) {
  const bool an = ValOf(a).IsNull(), bn = ValOf(b).IsNull();
  if (an && bn) return 0;
  if (an) return -1;
  if (bn) return 1;
  return CompareSeq(a, b);
}

struct OffsetOptions {
  bool latest = false;
  int n = 0;  // 0: the single-value form
  bool ignore_nulls = true;
};

class ByOffset final : public AggregateBase {
 public:
  ByOffset(TypePtr t, OffsetOptions o, TypePtr entry)
      : AggregateBase(1, o.n ? SqlType::Array(t) : t, o.n ? SqlType::Array(entry) : entry),
        entry_type_(std::move(entry)), o_(o) {}

  Value Initial() const override {
    if (o_.n) return Value::Array({});
    return o_.latest ? Entry(Value()) : Value();
  }

  Value Aggregate(const Value* args, Value acc) const override {
    const Value& v = args[0];
    if (v.IsNull() && o_.ignore_nulls) return acc;
    if (!o_.n) {
      if (!o_.latest && !acc.IsNull()) return acc;
      return Entry(v);
    }
    const ArrayValue& cur = acc.AsArray();
    if (!o_.latest && cur.size() >= static_cast<size_t>(o_.n)) return acc;
    ArrayValue out = cur;
    out.push_back(Entry(v));
    if (out.size() > static_cast<size_t>(o_.n)) out.erase(out.begin(), out.end() - o_.n);
    return Value::Array(std::move(out));
  }

  Value Merge(const Value& a, const Value& b) const override {
    if (o_.n) {
      ArrayValue merged = a.AsArray();
      merged.insert(merged.end(), b.AsArray().begin(), b.AsArray().end());
      std::stable_sort(merged.begin(), merged.end(),
                       [](const Value& x, const Value& y) { return CompareSeq(x, y) < 0; });
      if (merged.size() > static_cast<size_t>(o_.n)) merged.resize(static_cast<size_t>(o_.n));
      return Value::Array(std::move(merged));
    }
    if (o_.latest) {
      const int c = o_.ignore_nulls ? CompareSeqIgnoringNulls(a, b) : CompareSeq(a, b);
      return c >= 0 ? a : b;
    }
    if (a.IsNull()) return b;
    if (b.IsNull()) return a;
    return CompareSeq(a, b) < 0 ? a : b;
  }

  Value Map(const Value& acc) const override {
    if (!o_.n) return acc.IsNull() ? Value() : ValOf(acc);
    ArrayValue out;
    out.reserve(acc.AsArray().size());
    for (const Value& e : acc.AsArray()) out.push_back(ValOf(e));
    return Value::Array(std::move(out));
  }

 private:
  Value Entry(const Value& v) const {
    auto& counter = o_.latest ? latest_sequence : earliest_sequence;
    return Value::Struct(entry_type_, {Value(counter.fetch_add(1)), v});
  }
  TypePtr entry_type_;
  OffsetOptions o_;
};

Result<AggregateFunctionPtr> ResolveByOffset(const Call& call, bool latest) {
  if (call.size() < 1 || call.size() > 3 || !call.types[0]) return NoMatchingSignature(call);
  OffsetOptions o;
  o.latest = latest;
  size_t next = 1;
  if (call.size() == 3 || (call.size() == 2 && IsKind(call.types[1], TypeKind::kInteger))) {
    if (!IsKind(call.types[1], TypeKind::kInteger)) return NoMatchingSignature(call);
    if (!IsLiteralOf(call, 1, TypeKind::kInteger)) return InitArgError(call, 1);
    o.n = call.literals[1]->AsInt();
    if (o.n <= 0)
      return Status::InvalidArgument(std::string(latest ? "latestN" : "earliestN") +
                                     " must be 1 or greater");
    next = 2;
  }
  if (next < call.size()) {
    if (!IsKind(call.types[next], TypeKind::kBoolean)) return NoMatchingSignature(call);
    if (!IsLiteralOf(call, next, TypeKind::kBoolean))
      return InitArgError(call, next);
    o.ignore_nulls = call.literals[next]->AsBool();
  }
  TypePtr entry = StructOf({{"SEQ", SqlType::Bigint()}, {"VAL", call.types[0]}});
  return AggregateFunctionPtr(std::make_shared<ByOffset>(call.types[0], o, std::move(entry)));
}

}  // namespace

Result<AggregateFunctionPtr> ResolveEarliestByOffset(const Call& call) {
  return ResolveByOffset(call, false);
}
Result<AggregateFunctionPtr> ResolveLatestByOffset(const Call& call) {
  return ResolveByOffset(call, true);
}

}  // namespace sluice::agg
