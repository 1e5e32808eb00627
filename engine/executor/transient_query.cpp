// Engine::StartQuery: a SELECT without a sink is a pull query unless it says EMIT CHANGES or
// EMIT FINAL, as in ksqlDB. The two kinds live in pull_query.cpp and push_query.cpp.
#include "engine/executor/engine.h"

namespace sluice {

Result<std::unique_ptr<RunningQuery>> Engine::StartQuery(const QueryStatement& stmt,
                                                         const std::map<std::string, std::string>& properties,
                                                         std::shared_ptr<QueryRowSink> sink) {
  if (!stmt.query) return Status::InvalidArgument("Empty query: " + stmt.text);
  if (stmt.query->emit == EmitKind::kNone) return StartPullQuery(stmt, properties, std::move(sink));
  return StartPushQuery(stmt, properties, std::move(sink));
}

}  // namespace sluice
