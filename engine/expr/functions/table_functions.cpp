// Table functions: EXPLODE, CUBE_EXPLODE.
#include "engine/expr/function_registry.h"
#include "engine/expr/functions/function_util.h"

namespace sluice {
namespace {

using fnutil::Args;
using fnutil::Types;

FunctionOverload TableOverload(std::string signature, fnutil::ResolveFn resolve, TableImpl impl) {
  FunctionOverload o;
  o.signature = std::move(signature);
  o.min_args = o.max_args = 1;
  o.resolve = std::move(resolve);
  o.null_policy = NullPolicy::kCustom;
  o.table_impl = std::move(impl);
  return o;
}

FunctionInfo TableInfo(std::string name, std::string description, std::vector<FunctionOverload> ov) {
  FunctionInfo info = fnutil::Info(std::move(name), "TABLE", std::move(description), std::move(ov));
  info.is_table_function = true;
  return info;
}

}  // namespace

void RegisterTableFunctions(FunctionRegistry& r) {
  r.Add(TableInfo(
      "EXPLODE", "Emits one row per element of an array (none for a NULL or empty array).",
      {TableOverload("EXPLODE(a ARRAY<T>) => T",
                     [](const Types& t) -> TypePtr {
                       return fnutil::Is(t[0], TypeKind::kArray) ? t[0]->element : nullptr;
                     },
                     [](const Args& a, const CallContext&, std::string*) -> std::vector<Value> {
                       if (a[0].IsNull()) return {};
                       return a[0].AsArray();
                     })}));

  r.Add(TableInfo(
      "CUBE_EXPLODE",
      "Emits every combination of an array's elements with the others replaced by NULL (2^n rows; combinations that differ only in NULL elements are emitted once).",
      {TableOverload("CUBE_EXPLODE(a ARRAY<T>) => ARRAY<T>",
                     [](const Types& t) -> TypePtr {
                       return fnutil::Is(t[0], TypeKind::kArray) ? t[0] : nullptr;
                     },
                     [](const Args& a, const CallContext&, std::string* err) -> std::vector<Value> {
                       if (a[0].IsNull()) return {};
                       const ArrayValue& in = a[0].AsArray();
                       const size_t n = in.size();
                       if (n > 20) {
                         if (err) *err = "CUBE_EXPLODE supports at most 20 elements";
                         return {};
                       }
                       uint32_t null_mask = 0;  // bit (n-1-i) set when element i is NULL
                       for (size_t i = 0; i < n; ++i)
                         if (in[i].IsNull()) null_mask |= 1u << (n - 1 - i);
                       std::vector<Value> out;
                       for (uint32_t mask = 0; mask < (1u << n); ++mask) {
                         if (mask & null_mask) continue;  // same row as with the NULL excluded
                         ArrayValue row(n);
                         for (size_t i = 0; i < n; ++i)
                           if (mask & (1u << (n - 1 - i))) row[i] = in[i];
                         out.push_back(Value::Array(std::move(row)));
                       }
                       return out;
                     })}));
}

}  // namespace sluice
