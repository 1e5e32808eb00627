#pragma once
// AstBuilder: walks an ANTLR parse tree of grammar/SqlBase.g4 and builds Sluice's AST.
// Private to engine/parser: only parser.cpp includes it (it pulls in generated headers).
#include <string>

#include "SqlBaseParser.h"
#include "engine/common/status.h"
#include "engine/parser/statement.h"

namespace sluice {

class AstBuilder {
 public:
  // Positions are shifted by `origin` so that they refer to the whole script, not the
  // statement's own text.
  explicit AstBuilder(SourcePos origin) : origin_(origin) {}

  // Semantic errors found while building (bad numeric literal, bad DECIMAL precision...) are
  // thrown as BuildError and turned into a Status by the caller.
  struct BuildError {
    SourcePos pos;
    std::string message;
    // ksqlDB raises this one as a positioned ParsingException while preparing the statement:
    // its message reads "Failed to prepare statement: line L:C: ..." (see ToStatus).
    bool positioned_prepare_error = false;
    // ... or as a plain KsqlException while preparing it: "Failed to prepare statement: ..."
    // with no position (e.g. LIMIT 2.5).
    bool unpositioned_prepare_error = false;

    Status ToStatus() const;
  };

  StatementPtr BuildStatement(sluicegen::SqlBaseParser::StatementContext* ctx);
  ExprPtr BuildExpression(sluicegen::SqlBaseParser::ExpressionContext* ctx);

 private:
  using P = sluicegen::SqlBaseParser;

  SourcePos Pos(antlr4::ParserRuleContext* ctx) const;
  SourcePos Pos(antlr4::Token* token) const;
  template <typename T>
  std::shared_ptr<T> Make(antlr4::ParserRuleContext* ctx) {
    auto node = std::make_shared<T>();
    node->pos = Pos(ctx);
    return node;
  }

  // Statements.
  std::shared_ptr<Query> BuildQuery(P::QueryContext* ctx);
  StatementPtr BuildList(P::StatementContext* ctx, StatementKind kind, bool extended);
  StatementPtr BuildCreateSource(P::StatementContext* ctx, SourceKind kind, bool or_replace,
                                 bool source, bool if_not_exists, P::SourceNameContext* name,
                                 P::TableElementsContext* elements,
                                 P::TablePropertiesContext* props);
  StatementPtr BuildCreateAs(P::StatementContext* ctx, SourceKind kind, bool or_replace,
                             bool if_not_exists, P::SourceNameContext* name,
                             P::TablePropertiesContext* props, P::QueryContext* query);
  StatementPtr BuildNamed(P::StatementContext* ctx, StatementKind kind, P::IdentifierContext* id,
                          bool all, bool if_exists);
  StatementPtr BuildAssert(P::StatementContext* ctx, StatementKind kind, bool not_exists,
                           P::IdentifierContext* id, antlr4::tree::TerminalNode* str,
                           P::TablePropertiesContext* props, P::TimeoutContext* timeout);
  Properties BuildProperties(P::TablePropertiesContext* ctx);
  TableElement BuildTableElement(P::TableElementContext* ctx);
  SelectItem BuildSelectItem(P::SelectItemContext* ctx);
  AliasedSource BuildAliasedRelation(P::AliasedRelationContext* ctx);
  JoinClause BuildJoin(P::JoinedSourceContext* ctx);
  WindowSpec BuildWindow(P::WindowExpressionContext* ctx);
  Duration BuildDuration(P::NumberContext* number, P::WindowUnitContext* unit);

  // Expressions.
  ExprPtr BuildBoolean(P::BooleanExpressionContext* ctx);
  ExprPtr BuildPredicated(P::PredicatedContext* ctx);
  ExprPtr BuildValue(P::ValueExpressionContext* ctx);
  ExprPtr BuildPrimary(P::PrimaryExpressionContext* ctx);
  ExprPtr BuildFunctionCall(P::FunctionCallContext* ctx);
  ExprPtr BuildLambda(P::LambdaFunctionContext* ctx);
  ExprPtr TimeUnitArgument(P::FunctionArgumentContext* arg);
  std::shared_ptr<LiteralExpr> BuildLiteral(P::LiteralContext* ctx);
  std::shared_ptr<LiteralExpr> BuildNumber(P::NumberContext* ctx);
  TypeSpecPtr BuildType(P::TypeContext* ctx);

  std::string Identifier(P::IdentifierContext* ctx);
  int64_t Integer(P::NumberContext* ctx);
  static std::string UnquoteString(const std::string& quoted);

  SourcePos origin_;
};

}  // namespace sluice
