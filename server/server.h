#pragma once
// RunServer: sluiced's start-up and shutdown. Kafka first (the embedded broker when
// bootstrap.servers is unset), then the engine, the command topic's replay, and the REST API;
// runs until SIGINT/SIGTERM and stops in reverse order.
#include "engine/config/server_config.h"

namespace sluice {

// Returns the process exit status.
int RunServer(const ServerConfig& config);

}  // namespace sluice
