#include "engine/parser/ast_builder.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>

#include "engine/common/ascii.h"

namespace sluice {

Status AstBuilder::BuildError::ToStatus() const {
  if (unpositioned_prepare_error) return Status::SyntaxError("Failed to prepare statement: " + message);
  if (!positioned_prepare_error)
    return Status::SyntaxError("line " + std::to_string(pos.line) + ":" +
                               std::to_string(pos.column) + ": " + message);
  // ksqlDB builds these from a node location whose column is already 1-based and adds one
  // again when printing it: its messages point one column to the right, and clients that
  // match them see that column.
  return Status::SyntaxError("Failed to prepare statement: line " + std::to_string(pos.line) +
                             ":" + std::to_string(pos.column + 1) + ": " + message);
}

namespace {
// Unescapes a quoted identifier or string: strips the delimiters, doubled ones become one.
std::string Unquote(const std::string& text, char quote) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 1; i + 1 < text.size(); ++i) {
    out.push_back(text[i]);
    if (text[i] == quote && text[i + 1] == quote) ++i;
  }
  return out;
}
}  // namespace

SourcePos AstBuilder::Pos(antlr4::Token* t) const {
  SourcePos p;
  p.line = static_cast<int>(t->getLine()) + origin_.line - 1;
  p.column = static_cast<int>(t->getCharPositionInLine()) + 1;
  if (t->getLine() == 1) p.column += origin_.column - 1;
  return p;
}

SourcePos AstBuilder::Pos(antlr4::ParserRuleContext* ctx) const { return Pos(ctx->getStart()); }

std::string AstBuilder::UnquoteString(const std::string& quoted) { return Unquote(quoted, '\''); }

std::string AstBuilder::Identifier(P::IdentifierContext* ctx) {
  const std::string text = ctx->getText();
  if (dynamic_cast<P::QuotedIdentifierAlternativeContext*>(ctx)) return Unquote(text, '"');
  if (dynamic_cast<P::BackQuotedIdentifierContext*>(ctx)) return Unquote(text, '`');
  if (dynamic_cast<P::VariableIdentifierContext*>(ctx))
    throw BuildError{Pos(ctx), "Variable " + text + " is not defined"};
  return AsciiUpper(text);
}

int64_t AstBuilder::Integer(P::NumberContext* ctx) {
  auto lit = BuildNumber(ctx);
  if (!lit->value.IsInt() && !lit->value.IsBigint())
    throw BuildError{Pos(ctx), "Expected an integer, found '" + ctx->getText() + "'"};
  return lit->value.ToInt64();
}

// ---- statements ------------------------------------------------------------------------

