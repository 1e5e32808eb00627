// The expression compiler: AST -> tree of closures with every type decided up front.
//
// Each AST node compiles to a Node: an Evaluator (closure capturing its children's evaluators
// and pre-resolved state), its SQL type, and, when the subtree is made of literals only and
// evaluates without error, its constant value (constant folding: the evaluator then just
// returns the captured Value).
//
// Per-evaluation scratch that cannot live in the closures (they may run on several threads):
//   - function argument vectors: a thread_local pool used as a stack (nested calls and lambda
//     bodies take deeper entries);
//   - the current EvalContext for compiled lambdas (LambdaFn has no context parameter): a
//     thread_local pointer set around each function implementation call.
#include "engine/expr/expression_compiler.h"

#include <algorithm>
#include <deque>
#include <optional>
#include <unordered_map>
#include <utility>

#include "engine/expr/arithmetic.h"
#include "engine/expr/cast.h"
#include "engine/expr/like_matcher.h"
#include "engine/types/java_double.h"

namespace sluice {
namespace {

// ---- thread-local scratch -------------------------------------------------------------------

thread_local std::deque<std::vector<Value>> tls_arg_pool;
thread_local size_t tls_arg_depth = 0;
thread_local EvalContext* tls_ctx = nullptr;

// Borrows an argument vector of size n for the duration of one call.
class ArgFrame {
 public:
  explicit ArgFrame(size_t n) {
    if (tls_arg_depth == tls_arg_pool.size()) tls_arg_pool.emplace_back();
    args_ = &tls_arg_pool[tls_arg_depth++];
    args_->resize(n);
  }
  ~ArgFrame() { --tls_arg_depth; }
  ArgFrame(const ArgFrame&) = delete;
  ArgFrame& operator=(const ArgFrame&) = delete;
  std::vector<Value>& args() { return *args_; }

 private:
  std::vector<Value>* args_;
};

class CtxScope {
 public:
  explicit CtxScope(EvalContext* ctx) : saved_(tls_ctx) { tls_ctx = ctx; }
  ~CtxScope() { tls_ctx = saved_; }
  CtxScope(const CtxScope&) = delete;
  CtxScope& operator=(const CtxScope&) = delete;

