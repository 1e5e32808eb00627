#include "engine/analyzer/aggregate_analyzer.h"

#include <algorithm>
#include <map>
#include <set>

#include "engine/analyzer/expression_rewriter.h"
#include "engine/analyzer/query_internal.h"

namespace sluice {

using namespace query_internal;

namespace {

// ksqlDB's default grace period for windows without GRACE PERIOD (Kafka Streams' legacy
// default: 24 hours).
constexpr int64_t kDefaultGraceMs = 24LL * 3600 * 1000;

bool IsAggregateCall(const Expression& e) {
  return e.kind == ExprKind::kFunctionCall &&
         IsAggregateFunctionName(static_cast<const FunctionCallExpr&>(e).name);
}

// The text grouping expressions are matched by (column references lose their qualifier).
std::string GroupText(const Expression& e) {
  if (e.kind == ExprKind::kColumnRef) return static_cast<const ColumnRefExpr&>(e).name;
  return FormatExpression(e);
}

// Resolves the names the rewritten projection uses over the aggregate row: $K<i> (grouping
// key i), $A<i> (aggregate result i), ROWTIME, WINDOWSTART/WINDOWEND.
class AggregateRowScope : public ColumnScope {
 public:
  AggregateRowScope(const AggregationPlan& plan, bool windowed) : plan_(plan), windowed_(windowed) {}
  Result<ColumnBinding> Resolve(const std::string& qualifier, const std::string& name) const override {
    if (name.size() > 2 && name[0] == '$' && (name[1] == 'K' || name[1] == 'A')) {
      const size_t i = std::stoul(name.substr(2));
      if (name[1] == 'K') return ColumnBinding{static_cast<int>(i), plan_.group_by[i].type};
      return ColumnBinding{static_cast<int>(plan_.group_by.size() + i), plan_.calls[i].function->ReturnType()};
    }
    if (name == "ROWTIME") return ColumnBinding{plan_.post_rowtime_index(), SqlType::Bigint()};
    if (windowed_ && name == "WINDOWSTART") return ColumnBinding{plan_.post_windowstart_index(), SqlType::Bigint()};
    if (windowed_ && name == "WINDOWEND") return ColumnBinding{plan_.post_windowend_index(), SqlType::Bigint()};
    missing.push_back(qualifier.empty() ? name : qualifier + "." + name);
    return Status::InvalidArgument("column '" + missing.back() + "' cannot be resolved.");
  }
  mutable std::vector<std::string> missing;

