#include "server/command_log.h"

#include <unistd.h>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "engine/kafka/consumer.h"

namespace sluice {

using namespace std::chrono_literals;

std::string CommandTopicName(const std::string& service_id) {
  return "_confluent-ksql-" + service_id + "_command_topic";
}

std::string EncodeCommand(const Command& command) {
  nlohmann::json j;
  j["statement"] = command.statement;
  j["streamsProperties"] = command.properties;
  j["originalProperties"] = nlohmann::json::object();
  j["version"] = 1;
  return j.dump();
}

Result<Command> DecodeCommand(std::string_view key, std::string_view value, int64_t offset) {
  auto j = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains("statement") || !j["statement"].is_string())
    return Status::SerdeError("command topic record at offset " + std::to_string(offset) +
                              " is not a command (no \"statement\")");
  Command c;
  c.id = std::string(key);
  c.statement = j["statement"].get<std::string>();
  c.offset = offset;
  if (j.contains("streamsProperties") && j["streamsProperties"].is_object())
    for (auto& [k, v] : j["streamsProperties"].items())
      c.properties[k] = v.is_string() ? v.get<std::string>() : v.dump();
  return c;
}

Result<std::unique_ptr<CommandLog>> CommandLog::Open(Admin& admin, const KafkaProperties& client_props,
                                                     const std::string& service_id, int replicas) {
  std::unique_ptr<CommandLog> log(new CommandLog());
  log->topic_ = CommandTopicName(service_id);
  log->client_props_ = client_props;
  Status created = admin.CreateTopic(log->topic_, 1, replicas, {{"cleanup.policy", "delete"},
                                                                 {"retention.ms", "-1"}});
  if (created.code() == Status::Code::kNotSupported) {
    // sluice-broker (the mock cluster in another process): the topic is auto-created on first
    // write, or was pre-created (sluice-broker --topic). Only partition 0 is ever used.
    spdlog::warn("command topic {}: {}", log->topic_, created.message());
  } else if (created.code() == Status::Code::kAlreadyExists) {
    auto info = admin.DescribeTopic(log->topic_);
    if (!info.ok()) return info.status();
    if (info->partitions != 1)
      spdlog::warn("command topic {} has {} partitions; only partition 0 is used", log->topic_, info->partitions);
  } else if (!created.ok()) {
    return Status::IOError("cannot create command topic " + log->topic_ + ": " + created.message());
  }
  KafkaProperties producer_props = client_props;
  producer_props["acks"] = "all";
  producer_props["enable.idempotence"] = "true";
  auto producer = Producer::Create(producer_props, "command-topic");
  if (!producer.ok()) return producer.status();
  log->producer_ = std::move(*producer);
  return log;
}

Result<std::vector<Command>> CommandLog::ReadAll(std::chrono::milliseconds timeout) {
  KafkaProperties props = client_props_;
  // Assign-only reader: the group id is never joined nor committed to.
  props["group.id"] = "_sluice-command-replay-" + std::to_string(getpid());
  auto consumer = Consumer::Create(props, "command-topic-replay");
  if (!consumer.ok()) return consumer.status();
  auto marks = (*consumer)->Watermarks(topic_, 0, timeout);
  if (!marks.ok()) {
    if (marks.status().message().find("Unknown topic") != std::string::npos) return std::vector<Command>();
    return marks.status();
  }
  const auto [low, high] = *marks;
  std::vector<Command> commands;
  if (high <= low) return commands;
  SLUICE_RETURN_IF_ERROR((*consumer)->Assign({{topic_, 0, RD_KAFKA_OFFSET_BEGINNING}}));
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int64_t next = low;
  while (next < high) {
    if (std::chrono::steady_clock::now() > deadline)
      return Status::IOError("command topic " + topic_ + ": read " + std::to_string(next - low) + " of " +
                             std::to_string(high - low) + " commands before the timeout");
    auto batch = (*consumer)->Poll(500, 200ms);
    if (!batch.ok()) return batch.status();
    for (size_t i = 0; i < batch->size(); ++i) {
      RecordView r = (*batch)[i];
      next = r.offset() + 1;
      if (r.offset() >= high) break;
      auto command = DecodeCommand(r.key().value_or(""), r.value().value_or(""), r.offset());
      if (!command.ok()) {
        spdlog::error("{}: skipped: {}", topic_, command.status().message());
        continue;
      }
      commands.push_back(std::move(*command));
    }
  }
  (*consumer)->Close().ok();
  return commands;
}

Result<int64_t> CommandLog::Append(const Command& command) {
  const std::string value = EncodeCommand(command);
  OutputRecord r;
  r.topic = topic_;
  r.partition = 0;
  r.key = command.id;
  r.value = value;
  auto where = producer_->ProduceSync(r, 30s);
  if (!where.ok()) return where.status();
  return where->second;
}

}  // namespace sluice