StatementPtr AstBuilder::BuildStatement(P::StatementContext* ctx) {
  StatementPtr result;
  if (auto* c = dynamic_cast<P::QueryStatementContext*>(ctx)) {
    auto s = Make<QueryStatement>(ctx);
    s->query = BuildQuery(c->query());
    result = s;
  } else if (dynamic_cast<P::ListPropertiesContext*>(ctx)) {
    result = BuildList(ctx, StatementKind::kListProperties, false);
  } else if (auto* c = dynamic_cast<P::ListTopicsContext*>(ctx)) {
    result = BuildList(ctx, StatementKind::kListTopics, c->EXTENDED() != nullptr);
    std::static_pointer_cast<ListStatement>(result)->all = c->ALL() != nullptr;
  } else if (auto* c = dynamic_cast<P::ListStreamsContext*>(ctx)) {
    result = BuildList(ctx, StatementKind::kListStreams, c->EXTENDED() != nullptr);
  } else if (auto* c = dynamic_cast<P::ListTablesContext*>(ctx)) {
    result = BuildList(ctx, StatementKind::kListTables, c->EXTENDED() != nullptr);
  } else if (dynamic_cast<P::ListFunctionsContext*>(ctx)) {
    result = BuildList(ctx, StatementKind::kListFunctions, false);
  } else if (auto* c = dynamic_cast<P::ListConnectorsContext*>(ctx)) {
    result = BuildList(ctx, StatementKind::kListConnectors, false);
    std::static_pointer_cast<ListStatement>(result)->connector_kind =
        c->SOURCE() ? "SOURCE" : (c->SINK() ? "SINK" : "");
  } else if (dynamic_cast<P::ListConnectorPluginsContext*>(ctx)) {
    result = BuildList(ctx, StatementKind::kListConnectorPlugins, false);
  } else if (dynamic_cast<P::ListTypesContext*>(ctx)) {
    result = BuildList(ctx, StatementKind::kListTypes, false);
  } else if (dynamic_cast<P::ListVariablesContext*>(ctx)) {
    result = BuildList(ctx, StatementKind::kListVariables, false);
  } else if (auto* c = dynamic_cast<P::ListQueriesContext*>(ctx)) {
    result = BuildList(ctx, StatementKind::kListQueries, c->EXTENDED() != nullptr);
  } else if (auto* c = dynamic_cast<P::DescribeStreamsContext*>(ctx)) {
    result = BuildList(ctx, StatementKind::kDescribeStreams, c->EXTENDED() != nullptr);
  } else if (auto* c = dynamic_cast<P::DescribeTablesContext*>(ctx)) {
    result = BuildList(ctx, StatementKind::kDescribeTables, c->EXTENDED() != nullptr);
  } else if (auto* c = dynamic_cast<P::DescribeFunctionContext*>(ctx)) {
    result = BuildNamed(ctx, StatementKind::kDescribeFunction, c->identifier(), false, false);
  } else if (auto* c = dynamic_cast<P::DescribeConnectorContext*>(ctx)) {
    result = BuildNamed(ctx, StatementKind::kDescribeConnector, c->identifier(), false, false);
  } else if (auto* c = dynamic_cast<P::ShowColumnsContext*>(ctx)) {
    auto s = Make<DescribeSource>(ctx);
    s->name = Identifier(c->sourceName()->identifier());
    s->extended = !c->EXTENDED().empty();  // `DESCRIBE s EXTENDED` (ksqlDB) or `DESCRIBE EXTENDED s`
    result = s;
  } else if (auto* c = dynamic_cast<P::PrintTopicContext*>(ctx)) {
    auto s = Make<PrintTopic>(ctx);
    // PRINT keeps an unquoted topic name's case (topics are case-sensitive).
    s->topic = c->STRING() ? UnquoteString(c->STRING()->getText())
               : dynamic_cast<P::UnquotedIdentifierContext*>(c->identifier())
                   ? c->identifier()->getText()
                   : Identifier(c->identifier());
    auto* pc = c->printClause();
    s->from_beginning = pc->BEGINNING() != nullptr;
    if (pc->intervalClause()) s->interval = Integer(pc->intervalClause()->number());
    if (pc->limitClause()) s->limit = Integer(pc->limitClause()->number());
    result = s;
  } else if (dynamic_cast<P::TerminateAllContext*>(ctx)) {
    result = BuildNamed(ctx, StatementKind::kTerminateQuery, nullptr, true, false);
  } else if (auto* c = dynamic_cast<P::TerminateQueryContext*>(ctx)) {
    result = BuildNamed(ctx, StatementKind::kTerminateQuery, c->identifier(), false, false);
  } else if (auto* c = dynamic_cast<P::PauseQueryContext*>(ctx)) {
    result = BuildNamed(ctx, StatementKind::kPauseQuery, c->identifier(), c->ALL(), false);
  } else if (auto* c = dynamic_cast<P::ResumeQueryContext*>(ctx)) {
    result = BuildNamed(ctx, StatementKind::kResumeQuery, c->identifier(), c->ALL(), false);
  } else if (auto* c = dynamic_cast<P::SetPropertyContext*>(ctx)) {
    auto s = std::make_shared<PropertyStatement>(StatementKind::kSetProperty);
    s->name = UnquoteString(c->name->getText());
    s->value = UnquoteString(c->value->getText());
    result = s;
  } else if (auto* c = dynamic_cast<P::AlterSystemPropertyContext*>(ctx)) {
    auto s = std::make_shared<PropertyStatement>(StatementKind::kAlterSystemProperty);
    s->name = UnquoteString(c->name->getText());
    s->value = UnquoteString(c->value->getText());
    result = s;
  } else if (auto* c = dynamic_cast<P::UnsetPropertyContext*>(ctx)) {
    auto s = std::make_shared<PropertyStatement>(StatementKind::kUnsetProperty);
    s->name = UnquoteString(c->STRING()->getText());
    result = s;
  } else if (auto* c = dynamic_cast<P::DefineVariableContext*>(ctx)) {
    auto s = std::make_shared<PropertyStatement>(StatementKind::kDefineVariable);
    s->name = AsciiUpper(c->variableName()->getText());
    s->value = UnquoteString(c->STRING()->getText());
    result = s;
  } else if (auto* c = dynamic_cast<P::UndefineVariableContext*>(ctx)) {
    auto s = std::make_shared<NamedStatement>(StatementKind::kUndefineVariable);
    s->name = AsciiUpper(c->variableName()->getText());
    result = s;
  } else if (auto* c = dynamic_cast<P::CreateStreamContext*>(ctx)) {
    result = BuildCreateSource(ctx, SourceKind::kStream, c->REPLACE(), c->SOURCE(), c->EXISTS(),
                               c->sourceName(), c->tableElements(), c->tableProperties());
  } else if (auto* c = dynamic_cast<P::CreateTableContext*>(ctx)) {
    result = BuildCreateSource(ctx, SourceKind::kTable, c->REPLACE(), c->SOURCE(), c->EXISTS(),
                               c->sourceName(), c->tableElements(), c->tableProperties());
  } else if (auto* c = dynamic_cast<P::CreateStreamAsContext*>(ctx)) {
    result = BuildCreateAs(ctx, SourceKind::kStream, c->REPLACE(), c->EXISTS(), c->sourceName(),
                           c->tableProperties(), c->query());
  } else if (auto* c = dynamic_cast<P::CreateTableAsContext*>(ctx)) {
    result = BuildCreateAs(ctx, SourceKind::kTable, c->REPLACE(), c->EXISTS(), c->sourceName(),
                           c->tableProperties(), c->query());
  } else if (auto* c = dynamic_cast<P::CreateConnectorContext*>(ctx)) {
    auto s = Make<CreateConnector>(ctx);
    s->is_source = c->SOURCE() != nullptr;
    s->if_not_exists = c->EXISTS() != nullptr;
    s->name = Identifier(c->identifier());
    s->properties = BuildProperties(c->tableProperties());
    result = s;
  } else if (auto* c = dynamic_cast<P::InsertIntoContext*>(ctx)) {
    auto s = Make<InsertInto>(ctx);
    s->target = Identifier(c->sourceName()->identifier());
    if (c->tableProperties()) s->properties = BuildProperties(c->tableProperties());
    s->query = BuildQuery(c->query());
    result = s;
  } else if (auto* c = dynamic_cast<P::InsertValuesContext*>(ctx)) {
    auto s = Make<InsertValues>(ctx);
    s->target = Identifier(c->sourceName()->identifier());
    if (c->columns())
      for (auto* id : c->columns()->identifier()) s->columns.push_back(Identifier(id));
    for (auto* v : c->values()->valueExpression()) s->values.push_back(BuildValue(v));
    result = s;
  } else if (auto* c = dynamic_cast<P::DropStreamContext*>(ctx)) {
    auto s = Make<DropSource>(ctx);
    s->source_kind = SourceKind::kStream;
    s->name = Identifier(c->sourceName()->identifier());
    s->if_exists = c->EXISTS() != nullptr;
    s->delete_topic = c->DELETE() != nullptr;
    result = s;
  } else if (auto* c = dynamic_cast<P::DropTableContext*>(ctx)) {
    auto s = Make<DropSource>(ctx);
    s->source_kind = SourceKind::kTable;
    s->name = Identifier(c->sourceName()->identifier());
    s->if_exists = c->EXISTS() != nullptr;
    s->delete_topic = c->DELETE() != nullptr;
    result = s;
  } else if (auto* c = dynamic_cast<P::DropConnectorContext*>(ctx)) {
    result = BuildNamed(ctx, StatementKind::kDropConnector, c->identifier(), false, c->EXISTS());
  } else if (auto* c = dynamic_cast<P::ExplainContext*>(ctx)) {
    auto s = Make<Explain>(ctx);
    if (c->statement()) s->statement = BuildStatement(c->statement());
    else s->query_id = Identifier(c->identifier());
    result = s;
  } else if (auto* c = dynamic_cast<P::RegisterTypeContext*>(ctx)) {
    auto s = Make<RegisterType>(ctx);
    s->name = Identifier(c->identifier());
    s->type = BuildType(c->type());
    s->if_not_exists = c->EXISTS() != nullptr;
    result = s;
  } else if (auto* c = dynamic_cast<P::DropTypeContext*>(ctx)) {
    result = BuildNamed(ctx, StatementKind::kDropType, c->identifier(), false, c->EXISTS());
  } else if (auto* c = dynamic_cast<P::AlterSourceContext*>(ctx)) {
    auto s = Make<AlterSource>(ctx);
    s->source_kind = c->STREAM() ? SourceKind::kStream : SourceKind::kTable;
    s->name = Identifier(c->sourceName()->identifier());
    for (auto* opt : c->alterOption())
      s->add_columns.emplace_back(Identifier(opt->identifier()), BuildType(opt->type()));
    result = s;
  } else if (auto* c = dynamic_cast<P::AssertTopicContext*>(ctx)) {
    result = BuildAssert(ctx, StatementKind::kAssertTopic, c->NOT(), c->identifier(), c->STRING(),
                         c->tableProperties(), c->timeout());
  } else if (auto* c = dynamic_cast<P::AssertSchemaContext*>(ctx)) {
    result = BuildAssert(ctx, StatementKind::kAssertSchema, c->NOT(), c->identifier(),
                         c->STRING(), nullptr, c->timeout());
    if (c->literal()) {
      auto lit = BuildLiteral(c->literal());
      if (!lit->value.IsInt() && !lit->value.IsBigint())
        throw BuildError{Pos(c->literal()), "Schema ID must be an integer"};
      std::static_pointer_cast<AssertStatement>(result)->schema_id = lit->value.ToInt64();
    }
  } else {
    throw BuildError{Pos(ctx), "Unsupported statement '" + ctx->getText() + "'"};
  }
  result->pos = Pos(ctx);
  return result;
}

