#include "engine/expr/function_registry.h"

namespace sluice {

void RegisterStringFunctions(FunctionRegistry& r) {}

}  // namespace sluice
