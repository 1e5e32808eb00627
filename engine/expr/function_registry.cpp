#include "engine/expr/function_registry.h"

namespace sluice {

const FunctionRegistry& FunctionRegistry::Builtins() {
  static const FunctionRegistry registry = [] {
    FunctionRegistry r;
    RegisterStringFunctions(r);
    RegisterMathFunctions(r);
    RegisterJsonFunctions(r);
    RegisterCollectionFunctions(r);
    RegisterMiscFunctions(r);
    RegisterDateTimeFunctions(r);
    RegisterTableFunctions(r);
    RegisterAggregateFunctions(r);
    return r;
  }();
  return registry;
}

void FunctionRegistry::Add(FunctionInfo info) {
  auto it = functions_.find(info.name);
  if (it == functions_.end()) {
    functions_.emplace(info.name, std::move(info));
    return;
  }
  for (auto& o : info.overloads) it->second.overloads.push_back(std::move(o));
}

const FunctionInfo* FunctionRegistry::Find(const std::string& upper_name) const {
  auto it = functions_.find(upper_name);
  return it == functions_.end() ? nullptr : &it->second;
}

const FunctionOverload* FunctionRegistry::Resolve(const std::string& upper_name,
                                                  const std::vector<TypePtr>& arg_types,
                                                  TypePtr* return_type) const {
  const FunctionInfo* info = Find(upper_name);
  if (!info || info->is_aggregate) return nullptr;
  const int n = static_cast<int>(arg_types.size());
  for (const auto& o : info->overloads) {
    if (n < o.min_args || (o.max_args >= 0 && n > o.max_args)) continue;
    if (TypePtr t = o.resolve(arg_types)) {
      *return_type = t;
      return &o;
    }
  }
  return nullptr;
}

namespace fn {

bool Accepts(TypeKind wanted, const TypePtr& actual) {
  if (!actual) return true;
  if (actual->kind == wanted) return true;
  switch (wanted) {
    case TypeKind::kBigint: return actual->kind == TypeKind::kInteger;
    case TypeKind::kDecimal:
      return actual->kind == TypeKind::kInteger || actual->kind == TypeKind::kBigint;
    case TypeKind::kDouble:
      return actual->kind == TypeKind::kInteger || actual->kind == TypeKind::kBigint ||
             actual->kind == TypeKind::kDecimal;
    default: return false;
  }
}

FunctionOverload Simple(std::string signature, std::vector<TypeKind> params, TypePtr result,
                        ScalarImpl impl, NullPolicy policy) {
  FunctionOverload o;
  o.signature = std::move(signature);
  o.min_args = o.max_args = static_cast<int>(params.size());
  o.resolve = [params, result](const std::vector<TypePtr>& args) -> TypePtr {
    if (args.size() != params.size()) return nullptr;
    for (size_t i = 0; i < args.size(); ++i)
      if (!Accepts(params[i], args[i])) return nullptr;
    return result;
  };
  o.null_policy = policy;
  o.impl = std::move(impl);
  return o;
}

}  // namespace fn
}  // namespace sluice