StatementPtr AstBuilder::BuildList(P::StatementContext* ctx, StatementKind kind, bool extended) {
  auto s = std::make_shared<ListStatement>(kind);
  s->pos = Pos(ctx);
  s->extended = extended;
  return s;
}

StatementPtr AstBuilder::BuildNamed(P::StatementContext* ctx, StatementKind kind,
                                    P::IdentifierContext* id, bool all, bool if_exists) {
  auto s = std::make_shared<NamedStatement>(kind);
  s->pos = Pos(ctx);
  if (id) s->name = Identifier(id);
  s->all = all;
  s->if_exists = if_exists;
  return s;
}

StatementPtr AstBuilder::BuildAssert(P::StatementContext* ctx, StatementKind kind,
                                     bool not_exists, P::IdentifierContext* id,
                                     antlr4::tree::TerminalNode* str,
                                     P::TablePropertiesContext* props,
                                     P::TimeoutContext* timeout) {
  auto s = std::make_shared<AssertStatement>(kind);
  s->pos = Pos(ctx);
  s->not_exists = not_exists;
  if (id) s->name = Identifier(id);
  if (str) s->name = UnquoteString(str->getText());
  if (props) s->properties = BuildProperties(props);
  if (timeout) s->timeout = BuildDuration(timeout->number(), timeout->windowUnit());
  return s;
}

