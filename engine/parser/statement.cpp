#include "engine/parser/statement.h"

namespace sluice {

const LiteralExpr* FindProperty(const Properties& props, const std::string& name) {
  for (const auto& p : props)
    if (p.name == name) return p.value.get();
  return nullptr;
}

int64_t Duration::ToMillis() const {
  switch (unit) {
    case TimeUnit::kMillisecond: return count;
    case TimeUnit::kSecond: return count * 1000;
    case TimeUnit::kMinute: return count * 60'000;
    case TimeUnit::kHour: return count * 3'600'000;
    case TimeUnit::kDay: return count * 86'400'000;
  }
  return count;
}

const char* StatementKindName(StatementKind kind) {
  switch (kind) {
    case StatementKind::kQuery: return "Query";
    case StatementKind::kListProperties: return "ListProperties";
    case StatementKind::kListTopics: return "ListTopics";
    case StatementKind::kListStreams: return "ListStreams";
    case StatementKind::kListTables: return "ListTables";
    case StatementKind::kListFunctions: return "ListFunctions";
    case StatementKind::kListConnectors: return "ListConnectors";
    case StatementKind::kListConnectorPlugins: return "ListConnectorPlugins";
    case StatementKind::kListTypes: return "ListTypes";
    case StatementKind::kListVariables: return "ListVariables";
    case StatementKind::kListQueries: return "ListQueries";
    case StatementKind::kDescribeStreams: return "DescribeStreams";
    case StatementKind::kDescribeTables: return "DescribeTables";
    case StatementKind::kDescribeFunction: return "DescribeFunction";
    case StatementKind::kDescribeConnector: return "DescribeConnector";
    case StatementKind::kDescribeSource: return "ShowColumns";
    case StatementKind::kPrintTopic: return "PrintTopic";
    case StatementKind::kTerminateQuery: return "TerminateQuery";
    case StatementKind::kPauseQuery: return "PauseQuery";
    case StatementKind::kResumeQuery: return "ResumeQuery";
    case StatementKind::kSetProperty: return "SetProperty";
    case StatementKind::kAlterSystemProperty: return "AlterSystemProperty";
    case StatementKind::kUnsetProperty: return "UnsetProperty";
    case StatementKind::kDefineVariable: return "DefineVariable";
    case StatementKind::kUndefineVariable: return "UndefineVariable";
    case StatementKind::kCreateSource: return "CreateSource";
    case StatementKind::kCreateAsSelect: return "CreateAsSelect";
    case StatementKind::kCreateConnector: return "CreateConnector";
    case StatementKind::kInsertInto: return "InsertInto";
    case StatementKind::kInsertValues: return "InsertValues";
    case StatementKind::kDropSource: return "DropSource";
    case StatementKind::kDropConnector: return "DropConnector";
    case StatementKind::kExplain: return "Explain";
    case StatementKind::kRegisterType: return "RegisterType";
    case StatementKind::kDropType: return "DropType";
    case StatementKind::kAlterSource: return "AlterSource";
    case StatementKind::kAssertTopic: return "AssertTopic";
    case StatementKind::kAssertSchema: return "AssertSchema";
  }
  return "?";
}

}  // namespace sluice