 private:
  EvalContext* saved_;
};

// ---- helpers ----------------------------------------------------------------------------------

struct Node {
  Evaluator eval;
  TypePtr type;
  bool is_const = false;
  Value constant;
};

Node ConstNode(Value v, TypePtr type) {
  Node n;
  n.type = std::move(type);
  n.is_const = true;
  n.constant = v;
  n.eval = [v = std::move(v)](EvalContext&) { return v; };
  return n;
}

// Folds `n` to a constant if every child was constant and it evaluates without error.
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

bool IsKind(const TypePtr& t, TypeKind k) { return t && t->kind == k; }

// Wraps a node so its values are converted to `to` (no-op when already of that type, or for
// numeric pairs when `numeric_ok`, since CompareValues compares across numeric kinds).
Node CastTo(Node n, const TypePtr& to, bool numeric_ok = false) {
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

ArithOp ToArithOp(ArithmeticOp op) {
  switch (op) {
    case ArithmeticOp::kAdd: return ArithOp::kAdd;
    case ArithmeticOp::kSubtract: return ArithOp::kSubtract;
    case ArithmeticOp::kMultiply: return ArithOp::kMultiply;
    case ArithmeticOp::kDivide: return ArithOp::kDivide;
    case ArithmeticOp::kModulus: return ArithOp::kModulus;
  }
  return ArithOp::kAdd;
}

CompareOp ToCompareOp(ComparisonOp op) {
  switch (op) {
    case ComparisonOp::kEq: return CompareOp::kEq;
    case ComparisonOp::kNeq: return CompareOp::kNe;
    case ComparisonOp::kLt: return CompareOp::kLt;
    case ComparisonOp::kLte: return CompareOp::kLe;
    case ComparisonOp::kGt: return CompareOp::kGt;
    case ComparisonOp::kGte: return CompareOp::kGe;
  }
  return CompareOp::kEq;
}

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

TypePtr PrimitiveType(TypeKind k) {
  switch (k) {
    case TypeKind::kBoolean: return SqlType::Boolean();
    case TypeKind::kInteger: return SqlType::Integer();
    case TypeKind::kBigint: return SqlType::Bigint();
    case TypeKind::kDouble: return SqlType::Double();
    case TypeKind::kString: return SqlType::String();
    case TypeKind::kBytes: return SqlType::Bytes();
    case TypeKind::kDate: return SqlType::Date();
    case TypeKind::kTime: return SqlType::Time();
    case TypeKind::kTimestamp: return SqlType::Timestamp();
    default: return nullptr;
  }
}

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

// SQL equality of two values of comparable types (after coercion), as ksqlDB evaluates `=`, IS
// [NOT] DISTINCT FROM, IN and simple CASE: numbers by value across kinds, ARRAY element-wise,
// MAP by key lookup (entry order does not matter), STRUCT field by field name. NULLs nested
// inside composites equal each other; top-level NULL handling is the caller's.
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

TypePtr CommonType(const std::vector<TypePtr>& types) {
  TypePtr t = CommonSuperType(types);
  if (!t) t = MergeStructTypes(types);
  return t;
}

// ---- lambda frames and the compiler ----------------------------------------------------------

struct LambdaParam {
  std::string name;
  int slot;
  TypePtr type;
};

struct BoundCall {
  const FunctionOverload* overload = nullptr;
  std::vector<Evaluator> args;  // empty Evaluator at lambda positions
  std::vector<bool> is_lambda;
  std::vector<TypePtr> arg_types;
  TypePtr return_type;
  std::vector<LambdaFn> lambdas;
  CallContext cc;  // points into this object: keep BoundCall behind a shared_ptr
  bool null_short = false;
  bool all_const = true;
};

class Compiler {
 public:
  Compiler(const FunctionRegistry& registry, const CustomTypeLookup& custom_types,
           const ColumnScope& scope)
      : registry_(registry), custom_types_(custom_types), scope_(scope) {}

  Result<Node> Compile(const Expression& e);
  Result<std::shared_ptr<BoundCall>> Bind(const FunctionCallExpr& call, bool table);
  int slots() const { return next_slot_; }
  // The table function call `call` (a node of the compiled expression) reads row[index].
  void SetTableFunctionSlot(const FunctionCallExpr* call, int index, TypePtr type) {
    tf_call_ = call;
    tf_index_ = index;
    tf_type_ = std::move(type);
  }

 private:
  Result<Node> Literal(const LiteralExpr& e);
  Result<Node> ColumnRef(const ColumnRefExpr& e);
  Result<Node> Dereference(const DereferenceExpr& e);
  Result<Node> Subscript(const SubscriptExpr& e);
  Result<Node> FunctionCall(const FunctionCallExpr& e);
  Result<Node> ArithUnary(const ArithmeticUnaryExpr& e);
  Result<Node> ArithBinary(const ArithmeticBinaryExpr& e);
  Result<Node> Comparison(const ComparisonExpr& e);
  Result<Node> Logical(const LogicalBinaryExpr& e);
  Result<Node> Not(const NotExpr& e);
  Result<Node> IsNull(const IsNullExpr& e);
  Result<Node> IsDistinct(const IsDistinctFromExpr& e);
  Result<Node> Between(const BetweenExpr& e);
  Result<Node> InList(const InListExpr& e);
  Result<Node> Like(const LikeExpr& e);
  Result<Node> SearchedCase(const SearchedCaseExpr& e);
  Result<Node> SimpleCase(const SimpleCaseExpr& e);
  Result<Node> Cast(const CastExpr& e);
  Result<Node> ArrayCtor(const ArrayConstructorExpr& e);
  Result<Node> MapCtor(const MapConstructorExpr& e);
  Result<Node> StructCtor(const StructConstructorExpr& e);

  // Compiles both operands of a comparison, casts them to the common type.
  Status ComparePair(const Expression& l, const Expression& r, CompareOp op, Node* ln, Node* rn);
  // IN lists (ksqlDB's CoercionUtil.coerceUserList): the common type of `target` (the type so
  // far) and `e`, of type `etype`. Literals coerce leniently (STRING literals parse as numbers
  // or booleans, other literals render as STRING); constructors resolve element-wise.
  Result<TypePtr> UserListCommonType(const Expression& e, const TypePtr& etype,
                                     const TypePtr& target);
  Result<TypePtr> UserListStructuredType(const TypePtr& target,
                                         const std::vector<const Expression*>& exprs);
  // `e` (of type `etype`) converted to `common`: literals at compile time, others by CAST.
  Result<Node> UserListConvert(const Expression& e, Node n, const TypePtr& common);
  bool coercion_failed_ = false;  // set by UserListCommonType's "operator does not exist"
  Result<Node> CaseResults(std::vector<Node>* results, Node* else_node);

  const FunctionRegistry& registry_;
  const CustomTypeLookup& custom_types_;
  const ColumnScope& scope_;
  std::vector<LambdaParam> frames_;  // innermost last
  int next_slot_ = 0;
  const FunctionCallExpr* tf_call_ = nullptr;
  int tf_index_ = -1;
  TypePtr tf_type_;
};

#define SLUICE_ASSIGN(lhs, expr)                 \
  auto lhs##_r = (expr);                         \
  if (!lhs##_r.ok()) return lhs##_r.status();    \
  auto lhs = std::move(lhs##_r.value())

Result<Node> Compiler::Compile(const Expression& e) {
  switch (e.kind) {
    case ExprKind::kLiteral: return Literal(static_cast<const LiteralExpr&>(e));
    case ExprKind::kColumnRef: return ColumnRef(static_cast<const ColumnRefExpr&>(e));
    case ExprKind::kDereference: return Dereference(static_cast<const DereferenceExpr&>(e));
    case ExprKind::kSubscript: return Subscript(static_cast<const SubscriptExpr&>(e));
    case ExprKind::kFunctionCall: return FunctionCall(static_cast<const FunctionCallExpr&>(e));
    case ExprKind::kLambda:
      return Status::TypeError("Lambda expressions can only be used as function arguments: " +
                               FormatExpression(e));
    case ExprKind::kArithmeticUnary: return ArithUnary(static_cast<const ArithmeticUnaryExpr&>(e));
    case ExprKind::kArithmeticBinary:
      return ArithBinary(static_cast<const ArithmeticBinaryExpr&>(e));
    case ExprKind::kComparison: return Comparison(static_cast<const ComparisonExpr&>(e));
    case ExprKind::kLogicalBinary: return Logical(static_cast<const LogicalBinaryExpr&>(e));
    case ExprKind::kNot: return Not(static_cast<const NotExpr&>(e));
    case ExprKind::kIsNull: return IsNull(static_cast<const IsNullExpr&>(e));
    case ExprKind::kIsDistinctFrom: return IsDistinct(static_cast<const IsDistinctFromExpr&>(e));
    case ExprKind::kBetween: return Between(static_cast<const BetweenExpr&>(e));
    case ExprKind::kInList: return InList(static_cast<const InListExpr&>(e));
    case ExprKind::kLike: return Like(static_cast<const LikeExpr&>(e));
    case ExprKind::kSearchedCase: return SearchedCase(static_cast<const SearchedCaseExpr&>(e));
    case ExprKind::kSimpleCase: return SimpleCase(static_cast<const SimpleCaseExpr&>(e));
    case ExprKind::kCast: return Cast(static_cast<const CastExpr&>(e));
    case ExprKind::kArrayConstructor: return ArrayCtor(static_cast<const ArrayConstructorExpr&>(e));
    case ExprKind::kMapConstructor: return MapCtor(static_cast<const MapConstructorExpr&>(e));
    case ExprKind::kStructConstructor:
      return StructCtor(static_cast<const StructConstructorExpr&>(e));
  }
  return Status::NotSupported("Unsupported expression: " + FormatExpression(e));
}

// ---- literals, columns, access ---------------------------------------------------------------

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
  const bool fold = base.is_const && index.is_const;
  if (IsKind(base.type, TypeKind::kArray)) {
    if (index.type && index.type->kind != TypeKind::kInteger &&
        index.type->kind != TypeKind::kBigint)
      return Status::TypeError("Array index must be an INTEGER or BIGINT, but was " +
                               index.type->ToString() + ": " + FormatExpression(*e.index));
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
  if (IsKind(base.type, TypeKind::kMap)) {
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
  return Status::TypeError("Subscript expression can only be used on an ARRAY or a MAP, but " +
                           FormatExpression(*e.base) + " is of type " + TypeName(base.type) +
                           ".");
}

// ---- function calls ---------------------------------------------------------------------------

Result<std::shared_ptr<BoundCall>> Compiler::Bind(const FunctionCallExpr& call, bool table) {
  const FunctionInfo* info = registry_.Find(call.name);
  if (!info) return Status::NotFound("Can't find any functions with the name '" + call.name + "'");
  if (info->is_table_function != table) {
    if (table) return Status::TypeError(call.name + " is not a table function");
    return Status::TypeError("Table function " + call.name +
                             " can only be used in the SELECT list");
  }
  const size_t n = call.args.size();
  // Non-lambda arguments first.
  std::vector<std::optional<Node>> args(n);
  std::vector<TypePtr> base_types(n);
  bool any_lambda = false;
  for (size_t i = 0; i < n; ++i) {
    if (call.args[i]->kind == ExprKind::kLambda) {
      any_lambda = true;
      continue;
    }
    auto r = Compile(*call.args[i]);
    if (!r.ok()) return r.status();
    base_types[i] = r->type;
    args[i] = std::move(r.value());
  }
  std::optional<Status> lambda_error;
  for (const FunctionOverload& ov : info->overloads) {
    if (static_cast<int>(n) < ov.min_args || (ov.max_args >= 0 && static_cast<int>(n) > ov.max_args))
      continue;
    if (table ? !ov.table_impl : !ov.impl) continue;
    // Lambda positions must match exactly.
    bool shape_ok = true;
    for (size_t i = 0; i < n && shape_ok; ++i) {
      bool wants = std::find(ov.lambda_args.begin(), ov.lambda_args.end(), static_cast<int>(i)) !=
                   ov.lambda_args.end();
      if (wants != (call.args[i]->kind == ExprKind::kLambda)) shape_ok = false;
    }
    if (!shape_ok) continue;
    std::vector<TypePtr> types = base_types;
    std::vector<LambdaFn> lambdas;
    bool ok = true;
    if (any_lambda) {
      for (size_t i = 0; i < n && ok; ++i) {
        if (call.args[i]->kind != ExprKind::kLambda) continue;
        const auto& lam = static_cast<const LambdaExpr&>(*call.args[i]);
        std::vector<TypePtr> ptypes =
            ov.lambda_param_types ? ov.lambda_param_types(base_types, static_cast<int>(i))
                                  : std::vector<TypePtr>();
        if (ptypes.size() != lam.params.size()) {
          ok = false;
          break;
        }
        const int first_slot = next_slot_;
        next_slot_ += static_cast<int>(lam.params.size());
        const size_t frames_before = frames_.size();
        for (size_t p = 0; p < lam.params.size(); ++p)
          frames_.push_back(LambdaParam{lam.params[p], first_slot + static_cast<int>(p), ptypes[p]});
        auto body = Compile(*lam.body);
        frames_.resize(frames_before);
        if (!body.ok()) {
          if (!lambda_error) lambda_error = body.status();
          ok = false;
          break;
        }
        types[i] = body->type;
        const size_t slot = static_cast<size_t>(first_slot);
        const size_t np = lam.params.size();
        lambdas.push_back([slot, np, b = std::move(body->eval)](const std::vector<Value>& params) {
          EvalContext& ctx = *tls_ctx;
          if (ctx.lambda_values.size() < slot + np) ctx.lambda_values.resize(slot + np);
          for (size_t k = 0; k < np && k < params.size(); ++k) ctx.lambda_values[slot + k] = params[k];
          return b(ctx);
        });
      }
    }
    if (!ok) continue;
    TypePtr ret = ov.resolve ? ov.resolve(types) : nullptr;
    if (!ret) continue;
    auto bc = std::make_shared<BoundCall>();
    bc->overload = &ov;
    bc->arg_types = std::move(types);
    bc->return_type = ret;
    bc->lambdas = std::move(lambdas);
    bc->null_short = ov.null_policy == NullPolicy::kNullOnAnyNull;
    bc->args.resize(n);
    bc->is_lambda.resize(n);
    for (size_t i = 0; i < n; ++i) {
      bc->is_lambda[i] = call.args[i]->kind == ExprKind::kLambda;
      if (bc->is_lambda[i]) {
        bc->all_const = false;
      } else {
        if (!args[i]->is_const) bc->all_const = false;
        bc->args[i] = std::move(args[i]->eval);
      }
    }
    bc->cc.arg_types = &bc->arg_types;
    bc->cc.return_type = ret;
    bc->cc.lambdas = &bc->lambdas;
    return bc;
  }
  if (lambda_error) return *lambda_error;
  std::string types;
  for (size_t i = 0; i < n; ++i) {
    if (i) types += ", ";
    types += call.args[i]->kind == ExprKind::kLambda ? std::string("LAMBDA")
                                                      : TypeName(base_types[i]);
  }
  std::string msg = "Function '" + call.name + "' does not accept parameters (" + types + ").";
  if (!info->overloads.empty()) {
    msg += "\nValid alternatives are:";
    for (const auto& ov : info->overloads) msg += "\n" + ov.signature;
  }
  return Status::TypeError(msg);
}

Result<Node> Compiler::FunctionCall(const FunctionCallExpr& e) {
  if (&e == tf_call_) {
    Node n;
    n.type = tf_type_;
    size_t idx = static_cast<size_t>(tf_index_);
    n.eval = [idx](EvalContext& ctx) -> Value {
      const Row* row = ctx.row;
      return row && idx < row->size() ? (*row)[idx] : Value();
    };
    return n;
  }
  SLUICE_ASSIGN(bc, Bind(e, false));
  Node n;
  n.type = bc->return_type;
  const size_t nargs = bc->args.size();
  n.eval = [bc, nargs](EvalContext& ctx) -> Value {
    ArgFrame frame(nargs);
    std::vector<Value>& args = frame.args();
    for (size_t i = 0; i < nargs; ++i) {
      if (bc->is_lambda[i]) {
        args[i] = Value();
        continue;
      }
      args[i] = bc->args[i](ctx);
      if (bc->null_short && args[i].IsNull()) return Value();
    }
    std::string err;
    Value r;
    {
      CtxScope scope(&ctx);
      r = bc->overload->impl(args, bc->cc, &err);
    }
    if (!err.empty()) ctx.ReportError(err);
    return r;
  };
  return n;
}

// ---- arithmetic, comparison, logic -------------------------------------------------------------

Result<Node> Compiler::ArithUnary(const ArithmeticUnaryExpr& e) {
  SLUICE_ASSIGN(x, Compile(*e.operand));
  if (x.type && !x.type->IsNumeric())
    return Status::TypeError(std::string("Unsupported arithmetic type for unary ") +
                             (e.negate ? "minus" : "plus") + ": " + x.type->ToString() + " (" +
                             FormatExpression(*e.operand) + ")");
  if (!e.negate) return x;
  Node n;
  n.type = x.type;
  n.eval = [v = std::move(x.eval)](EvalContext& ctx) -> Value {
    std::string err;
    Value r = Negate(v(ctx), &err);
    if (!err.empty()) ctx.ReportError(err);
    return r;
  };
  Node m;
  m.is_const = x.is_const;
  return MaybeFold(std::move(n), {&m});
}

Result<Node> Compiler::ArithBinary(const ArithmeticBinaryExpr& e) {
  SLUICE_ASSIGN(l, Compile(*e.left));
  SLUICE_ASSIGN(r, Compile(*e.right));
  ArithOp op = ToArithOp(e.op);
  auto t = ArithmeticResultType(op, l.type, r.type);
  if (!t.ok()) return t.status();
  Node n;
  n.type = t.value();
  if (!n.type) return ConstNode(Value(), nullptr);  // NULL op NULL
  if (n.type->kind == TypeKind::kString) {
    n.eval = [a = std::move(l.eval), b = std::move(r.eval)](EvalContext& ctx) -> Value {
      Value x = a(ctx);
      if (!x.IsString()) return Value();
      Value y = b(ctx);
      if (!y.IsString()) return Value();
      std::string s;
      s.reserve(x.AsString().size() + y.AsString().size());
      s += x.AsString();
      s += y.AsString();
      return Value(std::move(s));
    };
  } else {
    TypePtr rt = n.type;
    n.eval = [a = std::move(l.eval), b = std::move(r.eval), op, rt](EvalContext& ctx) -> Value {
      // ksqlDB's generated Java unboxes both operands: a NULL one throws, and the whole
      // expression evaluates to NULL (TRANSFORM(arr, x => x + 5) is NULL if arr holds a NULL).
      Value x = a(ctx);
      Value y = b(ctx);
      if (x.IsNull() || y.IsNull()) {
        ctx.Abort("arithmetic on a NULL value (the whole expression is NULL, as in ksqlDB)");
        return Value();
      }
      std::string err;
      Value res = EvalArithmetic(op, x, y, *rt, &err);
      if (!err.empty()) ctx.ReportError(err);
      return res;
    };
  }
  return MaybeFold(std::move(n), {&l, &r});
}

Status Compiler::ComparePair(const Expression& le, const Expression& re, CompareOp op, Node* ln,
                             Node* rn) {
  auto l = Compile(le);
  if (!l.ok()) return l.status();
  auto r = Compile(re);
  if (!r.ok()) return r.status();
  // ksqlDB types an untyped NULL as "no type" and refuses to compare against it (the operand
  // must be CAST to a type first).
  if (!l->type || !r->type) {
    static const char* const kSymbols[] = {"=",  "<>", "<", "<=", ">", ">=", "IS DISTINCT FROM",
                                           "IS NOT DISTINCT FROM"};
    const char* sym = "?";
    switch (op) {
      case CompareOp::kEq: sym = kSymbols[0]; break;
      case CompareOp::kNe: sym = kSymbols[1]; break;
      case CompareOp::kLt: sym = kSymbols[2]; break;
      case CompareOp::kLe: sym = kSymbols[3]; break;
      case CompareOp::kGt: sym = kSymbols[4]; break;
      case CompareOp::kGe: sym = kSymbols[5]; break;
      case CompareOp::kIsDistinctFrom: sym = kSymbols[6]; break;
      case CompareOp::kIsNotDistinctFrom: sym = kSymbols[7]; break;
    }
    return Status::TypeError(std::string("Comparison with NULL not supported: ") +
                             (l->type ? TypeKindName(l->type->kind) : "NULL") + " " + sym + " " +
                             (r->type ? TypeKindName(r->type->kind) : "NULL") +
                             "\nUse 'IS NULL' or 'IS NOT NULL' instead.");
  }
  auto t = ComparisonOperandType(l->type, r->type, op, FormatExpression(le), FormatExpression(re));
  if (!t.ok()) return t.status();
  *ln = CastTo(std::move(l.value()), t.value(), true);
  *rn = CastTo(std::move(r.value()), t.value(), true);
  return Status::OK();
}

// ksqlDB's comparisons are two-valued: a NULL operand makes =, <>, <, <=, > and >= FALSE (not
// NULL), so NOT (a = b) is TRUE when either side is NULL.
template <typename Pred>
Evaluator CompareEval(Evaluator a, Evaluator b, Pred pred) {
  return [a = std::move(a), b = std::move(b), pred](EvalContext& ctx) -> Value {
    Value x = a(ctx);
    if (x.IsNull()) return Value(false);
    Value y = b(ctx);
    if (y.IsNull()) return Value(false);
    return Value(pred(CompareValues(x, y)));
  };
}

Evaluator EqualEval(Evaluator a, Evaluator b, bool negate) {
  return [a = std::move(a), b = std::move(b), negate](EvalContext& ctx) -> Value {
    Value x = a(ctx);
    if (x.IsNull()) return Value(false);
    Value y = b(ctx);
    if (y.IsNull()) return Value(false);
    return Value(ValuesEqual(x, y) != negate);
  };
}

Result<Node> Compiler::Comparison(const ComparisonExpr& e) {
  Node l, r;
  SLUICE_RETURN_IF_ERROR(ComparePair(*e.left, *e.right, ToCompareOp(e.op), &l, &r));
  Node n;
  n.type = SqlType::Boolean();
  switch (e.op) {
    case ComparisonOp::kEq: n.eval = EqualEval(l.eval, r.eval, false); break;
    case ComparisonOp::kNeq: n.eval = EqualEval(l.eval, r.eval, true); break;
    case ComparisonOp::kLt: n.eval = CompareEval(l.eval, r.eval, [](int c) { return c < 0; }); break;
    case ComparisonOp::kLte: n.eval = CompareEval(l.eval, r.eval, [](int c) { return c <= 0; }); break;
    case ComparisonOp::kGt: n.eval = CompareEval(l.eval, r.eval, [](int c) { return c > 0; }); break;
    case ComparisonOp::kGte: n.eval = CompareEval(l.eval, r.eval, [](int c) { return c >= 0; }); break;
  }
  return MaybeFold(std::move(n), {&l, &r});
}

Status RequireBoolean(const Node& n, const Expression& e, const char* what) {
  if (n.type && n.type->kind != TypeKind::kBoolean)
    return Status::TypeError(std::string(what) + " expects a BOOLEAN operand, but " +
                             FormatExpression(e) + " is of type " + n.type->ToString() + ".");
  return Status::OK();
}

Result<Node> Compiler::Logical(const LogicalBinaryExpr& e) {
  SLUICE_ASSIGN(l, Compile(*e.left));
  SLUICE_ASSIGN(r, Compile(*e.right));
  if ((l.type && l.type->kind != TypeKind::kBoolean) || (r.type && r.type->kind != TypeKind::kBoolean))
    return Status::TypeError("Logical binary expects two boolean values.  Actual " +
                             TypeName(l.type) + " and " + TypeName(r.type));
  Node n;
  n.type = SqlType::Boolean();
  const bool is_and = e.op == LogicalOp::kAnd;
  n.eval = [a = std::move(l.eval), b = std::move(r.eval), is_and](EvalContext& ctx) -> Value {
    // AND: false wins, then NULL; OR: true wins, then NULL.
    Value x = a(ctx);
    if (x.IsBool() && x.AsBool() != is_and) return x;
    Value y = b(ctx);
    if (y.IsBool() && y.AsBool() != is_and) return y;
    if (x.IsNull() || y.IsNull()) return Value();
    return Value(is_and);
  };
  return MaybeFold(std::move(n), {&l, &r});
}

Result<Node> Compiler::Not(const NotExpr& e) {
  SLUICE_ASSIGN(x, Compile(*e.operand));
  SLUICE_RETURN_IF_ERROR(RequireBoolean(x, *e.operand, "NOT"));
  Node n;
  n.type = SqlType::Boolean();
  n.eval = [a = std::move(x.eval)](EvalContext& ctx) -> Value {
    Value v = a(ctx);
    if (!v.IsBool()) return Value();
    return Value(!v.AsBool());
  };
  return MaybeFold(std::move(n), {&x});
}

Result<Node> Compiler::IsNull(const IsNullExpr& e) {
  SLUICE_ASSIGN(x, Compile(*e.operand));
  Node n;
  n.type = SqlType::Boolean();
  const bool neg = e.negated;
  n.eval = [a = std::move(x.eval), neg](EvalContext& ctx) -> Value {
    return Value(a(ctx).IsNull() != neg);
  };
  return MaybeFold(std::move(n), {&x});
}

Result<Node> Compiler::IsDistinct(const IsDistinctFromExpr& e) {
  Node l, r;
  SLUICE_RETURN_IF_ERROR(ComparePair(*e.left, *e.right,
                                     e.negated ? CompareOp::kIsNotDistinctFrom
                                               : CompareOp::kIsDistinctFrom,
                                     &l, &r));
  Node n;
  n.type = SqlType::Boolean();
  const bool neg = e.negated;
  n.eval = [a = std::move(l.eval), b = std::move(r.eval), neg](EvalContext& ctx) -> Value {
    Value x = a(ctx);
    Value y = b(ctx);
    bool distinct;
    if (x.IsNull() || y.IsNull()) distinct = x.IsNull() != y.IsNull();
    else distinct = !ValuesEqual(x, y);
    return Value(distinct != neg);
  };
  return MaybeFold(std::move(n), {&l, &r});
}

Result<Node> Compiler::Between(const BetweenExpr& e) {
  SLUICE_ASSIGN(v, Compile(*e.value));
  SLUICE_ASSIGN(lo, Compile(*e.lower));
  SLUICE_ASSIGN(hi, Compile(*e.upper));
  auto t = ComparisonOperandType(v.type, lo.type, CompareOp::kGe, FormatExpression(*e.value),
                                 FormatExpression(*e.lower));
  if (!t.ok()) return t.status();
  auto t2 = ComparisonOperandType(t.value() ? t.value() : v.type, hi.type, CompareOp::kLe,
                                  FormatExpression(*e.value), FormatExpression(*e.upper));
  if (!t2.ok()) return t2.status();
  TypePtr common = t2.value();
  if (common && t.value() && !TypeEquals(common, t.value()) && !(common->IsNumeric() && t.value()->IsNumeric())) {
    return Status::TypeError("Cannot compare " + FormatExpression(*e.lower) + " (" +
                             TypeName(lo.type) + ") to " + FormatExpression(*e.upper) + " (" +
                             TypeName(hi.type) + ") in BETWEEN.");
  }
  Node vc = CastTo(std::move(v), common, true);
  Node lc = CastTo(std::move(lo), common, true);
  Node hc = CastTo(std::move(hi), common, true);
  Node n;
  n.type = SqlType::Boolean();
  const bool neg = e.negated;
  n.eval = [a = vc.eval, b = lc.eval, c = hc.eval, neg](EvalContext& ctx) -> Value {
    // value >= lower AND value <= upper, with three-valued logic; NOT negates.
    Value x = a(ctx);
    if (x.IsNull()) return Value();
    Value l = b(ctx);
    Value h = c(ctx);
    std::optional<bool> ge, le;
    if (!l.IsNull()) ge = CompareValues(x, l) >= 0;
    if (!h.IsNull()) le = CompareValues(x, h) <= 0;
    std::optional<bool> res;
    if ((ge && !*ge) || (le && !*le)) res = false;
    else if (ge && le) res = true;
    if (!res) return Value();
    return Value(*res != neg);
  };
  return MaybeFold(std::move(n), {&vc, &lc, &hc});
}

// Literal-only trees (literals, ARRAY/MAP/STRUCT constructors of them) whose STRING leaves
// must be parsed as the target's types (IN lists). Returns nullopt when `e` is not such a tree.
std::optional<Result<Value>> CoerceLiteralTree(const Expression& e, const TypePtr& target) {
  if (!target) return std::nullopt;
  switch (e.kind) {
    case ExprKind::kLiteral: {
      const auto& lit = static_cast<const LiteralExpr&>(e);
      if (lit.literal_kind != LiteralExpr::Kind::kString) return std::nullopt;
      if (target->kind == TypeKind::kString || !target->IsPrimitive()) return std::nullopt;
      if (!CanCast(*SqlType::String(), *target)) return std::nullopt;
      std::string err;
      Value v = CastValue(lit.value, *SqlType::String(), *target, &err);
      if (v.IsNull() || !err.empty()) {
        std::string tn = target->kind == TypeKind::kDecimal ? std::string("DECIMAL")
                                                            : TypeKindName(target->kind);
        if (target->kind == TypeKind::kInteger) tn = "INTEGER";
        return Result<Value>(Status::TypeError("invalid input syntax for type " + tn + ": \"" +
                                               lit.value.ToString() + "\""));
      }
      return Result<Value>(std::move(v));
    }
    case ExprKind::kArrayConstructor: {
      if (target->kind != TypeKind::kArray) return std::nullopt;
      const auto& a = static_cast<const ArrayConstructorExpr&>(e);
      bool any = false;
      for (const auto& it : a.items) {
        if (it->kind == ExprKind::kLiteral || CoerceLiteralTree(*it, target->element)) continue;
        return std::nullopt;
      }
      ArrayValue out;
      for (const auto& it : a.items) {
        auto c = CoerceLiteralTree(*it, target->element);
        if (c) {
          if (!c->ok()) return c;
          any = true;
          out.push_back(c->value());
        } else {
          const auto& lit = static_cast<const LiteralExpr&>(*it);
          if (lit.literal_kind == LiteralExpr::Kind::kNull) {
            out.push_back(Value());
            continue;
          }
          return std::nullopt;  // other literal kinds: regular typing
        }
      }
      if (!any) return std::nullopt;
      return Result<Value>(Value::Array(std::move(out)));
    }
    case ExprKind::kMapConstructor: {
      if (target->kind != TypeKind::kMap) return std::nullopt;
      const auto& m = static_cast<const MapConstructorExpr&>(e);
      MapValue out;
      bool any = false;
      for (const auto& [k, v] : m.entries) {
        auto ck = CoerceLiteralTree(*k, target->key);
        auto cv = CoerceLiteralTree(*v, target->value);
        Value kv, vv;
        if (ck) {
          if (!ck->ok()) return ck;
          kv = ck->value();
          any = true;
        } else if (k->kind == ExprKind::kLiteral &&
                   static_cast<const LiteralExpr&>(*k).literal_kind == LiteralExpr::Kind::kString &&
                   target->key->kind == TypeKind::kString) {
          kv = static_cast<const LiteralExpr&>(*k).value;
        } else {
          return std::nullopt;
        }
        if (cv) {
          if (!cv->ok()) return cv;
          vv = cv->value();
          any = true;
        } else if (v->kind == ExprKind::kLiteral &&
                   static_cast<const LiteralExpr&>(*v).literal_kind == LiteralExpr::Kind::kNull) {
        } else {
          return std::nullopt;
        }
        out.emplace_back(std::move(kv), std::move(vv));
      }
      if (!any) return std::nullopt;
      return Result<Value>(Value::Map(std::move(out)));
    }
    case ExprKind::kStructConstructor: {
      if (target->kind != TypeKind::kStruct) return std::nullopt;
      const auto& s = static_cast<const StructConstructorExpr&>(e);
      if (s.fields.size() != target->fields.size()) return std::nullopt;
      std::vector<Value> fields(target->fields.size());
      bool any = false;
      for (const auto& [name, fe] : s.fields) {
        int idx = target->FieldIndex(name);
        if (idx < 0) return std::nullopt;
        auto c = CoerceLiteralTree(*fe, target->fields[idx].type);
        if (!c) return std::nullopt;
        if (!c->ok()) return c;
        any = true;
        fields[idx] = c->value();
      }
      if (!any) return std::nullopt;
      return Result<Value>(Value::Struct(target, std::move(fields)));
    }
    default:
      return std::nullopt;
  }
}

// ---- IN lists (ksqlDB's CoercionUtil and InListEvaluator) ------------------------------------

namespace {

bool IsLiteralExpr(const Expression& e) {
  if (e.kind == ExprKind::kLiteral) return true;
  // A negative number literal is parsed as a negation of the literal.
  if (e.kind == ExprKind::kArithmeticUnary) {
    const auto& u = static_cast<const ArithmeticUnaryExpr&>(e);
    return u.operand->kind == ExprKind::kLiteral &&
           static_cast<const LiteralExpr&>(*u.operand).literal_kind != LiteralExpr::Kind::kString &&
           static_cast<const LiteralExpr&>(*u.operand).literal_kind != LiteralExpr::Kind::kNull;
  }
  return false;
}

bool IsNullLiteral(const Expression& e) {
  return e.kind == ExprKind::kLiteral &&
         static_cast<const LiteralExpr&>(e).literal_kind == LiteralExpr::Kind::kNull;
}

const LiteralExpr* AsStringLiteral(const Expression& e) {
  if (e.kind != ExprKind::kLiteral) return nullptr;
  const auto& l = static_cast<const LiteralExpr&>(e);
  return l.literal_kind == LiteralExpr::Kind::kString ? &l : nullptr;
}

// SqlBaseType names as ksqlDB prints them in "invalid input syntax for type X".
std::string BaseTypeName(const TypePtr& t) {
  switch (t->kind) {
    case TypeKind::kInteger: return "INTEGER";
    case TypeKind::kDecimal: return "DECIMAL";
    default: return TypeKindName(t->kind);
  }
}

Status InvalidSyntax(const std::string& value, const TypePtr& target) {
  return Status::TypeError("invalid input syntax for type " + BaseTypeName(target) + ": \"" +
                           value + "\".");
}

// ksqlDB's SqlBooleans.parseBooleanExact: a non-empty case-insensitive prefix of "true"/"yes"
// or "false"/"no" ("t", "tr", "Y", "FaLs").
std::optional<bool> ParseBooleanExact(std::string_view text) {
  size_t b = 0, e = text.size();
  while (b < e && static_cast<unsigned char>(text[b]) <= ' ') ++b;
  while (e > b && static_cast<unsigned char>(text[e - 1]) <= ' ') --e;
  std::string l(text.substr(b, e - b));
  if (l.empty()) return std::nullopt;
  for (auto& c : l) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto prefix_of = [&](std::string_view word) { return word.substr(0, l.size()) == l; };
  if (prefix_of("true") || prefix_of("yes")) return true;
  if (prefix_of("false") || prefix_of("no")) return false;
  return std::nullopt;
}

// The numeric type of a STRING literal in an IN list (CoercionUtil.getStringNumericType):
// INTEGER or BIGINT for whole numbers without '.'/exponent strictly inside their range, else a
// DECIMAL shaped like a decimal literal. nullptr if the text is not a number.
TypePtr StringNumericType(const std::string& text) {
  std::string t(text);
  size_t b = 0, e = t.size();
  while (b < e && static_cast<unsigned char>(t[b]) <= ' ') ++b;
  while (e > b && static_cast<unsigned char>(t[e - 1]) <= ' ') --e;
  t = t.substr(b, e - b);
  if (t.empty()) return nullptr;
  // BigDecimal syntax: [sign] digits [. digits] [e|E [sign] digits], at least one digit.
  size_t i = 0;
  if (t[i] == '+' || t[i] == '-') ++i;
  size_t int_digits = 0, frac_digits = 0;
  while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) ++i, ++int_digits;
  bool dot = false, exp = false;
  if (i < t.size() && t[i] == '.') {
    dot = true;
    ++i;
    while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) ++i, ++frac_digits;
  }
  if (int_digits + frac_digits == 0) return nullptr;
  int exponent = 0;
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    exp = true;
    ++i;
    size_t es = i;
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
    size_t ed = i;
    while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) ++i;
    if (i == ed || i - ed > 9) return nullptr;
    exponent = std::stoi(t.substr(es, i - es));
  }
  if (i != t.size()) return nullptr;
  if (!dot && !exp) {
    std::string digits = t[0] == '+' || t[0] == '-' ? t.substr(1) : t;
    size_t nz = digits.find_first_not_of('0');
    digits = nz == std::string::npos ? "0" : digits.substr(nz);
    const bool neg = t[0] == '-';
    auto fits = [&](const std::string& bound) {  // |value| < bound (exclusive, as ksqlDB)
      return digits.size() < bound.size() || (digits.size() == bound.size() && digits < bound);
    };
    if (neg ? fits("2147483648") : fits("2147483647")) return SqlType::Integer();
    if (neg ? fits("9223372036854775808") : fits("9223372036854775807")) return SqlType::Bigint();
  }
  // DecimalUtil.fromValue of new BigDecimal(text): scale = fraction digits - exponent.
  int scale = static_cast<int>(frac_digits) - exponent;
  std::string unscaled;
  for (char c : t.substr(0, t.find_first_of("eE")))
    if (std::isdigit(static_cast<unsigned char>(c))) unscaled.push_back(c);
  size_t nz = unscaled.find_first_not_of('0');
  unscaled = nz == std::string::npos ? "0" : unscaled.substr(nz);
  int digits = static_cast<int>(unscaled.size());
  if (scale < 0) {  // BigDecimal with negative scale: DecimalUtil widens to scale 0
    digits -= scale;
    scale = 0;
  }
  int precision = digits;
  if (unscaled == "0" || digits <= scale) precision = scale + 1;  // values in (-1, 1)
  if (precision > 38) return nullptr;
  return SqlType::Decimal(std::max(precision, 1), scale);
}

// DefaultSqlValueCoercer's type check for non-literals: implicit widening, composites
// element-wise, and a STRUCT into a STRUCT holding (at least) all its fields by name.
bool CanCoerceValue(const SqlType& from, const SqlType& to) {
  if (from.kind != to.kind) return CanImplicitlyCast(from, to);
  switch (from.kind) {
    case TypeKind::kArray: return CanCoerceValue(*from.element, *to.element);
    case TypeKind::kMap:
      return CanCoerceValue(*from.key, *to.key) && CanCoerceValue(*from.value, *to.value);
    case TypeKind::kStruct:
      for (const auto& f : from.fields) {
        int i = to.FieldIndex(f.name);
        if (i < 0 || !CanCoerceValue(*f.type, *to.fields[i].type)) return false;
      }
      return true;
    default: return CanImplicitlyCast(from, to);
  }
}

}  // namespace

Result<TypePtr> Compiler::UserListStructuredType(const TypePtr& target,
                                                 const std::vector<const Expression*>& exprs) {
  TypePtr common = target;
  for (const Expression* x : exprs) {
    if (IsNullLiteral(*x)) continue;
    SLUICE_ASSIGN(n, Compile(*x));
    SLUICE_ASSIGN(t, UserListCommonType(*x, n.type, common));
    common = t;
  }
  return common;
}

Result<TypePtr> Compiler::UserListCommonType(const Expression& e, const TypePtr& etype,
                                             const TypePtr& target) {
  if (!target) return etype;  // first element
  if (!etype) return target;  // NULL literal
  auto fail = [&]() -> Status {
    coercion_failed_ = true;
    return Status::TypeError("operator does not exist: " + target->ToString() + " = " +
                             etype->ToString() + " (" + FormatExpression(e) +
                             ")\nHint: You might need to add explicit type casts.");
  };
  // Constructors: element-wise; an element's coercion failure reports the whole constructor.
  auto structured = [&](auto&& resolve) -> Result<TypePtr> {
    coercion_failed_ = false;
    auto r = resolve();
    if (!r.ok() && coercion_failed_) return fail();
    return r;
  };
  switch (e.kind) {
    case ExprKind::kArrayConstructor: {
      if (target->kind != TypeKind::kArray) return fail();
      const auto& a = static_cast<const ArrayConstructorExpr&>(e);
      return structured([&]() -> Result<TypePtr> {
        std::vector<const Expression*> items;
        for (const auto& it : a.items) items.push_back(it.get());
        SLUICE_ASSIGN(el, UserListStructuredType(target->element, items));
        return SqlType::Array(el);
      });
    }
    case ExprKind::kMapConstructor: {
      if (target->kind != TypeKind::kMap) return fail();
      const auto& m = static_cast<const MapConstructorExpr&>(e);
      return structured([&]() -> Result<TypePtr> {
        std::vector<const Expression*> keys, values;
        for (const auto& [k, v] : m.entries) {
          keys.push_back(k.get());
          values.push_back(v.get());
        }
        SLUICE_ASSIGN(kt, UserListStructuredType(target->key, keys));
        SLUICE_ASSIGN(vt, UserListStructuredType(target->value, values));
        return SqlType::Map(kt, vt);
      });
    }
    case ExprKind::kStructConstructor: {
      if (target->kind != TypeKind::kStruct) return fail();
      const auto& st = static_cast<const StructConstructorExpr&>(e);
      return structured([&]() -> Result<TypePtr> {
        // The union of the fields (the constructor's first), common types where both have one.
        std::vector<StructField> fields;
        for (const auto& [name, fe] : st.fields) {
          SLUICE_ASSIGN(n, Compile(*fe));
          int ti = target->FieldIndex(name);
          TypePtr ft;
          if (ti < 0) {
            ft = n.type ? n.type : SqlType::String();
          } else if (!n.type) {
            ft = target->fields[ti].type;
          } else {
            SLUICE_ASSIGN(c, UserListCommonType(*fe, n.type, target->fields[ti].type));
            ft = c;
          }
          fields.push_back(StructField{name, ft});
        }
        for (const auto& f : target->fields) {
          bool seen = std::any_of(st.fields.begin(), st.fields.end(),
                                  [&](const auto& sf) { return sf.first == f.name; });
          if (!seen) fields.push_back(f);
        }
        return SqlType::Struct(std::move(fields));
      });
    }
    default: break;
  }
  if (const LiteralExpr* lit = AsStringLiteral(e)) {
    const std::string& text = lit->value.AsString();
    if (target->IsNumeric()) {
      TypePtr src = StringNumericType(text);
      if (!src) return InvalidSyntax(text, target);
      if (src->kind == TypeKind::kDouble || target->kind == TypeKind::kDouble)
        return SqlType::Double();
      if (src->kind == TypeKind::kDecimal || target->kind == TypeKind::kDecimal)
        return CommonSuperType({src, target});
      return CanImplicitlyCast(*src, *target) ? target : src;
    }
    if (target->kind == TypeKind::kBoolean) {
      if (!ParseBooleanExact(text)) return InvalidSyntax(text, target);
      return target;
    }
  }
  if (TypePtr c = CommonSuperType({target, etype})) return c;
  if (CanCoerceValue(*etype, *target)) return target;
  if (CanCoerceValue(*target, *etype)) return etype;
  if (IsLiteralExpr(e)) {
    // Lenient literal coercion: any primitive literal renders as a STRING; a STRING literal
    // parses as a DATE, TIME or TIMESTAMP.
    if (target->kind == TypeKind::kString && etype->IsPrimitive()) return target;
    if (etype->kind == TypeKind::kString && CanCoerceLiteral(*etype, *target)) return target;
  }
  return fail();
}

Result<Node> Compiler::UserListConvert(const Expression& e, Node n, const TypePtr& common) {
  if (!n.type || TypeEquals(n.type, common)) return n;
  if (IsLiteralExpr(e) && n.is_const) {
    const Value& v = n.constant;
    Value out;
    if (common->kind == TypeKind::kString) {
      // The literal as written: 10.30 stays "10.30"; doubles as Java renders them.
      if (v.IsDouble()) out = Value(FormatJavaDouble(v.AsDouble()));
      else out = Value(CastToStringValue(v, *n.type));
    } else if (v.IsString() && common->kind == TypeKind::kBoolean) {
      auto b = ParseBooleanExact(v.AsString());
      if (!b) return InvalidSyntax(v.AsString(), common);
      out = Value(*b);
    } else {
      std::string err;
      out = CastValue(v, *n.type, *common, &err);
      if (out.IsNull() || !err.empty())
        return v.IsString() ? InvalidSyntax(v.AsString(), common)
                            : Status::TypeError(err.empty() ? CastErrorMessage(*n.type, *common) : err);
    }
    return ConstNode(std::move(out), common);
  }
  return CastTo(std::move(n), common);
}

Result<Node> Compiler::InList(const InListExpr& e) {
  // The value and the non-NULL items, coerced to their common type.
  std::vector<const Expression*> exprs{e.value.get()};
  for (const auto& item : e.list)
    if (!IsNullLiteral(*item)) exprs.push_back(item.get());
  std::vector<Node> nodes;
  TypePtr common;
  for (const Expression* x : exprs) {
    SLUICE_ASSIGN(n, Compile(*x));
    SLUICE_ASSIGN(t, UserListCommonType(*x, n.type, common));
    common = t;
    nodes.push_back(std::move(n));
  }
  std::vector<Node> conv;
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (!common) {
      conv.push_back(std::move(nodes[i]));
      continue;
    }
    SLUICE_ASSIGN(c, UserListConvert(*exprs[i], std::move(nodes[i]), common));
    conv.push_back(std::move(c));
  }
  std::vector<Evaluator> evals;
  for (size_t i = 1; i < conv.size(); ++i) evals.push_back(conv[i].eval);
  Node n;
  n.type = SqlType::Boolean();
  const bool neg = e.negated;
  // InListEvaluator.matches: a NULL value or item never matches (no SQL NULL result).
  n.eval = [a = conv[0].eval, evals = std::move(evals), neg](EvalContext& ctx) -> Value {
    Value x = a(ctx);
    if (x.IsNull()) return Value(neg);
    for (const auto& ev : evals) {
      Value y = ev(ctx);
      if (!y.IsNull() && ValuesEqual(x, y)) return Value(!neg);
    }
    return Value(neg);
  };
  return MaybeFold(std::move(n), conv);
}

Result<Node> Compiler::Like(const LikeExpr& e) {
  SLUICE_ASSIGN(v, Compile(*e.value));
  SLUICE_ASSIGN(p, Compile(*e.pattern));
  if (v.type && v.type->kind != TypeKind::kString)
    return Status::TypeError("LIKE can only be applied to STRING values, but " +
                             FormatExpression(*e.value) + " is of type " + v.type->ToString() +
                             ".");
  if (p.type && p.type->kind != TypeKind::kString)
    return Status::TypeError("LIKE pattern must be a STRING, but " + FormatExpression(*e.pattern) +
                             " is of type " + p.type->ToString() + ".");
  const bool neg = e.negated;
  Node n;
  n.type = SqlType::Boolean();
  if (p.is_const) {
    if (p.constant.IsNull()) return ConstNode(Value(), SqlType::Boolean());
    auto m = LikeMatcher::Compile(p.constant.AsString(), e.escape);
    if (!m.ok()) return m.status();
    n.eval = [a = std::move(v.eval), m = std::move(m.value()), neg](EvalContext& ctx) -> Value {
      Value x = a(ctx);
      if (!x.IsString()) return Value();
      return Value(m.Matches(x.AsString()) != neg);
    };
    return MaybeFold(std::move(n), {&v});
  }
  std::string escape = e.escape;
  if (escape.size() > 4) return Status::InvalidArgument("Escape string must be a single character");
  n.eval = [a = std::move(v.eval), b = std::move(p.eval), escape, neg](EvalContext& ctx) -> Value {
    Value x = a(ctx);
    if (!x.IsString()) return Value();
    Value pat = b(ctx);
    if (!pat.IsString()) return Value();
    // Patterns from data: a small per-thread cache of compiled matchers.
    thread_local std::unordered_map<std::string, LikeMatcher> cache;
    std::string key = escape;
    key += '\0';
    key += pat.AsString();
    auto it = cache.find(key);
    if (it == cache.end()) {
      auto m = LikeMatcher::Compile(pat.AsString(), escape);
      if (!m.ok()) {
        ctx.ReportError(m.status().message());
        return Value();
      }
      if (cache.size() >= 1024) cache.clear();
      it = cache.emplace(std::move(key), std::move(m.value())).first;
    }
    return Value(it->second.Matches(x.AsString()) != neg);
  };
  return n;
}

// ---- CASE ----------------------------------------------------------------------------------------

Result<Node> Compiler::CaseResults(std::vector<Node>* results, Node* else_node) {
  std::vector<TypePtr> types;
  for (const auto& r : *results) types.push_back(r.type);
  if (else_node) types.push_back(else_node->type);
  bool all_null = true;
  for (const auto& t : types)
    if (t) all_null = false;
  if (all_null) return Status::TypeError("Invalid Case expression. All case branches have NULL type");
  TypePtr common = CommonType(types);
  if (!common) {
    std::string list;
    for (const auto& t : types) {
      if (!list.empty()) list += ", ";
      list += TypeName(t);
    }
    return Status::TypeError(
        "Invalid Case expression. Type for all 'THEN' clauses should be the same. "
        "THEN/ELSE types: " + list + ".");
  }
  for (auto& r : *results) r = CastTo(std::move(r), common);
  if (else_node) *else_node = CastTo(std::move(*else_node), common);
  Node n;
  n.type = common;
  return n;
}

Result<Node> Compiler::SearchedCase(const SearchedCaseExpr& e) {
  std::vector<Node> conds, results;
  for (const auto& w : e.whens) {
    SLUICE_ASSIGN(c, Compile(*w.condition));
    if (c.type && c.type->kind != TypeKind::kBoolean)
      return Status::TypeError("WHEN operand type should be boolean. Type for '" +
                               FormatExpression(*w.condition) + "' is " + c.type->ToString());
    conds.push_back(std::move(c));
    SLUICE_ASSIGN(r, Compile(*w.result));
    results.push_back(std::move(r));
  }
  std::optional<Node> els;
  if (e.else_result) {
    SLUICE_ASSIGN(x, Compile(*e.else_result));
    els = std::move(x);
  }
  SLUICE_ASSIGN(n, CaseResults(&results, els ? &*els : nullptr));
  std::vector<std::pair<Evaluator, Evaluator>> branches;
  for (size_t i = 0; i < conds.size(); ++i) branches.emplace_back(conds[i].eval, results[i].eval);
  Evaluator else_eval = els ? els->eval : Evaluator();
  n.eval = [branches = std::move(branches), else_eval](EvalContext& ctx) -> Value {
    for (const auto& [c, r] : branches) {
      Value v = c(ctx);
      if (v.IsBool() && v.AsBool()) return r(ctx);
    }
    return else_eval ? else_eval(ctx) : Value();
  };
  std::vector<Node> all = conds;
  for (auto& r : results) all.push_back(r);
  if (els) all.push_back(*els);
  return MaybeFold(std::move(n), all);
}

Result<Node> Compiler::SimpleCase(const SimpleCaseExpr& e) {
  SLUICE_ASSIGN(op, Compile(*e.operand));
  std::vector<TypePtr> cmp_types{op.type};
  std::vector<Node> whens, results;
  for (const auto& w : e.whens) {
    SLUICE_ASSIGN(c, Compile(*w.condition));
    auto t = ComparisonOperandType(op.type, c.type, CompareOp::kEq, FormatExpression(*e.operand),
                                   FormatExpression(*w.condition));
    if (!t.ok()) return t.status();
    cmp_types.push_back(c.type);
    whens.push_back(std::move(c));
    SLUICE_ASSIGN(r, Compile(*w.result));
    results.push_back(std::move(r));
  }
  std::optional<Node> els;
  if (e.else_result) {
    SLUICE_ASSIGN(x, Compile(*e.else_result));
    els = std::move(x);
  }
  SLUICE_ASSIGN(n, CaseResults(&results, els ? &*els : nullptr));
  TypePtr cmp = CommonType(cmp_types);
  if (!cmp) cmp = op.type;
  Node opc = CastTo(std::move(op), cmp, true);
  std::vector<std::pair<Evaluator, Evaluator>> branches;
  for (size_t i = 0; i < whens.size(); ++i)
    branches.emplace_back(CastTo(whens[i], cmp, true).eval, results[i].eval);
  Evaluator else_eval = els ? els->eval : Evaluator();
  n.eval = [o = opc.eval, branches = std::move(branches), else_eval](EvalContext& ctx) -> Value {
    Value v = o(ctx);
    if (!v.IsNull()) {
      for (const auto& [c, r] : branches) {
        Value w = c(ctx);
        if (!w.IsNull() && ValuesEqual(v, w)) return r(ctx);
      }
    }
    return else_eval ? else_eval(ctx) : Value();
  };
  std::vector<Node> all{opc};
  for (auto& w : whens) all.push_back(w);
  for (auto& r : results) all.push_back(r);
  if (els) all.push_back(*els);
  return MaybeFold(std::move(n), all);
}

// ---- CAST and constructors -----------------------------------------------------------------

Result<Node> Compiler::Cast(const CastExpr& e) {
  SLUICE_ASSIGN(x, Compile(*e.operand));
  auto target = ResolveTypeSpec(*e.target, custom_types_);
  if (!target.ok()) return target.status();
  TypePtr to = target.value();
  if (!x.type) return ConstNode(Value(), to);
  if (!CanCast(*x.type, *to)) return Status::TypeError(CastErrorMessage(*x.type, *to));
  return CastTo(std::move(x), to);
}

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
  bool all_null = true;
  for (const auto& t : types)
    if (t) all_null = false;
  if (all_null)
    return Status::TypeError(
        "Cannot construct an array with all NULL elements "
        "(see https://github.com/confluentinc/ksql/issues/4239). As a workaround, you may "
        "cast a NULL value to the desired type.");
  // Elements of a common super type (structs merged, first fields first) take it; otherwise
  // they coerce, in order, to their common type as a user list (ksqlDB's CoercionUtil):
  // ARRAY[10, '2e1', bigint_col] is an ARRAY<DECIMAL(19, 0)>.
  TypePtr elem = CommonType(types);
  if (!elem) {
    for (size_t i = 0; i < items.size(); ++i) {
      coercion_failed_ = false;
      auto t = UserListCommonType(*e.items[i], types[i], elem);
      if (!t.ok()) {
        if (!coercion_failed_) return t.status();
        std::string list;
        for (const auto& ty : types) {
          if (!list.empty()) list += ", ";
          list += TypeName(ty);
        }
        return Status::TypeError("Cannot construct an array with mismatching types ([" + list +
                                 "]) from expression " + FormatExpression(e) + ".");
      }
      elem = t.value();
    }
  }
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
  auto all_null = [](const std::vector<TypePtr>& ts) {
    for (const auto& t : ts)
      if (t) return false;
    return true;
  };
  if (all_null(ktypes)) return Status::TypeError("Cannot construct a map with all NULL keys");
  if (all_null(vtypes))
    return Status::TypeError(
        "Cannot construct a map with all NULL values "
        "(see https://github.com/confluentinc/ksql/issues/4239). As a workaround, you may "
        "cast a NULL value to the desired type.");
  auto list = [](const std::vector<TypePtr>& ts) {
    std::string s;
    for (const auto& t : ts) {
      if (!s.empty()) s += ", ";
      s += TypeName(t);
    }
    return s;
  };
  // Keys and values each coerce to a common type as a user list (ksqlDB's CoercionUtil):
  // MAP(k:=v1, 10:='no') has STRING keys ("10") and BOOLEAN values.
  auto common_of = [&](bool key_side, const std::vector<TypePtr>& types) -> Result<TypePtr> {
    TypePtr common;
    for (size_t i = 0; i < e.entries.size(); ++i) {
      const Expression& x = key_side ? *e.entries[i].first : *e.entries[i].second;
      coercion_failed_ = false;
      auto t = UserListCommonType(x, types[i], common);
      if (!t.ok()) {
        if (!coercion_failed_) return t.status();
        return Status::TypeError(std::string("Cannot construct a map with mismatching ") +
                                 (key_side ? "key" : "value") + " types ([" + list(types) +
                                 "]) from expression " + FormatExpression(e) + ".");
      }
      common = t.value();
    }
    return common;
  };
  SLUICE_ASSIGN(kt, common_of(true, ktypes));
  SLUICE_ASSIGN(vt, common_of(false, vtypes));
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

}  // namespace