StatementPtr AstBuilder::BuildCreateSource(P::StatementContext* ctx, SourceKind kind,
                                           bool or_replace, bool source, bool if_not_exists,
                                           P::SourceNameContext* name,
                                           P::TableElementsContext* elements,
                                           P::TablePropertiesContext* props) {
  auto s = Make<CreateSource>(ctx);
  s->source_kind = kind;
  s->or_replace = or_replace;
  s->is_source = source;
  s->if_not_exists = if_not_exists;
  s->name = Identifier(name->identifier());
  if (elements)
    for (auto* e : elements->tableElement()) s->elements.push_back(BuildTableElement(e));
  if (props) s->properties = BuildProperties(props);
  return s;
}

StatementPtr AstBuilder::BuildCreateAs(P::StatementContext* ctx, SourceKind kind, bool or_replace,
                                       bool if_not_exists, P::SourceNameContext* name,
                                       P::TablePropertiesContext* props, P::QueryContext* query) {
  auto s = Make<CreateAsSelect>(ctx);
  s->source_kind = kind;
  s->or_replace = or_replace;
  s->if_not_exists = if_not_exists;
  s->name = Identifier(name->identifier());
  if (props) s->properties = BuildProperties(props);
  s->query = BuildQuery(query);
  return s;
}

Properties AstBuilder::BuildProperties(P::TablePropertiesContext* ctx) {
  Properties props;
  for (auto* p : ctx->tableProperty()) {
    Property prop;
    prop.name = p->identifier() ? Identifier(p->identifier()) : UnquoteString(p->STRING()->getText());
    prop.name = AsciiUpper(prop.name);
    prop.value = BuildLiteral(p->literal());
    prop.pos = Pos(p);
    props.push_back(std::move(prop));
  }
  return props;
}

TableElement AstBuilder::BuildTableElement(P::TableElementContext* ctx) {
  TableElement e;
  e.name = Identifier(ctx->identifier());
  e.type = BuildType(ctx->type());
  e.pos = Pos(ctx);
  if (auto* c = ctx->columnConstraints()) {
    if (c->KEY()) e.constraint = c->PRIMARY() ? TableElement::Constraint::kPrimaryKey
                                              : TableElement::Constraint::kKey;
    else if (c->HEADERS()) e.constraint = TableElement::Constraint::kHeaders;
    else {
      e.constraint = TableElement::Constraint::kHeader;
      e.header_key = UnquoteString(c->STRING()->getText());
    }
  }
  return e;
}

std::shared_ptr<Query> AstBuilder::BuildQuery(P::QueryContext* ctx) {
  auto q = std::make_shared<Query>();
  q->pos = Pos(ctx);
  for (auto* item : ctx->selectItem()) q->select.push_back(BuildSelectItem(item));
  if (auto* join = dynamic_cast<P::JoinRelationContext*>(ctx->from)) {
    q->from = BuildAliasedRelation(join->aliasedRelation());
    for (auto* js : join->joinedSource()) q->joins.push_back(BuildJoin(js));
  } else {
    q->from = BuildAliasedRelation(
        static_cast<P::RelationDefaultContext*>(ctx->from)->aliasedRelation());
  }
  if (ctx->windowExpression()) q->window = BuildWindow(ctx->windowExpression());
  if (ctx->where) q->where = BuildBoolean(ctx->where);
  auto collect = [this](const std::vector<P::ValueExpressionContext*>& exprs) {
    std::vector<ExprPtr> out;
    for (auto* e : exprs) out.push_back(BuildValue(e));
    return out;
  };
  if (ctx->groupBy()) {
    q->has_group_by = true;
    q->group_by = collect(ctx->groupBy()->valueExpression());
  }
  if (ctx->partitionBy()) {
    q->has_partition_by = true;
    q->partition_by = collect(ctx->partitionBy()->valueExpression());
  }
  if (ctx->having) q->having = BuildBoolean(ctx->having);
  if (auto* m = ctx->resultMaterialization())
    q->emit = m->FINAL() ? EmitKind::kFinal : EmitKind::kChanges;
  if (ctx->limitClause()) {
    auto lit = BuildNumber(ctx->limitClause()->number());
    if (!lit->value.IsInt() && !lit->value.IsBigint())
      throw BuildError{Pos(ctx->limitClause()), "Value must be integer for command: LIMIT", false, true};
    q->limit = lit->value.ToInt64();
  }
  return q;
}

SelectItem AstBuilder::BuildSelectItem(P::SelectItemContext* ctx) {
  SelectItem item;
  item.pos = Pos(ctx);
  if (auto* c = dynamic_cast<P::SelectSingleContext*>(ctx)) {
    item.kind = SelectItem::Kind::kExpression;
    item.expression = BuildExpression(c->expression());
    if (c->identifier()) item.alias = Identifier(c->identifier());
  } else if (auto* c = dynamic_cast<P::SelectAllContext*>(ctx)) {
    item.kind = SelectItem::Kind::kAll;
    if (c->identifier()) item.qualifier = Identifier(c->identifier());
  } else if (auto* c = dynamic_cast<P::SelectStructAllContext*>(ctx)) {
    item.kind = SelectItem::Kind::kStructAll;
    item.expression = BuildPrimary(c->primaryExpression());
  }
  return item;
}

AliasedSource AstBuilder::BuildAliasedRelation(P::AliasedRelationContext* ctx) {
  AliasedSource s;
  s.pos = Pos(ctx);
  s.name = Identifier(ctx->relationPrimary()->sourceName()->identifier());
  if (ctx->sourceName()) s.alias = Identifier(ctx->sourceName()->identifier());
  return s;
}

