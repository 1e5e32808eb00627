#include "engine/executor/pull/pull_plan.h"

#include <algorithm>
#include <cstdio>
#include <set>

#include "engine/analyzer/expression_rewriter.h"
#include "engine/analyzer/rowtime_literals.h"
#include "engine/expr/cast.h"
#include "engine/expr/java_time_format.h"  // CivilFromDays, FloorDiv
#include "engine/serde/format.h"

namespace sluice {

namespace {

// ksqlDB's PullQueryValidator.PULL_QUERY_SYNTAX_HELP, appended to every validation error.
const char* kSyntaxHelp =
    " See https://cnfl.io/queries for more info.\nAdd EMIT CHANGES if you intended to issue a push query.";

Status PullError(const std::string& message) { return Status::InvalidArgument(message + kSyntaxHelp); }

bool Flag(const std::map<std::string, std::string>& props, const std::string& name, bool fallback) {
  auto it = props.find(name);
  if (it == props.end()) return fallback;
  std::string v = it->second;
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
  return v == "true";
}

std::string Location(const SourcePos& pos) {
  if (pos.line <= 0) return "";
  return "Line: " + std::to_string(pos.line) + ", Col: " + std::to_string(pos.column) + ": ";
}

// ksqlDB's QueryFilterNode.invalidWhereClauseException: the problem, then what a pull query's
// WHERE clause may contain.
Status InvalidWhere(const std::string& msg, bool windowed) {
  std::string additional;
  if (windowed)
    additional =
        "\n - (optionally) limits the time bounds of the windowed table.\n\t Bounds on [`WINDOWSTART`, "
        "`WINDOWEND`] are supported\n\t Supported operators are [EQUAL, GREATER_THAN, GREATER_THAN_OR_EQUAL, "
        "LESS_THAN, LESS_THAN_OR_EQUAL]";
  return Status::InvalidArgument(
      msg + "." + kSyntaxHelp +
      "\nPull queries require a WHERE clause that:\n - includes a key equality expression, e.g. `SELECT * FROM X "
      "WHERE <key-column> = Y;`.\n - in the case of a multi-column key, is a conjunction of equality expressions "
      "that cover all key columns.\n - to support range expressions, e.g.,  SELECT * FROM X WHERE <key-column> < "
      "Y;`, range scans need to be enabled by setting ksql.query.pull.range.scan.enabled=true" +
      additional + "\nIf more flexible queries are needed, , table scans can be enabled by setting "
      "ksql.query.pull.table.scan.enabled=true.");
}

// Columns over the decode row layout; ROWPARTITION/ROWOFFSET resolve (the validator has already
// refused them) so that compile errors stay about types.
class PullScope : public ColumnScope {
 public:
  PullScope(const DataSource& source, std::string alias, const QueryPlan& layout)
      : source_(source), alias_(std::move(alias)), layout_(layout) {}
  Result<ColumnBinding> Resolve(const std::string& qualifier, const std::string& name) const override {
    if (!qualifier.empty() && qualifier != source_.name && qualifier != alias_)
      return Status::InvalidArgument("column '" + qualifier + "." + name + "' cannot be resolved.");
    for (size_t i = 0; i < source_.columns.size(); ++i)
      if (source_.columns[i].name == name) return ColumnBinding{static_cast<int>(i), source_.columns[i].type};
    if (name == "ROWTIME") return ColumnBinding{layout_.rowtime_index, SqlType::Bigint()};
    if (name == "ROWPARTITION") return ColumnBinding{layout_.rowpartition_index, SqlType::Integer()};
    if (name == "ROWOFFSET") return ColumnBinding{layout_.rowoffset_index, SqlType::Bigint()};
    if (name == "WINDOWSTART" && layout_.windowstart_index >= 0)
      return ColumnBinding{layout_.windowstart_index, SqlType::Bigint()};
    if (name == "WINDOWEND" && layout_.windowend_index >= 0)
      return ColumnBinding{layout_.windowend_index, SqlType::Bigint()};
    return Status::InvalidArgument("column '" + (qualifier.empty() ? name : qualifier + "." + name) +
                                   "' cannot be resolved.");
  }

