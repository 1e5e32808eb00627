// The expression compiler's public entry points (expression_compiler.h): TYPE specs resolved
// to SqlTypes, and ExpressionCompiler's Compile, TypeOf and table-function entry points, each
// running one expr_compiler::Compiler (engine/expr/compiler/) and wrapping its result.
#include "engine/expr/expression_compiler.h"

#include <memory>
#include <utility>

#include "engine/expr/compiler/compiler_internal.h"

namespace sluice {

using expr_compiler::BoundCall;
using expr_compiler::Compiler;

namespace {

// The SqlType of a primitive TYPE spec; nullptr for a kind that is not primitive.
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

// The evaluator handed out: an aborted evaluation (a NULL operand of arithmetic, as ksqlDB's
// generated code throws on) makes the whole expression NULL.
Result<CompiledExpression> Finish(const Compiler& c, Result<expr_compiler::Node> n) {
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

}  // namespace

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

const FunctionCallExpr* ExpressionCompiler::FindTableFunctionCall(const Expression& expr) const {
  return expr_compiler::FindTableCall(expr, registry_);
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
  out.eval = expr_compiler::TableFunctionEvaluator(std::move(bc));
  return out;
}

}  // namespace sluice