// ---- public API ----------------------------------------------------------------------------------

Result<TypePtr> ResolveTypeSpec(const TypeSpec& spec, const CustomTypeLookup& custom_types) {
  switch (spec.kind) {
    case TypeSpec::Kind::kPrimitive: {
      TypePtr t = PrimitiveType(spec.primitive);
      if (!t) return Status::TypeError("Unsupported type: " + spec.ToString());
      return t;
    }
    case TypeSpec::Kind::kDecimal:
      if (spec.precision < 1)
        return Status::TypeError("DECIMAL precision must be >= 1: " + spec.ToString());
      if (spec.precision > 38)
        return Status::TypeError("DECIMAL precision must be <= 38: " + spec.ToString());
      if (spec.scale < 0)
        return Status::TypeError("DECIMAL scale must be >= 0: " + spec.ToString());
      if (spec.scale > spec.precision)
        return Status::TypeError("DECIMAL precision must be >= scale: " + spec.ToString());
      return SqlType::Decimal(spec.precision, spec.scale);
    case TypeSpec::Kind::kArray: {
      if (spec.children.size() != 1 || !spec.children[0])
        return Status::TypeError("Invalid ARRAY type: " + spec.ToString());
      auto e = ResolveTypeSpec(*spec.children[0], custom_types);
      if (!e.ok()) return e.status();
      return SqlType::Array(e.value());
    }
    case TypeSpec::Kind::kMap: {
      if (spec.children.size() != 2 || !spec.children[0] || !spec.children[1])
        return Status::TypeError("Invalid MAP type: " + spec.ToString());
      auto k = ResolveTypeSpec(*spec.children[0], custom_types);
      if (!k.ok()) return k.status();
      auto v = ResolveTypeSpec(*spec.children[1], custom_types);
      if (!v.ok()) return v.status();
      return SqlType::Map(k.value(), v.value());
    }
    case TypeSpec::Kind::kStruct: {
      std::vector<StructField> fields;
      for (size_t i = 0; i < spec.children.size(); ++i) {
        if (!spec.children[i]) return Status::TypeError("Invalid STRUCT type: " + spec.ToString());
        auto t = ResolveTypeSpec(*spec.children[i], custom_types);
        if (!t.ok()) return t.status();
        std::string name = i < spec.field_names.size() ? spec.field_names[i] : std::string();
        for (const auto& f : fields)
          if (f.name == name)
            return Status::TypeError("Duplicate field names found in STRUCT: '" + name + "'");
        fields.push_back(StructField{name, t.value()});
      }
      return SqlType::Struct(std::move(fields));
    }
    case TypeSpec::Kind::kCustom: {
      TypePtr t = custom_types ? custom_types(spec.custom_name) : nullptr;
      if (!t) return Status::NotFound("Unknown type: " + spec.custom_name);
      return t;
    }
  }
  return Status::TypeError("Unsupported type: " + spec.ToString());
}

