#include "server/check_command.h"

#include <fstream>
#include <ostream>
#include <sstream>

#include "engine/parser/parser.h"

namespace sluice {

namespace {
// "line 3:15: Syntax Error\nmismatched ..." -> position "3:15" and the rest on one line.
void SplitPosition(const std::string& message, std::string* position, std::string* rest) {
  *rest = message;
  if (message.rfind("line ", 0) == 0) {
    size_t colon = message.find(": ");
    if (colon != std::string::npos) {
      *position = message.substr(5, colon - 5);
      *rest = message.substr(colon + 2);
    }
  }
  for (size_t nl = rest->find('\n'); nl != std::string::npos; nl = rest->find('\n'))
    rest->replace(nl, 1, ": ");
}
}  // namespace

int RunCheck(const std::string& path, const CheckOptions& options, std::ostream& out,
             std::ostream& err) {
  std::ifstream in(path);
  if (!in) {
    err << "cannot read " << path << "\n";
    return 2;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();

  VariableMap variables;
  int ok = 0, failed = 0;
  for (const RawStatement& raw : SplitStatements(buffer.str())) {
    auto parsed = ParseStatement(raw, &variables);
    if (!parsed.ok()) {
      std::string position = std::to_string(raw.pos.line) + ":" + std::to_string(raw.pos.column);
      std::string message;
      SplitPosition(parsed.status().message(), &position, &message);
      out << "ERROR " << position << " " << message << "\n";
      ++failed;
      continue;
    }
    // Variables apply to the statements after their DEFINE, as in a ksqlDB session.
    const Statement& stmt = **parsed;
    if (stmt.kind == StatementKind::kDefineVariable) {
      auto& def = static_cast<const PropertyStatement&>(stmt);
      variables[def.name] = def.value;
    } else if (stmt.kind == StatementKind::kUndefineVariable) {
      variables.erase(static_cast<const NamedStatement&>(stmt).name);
    }
    (void)options;  // full validation arrives with the analyzer; today every check is syntax
    out << "OK " << raw.pos.line << "\n";
    ++ok;
  }
  out << ok << " statements OK, " << failed << " with errors\n";
  return failed == 0 ? 0 : 1;
}

}  // namespace sluice
