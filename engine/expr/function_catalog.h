#pragma once
// SHOW FUNCTIONS and DESCRIBE FUNCTION, read from the one function registry, as ksqlDB's REST
// API returns them (entities "function_names" and "describe_function"), so the REST layer
// and the CLI print what the registry holds and nothing else.
#include <nlohmann/json.hpp>
#include <string>

#include "engine/common/status.h"
#include "engine/expr/function_registry.h"

namespace sluice {

nlohmann::json ListFunctionsEntity(const FunctionRegistry& registry, const std::string& statement_text);

// NotFound for an unknown name (ksqlDB: "Can't find any functions with the name 'X'").
Result<nlohmann::json> DescribeFunctionEntity(const FunctionRegistry& registry, const std::string& name,
                                              const std::string& statement_text);

}  // namespace sluice