JoinClause AstBuilder::BuildJoin(P::JoinedSourceContext* ctx) {
  JoinClause j;
  j.pos = Pos(ctx);
  auto* type = ctx->joinType();
  if (dynamic_cast<P::LeftJoinContext*>(type)) j.type = JoinType::kLeft;
  else if (dynamic_cast<P::RightJoinContext*>(type)) j.type = JoinType::kRight;
  else if (dynamic_cast<P::OuterJoinContext*>(type)) j.type = JoinType::kOuter;
  else j.type = JoinType::kInner;
  j.right = BuildAliasedRelation(ctx->aliasedRelation());
  if (auto* w = ctx->joinWindow()) {
    JoinWithin within;
    if (auto* single = dynamic_cast<P::SingleJoinWindowContext*>(w->withinExpression())) {
      auto* size = single->joinWindowSize();
      within.before = within.after = BuildDuration(size->number(), size->windowUnit());
      if (auto* g = single->gracePeriodClause())
        within.grace = BuildDuration(g->number(), g->windowUnit());
    } else {
      auto* both = static_cast<P::JoinWindowWithBeforeAndAfterContext*>(w->withinExpression());
      auto sizes = both->joinWindowSize();
      within.before = BuildDuration(sizes[0]->number(), sizes[0]->windowUnit());
      within.after = BuildDuration(sizes[1]->number(), sizes[1]->windowUnit());
      if (auto* g = both->gracePeriodClause())
        within.grace = BuildDuration(g->number(), g->windowUnit());
    }
    j.within = within;
  }
  j.criteria = BuildBoolean(ctx->joinCriteria()->booleanExpression());
  return j;
}

Duration AstBuilder::BuildDuration(P::NumberContext* number, P::WindowUnitContext* unit) {
  Duration d;
  d.count = Integer(number);
  std::string u = AsciiUpper(unit->getText());
  if (u.back() == 'S') u.pop_back();
  if (u == "MILLISECOND") d.unit = TimeUnit::kMillisecond;
  else if (u == "SECOND") d.unit = TimeUnit::kSecond;
  else if (u == "MINUTE") d.unit = TimeUnit::kMinute;
  else if (u == "HOUR") d.unit = TimeUnit::kHour;
  else d.unit = TimeUnit::kDay;
  return d;
}

WindowSpec AstBuilder::BuildWindow(P::WindowExpressionContext* ctx) {
  WindowSpec w;
  w.pos = Pos(ctx);
  P::RetentionClauseContext* retention = nullptr;
  P::GracePeriodClauseContext* grace = nullptr;
  if (auto* t = ctx->tumblingWindowExpression()) {
    w.kind = WindowSpec::Kind::kTumbling;
    w.size = BuildDuration(t->number(), t->windowUnit());
    retention = t->retentionClause();
    grace = t->gracePeriodClause();
  } else if (auto* h = ctx->hoppingWindowExpression()) {
    w.kind = WindowSpec::Kind::kHopping;
    w.size = BuildDuration(h->number(0), h->windowUnit(0));
    w.advance = BuildDuration(h->number(1), h->windowUnit(1));
    retention = h->retentionClause();
    grace = h->gracePeriodClause();
  } else {
    auto* s = ctx->sessionWindowExpression();
    w.kind = WindowSpec::Kind::kSession;
    w.size = BuildDuration(s->number(), s->windowUnit());
    retention = s->retentionClause();
    grace = s->gracePeriodClause();
  }
  if (retention) w.retention = BuildDuration(retention->number(), retention->windowUnit());
  if (grace) w.grace = BuildDuration(grace->number(), grace->windowUnit());
  return w;
}

// ---- expressions -------------------------------------------------------------------------

ExprPtr AstBuilder::BuildExpression(P::ExpressionContext* ctx) {
  return BuildBoolean(ctx->booleanExpression());
}

ExprPtr AstBuilder::BuildBoolean(P::BooleanExpressionContext* ctx) {
  if (auto* c = dynamic_cast<P::BooleanDefaultContext*>(ctx)) return BuildPredicated(c->predicated());
  if (auto* c = dynamic_cast<P::LogicalNotContext*>(ctx)) {
    auto e = Make<NotExpr>(ctx);
    e->operand = BuildBoolean(c->booleanExpression());
    return e;
  }
  auto* c = static_cast<P::LogicalBinaryContext*>(ctx);
  auto e = Make<LogicalBinaryExpr>(ctx);
  e->op = c->op->getType() == P::AND ? LogicalOp::kAnd : LogicalOp::kOr;
  e->left = BuildBoolean(c->left);
  e->right = BuildBoolean(c->right);
  return e;
}

