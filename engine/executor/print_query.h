#pragma once
// PRINT 'topic' [FROM BEGINNING] [INTERVAL|SAMPLE n] [LIMIT n] (ksqlDB's PrintTopic): the raw
// records of a Kafka topic as text lines, formats guessed per record (engine/print). Runs on
// the engine's query runner (QueryRunner::TailTopic), so it needs one: the server has it, the
// in-memory engine answers NotSupported. The REST layer (server/query_endpoints.cpp, the
// websocket) streams the lines; the CLI prints them.
#include <memory>

#include "engine/executor/engine.h"
#include "engine/print/topic_printer.h"

namespace sluice {

// Starts printing to `sink`: lines arrive from the runner's thread until LIMIT (then
// OnEnd(OK) and the handle is finished), the sink refuses lines, or the handle is destroyed
// (which stops the consumer and frees it, then OnEnd(OK) if nothing ended it before).
// Errors before anything is printed, as ksqlDB words them: NotFound "Could not find topic
// 'x', or the KSQL user does not have permissions to list the topic. Topic names are
// case-sensitive." (followed by "Did you mean:" and `print <name>;` lines for topics whose names
// differ only in case); InvalidArgument "INTERVAL must be greater than one, but was: 0".
// Reads the engine's runner and schema registry only: no engine lock is needed.
Result<std::unique_ptr<RunningQuery>> StartPrint(Engine& engine, const PrintTopic& stmt,
                                                 std::shared_ptr<TextLineSink> sink, print::PrintStyle style = {});

// The NotFound message above for `topic`, given the names of the topics that exist.
std::string UnknownTopicMessage(const std::string& topic, const std::vector<std::string>& existing);

}  // namespace sluice
