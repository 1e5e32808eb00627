#include "engine/kafka/processing_log.h"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "engine/serde/text_codec.h"

namespace sluice {

namespace {

using ojson = nlohmann::ordered_json;
constexpr auto kDestructorWait = std::chrono::seconds(10);

std::string Prop(const std::map<std::string, std::string>& p, const std::string& name, const std::string& fallback) {
  auto it = p.find(name);
  return it == p.end() || it->second.empty() ? fallback : it->second;
}

Result<bool> BoolProp(const std::map<std::string, std::string>& p, const std::string& name, bool fallback) {
  std::string v = Prop(p, name, fallback ? "true" : "false");
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
  if (v == "true") return true;
  if (v == "false") return false;
  return Status::InvalidArgument("Invalid value " + v + " for configuration " + name + ": expected true or false");
}

Result<int> IntProp(const std::map<std::string, std::string>& p, const std::string& name, int fallback) {
  const std::string v = Prop(p, name, std::to_string(fallback));
  try {
    size_t used = 0;
    const int n = std::stoi(v, &used);
    if (used == v.size() && n >= 1) return n;
  } catch (const std::exception&) {
  }
  return Status::InvalidArgument("Invalid value " + v + " for configuration " + name + ": expected an integer >= 1");
}


// Text that may not be UTF-8 (a raw record) as a JSON string: invalid bytes replaced.
std::string DumpJson(const ojson& j) { return j.dump(-1, ' ', false, ojson::error_handler_t::replace); }

std::string Location(const KafkaRecord& in) {
  return "partition " + std::to_string(in.partition) + ", offset " + std::to_string(in.offset);
}

ojson Message(ProcessingLogType type) {
  return ojson{{"type", static_cast<int>(type)},
               {"deserializationError", nullptr},
               {"recordProcessingError", nullptr},
               {"productionError", nullptr},
               {"serializationError", nullptr},
               {"kafkaStreamsThreadError", nullptr}};
}

ojson Envelope(const std::string& logger, int64_t time_ms, ojson message) {
  return ojson{{"level", "ERROR"}, {"logger", logger}, {"time", time_ms}, {"message", std::move(message)}};
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Result<ProcessingLogOptions> ProcessingLogOptions::FromProperties(const std::map<std::string, std::string>& p,
                                                                  const std::string& service_id) {
  ProcessingLogOptions o;
  o.topic = Prop(p, "ksql.logging.processing.topic.name", service_id + "ksql_processing_log");
  auto create = BoolProp(p, "ksql.logging.processing.topic.auto.create", false);
  if (!create.ok()) return create.status();
  o.topic_auto_create = *create;
  auto partitions = IntProp(p, "ksql.logging.processing.topic.partitions", 1);
  if (!partitions.ok()) return partitions.status();
  o.topic_partitions = *partitions;
  auto replicas = IntProp(p, "ksql.logging.processing.topic.replication.factor", 1);
  if (!replicas.ok()) return replicas.status();
  o.topic_replicas = *replicas;
  auto stream = BoolProp(p, "ksql.logging.processing.stream.auto.create", false);
  if (!stream.ok()) return stream.status();
  o.stream_auto_create = *stream;
  o.stream_name = Prop(p, "ksql.logging.processing.stream.name", o.stream_name);
  auto rows = BoolProp(p, "ksql.logging.processing.rows.include", false);
  if (!rows.ok()) return rows.status();
  o.include_rows = *rows;
  return o;
}

ProcessingLogEntry ClassifyProcessingLogEntry(const std::string& task_entry) {
  ProcessingLogEntry e;
  e.what = task_entry;
  // "query Q, topic T, partition P, offset O: what" (or "query Q: what"): the location is known
  // from the record itself, keep the reason.
  if (task_entry.starts_with("query ")) {
    size_t at = task_entry.find(", offset ");
    if (at != std::string::npos) {
      at += 9;
      while (at < task_entry.size() && (std::isdigit(static_cast<unsigned char>(task_entry[at])) || task_entry[at] == '-'))
        ++at;
      if (task_entry.compare(at, 2, ": ") == 0) e.what = task_entry.substr(at + 2);
    } else if (size_t colon = task_entry.find(": "); colon != std::string::npos) {
      e.what = task_entry.substr(colon + 2);
    }
  }
  for (const char* target : {"key", "value"}) {
    const std::string deser = std::string("Failed to deserialize ") + target;
    const std::string ser = std::string("Failed to serialize ") + target;
    if (e.what.starts_with(deser)) {
      e.type = ProcessingLogType::kDeserialization;
      e.target = target;
      e.detail = e.what.size() > deser.size() + 2 ? e.what.substr(deser.size() + 2) : "";
    } else if (e.what.starts_with(ser)) {
      e.type = ProcessingLogType::kSerialization;
      e.target = target;
      e.detail = e.what.size() > ser.size() + 2 ? e.what.substr(ser.size() + 2) : "";
    }
  }
  return e;
}

std::string ProcessingLogRecordJson(const std::string& query_id, const ProcessingLogEntry& e, const KafkaRecord& in,
                                    const std::string& sink_topic, bool include_rows, int64_t time_ms) {
  const std::string prefix = "processing." + query_id;
  ojson message = Message(e.type);
  std::string logger = prefix;
  const ojson cause = e.detail.empty() ? ojson::array() : ojson::array({e.detail});
  switch (e.type) {
    case ProcessingLogType::kDeserialization: {
      // ksqlDB's source deserializer logger; its message "Failed to deserialize value from
      // topic: T. <why>" with the reason again as the cause.
      logger = prefix + ".KsqlTopic.Source.deserializer";
      const std::optional<std::string>& bytes = e.target == "key" ? in.key : in.value;
      ojson record_b64 = nullptr;
      if (include_rows && bytes) {
        std::string b64;
        serde::AppendBase64(*bytes, &b64);
        record_b64 = b64;
      }
      message["deserializationError"] = ojson{
          {"target", e.target},
          {"errorMessage", "Failed to deserialize " + e.target + " from topic: " + in.topic + " (" + Location(in) +
                               "). " + e.detail},
          {"recordB64", record_b64},
          {"cause", cause},
          {"topic", in.topic}};
      break;
    }
    case ProcessingLogType::kSerialization: {
      logger = prefix + ".KsqlTopic.Sink.serializer";
      ojson record = nullptr;
      if (include_rows && in.value) record = *in.value;
      message["serializationError"] = ojson{
          {"target", e.target},
          {"errorMessage", "Failed to serialize " + e.target + " to topic: " + sink_topic + " (input topic " +
                               in.topic + ", " + Location(in) + "). " + e.detail},
          {"record", record},
          {"cause", cause},
          {"topic", sink_topic}};
      break;
    }
    default: {
      // The row is not at hand here: with rows.include the input record's value stands for it.
      ojson record = nullptr;
      if (include_rows && in.value) record = *in.value;
      message["recordProcessingError"] = ojson{
          {"errorMessage", e.what + " (topic " + in.topic + ", " + Location(in) + ")"},
          {"record", record},
          {"cause", ojson::array()}};
      break;
    }
  }
  return DumpJson(Envelope(logger, time_ms, std::move(message)));
}

std::string ProcessingLogThreadErrorJson(const std::string& query_id, const std::string& thread,
                                         const std::string& error, int64_t time_ms) {
  ojson message = Message(ProcessingLogType::kStreamsThread);
  message["kafkaStreamsThreadError"] =
      ojson{{"errorMessage", "Unhandled exception caught in streams thread " + thread + "."},
            {"threadName", thread},
            {"cause", ojson::array({error})}};
  return DumpJson(Envelope("processing." + query_id, time_ms, std::move(message)));
}

std::string ProcessingLogStreamStatement(const std::string& stream_name, const std::string& topic) {
  return "CREATE STREAM " + stream_name +
         " (logger VARCHAR, level VARCHAR, time BIGINT, message STRUCT<type INT, "
         "deserializationError STRUCT<target VARCHAR, errorMessage VARCHAR, recordB64 VARCHAR, cause ARRAY<VARCHAR>, "
         "`topic` VARCHAR>, "
         "recordProcessingError STRUCT<errorMessage VARCHAR, record VARCHAR, cause ARRAY<VARCHAR>>, "
         "productionError STRUCT<errorMessage VARCHAR>, "
         "serializationError STRUCT<target VARCHAR, errorMessage VARCHAR, record VARCHAR, cause ARRAY<VARCHAR>, "
         "`topic` VARCHAR>, "
         "kafkaStreamsThreadError STRUCT<errorMessage VARCHAR, threadName VARCHAR, cause ARRAY<VARCHAR>>>) "
         "WITH(KAFKA_TOPIC='" + topic + "', VALUE_FORMAT='JSON', KEY_FORMAT='KAFKA');";
}

ProcessingLog::ProcessingLog(ProcessingLogOptions options, Producer* producer)
    : options_(std::move(options)), producer_(producer) {}

ProcessingLog::~ProcessingLog() {
  // Deliveries still in flight report to tracker_.
  if (tracker_.pending() > 0) tracker_.Wait(kDestructorWait).ok();
}

void ProcessingLog::RecordError(const std::string& query_id, const std::string& task_entry, const KafkaRecord& in,
                                const std::string& sink_topic) {
  entries_++;
  spdlog::warn("processing log: query {} topic {} partition {} offset {}: {}", query_id, in.topic, in.partition,
               in.offset, task_entry);
  if (!writes_topic()) return;
  const ProcessingLogEntry e = ClassifyProcessingLogEntry(task_entry);
  Write(ProcessingLogRecordJson(query_id, e, in, sink_topic, options_.include_rows, NowMs()), &in);
}

void ProcessingLog::QueryError(const std::string& query_id, const std::string& thread, const std::string& error) {
  if (!writes_topic()) return;
  Write(ProcessingLogThreadErrorJson(query_id, thread, error, NowMs()), nullptr);
}

void ProcessingLog::Write(const std::string& json, const KafkaRecord* in) {
  std::string partition, offset;
  std::vector<HeaderView> headers;
  if (in) {
    partition = std::to_string(in->partition);
    offset = std::to_string(in->offset);
    headers = {{"sluice.source.topic", std::string_view(in->topic)},
               {"sluice.source.partition", std::string_view(partition)},
               {"sluice.source.offset", std::string_view(offset)}};
  }
  OutputRecord r;
  r.topic = options_.topic;
  r.value = std::string_view(json);
  r.headers = headers;
  Status s = producer_->Produce({&r, 1}, &tracker_);
  // An entry that cannot be written is in the server log already; say so once per burst.
  if (!s.ok() && reported_failures_++ % 1000 == 0)
    spdlog::error("processing log topic {}: entry not written: {}", options_.topic, s.message());
}

Status ProcessingLog::Flush(std::chrono::milliseconds timeout) { return tracker_.Wait(timeout); }

}  // namespace sluice
