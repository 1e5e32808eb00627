#include "engine/analyzer/join_analyzer.h"

#include <algorithm>
#include <set>

#include "engine/analyzer/aggregate_analyzer.h"
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

// A side row: the source's columns, ROWTIME, ROWPARTITION, ROWOFFSET, and for a windowed
// source WINDOWSTART and WINDOWEND (as the query task decodes them from the windowed key).
int SideWidth(const DataSource& source) { return static_cast<int>(source.columns.size()) + (source.window ? 5 : 3); }

// Where a side row holds WINDOWSTART (WINDOWEND follows), -1 for a source that is not windowed.
int SideWindowIndex(const DataSource& source) {
  return source.window ? static_cast<int>(source.columns.size()) + 3 : -1;
}

// Resolves names over a joined row: `A.X` by alias (or source name), `X` when only one side
// has it, the synthetic key column by its name, pseudo columns of the result.
class JoinScope : public ColumnScope {
 public:
  JoinScope(std::vector<const Side*> sides, int rowtime_index, int key_index, std::string synthetic_key,
            TypePtr key_type)
      : sides_(std::move(sides)), rowtime_index_(rowtime_index), key_index_(key_index),
        synthetic_key_(std::move(synthetic_key)), key_type_(std::move(key_type)) {}

  Result<ColumnBinding> Resolve(const std::string& qualifier, const std::string& name) const override {
    if (qualifier.empty() && name == kJoinKeyRef) return ColumnBinding{key_index_, key_type_};
    if (qualifier.empty() && !synthetic_key_.empty() && name == synthetic_key_) return ColumnBinding{key_index_, key_type_};
    if (qualifier.empty())
      if (auto pseudo = Pseudo(name); pseudo.index >= 0) return pseudo;
    if (!qualifier.empty()) {
      const Side* s = SideOf(qualifier);
      if (!s) return Status::InvalidArgument("'" + qualifier + "' is not a valid stream/table name or alias.");
      if (auto b = Find(*s, name); b.index >= 0) return b;
      if (auto p = Pseudo(name); p.index >= 0)
        return ColumnBinding{s->offset + static_cast<int>(s->source->columns.size()) + (p.index - rowtime_index_),
                             p.type};
      // A windowed source's bounds, qualified only (both sides have them).
      if (const int w = SideWindowIndex(*s->source); w >= 0 && (name == "WINDOWSTART" || name == "WINDOWEND"))
        return ColumnBinding{s->offset + w + (name == "WINDOWEND" ? 1 : 0), SqlType::Bigint()};
      return Status::InvalidArgument("column '" + qualifier + "." + name + "' cannot be resolved.");
    }
    std::vector<std::string> found;
    ColumnBinding binding;
    for (const Side* s : sides_)
      if (auto b = Find(*s, name); b.index >= 0) {
        found.push_back(s->alias + "." + name);
        binding = b;
      }
    if (found.size() > 1) {
      std::string could = found[0];
      for (size_t i = 1; i < found.size(); ++i) could += (i + 1 == found.size() ? " or " : ", ") + found[i];
      return Status::InvalidArgument("Column '" + name + "' is ambiguous. Could be " + could + ".");
    }
    if (found.size() == 1) return binding;
    return Status::InvalidArgument("column '" + name + "' cannot be resolved.");
  }

  // Which side a resolved index belongs to (its position in the sides, -1 for none).
  int SideIndex(int index) const {
    for (size_t i = 0; i < sides_.size(); ++i)
      if (index >= sides_[i]->offset && index < sides_[i]->offset + SideWidth(*sides_[i]->source))
        return static_cast<int>(i);
    return -1;
  }
  const Side* SideOf(const std::string& qualifier) const {
    for (const Side* s : sides_)
      if (qualifier == s->alias || qualifier == s->source->name) return s;
    return nullptr;
  }
  const std::vector<const Side*>& sides() const { return sides_; }

 private:
  ColumnBinding Find(const Side& s, const std::string& name) const {
    for (size_t i = 0; i < s.source->columns.size(); ++i)
      if (s.source->columns[i].name == name) return {s.offset + static_cast<int>(i), s.source->columns[i].type};
    return {};
  }
  ColumnBinding Pseudo(const std::string& name) const {
    if (name == "ROWTIME") return {rowtime_index_, SqlType::Bigint()};
    if (name == "ROWPARTITION") return {rowtime_index_ + 1, SqlType::Integer()};
    if (name == "ROWOFFSET") return {rowtime_index_ + 2, SqlType::Bigint()};
    return {};
  }