// The evaluator handed out: an aborted evaluation (a NULL operand of arithmetic, as ksqlDB's
// generated code throws on) makes the whole expression NULL.
template <typename CompilerT, typename NodeResult>
Result<CompiledExpression> Finish(CompilerT& c, NodeResult n) {
  if (!n.ok()) return n.status();
  CompiledExpression out;
  out.eval = [e = std::move(n->eval)](EvalContext& ctx) -> Value {
    ctx.aborted = false;
    Value v = e(ctx);
    if (ctx.aborted) {
      ctx.aborted = false;
      return Value();
    }
    return v;
  };
  out.type = n->type;
  out.lambda_slots = c.slots();
  return out;
}

ExpressionCompiler::ExpressionCompiler(const FunctionRegistry& registry,
                                       CustomTypeLookup custom_types)
    : registry_(registry), custom_types_(std::move(custom_types)) {}

Result<CompiledExpression> ExpressionCompiler::Compile(const Expression& expr,
                                                       const ColumnScope& scope) const {
  Compiler c(registry_, custom_types_, scope);
  return Finish(c, c.Compile(expr));
}

Result<TypePtr> ExpressionCompiler::TypeOf(const Expression& expr, const ColumnScope& scope) const {
  Compiler c(registry_, custom_types_, scope);
  auto n = c.Compile(expr);
  if (!n.ok()) return n.status();
  return n->type;
}

