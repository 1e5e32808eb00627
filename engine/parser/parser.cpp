#include "engine/parser/parser.h"

#include <cctype>

#include "engine/common/ascii.h"
#include "SqlBaseLexer.h"
#include "SqlBaseParser.h"
#include "antlr4-runtime.h"
#include "engine/parser/ast_builder.h"

namespace sluice {

namespace {

using sluicegen::SqlBaseLexer;
using sluicegen::SqlBaseParser;

// Feeds the lexer upper-cased characters so keywords match in any case, while token text
// (taken from the underlying buffer) keeps the user's spelling.
class CaseInsensitiveStream : public antlr4::ANTLRInputStream {
 public:
  explicit CaseInsensitiveStream(const std::string& text) : antlr4::ANTLRInputStream(text) {}
  size_t LA(ssize_t i) override {
    size_t c = antlr4::ANTLRInputStream::LA(i);
    if (c >= 'a' && c <= 'z') return c - 'a' + 'A';
    return c;
  }
};

std::string TokenDisplay(antlr4::Token* t) {
  if (t->getType() == antlr4::Token::EOF) return "<EOF>";
  std::string text = t->getText();
  for (auto& c : text)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  return text.size() > 40 ? text.substr(0, 37) + "..." : text;
}

// Records the first syntax error with ksqlDB's shape: "line L:C: Syntax Error\n<detail>", the
// detail worded as ksqlDB's parser words it over ANTLR's default error strategy:
//   no viable alternative  -> "Syntax error at or near 'X' at line L:C"
//   mismatched input       -> "Expecting {A, B}" (ANTLR's rendering of the expected tokens)
//   missing / extra tokens -> ANTLR's own text, e.g. "missing ')' at ','"
//   a statement that does not start with a statement keyword -> "Unknown statement 'X'".
class ErrorCollector : public antlr4::BaseErrorListener {
 public:
  ErrorCollector(SourcePos origin, const antlr4::dfa::Vocabulary& vocab)
      : origin_(origin), vocab_(vocab) {}

  void syntaxError(antlr4::Recognizer* recognizer, antlr4::Token* offending, size_t line,
                   size_t col, const std::string& msg, std::exception_ptr e) override {
    if (failed_) return;
    failed_ = true;
    pos_.line = static_cast<int>(line) + origin_.line - 1;
    pos_.column = static_cast<int>(col) + 1 + (line == 1 ? origin_.column - 1 : 0);
    detail_ = Describe(recognizer, offending, msg, e);
  }

  bool failed() const { return failed_; }
  Status ToStatus() const {
    return Status::SyntaxError("line " + std::to_string(pos_.line) + ":" +
                               std::to_string(pos_.column) + ": Syntax Error\n" + detail_);
  }

 private:
  std::string Describe(antlr4::Recognizer* recognizer, antlr4::Token* offending,
                       const std::string& msg, std::exception_ptr e) const {
    auto* parser = dynamic_cast<antlr4::Parser*>(recognizer);
    if (!parser || !offending) return msg;  // lexer errors: ANTLR's text, as in ksqlDB
    if (offending->getTokenIndex() == FirstTokenIndex(parser) &&
        parser->getContext()->getRuleIndex() == SqlBaseParser::RuleStatement)
      return "Unknown statement '" + TokenDisplay(offending) + "'";
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const antlr4::NoViableAltException&) {
        return "Syntax error at or near '" + TokenDisplay(offending) + "' at line " +
               std::to_string(pos_.line) + ":" + std::to_string(pos_.column);
      } catch (const antlr4::InputMismatchException& mismatch) {
        return "Expecting " + mismatch.getExpectedTokens().toString(vocab_);
      } catch (...) {
      }
    }
    return msg;
  }

  static size_t FirstTokenIndex(antlr4::Parser* parser) {
    auto* stream = parser->getTokenStream();
    for (size_t i = 0; i < stream->size(); ++i)
      if (stream->get(i)->getChannel() == antlr4::Token::DEFAULT_CHANNEL) return i;
    return 0;
  }

