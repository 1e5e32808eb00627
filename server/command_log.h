#pragma once
// The command topic: statements that change the server's state (CREATE, DROP, INSERT INTO,
// TERMINATE, ALTER, types, ALTER SYSTEM, PAUSE/RESUME), appended after they executed, as
// ksqlDB's `_confluent-ksql-<service.id>_command_topic` (one partition). On start the server
// replays it before serving, which rebuilds the metastore and restarts the queries.
//
// Record: key = ksqlDB's command id ("stream/`S`/create"); value = JSON
//   {"statement": "...", "streamsProperties": {...}, "originalProperties": {}, "version": 1}
// where streamsProperties are the request's properties (and SETs before the statement), so a
// replay runs each statement under the properties it first ran with.
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/kafka/admin.h"
#include "engine/kafka/producer.h"

namespace sluice {

struct Command {
  std::string id;         // command id, the record key
  std::string statement;  // text after variable substitution
  std::map<std::string, std::string> properties;
  int64_t offset = -1;    // position in the topic (ksqlDB's commandSequenceNumber)
};

std::string CommandTopicName(const std::string& service_id);

class CommandLog {
 public:
  // Creates the topic when missing (one partition, `replicas`), checks an existing one has a
  // single partition.
  static Result<std::unique_ptr<CommandLog>> Open(Admin& admin, const KafkaProperties& client_props,
                                                  const std::string& service_id, int replicas);

  // Every command in the topic, in order (reads up to the high watermark seen at the start).
  Result<std::vector<Command>> ReadAll(std::chrono::milliseconds timeout);
  // Appends one command and waits until it is acknowledged; returns its offset.
  Result<int64_t> Append(const Command& command);

  const std::string& topic() const { return topic_; }

 private:
  CommandLog() = default;
  std::string topic_;
  KafkaProperties client_props_;
  std::unique_ptr<Producer> producer_;
};

// JSON value of a command record, and back. Decode errors name the offset.
std::string EncodeCommand(const Command& command);
Result<Command> DecodeCommand(std::string_view key, std::string_view value, int64_t offset);

}  // namespace sluice