namespace {
const FunctionCallExpr* FindTableCall(const Expression& e, const FunctionRegistry& registry) {
  auto any = [&](std::initializer_list<const ExprPtr*> children) -> const FunctionCallExpr* {
    for (const ExprPtr* c : children)
      if (*c)
        if (const FunctionCallExpr* f = FindTableCall(**c, registry)) return f;
    return nullptr;
  };
  auto list = [&](const std::vector<ExprPtr>& children) -> const FunctionCallExpr* {
    for (const auto& c : children)
      if (c)
        if (const FunctionCallExpr* f = FindTableCall(*c, registry)) return f;
    return nullptr;
  };
  switch (e.kind) {
    case ExprKind::kLiteral:
    case ExprKind::kColumnRef:
    case ExprKind::kLambda:
      return nullptr;
    case ExprKind::kFunctionCall: {
      const auto& f = static_cast<const FunctionCallExpr&>(e);
      const FunctionInfo* info = registry.Find(f.name);
      if (info && info->is_table_function) return &f;
      return list(f.args);
    }
    case ExprKind::kDereference: return any({&static_cast<const DereferenceExpr&>(e).base});
    case ExprKind::kSubscript: {
      const auto& x = static_cast<const SubscriptExpr&>(e);
      return any({&x.base, &x.index});
    }
    case ExprKind::kArithmeticUnary:
      return any({&static_cast<const ArithmeticUnaryExpr&>(e).operand});
    case ExprKind::kArithmeticBinary: {
      const auto& x = static_cast<const ArithmeticBinaryExpr&>(e);
      return any({&x.left, &x.right});
    }
    case ExprKind::kComparison: {
      const auto& x = static_cast<const ComparisonExpr&>(e);
      return any({&x.left, &x.right});
    }
    case ExprKind::kLogicalBinary: {
      const auto& x = static_cast<const LogicalBinaryExpr&>(e);
      return any({&x.left, &x.right});
    }
    case ExprKind::kNot: return any({&static_cast<const NotExpr&>(e).operand});
    case ExprKind::kIsNull: return any({&static_cast<const IsNullExpr&>(e).operand});
    case ExprKind::kIsDistinctFrom: {
      const auto& x = static_cast<const IsDistinctFromExpr&>(e);
      return any({&x.left, &x.right});
    }
    case ExprKind::kBetween: {
      const auto& x = static_cast<const BetweenExpr&>(e);
      return any({&x.value, &x.lower, &x.upper});
    }
    case ExprKind::kInList: {
      const auto& x = static_cast<const InListExpr&>(e);
      if (const FunctionCallExpr* f = any({&x.value})) return f;
      return list(x.list);
    }
    case ExprKind::kLike: {
      const auto& x = static_cast<const LikeExpr&>(e);
      return any({&x.value, &x.pattern});
    }
    case ExprKind::kSearchedCase: {
      const auto& x = static_cast<const SearchedCaseExpr&>(e);
      for (const auto& w : x.whens)
        if (const FunctionCallExpr* f = any({&w.condition, &w.result})) return f;
      return any({&x.else_result});
    }
    case ExprKind::kSimpleCase: {
      const auto& x = static_cast<const SimpleCaseExpr&>(e);
      if (const FunctionCallExpr* f = any({&x.operand})) return f;
      for (const auto& w : x.whens)
        if (const FunctionCallExpr* f = any({&w.condition, &w.result})) return f;
      return any({&x.else_result});
    }
    case ExprKind::kCast: return any({&static_cast<const CastExpr&>(e).operand});
    case ExprKind::kArrayConstructor:
      return list(static_cast<const ArrayConstructorExpr&>(e).items);
    case ExprKind::kMapConstructor:
      for (const auto& [k, v] : static_cast<const MapConstructorExpr&>(e).entries)
        if (const FunctionCallExpr* f = any({&k, &v})) return f;
      return nullptr;
    case ExprKind::kStructConstructor:
      for (const auto& [name, v] : static_cast<const StructConstructorExpr&>(e).fields)
        if (const FunctionCallExpr* f = any({&v})) return f;
      return nullptr;
  }
  return nullptr;
}
}  // namespace

