#pragma once
// What every librdkafka client wrapper shares: building an rd_kafka_conf_t from a property map
// (errors name the property), routing librdkafka's logs and errors to spdlog with the client's
// name, and keeping the latest statistics (statistics.interval.ms) for metrics.
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <librdkafka/rdkafka.h>

#include "engine/common/status.h"
#include "engine/kafka/kafka_error.h"

namespace sluice {

// librdkafka property name -> value (bootstrap.servers, group.id, linger.ms, ...).
using KafkaProperties = std::map<std::string, std::string>;

// The latest statistics JSON librdkafka emitted for one client (see librdkafka's
// STATISTICS.md), plus a few totals read from it. Written on librdkafka's thread, read anywhere.
class ClientStats {
 public:
  void Update(const char* json, size_t len);
  std::string LatestJson() const;
  int64_t updates() const { return updates_.load(); }
  // Totals from the latest report: messages sent/received, bytes, messages in queue.
  int64_t tx_messages() const { return txmsgs_.load(); }
  int64_t rx_messages() const { return rxmsgs_.load(); }
  int64_t queued_messages() const { return msg_cnt_.load(); }

 private:
  mutable std::mutex mu_;
  std::string json_;
  std::atomic<int64_t> updates_{0}, txmsgs_{0}, rxmsgs_{0}, msg_cnt_{0};
};

// Per-client state the callbacks reach through librdkafka's opaque pointer. Owned by the
// wrapper and destroyed after its rd_kafka_t.
struct ClientContext {
  std::string name;  // "producer", "consumer query_CSAS_X_1", ... for log lines
  ClientStats stats;
  std::mutex error_mu;
  KafkaError fatal_error;   // set once the client reports a fatal error
  std::atomic<bool> has_fatal{false};
  // Consumers: rebalance hook (set by Consumer), called on the polling thread.
  std::function<void(rd_kafka_t*, rd_kafka_resp_err_t, rd_kafka_topic_partition_list_t*)> rebalance;
  // Producers: delivery report hook (set by Producer).
  std::function<void(rd_kafka_t*, const rd_kafka_message_t*)> delivery;
};

// Builds a configuration: applies `props` in order (an unknown name or invalid value is
// InvalidArgument naming the property) and installs log, error and statistics callbacks that
// reach `ctx`. The caller owns the returned conf until rd_kafka_new takes it.
Result<rd_kafka_conf_t*> BuildClientConf(const KafkaProperties& props, ClientContext* ctx);

// Creates the client; on failure the conf is destroyed and the error names the client.
Result<rd_kafka_t*> NewClient(rd_kafka_type_t type, rd_kafka_conf_t* conf, const std::string& name);

// True when librdkafka knows `name` as a global client property (for the server's validation).
bool IsLibrdkafkaProperty(const std::string& name);

// True when the consumer group rebalances incrementally (cooperative-sticky). librdkafka
// answers NULL instead of a protocol name once the consumer is closing (its group queue is
// gone), which is exactly when the final revocation arrives; that is treated as eager.
bool UsesCooperativeRebalancing(rd_kafka_t* rk);
// Checks one property the way BuildClientConf would; OK, or InvalidArgument naming it.
Status ValidateLibrdkafkaProperty(const std::string& name, const std::string& value);

}  // namespace sluice
