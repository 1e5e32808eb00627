#include "engine/kafka/admin.h"

#include <spdlog/spdlog.h>

#include "engine/kafka/mock_control.h"

namespace sluice {

Result<TopicInfo> Admin::DescribeTopic(const std::string& name) {
  auto topics = ListTopics();
  if (!topics.ok()) return topics.status();
  for (const TopicInfo& t : *topics)
    if (t.name == name) return t;
  return Status::NotFound("Kafka topic does not exist: " + name);
}

Result<std::vector<TopicInfo>> ListTopicsOf(rd_kafka_t* rk, std::chrono::milliseconds timeout) {
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(rk, /*all_topics=*/1, nullptr, &md,
                                              static_cast<int>(timeout.count()));
  if (err) return MakeKafkaError(err, "list topics").ToStatus();
  std::vector<TopicInfo> out;
  for (int i = 0; i < md->topic_cnt; ++i) {
    const auto& t = md->topics[i];
    if (t.err) continue;  // e.g. a topic being deleted
    out.push_back({t.topic, t.partition_cnt, t.partition_cnt > 0 ? t.partitions[0].replica_cnt : 0});
  }
  rd_kafka_metadata_destroy(md);
  return out;
}

Result<std::string> ClusterIdOf(rd_kafka_t* rk, std::chrono::milliseconds timeout) {
  char* id = rd_kafka_clusterid(rk, static_cast<int>(timeout.count()));
  if (!id) return Status::IOError("Kafka cluster id not available (broker unreachable?)");
  std::string out = id;
  rd_kafka_mem_free(rk, id);
  return out;
}

namespace {

// Real cluster: librdkafka's Admin API, one request at a time on a private queue.
class KafkaAdmin : public Admin {
 public:
  KafkaAdmin(std::unique_ptr<ClientContext> ctx, rd_kafka_t* rk, KafkaProperties props,
             std::chrono::milliseconds timeout)
      : ctx_(std::move(ctx)), rk_(rk), props_(std::move(props)), timeout_(timeout), queue_(rd_kafka_queue_new(rk)) {}
  ~KafkaAdmin() override {
    rd_kafka_queue_destroy(queue_);
    rd_kafka_destroy(rk_);
  }

  Status CreateTopic(const std::string& name, int partitions, int replicas,
                     const std::map<std::string, std::string>& configs) override {
    // librdkafka's mock cluster in another process (sluice-broker) has no CreateTopics API:
    // the request would only time out waiting for a controller. Say so at once.
    // sluice-broker serves topic creation on a control port instead (mock_control.h).
    if (IsMockCluster()) return CreateTopicOnRemoteMock(props_, name, partitions, replicas, timeout_);
    char err[512];
    rd_kafka_NewTopic_t* topic = rd_kafka_NewTopic_new(name.c_str(), partitions, replicas, err, sizeof err);
    if (!topic) return Status::InvalidArgument("create topic '" + name + "': " + err);
    for (const auto& [k, v] : configs) rd_kafka_NewTopic_set_config(topic, k.c_str(), v.c_str());
    rd_kafka_CreateTopics(rk_, &topic, 1, Options(RD_KAFKA_ADMIN_OP_CREATETOPICS), queue_);
    rd_kafka_NewTopic_destroy(topic);
    return AwaitTopicResults(RD_KAFKA_EVENT_CREATETOPICS_RESULT, "create topic");
  }

  Status DeleteTopics(const std::vector<std::string>& names) override {
    if (IsMockCluster()) return Status::NotSupported("librdkafka's mock cluster cannot delete topics");
    std::vector<rd_kafka_DeleteTopic_t*> topics;
    for (const auto& n : names) topics.push_back(rd_kafka_DeleteTopic_new(n.c_str()));
    rd_kafka_DeleteTopics(rk_, topics.data(), topics.size(), Options(RD_KAFKA_ADMIN_OP_DELETETOPICS), queue_);
    rd_kafka_DeleteTopic_destroy_array(topics.data(), topics.size());
    return AwaitTopicResults(RD_KAFKA_EVENT_DELETETOPICS_RESULT, "delete topic");
  }

  Status DeleteConsumerGroups(const std::vector<std::string>& groups) override {
    if (IsMockCluster()) return Status::NotSupported("librdkafka's mock cluster cannot delete consumer groups");
    std::vector<rd_kafka_DeleteGroup_t*> gs;
    for (const auto& g : groups) gs.push_back(rd_kafka_DeleteGroup_new(g.c_str()));
    rd_kafka_DeleteGroups(rk_, gs.data(), gs.size(), Options(RD_KAFKA_ADMIN_OP_DELETEGROUPS), queue_);
    rd_kafka_DeleteGroup_destroy_array(gs.data(), gs.size());
    rd_kafka_event_t* ev = Await(RD_KAFKA_EVENT_DELETEGROUPS_RESULT);
    if (!ev) return TimedOut("delete consumer groups");
    Status status = EventError(ev, "delete consumer groups");
    if (status.ok()) {
      size_t n = 0;
      const rd_kafka_group_result_t** results =
          rd_kafka_DeleteGroups_result_groups(rd_kafka_event_DeleteGroups_result(ev), &n);
      for (size_t i = 0; i < n && status.ok(); ++i) {
        const rd_kafka_error_t* e = rd_kafka_group_result_error(results[i]);
        if (e && rd_kafka_error_code(e) != RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND)
          status = Status::IOError(std::string("delete consumer group '") +
                                   rd_kafka_group_result_name(results[i]) + "': " + rd_kafka_error_string(e));
      }
    }
    rd_kafka_event_destroy(ev);
    return status;
  }

