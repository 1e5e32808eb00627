// SHOW FUNCTIONS / DESCRIBE FUNCTION entities come from the registry.
#include <catch2/catch.hpp>

#include "engine/expr/function_catalog.h"

namespace function_catalog_test {  // this file's own names (unity build: tests/README.md)

using namespace sluice;

TEST_CASE("SHOW FUNCTIONS lists every registered function with its category", "[catalog]") {
  const auto& registry = FunctionRegistry::Builtins();
  auto entity = ListFunctionsEntity(registry, "SHOW FUNCTIONS;");
  CHECK(entity["@type"] == "function_names");
  REQUIRE(entity["functions"].size() == registry.All().size());
  bool saw_explode = false, saw_ucase = false;
  for (const auto& f : entity["functions"]) {
    CHECK_FALSE(f["category"].get<std::string>().empty());
    if (f["name"] == "EXPLODE") saw_explode = f["type"] == "TABLE";
    if (f["name"] == "UCASE") saw_ucase = f["type"] == "SCALAR";
  }
  CHECK(saw_explode);
  CHECK(saw_ucase);
}

TEST_CASE("DESCRIBE FUNCTION shows each overload's arguments and result", "[catalog]") {
  auto entity = DescribeFunctionEntity(FunctionRegistry::Builtins(), "substring", "DESCRIBE FUNCTION substring;");
  REQUIRE(entity.ok());
  const auto& e = *entity;
  CHECK(e["@type"] == "describe_function");
  CHECK(e["name"] == "SUBSTRING");
  CHECK_FALSE(e["description"].get<std::string>().empty());
  REQUIRE(e["functions"].size() >= 2);
  bool two_args = false;
  for (const auto& f : e["functions"])
    if (f["arguments"].size() == 2 && f["returnType"] == "STRING" && f["argumentTypes"][0] == "STRING") two_args = true;
  CHECK(two_args);

  auto missing = DescribeFunctionEntity(FunctionRegistry::Builtins(), "nope", "DESCRIBE FUNCTION nope;");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().message() == "Can't find any functions with the name 'NOPE'");
}

}  // namespace function_catalog_test
