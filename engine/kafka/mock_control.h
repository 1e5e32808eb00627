#pragma once
// Topic creation on a librdkafka mock cluster that runs in another process (sluice-broker).
// The mock has no CreateTopics API over the wire, so sluice-broker serves a one-line
// control protocol on a loopback port and announces that port in the topic
// `_sluice-broker-control` (one record, value "127.0.0.1:PORT"); Kafka clients of that
// broker find it there. Request "CREATE <topic> <partitions> <replicas>\n", answer
// "OK\n", "EXISTS <message>\n" or "ERROR <message>\n".
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "engine/kafka/client.h"

namespace sluice {

inline constexpr const char* kMockControlTopic = "_sluice-broker-control";

// Server side (sluice-broker): serves requests with `create` until destroyed.
class MockControlServer {
 public:
  using CreateFn = std::function<Status(const std::string& topic, int partitions, int replicas)>;
  static Result<std::unique_ptr<MockControlServer>> Start(CreateFn create);
  ~MockControlServer();
  int port() const { return port_; }

 private:
  MockControlServer() = default;
  void Serve();
  CreateFn create_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Client side: finds the control address through the broker at `props`' bootstrap.servers
// and creates the topic. NotSupported when the broker announces no control port (a mock
// cluster not run by sluice-broker); AlreadyExists when the topic exists.
// Serves topic creation for `broker` on a loopback port and announces it in
// kMockControlTopic, so that clients in other processes (sluiced against sluice-broker,
// sluice-qtt --rest or kcat users against sluiced's embedded broker) can create topics with
// their partition counts. Topic creation stops when the returned server is destroyed.
class EmbeddedBroker;
Result<std::unique_ptr<MockControlServer>> ServeTopicControl(EmbeddedBroker& broker);

Status CreateTopicOnRemoteMock(const KafkaProperties& props, const std::string& topic, int partitions,
                               int replicas, std::chrono::milliseconds timeout);

}  // namespace sluice
