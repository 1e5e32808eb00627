#include "engine/kafka/kafka_error.h"

namespace sluice {

std::string KafkaError::ToString() const {
  std::string out;
  if (!topic.empty()) {
    out = "topic '" + topic + "'";
    if (partition >= 0) out += " partition " + std::to_string(partition);
    out += ": ";
  }
  out += message;
  if (fatal) out += " (fatal)";
  else if (retriable) out += " (retriable)";
  if (txn_requires_abort) out += " (transaction must abort)";
  return out;
}

Status KafkaError::ToStatus() const {
  return ok() ? Status::OK() : Status::IOError(ToString());
}

bool IsRetriable(rd_kafka_resp_err_t code) {
  switch (code) {
    // librdkafka's local transient conditions.
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
    case RD_KAFKA_RESP_ERR__QUEUE_FULL:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__WAIT_COORD:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    // Kafka's RetriableException subclasses.
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION:
    case RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS:
    case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case RD_KAFKA_RESP_ERR_KAFKA_STORAGE_ERROR:
    case RD_KAFKA_RESP_ERR_FETCH_SESSION_ID_NOT_FOUND:
    case RD_KAFKA_RESP_ERR_INVALID_FETCH_SESSION_EPOCH:
    case RD_KAFKA_RESP_ERR_OFFSET_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_PREFERRED_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_CONCURRENT_TRANSACTIONS:
    case RD_KAFKA_RESP_ERR_UNSTABLE_OFFSET_COMMIT:
    case RD_KAFKA_RESP_ERR_THROTTLING_QUOTA_EXCEEDED:
      return true;
    default:
      return false;
  }
}

KafkaError MakeKafkaError(rd_kafka_resp_err_t code, std::string context, std::string topic,
                          int32_t partition) {
  KafkaError e;
  e.code = code;
  e.message = context.empty() ? rd_kafka_err2str(code) : context + ": " + rd_kafka_err2str(code);
  e.topic = std::move(topic);
  e.partition = partition;
  e.retriable = IsRetriable(code);
  e.fatal = code == RD_KAFKA_RESP_ERR__FATAL;
  return e;
}

KafkaError TakeKafkaError(rd_kafka_error_t* error, std::string context) {
  KafkaError e;
  if (!error) return e;
  e.code = rd_kafka_error_code(error);
  std::string text = rd_kafka_error_string(error);
  e.message = context.empty() ? text : context + ": " + text;
  e.retriable = rd_kafka_error_is_retriable(error);
  e.fatal = rd_kafka_error_is_fatal(error);
  e.txn_requires_abort = rd_kafka_error_txn_requires_abort(error);
  rd_kafka_error_destroy(error);
  return e;
}

}  // namespace sluice