  SourcePos origin_;
  const antlr4::dfa::Vocabulary& vocab_;
  bool failed_ = false;
  SourcePos pos_;
  std::string detail_;
};

// Everything ANTLR needs for one parse, kept alive together.
struct ParseSession {
  explicit ParseSession(const std::string& text, SourcePos origin)
      : input(text), lexer(&input), tokens(&lexer), parser(&tokens),
        errors(origin, parser.getVocabulary()) {
    lexer.removeErrorListeners();
    parser.removeErrorListeners();
    lexer.addErrorListener(&errors);
    parser.addErrorListener(&errors);
    // SLL first: much faster, and exact whenever it succeeds; LL only on failure.
    parser.getInterpreter<antlr4::atn::ParserATNSimulator>()->setPredictionMode(
        antlr4::atn::PredictionMode::SLL);
  }
  CaseInsensitiveStream input;
  SqlBaseLexer lexer;
  antlr4::CommonTokenStream tokens;
  SqlBaseParser parser;
  ErrorCollector errors;
};

template <typename Ctx, typename Fn>
Ctx* ParseTwoStage(ParseSession& s, Fn rule) {
  s.parser.setErrorHandler(std::make_shared<antlr4::BailErrorStrategy>());
  s.parser.removeErrorListeners();
  try {
    return (s.parser.*rule)();
  } catch (antlr4::ParseCancellationException&) {
  }
  s.tokens.seek(0);
  s.parser.reset();
  s.parser.setErrorHandler(std::make_shared<antlr4::DefaultErrorStrategy>());
  s.parser.addErrorListener(&s.errors);
  s.parser.getInterpreter<antlr4::atn::ParserATNSimulator>()->setPredictionMode(
      antlr4::atn::PredictionMode::LL);
  return (s.parser.*rule)();
}

// ANTLR's input stream throws on malformed UTF-8. Statements are checked first: the first bad
// byte is reported at its position; the splitter works on a copy in which each bad byte is
// '?', so byte offsets (and so the statements it cuts) stay those of the original text.
size_t Utf8SequenceLength(const std::string& s, size_t i) {
  const auto b = static_cast<unsigned char>(s[i]);
  size_t len = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 0;
  if (len == 0 || i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k)
    if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return 0;
  if (len == 2 && b < 0xC2) return 0;  // overlong
  return len;
}

size_t FirstInvalidUtf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    const size_t len = Utf8SequenceLength(s, i);
    if (len == 0) return i;
    i += len;
  }
  return std::string::npos;
}

std::string ReplaceInvalidUtf8(std::string s) {
  for (size_t i = 0; i < s.size();) {
    const size_t len = Utf8SequenceLength(s, i);
    if (len == 0) {
      s[i++] = '?';
      continue;
    }
    i += len;
  }
  return s;
}

Status InvalidUtf8Error(const std::string& text, size_t offset, SourcePos origin) {
  int line = 1, column = 1;
  for (size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else if ((static_cast<unsigned char>(text[i]) >> 6) != 0x2) {
      ++column;
    }
  }
  if (line == 1) column += origin.column - 1;
  char byte[8];
  std::snprintf(byte, sizeof byte, "0x%02X", static_cast<unsigned char>(text[offset]));
  return Status::SyntaxError("line " + std::to_string(line + origin.line - 1) + ":" +
                             std::to_string(column) + ": Syntax Error\ninvalid UTF-8 byte " + byte);
}

SourcePos Origin(const RawStatement& raw) {
  SourcePos origin = raw.pos;
  if (origin.line == 0) origin = {1, 1};
  return origin;
}

}  // namespace