 private:
  const AggregationPlan& plan_;
  bool windowed_;
};

Status CheckAggregateShape(const Query& q, const SinkRequest& req, const DataSource& source) {
  if (!q.joins.empty()) return Status::NotSupported("Joins are not supported yet");
  if (source.window) return Status::NotSupported("Windowed sources are not supported yet");
  // These two come before the value format, as ksqlDB reports them (CheckAggregateClauses
  // repeats them for GROUP BY over a join, which has no such format check).
  if (q.window && !q.has_group_by) return Status::InvalidArgument("WINDOW clause requires a GROUP BY clause.");
  if (q.has_group_by && q.group_by.empty())
    return Status::InvalidArgument("GROUP BY requires at least one expression.");
  if (source.value_format.kind == FormatKind::kKafka)
    return Status::InvalidArgument("Source(s) " + source.name +
                                   " are using the 'KAFKA' value format. This format does not yet support GROUP BY.");
  return query_internal::CheckAggregateClauses(q, req);
}

}  // namespace

namespace query_internal {

Status CheckAggregateClauses(const Query& q, const SinkRequest& req) {
  if (q.window && !q.has_group_by) return Status::InvalidArgument("WINDOW clause requires a GROUP BY clause.");
  if (q.has_group_by && q.group_by.empty())
    return Status::InvalidArgument("GROUP BY requires at least one expression.");
  if (q.has_partition_by)
    return Status::InvalidArgument("PARTITION BY and GROUP BY in the same query is not supported.");
  if (req.insert_into) return Status::OK();
  if (req.kind == SourceKind::kStream)
    return Status::InvalidArgument(
        "Invalid result type. Your SELECT query produces a TABLE. Please use CREATE TABLE AS "
        "SELECT statement instead.");
  if (q.emit == EmitKind::kFinal && !q.window)
    return Status::InvalidArgument("EMIT FINAL is only supported for windowed aggregations.");
  return Status::OK();
}

}  // namespace query_internal

namespace {

Result<WindowPlan> PlanWindow(const WindowSpec& w) {
  WindowPlan p;
  p.kind = w.kind;
  p.size_ms = w.size.ToMillis();
  p.advance_ms = w.kind == WindowSpec::Kind::kHopping ? w.advance.ToMillis() : p.size_ms;
  if (p.size_ms <= 0) return Status::InvalidArgument("Window size must be positive.");
  if (w.kind == WindowSpec::Kind::kHopping) {
    if (p.advance_ms <= 0) return Status::InvalidArgument("Window advance must be positive.");
    if (p.advance_ms > p.size_ms)
      return Status::InvalidArgument("Window advance must not be larger than the window size.");
  }
  p.grace_ms = w.grace ? w.grace->ToMillis() : kDefaultGraceMs;
  const int64_t span = w.kind == WindowSpec::Kind::kSession ? p.size_ms : p.size_ms;
  p.retention_ms = w.retention ? w.retention->ToMillis() : span + p.grace_ms;
  if (w.retention && p.retention_ms < span + p.grace_ms)
    return Status::InvalidArgument(
        "The retention period of the window must be at least as large as the window size plus grace period.");
  return p;
}

// Finds the aggregate calls of an expression (not nested in another one), in order.
Status CollectCalls(const ExprPtr& e, std::vector<ExprPtr>* calls, std::map<std::string, size_t>* by_text) {
  Status status;
  VisitExpression(e, [&](const ExprPtr& node) {
    if (!IsAggregateCall(*node)) return;
    auto& call = static_cast<const FunctionCallExpr&>(*node);
    for (const auto& a : call.args)
      VisitExpression(a, [&](const ExprPtr& inner) {
        if (inner != a || true)
          if (IsAggregateCall(*inner) && status.ok())
            status = Status::InvalidArgument("Aggregate functions can not be nested: " + FormatExpression(*node));
      });
    const std::string text = FormatExpression(*node);
    if (by_text->emplace(text, calls->size()).second) calls->push_back(node);
  });
  return status;
}

Status BindCall(const ExprPtr& node, const ExpressionCompiler& compiler, const ColumnScope& scope,
                const AnalysisConfig& config, AggregateCall* out) {
  auto& call = static_cast<const FunctionCallExpr&>(*node);
  std::vector<TypePtr> types;
  std::vector<std::optional<Value>> literals;
  std::vector<CompiledExpression> compiled;
  std::vector<std::string> texts;  // quoted by "must be a literal constant" errors
  if (!call.star)
    for (const auto& a : call.args) {
      auto c = compiler.Compile(*a, scope);
      if (!c.ok()) return c.status();
      types.push_back(c->type);
      literals.push_back(a->kind == ExprKind::kLiteral ? std::optional<Value>(static_cast<const LiteralExpr&>(*a).value)
                                                       : std::nullopt);
      compiled.push_back(std::move(*c));
      texts.push_back(FormatExpression(*a));
    }
  auto fn = ResolveAggregate(call.name, types, literals, config.aggregates, texts);
  if (!fn.ok()) return fn.status();
  out->function = *fn;
  compiled.resize(std::min<size_t>(compiled.size(), static_cast<size_t>((*fn)->ColumnArgCount())));
  out->args = std::move(compiled);
  out->text = FormatExpression(call);
  return Status::OK();
}

// Replaces aggregate calls by $A<i> and grouping expressions by $K<i>.
ExprPtr RewriteOverAggregate(const ExprPtr& e, const std::vector<std::string>& group_text,
                             const std::map<std::string, size_t>& calls) {
  return RewriteExpression(e, [&](const ExprPtr& node) -> ExprPtr {
    if (IsAggregateCall(*node)) {
      auto it = calls.find(FormatExpression(*node));
      return ColumnRef("$A" + std::to_string(it->second));
    }
    const std::string text = GroupText(*node);
    for (size_t i = 0; i < group_text.size(); ++i)
      if (group_text[i] == text && node->kind != ExprKind::kLiteral) return ColumnRef("$K" + std::to_string(i));
    return nullptr;
  });
}

bool ExactlySourceKey(const std::vector<ExprPtr>& group_by, const DataSource& source) {
  auto keys = source.KeyColumns();
  if (keys.size() != group_by.size()) return false;
  for (size_t i = 0; i < keys.size(); ++i)
    if (group_by[i]->kind != ExprKind::kColumnRef ||
        static_cast<const ColumnRefExpr&>(*group_by[i]).name != keys[i].name)
      return false;
  return true;
}

bool MentionsWindowBounds(const ExprPtr& e) {
  bool found = false;
  if (e)
    VisitExpression(e, [&](const ExprPtr& n) {
      if (n->kind != ExprKind::kColumnRef) return;
      const std::string& name = static_cast<const ColumnRefExpr&>(*n).name;
      found = found || name == "WINDOWSTART" || name == "WINDOWEND";
    });
  return found;
}

// Window bounds exist only once the aggregation has windowed its input: only the projection
// may read them, outside aggregate calls.
Status CheckWindowBoundsUse(const Query& q) {
  const Status error = Status::InvalidArgument(
      "Window bounds column WINDOWSTART can only be used in the SELECT clause of windowed aggregations");
  for (const auto& g : q.group_by)
    if (MentionsWindowBounds(g)) return error;
  if (MentionsWindowBounds(q.having)) return error;
  for (const auto& item : q.select) {
    if (!item.expression) continue;
    Status s;
    VisitExpression(item.expression, [&](const ExprPtr& n) {
      if (!IsAggregateCall(*n)) return;
      for (const auto& a : static_cast<const FunctionCallExpr&>(*n).args)
        if (MentionsWindowBounds(a)) s = error;
    });
    SLUICE_RETURN_IF_ERROR(s);
  }
  return Status::OK();
}

Status CheckGroupByExpressions(const Query& q, const std::string& source_name) {
  std::vector<std::string> seen;
  for (const auto& g : q.group_by) {
    Status s;
    VisitExpression(g, [&](const ExprPtr& n) {
      if (IsAggregateCall(*n) && s.ok())
        s = Status::InvalidArgument("GROUP BY does not support aggregate functions: " +
                                    static_cast<const FunctionCallExpr&>(*n).name + " is an aggregate function.");
    });
    SLUICE_RETURN_IF_ERROR(s);
    const std::string text = GroupText(*g);
    if (std::find(seen.begin(), seen.end(), text) != seen.end())
      return Status::InvalidArgument("Duplicate GROUP BY expression: " +
                                     (g->kind == ExprKind::kColumnRef ? source_name + "." + text : text));
    seen.push_back(text);
  }
  return Status::OK();
}

Status PlanGroupBy(const Query& q, const ExpressionCompiler& compiler, const ColumnScope& scope,
                   AggregationPlan* agg) {
  for (const auto& g : q.group_by) {
    auto c = compiler.Compile(*g, scope);
    if (!c.ok()) {
      const std::string& m = c.status().message();
      return m.rfind("column '", 0) == 0 ? Status::InvalidArgument("GROUP BY " + m) : c.status();
    }
    if (!c->type) return Status::InvalidArgument("GROUP BY expression cannot be NULL: " + FormatExpression(*g));
    agg->group_by.push_back(std::move(*c));
    agg->group_by_text.push_back(GroupText(*g));
  }
  return Status::OK();
}

std::string CommaList(const std::vector<std::string>& items) {
  std::string s;
  for (size_t i = 0; i < items.size(); ++i) s += (i ? ", " : "") + items[i];
  return s;
}

// Select items that are neither grouping expressions nor computed from aggregates and grouping
// expressions only: ksqlDB names them all in one message.
Status CheckNonAggregateItems(const std::vector<ProjectionItem>& items, const std::vector<std::string>& group_text,
                              const std::map<std::string, size_t>& calls, const AggregationPlan& agg, bool windowed) {
  std::vector<std::string> offending;
  for (const auto& item : items) {
    ExprPtr rewritten = RewriteOverAggregate(item.expr, group_text, calls);
    bool bad = false;
    VisitExpression(rewritten, [&](const ExprPtr& n) {
      if (n->kind != ExprKind::kColumnRef) return;
      const std::string& name = static_cast<const ColumnRefExpr&>(*n).name;
      if (name.rfind("$K", 0) == 0 || name.rfind("$A", 0) == 0 || name == "ROWTIME") return;
      if (windowed && (name == "WINDOWSTART" || name == "WINDOWEND")) return;
      bad = true;
    });
    if (bad) offending.push_back(FormatExpression(*item.expr));
  }
  if (offending.empty()) return Status::OK();
  return Status::InvalidArgument("Non-aggregate SELECT expression(s) not part of GROUP BY: " + CommaList(offending) +
                                 "\nEither add the column(s) to the GROUP BY or remove them from the SELECT.");
}

// Splits the projection: the items that are grouping expressions become the key columns (in
// GROUP BY order), the rest the value columns.
Status SplitAggregateProjection(const std::vector<ProjectionItem>& items, const AggregationPlan& agg,
                                const SinkRequest& req, std::vector<ProjectionItem>* keys,
                                std::vector<ProjectionItem>* values) {
  const std::string& sink_name = req.name;
  std::vector<int> key_item(agg.group_by_text.size(), -1);
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string text = GroupText(*items[i].expr);
    bool is_key = false;
    for (size_t g = 0; g < agg.group_by_text.size(); ++g)
      if (agg.group_by_text[g] == text) {
        if (key_item[g] >= 0)
          return Status::InvalidArgument("The projection contains a key column more than once: `" +
                                         items[key_item[g]].name + "` and `" + items[i].name + "`.");
        key_item[g] = static_cast<int>(i);
        is_key = true;
      }
    if (!is_key) values->push_back(items[i]);
  }
  std::vector<std::string> missing;
  for (size_t g = 0; g < key_item.size(); ++g)
    if (key_item[g] < 0) missing.push_back(agg.group_by_text[g]);
  // A transient query's rows need no key: grouping expressions not selected are not shown.
  if (!missing.empty() && !req.transient)
    return Status::InvalidArgument("The query used to build `" + sink_name +
                                   "` must include the grouping expression" + (missing.size() > 1 ? "s " : " ") +
                                   JoinNames(missing, ", ") + " in its projection (eg, SELECT " +
                                   CommaList(missing) + "...).");
  for (int k : key_item)
    if (k >= 0) keys->push_back(items[static_cast<size_t>(k)]);
  return Status::OK();
}

Result<OutputColumn> CompileOverAggregate(const ProjectionItem& item, const ExpressionCompiler& compiler,
                                          const AggregationPlan& agg, const std::map<std::string, size_t>& calls,
                                          bool windowed) {
  AggregateRowScope scope(agg, windowed);
  ProjectionItem rewritten = item;
  rewritten.expr = RewriteOverAggregate(item.expr, agg.group_by_text, calls);
  auto c = CompileColumn(rewritten, compiler, scope, "SELECT");
  if (!c.ok() && !scope.missing.empty())
    return Status::InvalidArgument("Non-aggregate SELECT expression(s) not part of GROUP BY: " +
                                   FormatExpression(*item.expr));
  return c;
}

}  // namespace