 private:
  const DataSource& source_;
  std::string alias_;
  const QueryPlan& layout_;
};

void InitLayout(const DataSourcePtr& source, QueryPlan* p) {
  p->query_id = "pull";
  p->source = source;
  p->sink = source;  // QueryTask builds serializers for it; never used
  p->source_column_count = static_cast<int>(source->columns.size());
  for (int i = 0; i < p->source_column_count; ++i) p->used_columns.push_back(i);
  p->rowtime_index = p->source_column_count;
  p->rowpartition_index = p->source_column_count + 1;
  p->rowoffset_index = p->source_column_count + 2;
  p->row_width = p->source_column_count + 3;
  if (source->window) {
    p->windowstart_index = p->row_width++;
    p->windowend_index = p->row_width++;
  }
}

// Pseudo columns a pull query may not read (ksqlDB's SystemColumns for pull queries).
std::string DisallowedColumns(const ExprPtr& e) {
  std::string names;
  std::set<std::string> seen;
  VisitExpression(e, [&](const ExprPtr& n) {
    if (n->kind != ExprKind::kColumnRef) return;
    const auto& c = static_cast<const ColumnRefExpr&>(*n);
    if ((c.name == "ROWPARTITION" || c.name == "ROWOFFSET") && seen.insert(c.name).second)
      names += (names.empty() ? "`" : ", `") + c.name + "`";
  });
  return names;
}

// PullQueryValidator's rules, in its order.
Status ValidateShape(const Query& q, const std::map<std::string, std::string>& props) {
  if (!q.joins.empty()) return PullError("Pull queries don't support JOIN clauses.");
  if (q.window) return PullError("Pull queries don't support WINDOW clauses.");
  if (q.has_group_by) return PullError("Pull queries don't support GROUP BY clauses.");
  if (q.has_partition_by) return PullError("Pull queries don't support PARTITION BY clauses.");
  if (q.having) return PullError("Pull queries don't support HAVING clauses.");
  if (q.limit) {
    if (!Flag(props, "ksql.query.pull.limit.clause.enabled", true))
      return PullError("LIMIT clause in pull queries is currently disabled. You can enable them by setting "
                       "ksql.query.pull.limit.clause.enabled=true.");
    if (*q.limit < 0) return PullError("Pull queries don't support negative integers in the LIMIT clause.");
  }
  std::string bad;
  for (const auto& item : q.select) {
    if (item.kind != SelectItem::Kind::kExpression || !item.expression) continue;
    const std::string names = DisallowedColumns(item.expression);
    if (!names.empty()) bad += (bad.empty() ? "" : ", ") + names;
  }
  if (!bad.empty()) return PullError("Pull queries don't support the following columns in SELECT clauses: " + bad + "\n");
  if (q.where) {
    bad = DisallowedColumns(q.where);
    if (!bad.empty()) return PullError("Pull queries don't support the following columns in WHERE clauses: " + bad + "\n");
  }
  return Status::OK();
}

// ---- WHERE: disjunctive normal form and key constraints (ksqlDB's PullQueryRewriter and
// QueryFilterNode) ----------------------------------------------------------------------------

ExprPtr Comparison(ComparisonOp op, ExprPtr left, ExprPtr right) {
  auto c = std::make_shared<ComparisonExpr>();
  c->op = op;
  c->left = std::move(left);
  c->right = std::move(right);
  return c;
}

ExprPtr And(ExprPtr left, ExprPtr right) {
  auto a = std::make_shared<LogicalBinaryExpr>();
  a->op = LogicalOp::kAnd;
  a->left = std::move(left);
  a->right = std::move(right);
  return a;
}

constexpr size_t kMaxDisjuncts = 1024;

// The WHERE clause as a list of conjunctions: OR splits, AND distributes, `x IN (a, b)` becomes
// `x = a OR x = b` and `x BETWEEN a AND b` becomes `x >= a AND x <= b`, as ksqlDB rewrites it.
std::vector<ExprPtr> Disjuncts(const ExprPtr& e) {
  switch (e->kind) {
    case ExprKind::kLogicalBinary: {
      const auto& b = static_cast<const LogicalBinaryExpr&>(*e);
      auto left = Disjuncts(b.left), right = Disjuncts(b.right);
      if (b.op == LogicalOp::kOr) {
        left.insert(left.end(), right.begin(), right.end());
        return left;
      }
      if (left.size() * right.size() > kMaxDisjuncts) return {e};
      std::vector<ExprPtr> out;
      for (const auto& l : left)
        for (const auto& r : right) out.push_back(And(l, r));
      return out;
    }
    case ExprKind::kInList: {
      const auto& in = static_cast<const InListExpr&>(*e);
      if (in.negated || in.list.empty()) return {e};
      std::vector<ExprPtr> out;
      for (const auto& item : in.list) out.push_back(Comparison(ComparisonOp::kEq, in.value, item));
      return out;
    }
    case ExprKind::kBetween: {
      const auto& b = static_cast<const BetweenExpr&>(*e);
      if (b.negated) return {e};
      return {And(Comparison(ComparisonOp::kGte, b.value, b.lower), Comparison(ComparisonOp::kLte, b.value, b.upper))};
    }
    default: return {e};
  }
}

bool HasColumnRef(const ExprPtr& e) {
  bool found = false;
  VisitExpression(e, [&](const ExprPtr& n) { found = found || n->kind == ExprKind::kColumnRef; });
  return found;
}

const char* OpName(ComparisonOp op) {
  switch (op) {
    case ComparisonOp::kEq: return "EQUAL";
    case ComparisonOp::kNeq: return "NOT_EQUAL";
    case ComparisonOp::kLt: return "LESS_THAN";
    case ComparisonOp::kLte: return "LESS_THAN_OR_EQUAL";
    case ComparisonOp::kGt: return "GREATER_THAN";
    case ComparisonOp::kGte: return "GREATER_THAN_OR_EQUAL";
  }
  return "";
}

std::string KeySchemaText(const DataSource& s) {
  std::string out = "[";
  bool first = true;
  for (const auto& c : s.columns) {
    if (c.ns != ColumnNamespace::kKey) continue;
    out += (first ? "`" : ", `") + c.name + "` " + c.type->ToSqlString() + " KEY";
    first = false;
  }
  return out + "]";
}

// One disjunct's key constraint: the key columns compared, how, and to what.
struct KeyConstraint {
  bool keyed = false;
  std::map<int, std::pair<ComparisonOp, ExprPtr>> ops;  // key index -> most selective comparison
};

class WhereAnalyzer {
 public:
  WhereAnalyzer(const DataSource& source, bool scans_enabled)
      : source_(source), windowed_(source.window.has_value()), scans_(scans_enabled) {
    for (const auto& c : source.columns)
      if (c.ns == ColumnNamespace::kKey) keys_.push_back(c.name);
  }

