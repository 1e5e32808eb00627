#include "server/check_command.h"

#include <cstdio>
#include <fstream>
#include <ostream>
#include <sstream>

#include "engine/parser/parser.h"
#include "engine/executor/engine.h"

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
std::string OneLine(std::string s) {
  for (size_t nl = s.find('\n'); nl != std::string::npos; nl = s.find('\n')) s.replace(nl, 1, " ");
  return s;
}

std::string FirstLine(const std::string& s) { return s.substr(0, s.find('\n')); }

// "Line: 5, Col: 33: SELECT column ..." (ksqlDB's prefix for an error about one expression)
// -> position "5:33" and the rest; otherwise the statement's own position.
void ExpressionPosition(const std::string& message, std::string* position, std::string* rest) {
  int line = 0, col = 0, used = 0;
  if (std::sscanf(message.c_str(), "Line: %d, Col: %d: %n", &line, &col, &used) == 2 && used > 0) {
    *position = std::to_string(line) + ":" + std::to_string(col);
    *rest = message.substr(static_cast<size_t>(used));
  } else {
    *rest = message;
  }
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
  Engine engine({});
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
    if (!options.syntax_only) {
      // Validate against the statements before it: the engine accepts it or says why not.
      // Nothing reaches Kafka; the engine here has in-memory topics only. Stateful queries
      // (GROUP BY, windows, joins) are planned and their tasks built like any other; only what
      // the engine still answers NotSupported (pull/push queries, connectors, ASSERT, PRINT,
      // schema-registry formats) is reported "not validated".
      Status s = engine.ExecuteStatement(stmt);
      if (s.code() == Status::Code::kNotSupported) {
        out << "OK " << raw.pos.line << " (not validated: " << FirstLine(s.message()) << ")\n";
        ++ok;
        continue;
      }
      if (!s.ok()) {
        std::string position = std::to_string(raw.pos.line) + ":" + std::to_string(raw.pos.column);
        std::string message;
        ExpressionPosition(s.message(), &position, &message);
        out << "ERROR " << position << " " << OneLine(message) << "\n";
        ++failed;
        continue;
      }
    }
    out << "OK " << raw.pos.line << "\n";
    ++ok;
  }
  out << ok << " statements OK, " << failed << " with errors\n";
  return failed == 0 ? 0 : 1;
}

}  // namespace sluice
