// ATTR: ksqlDB's Attr. Returns the column's value when every contributing record agrees on
// it, NULL otherwise (NULL counts as a value). The accumulator counts each distinct value:
// ARRAY<STRUCT<VALUE T, COUNT INTEGER>> (a list, not a map, since NULL is a valid entry and
// formats only allow STRING map keys). Undo decrements, never below 0; the result is the
// one value whose count is positive, or NULL when there are none or several.
#include <algorithm>

#include "engine/expr/aggregates/aggregate_internal.h"

namespace sluice::agg {

namespace {

class Attr final : public AggregateBase {
 public:
  explicit Attr(TypePtr t)
      : AggregateBase(1, t, SqlType::Array(StructOf({{"VALUE", t}, {"COUNT", SqlType::Integer()}}))),
        entry_type_(IntermediateType()->element) {}

  Value Initial() const override { return Value::Array({}); }
  Value Aggregate(const Value* args, Value acc) const override { return Update(acc, args[0], 1); }
  bool SupportsUndo() const override { return true; }
  Value Undo(const Value* args, Value acc) const override { return Update(acc, args[0], -1); }
  Value Merge(const Value& a, const Value& b) const override {
    Value out = a;
    for (const Value& e : b.AsArray()) out = Update(out, e.AsStruct().fields[0], e.AsStruct().fields[1].AsInt());
    return out;
  }
  Value Map(const Value& acc) const override {
    const Value* only = nullptr;
    for (const Value& e : acc.AsArray()) {
      if (e.AsStruct().fields[1].AsInt() <= 0) continue;
      if (only) return Value();
      only = &e.AsStruct().fields[0];
    }
    return only ? *only : Value();
  }

 private:
  Value Update(const Value& acc, const Value& v, int32_t delta) const {
    ArrayValue out = acc.AsArray();
    bool found = false;
    for (Value& e : out) {
      const auto& f = e.AsStruct().fields;
      if (f[0] == v) {
        found = true;
        e = Entry(f[0], std::max(0, JAdd(f[1].AsInt(), delta)));
      }
    }
    if (!found && delta > 0) out.push_back(Entry(v, delta));
    return Value::Array(std::move(out));
  }
  Value Entry(const Value& v, int32_t count) const {
    return Value::Struct(entry_type_, {v, Value(count)});
  }
  TypePtr entry_type_;
};

}  // namespace

Result<AggregateFunctionPtr> ResolveAttr(const Call& call) {
  if (call.size() != 1 || !call.types[0]) return NoMatchingSignature(call);
  return AggregateFunctionPtr(std::make_shared<Attr>(call.types[0]));
}

}  // namespace sluice::agg
