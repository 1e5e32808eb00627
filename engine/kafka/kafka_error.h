#pragma once
// KafkaError: one librdkafka error with what it concerns (topic, partition) and librdkafka's own
// verdict on it (retriable, fatal, transaction must abort), so a caller can decide to retry,
// abort a transaction or fail the query without parsing messages.
#include <cstdint>
#include <string>

#include <librdkafka/rdkafka.h>

#include "engine/common/status.h"

namespace sluice {

struct KafkaError {
  rd_kafka_resp_err_t code = RD_KAFKA_RESP_ERR_NO_ERROR;
  std::string message;      // librdkafka's text, with our context in front
  std::string topic;        // empty when the error is not about a topic
  int32_t partition = -1;   // -1: not about one partition
  bool retriable = false;   // trying the same call again may succeed
  bool fatal = false;       // the client instance is unusable (idempotence/transactions broken)
  bool txn_requires_abort = false;

  bool ok() const { return code == RD_KAFKA_RESP_ERR_NO_ERROR; }
  // "topic 't' partition 2: Local: Message timed out (retriable)"
  std::string ToString() const;
  // kIOError carrying ToString(); ok() maps to OK.
  Status ToStatus() const;
};

// From a response code (delivery reports, per-partition results, message errors). Retriability
// follows Kafka's RetriableException family plus librdkafka's transient local errors.
KafkaError MakeKafkaError(rd_kafka_resp_err_t code, std::string context, std::string topic = {},
                          int32_t partition = -1);

// From an rd_kafka_error_t (transactions, newer APIs), which carries the flags itself. Takes
// ownership and destroys `error`; nullptr gives an OK KafkaError.
KafkaError TakeKafkaError(rd_kafka_error_t* error, std::string context);

bool IsRetriable(rd_kafka_resp_err_t code);

}  // namespace sluice
