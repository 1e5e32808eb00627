#pragma once
// The parser's public face: SQL text in, AST out. Nothing here exposes ANTLR.
//
//   SplitStatements  cuts a script into statements on top-level semicolons (strings, quoted
//                    identifiers and comments are respected) with each one's position;
//   ParseStatement   parses one statement, after substituting ${variables};
//   ParseExpression  parses a standalone expression (tests, tools).
// Errors come back as Status::SyntaxError with ksqlDB's form:
//   "line 1:15: Syntax Error\nmismatched input 'FROMM' expecting {',', 'FROM'}"
// where line:column are 1-based positions in the original script.
#include <map>
#include <string>
#include <vector>

#include "engine/common/status.h"
#include "engine/parser/statement.h"

namespace sluice {

struct RawStatement {
  std::string text;  // from its first token up to and including the ';' (if any)
  SourcePos pos;     // position of the first token in the script
};

using VariableMap = std::map<std::string, std::string>;  // upper-cased name -> value

// Never fails: text that cannot be tokenized still ends up in a statement whose parse will
// report the error at the right position.
std::vector<RawStatement> SplitStatements(const std::string& script);

// Parses one statement. `vars` (may be null) substitutes ${name} before parsing; an undefined
// variable is an error.
Result<StatementPtr> ParseStatement(const RawStatement& raw, const VariableMap* vars = nullptr);

// Convenience: exactly one statement from text (the trailing ';' is optional).
Result<StatementPtr> ParseSingleStatement(const std::string& sql, const VariableMap* vars = nullptr);

Result<ExprPtr> ParseExpression(const std::string& text);

// Substitutes ${name} references (names are case-insensitive).
Result<std::string> SubstituteVariables(const std::string& text, const VariableMap& vars);

}  // namespace sluice