bool IsAggregationQuery(const Query& q) {
  if (q.has_group_by || q.window) return true;
  bool found = false;
  auto check = [&](const ExprPtr& e) {
    if (e) VisitExpression(e, [&](const ExprPtr& n) { found = found || IsAggregateCall(*n); });
  };
  for (const auto& item : q.select) check(item.expression);
  check(q.having);
  return found;
}

// ksqlDB's rules on which aggregate calls a query may make: a table source needs functions
// that can undo (a row's update subtracts its old value); DELIMITED cannot hold structured
// intermediate state.
Status CheckCalls(const AggregationPlan& agg, SourceKind input_kind, const DataSource& source) {
  std::vector<std::string> no_undo;  // in the order the query calls them
  bool structured_state = false;
  for (const auto& call : agg.calls) {
    const std::string name = call.text.substr(0, call.text.find('('));
    if (!call.function->SupportsUndo() && std::find(no_undo.begin(), no_undo.end(), name) == no_undo.end())
      no_undo.push_back(name);
    const TypePtr& t = call.function->IntermediateType();
    structured_state = structured_state || (t && !t->IsPrimitive());
  }
  if (input_kind == SourceKind::kTable && !no_undo.empty())
    return Status::InvalidArgument("The aggregation function" + std::string(no_undo.size() > 1 ? "s " : " ") +
                                   JoinNames(no_undo, ", ") +
                                   (no_undo.size() > 1 ? " cannot" : " cannot") +
                                   " be applied to a table source, only to a stream source.");
  if (structured_state && source.value_format.kind == FormatKind::kDelimited)
    return Status::InvalidArgument(
        "One of the functions used in the statement has an intermediate type that the value format can not "
        "handle. Please remove the function or change the format.");
  return Status::OK();
}