  // Validates a disjunct (QueryFilterNode.Validator); sets *table_scan when it needs one.
  Status Validate(const ExprPtr& d, bool* table_scan) {
    seen_.assign(keys_.size(), false);
    keyed_ = false;
    scan_ = false;
    SLUICE_RETURN_IF_ERROR(Visit(d));
    if (scan_) {
      *table_scan = true;
      return Status::OK();
    }
    if (!keyed_) {
      if (scans_) {
        *table_scan = true;
        return Status::OK();
      }
      return InvalidWhere("WHERE clause missing key column for disjunct: " + FormatExpression(*d), windowed_);
    }
    const size_t seen = static_cast<size_t>(std::count(seen_.begin(), seen_.end(), true));
    if (seen != keys_.size()) {
      if (scans_) {
        *table_scan = true;
        return Status::OK();
      }
      std::string names = "[";
      for (size_t i = 0; i < keys_.size(); ++i)
        if (seen_[i]) names += (names.size() > 1 ? ", `" : "`") + keys_[i] + "`";
      return InvalidWhere("Multi-column sources must specify every key in the WHERE clause. Specified: " + names +
                              "] Expected: " + KeySchemaText(source_),
                          windowed_);
    }
    return Status::OK();
  }

  // KeyValueExtractor: the disjunct's constraint on the key.
  KeyConstraint Extract(const ExprPtr& d) {
    KeyConstraint k;
    VisitExpression(d, [&](const ExprPtr& n) {
      if (n->kind != ExprKind::kComparison) return;
      const auto& c = static_cast<const ComparisonExpr&>(*n);
      const ColumnRefExpr* col = ColumnSide(c);
      if (!col) return;
      const int key = KeyIndex(col->name);
      if (key < 0) return;
      auto it = k.ops.find(key);
      if (it != k.ops.end() && (it->second.first == ComparisonOp::kEq || c.op != ComparisonOp::kEq)) return;
      k.ops[key] = {c.op, OtherSide(c)};
    });
    k.keyed = !k.ops.empty();
    return k;
  }

