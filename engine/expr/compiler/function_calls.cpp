// Function calls: binding a call to an overload (lambda arguments compiled per candidate
// overload), and the evaluators of scalar and table function calls.
//
// Per-evaluation scratch that cannot live in the closures (they may run on several threads):
//   - function argument vectors: a thread_local pool used as a stack (nested calls and lambda
//     bodies take deeper entries);
//   - the current EvalContext for compiled lambdas (LambdaFn has no context parameter): a
//     thread_local pointer set around each function implementation call.
// Both stay local to this file so every access is a plain same-TU thread_local access.
#include <algorithm>
#include <cctype>
#include <deque>
#include <optional>

#include "engine/expr/compiler/compiler_internal.h"

namespace sluice::expr_compiler {

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

// ---- binding steps ----------------------------------------------------------------------------

// Whether `ov` can take `call`'s arguments by count and kind (scalar or table) and has its
// lambda arguments exactly where the call has them.
bool OverloadFitsShape(const FunctionOverload& ov, const FunctionCallExpr& call, bool table) {
  const int n = static_cast<int>(call.args.size());
  if (n < ov.min_args || (ov.max_args >= 0 && n > ov.max_args)) return false;
  if (table ? !ov.table_impl : !ov.impl) return false;
  for (int i = 0; i < n; ++i) {
    bool wants = std::find(ov.lambda_args.begin(), ov.lambda_args.end(), i) != ov.lambda_args.end();
    if (wants != (call.args[i]->kind == ExprKind::kLambda)) return false;
  }
  return true;
}

// The call bound to `ov`: argument evaluators (moved out of `args`), types and lambdas, and the
// CallContext the implementation reads.
std::shared_ptr<BoundCall> MakeBoundCall(const FunctionOverload& ov, const FunctionCallExpr& call,
                                         std::vector<std::optional<Node>>& args,
                                         std::vector<TypePtr> types, std::vector<LambdaFn> lambdas,
                                         TypePtr ret) {
  const size_t n = call.args.size();
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

// ksqlDB names a built-in function in its errors as the function declares itself: in
// lower case.
std::string DeclaredName(const std::string& name) {
  std::string out = name;
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string ArgumentTypes(const FunctionCallExpr& call, const std::vector<TypePtr>& base_types) {
  std::string types;
  for (size_t i = 0; i < call.args.size(); ++i) {
    if (i) types += ", ";
    types += call.args[i]->kind == ExprKind::kLambda ? std::string("LAMBDA")
                                                      : TypeName(base_types[i]);
  }
  return types;
}

// ksqlDB's "does not accept parameters" error, listing the valid signatures.
Status NoMatchingOverload(const FunctionCallExpr& call, const FunctionInfo& info,
                          const std::vector<TypePtr>& base_types) {
  for (const FunctionOverload& ov : info.overloads)
    if (ov.ambiguous && OverloadFitsShape(ov, call, info.is_table_function) &&
        ov.ambiguous(base_types))
      return Status::TypeError("Function '" + DeclaredName(call.name) +
                               "' cannot be resolved due to ambiguous method parameters (" +
                               ArgumentTypes(call, base_types) + ").");
  std::string msg = "Function '" + DeclaredName(call.name) + "' does not accept parameters (" +
                    ArgumentTypes(call, base_types) + ").";
  if (!info.overloads.empty()) {
    msg += "\nValid alternatives are:";
    for (const auto& ov : info.overloads) msg += "\n" + ov.signature;
  }
  return Status::TypeError(msg);
}

// Fills the implementation's argument vector; false when a NULL argument short-circuits the
// call (NullPolicy::kNullOnAnyNull). Lambda positions get NULL: the implementation reads
// them from the CallContext.
bool EvaluateArgs(const BoundCall& bc, EvalContext& ctx, std::vector<Value>& args) {
  for (size_t i = 0; i < args.size(); ++i) {
    if (bc.is_lambda[i]) {
      args[i] = Value();
      continue;
    }
    args[i] = bc.args[i](ctx);
    if (bc.null_short && args[i].IsNull()) return false;
  }
  return true;
}

}  // namespace

// Non-lambda arguments compile once; lambda bodies compile per candidate overload, since
// their parameter types depend on the overload. The first overload that resolves a return
// type wins.
Result<std::shared_ptr<BoundCall>> Compiler::Bind(const FunctionCallExpr& call, bool table) {
  const FunctionInfo* info = registry_.Find(call.name);
  // Aggregates are bound by the analyzer's aggregation step, never as a scalar call.
  if (!info || info->is_aggregate) return Status::NotFound("Can't find any functions with the name '" + call.name + "'");
  if (info->is_table_function != table) {
    if (table) return Status::TypeError(call.name + " is not a table function");
    return Status::TypeError("Table function " + call.name +
                             " can only be used in the SELECT list");
  }
  const size_t n = call.args.size();
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
    if (!OverloadFitsShape(ov, call, table)) continue;
    std::vector<TypePtr> types = base_types;
    std::vector<LambdaFn> lambdas;
    if (any_lambda && !CompileLambdaArgs(call, ov, base_types, &types, &lambdas, &lambda_error))
      continue;
    TypePtr ret = ov.resolve ? ov.resolve(types) : nullptr;
    if (!ret) continue;
    return MakeBoundCall(ov, call, args, std::move(types), std::move(lambdas), ret);
  }
  if (lambda_error) return *lambda_error;
  return NoMatchingOverload(call, *info, base_types);
}

bool Compiler::CompileLambdaArgs(const FunctionCallExpr& call, const FunctionOverload& ov,
                                 const std::vector<TypePtr>& base_types,
                                 std::vector<TypePtr>* types, std::vector<LambdaFn>* lambdas,
                                 std::optional<Status>* error) {
  for (size_t i = 0; i < call.args.size(); ++i) {
    if (call.args[i]->kind != ExprKind::kLambda) continue;
    const auto& lam = static_cast<const LambdaExpr&>(*call.args[i]);
    std::vector<TypePtr> ptypes = ov.lambda_param_types
                                      ? ov.lambda_param_types(base_types, static_cast<int>(i))
                                      : std::vector<TypePtr>();
    if (ptypes.size() != lam.params.size()) return false;
    auto fn = CompileLambda(lam, ptypes, &(*types)[i]);
    if (!fn.ok()) {
      if (!*error) *error = fn.status();
      return false;
    }
    lambdas->push_back(std::move(fn.value()));
  }
  return true;
}

Result<LambdaFn> Compiler::CompileLambda(const LambdaExpr& lam,
                                         const std::vector<TypePtr>& param_types,
                                         TypePtr* body_type) {
  // The slots stay taken even if the body fails to compile: lambda_slots only has to be an
  // upper bound.
  const int first_slot = next_slot_;
  next_slot_ += static_cast<int>(lam.params.size());
  const size_t frames_before = frames_.size();
  for (size_t p = 0; p < lam.params.size(); ++p)
    frames_.push_back(LambdaParam{lam.params[p], first_slot + static_cast<int>(p), param_types[p]});
  auto body = Compile(*lam.body);
  frames_.resize(frames_before);
  if (!body.ok()) return body.status();
  *body_type = body->type;
  const size_t slot = static_cast<size_t>(first_slot);
  const size_t np = lam.params.size();
  return LambdaFn([slot, np, b = std::move(body->eval)](const std::vector<Value>& params) {
    EvalContext& ctx = *tls_ctx;
    if (ctx.lambda_values.size() < slot + np) ctx.lambda_values.resize(slot + np);
    for (size_t k = 0; k < np && k < params.size(); ++k) ctx.lambda_values[slot + k] = params[k];
    return b(ctx);
  });
}

Result<Node> Compiler::FunctionCall(const FunctionCallExpr& e) {
  if (&e == tf_call_) {
    // The flat-map operator stored the table function's current value at row[tf_index_].
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
    if (!EvaluateArgs(*bc, ctx, args)) return Value();
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

std::function<std::vector<Value>(EvalContext&)> TableFunctionEvaluator(
    std::shared_ptr<BoundCall> bc) {
  const size_t nargs = bc->args.size();
  return [bc = std::move(bc), nargs](EvalContext& ctx) -> std::vector<Value> {
    ArgFrame frame(nargs);
    std::vector<Value>& args = frame.args();
    if (!EvaluateArgs(*bc, ctx, args)) return {};
    std::string err;
    std::vector<Value> r;
    {
      CtxScope scope(&ctx);
      r = bc->overload->table_impl(args, bc->cc, &err);
    }
    if (!err.empty()) ctx.ReportError(err);
    return r;
  };
}

}  // namespace sluice::expr_compiler
