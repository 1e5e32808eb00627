#include "engine/expr/function_registry.h"

namespace sluice {

void RegisterCollectionFunctions(FunctionRegistry& r) {}

}  // namespace sluice