  bool SupportsDeletion() const override { return !const_cast<KafkaAdmin*>(this)->IsMockCluster(); }
  Result<std::vector<TopicInfo>> ListTopics() override { return ListTopicsOf(rk_, timeout_); }
  Result<std::string> ClusterId() override { return ClusterIdOf(rk_, timeout_); }

 private:
  // librdkafka's mock cluster names itself "mockCluster<hex>" in Metadata responses.
  bool IsMockCluster() {
    if (!mock_known_) {
      auto id = ClusterId();
      if (!id.ok()) return false;
      is_mock_ = id->rfind("mockCluster", 0) == 0;
      mock_known_ = true;
    }
    return is_mock_;
  }

  rd_kafka_AdminOptions_t* Options(rd_kafka_admin_op_t op) {
    // One options object per call: librdkafka copies what it needs at request time.
    options_.reset(rd_kafka_AdminOptions_new(rk_, op));
    char err[256];
    rd_kafka_AdminOptions_set_request_timeout(options_.get(), static_cast<int>(timeout_.count()), err, sizeof err);
    rd_kafka_AdminOptions_set_operation_timeout(options_.get(), static_cast<int>(timeout_.count()), err, sizeof err);
    return options_.get();
  }

  rd_kafka_event_t* Await(rd_kafka_event_type_t type) {
    auto deadline = std::chrono::steady_clock::now() + timeout_ + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < deadline) {
      rd_kafka_event_t* ev = rd_kafka_queue_poll(queue_, 500);
      if (!ev) continue;
      if (rd_kafka_event_type(ev) == type) return ev;
      rd_kafka_event_destroy(ev);
    }
    return nullptr;
  }

  static Status TimedOut(const std::string& what) {
    return MakeKafkaError(RD_KAFKA_RESP_ERR__TIMED_OUT, what).ToStatus();
  }

  static Status EventError(rd_kafka_event_t* ev, const std::string& what) {
    if (!rd_kafka_event_error(ev)) return Status::OK();
    KafkaError e = MakeKafkaError(rd_kafka_event_error(ev), what);
    e.message = what + ": " + rd_kafka_event_error_string(ev);
    return e.ToStatus();
  }

  // Create/Delete topics: per-topic results; maps "exists"/"unknown" to our codes.
  Status AwaitTopicResults(rd_kafka_event_type_t type, const std::string& what) {
    rd_kafka_event_t* ev = Await(type);
    if (!ev) return TimedOut(what);
    Status status = EventError(ev, what);
    size_t n = 0;
    const rd_kafka_topic_result_t** results =
        type == RD_KAFKA_EVENT_CREATETOPICS_RESULT
            ? rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n)
            : rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev), &n);
    for (size_t i = 0; status.ok() && i < n; ++i) {
      rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[i]);
      if (!err) continue;
      std::string topic = rd_kafka_topic_result_name(results[i]);
      const char* msg = rd_kafka_topic_result_error_string(results[i]);
      std::string text = what + " '" + topic + "': " + (msg ? msg : rd_kafka_err2str(err));
      if (err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) status = Status::AlreadyExists(text);
      else if (err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) status = Status::NotFound(text);
      else {
        KafkaError e = MakeKafkaError(err, "", topic);
        e.message = text;
        status = e.ToStatus();
      }
    }
    rd_kafka_event_destroy(ev);
    return status;
  }

  struct OptionsDeleter {
    void operator()(rd_kafka_AdminOptions_t* o) const { rd_kafka_AdminOptions_destroy(o); }
  };
  std::unique_ptr<ClientContext> ctx_;
  rd_kafka_t* rk_;
  KafkaProperties props_;
  std::chrono::milliseconds timeout_;
  rd_kafka_queue_t* queue_;
  std::unique_ptr<rd_kafka_AdminOptions_t, OptionsDeleter> options_;
  bool mock_known_ = false, is_mock_ = false;
};

}  // namespace

Result<std::unique_ptr<Admin>> CreateKafkaAdmin(KafkaProperties props, std::chrono::milliseconds timeout) {
  if (!props.count("bootstrap.servers"))
    return Status::InvalidArgument("Kafka admin: bootstrap.servers is not set");
  auto ctx = std::make_unique<ClientContext>();
  ctx->name = "admin";
  auto conf = BuildClientConf(props, ctx.get());
  if (!conf.ok()) return conf.status();
  auto rk = NewClient(RD_KAFKA_PRODUCER, *conf, ctx->name);
  if (!rk.ok()) return rk.status();
  return std::unique_ptr<Admin>(new KafkaAdmin(std::move(ctx), *rk, props, timeout));
}

}  // namespace sluice
