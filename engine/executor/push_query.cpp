// Push queries: being built (REST issue). Until then they answer NotSupported.
#include "engine/executor/engine.h"

namespace sluice {

Result<std::unique_ptr<RunningQuery>> Engine::StartPushQuery(const QueryStatement& stmt,
                                                             const std::map<std::string, std::string>&,
                                                             std::shared_ptr<QueryRowSink>) {
  return Status::NotSupported("Push queries are not supported yet: " + stmt.text);
}

}  // namespace sluice
