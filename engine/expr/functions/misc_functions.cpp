#include "engine/expr/function_registry.h"

namespace sluice {

void RegisterMiscFunctions(FunctionRegistry& r) {}

}  // namespace sluice
