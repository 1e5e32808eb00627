// Building blocks every compile step shares: constant nodes and folding, implicit casts of a
// node, common types of several operands, and SQL equality of values.
#include <algorithm>

#include "engine/expr/cast.h"
#include "engine/expr/compiler/compiler_internal.h"

namespace sluice::expr_compiler {

Node ConstNode(Value v, TypePtr type) {
  Node n;
  n.type = std::move(type);
  n.is_const = true;
  n.constant = v;
  n.eval = [v = std::move(v)](EvalContext&) { return v; };
  return n;
}

Node MaybeFold(Node n, std::initializer_list<const Node*> children) {
  for (const Node* c : children)
    if (!c->is_const) return n;
  EvalContext ctx;
  Value v = n.eval(ctx);
  if (!ctx.error.empty()) return n;
  return ConstNode(std::move(v), n.type);
}
Node MaybeFold(Node n, const std::vector<Node>& children) {
  for (const Node& c : children)
    if (!c.is_const) return n;
  EvalContext ctx;
  Value v = n.eval(ctx);
  if (!ctx.error.empty()) return n;
  return ConstNode(std::move(v), n.type);
}

std::string TypeName(const TypePtr& t) { return t ? t->ToString() : "null"; }


Node CastTo(Node n, const TypePtr& to, bool numeric_ok) {
  if (!n.type || !to || TypeEquals(n.type, to)) {
    if (!n.type && to) n.type = to;
    return n;
  }
  if (numeric_ok && n.type->IsNumeric() && to->IsNumeric()) return n;
  TypePtr from = n.type;
  Node out;
  out.type = to;
  out.eval = [e = std::move(n.eval), from, to](EvalContext& ctx) -> Value {
    Value v = e(ctx);
    if (v.IsNull()) return v;
    std::string err;
    Value r = CastValue(v, *from, *to, &err);
    if (!err.empty()) ctx.ReportError(err);
    return r;
  };
  Node in_marker;
  in_marker.is_const = n.is_const;
  return MaybeFold(std::move(out), {&in_marker});
}

namespace {

// Merges struct types with different field sets (ARRAY[STRUCT(X:=1), STRUCT(Y:=2)]): the
// union of fields in first-seen order, common fields widened. nullptr if not all structs or
// a common field has no common type.
TypePtr MergeStructTypes(const std::vector<TypePtr>& types) {
  std::vector<StructField> fields;
  bool any = false;
  for (const auto& t : types) {
    if (!t) continue;
    if (t->kind != TypeKind::kStruct) return nullptr;
    any = true;
    for (const auto& f : t->fields) {
      auto it = std::find_if(fields.begin(), fields.end(),
                             [&](const StructField& g) { return g.name == f.name; });
      if (it == fields.end()) {
        fields.push_back(f);
      } else {
        TypePtr c = CommonSuperType({it->type, f.type});
        if (!c) c = MergeStructTypes({it->type, f.type});
        if (!c) return nullptr;
        it->type = c;
      }
    }
  }
  return any ? SqlType::Struct(std::move(fields)) : nullptr;
}

}  // namespace

TypePtr CommonType(const std::vector<TypePtr>& types) {
  TypePtr t = CommonSuperType(types);
  if (!t) t = MergeStructTypes(types);
  return t;
}

// Recursive on composites; see the header for what "equal" means per kind.
bool ValuesEqual(const Value& a, const Value& b) {
  if (a.IsNull() || b.IsNull()) return a.IsNull() && b.IsNull();
  if (a.IsArray() && b.IsArray()) {
    const ArrayValue &x = a.AsArray(), &y = b.AsArray();
    if (x.size() != y.size()) return false;
    for (size_t i = 0; i < x.size(); ++i)
      if (!ValuesEqual(x[i], y[i])) return false;
    return true;
  }
  if (a.IsMap() && b.IsMap()) {
    const MapValue &x = a.AsMap(), &y = b.AsMap();
    if (x.size() != y.size()) return false;
    for (const auto& [k, v] : x) {
      auto it = std::find_if(y.begin(), y.end(),
                             [&](const auto& kv) { return ValuesEqual(kv.first, k); });
      if (it == y.end() || !ValuesEqual(v, it->second)) return false;
    }
    return true;
  }
  if (a.IsStruct() && b.IsStruct()) {
    const StructValue &x = a.AsStruct(), &y = b.AsStruct();
    if (x.fields.size() != y.fields.size()) return false;
    for (size_t i = 0; i < x.fields.size(); ++i) {
      size_t j = i;
      if (x.type && y.type && i < x.type->fields.size() &&
          (i >= y.type->fields.size() || y.type->fields[i].name != x.type->fields[i].name)) {
        int k = y.type->FieldIndex(x.type->fields[i].name);
        if (k < 0) return false;
        j = static_cast<size_t>(k);
      }
      if (j >= y.fields.size() || !ValuesEqual(x.fields[i], y.fields[j])) return false;
    }
    return true;
  }
  return CompareValues(a, b) == 0;
}

}  // namespace sluice::expr_compiler
