#include "engine/expr/function_registry.h"

namespace sluice {

void RegisterTableFunctions(FunctionRegistry& r) {}

}  // namespace sluice
