#pragma once
// The statement AST: one struct per statement kind, all deriving from Statement.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/parser/expression.h"

namespace sluice {

enum class StatementKind {
  kQuery, kListProperties, kListTopics, kListStreams, kListTables, kListFunctions,
  kListConnectors, kListConnectorPlugins, kListTypes, kListVariables, kListQueries,
  kDescribeStreams, kDescribeTables, kDescribeFunction, kDescribeConnector, kDescribeSource,
  kPrintTopic, kTerminateQuery, kPauseQuery, kResumeQuery, kSetProperty, kAlterSystemProperty,
  kUnsetProperty, kDefineVariable, kUndefineVariable, kCreateSource, kCreateAsSelect,
  kCreateConnector, kInsertInto, kInsertValues, kDropSource, kDropConnector, kExplain,
  kRegisterType, kDropType, kAlterSource, kAssertTopic, kAssertSchema
};

enum class SourceKind { kStream, kTable };

struct Statement;
using StatementPtr = std::shared_ptr<Statement>;

struct Statement {
  StatementKind kind;
  SourcePos pos;     // position of the statement's first token
  std::string text;  // the statement as written (after variable substitution)
  explicit Statement(StatementKind k) : kind(k) {}
  virtual ~Statement() = default;
};

// WITH (KAFKA_TOPIC='t', PARTITIONS=2, ...): names upper-cased, values are literals.
struct Property {
  std::string name;
  std::shared_ptr<LiteralExpr> value;
  SourcePos pos;
};
using Properties = std::vector<Property>;
// Value of a property by (upper-case) name, or null.
const LiteralExpr* FindProperty(const Properties& props, const std::string& name);

enum class TimeUnit { kMillisecond, kSecond, kMinute, kHour, kDay };
struct Duration {
  int64_t count = 0;
  TimeUnit unit = TimeUnit::kMillisecond;
  int64_t ToMillis() const;
};

// ---- queries -----------------------------------------------------------------------------

struct SelectItem {
  enum class Kind { kExpression, kAll, kStructAll };
  Kind kind = Kind::kExpression;
  ExprPtr expression;     // kExpression; kStructAll: the struct expression
  std::string alias;      // kExpression with AS; empty otherwise
  std::string qualifier;  // kAll: `T.*` qualifier, empty for `*`
  SourcePos pos;
};

struct AliasedSource {
  std::string name;
  std::string alias;  // empty when none
  SourcePos pos;
};

enum class JoinType { kInner, kLeft, kRight, kOuter };

struct JoinWithin {
  Duration before, after;  // equal for `WITHIN n unit`
  std::optional<Duration> grace;
};

struct JoinClause {
  JoinType type = JoinType::kInner;
  AliasedSource right;
  std::optional<JoinWithin> within;
  ExprPtr criteria;
  SourcePos pos;
};

struct WindowSpec {
  enum class Kind { kTumbling, kHopping, kSession };
  Kind kind = Kind::kTumbling;
  Duration size;     // tumbling, hopping; the gap for session
  Duration advance;  // hopping
  std::optional<Duration> retention, grace;
  SourcePos pos;
};

enum class EmitKind { kNone, kChanges, kFinal };

struct Query {
  std::vector<SelectItem> select;
  AliasedSource from;
  std::vector<JoinClause> joins;
  std::optional<WindowSpec> window;
  ExprPtr where;
  std::vector<ExprPtr> group_by;
  bool has_group_by = false;  // `GROUP BY ()` is legal and empty
  std::vector<ExprPtr> partition_by;
  bool has_partition_by = false;
  ExprPtr having;
  EmitKind emit = EmitKind::kNone;
  std::optional<int64_t> limit;
  SourcePos pos;
};

struct QueryStatement : Statement {
  std::shared_ptr<Query> query;
  QueryStatement() : Statement(StatementKind::kQuery) {}
};

// ---- SHOW / LIST / DESCRIBE --------------------------------------------------------------

// LIST/SHOW of PROPERTIES, TOPICS, STREAMS, TABLES, FUNCTIONS, CONNECTORS, TYPES, VARIABLES,
// QUERIES, CONNECTOR PLUGINS; and DESCRIBE STREAMS/TABLES.
struct ListStatement : Statement {
  bool extended = false;
  bool all = false;          // SHOW ALL TOPICS
  std::string connector_kind;  // SOURCE / SINK / empty
  using Statement::Statement;
};

struct DescribeSource : Statement {
  std::string name;
  bool extended = false;
  DescribeSource() : Statement(StatementKind::kDescribeSource) {}
};

// DESCRIBE FUNCTION / DESCRIBE CONNECTOR / TERMINATE / PAUSE / RESUME / DROP CONNECTOR /
// DROP TYPE / UNDEFINE: statements about one named thing.
struct NamedStatement : Statement {
  std::string name;
  bool all = false;        // TERMINATE ALL, PAUSE ALL, RESUME ALL
  bool if_exists = false;  // DROP ... IF EXISTS
  using Statement::Statement;
};

struct PrintTopic : Statement {
  std::string topic;
  bool from_beginning = false;
  std::optional<int64_t> interval, limit;
  PrintTopic() : Statement(StatementKind::kPrintTopic) {}
};

// SET / ALTER SYSTEM / UNSET 'name' [= 'value'], DEFINE name = 'value'.
struct PropertyStatement : Statement {
  std::string name;
  std::string value;
  using Statement::Statement;
};

// ---- DDL / DML -----------------------------------------------------------------------------

struct TableElement {
  enum class Constraint { kNone, kKey, kPrimaryKey, kHeaders, kHeader };
  std::string name;
  TypeSpecPtr type;
  Constraint constraint = Constraint::kNone;
  std::string header_key;  // HEADER('key')
  SourcePos pos;
};

// CREATE [OR REPLACE] [SOURCE] STREAM|TABLE [IF NOT EXISTS] name (elements) WITH (...)
struct CreateSource : Statement {
  SourceKind source_kind = SourceKind::kStream;
  bool or_replace = false, if_not_exists = false, is_source = false;
  std::string name;
  std::vector<TableElement> elements;
  Properties properties;
  CreateSource() : Statement(StatementKind::kCreateSource) {}
};

// CREATE [OR REPLACE] STREAM|TABLE [IF NOT EXISTS] name WITH (...) AS SELECT ...
struct CreateAsSelect : Statement {
  SourceKind source_kind = SourceKind::kStream;
  bool or_replace = false, if_not_exists = false;
  std::string name;
  Properties properties;
  std::shared_ptr<Query> query;
  CreateAsSelect() : Statement(StatementKind::kCreateAsSelect) {}
};

struct CreateConnector : Statement {
  bool is_source = true, if_not_exists = false;
  std::string name;
  Properties properties;
  CreateConnector() : Statement(StatementKind::kCreateConnector) {}
};

struct InsertInto : Statement {
  std::string target;
  Properties properties;
  std::shared_ptr<Query> query;
  InsertInto() : Statement(StatementKind::kInsertInto) {}
};

struct InsertValues : Statement {
  std::string target;
  std::vector<std::string> columns;  // empty: all columns in schema order
  std::vector<ExprPtr> values;
  InsertValues() : Statement(StatementKind::kInsertValues) {}
};

struct DropSource : Statement {
  SourceKind source_kind = SourceKind::kStream;
  std::string name;
  bool if_exists = false, delete_topic = false;
  DropSource() : Statement(StatementKind::kDropSource) {}
};

struct Explain : Statement {
  StatementPtr statement;  // EXPLAIN <statement>, or
  std::string query_id;    // EXPLAIN <query id>
  Explain() : Statement(StatementKind::kExplain) {}
};

struct RegisterType : Statement {
  std::string name;
  TypeSpecPtr type;
  bool if_not_exists = false;
  RegisterType() : Statement(StatementKind::kRegisterType) {}
};

struct AlterSource : Statement {
  SourceKind source_kind = SourceKind::kStream;
  std::string name;
  std::vector<std::pair<std::string, TypeSpecPtr>> add_columns;
  AlterSource() : Statement(StatementKind::kAlterSource) {}
};

// ASSERT [NOT EXISTS] TOPIC name [WITH (...)] [TIMEOUT n unit]
// ASSERT [NOT EXISTS] SCHEMA [SUBJECT name] [ID n] [TIMEOUT n unit]
struct AssertStatement : Statement {
  bool not_exists = false;
  std::string name;  // topic or subject
  std::optional<int64_t> schema_id;
  Properties properties;
  std::optional<Duration> timeout;
  using Statement::Statement;
};

const char* StatementKindName(StatementKind kind);

}  // namespace sluice
