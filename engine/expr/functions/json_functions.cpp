#include "engine/expr/function_registry.h"

namespace sluice {

void RegisterJsonFunctions(FunctionRegistry& r) {}

}  // namespace sluice