  int KeyIndex(const std::string& name) const {
    for (size_t i = 0; i < keys_.size(); ++i)
      if (keys_[i] == name) return static_cast<int>(i);
    return -1;
  }
  const std::vector<std::string>& keys() const { return keys_; }

  static const ColumnRefExpr* ColumnSide(const ComparisonExpr& c) {
    if (c.right->kind == ExprKind::kColumnRef) return static_cast<const ColumnRefExpr*>(c.right.get());
    if (c.left->kind == ExprKind::kColumnRef) return static_cast<const ColumnRefExpr*>(c.left.get());
    return nullptr;
  }
  static ExprPtr OtherSide(const ComparisonExpr& c) {
    return c.right->kind == ExprKind::kColumnRef ? c.left : c.right;
  }

 private:
  Status ScanOrFail(const std::string& msg, bool windowed) {
    if (scans_) {
      scan_ = true;
      return Status::OK();
    }
    return InvalidWhere(msg, windowed);
  }

  Status Visit(const ExprPtr& e) {
    switch (e->kind) {
      case ExprKind::kLogicalBinary: {
        const auto& b = static_cast<const LogicalBinaryExpr&>(*e);
        if (b.op != LogicalOp::kAnd)
          SLUICE_RETURN_IF_ERROR(ScanOrFail("Only AND expressions are supported: " + FormatExpression(*e), false));
        SLUICE_RETURN_IF_ERROR(Visit(b.left));
        return Visit(b.right);
      }
      case ExprKind::kComparison: return VisitComparison(static_cast<const ComparisonExpr&>(*e));
      case ExprKind::kLike: return VisitLike(static_cast<const LikeExpr&>(*e));
      default:
        // ksqlDB refuses other predicates outright; with table scans on, Sluice filters with
        // them like any other expression.
        return ScanOrFail("Unsupported expression in WHERE clause: " + FormatExpression(*e), false);
    }
  }

  Status VisitComparison(const ComparisonExpr& c) {
    const ColumnRefExpr* col = ColumnSide(c);
    if (!col) return ScanOrFail("A comparison must directly reference a key column", windowed_);
    if (HasColumnRef(OtherSide(c)))
      return ScanOrFail("A comparison must be between a key column and a resolvable expression", windowed_);
    if (col->name == "WINDOWSTART" || col->name == "WINDOWEND") {
      if (c.op == ComparisonOp::kNeq)
        return InvalidWhere("Unsupported " + col->name + " bounds: " + OpName(c.op), true);
      if (!windowed_) return InvalidWhere("Cannot use WINDOWSTART/WINDOWEND on non-windowed source", false);
      return Status::OK();
    }
    const SourceColumn* sc = source_.FindColumn(col->name);
    if (!sc && col->name != "ROWTIME")
      return InvalidWhere("Bound on non-existent column " + col->name, windowed_);
    const int key = KeyIndex(col->name);
    if (key < 0) return Status::OK();
    if (c.op == ComparisonOp::kNeq)
      SLUICE_RETURN_IF_ERROR(ScanOrFail("Bound on key columns '" + KeySchemaText(source_) + "' must currently be '='",
                                        windowed_));
    if (seen_[key] && !scans_)
      return InvalidWhere(
          "A comparison condition on the key column cannot be combined with other comparisons such as an IN "
          "predicate",
          windowed_);
    seen_[key] = true;
    keyed_ = true;
    return Status::OK();
  }