const FunctionCallExpr* ExpressionCompiler::FindTableFunctionCall(const Expression& expr) const {
  return FindTableCall(expr, registry_);
}

Result<CompiledExpression> ExpressionCompiler::CompileWithTableFunctionSlot(
    const Expression& expr, const FunctionCallExpr& call, int row_index, TypePtr element_type,
    const ColumnScope& scope) const {
  Compiler c(registry_, custom_types_, scope);
  c.SetTableFunctionSlot(&call, row_index, std::move(element_type));
  return Finish(c, c.Compile(expr));
}

Result<CompiledTableFunction> ExpressionCompiler::CompileTableFunction(
    const FunctionCallExpr& call, const ColumnScope& scope) const {
  Compiler c(registry_, custom_types_, scope);
  auto b = c.Bind(call, true);
  if (!b.ok()) return b.status();
  std::shared_ptr<BoundCall> bc = b.value();
  CompiledTableFunction out;
  out.element_type = bc->return_type;
  out.lambda_slots = c.slots();
  const size_t nargs = bc->args.size();
  out.eval = [bc, nargs](EvalContext& ctx) -> std::vector<Value> {
    ArgFrame frame(nargs);
    std::vector<Value>& args = frame.args();
    for (size_t i = 0; i < nargs; ++i) {
      if (bc->is_lambda[i]) {
        args[i] = Value();
        continue;
      }
      args[i] = bc->args[i](ctx);
      if (bc->null_short && args[i].IsNull()) return {};
    }
    std::string err;
    std::vector<Value> r;
    {
      CtxScope scope(&ctx);
      r = bc->overload->table_impl(args, bc->cc, &err);
    }
    if (!err.empty()) ctx.ReportError(err);
    return r;
  };
  return out;
}

}  // namespace sluice
