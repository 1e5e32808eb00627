#include "engine/analyzer/query_analyzer.h"
#include "engine/analyzer/query_internal.h"
#include "engine/analyzer/aggregate_analyzer.h"
#include "engine/analyzer/join_analyzer.h"

#include <set>

#include "engine/common/ascii.h"
#include "engine/expr/cast.h"
#include "engine/analyzer/expression_rewriter.h"
#include "engine/analyzer/rowtime_literals.h"
#include "engine/analyzer/registry_schemas.h"
#include "engine/analyzer/with_properties.h"

namespace sluice {

namespace query_internal {

bool IsAggregateFunction(const std::string& name) { return IsAggregateFunctionName(name); }

bool ContainsAggregate(const Expression& e) {
  switch (e.kind) {
    case ExprKind::kFunctionCall: {
      auto& f = static_cast<const FunctionCallExpr&>(e);
      if (IsAggregateFunction(f.name)) return true;
      for (const auto& a : f.args)
        if (ContainsAggregate(*a)) return true;
      return false;
    }
    case ExprKind::kArithmeticBinary: {
      auto& b = static_cast<const ArithmeticBinaryExpr&>(e);
      return ContainsAggregate(*b.left) || ContainsAggregate(*b.right);
    }
    case ExprKind::kCast: return ContainsAggregate(*static_cast<const CastExpr&>(e).operand);
    default: return false;
  }
}



ProjectionItem Item(std::string name, ExprPtr expr, bool from_star) {
  ProjectionItem item;
  item.name = std::move(name);
  item.expr = std::move(expr);
  item.from_star = from_star;
  return item;
}

ExprPtr ColumnRef(const std::string& name) {
  auto c = std::make_shared<ColumnRefExpr>();
  c->name = name;
  return c;
}

// ksqlDB's location prefix ("Line: 2, Col: 13: ") for errors about one place of the
// statement; empty when the position is unknown.
std::string LocationPrefix(const SourcePos& pos) {
  if (pos.line <= 0) return "";
  return "Line: " + std::to_string(pos.line) + ", Col: " + std::to_string(pos.column) + ": ";
}

// A "column 'X' cannot be resolved." error from compiling `expr`, prefixed with the clause and
// the position of the offending reference, so the user (and `sluiced --check`) sees where.
Status ColumnError(const Expression& expr, const std::string& clause, const std::string& message) {
  SourcePos at = expr.pos;
  const size_t open = message.find('\''), close = message.find('\'', open + 1);
  if (open != std::string::npos && close != std::string::npos) {
    const std::string name = message.substr(open + 1, close - open - 1);
    ExprPtr root(const_cast<Expression*>(&expr), [](Expression*) {});
    bool found = false;
    VisitExpression(root, [&](const ExprPtr& e) {
      if (found || e->kind != ExprKind::kColumnRef) return;
      auto& c = static_cast<const ColumnRefExpr&>(*e);
      if (c.name == name || (!c.qualifier.empty() && c.qualifier + "." + c.name == name)) {
        at = c.pos;
        found = true;
      }
    });
  }
  return Status::InvalidArgument(LocationPrefix(at) + clause + " " + message);
}

// A name derived from a struct field (`A->B` is named B) that another item already has, or
// that a plain column of the projection has, becomes B_1, B_2, ... as in ksqlDB.
std::string UniqueName(const std::string& base, const Query& q, const DataSource& source,
                       const std::vector<ProjectionItem>& so_far) {
  auto taken = [&](const std::string& n) {
    if (source.FindColumn(n)) return true;
    for (const auto& it : so_far)
      if (it.name == n) return true;
    for (const auto& s : q.select) {
      if (s.kind != SelectItem::Kind::kExpression) continue;
      if (s.alias == n) return true;
      if (s.alias.empty() && s.expression->kind == ExprKind::kColumnRef &&
          static_cast<const ColumnRefExpr&>(*s.expression).name == n)
        return true;
    }
    return false;
  };
  if (!taken(base)) return base;
  for (int i = 1;; ++i)
    if (!taken(base + "_" + std::to_string(i))) return base + "_" + std::to_string(i);
}

// The next KSQL_COL_<n> name whose index no column of the source already uses.
std::string NextGeneratedName(const DataSource& source, int* generated) {
  std::string n;
  do n = "KSQL_COL_" + std::to_string((*generated)++);
  while (source.FindColumn(n));
  return n;
}

// `S->*`: one item per field of the struct, named after the field.
Status ExpandStructAll(const ExprPtr& base, const ExpressionCompiler& compiler, const ColumnScope& scope,
                       std::vector<ProjectionItem>* items) {
  auto type = compiler.TypeOf(*base, scope);
  if (!type.ok()) return type.status();
  if (!*type || (*type)->kind != TypeKind::kStruct)
    return Status::InvalidArgument("Can't dereference a non-STRUCT: " + FormatExpression(*base));
  for (const auto& f : (*type)->fields) {
    auto d = std::make_shared<DereferenceExpr>();
    d->base = base;
    d->field = f.name;
    items->push_back(Item(f.name, d, /*from_star=*/false));
  }
  return Status::OK();
}

Status ExpandSelect(const Query& q, const DataSource& source, const ExpressionCompiler& compiler,
                    const ColumnScope& scope, std::vector<ProjectionItem>* items) {
  int generated = 0;
  std::set<std::string> explicit_names;
  for (const auto& item : q.select)
    if (item.kind == SelectItem::Kind::kExpression && !item.alias.empty())
      explicit_names.insert(item.alias);
  // Generated names (KSQL_COL_<n>) skip every index the source's own columns already use, as
  // well as explicit aliases, so a generated name never clashes with a selected column.
  auto next_generated = [&]() {
    std::string n;
    do n = "KSQL_COL_" + std::to_string(generated++);
    while (explicit_names.count(n) || source.FindColumn(n));
    return n;
  };
  for (const auto& item : q.select) {
    if (item.kind == SelectItem::Kind::kAll) {
      if (!item.qualifier.empty() && item.qualifier != source.name && item.qualifier != q.from.alias)
        return Status::InvalidArgument("'" + item.qualifier + "' is not a valid stream/table name or alias.");
      for (const auto& c : source.columns)
        items->push_back(Item(c.name, ColumnRef(c.name), /*from_star=*/true));
      continue;
    }
    if (item.kind == SelectItem::Kind::kStructAll) {
      SLUICE_RETURN_IF_ERROR(ExpandStructAll(item.expression, compiler, scope, items));
      continue;
    }
    ProjectionItem p;
    p.expr = item.expression;
    p.aliased = !item.alias.empty();
    if (p.aliased) p.name = item.alias;
    else if (item.expression->kind == ExprKind::kColumnRef)
      p.name = static_cast<const ColumnRefExpr&>(*item.expression).name;
    else if (item.expression->kind == ExprKind::kDereference)
      p.name = UniqueName(static_cast<const DereferenceExpr&>(*item.expression).field, q, source, *items);
    else p.name = next_generated();
    items->push_back(std::move(p));
  }
  return Status::OK();
}

bool IsSourceKeyRef(const Expression& e, const DataSource& source);

void RecordResultColumns(const SinkRequest& req, const DataSource& source, const std::vector<ProjectionItem>& items) {
  if (!req.result_columns) return;
  req.result_columns->clear();
  const size_t keys = source.KeyColumns().size();
  size_t star_keys = 0;
  for (const auto& item : items) {
    req.result_columns->push_back(item.name);
    // ksqlDB's transient `*` over a windowed source: the window bounds follow the key columns.
    if (source.window && item.from_star && IsSourceKeyRef(*item.expr, source) && ++star_keys == keys) {
      req.result_columns->push_back("WINDOWSTART");
      req.result_columns->push_back("WINDOWEND");
    }
  }
}

ProjectionItem HiddenValueItem() {
  auto literal = std::make_shared<LiteralExpr>();
  literal->literal_kind = LiteralExpr::Kind::kBoolean;
  literal->value = Value(true);
  literal->text = "true";
  return Item("$ROW", literal, /*from_star=*/false);
}

// The text an expression is compared by when matching PARTITION BY to the projection:
// column references lose their qualifier.
std::string MatchText(const Expression& e) {
  if (e.kind == ExprKind::kColumnRef) return static_cast<const ColumnRefExpr&>(e).name;
  return FormatExpression(e);
}

bool IsSourceKeyRef(const Expression& e, const DataSource& source) {
  if (e.kind != ExprKind::kColumnRef) return false;
  const SourceColumn* c = source.FindColumn(static_cast<const ColumnRefExpr&>(e).name);
  return c && c->ns == ColumnNamespace::kKey;
}

std::string JoinNames(const std::vector<std::string>& names, const char* sep) {
  std::string s;
  for (size_t i = 0; i < names.size(); ++i)
    s += (i == 0 ? "" : (i + 1 == names.size() ? " and " : sep)) + names[i];
  return s;
}

// An expression as ksqlDB prints it in key messages: column names qualified by the source.
std::string QualifiedText(const Expression& p, const DataSource& source) {
  if (p.kind == ExprKind::kColumnRef) return source.name + "." + MatchText(p);
  std::string qualified = FormatExpression(p);
  for (const auto& c : source.columns) {
    size_t pos = 0;
    while ((pos = qualified.find(c.name, pos)) != std::string::npos) {
      bool left_ok = pos == 0 || !std::isalnum(static_cast<unsigned char>(qualified[pos - 1]));
      size_t end = pos + c.name.size();
      bool right_ok = end >= qualified.size() || !std::isalnum(static_cast<unsigned char>(qualified[end]));
      if (left_ok && right_ok && (pos == 0 || qualified[pos - 1] != '.')) {
        qualified.insert(pos, source.name + ".");
        pos += source.name.size() + 1;
      }
      pos += c.name.size();
    }
  }
  return qualified;
}

// ksqlDB's error when the projection lacks some of the sink's key expressions: it names all
// of them ("key columns ID and ID2 ... (eg, SELECT ID, ID2...)").
Status KeysMissing(const std::string& what, const std::string& sink_name, const std::vector<std::string>& required) {
  std::string eg;
  for (size_t i = 0; i < required.size(); ++i) eg += (i ? ", " : "") + required[i];
  const bool many = required.size() > 1;
  return Status::InvalidArgument(std::string(many ? "Keys" : "Key") + " missing from projection (ie, SELECT).\n" +
                                 "The query used to build `" + sink_name + "` must include the " + what +
                                 (many ? "s " : " ") + JoinNames(required, ", ") + " in its projection (eg, SELECT " +
                                 eg + "...).");
}

// Splits the projection into key and value items, as ksqlDB decides the sink's key.
Status SplitKeyAndValue(const Query& q, const DataSource& source, const SinkRequest& req,
                        std::vector<ProjectionItem> items, std::vector<ProjectionItem>* keys,
                        std::vector<ProjectionItem>* values) {
  const std::string& sink_name = req.name;
  if (!q.has_partition_by) {
    std::vector<std::string> missing, all_keys;
    for (const auto& kc : source.KeyColumns()) {
      all_keys.push_back(kc.name);
      std::vector<std::string> aliases;
      for (const auto& it : items)
        if (IsSourceKeyRef(*it.expr, source) &&
            static_cast<const ColumnRefExpr&>(*it.expr).name == kc.name)
          aliases.push_back(it.name);
      if (aliases.empty()) missing.push_back(kc.name);
      if (aliases.size() > 1)
        return Status::InvalidArgument("The projection contains a key column (`" + kc.name +
                                       "`) more than once, aliased as: " + JoinNames(aliases, ", ") + ".");
    }
    // As ksqlDB, name every key column when any is missing: the sink needs them all.
    if (!missing.empty() && !req.transient) return KeysMissing("key column", sink_name, all_keys);
    for (auto& it : items) (IsSourceKeyRef(*it.expr, source) ? keys : values)->push_back(std::move(it));
    // A transient query shows only what it selects, but its rows keep the source's key (and
    // window) under hidden names: a table's tombstones and the window bounds come from it.
    for (const auto& name : missing) keys->push_back(Item("$" + name, ColumnRef(name), /*from_star=*/false));
    return Status::OK();
  }

  // PARTITION BY: each partitioning expression becomes a key column; it must be selected
  // (under any alias) unless the projection is `*`, which then gets it under a generated name.
  const bool star = std::any_of(items.begin(), items.end(), [](auto& i) { return i.from_star; });
  std::vector<ProjectionItem> old_keys_from_star;
  std::vector<bool> used(items.size(), false);
  int generated = 0;
  std::vector<std::string> all_partitioning;
  for (const auto& p : q.partition_by) all_partitioning.push_back(QualifiedText(*p, source));
  for (const auto& p : q.partition_by) {
    if (p->kind == ExprKind::kLiteral && static_cast<const LiteralExpr&>(*p).value.IsNull()) continue;
    const std::string text = MatchText(*p);
    std::vector<size_t> matches;
    for (size_t i = 0; i < items.size(); ++i)
      if (!used[i] && MatchText(*items[i].expr) == text) matches.push_back(i);
    if (matches.size() > 1) {
      std::vector<std::string> names;
      for (size_t m : matches) names.push_back(items[m].name);
      return Status::InvalidArgument("The projection contains a key column (`" + text +
                                     "`) more than once, aliased as: " + JoinNames(names, ", ") + ".");
    }
    if (matches.empty()) {
      if (!star && req.transient) continue;
      if (!star) return KeysMissing("partitioning expression", sink_name, all_partitioning);
      std::string name = p->kind == ExprKind::kColumnRef     ? text
                         : p->kind == ExprKind::kDereference ? static_cast<const DereferenceExpr&>(*p).field
                                                             : NextGeneratedName(source, &generated);
      keys->push_back(Item(name, p, /*from_star=*/false));
      continue;
    }
    used[matches[0]] = true;
    keys->push_back(items[matches[0]]);
  }
  for (size_t i = 0; i < items.size(); ++i) {
    if (used[i]) continue;
    // `*` with PARTITION BY: the old key columns move to the end of the value.
    if (items[i].from_star && IsSourceKeyRef(*items[i].expr, source)) old_keys_from_star.push_back(items[i]);
    else values->push_back(items[i]);
  }
  for (auto& k : old_keys_from_star) values->push_back(std::move(k));
  return Status::OK();
}

Result<OutputColumn> CompileColumn(const ProjectionItem& item, const ExpressionCompiler& compiler,
                                   const ColumnScope& scope, const char* clause) {
  auto compiled = item.table_function
                      ? compiler.CompileWithTableFunctionSlot(*item.expr, *item.table_function,
                                                              item.table_function_slot,
                                                              item.table_function_type, scope)
                      : compiler.Compile(*item.expr, scope);
  if (!compiled.ok()) {
    const std::string& m = compiled.status().message();
    if (m.rfind("column '", 0) == 0) return ColumnError(*item.expr, clause, m);
    // ksqlDB reports casts it cannot generate code for as an invalid SELECT expression.
    if (m.rfind("Cast of ", 0) == 0 && std::string(clause) == "SELECT")
      return Status::InvalidArgument("Invalid Select: " + m);
    return compiled.status();
  }
  if (!compiled->type)
    return Status::InvalidArgument("Can't infer a type of null. Please explicitly cast it to a required type, e.g. CAST(null AS VARCHAR).");
  return OutputColumn{item.name, std::move(*compiled)};
}

// Builds the sink's DataSource for CSAS/CTAS, or checks INSERT INTO's target.
namespace {

// ksqlDB's Column.canImplicitlyCast for INSERT INTO: numbers widen (INTEGER -> BIGINT ->
// DECIMAL -> DOUBLE, composites element-wise); a DECIMAL goes into a DECIMAL with at least its
// scale and its integer digits (DecimalUtil.canImplicitlyCast).
bool ResultCastsToSinkColumn(const TypePtr& result, const TypePtr& sink) {
  if (!result || !sink) return false;
  if (TypeEquals(result, sink)) return true;
  if (result->kind == TypeKind::kDecimal && sink->kind == TypeKind::kDecimal)
    return result->scale <= sink->scale && result->precision - result->scale <= sink->precision - sink->scale;
  return CanImplicitlyCast(*result, *sink);
}

// The projection's values converted to the INSERT INTO target's types (1 into DECIMAL(5, 2)
// is written as 1.00). Keys first, then values: the order of both schemas.
void CastResultsToSinkTypes(const DataSource& target, QueryPlan& plan) {
  size_t i = 0;
  for (std::vector<OutputColumn>* columns : {&plan.key_columns, &plan.value_columns})
    for (OutputColumn& c : *columns) {
      const TypePtr to = target.columns[i++].type;
      if (TypeEquals(c.expr.type, to)) continue;
      c.expr.eval = [inner = std::move(c.expr.eval), from = c.expr.type, to](EvalContext& ctx) {
        return CastValue(inner(ctx), *from, *to, nullptr);
      };
      c.expr.type = to;
    }
}

}  // namespace

Result<DataSourcePtr> BuildSink(const SinkRequest& req, const DataSource& source, QueryPlan& plan,
                                const MetaStore& metastore, const AnalysisConfig& config) {
  auto sink = std::make_shared<DataSource>();
  sink->name = req.name;
  sink->kind = req.kind;
  sink->is_sink = true;
  sink->sql = req.statement_text;
  for (const auto& k : plan.key_columns)
    sink->columns.push_back({k.name, k.expr.type, ColumnNamespace::kKey, ""});
  for (const auto& v : plan.value_columns)
    sink->columns.push_back({v.name, v.expr.type, ColumnNamespace::kValue, ""});
  {
    // ksqlDB builds the projection's schema column by column and reports the second of two
    // columns with one name, with its type.
    std::set<std::string> names;
    for (const auto& c : sink->columns)
      if (!names.insert(c.name).second)
        return Status::InvalidArgument("Duplicate value columns found in schema: `" + c.name + "` " +
                                       (c.type ? c.type->ToString() : "NULL"));
    for (const auto& c : sink->columns)
      if (c.ns == ColumnNamespace::kValue && IsReservedColumnName(c.name) && !req.transient)
        return Status::InvalidArgument("Reserved column name in select: `" + c.name +
                                       "`. Please remove or alias the column.");
  }

  if (req.insert_into) {
    DataSourcePtr target = metastore.FindSource(req.name);
    if (!target) return Status::NotFound("Sink " + req.name + " does not exist for the INSERT INTO statement.");
    if (target->kind != SourceKind::kStream)
      return Status::InvalidArgument("INSERT INTO can only be used to insert into a stream. " +
                                     req.name + " is a table.");
    bool same = target->columns.size() == sink->columns.size();
    for (size_t i = 0; same && i < target->columns.size(); ++i)
      same = target->columns[i].name == sink->columns[i].name &&
             target->columns[i].ns == sink->columns[i].ns &&
             ResultCastsToSinkColumn(sink->columns[i].type, target->columns[i].type);
    if (!same) {
      auto schema = [](const DataSource& d) {
        std::string out;
        for (const auto& c : d.columns) {
          if (c.ns != ColumnNamespace::kKey && c.ns != ColumnNamespace::kValue) continue;
          out += (out.empty() ? "`" : ", `") + c.name + "` " + (c.type ? c.type->ToSqlString() : "NULL") +
                 (c.ns == ColumnNamespace::kKey ? " KEY" : "");
        }
        return out;
      };
      return Status::InvalidArgument("Incompatible schema between results and sink.\nResult schema is " +
                                     schema(*sink) + "\nSink schema is " + schema(*target));
    }
    CastResultsToSinkTypes(*target, plan);
    return target;
  }

  WithProperties props;
  if (req.properties) {
    auto parsed = ParseWithProperties(*req.properties);
    if (!parsed.ok()) return parsed.status();
    props = *parsed;
  }
  sink->topic = props.kafka_topic.value_or(req.topic_prefix + req.name);
  // A query over a windowed source keeps its windowed key (aggregations set their own window).
  if (source.window && !plan.aggregation) sink->window = source.window;
  sink->partitions = props.partitions.value_or(source.partitions);
  const bool has_key = !plan.key_columns.empty();
  if (!has_key && props.key_format && *props.key_format != FormatKind::kNone && req.kind == SourceKind::kStream)
    return Status::InvalidArgument("Key format specified for stream without key columns.");
  FormatKind key_kind = props.key_format.value_or(source.key_format.kind);
  if (!has_key) key_kind = props.key_format.value_or(FormatKind::kNone);
  else if (!props.key_format && source.key_format.kind == FormatKind::kNone)
    key_kind = config.default_key_format.value_or(FormatKind::kKafka);
  FormatKind value_kind = props.value_format.value_or(source.value_format.kind);
  if (req.transient) {
    // Rows of a transient query travel from its tasks to the caller in JSON, which carries
    // every SQL type (the source's format may not: KAFKA, DELIMITED).
    key_kind = has_key ? FormatKind::kJson : FormatKind::kNone;
    value_kind = FormatKind::kJson;
  }
  SLUICE_RETURN_IF_ERROR(CheckSchemaProperties(props, key_kind, value_kind));
  std::optional<char> value_delim = props.value_delimiter;
  if (!value_delim && !props.value_format) value_delim = source.value_format.delimiter;
  std::optional<char> key_delim = props.key_delimiter;
  if (!key_delim && !props.key_format) key_delim = source.key_format.delimiter;
  SLUICE_RETURN_IF_ERROR(CheckWrapping(value_kind, props.wrap_single_value));
  if (props.wrap_single_value && plan.value_columns.size() != 1)
    return Status::InvalidArgument("'WRAP_SINGLE_VALUE' is only valid for single-field value schemas");
  sink->value_format = MakeFormatOptions(value_kind, value_delim,
                                         props.wrap_single_value.value_or(config.wrap_single_values));
  sink->key_format = MakeFormatOptions(key_kind, key_delim, false);
  AttachSchemaOptions(&sink->key_format, sink->topic, true, props, config, sink->name);
  AttachSchemaOptions(&sink->value_format, sink->topic, false, props, config, sink->name);
  SLUICE_RETURN_IF_ERROR(ValidateColumns(sink->key_format, sink->KeyColumns(), true));
  SLUICE_RETURN_IF_ERROR(ValidateColumns(sink->value_format, sink->ValueColumns(), false));
  // KEY_/VALUE_SCHEMA_ID: the sink writes with that registered schema, which must hold the
  // query's columns (ksqlDB's DefaultSchemaInjector for C*AS).
  for (const FormatOptions* f : {&sink->key_format, &sink->value_format}) {
    if (!f->schema_id) continue;
    auto registered = ReadTopicSchema(sink->topic, f->is_key, f->kind, f->schema_id,
                                      f->schema_full_name, config);
    if (!registered.ok()) return registered.status();
    SLUICE_RETURN_IF_ERROR(CheckSinkColumnsAgainstSchema(
        f->is_key ? sink->KeyColumns() : sink->ValueColumns(), *registered, f->is_key));
  }
  if (props.timestamp) {
    sink->timestamp_column = *props.timestamp;
    sink->timestamp_format = props.timestamp_format.value_or("");
  }
  return DataSourcePtr(sink);
}

}  // namespace query_internal

namespace query_internal {

// What the stateless engine runs: anything else is NotSupported (the runner's SKIP), and the
// statement kind must fit the result (CSAS over a stream, CTAS over a table).
Status CheckQueryShape(const Query& q, const SinkRequest& req, const DataSource& source) {
  if (!q.joins.empty()) return Status::NotSupported("Joins are not supported yet");
  if (q.window) return Status::NotSupported("Windowed aggregations are not supported yet");
  if (q.has_group_by || q.having) return Status::NotSupported("GROUP BY is not supported yet");
  if (q.emit == EmitKind::kFinal) return Status::NotSupported("EMIT FINAL is not supported yet");
  for (const auto& item : q.select)
    if (item.expression && ContainsAggregate(*item.expression))
      return Status::NotSupported("Aggregate functions are not supported yet");
  if (source.window && source.kind == SourceKind::kTable && !req.insert_into && !req.transient)
    return Status::InvalidArgument("KSQL does not support persistent queries on windowed tables.");
  if (req.kind == SourceKind::kTable && source.kind == SourceKind::kStream && !req.insert_into)
    return Status::InvalidArgument(
        "Invalid result type. Your SELECT query produces a STREAM. Please use CREATE STREAM AS "
        "SELECT statement instead.");
  if (req.kind == SourceKind::kStream && source.kind == SourceKind::kTable && !req.insert_into)
    return Status::InvalidArgument(
        "Invalid result type. Your SELECT query produces a TABLE. Please use CREATE TABLE AS "
        "SELECT statement instead.");
  if (q.has_partition_by && q.partition_by.empty())
    return Status::InvalidArgument("PARTITION BY requires at least one expression");
  if (q.partition_by.size() > 1)
    for (const auto& p : q.partition_by)
      if (p->kind == ExprKind::kLiteral && static_cast<const LiteralExpr&>(*p).value.IsNull())
        return Status::InvalidArgument("Cannot PARTITION BY multiple columns including NULL");
  if (q.has_partition_by && source.kind == SourceKind::kTable)
    return Status::InvalidArgument("Unsupported operation: PARTITION BY on a table. "
                                   "Use GROUP BY to re-key a table.");
  return Status::OK();
}

// Row layout: the source's columns, then ROWTIME, ROWPARTITION, ROWOFFSET (table function
// slots are appended later).
void InitRowLayout(const DataSourcePtr& source, bool repartitioned, QueryPlan* plan) {
  plan->source = source;
  plan->repartitioned = repartitioned;
  plan->source_column_count = static_cast<int>(source->columns.size());
  plan->rowtime_index = plan->source_column_count;
  plan->rowpartition_index = plan->source_column_count + 1;
  plan->rowoffset_index = plan->source_column_count + 2;
  plan->row_width = plan->source_column_count + 3;
  if (source->window) {
    plan->windowstart_index = plan->row_width++;
    plan->windowend_index = plan->row_width++;
  }
}

Status PlanWhere(const Query& q, const ExpressionCompiler& compiler, const ColumnScope& scope,
                 QueryPlan* plan) {
  if (!q.where) return Status::OK();
  auto rewritten = RewriteRowtimeStringComparisons(q.where);
  if (!rewritten.ok()) return rewritten.status();
  // Window bounds exist only after a windowed aggregation, never in the rows WHERE filters
  // (unless the source itself is windowed): ksqlDB's type check says so before anything else.
  std::string bound;
  VisitExpression(q.where, [&](const ExprPtr& e) {
    if (!bound.empty() || e->kind != ExprKind::kColumnRef) return;
    auto& c = static_cast<const ColumnRefExpr&>(*e);
    if ((c.name == "WINDOWSTART" || c.name == "WINDOWEND") && !scope.Resolve(c.qualifier, c.name).ok())
      bound = c.name;
  });
  if (!bound.empty()) return Status::InvalidArgument("Error in WHERE expression: Unknown column " + bound + ".");
  auto where = compiler.Compile(**rewritten, scope);
  if (!where.ok()) {
    const std::string& m = where.status().message();
    if (m.rfind("column '", 0) == 0) return ColumnError(*q.where, "WHERE", m);
    return Status::InvalidArgument("Invalid Predicate: " + m);
  }
  if (where->type && where->type->kind != TypeKind::kBoolean)
    return Status::InvalidArgument("Type error in WHERE expression: Should evaluate to boolean but is " +
                                   FormatExpression(*q.where) + " (" + where->type->ToString() + ") instead.");
  plan->where = std::move(*where);
  return Status::OK();
}

// Table functions in SELECT items (EXPLODE(A), EXPLODE(A)->F): each call is compiled on its
// own; the flat-map step stores each element it emits in a row slot, which the item reads.
// A whole-item call becomes a plain reference to its slot ($TF<slot>, see SlotScope).
Status PlanTableFunctions(const DataSource& source, const ExpressionCompiler& compiler,
                          const ColumnScope& scope, std::vector<ProjectionItem>* items, QueryPlan* plan) {
  for (auto& item : *items) {
    const FunctionCallExpr* call = compiler.FindTableFunctionCall(*item.expr);
    if (!call) continue;
    if (source.kind == SourceKind::kTable)
      return Status::InvalidArgument("Table source is not supported with table functions");
    auto tf = compiler.CompileTableFunction(*call, scope);
    if (!tf.ok()) return tf.status();
    const int slot = plan->row_width++;
    plan->table_function_slots.push_back(slot);
    TypePtr element_type = tf->element_type;
    plan->table_functions.push_back(std::move(*tf));
    if (call == item.expr.get()) {
      auto slot_ref = std::make_shared<ColumnRefExpr>();
      slot_ref->name = "$TF" + std::to_string(slot);
      item.expr = slot_ref;
    } else {
      item.table_function = call;
      item.table_function_slot = slot;
      item.table_function_type = element_type;
    }
  }
  return Status::OK();
}

// Resolves the $TF<slot> references PlanTableFunctions left; everything else as `base`.
class SlotScope : public ColumnScope {
 public:
  SlotScope(const ColumnScope& base, const QueryPlan& plan) : base_(base), plan_(plan) {}
  Result<ColumnBinding> Resolve(const std::string& qualifier, const std::string& name) const override {
    if (qualifier.empty() && name.rfind("$TF", 0) == 0) {
      const int slot = std::stoi(name.substr(3));
      for (size_t i = 0; i < plan_.table_function_slots.size(); ++i)
        if (plan_.table_function_slots[i] == slot) return ColumnBinding{slot, plan_.table_functions[i].element_type};
    }
    return base_.Resolve(qualifier, name);
  }