  Status VisitLike(const LikeExpr& l) {
    if (l.value->kind != ExprKind::kColumnRef)
      return ScanOrFail("Like condition must be between strings", windowed_);
    const auto& col = static_cast<const ColumnRefExpr&>(*l.value);
    const SourceColumn* sc = source_.FindColumn(col.name);
    if (!sc) return InvalidWhere("Like condition on non-existent column " + col.name, windowed_);
    if (sc->type->kind != TypeKind::kString)
      return InvalidWhere("The column type for Like condition must be VARCHAR. The column type is " +
                              sc->type->ToString(),
                          windowed_);
    if (l.pattern->kind != ExprKind::kLiteral ||
        !(static_cast<const LiteralExpr&>(*l.pattern).value.IsNull() ||
          static_cast<const LiteralExpr&>(*l.pattern).value.IsString()))
      return InvalidWhere("Like condition on non-string pattern", windowed_);
    return ScanOrFail("Like condition on a column needs a table scan", windowed_);
  }

  const DataSource& source_;
  bool windowed_, scans_;
  std::vector<std::string> keys_;
  std::vector<bool> seen_;
  bool keyed_ = false, scan_ = false;
};

// A literal compared to a key column, converted to the column's type (ksqlDB's strict
// coercion); nullopt when it is not a literal or does not convert.
std::optional<Value> KeyLiteral(const ExprPtr& e, const SqlType& key_type) {
  if (e->kind != ExprKind::kLiteral) return std::nullopt;
  const auto& lit = static_cast<const LiteralExpr&>(*e);
  if (lit.value.IsNull()) return std::nullopt;
  TypePtr from;
  switch (lit.literal_kind) {
    case LiteralExpr::Kind::kInteger: from = SqlType::Integer(); break;
    case LiteralExpr::Kind::kBigint: from = SqlType::Bigint(); break;
    case LiteralExpr::Kind::kDouble: from = SqlType::Double(); break;
    case LiteralExpr::Kind::kString: from = SqlType::String(); break;
    default: return std::nullopt;
  }
  if (from->kind == key_type.kind) return lit.value;
  if (!CanCoerceLiteral(*from, key_type)) return std::nullopt;
  std::string error;
  Value v = CastValue(lit.value, *from, key_type, &error);
  if (!error.empty()) return std::nullopt;
  return v;
}

Status PlanAccess(const Query& q, const std::map<std::string, std::string>& props, PullQueryPlan* plan) {
  const DataSource& source = *plan->source;
  const bool scans = Flag(props, "ksql.query.pull.table.scan.enabled", true);
  const bool ranges = Flag(props, "ksql.query.pull.range.scan.enabled", true);
  plan->access = PullAccess::kTableScan;
  if (!q.where) return Status::OK();
  WhereAnalyzer analyzer(source, scans);
  const std::vector<ExprPtr> disjuncts = Disjuncts(q.where);
  bool table_scan = false;
  for (const auto& d : disjuncts) {
    SLUICE_RETURN_IF_ERROR(analyzer.Validate(d, &table_scan));
    if (table_scan) break;
  }
  if (table_scan) return Status::OK();
  std::vector<KeyConstraint> constraints;
  for (const auto& d : disjuncts) constraints.push_back(analyzer.Extract(d));
  bool all_equal = true;
  for (const auto& k : constraints) {
    if (!k.keyed) return Status::OK();
    for (const auto& [key, op] : k.ops) all_equal = all_equal && op.first == ComparisonOp::kEq;
  }
  if (all_equal) {
    plan->access = PullAccess::kKeyLookup;
  } else if (constraints.size() == 1 && constraints[0].ops.size() == 1) {
    const SourceColumn* key = source.FindColumn(analyzer.keys()[constraints[0].ops.begin()->first]);
    const bool string_key = key->type->kind == TypeKind::kString || key->type->kind == TypeKind::kBytes;
    if (string_key && ranges && !source.window) plan->access = PullAccess::kRangeScan;
    return Status::OK();
  } else {
    return Status::OK();
  }
  // Key lookups read only the keys asked for, when their bytes are canonical: a KAFKA-format
  // key of one column serializes one way only (a JSON key written elsewhere may differ in
  // spacing from what Sluice would write, so those tables are scanned and filtered).
  if (source.key_format.kind != FormatKind::kKafka || analyzer.keys().size() != 1) return Status::OK();
  auto serializer = MakeSerializer(source.key_format, source.KeyColumns());
  if (!serializer.ok()) return Status::OK();
  const SqlType& key_type = *source.FindColumn(analyzer.keys()[0])->type;
  std::set<std::string> prefixes;
  for (const auto& k : constraints) {
    auto v = KeyLiteral(k.ops.begin()->second.second, key_type);
    if (!v) return Status::OK();  // an expression: scan and filter
    std::string bytes;
    if (!(*serializer)->Serialize(Row{*v}, &bytes).ok()) return Status::OK();
    prefixes.insert(bytes);
  }
  plan->lookup_keys.assign(prefixes.begin(), prefixes.end());
  return Status::OK();
}

// ---- projection --------------------------------------------------------------------------

ExprPtr ColumnRef(const std::string& name) {
  auto c = std::make_shared<ColumnRefExpr>();
  c->name = name;
  return c;
}

struct Item {
  std::string name;
  ExprPtr expr;
};

Status ExpandSelect(const Query& q, const DataSource& source, std::vector<Item>* items) {
  std::set<std::string> explicit_names;
  for (const auto& item : q.select)
    if (item.kind == SelectItem::Kind::kExpression && !item.alias.empty()) explicit_names.insert(item.alias);
  int generated = 0;
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
      // A windowed table's window bounds follow its key columns, as ksqlDB's schema has them.
      for (const auto& c : source.columns)
        if (c.ns == ColumnNamespace::kKey) items->push_back({c.name, ColumnRef(c.name)});
      if (source.window && source.kind == SourceKind::kTable) {
        items->push_back({"WINDOWSTART", ColumnRef("WINDOWSTART")});
        items->push_back({"WINDOWEND", ColumnRef("WINDOWEND")});
      }
      for (const auto& c : source.columns)
        if (c.ns != ColumnNamespace::kKey) items->push_back({c.name, ColumnRef(c.name)});
      continue;
    }
    if (item.kind == SelectItem::Kind::kStructAll)
      return Status::NotSupported("Pull queries do not support `->*` in the SELECT list yet");
    Item p;
    p.expr = item.expression;
    if (!item.alias.empty()) p.name = item.alias;
    else if (item.expression->kind == ExprKind::kColumnRef) p.name = static_cast<const ColumnRefExpr&>(*item.expression).name;
    else if (item.expression->kind == ExprKind::kDereference) p.name = static_cast<const DereferenceExpr&>(*item.expression).field;
    else p.name = next_generated();
    items->push_back(std::move(p));
  }
  return Status::OK();
}