ExprPtr AstBuilder::BuildPredicated(P::PredicatedContext* ctx) {
  ExprPtr value = BuildValue(ctx->valueExpression());
  auto* pred = ctx->predicate();
  if (!pred) return value;
  if (auto* c = dynamic_cast<P::ComparisonContext*>(pred)) {
    auto e = Make<ComparisonExpr>(ctx);
    switch (c->comparisonOperator()->getStart()->getType()) {
      case P::EQ: e->op = ComparisonOp::kEq; break;
      case P::NEQ: e->op = ComparisonOp::kNeq; break;
      case P::LT: e->op = ComparisonOp::kLt; break;
      case P::LTE: e->op = ComparisonOp::kLte; break;
      case P::GT: e->op = ComparisonOp::kGt; break;
      default: e->op = ComparisonOp::kGte; break;
    }
    e->left = value;
    e->right = BuildValue(c->right);
    return e;
  }
  if (auto* c = dynamic_cast<P::DistinctFromContext*>(pred)) {
    auto e = Make<IsDistinctFromExpr>(ctx);
    e->left = value;
    e->right = BuildValue(c->right);
    e->negated = c->NOT() != nullptr;
    return e;
  }
  if (auto* c = dynamic_cast<P::BetweenContext*>(pred)) {
    auto e = Make<BetweenExpr>(ctx);
    e->value = value;
    e->lower = BuildValue(c->lower);
    e->upper = BuildValue(c->upper);
    e->negated = c->NOT() != nullptr;
    return e;
  }
  if (auto* c = dynamic_cast<P::InListContext*>(pred)) {
    auto e = Make<InListExpr>(ctx);
    e->value = value;
    for (auto* item : c->expression()) e->list.push_back(BuildExpression(item));
    e->negated = c->NOT() != nullptr;
    return e;
  }
  if (auto* c = dynamic_cast<P::LikeContext*>(pred)) {
    auto e = Make<LikeExpr>(ctx);
    e->value = value;
    e->pattern = BuildValue(c->pattern);
    if (c->escape) {
      e->escape = UnquoteString(c->escape->getText());
      if (e->escape.size() != 1)
        throw BuildError{Pos(c->escape), "Escape string must be a single character, got '" +
                                             e->escape + "'"};
    }
    e->negated = c->NOT() != nullptr;
    return e;
  }
  auto* c = static_cast<P::NullPredicateContext*>(pred);
  auto e = Make<IsNullExpr>(ctx);
  e->operand = value;
  e->negated = c->NOT() != nullptr;
  return e;
}

ExprPtr AstBuilder::BuildValue(P::ValueExpressionContext* ctx) {
  if (auto* c = dynamic_cast<P::ValueExpressionDefaultContext*>(ctx))
    return BuildPrimary(c->primaryExpression());
  if (auto* c = dynamic_cast<P::ArithmeticUnaryContext*>(ctx)) {
    auto operand = BuildValue(c->valueExpression());
    // Fold `-literal` into the literal, as ksqlDB does, so -2147483648 is still an INT.
    if (c->op->getType() == P::MINUS && operand->kind == ExprKind::kLiteral) {
      auto* lit = static_cast<LiteralExpr*>(operand.get());
      auto folded = std::make_shared<LiteralExpr>(*lit);
      folded->pos = Pos(ctx);
      if (lit->value.IsInt() && lit->value.AsInt() != std::numeric_limits<int32_t>::min()) {
        folded->value = Value(-lit->value.AsInt());
        folded->text = "-" + lit->text;
        return folded;
      }
      if (lit->value.IsBigint()) {
        int64_t v = lit->value.AsBigint();
        if (v == int64_t{2147483648}) {
          folded->value = Value(std::numeric_limits<int32_t>::min());
          folded->literal_kind = LiteralExpr::Kind::kInteger;
        } else {
          folded->value = Value(-v);
        }
        folded->text = "-" + lit->text;
        return folded;
      }
      if (lit->value.IsDouble()) {
        folded->value = Value(-lit->value.AsDouble());
        folded->text = "-" + lit->text;
        return folded;
      }
      if (lit->value.IsDecimal()) {
        Decimal d = lit->value.AsDecimal();
        d.unscaled = -d.unscaled;
        folded->value = Value(d);
        folded->text = "-" + lit->text;
        return folded;
      }
    }
    auto e = Make<ArithmeticUnaryExpr>(ctx);
    e->negate = c->op->getType() == P::MINUS;
    e->operand = operand;
    return e;
  }
  if (auto* c = dynamic_cast<P::ArithmeticBinaryContext*>(ctx)) {
    auto e = Make<ArithmeticBinaryExpr>(ctx);
    switch (c->op->getType()) {
      case P::PLUS: e->op = ArithmeticOp::kAdd; break;
      case P::MINUS: e->op = ArithmeticOp::kSubtract; break;
      case P::ASTERISK: e->op = ArithmeticOp::kMultiply; break;
      case P::SLASH: e->op = ArithmeticOp::kDivide; break;
      default: e->op = ArithmeticOp::kModulus; break;
    }
    e->left = BuildValue(c->left);
    e->right = BuildValue(c->right);
    return e;
  }
  // `a || b` is string concatenation: CONCAT(a, b).
  auto* c = static_cast<P::ConcatenationContext*>(ctx);
  auto e = Make<FunctionCallExpr>(ctx);
  e->name = "CONCAT";
  e->args = {BuildValue(c->left), BuildValue(c->right)};
  return e;
}