Status CheckAggregateCallsPresent(const Query& q, const std::vector<ProjectionItem>& items,
                                  const std::vector<ExprPtr>& call_nodes, const std::map<std::string, size_t>& calls) {
  if (!q.has_group_by) {
    SLUICE_RETURN_IF_ERROR(CheckNonAggregateItems(items, {}, calls, AggregationPlan{}, q.window.has_value()));
    auto& first = static_cast<const FunctionCallExpr&>(*call_nodes.front());
    // ksqlDB rewrites COUNT(*) to COUNT(ROWTIME) before it reports.
    const std::string text = first.star ? first.name + "(ROWTIME)" : FormatExpression(first);
    return Status::InvalidArgument("CREATE TABLE AS SELECT statement does not support aggregate function [" + text +
                                   "] without a GROUP BY clause.");
  }
  if (call_nodes.empty()) {
    // An unknown function may well be the aggregate the user meant: name it first.
    Status unknown;
    for (const auto& item : items)
      VisitExpression(item.expr, [&](const ExprPtr& n) {
        if (n->kind != ExprKind::kFunctionCall || !unknown.ok()) return;
        const std::string& name = static_cast<const FunctionCallExpr&>(*n).name;
        if (!FunctionRegistry::Builtins().Find(name))
          unknown = Status::NotFound("Can't find any functions with the name '" + name + "'");
      });
    SLUICE_RETURN_IF_ERROR(unknown);
    return Status::InvalidArgument("GROUP BY requires aggregate functions in either the SELECT or HAVING clause.");
  }
  return Status::OK();
}