// A result column is a KEY column when it is one of the table's key columns (or a windowed
// table's bounds) selected as is; a stream's result has no key columns (as in ksqlDB).
bool IsKeyItem(const Item& item, const DataSource& source) {
  if (source.kind != SourceKind::kTable || item.expr->kind != ExprKind::kColumnRef) return false;
  const auto& c = static_cast<const ColumnRefExpr&>(*item.expr);
  if (source.window && (c.name == "WINDOWSTART" || c.name == "WINDOWEND")) return true;
  const SourceColumn* col = source.FindColumn(c.name);
  return col && col->ns == ColumnNamespace::kKey;
}

Status CompileWhere(const Query& q, const ExpressionCompiler& compiler, const ColumnScope& scope,
                    PullQueryPlan* plan) {
  if (!q.where) return Status::OK();
  auto rewritten = RewriteRowtimeStringComparisons(q.where);
  if (!rewritten.ok()) return rewritten.status();
  auto where = compiler.Compile(**rewritten, scope);
  if (!where.ok()) {
    const std::string& m = where.status().message();
    if (m.rfind("column '", 0) == 0) return Status::InvalidArgument(Location(q.where->pos) + "WHERE " + m);
    // ksqlDB type-checks the WHERE clause as written, except BETWEEN, which its pull query
    // rewriter first turns into >= and <= comparisons: their code generation reports it.
    bool between = false;
    VisitExpression(q.where, [&](const ExprPtr& e) { between = between || e->kind == ExprKind::kBetween; });
    if (between) {
      ExprPtr split = RewriteExpression(*rewritten, [](const ExprPtr& e) -> ExprPtr {
        if (e->kind != ExprKind::kBetween) return nullptr;
        const auto& b = static_cast<const BetweenExpr&>(*e);
        if (b.negated) return nullptr;
        return And(Comparison(ComparisonOp::kGte, b.value, b.lower), Comparison(ComparisonOp::kLte, b.value, b.upper));
      });
      auto again = compiler.Compile(*split, scope);
      if (!again.ok()) return Status::InvalidArgument("Invalid expression: " + again.status().message());
    }
    return Status::InvalidArgument("Error in WHERE expression: " + m + "\nStatement: " + FormatExpression(*q.where));
  }
  if (where->type && where->type->kind != TypeKind::kBoolean)
    return Status::InvalidArgument("Type error in WHERE expression: Should evaluate to boolean but is " +
                                   FormatExpression(*q.where) + " (" + where->type->ToString() + ") instead.");
  plan->lambda_slots = std::max(plan->lambda_slots, where->lambda_slots);
  plan->where = std::move(*where);
  return Status::OK();
}