ExprPtr AstBuilder::BuildPrimary(P::PrimaryExpressionContext* ctx) {
  if (auto* c = dynamic_cast<P::LiteralExpressionContext*>(ctx)) return BuildLiteral(c->literal());
  if (auto* c = dynamic_cast<P::ColumnReferenceContext*>(ctx)) {
    auto e = Make<ColumnRefExpr>(ctx);
    e->name = Identifier(c->identifier());
    return e;
  }
  if (auto* c = dynamic_cast<P::QualifiedColumnReferenceContext*>(ctx)) {
    auto e = Make<ColumnRefExpr>(ctx);
    e->qualifier = Identifier(c->qualifier);
    e->name = Identifier(c->column);
    return e;
  }
  if (auto* c = dynamic_cast<P::DereferenceContext*>(ctx)) {
    auto e = Make<DereferenceExpr>(ctx);
    e->base = BuildPrimary(c->base);
    e->field = Identifier(c->fieldName);
    return e;
  }
  if (auto* c = dynamic_cast<P::SubscriptContext*>(ctx)) {
    auto e = Make<SubscriptExpr>(ctx);
    e->base = BuildPrimary(c->value);
    e->index = BuildValue(c->index);
    return e;
  }
  if (auto* c = dynamic_cast<P::FunctionCallContext*>(ctx)) return BuildFunctionCall(c);
  if (auto* c = dynamic_cast<P::ParenthesizedExpressionContext*>(ctx))
    return BuildExpression(c->expression());
  if (auto* c = dynamic_cast<P::CastContext*>(ctx)) {
    auto e = Make<CastExpr>(ctx);
    e->operand = BuildExpression(c->expression());
    e->target = BuildType(c->type());
    return e;
  }
  if (auto* c = dynamic_cast<P::SearchedCaseContext*>(ctx)) {
    auto e = Make<SearchedCaseExpr>(ctx);
    for (auto* w : c->whenClause())
      e->whens.push_back({BuildExpression(w->condition), BuildExpression(w->result)});
    if (c->elseExpression) e->else_result = BuildExpression(c->elseExpression);
    return e;
  }
  if (auto* c = dynamic_cast<P::SimpleCaseContext*>(ctx)) {
    auto e = Make<SimpleCaseExpr>(ctx);
    e->operand = BuildValue(c->operand);
    for (auto* w : c->whenClause())
      e->whens.push_back({BuildExpression(w->condition), BuildExpression(w->result)});
    if (c->elseExpression) e->else_result = BuildExpression(c->elseExpression);
    return e;
  }
  if (auto* c = dynamic_cast<P::ArrayConstructorContext*>(ctx)) {
    auto e = Make<ArrayConstructorExpr>(ctx);
    for (auto* item : c->expression()) e->items.push_back(BuildExpression(item));
    return e;
  }
  if (auto* c = dynamic_cast<P::MapConstructorContext*>(ctx)) {
    auto e = Make<MapConstructorExpr>(ctx);
    auto items = c->expression();
    for (size_t i = 0; i + 1 < items.size(); i += 2)
      e->entries.emplace_back(BuildExpression(items[i]), BuildExpression(items[i + 1]));
    return e;
  }
  auto* c = static_cast<P::StructConstructorContext*>(ctx);
  auto e = Make<StructConstructorExpr>(ctx);
  auto names = c->identifier();
  auto values = c->expression();
  for (size_t i = 0; i < names.size(); ++i)
    e->fields.emplace_back(Identifier(names[i]), BuildExpression(values[i]));
  return e;
}

ExprPtr AstBuilder::BuildFunctionCall(P::FunctionCallContext* ctx) {
  auto e = Make<FunctionCallExpr>(ctx);
  e->name = AsciiUpper(ctx->identifier()->getText());
  if (ctx->ASTERISK()) {
    e->star = true;
    return e;
  }
  for (auto* arg : ctx->functionArgument()) {
    if (arg->lambdaFunction()) e->args.push_back(BuildLambda(arg->lambdaFunction()));
    else if (auto unit = TimeUnitArgument(arg)) e->args.push_back(unit);
    else e->args.push_back(BuildExpression(arg->expression()));
  }
  return e;
}

// DATEADD(DAYS, 3, d), TIMESTAMPADD(MILLISECONDS, ...): an unquoted time unit keyword as a
// whole argument is the unit's name, passed to the function as a STRING.
ExprPtr AstBuilder::TimeUnitArgument(P::FunctionArgumentContext* arg) {
  if (arg->getStart() != arg->getStop()) return nullptr;
  switch (arg->getStart()->getType()) {
    case P::DAY: case P::DAYS: case P::HOUR: case P::HOURS: case P::MINUTE: case P::MINUTES:
    case P::SECOND: case P::SECONDS: case P::MILLISECOND: case P::MILLISECONDS: break;
    default: return nullptr;
  }
  auto e = Make<LiteralExpr>(arg);
  e->literal_kind = LiteralExpr::Kind::kString;
  e->text = AsciiUpper(arg->getText());
  e->value = Value(e->text);
  return e;
}

ExprPtr AstBuilder::BuildLambda(P::LambdaFunctionContext* ctx) {
  auto e = Make<LambdaExpr>(ctx);
  for (auto* id : ctx->identifier()) e->params.push_back(Identifier(id));
  e->body = BuildExpression(ctx->expression());
  return e;
}

std::shared_ptr<LiteralExpr> AstBuilder::BuildLiteral(P::LiteralContext* ctx) {
  auto e = Make<LiteralExpr>(ctx);
  if (dynamic_cast<P::NullLiteralContext*>(ctx)) {
    e->literal_kind = LiteralExpr::Kind::kNull;
    e->text = "NULL";
  } else if (auto* c = dynamic_cast<P::BooleanLiteralContext*>(ctx)) {
    e->literal_kind = LiteralExpr::Kind::kBoolean;
    e->value = Value(c->booleanValue()->TRUE() != nullptr);
    e->text = e->value.AsBool() ? "true" : "false";
  } else if (auto* c = dynamic_cast<P::StringLiteralContext*>(ctx)) {
    e->literal_kind = LiteralExpr::Kind::kString;
    e->text = UnquoteString(c->STRING()->getText());
    e->value = Value(e->text);
  } else if (auto* c = dynamic_cast<P::NumericLiteralContext*>(ctx)) {
    return BuildNumber(c->number());
  } else {
    throw BuildError{Pos(ctx), "Variable " + ctx->getText() + " is not defined"};
  }
  return e;
}