Result<QueryPlan> AnalyzeAggregateQuery(const Query& q, const SinkRequest& req, const MetaStore& metastore,
                                        const AnalysisConfig& config) {
  DataSourcePtr source = metastore.FindSource(q.from.name);
  if (!source) return Status::NotFound(q.from.name + " does not exist.");
  SLUICE_RETURN_IF_ERROR(CheckAggregateShape(q, req, *source));
  SLUICE_RETURN_IF_ERROR(CheckWindowBoundsUse(q));
  SLUICE_RETURN_IF_ERROR(CheckGroupByExpressions(q, source->name));

  QueryPlan plan;
  InitRowLayout(source, false, &plan);
  ExpressionCompiler compiler(FunctionRegistry::Builtins(),
                              [&metastore](const std::string& n) { return metastore.FindType(n); });
  SourceScope scope(*source, q.from.alias, plan);
  SLUICE_RETURN_IF_ERROR(PlanWhere(q, compiler, scope, &plan));

  std::vector<ProjectionItem> items;
  SLUICE_RETURN_IF_ERROR(ExpandSelect(q, *source, compiler, scope, &items));
  RecordResultColumns(req, *source, items);
  SLUICE_RETURN_IF_ERROR(PlanAggregation(q, req, compiler, scope, items, source->kind, *source, config, &plan));
  plan.aggregation->repartition = !ExactlySourceKey(q.group_by, *source);
  RecordUsedColumns(scope, *source, &plan);
  auto sink = BuildSink(req, *source, plan, metastore, config);
  if (!sink.ok()) return sink.status();
  plan.sink = WindowedSink(*sink, plan, req);
  SLUICE_RETURN_IF_ERROR(PlanSinkTimestamp(&plan));
  return plan;
}