 private:
  const ColumnScope& base_;
  const QueryPlan& plan_;
};

// Notes whether an expression reads anything but the source's key columns (value columns,
// pseudo columns, table function results): such a key is NULL for a record without a value.
class KeyOnlyScope : public ColumnScope {
 public:
  KeyOnlyScope(const ColumnScope& base, const DataSource& source) : base_(base), source_(source) {}
  Result<ColumnBinding> Resolve(const std::string& qualifier, const std::string& name) const override {
    auto b = base_.Resolve(qualifier, name);
    if (b.ok()) {
      const int i = b->index;
      if (i < 0 || i >= static_cast<int>(source_.columns.size()) ||
          source_.columns[static_cast<size_t>(i)].ns != ColumnNamespace::kKey)
        reads_value = true;
    }
    return b;
  }
  mutable bool reads_value = false;

 private:
  const ColumnScope& base_;
  const DataSource& source_;
};

// Errors in what the user wrote come before structural ones (missing key columns...), as
// ksqlDB reports them: type-check every projection and PARTITION BY expression, and the sink's
// TIMESTAMP column, before deciding keys and values.
Status CheckUserExpressions(const Query& q, const SinkRequest& req, const std::vector<ProjectionItem>& items,
                            const ExpressionCompiler& compiler, const ColumnScope& scope,
                            const ColumnScope& slot_scope) {
  for (const auto& item : items) {
    auto c = CompileColumn(item, compiler, slot_scope, "SELECT");
    if (!c.ok()) return c.status();
  }
  for (const auto& p : q.partition_by) {
    auto c = compiler.Compile(*p, scope);
    if (c.ok()) continue;
    const std::string& m = c.status().message();
    if (m.rfind("column '", 0) != 0) return c.status();
    std::string text = ColumnError(*p, "PARTITION BY", m).message();
    if (p->kind == ExprKind::kColumnRef) {
      const std::string& name = static_cast<const ColumnRefExpr&>(*p).name;
      for (const auto& item : items)
        if (item.name == name) {
          text += " '" + name + "' must be a column in the source schema since PARTITION BY is applied on the input.";
          break;
        }
    }
    return Status::InvalidArgument(text);
  }
  if (req.properties && !req.insert_into)
    if (const LiteralExpr* ts = FindProperty(*req.properties, "TIMESTAMP"); ts && ts->value.IsString()) {
      const std::string& t = ts->value.AsString();
      const std::string name = t.size() >= 2 && t.front() == '`' ? t.substr(1, t.size() - 2) : AsciiUpper(t);
      if (std::none_of(items.begin(), items.end(), [&](const auto& i) { return i.name == name; }))
        return Status::InvalidArgument("The TIMESTAMP column set in the WITH clause does not exist in the schema: '" +
                                       name + "'");
    }
  return Status::OK();
}

Status CompileProjection(const Query& q, const DataSource& source, const std::vector<ProjectionItem>& keys,
                         const std::vector<ProjectionItem>& values, const ExpressionCompiler& compiler,
                         const ColumnScope& slot_scope, QueryPlan* plan) {
  for (const auto& k : keys) {
    KeyOnlyScope key_scope(slot_scope, source);
    auto c = CompileColumn(k, compiler, key_scope, q.has_partition_by ? "PARTITION BY" : "SELECT");
    if (!c.ok()) return c.status();
    c->reads_value = key_scope.reads_value;
    plan->key_columns.push_back(std::move(*c));
  }
  for (const auto& v : values) {
    auto c = CompileColumn(v, compiler, slot_scope, "SELECT");
    if (!c.ok()) return c.status();
    plan->value_columns.push_back(std::move(*c));
  }
  return Status::OK();
}

void RecordUsedColumns(const SourceScope& scope, const DataSource& source, QueryPlan* plan) {
  plan->used_columns.assign(scope.used().begin(), scope.used().end());
  if (source.timestamp_column.empty()) return;
  for (size_t i = 0; i < source.columns.size(); ++i)
    if (source.columns[i].name == source.timestamp_column) plan->used_columns.push_back(static_cast<int>(i));
}

// Where the output timestamp comes from when the sink has TIMESTAMP='col' (a value column,
// or a key column after the values).
Status PlanSinkTimestamp(QueryPlan* plan) {
  const DataSource& sink = *plan->sink;
  if (sink.timestamp_column.empty()) return Status::OK();
  SLUICE_RETURN_IF_ERROR(CheckTimestampColumn(sink));
  for (size_t i = 0; i < plan->value_columns.size(); ++i)
    if (plan->value_columns[i].name == sink.timestamp_column) plan->sink_timestamp_column = static_cast<int>(i);
  for (size_t i = 0; i < plan->key_columns.size(); ++i)
    if (plan->key_columns[i].name == sink.timestamp_column)
      plan->sink_timestamp_column = static_cast<int>(plan->value_columns.size() + i);
  plan->sink_timestamp_format = sink.timestamp_format;
  return Status::OK();
}

}  // namespace query_internal

using namespace query_internal;

namespace {
// A SELECT item named like a pseudo column or window bound, as ksqlDB's analyzer checks it
// right after FROM: an alias to the reserved name is never allowed; the bare reserved column
// pseudo column (`SELECT ROWTIME`) cannot be a persistent query's column.
Status CheckReservedNames(const Query& q, bool transient) {
  for (const auto& item : q.select) {
    if (item.kind != SelectItem::Kind::kExpression) continue;
    const bool bare = item.expression->kind == ExprKind::kColumnRef;
    const std::string column = bare ? static_cast<const ColumnRefExpr&>(*item.expression).name : "";
    // In a join, `S.ROWTIME` is named S_ROWTIME (ksqlDB's ALIAS_COLUMN naming): not reserved.
    if (bare && item.alias.empty() && !q.joins.empty() &&
        !static_cast<const ColumnRefExpr&>(*item.expression).qualifier.empty())
      continue;
    const std::string name = item.alias.empty() ? column : item.alias;
    if (name.empty() || !IsReservedColumnName(name)) continue;
    if (column != name)
      return Status::InvalidArgument("`" + name + "` is a reserved column name. You cannot use it as an alias for a column.");
    // Window bounds may be selected bare: a windowed aggregation outputs them. A transient
    // query may select any pseudo column bare (`SELECT ROWTIME, * ... EMIT CHANGES`).
    if (name != "WINDOWSTART" && name != "WINDOWEND" && !transient)
      return Status::InvalidArgument("Reserved column name in select: `" + name + "`. Please remove or alias the column.");
  }
  return Status::OK();
}
}  // namespace

Result<QueryPlan> AnalyzeQuery(const Query& q, const SinkRequest& req, const MetaStore& metastore,
                               const AnalysisConfig& config) {
  if (metastore.FindSource(q.from.name)) SLUICE_RETURN_IF_ERROR(CheckReservedNames(q, req.transient));
  if (IsAggregationQuery(q) && q.joins.empty()) return AnalyzeAggregateQuery(q, req, metastore, config);
  if (!q.joins.empty()) return AnalyzeJoinQuery(q, req, metastore, config);
  DataSourcePtr source = metastore.FindSource(q.from.name);
  if (!source) return Status::NotFound(q.from.name + " does not exist.");
  SLUICE_RETURN_IF_ERROR(CheckQueryShape(q, req, *source));

  QueryPlan plan;
  InitRowLayout(source, q.has_partition_by, &plan);
  ExpressionCompiler compiler(FunctionRegistry::Builtins(),
                              [&metastore](const std::string& n) { return metastore.FindType(n); });
  SourceScope scope(*source, q.from.alias, plan);
  SLUICE_RETURN_IF_ERROR(PlanWhere(q, compiler, scope, &plan));

  std::vector<ProjectionItem> items;
  SLUICE_RETURN_IF_ERROR(ExpandSelect(q, *source, compiler, scope, &items));
  RecordResultColumns(req, *source, items);
  SLUICE_RETURN_IF_ERROR(PlanTableFunctions(*source, compiler, scope, &items, &plan));
  SlotScope slot_scope(scope, plan);
  SLUICE_RETURN_IF_ERROR(CheckUserExpressions(q, req, items, compiler, scope, slot_scope));

  std::vector<ProjectionItem> keys, values;
  SLUICE_RETURN_IF_ERROR(SplitKeyAndValue(q, *source, req, items, &keys, &values));
  if (values.empty() && req.transient) values.push_back(HiddenValueItem());
  if (values.empty()) return Status::InvalidArgument("The projection contains no value columns.");
  SLUICE_RETURN_IF_ERROR(CompileProjection(q, *source, keys, values, compiler, slot_scope, &plan));

  // The deserializer decodes only what some expression reads (and the timestamp column).
  RecordUsedColumns(scope, *source, &plan);

  auto sink = BuildSink(req, *source, plan, metastore, config);
  if (!sink.ok()) return sink.status();
  plan.sink = *sink;
  SLUICE_RETURN_IF_ERROR(PlanSinkTimestamp(&plan));
  return plan;
}

}  // namespace sluice