std::shared_ptr<LiteralExpr> AstBuilder::BuildNumber(P::NumberContext* ctx) {
  auto e = Make<LiteralExpr>(ctx);
  e->text = ctx->getText();
  if (dynamic_cast<P::IntegerLiteralContext*>(ctx)) {
    errno = 0;
    char* end = nullptr;
    long long v = std::strtoll(e->text.c_str(), &end, 10);
    if (errno == ERANGE || *end != '\0')
      throw BuildError{Pos(ctx), "Invalid numeric literal: " + e->text, true};
    if (v >= std::numeric_limits<int32_t>::min() && v <= std::numeric_limits<int32_t>::max()) {
      e->literal_kind = LiteralExpr::Kind::kInteger;
      e->value = Value(static_cast<int32_t>(v));
    } else {
      e->literal_kind = LiteralExpr::Kind::kBigint;
      e->value = Value(static_cast<int64_t>(v));
    }
  } else if (dynamic_cast<P::FloatLiteralContext*>(ctx)) {
    e->literal_kind = LiteralExpr::Kind::kDouble;
    e->value = Value(std::strtod(e->text.c_str(), nullptr));
    if (std::isinf(e->value.AsDouble())) throw BuildError{Pos(ctx), "Number overflows DOUBLE: " + e->text, true};
  } else {
    // DECIMAL literal: scale = digits after the point, precision = significant digits, at
    // least the scale (BigDecimal's rules, as ksqlDB types `1.50` as DECIMAL(3, 2)).
    e->literal_kind = LiteralExpr::Kind::kDecimal;
    const size_t point = e->text.find('.');
    const int scale = static_cast<int>(e->text.size() - point - 1);
    Decimal d;
    if (!Decimal::Parse(e->text, scale, &d) || d.Precision() > 38)
      throw BuildError{Pos(ctx), "Invalid decimal literal: " + e->text, true};
    e->value = Value(d);
  }
  return e;
}

TypeSpecPtr AstBuilder::BuildType(P::TypeContext* ctx) {
  auto t = std::make_shared<TypeSpec>();
  t->pos = Pos(ctx);
  if (auto* c = dynamic_cast<P::ArrayTypeContext*>(ctx)) {
    t->kind = TypeSpec::Kind::kArray;
    t->children.push_back(BuildType(c->type()));
  } else if (auto* c = dynamic_cast<P::MapTypeContext*>(ctx)) {
    t->kind = TypeSpec::Kind::kMap;
    t->children.push_back(BuildType(c->keyType));
    t->children.push_back(BuildType(c->valueType));
  } else if (auto* c = dynamic_cast<P::StructTypeContext*>(ctx)) {
    t->kind = TypeSpec::Kind::kStruct;
    auto names = c->identifier();
    auto types = c->type();
    for (size_t i = 0; i < names.size(); ++i) {
      t->field_names.push_back(Identifier(names[i]));
      t->children.push_back(BuildType(types[i]));
    }
  } else if (auto* c = dynamic_cast<P::DecimalTypeContext*>(ctx)) {
    t->kind = TypeSpec::Kind::kDecimal;
    t->precision = static_cast<int>(Integer(c->precision));
    t->scale = static_cast<int>(Integer(c->scale));
    if (t->precision < 1 || t->precision > 38)
      throw BuildError{Pos(ctx), "DECIMAL precision must be between 1 and 38: " +
                                     std::to_string(t->precision)};
    if (t->scale < 0 || t->scale > t->precision)
      throw BuildError{Pos(ctx), "DECIMAL scale must be between 0 and the precision (" +
                                     std::to_string(t->precision) + "): " +
                                     std::to_string(t->scale)};
  } else {
    auto* simple = static_cast<P::SimpleTypeContext*>(ctx);
    auto* id = simple->baseType()->identifier();
    const bool quoted = !dynamic_cast<P::UnquotedIdentifierContext*>(id);
    const std::string name = Identifier(id);
    static const std::pair<const char*, TypeKind> kPrimitives[] = {
        {"BOOLEAN", TypeKind::kBoolean}, {"INT", TypeKind::kInteger},
        {"INTEGER", TypeKind::kInteger}, {"BIGINT", TypeKind::kBigint},
        {"DOUBLE", TypeKind::kDouble},   {"VARCHAR", TypeKind::kString},
        {"STRING", TypeKind::kString},   {"BYTES", TypeKind::kBytes},
        {"DATE", TypeKind::kDate},       {"TIME", TypeKind::kTime},
        {"TIMESTAMP", TypeKind::kTimestamp}};
    t->kind = TypeSpec::Kind::kCustom;
    t->custom_name = name;
    if (!quoted) {
      for (const auto& [pname, kind] : kPrimitives) {
        if (name == pname) {
          t->kind = TypeSpec::Kind::kPrimitive;
          t->primitive = kind;
          t->custom_name.clear();
        }
      }
    }
  }
  return t;
}

}  // namespace sluice
