#pragma once
// Admin: topics and consumer groups, one interface for a real cluster (Kafka's Admin API via
// librdkafka) and for the embedded broker (librdkafka's mock cluster, which has no
// CreateTopics API: topics are created with rd_kafka_mock_topic_create there). Callers create
// topics the same way on both.
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/kafka/client.h"

namespace sluice {

struct TopicInfo {
  std::string name;
  int partitions = 0;
  int replicas = 0;
};

class Admin {
 public:
  virtual ~Admin() = default;
  // AlreadyExists when the topic exists (whatever its partition count: the caller compares).
  virtual Status CreateTopic(const std::string& name, int partitions, int replicas,
                             const std::map<std::string, std::string>& configs = {}) = 0;
  // NotFound for a topic that does not exist. NotSupported on the embedded broker.
  virtual Status DeleteTopics(const std::vector<std::string>& names) = 0;
  // NotSupported on the embedded broker (its groups live as long as it does).
  virtual Status DeleteConsumerGroups(const std::vector<std::string>& groups) = 0;
  virtual bool SupportsDeletion() const = 0;
  // Every topic with its partition count, internal topics (leading '_') included.
  virtual Result<std::vector<TopicInfo>> ListTopics() = 0;
  // NotFound if the topic does not exist.
  Result<TopicInfo> DescribeTopic(const std::string& name);
  virtual Result<std::string> ClusterId() = 0;
};

// An Admin over a real cluster. `props` are librdkafka settings (bootstrap.servers required).
Result<std::unique_ptr<Admin>> CreateKafkaAdmin(KafkaProperties props,
                                                std::chrono::milliseconds timeout = std::chrono::seconds(30));

// Helpers shared with the embedded broker's admin (metadata reads are the same on both).
Result<std::vector<TopicInfo>> ListTopicsOf(rd_kafka_t* rk, std::chrono::milliseconds timeout);
Result<std::string> ClusterIdOf(rd_kafka_t* rk, std::chrono::milliseconds timeout);

}  // namespace sluice