Status CompileProjection(const Query& q, const ExpressionCompiler& compiler, const ColumnScope& scope,
                         PullQueryPlan* plan) {
  std::vector<Item> items;
  SLUICE_RETURN_IF_ERROR(ExpandSelect(q, *plan->source, &items));
  std::set<std::string> names;
  QueryResultSchema& schema = plan->schema;
  for (const auto& item : items) {
    auto compiled = compiler.Compile(*item.expr, scope);
    if (!compiled.ok()) {
      const std::string& m = compiled.status().message();
      if (m.rfind("column '", 0) == 0) return Status::InvalidArgument(Location(item.expr->pos) + "SELECT " + m);
      return compiled.status();
    }
    if (!compiled->type)
      return Status::InvalidArgument(
          "Can't infer a type of null. Please explicitly cast it to a required type, e.g. CAST(null AS VARCHAR).");
    if (!names.insert(item.name).second)
      return Status::InvalidArgument("Duplicate value columns found in schema: `" + item.name + "` " +
                                     compiled->type->ToString());
    const bool key = IsKeyItem(item, *plan->source);
    const std::string type = compiled->type->ToSqlString();
    schema.schema += (schema.column_names.empty() ? "`" : ", `") + item.name + "` " + type + (key ? " KEY" : "");
    schema.column_names.push_back(item.name);
    schema.column_types.push_back(type);
    schema.key_columns.push_back(key);
    plan->lambda_slots = std::max(plan->lambda_slots, compiled->lambda_slots);
    plan->projection.push_back(std::move(*compiled));
  }
  return Status::OK();
}

}  // namespace

Status NotQueryable(const std::string& table) {
  return Status::InvalidArgument("The `" + table + "` table isn't queryable. To derive a queryable table, you can do "
                                 "'CREATE TABLE QUERYABLE_" + table + " AS SELECT * FROM " + table + "'." +
                                 kSyntaxHelp);
}

