#include "engine/expr/function_catalog.h"

#include <cctype>

#include "engine/common/ascii.h"

namespace sluice {

namespace {

std::string TrimSpaces(const std::string& s) {
  size_t b = s.find_first_not_of(' '), e = s.find_last_not_of(' ');
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// Splits "a STRING, b MAP<STRING, INT>" on top-level commas.
std::vector<std::string> SplitParams(const std::string& params) {
  std::vector<std::string> out;
  int depth = 0;
  std::string cur;
  for (char c : params) {
    if (c == '<' || c == '(') ++depth;
    if (c == '>' || c == ')') --depth;
    if (c == ',' && depth == 0) {
      out.push_back(TrimSpaces(cur));
      cur.clear();
      continue;
    }
    cur += c;
  }
  if (!TrimSpaces(cur).empty()) out.push_back(TrimSpaces(cur));
  return out;
}

// One overload from its signature, "NAME(x INT, y STRING...) => RESULT".
nlohmann::json DescribeOverload(const FunctionOverload& o, const std::string& description) {
  nlohmann::json f;
  const std::string& sig = o.signature;
  const size_t open = sig.find('('), arrow = sig.rfind("=>");
  const size_t close = arrow == std::string::npos ? sig.rfind(')') : sig.rfind(')', arrow);
  nlohmann::json args = nlohmann::json::array(), arg_types = nlohmann::json::array();
  if (open != std::string::npos && close != std::string::npos && close > open) {
    for (const std::string& p : SplitParams(sig.substr(open + 1, close - open - 1))) {
      std::string name = p, type;
      const size_t space = p.find(' ');
      if (space != std::string::npos) {
        name = p.substr(0, space);
        type = TrimSpaces(p.substr(space + 1));
      }
      const bool variadic = type.size() > 3 && type.compare(type.size() - 3, 3, "...") == 0;
      if (variadic) type.resize(type.size() - 3);
      if (p == "...") {
        name = "";
        type = "...";
      }
      args.push_back({{"name", name}, {"type", type}, {"description", ""}, {"isVariadic", variadic}});
      arg_types.push_back(type);
    }
  }
  f["arguments"] = args;
  f["argumentTypes"] = arg_types;
  f["returnType"] = arrow == std::string::npos ? "" : TrimSpaces(sig.substr(arrow + 2));
  f["description"] = description;
  return f;
}

const char* FunctionType(const FunctionInfo& info) {
  if (info.is_aggregate) return "AGGREGATE";
  return info.is_table_function ? "TABLE" : "SCALAR";
}

}  // namespace

nlohmann::json ListFunctionsEntity(const FunctionRegistry& registry, const std::string& statement_text) {
  nlohmann::json functions = nlohmann::json::array();
  for (const auto& [name, info] : registry.All())
    functions.push_back({{"name", name},
                         {"category", info.category},
                         {"type", FunctionType(info)}});
  return {{"@type", "function_names"},
          {"statementText", statement_text},
          {"functions", functions},
          {"warnings", nlohmann::json::array()}};
}

Result<nlohmann::json> DescribeFunctionEntity(const FunctionRegistry& registry, const std::string& name,
                                              const std::string& statement_text) {
  const std::string upper = AsciiUpper(name);
  const FunctionInfo* info = registry.Find(upper);
  if (!info) return Status::NotFound("Can't find any functions with the name '" + upper + "'");
  nlohmann::json overloads = nlohmann::json::array();
  for (const auto& o : info->overloads) overloads.push_back(DescribeOverload(o, info->description));
  return nlohmann::json{{"@type", "describe_function"},
                        {"statementText", statement_text},
                        {"name", info->name},
                        {"description", info->description},
                        {"author", "Sluice"},
                        {"version", ""},
                        {"path", "internal"},
                        {"functions", overloads},
                        {"type", FunctionType(*info)},
                        {"warnings", nlohmann::json::array()}};
}

}  // namespace sluice
