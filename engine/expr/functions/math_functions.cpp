#include "engine/expr/function_registry.h"

namespace sluice {

void RegisterMathFunctions(FunctionRegistry& r) {}

}  // namespace sluice
