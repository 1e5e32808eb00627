// Leaves and access paths: literals, column and lambda-parameter references, STRUCT field
// dereference (->) and ARRAY/MAP subscripts ([ ]).
#include "engine/expr/cast.h"
#include "engine/expr/compiler/compiler_internal.h"

namespace sluice::expr_compiler {

namespace {

// The precision ksqlDB gives a decimal literal (DecimalUtil.fromValue): values in (-1, 1)
// get scale + 1, others the number of digits.
TypePtr DecimalLiteralType(const Decimal& d) {
  __int128 u = d.unscaled < 0 ? -d.unscaled : d.unscaled;
  __int128 one = 1;
  for (int i = 0; i < d.scale; ++i) one *= 10;
  int precision = u < one ? d.scale + 1 : d.Precision();
  if (precision < d.scale) precision = d.scale;
  if (precision > 38) precision = 38;
  return SqlType::Decimal(precision < 1 ? 1 : precision, d.scale);
}

}  // namespace

Result<Node> Compiler::Literal(const LiteralExpr& e) {
  switch (e.literal_kind) {
    case LiteralExpr::Kind::kNull: return ConstNode(Value(), nullptr);
    case LiteralExpr::Kind::kBoolean: return ConstNode(e.value, SqlType::Boolean());
    case LiteralExpr::Kind::kInteger: return ConstNode(e.value, SqlType::Integer());
    case LiteralExpr::Kind::kBigint: return ConstNode(e.value, SqlType::Bigint());
    case LiteralExpr::Kind::kDouble: return ConstNode(e.value, SqlType::Double());
    case LiteralExpr::Kind::kString: return ConstNode(e.value, SqlType::String());
    case LiteralExpr::Kind::kDecimal: {
      if (!e.value.IsDecimal()) return ConstNode(e.value, SqlType::Double());
      return ConstNode(e.value, DecimalLiteralType(e.value.AsDecimal()));
    }
  }
  return Status::TypeError("Unsupported literal: " + e.text);
}

Result<Node> Compiler::ColumnRef(const ColumnRefExpr& e) {
  if (e.qualifier.empty()) {
    for (auto it = frames_.rbegin(); it != frames_.rend(); ++it) {
      if (it->name != e.name) continue;
      Node n;
      n.type = it->type;
      size_t slot = static_cast<size_t>(it->slot);
      n.eval = [slot](EvalContext& ctx) -> Value {
        return slot < ctx.lambda_values.size() ? ctx.lambda_values[slot] : Value();
      };
      return n;
    }
  }
  auto b = scope_.Resolve(e.qualifier, e.name);
  if (!b.ok()) return b.status();
  Node n;
  n.type = b->type;
  size_t idx = static_cast<size_t>(b->index);
  n.eval = [idx](EvalContext& ctx) -> Value {
    const Row* row = ctx.row;
    return row && idx < row->size() ? (*row)[idx] : Value();
  };
  return n;
}

Result<Node> Compiler::Dereference(const DereferenceExpr& e) {
  SLUICE_ASSIGN(base, Compile(*e.base));
  if (!IsKind(base.type, TypeKind::kStruct))
    return Status::TypeError("Can't dereference " + FormatExpression(*e.base) +
                             ": expected a STRUCT but the type is " + TypeName(base.type) + ".");
  int idx = base.type->FieldIndex(e.field);
  if (idx < 0)
    return Status::TypeError("Could not find field '" + e.field + "' in '" +
                             FormatExpression(*e.base) + "'.");
  Node n;
  n.type = base.type->fields[idx].type;
  size_t i = static_cast<size_t>(idx);
  TypePtr st = base.type;
  n.eval = [b = std::move(base.eval), i, st](EvalContext& ctx) -> Value {
    Value v = b(ctx);
    if (!v.IsStruct()) return Value();
    const StructValue& s = v.AsStruct();
    if (i < s.fields.size() &&
        (!s.type || s.type.get() == st.get() ||
         (i < s.type->fields.size() && s.type->fields[i].name == st->fields[i].name)))
      return s.fields[i];
    // A struct value whose type differs from the declared one (defensive): look up by name.
    int j = s.type->FieldIndex(st->fields[i].name);
    return j >= 0 && static_cast<size_t>(j) < s.fields.size() ? s.fields[j] : Value();
  };
  Node marker;
  marker.is_const = base.is_const;
  return MaybeFold(std::move(n), {&marker});
}

Result<Node> Compiler::Subscript(const SubscriptExpr& e) {
  SLUICE_ASSIGN(base, Compile(*e.base));
  SLUICE_ASSIGN(index, Compile(*e.index));
  if (IsKind(base.type, TypeKind::kArray))
    return ArraySubscript(e, std::move(base), std::move(index));
  if (IsKind(base.type, TypeKind::kMap)) return MapSubscript(e, std::move(base), std::move(index));
  return Status::TypeError("Subscript expression can only be used on an ARRAY or a MAP, but " +
                           FormatExpression(*e.base) + " is of type " + TypeName(base.type) +
                           ".");
}

// ARRAY[i]: 1-based, negative indexes count from the end, out of range is NULL.
Result<Node> Compiler::ArraySubscript(const SubscriptExpr& e, Node base, Node index) {
  if (index.type && index.type->kind != TypeKind::kInteger &&
      index.type->kind != TypeKind::kBigint)
    return Status::TypeError("Array index must be an INTEGER or BIGINT, but was " +
                             index.type->ToString() + ": " + FormatExpression(*e.index));
  const bool fold = base.is_const && index.is_const;
  Node n;
  n.type = base.type->element;
  n.eval = [b = std::move(base.eval), x = std::move(index.eval)](EvalContext& ctx) -> Value {
    Value a = b(ctx);
    if (!a.IsArray()) return Value();
    Value iv = x(ctx);
    if (iv.IsNull()) return Value();
    int64_t i = iv.ToInt64();
    const ArrayValue& arr = a.AsArray();
    int64_t size = static_cast<int64_t>(arr.size());
    int64_t pos = i > 0 ? i - 1 : (i < 0 ? size + i : -1);
    if (pos < 0 || pos >= size) return Value();
    return arr[static_cast<size_t>(pos)];
  };
  if (fold) {
    Node c;
    c.is_const = true;
    return MaybeFold(std::move(n), {&c});
  }
  return n;
}

// MAP[key]: the key converted to the map's key type where ksqlDB allows (implicit widening,
// or a constant literal it can coerce or parse); a missing key is NULL.
Result<Node> Compiler::MapSubscript(const SubscriptExpr& e, Node base, Node index) {
  const bool fold = base.is_const && index.is_const;
  TypePtr key_type = base.type->key;
  if (index.type && !TypeEquals(index.type, key_type)) {
    if (CanImplicitlyCast(*index.type, *key_type) ||
        (index.is_const && CanCoerceLiteral(*index.type, *key_type)) ||
        (index.is_const && index.type->kind == TypeKind::kString &&
         CanCast(*index.type, *key_type))) {
      index = CastTo(std::move(index), key_type);
    } else {
      return Status::TypeError("Map key of type " + index.type->ToString() +
                               " does not match the map's key type " + key_type->ToString() +
                               ": " + FormatExpression(*e.index));
    }
  }
  Node n;
  n.type = base.type->value;
  n.eval = [b = std::move(base.eval), x = std::move(index.eval)](EvalContext& ctx) -> Value {
    Value m = b(ctx);
    if (!m.IsMap()) return Value();
    Value k = x(ctx);
    if (k.IsNull()) return Value();
    for (const auto& kv : m.AsMap())
      if (kv.first == k) return kv.second;
    return Value();
  };
  if (fold) {
    Node c;
    c.is_const = true;
    return MaybeFold(std::move(n), {&c});
  }
  return n;
}

}  // namespace sluice::expr_compiler