Result<PullQueryPlan> AnalyzePullQuery(const Query& q, const MetaStore& metastore,
                                       const std::map<std::string, std::string>& props,
                                       const std::set<std::string>& materialized) {
  PullQueryPlan plan;
  plan.source = metastore.FindSource(q.from.name);
  if (!plan.source) return Status::NotFound(Location(q.from.pos) + q.from.name + " does not exist.");
  const DataSource& source = *plan.source;
  SLUICE_RETURN_IF_ERROR(ValidateShape(q, props));
  plan.limit = q.limit;
  plan.schema.is_pull = true;
  plan.schema.pull_on_stream = source.kind == SourceKind::kStream;
  plan.schema.limit = q.limit;
  InitLayout(plan.source, &plan.decode);
  ExpressionCompiler compiler(FunctionRegistry::Builtins(),
                              [&metastore](const std::string& n) { return metastore.FindType(n); });
  PullScope scope(source, q.from.alias, plan.decode);

  if (source.kind == SourceKind::kStream) {
    if (!Flag(props, "ksql.query.pull.stream.enabled", true))
      return Status::InvalidArgument(
          "Pull queries on streams are disabled. To create a push query on the stream, add EMIT CHANGES to the "
          "end. To enable pull queries on streams, set the ksql.query.pull.stream.enabled config to 'true'.");
  } else {
    // ksqlDB validates the WHERE clause (logical plan) before it looks for the materialization.
    SLUICE_RETURN_IF_ERROR(PlanAccess(q, props, &plan));
    if (!source.is_source_table && !materialized.count(source.name)) return NotQueryable(source.name);
    if (plan.access == PullAccess::kTableScan && !Flag(props, "ksql.query.pull.table.scan.enabled", true))
      return Status::InvalidArgument(
          "Query requires table scan to be enabled. Table scans can be enabled by setting "
          "ksql.query.pull.table.scan.enabled=true");
  }
  SLUICE_RETURN_IF_ERROR(CompileWhere(q, compiler, scope, &plan));
  SLUICE_RETURN_IF_ERROR(CompileProjection(q, compiler, scope, &plan));
  return plan;
}

namespace {

std::string DateText(int64_t days) {  // java.time.LocalDate#toString
  int64_t y;
  int m, d;
  jtime::CivilFromDays(days, &y, &m, &d);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04lld-%02d-%02d", static_cast<long long>(y), m, d);
  return buf;
}

// ksqlDB's SqlTimeTypes.formatTime: LocalTime.ofSecondOfDay(millis / 1000).toString(), which
// leaves out zero seconds ("10:15", "10:15:30").
std::string TimeText(int64_t millis_of_day) {
  const int64_t s = millis_of_day / 1000;
  char buf[16];
  if (s % 60 == 0) std::snprintf(buf, sizeof buf, "%02lld:%02lld", static_cast<long long>(s / 3600),
                                 static_cast<long long>(s / 60 % 60));
  else std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld", static_cast<long long>(s / 3600),
                     static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
  return buf;
}

// The REST API's date format for TIMESTAMP: yyyy-MM-dd'T'HH:mm:ss.SSS in UTC.
std::string TimestampText(int64_t millis) {
  const int64_t days = jtime::FloorDiv(millis, jtime::kMillisPerDay);
  const int64_t ms = millis - days * jtime::kMillisPerDay;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%sT%02lld:%02lld:%02lld.%03lld", DateText(days).c_str(),
                static_cast<long long>(ms / 3600000), static_cast<long long>(ms / 60000 % 60),
                static_cast<long long>(ms / 1000 % 60), static_cast<long long>(ms % 1000));
  return buf;
}

}  // namespace

nlohmann::json RestValue(const Value& v, const TypePtr& type) {
  if (v.IsNull() || !type) return ValueToJson(v, type);
  if (v.IsTimestamp()) return TimestampText(v.AsTimestamp().millis);
  if (v.IsDate()) return DateText(v.AsDate().days);
  if (v.IsTime()) return TimeText(v.AsTime().millis);
  switch (type->kind) {
    case TypeKind::kMap: {
      if (!v.IsMap()) break;
      nlohmann::json obj = nlohmann::json::object();
      for (const auto& [k, e] : v.AsMap()) obj[k.IsString() ? k.AsString() : k.ToString()] = RestValue(e, type->value);
      return obj;
    }
    case TypeKind::kStruct: {
      if (!v.IsStruct()) break;
      nlohmann::json obj = nlohmann::json::object();
      const auto& fields = v.AsStruct().fields;
      for (size_t i = 0; i < type->fields.size() && i < fields.size(); ++i)
        obj[type->fields[i].name] = RestValue(fields[i], type->fields[i].type);
      return obj;
    }
    case TypeKind::kArray: {
      if (!v.IsArray()) break;
      nlohmann::json arr = nlohmann::json::array();
      for (const Value& e : v.AsArray()) arr.push_back(RestValue(e, type->element));
      return arr;
    }
    default: break;
  }
  return ValueToJson(v, type);
}

}  // namespace sluice