namespace query_internal {

Status CheckJoinAggregation(const Query& q, const SinkRequest& req, const std::string& left_name) {
  SLUICE_RETURN_IF_ERROR(CheckAggregateClauses(q, req));
  SLUICE_RETURN_IF_ERROR(CheckWindowBoundsUse(q));
  return CheckGroupByExpressions(q, left_name);
}

// A windowed aggregation's sink is a windowed table (CREATE TABLE AS; INSERT INTO keeps its target).
DataSourcePtr WindowedSink(DataSourcePtr sink, const QueryPlan& plan, const SinkRequest& req) {
  if (!plan.aggregation->window || req.insert_into) return sink;
  auto copy = std::make_shared<DataSource>(*sink);
  copy->window = WindowInfo{plan.aggregation->window->kind, std::nullopt};
  if (copy->window->kind != WindowSpec::Kind::kSession) copy->window->size_ms = plan.aggregation->window->size_ms;
  return copy;
}

Status PlanAggregation(const Query& q, const SinkRequest& req, const ExpressionCompiler& compiler,
                       const ColumnScope& scope, const std::vector<ProjectionItem>& items, SourceKind input_kind,
                       const DataSource& format_source, const AnalysisConfig& config, QueryPlan* out) {
  QueryPlan& plan = *out;
  for (const auto& item : items)
    if (compiler.FindTableFunctionCall(*item.expr))
      return Status::InvalidArgument("Table functions cannot be used with aggregations.");
  std::vector<ExprPtr> call_nodes;
  std::map<std::string, size_t> calls;
  for (const auto& item : items) SLUICE_RETURN_IF_ERROR(CollectCalls(item.expr, &call_nodes, &calls));
  if (q.having) SLUICE_RETURN_IF_ERROR(CollectCalls(q.having, &call_nodes, &calls));
  SLUICE_RETURN_IF_ERROR(CheckAggregateCallsPresent(q, items, call_nodes, calls));

  AggregationPlan agg;
  SLUICE_RETURN_IF_ERROR(PlanGroupBy(q, compiler, scope, &agg));
  if (q.window) {
    auto w = PlanWindow(*q.window);
    if (!w.ok()) return w.status();
    agg.window = *w;
  }
  agg.emit_final = q.emit == EmitKind::kFinal;
  for (const auto& node : call_nodes) {
    AggregateCall call;
    SLUICE_RETURN_IF_ERROR(BindCall(node, compiler, scope, config, &call));
    agg.calls.push_back(std::move(call));
  }
  SLUICE_RETURN_IF_ERROR(CheckCalls(agg, input_kind, format_source));
  SLUICE_RETURN_IF_ERROR(CheckNonAggregateItems(items, agg.group_by_text, calls, agg, q.window.has_value()));

  std::vector<ProjectionItem> keys, values;
  SLUICE_RETURN_IF_ERROR(SplitAggregateProjection(items, agg, req, &keys, &values));
  if (values.empty() && req.transient) values.push_back(HiddenValueItem());
  if (values.empty()) return Status::InvalidArgument("The projection contains no value columns.");
  const bool windowed = agg.window.has_value();
  for (const auto& k : keys) {
    auto c = CompileOverAggregate(k, compiler, agg, calls, windowed);
    if (!c.ok()) return c.status();
    plan.key_columns.push_back(std::move(*c));
  }
  for (const auto& v : values) {
    auto c = CompileOverAggregate(v, compiler, agg, calls, windowed);
    if (!c.ok()) return c.status();
    plan.value_columns.push_back(std::move(*c));
  }
  if (q.having) {
    AggregateRowScope having_scope(agg, windowed);
    auto h = compiler.Compile(*RewriteOverAggregate(q.having, agg.group_by_text, calls), having_scope);
    if (!h.ok()) {
      if (!having_scope.missing.empty())
        return Status::InvalidArgument("Non-aggregate HAVING expression not part of GROUP BY: " +
                                       CommaList(having_scope.missing));
      return h.status();
    }
    if (h->type && h->type->kind != TypeKind::kBoolean)
      return Status::InvalidArgument("Type error in HAVING expression: Should evaluate to boolean but is " +
                                     FormatExpression(*q.having) + " (" + h->type->ToString() + ") instead.");
    agg.having = std::move(*h);
  }
  plan.aggregation = std::move(agg);
  return Status::OK();
}

}  // namespace query_internal

}  // namespace sluice