  std::vector<const Side*> sides_;
  int rowtime_index_, key_index_;
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

// `left_kind`: the left input's kind (a join result's for the later steps of an n-way join).
Status CheckJoinShape(const Query& q, const JoinClause& j, const Side& l, SourceKind left_kind, const Side& r) {
  const DataSource& ls = *l.source;
  const DataSource& rs = *r.source;
  if (ls.name == rs.name && q.joins.size() == 1)
    return Status::InvalidArgument("Can not join '" + ls.name + "' to '" + rs.name +
                                   "': self joins are not yet supported.");
  if (ls.value_format.kind == FormatKind::kKafka || rs.value_format.kind == FormatKind::kKafka) {
    std::vector<std::string> names;
    if (ls.value_format.kind == FormatKind::kKafka) names.push_back(ls.name);
    if (rs.value_format.kind == FormatKind::kKafka) names.push_back(rs.name);
    return Status::InvalidArgument("Source(s) " + names[0] + (names.size() > 1 ? ", " + names[1] : "") +
                                   " are using the 'KAFKA' value format. This format does not yet support JOIN.");
  }
  if (left_kind == SourceKind::kTable && rs.kind == SourceKind::kStream)
    return Status::InvalidArgument("Invalid join order: table-stream joins are not supported; only stream-table joins. Got " +
                                   ls.name + " " + JoinTypeText(j.type) + " " + rs.name + ".");
  if (left_kind == SourceKind::kStream && rs.kind == SourceKind::kTable &&
      (j.type == JoinType::kRight || j.type == JoinType::kOuter))
    return Status::InvalidArgument(std::string("Invalid join type: ") +
                                   (j.type == JoinType::kRight ? "right" : "full-outer") +
                                   " join not supported for stream-table join. Got " + ls.name + " " +
                                   JoinTypeText(j.type) + " " + rs.name + ".");
  return Status::OK();
}

// WITHIN: required for stream-stream joins, refused for the others (after the ON checks, as
// ksqlDB reports errors in the criteria first).
Status CheckWithin(const JoinClause& j, SourceKind left_kind, const Side& r) {
  const bool ss = left_kind == SourceKind::kStream && r.source->kind == SourceKind::kStream;
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

const char* WindowTypeName(const WindowInfo& w) {
  switch (w.kind) {
    case WindowSpec::Kind::kTumbling: return "TUMBLING";
    case WindowSpec::Kind::kHopping: return "HOPPING";
    case WindowSpec::Kind::kSession: return "SESSION";
  }
  return "UNKNOWN";
}

// ksqlDB's analyzer: both sides of a join are windowed or neither, and session windows join
// only session windows (their keys carry both bounds, the others only the start). `first` and
// `second` are the sides in the order the ON clause names them.
Status CheckSourceWindowing(const Side& first, const Side& second) {
  const auto& a = first.source->window;
  const auto& b = second.source->window;
  if (a.has_value() != b.has_value())
    return Status::InvalidArgument("Can not join windowed source to non-windowed source.\n`" + first.alias + "` is " +
                                   (a ? WindowTypeName(*a) : "not") + " windowed\n`" + second.alias + "` is " +
                                   (b ? WindowTypeName(*b) : "not") + " windowed");
  if (!a) return Status::OK();
  const bool a_session = a->kind == WindowSpec::Kind::kSession, b_session = b->kind == WindowSpec::Kind::kSession;
  if (a_session != b_session)
    return Status::InvalidArgument(std::string("Incompatible windowed sources.\nLeft source: ") + WindowTypeName(*a) +
                                   "\nRight source: " + WindowTypeName(*b) +
                                   "\nSession windowed sources can only be joined to other session windowed sources, "
                                   "and may still not result in expected behaviour as session bounds must be an exact "
                                   "match for the join to work\nHopping and tumbling windowed sources can only be "
                                   "joined to other hopping and tumbling windowed sources");
  return Status::OK();
}

// The key format a join's sides meet in (ksqlDB's KLIP-33: the left source's unless the left
// is re-keyed anyway, then the right's), compared as ksqlDB compares key formats: the format
// and the window (type and size).
struct JoinKeyFormat {
  FormatKind kind = FormatKind::kKafka;
  std::optional<WindowInfo> window;

  static JoinKeyFormat Of(const DataSource& s) { return {s.key_format.kind, s.window}; }
  bool operator==(const JoinKeyFormat& o) const {
    if (kind != o.kind || window.has_value() != o.window.has_value()) return false;
    return !window || (window->kind == o.window->kind && window->size_ms == o.window->size_ms);
  }
};

// Kafka Streams cannot re-key windowed records, so ksqlDB refuses every join that would put a
// windowed side through a repartition, except the one it forces for Schema-Registry key formats
// (whose bytes carry a schema id) on a stream joined on its own key in the join's format.
// `rekeyed`: the side is joined on something other than its key.
Status CheckWindowedRepartition(const Side& s, bool rekeyed, const JoinKeyFormat& join_format) {
  if (!s.source->window) return Status::OK();
  const bool format_change = !(JoinKeyFormat::Of(*s.source) == join_format);
  const bool forced = UsesSchemaRegistry(join_format.kind);
  if (!rekeyed && !format_change && !forced) return Status::OK();
  const std::string refused =
      "Implicit repartitioning of windowed sources is not supported. See https://github.com/confluentinc/ksql/issues/4385.";
  if (s.source->kind == SourceKind::kTable)
    return Status::InvalidArgument(refused + (forced ? " As a result, ksqlDB does not support joins on windowed sources "
                                                       "with Schema-Registry-enabled key formats (AVRO, JSON_SR, "
                                                       "PROTOBUF) at this time. Please repartition your sources to use "
                                                       "a different key format before performing the join."
                                                     : ""));
  if (rekeyed || !forced) return Status::InvalidArgument(refused);
  return Status::OK();
}

// The windowed joins ksqlDB runs that Sluice does not yet: the repartition ksqlDB forces for
// Schema-Registry key formats (it would carry the window), n-way joins, and GROUP BY or
// PARTITION BY over the join (the re-keyed result would drop or need the window).
Status CheckWindowedJoinSupported(const Query& q, const JoinKeyFormat& join_format, size_t steps) {
  if (UsesSchemaRegistry(join_format.kind))
    return Status::NotSupported("Joins of windowed sources with a Schema-Registry key format (which ksqlDB "
                                "repartitions) are not supported yet");
  if (steps > 1) return Status::NotSupported("N-way joins of windowed sources are not supported yet");
  if (IsAggregationQuery(q) || q.has_partition_by)
    return Status::NotSupported("GROUP BY or PARTITION BY over a join of windowed sources is not supported yet");
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
std::string SyntheticKeyName(const std::vector<Side>& sides) {
  auto taken = [&](const std::string& n) {
    return std::any_of(sides.begin(), sides.end(), [&](const Side& s) { return s.source->FindColumn(n) != nullptr; });
  };
  std::string name = "ROWKEY";
  for (int i = 1; taken(name); ++i) name = "ROWKEY_" + std::to_string(i);
  return name;
}

// SELECT items over the joined row: `*` expands both sides (and a synthetic key first) as
// ALIAS_COLUMN, `A.*` one side; `A.X` is named A_X, `X` keeps its name.
// `repartitioned`: PARTITION BY over the join, whose `*` is the re-keyed result's columns: each
// side's value columns, ROWTIME, ROWPARTITION, ROWOFFSET, then its key columns (ksqlDB's
// repartitioned join schema).
Status ExpandJoinSelect(const Query& q, const std::vector<Side>& sides, const std::string& synthetic_key,
                        const ExpressionCompiler& compiler, const JoinScope& scope,
                        std::vector<ProjectionItem>* items, bool repartitioned = false) {
  auto qualified_ref = [](const std::string& qualifier, const std::string& name) {
    auto c = std::make_shared<ColumnRefExpr>();
    c->qualifier = qualifier;
    c->name = name;
    return c;
  };
  auto expand = [&](const Side& s) {
    auto add = [&](const std::string& name) {
      items->push_back(Item(s.alias + "_" + name, qualified_ref(s.alias, name), /*from_star=*/true));
    };
    // A windowed source's bounds follow its key columns, as value columns (ksqlDB's join schema).
    size_t bounds_at = 0;
    if (s.source->window && !repartitioned)
      for (size_t i = 0; i < s.source->columns.size(); ++i)
        if (s.source->columns[i].ns == ColumnNamespace::kKey) bounds_at = i + 1;
    for (size_t i = 0; i <= s.source->columns.size(); ++i) {
      if (i == bounds_at && s.source->window && !repartitioned)
        for (const char* bound : {"WINDOWSTART", "WINDOWEND"}) add(bound);
      if (i == s.source->columns.size()) break;
      const auto& c = s.source->columns[i];
      if (!repartitioned || c.ns != ColumnNamespace::kKey) add(c.name);
    }
    if (!repartitioned) return;
    for (const char* pseudo : {"ROWTIME", "ROWPARTITION", "ROWOFFSET"}) add(pseudo);
    for (const auto& c : s.source->columns)
      if (c.ns == ColumnNamespace::kKey) add(c.name);
  };
  int generated = 0;
  for (const auto& item : q.select) {
    if (item.kind == SelectItem::Kind::kAll) {
      if (item.qualifier.empty()) {
        if (!synthetic_key.empty()) items->push_back(Item(synthetic_key, ColumnRef(synthetic_key), true));
        for (const auto& s : sides) expand(s);
        continue;
      }
      const Side* s = scope.SideOf(item.qualifier);
      if (!s) return Status::InvalidArgument("'" + item.qualifier + "' is not a valid stream/table name or alias.");
      expand(*s);
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
    else if (item.expression->kind == ExprKind::kColumnRef) {
      auto& c = static_cast<const ColumnRefExpr&>(*item.expression);
      const Side* s = c.qualifier.empty() ? nullptr : scope.SideOf(c.qualifier);
      // `A.X` keeps the name X unless another source has an X too (then A_X).
      const bool pseudo = c.name == "ROWTIME" || c.name == "ROWPARTITION" || c.name == "ROWOFFSET" ||
                          c.name == "WINDOWSTART" || c.name == "WINDOWEND";
      const bool elsewhere = std::any_of(sides.begin(), sides.end(), [&](const Side& o) {
        return &o != s && o.source->FindColumn(c.name) != nullptr;
      });
      p.name = s && (pseudo || elsewhere) ? s->alias + "_" + c.name : c.name;
    } else if (item.expression->kind == ExprKind::kDereference) {
      p.name = static_cast<const DereferenceExpr&>(*item.expression).field;
    } else {
      std::string n;
      do n = "KSQL_COL_" + std::to_string(generated++);
      while (std::any_of(sides.begin(), sides.end(), [&](const Side& o) { return o.source->FindColumn(n) != nullptr; }));
      p.name = n;
    }
    items->push_back(std::move(p));
  }
  return Status::OK();
}

struct KeyTerm {
  ExprPtr expr;
  const Side* side = nullptr;
  int index = -1;
  std::string text;  // qualified, as ksqlDB prints it in messages
};

KeyTerm Term(const ExprPtr& e, const Side& s, const JoinScope& scope) {
  KeyTerm t{e, &s, -1, Qualified(e, s)};
  if (e->kind == ExprKind::kColumnRef) {
    auto& c = static_cast<const ColumnRefExpr&>(*e);
    if (auto b = scope.Resolve(s.alias, c.name); b.ok()) t.index = b->index;
  }
  return t;
}

bool Contains(const std::vector<KeyTerm>& set, const KeyTerm& t) {
  return std::any_of(set.begin(), set.end(), [&](const KeyTerm& k) {
    return t.index >= 0 ? k.index == t.index : k.index < 0 && k.side == t.side && k.text == t.text;
  });
}

// A join key's expression compiled over a step's left row, which for the later steps of an
// n-way join is the previous step's joined row.
Result<CompiledExpression> CompileKeyOver(const ExprPtr& e, const JoinScope& scope, const ExpressionCompiler& compiler) {
  auto c = compiler.Compile(*e, scope);
  if (!c.ok()) {
    const std::string& m = c.status().message();
    return Status::InvalidArgument(m.rfind("column '", 0) == 0 ? "JOIN ON " + m : m);
  }
  return c;
}

// "X", "X or Y", "X, Y or Z".
std::string OrList(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) out += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + names[i];
  return out;
}

std::vector<TypePtr> SideTypes(const DataSource& source) {
  std::vector<TypePtr> types;
  for (const auto& c : source.columns) types.push_back(c.type);
  types.insert(types.end(), {SqlType::Bigint(), SqlType::Integer(), SqlType::Bigint()});
  if (source.window) types.insert(types.end(), {SqlType::Bigint(), SqlType::Bigint()});
  return types;
}

// The ON clause of one join step: one equality, one side over the newly joined source, the
// other over a source already in the chain. Returns (left expression, its side, right expression).
struct Criteria {
  ExprPtr left, right;
  int left_side = 0;
  bool flipped = false;  // the ON clause names the newly joined source first
};

Result<Criteria> AnalyzeCriteria(const JoinClause& j, const JoinScope& probe, int right_side) {
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
  const auto& sides = probe.sides();
  if (first_side == second_side)
    return Status::InvalidArgument("Each side of the join must reference exactly one source and not the same source. "
                                   "Left side references `" + sides[first_side]->alias + "` and right references `" +
                                   sides[second_side]->alias + "`");
  if (first_side != right_side && second_side != right_side)
    return Status::InvalidArgument("A join criteria is expected to reference the source (`" +
                                   sides[right_side]->alias + "`) in the FROM clause, instead the right source "
                                   "references `" + sides[second_side]->alias + "` and the left source references `" +
                                   sides[first_side]->alias + "`");
  if (first_side == right_side) return Criteria{eq.right, eq.left, second_side, /*flipped=*/true};
  return Criteria{eq.left, eq.right, first_side, /*flipped=*/false};
}

// The key format repartitioned sides write their join key in: that of the first source read
// as it is (joined on its own key, so its records are partitioned by those key bytes). When
// every side is repartitioned any format both write the same way will do: unwrapped JSON,
// which carries every key type and needs no Schema Registry subject.
void PlanRepartitionKeyFormat(const std::vector<Side>& sides, JoinPlan* join) {
  for (size_t s = 0; s < sides.size(); ++s) {
    if (join->Repartitioned(s)) continue;
    const auto keys = sides[s].source->KeyColumns();
    if (keys.size() != 1) continue;
    join->repartition_key_format = sides[s].source->key_format;
    join->repartition_key_column = keys[0];
    return;
  }
  join->repartition_key_format = FormatOptions{};
  join->repartition_key_format.kind = FormatKind::kJson;
  join->repartition_key_format.wrap_single_value = false;
  join->repartition_key_column = Column{"ROWKEY", join->steps[0].left_key.type};
}

// What the join's output stage (projection, aggregation, re-keying) is planned from.
struct JoinOutput {
  const Query& q;
  const SinkRequest& req;
  const std::vector<Side>& sides;
  const std::string& synthetic_key;
  const std::vector<int>& key_refs;  // the join key's columns, as joined-row indexes
  const ExpressionCompiler& compiler;
  const JoinScope& scope;
  const MetaStore& metastore;
  const AnalysisConfig& config;
};

bool IsTableResult(const JoinPlan& join) {
  const JoinStep::Kind k = join.last().kind;
  return k == JoinStep::Kind::kTableTable || k == JoinStep::Kind::kForeignKey;
}

// A single column reference to one of the join key's columns (or the synthetic key).
bool IsJoinKeyRef(const ExprPtr& e, const JoinScope& scope, const std::vector<int>& key_refs) {
  if (e->kind != ExprKind::kColumnRef) return false;
  auto& c = static_cast<const ColumnRefExpr&>(*e);
  auto b = scope.Resolve(c.qualifier, c.name);
  return b.ok() && std::find(key_refs.begin(), key_refs.end(), b->index) != key_refs.end();
}

bool PartitionsByJoinKey(const Query& q, const JoinScope& scope, const std::vector<int>& key_refs) {
  return q.partition_by.size() == 1 && IsJoinKeyRef(q.partition_by[0], scope, key_refs);
}

Result<QueryPlan> FinishJoinSink(const JoinOutput& o, QueryPlan plan) {
  auto sink = BuildSink(o.req, *o.sides[0].source, plan, o.metastore, o.config);
  if (!sink.ok()) return sink.status();
  plan.sink = plan.aggregation ? WindowedSink(*sink, plan, o.req) : *sink;
  SLUICE_RETURN_IF_ERROR(PlanSinkTimestamp(&plan));
  return plan;
}

// GROUP BY over a join: the aggregation reads the joined row (after WHERE). Grouped by the
// join key, it aggregates in the join's task; otherwise through the aggregation's repartition
// topic. A table result (table-table join) needs undoable aggregates, as a table source does.
Result<QueryPlan> PlanJoinAggregation(const JoinOutput& o, QueryPlan plan) {
  SLUICE_RETURN_IF_ERROR(CheckJoinAggregation(o.q, o.req, o.sides[0].source->name));
  std::vector<ProjectionItem> items;
  SLUICE_RETURN_IF_ERROR(ExpandJoinSelect(o.q, o.sides, o.synthetic_key, o.compiler, o.scope, &items));
  // ksqlDB cannot resolve the window bounds in the projection of an aggregation over a join
  // (its issue 5931): the same error.
  for (const auto& item : items) {
    Status bounds;
    VisitExpression(item.expr, [&](const ExprPtr& n) {
      if (!bounds.ok() || n->kind != ExprKind::kColumnRef) return;
      const std::string& name = static_cast<const ColumnRefExpr&>(*n).name;
      if (name == "WINDOWSTART" || name == "WINDOWEND")
        bounds = ColumnError(*n, "SELECT", "column '" + name + "' cannot be resolved.");
    });
    SLUICE_RETURN_IF_ERROR(bounds);
  }
  if (o.req.result_columns) {
    o.req.result_columns->clear();
    for (const auto& item : items) o.req.result_columns->push_back(item.name);
  }
  const SourceKind input = IsTableResult(*plan.join) ? SourceKind::kTable : SourceKind::kStream;
  SLUICE_RETURN_IF_ERROR(PlanAggregation(o.q, o.req, o.compiler, o.scope, items, input, *o.sides[0].source, o.config, &plan));
  plan.aggregation->repartition = !(o.q.group_by.size() == 1 && IsJoinKeyRef(o.q.group_by[0], o.scope, o.key_refs));
  return FinishJoinSink(o, std::move(plan));
}

// PARTITION BY over a join on anything but the join key: the result is re-keyed by the
// expressions and written to the sink, partitioned by the new key (ksqlDB's PartitionBy after
// the join; the sink is the only topic it goes through). Each expression must be selected
// (under any name) unless the projection is `*`, which has every column.
Result<QueryPlan> PlanJoinPartitionBy(const JoinOutput& o, QueryPlan plan) {
  const Query& q = o.q;
  if (IsTableResult(*plan.join))
    return Status::InvalidArgument("Unsupported operation: PARTITION BY on a table. Use GROUP BY to re-key a table.");
  if (q.partition_by.empty()) return Status::InvalidArgument("PARTITION BY requires at least one expression");
  std::vector<ProjectionItem> items;
  SLUICE_RETURN_IF_ERROR(
      ExpandJoinSelect(q, o.sides, o.synthetic_key, o.compiler, o.scope, &items, /*repartitioned=*/true));
  if (o.req.result_columns) {
    o.req.result_columns->clear();
    for (const auto& item : items) o.req.result_columns->push_back(item.name);
  }
  for (const auto& item : items) {
    auto c = CompileColumn(item, o.compiler, o.scope, "SELECT");
    if (!c.ok()) return c.status();
  }
  // An item is a partitioning expression when both are the same column, or the same text.
  auto index_of = [&](const ExprPtr& e) {
    if (e->kind != ExprKind::kColumnRef) return -1;
    auto& c = static_cast<const ColumnRefExpr&>(*e);
    auto b = o.scope.Resolve(c.qualifier, c.name);
    return b.ok() ? b->index : -1;
  };
  auto same = [&](const ExprPtr& a, const ExprPtr& b) {
    const int ia = index_of(a), ib = index_of(b);
    if (ia >= 0 || ib >= 0) return ia == ib;
    return FormatExpression(*a) == FormatExpression(*b);
  };
  std::vector<std::string> all;
  for (const auto& p : q.partition_by) all.push_back(FormatExpression(*p));
  std::vector<bool> used(items.size(), false);
  std::vector<ProjectionItem> keys, values;
  for (const auto& p : q.partition_by) {
    if (p->kind == ExprKind::kLiteral && static_cast<const LiteralExpr&>(*p).value.IsNull())
      return Status::NotSupported("PARTITION BY NULL over a join is not supported yet");
    auto c = o.compiler.Compile(*p, o.scope);
    if (!c.ok()) return ColumnError(*p, "PARTITION BY", c.status().message());
    std::vector<size_t> matches;
    for (size_t i = 0; i < items.size(); ++i)
      if (!used[i] && same(items[i].expr, p)) matches.push_back(i);
    if (matches.size() > 1) {
      std::vector<std::string> names;
      for (size_t m : matches) names.push_back(items[m].name);
      return Status::InvalidArgument("The projection contains a key column (`" + FormatExpression(*p) +
                                     "`) more than once, aliased as: " + JoinNames(names, ", ") + ".");
    }
    if (matches.empty()) {
      if (o.req.transient) continue;
      return KeysMissing("partitioning expression", o.req.name, all);
    }
    used[matches[0]] = true;
    keys.push_back(items[matches[0]]);
  }
  for (size_t i = 0; i < items.size(); ++i)
    if (!used[i]) values.push_back(items[i]);
  if (keys.empty() && o.req.transient) keys.push_back(Item("$KEY", q.partition_by[0], /*from_star=*/false));
  if (values.empty() && o.req.transient) values.push_back(HiddenValueItem());
  if (values.empty()) return Status::InvalidArgument("The projection contains no value columns.");
  for (const auto& k : keys) {
    auto c = CompileColumn(k, o.compiler, o.scope, "PARTITION BY");
    if (!c.ok()) return c.status();
    SLUICE_RETURN_IF_ERROR(CheckKeyType(c->expr.type, c->name));
    plan.key_columns.push_back(std::move(*c));
  }
  for (const auto& v : values) {
    auto c = CompileColumn(v, o.compiler, o.scope, "SELECT");
    if (!c.ok()) return c.status();
    plan.value_columns.push_back(std::move(*c));
  }
  plan.repartitioned = true;
  if (!o.req.insert_into && o.req.kind != SourceKind::kStream)
    return Status::InvalidArgument("Invalid result type. Your SELECT query produces a STREAM. Please use CREATE "
                                   "STREAM AS SELECT statement instead.");
  return FinishJoinSink(o, std::move(plan));
}

}  // namespace

Result<QueryPlan> AnalyzeJoinQuery(const Query& q, const SinkRequest& req, const MetaStore& metastore,
                                   const AnalysisConfig& config) {
  const size_t n = q.joins.size();
  std::vector<Side> sides(n + 1);
  sides[0].source = metastore.FindSource(q.from.name);
  if (!sides[0].source) return Status::NotFound(q.from.name + " does not exist.");
  sides[0].alias = q.from.alias.empty() ? sides[0].source->name : q.from.alias;
  for (size_t i = 0; i < n; ++i) {
    const auto& rel = q.joins[i].right;
    sides[i + 1].source = metastore.FindSource(rel.name);
    if (!sides[i + 1].source) return Status::NotFound(rel.name + " does not exist.");
    sides[i + 1].alias = rel.alias.empty() ? sides[i + 1].source->name : rel.alias;
  }
  if (n > 1)
    for (size_t i = 1; i <= n; ++i)
      for (size_t k = 0; k < i; ++k)
        if (sides[i].source->name == sides[k].source->name)
          return Status::InvalidArgument("N-way joins do not support multiple occurrences of the same source. Source: '" +
                                         sides[i].source->name + "'");

  // Layout: each step's joined row extends the previous one (side offsets are the same in all).
  QueryPlan plan;
  JoinPlan& join = plan.join.emplace();
  join.steps.resize(n);
  int width = SideWidth(*sides[0].source);
  for (size_t i = 0; i < n; ++i) {
    JoinStep& step = join.steps[i];
    step.type = q.joins[i].type;
    step.right = sides[i + 1].source;
    step.left_is_source = i == 0;
    for (size_t k = i + 1; k < n; ++k) step.prefix += "L_";
    step.right_offset = sides[i + 1].offset = width;
    step.right_width = SideWidth(*step.right);
    step.key_index = width + step.right_width + 3;
    width = step.key_index + 1;
  }
  plan.source = sides[0].source;
  plan.source_column_count = join.last().right_offset + join.last().right_width;
  plan.rowtime_index = plan.source_column_count;
  plan.rowpartition_index = plan.rowtime_index + 1;
  plan.rowoffset_index = plan.rowtime_index + 2;
  plan.row_width = join.last().key_index + 1;

  ExpressionCompiler compiler(FunctionRegistry::Builtins(),
                              [&metastore](const std::string& n) { return metastore.FindType(n); });
  std::vector<KeyTerm> equivalents;  // the current result's key equivalence set
  SourceKind left_kind = sides[0].source->kind;
  std::vector<TypePtr> left_types = SideTypes(*sides[0].source);
  int left_rowtime = static_cast<int>(sides[0].source->columns.size());
  TypePtr key_type;
  // Every ON clause is checked before the joins are planned (as ksqlDB's analyzer does).
  SLUICE_RETURN_IF_ERROR(CheckJoinShape(q, q.joins[0], sides[0], left_kind, sides[1]));
  std::vector<Criteria> criteria_list;
  for (size_t i = 0; i < n; ++i) {
    std::vector<const Side*> visible;
    for (size_t k = 0; k <= i + 1; ++k) visible.push_back(&sides[k]);
    JoinScope probe(visible, join.steps[i].right_offset + join.steps[i].right_width, join.steps[i].key_index, "", nullptr);
    auto criteria = AnalyzeCriteria(q.joins[i], probe, static_cast<int>(i + 1));
    if (!criteria.ok()) return criteria.status();
    const Side& named_first = sides[criteria->flipped ? i + 1 : criteria->left_side];
    const Side& named_second = sides[criteria->flipped ? criteria->left_side : i + 1];
    SLUICE_RETURN_IF_ERROR(CheckSourceWindowing(named_first, named_second));
    criteria_list.push_back(*criteria);
  }
  for (size_t i = 0; i < n; ++i) {
    JoinStep& step = join.steps[i];
    const JoinClause& j = q.joins[i];
    const Side& r = sides[i + 1];
    std::vector<const Side*> visible;
    for (size_t k = 0; k <= i + 1; ++k) visible.push_back(&sides[k]);
    JoinScope probe(visible, step.right_offset + step.right_width, step.key_index, "", nullptr);
    const Criteria* criteria = &criteria_list[i];
    const ExprPtr left_expr = criteria->left, right_expr = criteria->right;
    const Side& l = sides[criteria->left_side];
    if (i > 0) SLUICE_RETURN_IF_ERROR(CheckJoinShape(q, j, l, left_kind, r));
    SLUICE_RETURN_IF_ERROR(CheckWithin(j, left_kind, r));
    if (j.within) {
      step.before_ms = j.within->before.ToMillis();
      step.after_ms = j.within->after.ToMillis();
      step.has_grace = j.within->grace.has_value();
      step.grace_ms = step.has_grace ? j.within->grace->ToMillis() : kDefaultGraceMs;
    }
    // The left key: over source 0's row, or over the previous step's joined row (its key slot
    // when the expression is one the previous key equals).
    const KeyTerm left_term = Term(left_expr, l, probe);
    const bool left_in_set = i > 0 && Contains(equivalents, left_term);
    Result<CompiledExpression> lk = Status::OK();
    if (i == 0) lk = CompileSideKey(left_expr, l, compiler);
    else {
      const JoinStep& prev = join.steps[i - 1];
      std::vector<const Side*> prev_sides(visible.begin(), visible.end() - 1);
      JoinScope prev_scope(prev_sides, prev.right_offset + prev.right_width, prev.key_index, "", key_type);
      lk = CompileKeyOver(left_in_set ? ColumnRef(kJoinKeyRef) : left_expr, prev_scope, compiler);
      if (lk.ok() && left_in_set) {
        auto typed = CompileKeyOver(left_expr, prev_scope, compiler);  // its own type, for the type check
        if (!typed.ok()) return typed.status();
        lk->type = typed->type;
      }
    }
    if (!lk.ok()) return lk.status();
    auto rk = CompileSideKey(right_expr, r, compiler);
    if (!rk.ok()) return rk.status();
    if (!TypeEquals(lk->type, rk->type))
      return Status::InvalidArgument("Invalid join condition: types don't match. Got " + Qualified(left_expr, l) + "{" +
                                     (lk->type ? lk->type->ToString() : "NULL") + "} = " + Qualified(right_expr, r) +
                                     "{" + (rk->type ? rk->type->ToString() : "NULL") + "}.");

    // Tables join on their primary key; a stream joined on anything else needs a repartition;
    // a table joined on another expression is a foreign-key join.
    const bool right_is_key = IsKeyColumnRef(right_expr, r);
    const bool left_keyed = i == 0 ? IsKeyColumnRef(left_expr, l) : left_in_set;
    const std::string got = Qualified(left_expr, l) + " = " + Qualified(right_expr, r) + ".";
    if (r.source->kind == SourceKind::kTable && !right_is_key) {
      if (left_kind == SourceKind::kTable)
        return Status::InvalidArgument("Invalid join condition: table-table joins require to join on the primary key of "
                                       "the right input table. Got " + got);
      return Status::InvalidArgument("Invalid join condition: stream-table joins require to join on the table's "
                                     "primary key. Got " + got);
    }
    step.kind = left_kind == SourceKind::kTable ? (left_keyed ? JoinStep::Kind::kTableTable : JoinStep::Kind::kForeignKey)
                : r.source->kind == SourceKind::kTable ? JoinStep::Kind::kStreamTable
                                                       : JoinStep::Kind::kStreamStream;
    if (r.source->window) {
      // Windowed sources join with the window in the key; the checks are ksqlDB's planner's.
      if (step.kind == JoinStep::Kind::kForeignKey)
        return Status::InvalidArgument("Foreign-key table-table joins are not supported on windowed tables.");
      // Only the first step can meet one (CheckSourceWindowing: the later sources would have to
      // be windowed like the earlier ones, which stops here).
      const bool left_rekeyed = left_kind == SourceKind::kStream && !left_keyed;
      const bool right_rekeyed = step.kind == JoinStep::Kind::kStreamStream && !right_is_key;
      const JoinKeyFormat join_format = JoinKeyFormat::Of(left_rekeyed ? *r.source : *l.source);
      SLUICE_RETURN_IF_ERROR(CheckWindowedRepartition(l, left_rekeyed, join_format));
      SLUICE_RETURN_IF_ERROR(CheckWindowedRepartition(r, right_rekeyed, join_format));
      SLUICE_RETURN_IF_ERROR(CheckWindowedJoinSupported(q, join_format, n));
      // Both sides are joined on their keys: the stores key by the key and the window.
      step.left_window = SideWindowIndex(*l.source);
      step.right_window = SideWindowIndex(*r.source);
      step.session_window = l.source->window->kind == WindowSpec::Kind::kSession;
    }
    if (step.kind == JoinStep::Kind::kForeignKey) {
      if (i > 0)
        return Status::InvalidArgument("Invalid join condition: foreign-key table-table joins are not supported as part "
                                       "of n-way joins. Got " + got);
      if (step.type == JoinType::kOuter)
        return Status::InvalidArgument("Invalid join type: full-outer join not supported for foreign-key table-table "
                                       "join. Got " + l.source->name + " " + JoinTypeText(step.type) + " " +
                                       r.source->name + ".");
      if (step.type == JoinType::kRight)
        return Status::NotSupported("RIGHT JOIN as a foreign-key table-table join is not supported yet");
      if (l.source->partitions > 1 || r.source->partitions > 1)
        return Status::NotSupported("Foreign-key table-table joins of sources with more than one partition (which "
                                    "need subscription topics) are not supported yet");
      const auto keys = l.source->KeyColumns();
      if (keys.size() != 1) return Status::NotSupported("Foreign-key joins of tables without exactly one key column");
      auto own_key = CompileSideKey(ColumnRef(keys[0].name), l, compiler);
      if (!own_key.ok()) return own_key.status();
      step.foreign_key = std::move(*lk);
      step.left_key = std::move(*own_key);
      step.right_key = std::move(*rk);
      equivalents = {Term(ColumnRef(keys[0].name), l, probe)};
    } else {
      // A side joined on something other than its key is re-keyed through a repartition topic
      // when the sources have more than one partition; with one partition every key is in the
      // same task, which computes the join key itself (no repartition needed).
      const bool right_rekey = step.kind == JoinStep::Kind::kStreamStream && !right_is_key;
      const bool multi = std::any_of(visible.begin(), visible.end(), [](const Side* s) { return s->source->partitions > 1; });
      if (multi && !left_keyed && i > 0)
        return Status::NotSupported("Joining an earlier join's result on an expression other than its key (which needs "
                                    "a repartition of that result) is not supported yet for sources with more than "
                                    "one partition");
      step.repartition_left = multi && !left_keyed;
      step.repartition_right = multi && right_rekey;
      if (l.source->partitions != r.source->partitions)
        return Status::InvalidArgument("Can't join `" + l.source->name + "` with `" + r.source->name +
                                       "` since the number of partitions don't match. `" + l.source->name +
                                       "` partitions = " + std::to_string(l.source->partitions) + "; `" +
                                       r.source->name + "` partitions = " + std::to_string(r.source->partitions) +
                                       ". Please repartition either one so that the number of partitions match.");
      step.left_key = std::move(*lk);
      step.right_key = std::move(*rk);
      if (step.type == JoinType::kOuter) equivalents.clear();  // a FULL OUTER join's key is synthetic
      else {
        if (!left_in_set) equivalents = {left_term};
        equivalents.push_back(Term(right_expr, r, probe));
      }
    }
    key_type = step.left_key.type;
    step.left_types = left_types;
    step.left_rowtime = left_rowtime;
    left_kind = step.kind == JoinStep::Kind::kTableTable || step.kind == JoinStep::Kind::kForeignKey ? SourceKind::kTable
                                                                                                   : SourceKind::kStream;
    left_rowtime = step.right_offset + step.right_width;
    for (const auto& t : SideTypes(*r.source)) left_types.push_back(t);
    left_types.insert(left_types.end(), {SqlType::Bigint(), SqlType::Integer(), SqlType::Bigint(), key_type});
  }

  if (join.AnyRepartitioned()) PlanRepartitionKeyFormat(sides, &join);

  // The result's key: a join column selected (in the equivalence set's order), or a synthetic
  // ROWKEY for FULL OUTER joins and joins on expressions only.
  std::vector<const KeyTerm*> key_columns_set;
  for (const auto& t : equivalents)
    if (t.index >= 0) key_columns_set.push_back(&t);
  const JoinStep& last = join.last();
  const bool synthetic = last.type == JoinType::kOuter || key_columns_set.empty();
  const std::string synthetic_key = synthetic ? SyntheticKeyName(sides) : "";
  std::vector<const Side*> all;
  for (const auto& s : sides) all.push_back(&s);
  JoinScope scope(all, plan.rowtime_index, last.key_index, synthetic_key, key_type);
  SLUICE_RETURN_IF_ERROR(PlanWhere(q, compiler, scope, &plan));

  // Join columns, as joined-row indexes.
  std::vector<int> key_refs;
  if (synthetic) key_refs.push_back(last.key_index);
  else
    for (const KeyTerm* t : key_columns_set) key_refs.push_back(t->index);
  const JoinOutput output{q, req, sides, synthetic_key, key_refs, compiler, scope, metastore, config};
  if (IsAggregationQuery(q)) return PlanJoinAggregation(output, std::move(plan));
  // PARTITION BY the join key changes nothing (the result is keyed by it already); any other
  // expression re-keys the result.
  if (q.has_partition_by && !PartitionsByJoinKey(q, scope, key_refs)) return PlanJoinPartitionBy(output, std::move(plan));

  std::vector<ProjectionItem> items;
  SLUICE_RETURN_IF_ERROR(ExpandJoinSelect(q, sides, synthetic_key, compiler, scope, &items));
  if (req.result_columns) {
    req.result_columns->clear();
    for (const auto& item : items) req.result_columns->push_back(item.name);
  }
  for (const auto& item : items) {
    auto c = CompileColumn(item, compiler, scope, "SELECT");
    if (!c.ok()) return c.status();
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
  // A transient query's rows need no key column: the join key travels under a hidden name.
  if (keys.empty() && req.transient) keys.push_back(Item("$KEY", ColumnRef(kJoinKeyRef), /*from_star=*/false));
  if (keys.empty()) {
    if (synthetic)
      return Status::InvalidArgument("Key missing from projection (ie, SELECT). See https://cnfl.io/2LV7ouS.\n"
                                     "The query used to build `" + req.name + "` must include the join expression " +
                                     synthetic_key + " in its projection (eg, SELECT " + synthetic_key + "...).\n" +
                                     synthetic_key + " was added as a synthetic key column because the join criteria "
                                     "did not match any source column. This expression must be included in the "
                                     "projection and may be aliased. ");
    std::vector<std::string> names;
    for (const KeyTerm* t : key_columns_set) names.push_back(t->text);
    return Status::InvalidArgument("The query used to build `" + req.name + "` must include the join expression" +
                                   (names.size() > 1 ? "s " : " ") + OrList(names) +
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
  if (values.empty() && req.transient) values.push_back(HiddenValueItem());
  if (values.empty()) return Status::InvalidArgument("The projection contains no value columns.");
  // The key's value is the join key (present even when the selected side's row is missing).
  {
    ProjectionItem k = keys[0];
    k.expr = ColumnRef(kJoinKeyRef);
    auto c = CompileColumn(k, compiler, scope, "SELECT");
    if (!c.ok()) return c.status();
    // ksqlDB names the key in this message as the joined schema has it (ALIAS_COLUMN).
    std::string schema_name = c->name;
    if (!synthetic) {
      const KeyTerm& first = *key_columns_set[0];
      schema_name = first.side->alias + "_" + static_cast<const ColumnRefExpr&>(*first.expr).name;
    }
    SLUICE_RETURN_IF_ERROR(CheckKeyType(c->expr.type, schema_name));
    plan.key_columns.push_back(std::move(*c));
  }
  for (const auto& v : values) {
    auto c = CompileColumn(v, compiler, scope, "SELECT");
    if (!c.ok()) return c.status();
    plan.value_columns.push_back(std::move(*c));
  }

  const SourceKind result = last.kind == JoinStep::Kind::kTableTable || last.kind == JoinStep::Kind::kForeignKey
                                ? SourceKind::kTable
                                : SourceKind::kStream;
  if (!req.insert_into && req.kind != result)
    return Status::InvalidArgument(std::string("Invalid result type. Your SELECT query produces a ") + KindName(result) +
                                   ". Please use CREATE " + KindName(result) + " AS SELECT statement instead.");
  auto sink = BuildSink(req, *sides[0].source, plan, metastore, config);
  if (!sink.ok()) return sink.status();
  plan.sink = *sink;
  SLUICE_RETURN_IF_ERROR(PlanSinkTimestamp(&plan));
  return plan;
}

}  // namespace sluice
