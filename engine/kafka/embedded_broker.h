#pragma once
// EmbeddedBroker: librdkafka's mock cluster (rdkafka_mock.h) run in-process as Sluice's
// quick-start Kafka. It listens on real localhost ports, so any Kafka client can use it. What
// it is and is not (DESIGN.md): produce, fetch, consumer groups with commits, idempotent and
// transactional producers; no CreateTopics/DeleteTopics/DeleteGroups APIs; TxnOffsetCommit
// stores nothing; data in memory only, about 5 MB (or 100,000 batches) per partition, older
// data dropped.
//
// The mock binds its brokers to ephemeral ports. With `port` set, a small TCP forwarder listens
// on 127.0.0.1:port and relays to broker 1, so clients can bootstrap from a fixed address;
// after bootstrap they talk to the brokers' advertised (ephemeral) addresses directly.
#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "engine/kafka/admin.h"

struct rd_kafka_mock_cluster_s;

namespace sluice {

struct EmbeddedBrokerOptions {
  int brokers = 1;  // broker ids 1..brokers
  int port = 0;     // 0: no fixed bootstrap port
};

class TcpForwarder;

class EmbeddedBroker {
 public:
  static Result<std::unique_ptr<EmbeddedBroker>> Start(const EmbeddedBrokerOptions& options);
  ~EmbeddedBroker();
  EmbeddedBroker(const EmbeddedBroker&) = delete;
  EmbeddedBroker& operator=(const EmbeddedBroker&) = delete;

  // What clients should use as bootstrap.servers (the fixed port when one was asked for).
  const std::string& bootstrap_servers() const { return bootstrap_; }
  // The brokers' own listeners, "127.0.0.1:p1,127.0.0.1:p2".
  const std::string& broker_addresses() const { return brokers_; }
  int broker_count() const { return options_.brokers; }

  // Topics through the mock API. AlreadyExists when present; InvalidArgument when replicas
  // exceed the broker count (as Kafka answers INVALID_REPLICATION_FACTOR).
  Status CreateTopic(const std::string& name, int partitions, int replicas);
  // An Admin for this broker: creates topics with the mock API, reads metadata over the wire.
  Result<std::unique_ptr<Admin>> NewAdmin();

  // Per-partition retention limit of librdkafka's mock log (a constant of the library).
  static constexpr const char* kPartitionLimit = "about 5 MB or 100,000 batches per partition";

 private:
  EmbeddedBroker() = default;

  EmbeddedBrokerOptions options_;
  std::unique_ptr<ClientContext> context_;
  rd_kafka_t* rk_ = nullptr;  // the dedicated handle the mock cluster hangs off
  rd_kafka_mock_cluster_s* cluster_ = nullptr;
  std::string bootstrap_, brokers_;
  std::unique_ptr<TcpForwarder> forwarder_;
};

// Relays TCP connections from 127.0.0.1:listen_port to target_host:target_port (both
// directions) on its own thread. Used for the embedded broker's fixed bootstrap port.
class TcpForwarder {
 public:
  static Result<std::unique_ptr<TcpForwarder>> Start(int listen_port, const std::string& target_host,
                                                     int target_port);
  ~TcpForwarder();
  int port() const { return port_; }

 private:
  struct Impl;
  TcpForwarder() = default;
  std::unique_ptr<Impl> impl_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace sluice
