#include "engine/analyzer/join_analyzer.h"

#include <algorithm>
#include <set>

#include "engine/analyzer/expression_rewriter.h"
#include "engine/analyzer/query_internal.h"

namespace sluice {

using namespace query_internal;

namespace {

// ksqlDB's grace period for WITHIN without GRACE PERIOD (Kafka Streams' legacy default).
constexpr int64_t kDefaultGraceMs = 24LL * 3600 * 1000;
constexpr const char* kJoinKeyRef = "$JOINKEY";

struct Side {
  DataSourcePtr source;
  std::string alias;  // the alias, or the source's name
  int offset = 0;     // where its columns start in the joined row
};

// Resolves names over the joined row: `A.X` by alias (or source name), `X` when only one side
// has it, the synthetic key column by its name, pseudo columns of the result.
class JoinScope : public ColumnScope {
 public:
  JoinScope(const Side& l, const Side& r, const QueryPlan& plan, std::string synthetic_key, TypePtr key_type)
      : sides_{&l, &r}, plan_(plan), synthetic_key_(std::move(synthetic_key)), key_type_(std::move(key_type)) {}

  Result<ColumnBinding> Resolve(const std::string& qualifier, const std::string& name) const override {
    if (qualifier.empty() && name == kJoinKeyRef) return ColumnBinding{plan_.join->key_index, key_type_};
    if (qualifier.empty() && !synthetic_key_.empty() && name == synthetic_key_)
      return ColumnBinding{plan_.join->key_index, key_type_};
    if (qualifier.empty())
      if (auto pseudo = Pseudo(name); pseudo.index >= 0) return pseudo;
    if (!qualifier.empty()) {
      const Side* s = SideOf(qualifier);
      if (!s) return Status::InvalidArgument("'" + qualifier + "' is not a valid stream/table name or alias.");
      if (auto b = Find(*s, name); b.index >= 0) return b;
      if (auto p = Pseudo(name); p.index >= 0)
        return ColumnBinding{s->offset + static_cast<int>(s->source->columns.size()) + (p.index - plan_.rowtime_index),
                             p.type};
      return Status::InvalidArgument("column '" + qualifier + "." + name + "' cannot be resolved.");
    }
    ColumnBinding l = Find(*sides_[0], name), r = Find(*sides_[1], name);
    if (l.index >= 0 && r.index >= 0)
      return Status::InvalidArgument("Column '" + name + "' is ambiguous. Could be " + sides_[0]->alias + "." +
                                     name + " or " + sides_[1]->alias + "." + name + ".");
    if (l.index >= 0) return l;
    if (r.index >= 0) return r;
    return Status::InvalidArgument("column '" + name + "' cannot be resolved.");
  }

  // Which side a resolved index belongs to (0 left, 1 right, -1 neither).
  int SideIndex(int index) const {
    if (index < 0) return -1;
    if (index < sides_[1]->offset) return 0;
    if (index < sides_[1]->offset + static_cast<int>(sides_[1]->source->columns.size()) + 3) return 1;
    return -1;
  }
  const Side* SideOf(const std::string& qualifier) const {
    for (const Side* s : sides_)
      if (qualifier == s->alias || qualifier == s->source->name) return s;
    return nullptr;
  }

 private:
  ColumnBinding Find(const Side& s, const std::string& name) const {
    for (size_t i = 0; i < s.source->columns.size(); ++i)
      if (s.source->columns[i].name == name) return {s.offset + static_cast<int>(i), s.source->columns[i].type};
    return {};
  }
  ColumnBinding Pseudo(const std::string& name) const {
    if (name == "ROWTIME") return {plan_.rowtime_index, SqlType::Bigint()};
    if (name == "ROWPARTITION") return {plan_.rowpartition_index, SqlType::Integer()};
    if (name == "ROWOFFSET") return {plan_.rowoffset_index, SqlType::Bigint()};
    return {};
  }

