#include "engine/expr/function_registry.h"

namespace sluice {

void RegisterDateTimeFunctions(FunctionRegistry& r) {}

}  // namespace sluice