std::vector<RawStatement> SplitStatements(const std::string& original) {
  const std::string script = ReplaceInvalidUtf8(original);
  // Token indexes count code points; statements are cut from the original bytes.
  std::vector<size_t> byte_at;
  for (size_t i = 0; i < script.size(); i += Utf8SequenceLength(script, i)) byte_at.push_back(i);
  byte_at.push_back(script.size());
  auto cut = [&](size_t first, size_t last) {
    return original.substr(byte_at[first], byte_at[last + 1] - byte_at[first]);
  };
  CaseInsensitiveStream input(script);
  SqlBaseLexer lexer(&input);
  lexer.removeErrorListeners();
  std::vector<RawStatement> out;
  ssize_t start = -1;  // char index of the current statement's first token
  SourcePos start_pos;
  for (auto token = lexer.nextToken(); token->getType() != antlr4::Token::EOF;
       token = lexer.nextToken()) {
    if (token->getChannel() != antlr4::Token::DEFAULT_CHANNEL) continue;
    if (start < 0) {
      start = static_cast<ssize_t>(token->getStartIndex());
      start_pos = {static_cast<int>(token->getLine()),
                   static_cast<int>(token->getCharPositionInLine()) + 1};
    }
    if (token->getType() == SqlBaseLexer::SEMICOLON) {
      out.push_back({cut(start, token->getStopIndex()), start_pos});
      start = -1;
    }
  }
  if (start >= 0) {
    out.push_back({cut(start, byte_at.size() - 2), start_pos});
    // Trim trailing whitespace of an unterminated last statement.
    auto& t = out.back().text;
    while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.pop_back();
  }
  return out;
}

Result<std::string> SubstituteVariables(const std::string& text, const VariableMap& vars) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '{') {
      size_t end = text.find('}', i + 2);
      if (end != std::string::npos) {
        const std::string name = AsciiUpper(text.substr(i + 2, end - i - 2));
        auto it = vars.find(name);
        if (it == vars.end()) return Status::InvalidArgument("Variable '" + name + "' is not defined");
        out += it->second;
        i = end;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

Result<StatementPtr> ParseStatement(const RawStatement& raw, const VariableMap* vars) {
  std::string text = raw.text;
  if (vars && text.find("${") != std::string::npos) {
    auto substituted = SubstituteVariables(text, *vars);
    if (!substituted.ok()) return substituted.status();
    text = *substituted;
  }
  const SourcePos origin = Origin(raw);
  if (size_t bad = FirstInvalidUtf8(text); bad != std::string::npos) return InvalidUtf8Error(text, bad, origin);
  ParseSession session(text, origin);
  auto* tree = ParseTwoStage<SqlBaseParser::SingleStatementContext>(
      session, &SqlBaseParser::singleStatement);
  if (session.errors.failed()) return session.errors.ToStatus();
  try {
    AstBuilder builder(origin);
    StatementPtr stmt = builder.BuildStatement(tree->statement());
    stmt->text = text;
    return stmt;
  } catch (const AstBuilder::BuildError& e) {
    return e.ToStatus();
  }
}

Result<StatementPtr> ParseSingleStatement(const std::string& sql, const VariableMap* vars) {
  auto raws = SplitStatements(sql);
  if (raws.empty()) return Status::SyntaxError("line 1:1: Syntax Error\nEmpty statement");
  if (raws.size() > 1)
    return Status::SyntaxError("line " + std::to_string(raws[1].pos.line) + ":" +
                               std::to_string(raws[1].pos.column) +
                               ": Expected exactly one statement, found " +
                               std::to_string(raws.size()));
  return ParseStatement(raws[0], vars);
}

Result<ExprPtr> ParseExpression(const std::string& text) {
  if (size_t bad = FirstInvalidUtf8(text); bad != std::string::npos) return InvalidUtf8Error(text, bad, {1, 1});
  ParseSession session(text, {1, 1});
  auto* tree = ParseTwoStage<SqlBaseParser::SingleExpressionContext>(
      session, &SqlBaseParser::singleExpression);
  if (session.errors.failed()) return session.errors.ToStatus();
  try {
    AstBuilder builder({1, 1});
    return builder.BuildExpression(tree->expression());
  } catch (const AstBuilder::BuildError& e) {
    return e.ToStatus();
  }
}

}  // namespace sluice