  const Side* sides_[2];
  const QueryPlan& plan_;
  std::string synthetic_key_;
  TypePtr key_type_;
};

const char* KindName(SourceKind k) { return k == SourceKind::kStream ? "STREAM" : "TABLE"; }

const char* JoinTypeText(JoinType t) {
  switch (t) {
    case JoinType::kInner: return "[INNER] JOIN";
    case JoinType::kLeft: return "LEFT [OUTER] JOIN";
    case JoinType::kRight: return "RIGHT [OUTER] JOIN";
    case JoinType::kOuter: return "[FULL] OUTER JOIN";
  }
  return "JOIN";
}

Status CheckJoinShape(const Query& q, const JoinClause& j, const Side& l, const Side& r) {
  const DataSource& ls = *l.source;
  const DataSource& rs = *r.source;
  if (ls.name == rs.name)
    return Status::InvalidArgument("Can not join '" + ls.name + "' to '" + rs.name +
                                   "': self joins are not yet supported.");
  if (ls.value_format.kind == FormatKind::kKafka || rs.value_format.kind == FormatKind::kKafka) {
    std::vector<std::string> names;
    if (ls.value_format.kind == FormatKind::kKafka) names.push_back(ls.name);
    if (rs.value_format.kind == FormatKind::kKafka) names.push_back(rs.name);
    return Status::InvalidArgument("Source(s) " + names[0] + (names.size() > 1 ? ", " + names[1] : "") +
                                   " are using the 'KAFKA' value format. This format does not yet support JOIN.");
  }
  if (ls.window || rs.window) return Status::NotSupported("Joins of windowed sources are not supported yet");
  if (q.has_group_by || q.window) return Status::NotSupported("GROUP BY over a join is not supported yet");
  if (ls.kind == SourceKind::kTable && rs.kind == SourceKind::kStream)
    return Status::InvalidArgument("Invalid join order: table-stream joins are not supported; only stream-table joins. Got " +
                                   ls.name + " " + JoinTypeText(j.type) + " " + rs.name + ".");
  const bool ss = ls.kind == SourceKind::kStream && rs.kind == SourceKind::kStream;
  if (ls.kind == SourceKind::kStream && rs.kind == SourceKind::kTable &&
      (j.type == JoinType::kRight || j.type == JoinType::kOuter))
    return Status::InvalidArgument(std::string("Invalid join type: ") +
                                   (j.type == JoinType::kRight ? "right" : "full-outer") +
                                   " join not supported for stream-table join. Got " + ls.name + " " +
                                   JoinTypeText(j.type) + " " + rs.name + ".");
  return Status::OK();
}

// WITHIN: required for stream-stream joins, refused for the others (after the ON checks, as
// ksqlDB reports errors in the criteria first).
Status CheckWithin(const JoinClause& j, const Side& l, const Side& r) {
  const bool ss = l.source->kind == SourceKind::kStream && r.source->kind == SourceKind::kStream;
  if (ss && !j.within)
    return Status::InvalidArgument("Stream-Stream joins must have a WITHIN clause specified. None was provided. "
                                   "To learn about how to specify a WITHIN clause with a stream-stream join, "
                                   "please visit: https://docs.confluent.io/current/ksql/docs/syntax-reference.html"
                                   "#create-stream-as-select");
  if (!ss && j.within)
    return Status::InvalidArgument("A window definition was provided for a Stream-Table join. These joins are not "
                                   "windowed. Please drop the window definition (ie. the WITHIN clause) and try to "
                                   "submit your query again.");
  return Status::OK();
}

// The source (0 left, 1 right) every column of `e` belongs to; -1 when none or both.
int SourceOfExpression(const ExprPtr& e, const JoinScope& scope, Status* error) {
  std::set<int> sides;
  VisitExpression(e, [&](const ExprPtr& n) {
    if (n->kind != ExprKind::kColumnRef || !error->ok()) return;
    auto& c = static_cast<const ColumnRefExpr&>(*n);
    auto b = scope.Resolve(c.qualifier, c.name);
    if (!b.ok()) {
      // ksqlDB positions these at the column (and wraps an ambiguity as a preparation error).
      const std::string& m = b.status().message();
      const std::string at = "Line: " + std::to_string(c.pos.line) + ", Col: " + std::to_string(c.pos.column) + ": ";
      if (m.rfind("column '", 0) == 0) *error = Status::InvalidArgument(at + "JOIN ON " + m);
      else if (m.find("is ambiguous") != std::string::npos)
        *error = Status::InvalidArgument("Exception while preparing statement: " + at + m);
      else *error = Status::InvalidArgument(m);
      return;
    }
    sides.insert(scope.SideIndex(b->index));
  });
  return sides.size() == 1 ? *sides.begin() : -1;
}

// The join key's expression of one side, compiled over that side's own row.
Result<CompiledExpression> CompileSideKey(const ExprPtr& e, const Side& s, const ExpressionCompiler& compiler) {
  QueryPlan side;
  InitRowLayout(s.source, false, &side);
  SourceScope scope(*s.source, s.alias, side);
  auto c = compiler.Compile(*e, scope);
  if (!c.ok()) {
    const std::string& m = c.status().message();
    return Status::InvalidArgument(m.rfind("column '", 0) == 0 ? "JOIN ON " + m : m);
  }
  return c;
}

// The key column `e` is, when it is a plain reference to that side's only key column.
bool IsKeyColumnRef(const ExprPtr& e, const Side& s) {
  if (e->kind != ExprKind::kColumnRef) return false;
  const SourceColumn* c = s.source->FindColumn(static_cast<const ColumnRefExpr&>(*e).name);
  return c && c->ns == ColumnNamespace::kKey && s.source->KeyColumns().size() == 1;
}

std::string Qualified(const ExprPtr& e, const Side& s) {
  if (e->kind == ExprKind::kColumnRef) return s.alias + "." + static_cast<const ColumnRefExpr&>(*e).name;
  return FormatExpression(*e);
}

Status CheckKeyType(const TypePtr& t, const std::string& name) {
  std::function<bool(const TypePtr&)> has_map = [&](const TypePtr& x) {
    if (!x) return false;
    if (x->kind == TypeKind::kMap) return true;
    if (x->element && has_map(x->element)) return true;
    for (const auto& f : x->fields)
      if (has_map(f.type)) return true;
    return false;
  };
  if (has_map(t))
    return Status::InvalidArgument("Map keys, including types that contain maps, are not supported as they may lead to "
                                   "unexpected behavior due to inconsistent serialization. Key column name: `" + name +
                                   "`. Column type: " + t->ToSqlString() +
                                   ". See https://github.com/confluentinc/ksql/issues/6621 for more.");
  return Status::OK();
}

// The name of a synthetic key column: ROWKEY unless a source has such a column.
std::string SyntheticKeyName(const Side& l, const Side& r) {
  std::string name = "ROWKEY";
  for (int i = 1; l.source->FindColumn(name) || r.source->FindColumn(name); ++i) name = "ROWKEY_" + std::to_string(i);
  return name;
}

// SELECT items over the joined row: `*` expands both sides (and a synthetic key first) as
// ALIAS_COLUMN, `A.*` one side; `A.X` is named A_X, `X` keeps its name.
Status ExpandJoinSelect(const Query& q, const Side& l, const Side& r, const std::string& synthetic_key,
                        const ExpressionCompiler& compiler, const JoinScope& scope,
                        std::vector<ProjectionItem>* items) {
  auto qualified_ref = [](const std::string& qualifier, const std::string& name) {
    auto c = std::make_shared<ColumnRefExpr>();
    c->qualifier = qualifier;
    c->name = name;
    return c;
  };
  auto expand = [&](const Side& s) {
    for (const auto& c : s.source->columns)
      items->push_back(Item(s.alias + "_" + c.name, qualified_ref(s.alias, c.name), /*from_star=*/true));
  };
  int generated = 0;
  for (const auto& item : q.select) {
    if (item.kind == SelectItem::Kind::kAll) {
      if (item.qualifier.empty()) {
        if (!synthetic_key.empty()) items->push_back(Item(synthetic_key, ColumnRef(synthetic_key), true));
        expand(l);
        expand(r);
        continue;
      }
      const Side* s = scope.SideOf(item.qualifier);
      if (!s) return Status::InvalidArgument("'" + item.qualifier + "' is not a valid stream/table name or alias.");
      expand(*s);
      continue;
    }
    if (item.kind == SelectItem::Kind::kStructAll) {
      auto type = compiler.TypeOf(*item.expression, scope);
      if (!type.ok()) return type.status();
      if (!*type || (*type)->kind != TypeKind::kStruct)
        return Status::InvalidArgument("Can't dereference a non-STRUCT: " + FormatExpression(*item.expression));
      for (const auto& f : (*type)->fields) {
        auto d = std::make_shared<DereferenceExpr>();
        d->base = item.expression;
        d->field = f.name;
        items->push_back(Item(f.name, d, false));
      }
      continue;
    }
    ProjectionItem p;
    p.expr = item.expression;
    p.aliased = !item.alias.empty();
    if (p.aliased) p.name = item.alias;
    else if (item.expression->kind == ExprKind::kColumnRef) {
      auto& c = static_cast<const ColumnRefExpr&>(*item.expression);
      const Side* s = c.qualifier.empty() ? nullptr : scope.SideOf(c.qualifier);
      // `A.X` keeps the name X unless the other source has an X too (then A_X).
      const Side& other = s == &l ? r : l;
      const bool pseudo = c.name == "ROWTIME" || c.name == "ROWPARTITION" || c.name == "ROWOFFSET";
      p.name = s && (pseudo || other.source->FindColumn(c.name)) ? s->alias + "_" + c.name : c.name;
    } else if (item.expression->kind == ExprKind::kDereference) {
      p.name = static_cast<const DereferenceExpr&>(*item.expression).field;
    } else {
      std::string n;
      do n = "KSQL_COL_" + std::to_string(generated++);
      while (l.source->FindColumn(n) || r.source->FindColumn(n));
      p.name = n;
    }
    items->push_back(std::move(p));
  }
  return Status::OK();
}

}  // namespace

Result<QueryPlan> AnalyzeJoinQuery(const Query& q, const SinkRequest& req, const MetaStore& metastore,
                                   const AnalysisConfig& config) {
  if (q.joins.size() > 1) return Status::NotSupported("Joins of more than two sources are not supported yet");
  const JoinClause& j = q.joins[0];
  Side l, r;
  l.source = metastore.FindSource(q.from.name);
  if (!l.source) return Status::NotFound(q.from.name + " does not exist.");
  r.source = metastore.FindSource(j.right.name);
  if (!r.source) return Status::NotFound(j.right.name + " does not exist.");
  l.alias = q.from.alias.empty() ? l.source->name : q.from.alias;
  r.alias = j.right.alias.empty() ? r.source->name : j.right.alias;
  SLUICE_RETURN_IF_ERROR(CheckJoinShape(q, j, l, r));

  QueryPlan plan;
  JoinPlan& join = plan.join.emplace();
  join.type = j.type;
  join.right = r.source;
  join.kind = l.source->kind == SourceKind::kTable   ? JoinPlan::Kind::kTableTable
              : r.source->kind == SourceKind::kTable ? JoinPlan::Kind::kStreamTable
                                                     : JoinPlan::Kind::kStreamStream;
  plan.source = l.source;
  r.offset = static_cast<int>(l.source->columns.size()) + 3;
  join.right_offset = r.offset;
  join.right_width = static_cast<int>(r.source->columns.size()) + 3;
  plan.source_column_count = r.offset + join.right_width;
  plan.rowtime_index = plan.source_column_count;
  plan.rowpartition_index = plan.rowtime_index + 1;
  plan.rowoffset_index = plan.rowtime_index + 2;
  join.key_index = plan.rowtime_index + 3;
  plan.row_width = join.key_index + 1;
  if (j.within) {
    join.before_ms = j.within->before.ToMillis();
    join.after_ms = j.within->after.ToMillis();
    join.has_grace = j.within->grace.has_value();
    join.grace_ms = join.has_grace ? j.within->grace->ToMillis() : kDefaultGraceMs;
  }

  // ON: one equality whose sides each read exactly one source.
  if (!j.criteria || j.criteria->kind != ExprKind::kComparison ||
      static_cast<const ComparisonExpr&>(*j.criteria).op != ComparisonOp::kEq) {
    if (j.criteria && j.criteria->kind == ExprKind::kLogicalBinary)
      return Status::InvalidArgument("Invalid join condition: joins on multiple conditions are not yet supported. Got " +
                                     FormatExpression(*j.criteria) + ".");
    return Status::InvalidArgument("Unsupported join expression: " +
                                   (j.criteria ? FormatExpression(*j.criteria) : std::string("(none)")) +
                                   ". Only equality conditions are supported.");
  }
  auto& eq = static_cast<const ComparisonExpr&>(*j.criteria);
  JoinScope probe(l, r, plan, "", nullptr);
  Status err = Status::OK();
  VisitExpression(j.criteria, [&](const ExprPtr& n) {
    if (n->kind != ExprKind::kColumnRef || !err.ok()) return;
    auto& c = static_cast<const ColumnRefExpr&>(*n);
    if (!c.qualifier.empty() && !probe.SideOf(c.qualifier))
      err = Status::InvalidArgument("Failed to prepare statement: '" + c.qualifier +
                                    "' is not a valid stream/table name or alias.");
  });
  SLUICE_RETURN_IF_ERROR(err);
  int first_side = SourceOfExpression(eq.left, probe, &err);
  SLUICE_RETURN_IF_ERROR(err);
  int second_side = SourceOfExpression(eq.right, probe, &err);
  SLUICE_RETURN_IF_ERROR(err);
  for (auto [side, e] : {std::pair{first_side, eq.left}, std::pair{second_side, eq.right}})
    if (side < 0)
      return Status::InvalidArgument("Invalid comparison expression '" + FormatExpression(*e) + "' in join '" +
                                     FormatExpression(*j.criteria) +
                                     "'. Each side of the join comparision must contain references from exactly one source.");
  if (first_side == second_side)
    return Status::InvalidArgument("Each side of the join must reference exactly one source and not the same source. "
                                   "Left side references " + (first_side == 0 ? l.alias : r.alias) +
                                   " and right references " + (second_side == 0 ? l.alias : r.alias));
  SLUICE_RETURN_IF_ERROR(CheckWithin(j, l, r));
  ExprPtr left_expr = first_side == 0 ? eq.left : eq.right;
  ExprPtr right_expr = first_side == 0 ? eq.right : eq.left;
  ExpressionCompiler compiler(FunctionRegistry::Builtins(),
                              [&metastore](const std::string& n) { return metastore.FindType(n); });
  auto lk = CompileSideKey(left_expr, l, compiler);
  if (!lk.ok()) return lk.status();
  auto rk = CompileSideKey(right_expr, r, compiler);
  if (!rk.ok()) return rk.status();
  if (!TypeEquals(lk->type, rk->type))
    return Status::InvalidArgument("Invalid join condition: types don't match. Got " + Qualified(left_expr, l) + "{" +
                                   (lk->type ? lk->type->ToString() : "NULL") + "} = " + Qualified(right_expr, r) +
                                   "{" + (rk->type ? rk->type->ToString() : "NULL") + "}.");
  join.left_key = std::move(*lk);
  join.right_key = std::move(*rk);

  // Tables join on their primary key; a stream joined on anything else needs a repartition.
  const bool left_is_key = IsKeyColumnRef(left_expr, l), right_is_key = IsKeyColumnRef(right_expr, r);
  if (r.source->kind == SourceKind::kTable && !right_is_key) {
    if (l.source->kind == SourceKind::kTable)
      return Status::InvalidArgument("Invalid join condition: table-table joins require to join on the primary key of "
                                     "the right input table. Got " + Qualified(left_expr, l) + " = " +
                                     Qualified(right_expr, r) + ".");
    return Status::InvalidArgument("Invalid join condition: stream-table joins require to join on the table's "
                                   "primary key. Got " + Qualified(left_expr, l) + " = " + Qualified(right_expr, r) + ".");
  }
  if (l.source->kind == SourceKind::kTable && !left_is_key)
    return Status::NotSupported("Foreign-key table-table joins are not supported yet");
  if ((!left_is_key || !right_is_key) && (l.source->partitions > 1 || r.source->partitions > 1))
    return Status::NotSupported("Joins on an expression other than the key (which need a repartition topic) are "
                                "not supported yet for sources with more than one partition");
  if (l.source->partitions != r.source->partitions)
    return Status::InvalidArgument("Can't join `" + l.source->name + "` with `" + r.source->name +
                                   "` since the number of partitions don't match. `" + l.source->name +
                                   "` partitions = " + std::to_string(l.source->partitions) + "; `" + r.source->name +
                                   "` partitions = " + std::to_string(r.source->partitions) +
                                   ". Please repartition either one so that the number of partitions match.");

  // The result's key: the join column selected (either side's, when it is a column), or a
  // synthetic ROWKEY for FULL OUTER joins and joins on expressions only.
  const bool left_col = left_expr->kind == ExprKind::kColumnRef, right_col = right_expr->kind == ExprKind::kColumnRef;
  const bool synthetic = j.type == JoinType::kOuter || (!left_col && !right_col);
  const std::string synthetic_key = synthetic ? SyntheticKeyName(l, r) : "";
  JoinScope scope(l, r, plan, synthetic_key, join.left_key.type);
  SLUICE_RETURN_IF_ERROR(PlanWhere(q, compiler, scope, &plan));

  std::vector<ProjectionItem> items;
  SLUICE_RETURN_IF_ERROR(ExpandJoinSelect(q, l, r, synthetic_key, compiler, scope, &items));
  for (const auto& item : items) {
    auto c = CompileColumn(item, compiler, scope, "SELECT");
    if (!c.ok()) return c.status();
  }
  // Join columns, as joined-row indexes.
  std::vector<int> key_refs;
  if (synthetic) key_refs.push_back(join.key_index);
  else {
    if (left_col) key_refs.push_back(scope.Resolve(static_cast<const ColumnRefExpr&>(*left_expr).qualifier.empty() ? l.alias : l.alias,
                                                   static_cast<const ColumnRefExpr&>(*left_expr).name)->index);
    if (right_col) key_refs.push_back(scope.Resolve(r.alias, static_cast<const ColumnRefExpr&>(*right_expr).name)->index);
  }
  // PARTITION BY the join key changes nothing (the result is keyed by it already); any other
  // expression would need a repartition of the result.
  if (q.has_partition_by) {
    bool by_key = false;
    if (q.partition_by.size() == 1 && q.partition_by[0]->kind == ExprKind::kColumnRef) {
      auto& c = static_cast<const ColumnRefExpr&>(*q.partition_by[0]);
      auto b = scope.Resolve(c.qualifier, c.name);
      by_key = b.ok() && std::find(key_refs.begin(), key_refs.end(), b->index) != key_refs.end();
    }
    if (!by_key) return Status::NotSupported("PARTITION BY over a join (other than by the join key) is not supported yet");
  }
  auto ref_index = [&](const ProjectionItem& it) {
    if (it.expr->kind != ExprKind::kColumnRef) return -1;
    auto& c = static_cast<const ColumnRefExpr&>(*it.expr);
    auto b = scope.Resolve(c.qualifier, c.name);
    if (!b.ok() || std::find(key_refs.begin(), key_refs.end(), b->index) == key_refs.end()) return -1;
    return b->index;
  };
  // The left join column names the key when it is selected, else the right one.
  int key_column = -1;
  for (int ref : key_refs)
    if (key_column < 0 && std::any_of(items.begin(), items.end(), [&](const auto& it) { return ref_index(it) == ref; }))
      key_column = ref;
  std::vector<std::string> aliases;
  std::vector<ProjectionItem> keys, values;
  for (auto& it : items) {
    if (key_column >= 0 && ref_index(it) == key_column) {
      aliases.push_back(it.name);
      keys.push_back(it);
      continue;
    }
    values.push_back(it);
  }
  if (keys.empty()) {
    if (synthetic)
      return Status::InvalidArgument("Key missing from projection (ie, SELECT). See https://cnfl.io/2LV7ouS.\n"
                                     "The query used to build `" + req.name + "` must include the join expression " +
                                     synthetic_key + " in its projection (eg, SELECT " + synthetic_key + "...).\n" +
                                     synthetic_key + " was added as a synthetic key column because the join criteria "
                                     "did not match any source column. This expression must be included in the "
                                     "projection and may be aliased. ");
    std::vector<std::string> names;
    if (left_col) names.push_back(Qualified(left_expr, l));
    if (right_col) names.push_back(Qualified(right_expr, r));
    return Status::InvalidArgument("The query used to build `" + req.name + "` must include the join expression" +
                                   (names.size() > 1 ? "s " + names[0] + " or " + names[1] : " " + names[0]) +
                                   " in its projection (eg, SELECT " + names[0] + "...).");
  }
  if (keys.size() > 1) {
    std::sort(aliases.begin(), aliases.end());
    std::string source_name = items.empty() ? "" : keys[0].name;
    for (const auto& k : keys)
      if (!k.aliased) source_name = k.name;
    return Status::InvalidArgument("The projection contains a key column (`" + source_name +
                                   "`) more than once, aliased as: " + JoinNames(aliases, ", ") + ".");
  }
  if (values.empty()) return Status::InvalidArgument("The projection contains no value columns.");
  // The key's value is the join key (present even when the selected side's row is missing).
  {
    ProjectionItem k = keys[0];
    k.expr = ColumnRef(kJoinKeyRef);
    auto c = CompileColumn(k, compiler, scope, "SELECT");
    if (!c.ok()) return c.status();
    // ksqlDB names the key in this message as the joined schema has it (ALIAS_COLUMN).
    std::string schema_name = c->name;
    if (!synthetic && left_col) schema_name = l.alias + "_" + static_cast<const ColumnRefExpr&>(*left_expr).name;
    SLUICE_RETURN_IF_ERROR(CheckKeyType(c->expr.type, schema_name));
    plan.key_columns.push_back(std::move(*c));
  }
  for (const auto& v : values) {
    auto c = CompileColumn(v, compiler, scope, "SELECT");
    if (!c.ok()) return c.status();
    plan.value_columns.push_back(std::move(*c));
  }

  const SourceKind result = join.kind == JoinPlan::Kind::kTableTable ? SourceKind::kTable : SourceKind::kStream;
  if (!req.insert_into && req.kind != result)
    return Status::InvalidArgument(std::string("Invalid result type. Your SELECT query produces a ") + KindName(result) +
                                   ". Please use CREATE " + KindName(result) + " AS SELECT statement instead.");
  auto sink = BuildSink(req, *l.source, plan, metastore, config);
  if (!sink.ok()) return sink.status();
  plan.sink = *sink;
  SLUICE_RETURN_IF_ERROR(PlanSinkTimestamp(&plan));
  return plan;
}

}  // namespace sluice
