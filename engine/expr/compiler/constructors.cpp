// ARRAY[...], MAP(...) and STRUCT(...) constructors: element types resolved and coerced as
// ksqlDB does, then one closure building the value.
#include <algorithm>
#include <utility>

#include "engine/expr/compiler/compiler_internal.h"

namespace sluice::expr_compiler {

namespace {

bool AllNull(const std::vector<TypePtr>& types) {
  for (const auto& t : types)
    if (t) return false;
  return true;
}

// "T1, T2, ..." for the mismatching-types errors.
std::string TypeList(const std::vector<TypePtr>& types) {
  std::string s;
  for (const auto& t : types) {
    if (!s.empty()) s += ", ";
    s += TypeName(t);
  }
  return s;
}

}  // namespace

Result<Node> Compiler::ArrayCtor(const ArrayConstructorExpr& e) {
  if (e.items.empty())
    return Status::TypeError(
        "Array constructor cannot be empty. Please supply at least one element "
        "(see https://github.com/confluentinc/ksql/issues/4239).");
  std::vector<Node> items;
  std::vector<TypePtr> types;
  for (const auto& it : e.items) {
    SLUICE_ASSIGN(x, Compile(*it));
    types.push_back(x.type);
    items.push_back(std::move(x));
  }
  if (AllNull(types))
    return Status::TypeError(
        "Cannot construct an array with all NULL elements "
        "(see https://github.com/confluentinc/ksql/issues/4239). As a workaround, you may "
        "cast a NULL value to the desired type.");
  SLUICE_ASSIGN(elem, ArrayElementType(e, types));
  std::vector<Evaluator> evals;
  for (size_t i = 0; i < items.size(); ++i) {
    SLUICE_ASSIGN(x, UserListConvert(*e.items[i], std::move(items[i]), elem));
    items[i] = std::move(x);
    evals.push_back(items[i].eval);
  }
  Node n;
  n.type = SqlType::Array(elem);
  n.eval = [evals = std::move(evals)](EvalContext& ctx) -> Value {
    ArrayValue out;
    out.reserve(evals.size());
    for (const auto& ev : evals) out.push_back(ev(ctx));
    return Value::Array(std::move(out));
  };
  return MaybeFold(std::move(n), items);
}

// Elements of a common super type (structs merged, first fields first) take it; otherwise
// they coerce, in order, to their common type as a user list (ksqlDB's CoercionUtil):
// ARRAY[10, '2e1', bigint_col] is an ARRAY<DECIMAL(19, 0)>.
Result<TypePtr> Compiler::ArrayElementType(const ArrayConstructorExpr& e,
                                           const std::vector<TypePtr>& types) {
  TypePtr elem = CommonType(types);
  if (elem) return elem;
  for (size_t i = 0; i < e.items.size(); ++i) {
    coercion_failed_ = false;
    auto t = UserListCommonType(*e.items[i], types[i], elem);
    if (!t.ok()) {
      if (!coercion_failed_) return t.status();
      return Status::TypeError("Cannot construct an array with mismatching types ([" +
                               TypeList(types) + "]) from expression " + FormatExpression(e) +
                               ".");
    }
    elem = t.value();
  }
  return elem;
}

Result<Node> Compiler::MapCtor(const MapConstructorExpr& e) {
  if (e.entries.empty())
    return Status::TypeError(
        "Map constructor cannot be empty. Please supply at least one key value pair "
        "(see https://github.com/confluentinc/ksql/issues/4239).");
  std::vector<Node> keys, values;
  std::vector<TypePtr> ktypes, vtypes;
  for (const auto& [k, v] : e.entries) {
    SLUICE_ASSIGN(kn, Compile(*k));
    SLUICE_ASSIGN(vn, Compile(*v));
    ktypes.push_back(kn.type);
    vtypes.push_back(vn.type);
    keys.push_back(std::move(kn));
    values.push_back(std::move(vn));
  }
  if (AllNull(ktypes)) return Status::TypeError("Cannot construct a map with all NULL keys");
  if (AllNull(vtypes))
    return Status::TypeError(
        "Cannot construct a map with all NULL values "
        "(see https://github.com/confluentinc/ksql/issues/4239). As a workaround, you may "
        "cast a NULL value to the desired type.");
  SLUICE_ASSIGN(kt, MapSideType(e, true, ktypes));
  SLUICE_ASSIGN(vt, MapSideType(e, false, vtypes));
  std::vector<std::pair<Evaluator, Evaluator>> evals;
  std::vector<Node> all;
  for (size_t i = 0; i < keys.size(); ++i) {
    SLUICE_ASSIGN(k, UserListConvert(*e.entries[i].first, std::move(keys[i]), kt));
    SLUICE_ASSIGN(v, UserListConvert(*e.entries[i].second, std::move(values[i]), vt));
    evals.emplace_back(k.eval, v.eval);
    all.push_back(std::move(k));
    all.push_back(std::move(v));
  }
  Node n;
  n.type = SqlType::Map(kt, vt);
  n.eval = [evals = std::move(evals)](EvalContext& ctx) -> Value {
    MapValue out;
    out.reserve(evals.size());
    for (const auto& [ke, ve] : evals) {
      Value k = ke(ctx);
      Value v = ve(ctx);
      auto it = std::find_if(out.begin(), out.end(), [&](const auto& kv) { return kv.first == k; });
      if (it != out.end()) it->second = std::move(v);  // later entries win, as in Java's map
      else out.emplace_back(std::move(k), std::move(v));
    }
    return Value::Map(std::move(out));
  };
  return MaybeFold(std::move(n), all);
}

// Keys and values each coerce to a common type as a user list (ksqlDB's CoercionUtil):
// MAP(k:=v1, 10:='no') has STRING keys ("10") and BOOLEAN values.
Result<TypePtr> Compiler::MapSideType(const MapConstructorExpr& e, bool key_side,
                                      const std::vector<TypePtr>& types) {
  TypePtr common;
  for (size_t i = 0; i < e.entries.size(); ++i) {
    const Expression& x = key_side ? *e.entries[i].first : *e.entries[i].second;
    coercion_failed_ = false;
    auto t = UserListCommonType(x, types[i], common);
    if (!t.ok()) {
      if (!coercion_failed_) return t.status();
      return Status::TypeError(std::string("Cannot construct a map with mismatching ") +
                               (key_side ? "key" : "value") + " types ([" + TypeList(types) +
                               "]) from expression " + FormatExpression(e) + ".");
    }
    common = t.value();
  }
  return common;
}

Result<Node> Compiler::StructCtor(const StructConstructorExpr& e) {
  std::vector<StructField> fields;
  std::vector<Node> nodes;
  std::vector<Evaluator> evals;
  for (const auto& [name, fe] : e.fields) {
    SLUICE_ASSIGN(x, Compile(*fe));
    for (const auto& f : fields)
      if (f.name == name)
        return Status::TypeError("Duplicate field names found in STRUCT: '" + name + "'");
    // A bare NULL field has no type of its own: STRING, as ksqlDB's default for untyped NULL.
    TypePtr t = x.type ? x.type : SqlType::String();
    fields.push_back(StructField{name, t});
    evals.push_back(x.eval);
    nodes.push_back(std::move(x));
  }
  Node n;
  n.type = SqlType::Struct(std::move(fields));
  TypePtr st = n.type;
  n.eval = [evals = std::move(evals), st](EvalContext& ctx) -> Value {
    std::vector<Value> vals;
    vals.reserve(evals.size());
    for (const auto& ev : evals) vals.push_back(ev(ctx));
    return Value::Struct(st, std::move(vals));
  };
  return MaybeFold(std::move(n), nodes);
}

}  // namespace sluice::expr_compiler
