#include "engine/kafka/query_runner.h"

#include <algorithm>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "engine/kafka/stream_thread.h"
#include "engine/runtime/state/rocksdb_state.h"

namespace sluice {

namespace {

constexpr auto kProduceTimeout = std::chrono::seconds(30);

Result<int64_t> ParseLong(const std::string& name, const std::string& value, int64_t min) {
  try {
    size_t used = 0;
    int64_t v = std::stoll(value, &used);
    if (used == value.size() && v >= min) return v;
  } catch (const std::exception&) {
  }
  return Status::InvalidArgument("Invalid value " + value + " for configuration " + name + ": expected an integer >= " +
                                 std::to_string(min));
}

}  // namespace

std::string LookupProperty(const std::map<std::string, std::string>& props, std::initializer_list<const char*> names,
                           const std::string& fallback) {
  for (const char* n : names)
    if (auto it = props.find(n); it != props.end() && !it->second.empty()) return it->second;
  return fallback;
}

struct KafkaQueryRunner::RunningQuery {
  std::shared_ptr<QueryContext> ctx;
  std::vector<std::unique_ptr<StreamThread>> threads;
  bool stopped = false;
};

Result<KafkaRunnerOptions> KafkaRunnerOptions::FromProperties(const std::map<std::string, std::string>& p,
                                                              KafkaProperties consumer, KafkaProperties producer) {
  KafkaRunnerOptions o;
  o.consumer_properties = std::move(consumer);
  o.producer_properties = std::move(producer);
  o.service_id = LookupProperty(p, {"ksql.service.id"}, o.service_id);
  const std::string threads = LookupProperty(p, {"ksql.streams.num.stream.threads", "num.stream.threads"}, "4");
  auto t = ParseLong("ksql.streams.num.stream.threads", threads, 1);
  if (!t.ok()) return t.status();
  o.num_stream_threads = static_cast<int>(*t);
  const std::string interval = LookupProperty(p, {"ksql.streams.commit.interval.ms", "commit.interval.ms"}, "2000");
  auto i = ParseLong("ksql.streams.commit.interval.ms", interval, 0);
  if (!i.ok()) return i.status();
  o.commit_interval_ms = *i;
  o.auto_offset_reset = LookupProperty(p, {"ksql.streams.auto.offset.reset", "auto.offset.reset"}, o.auto_offset_reset);
  if (o.auto_offset_reset != "earliest" && o.auto_offset_reset != "latest")
    return Status::InvalidArgument("Invalid value " + o.auto_offset_reset +
                                   " for configuration ksql.streams.auto.offset.reset: must be earliest or latest");
  const std::string guarantee =
      LookupProperty(p, {"ksql.streams.processing.guarantee", "processing.guarantee"}, "at_least_once");
  if (guarantee == "exactly_once_v2" || guarantee == "exactly_once_beta" || guarantee == "exactly_once")
    o.exactly_once = true;
  else if (guarantee != "at_least_once")
    return Status::InvalidArgument("Invalid value " + guarantee +
                                   " for configuration processing.guarantee: at_least_once or exactly_once_v2");
  o.state_dir = LookupProperty(p, {"ksql.streams.state.dir", "state.dir"}, "");
  auto replicas = ParseLong("ksql.internal.topic.replicas", LookupProperty(p, {"ksql.internal.topic.replicas"}, "1"), 1);
  if (!replicas.ok()) return replicas.status();
  o.internal_topic_replicas = static_cast<int>(*replicas);
  auto plog = ProcessingLogOptions::FromProperties(p, o.service_id);
  if (!plog.ok()) return plog.status();
  o.processing_log = std::move(*plog);
  return o;
}

Result<std::unique_ptr<KafkaQueryRunner>> KafkaQueryRunner::Create(KafkaRunnerOptions options,
                                                                   std::unique_ptr<Admin> admin) {
  if (!options.consumer_properties.count("bootstrap.servers") || !options.producer_properties.count("bootstrap.servers"))
    return Status::InvalidArgument("Kafka query runner: bootstrap.servers is not set");
  std::unique_ptr<KafkaQueryRunner> r(new KafkaQueryRunner());
  r->options_ = std::move(options);
  r->admin_ = std::move(admin);
  r->counters_ = std::make_shared<RunnerCounters>();
  auto producer = Producer::Create(r->options_.producer_properties, "sluice producer");
  if (!producer.ok()) return producer.status();
  r->producer_ = std::move(*producer);
  if (!r->options_.state_dir.empty()) {
    // One RocksDB instance per server (DESIGN.md), in a directory of its own per service id.
    const std::string dir = (std::filesystem::path(r->options_.state_dir) / r->options_.service_id).string();
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return Status::IOError("ksql.streams.state.dir: cannot create " + dir + ": " + ec.message());
    auto db = RocksStateBackend::Open(dir);
    if (!db.ok()) return WithContext(db.status(), "ksql.streams.state.dir " + dir);
    r->rocksdb_ = std::move(*db);
  }
  SLUICE_RETURN_IF_ERROR(r->StartProcessingLog());
  spdlog::info("Kafka runtime: service id {}, {} stream threads per query, commit every {} ms, {}, state {}",
               r->options_.service_id, r->options_.num_stream_threads, r->options_.commit_interval_ms,
               r->options_.exactly_once ? "exactly_once_v2" : "at_least_once",
               r->options_.state_dir.empty() ? std::string("in memory") : "RocksDB in " + r->options_.state_dir);
  return r;
}

// ksqlDB writes the processing log to its topic when the topic is there: created at start-up
// with ksql.logging.processing.topic.auto.create, or by the user. Otherwise entries go to the
// server log only.
Status KafkaQueryRunner::StartProcessingLog() {
  ProcessingLogOptions plog = options_.processing_log;
  if (plog.topic_auto_create) {
    Status s = admin_->CreateTopic(plog.topic, plog.topic_partitions, plog.topic_replicas, {});
    if (!s.ok() && s.code() != Status::Code::kAlreadyExists && s.code() != Status::Code::kNotSupported)
      return WithContext(s, "ksql.logging.processing.topic.auto.create: creating " + plog.topic);
  }
  auto exists = TopicExists(plog.topic);
  const bool to_topic = exists.ok() && *exists;
  if (!to_topic)
    spdlog::info("processing log: topic {} {}: entries go to the server log only", plog.topic,
                 exists.ok() ? "does not exist (ksql.logging.processing.topic.auto.create=false)"
                             : "cannot be described (" + exists.status().message() + ")");
  else
    spdlog::info("processing log: topic {}", plog.topic);
  processing_log_ = std::make_unique<ProcessingLog>(std::move(plog), to_topic ? producer_.get() : nullptr);
  return Status::OK();
}

KafkaQueryRunner::~KafkaQueryRunner() {
  StopTransients();
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [id, q] : queries_)
    for (auto& t : q->threads) t->RequestStop();
  for (auto& [id, q] : queries_) StopThreads(*q);
  queries_.clear();
  if (producer_) producer_->Flush(kProduceTimeout).ok();
}

std::string KafkaQueryRunner::GroupId(const std::string& query_id) const {
  return "_confluent-ksql-" + options_.service_id + "query_" + query_id;
}

std::string KafkaQueryRunner::OffsetsTopic(const std::string& query_id) const {
  return InternalTopicPrefix(options_.service_id, query_id) + "sluice-offsets";
}

Status KafkaQueryRunner::CreateTopic(const std::string& name, int partitions) {
  // Changelogs (and the offsets topic) are read for the latest value per key: compacted, as
  // Kafka Streams creates them, so that a real cluster keeps them bounded.
  std::map<std::string, std::string> configs;
  const bool internal = name.rfind("_confluent-ksql-" + options_.service_id + "query_", 0) == 0;
  auto ends_with = [&](const std::string& suffix) {
    return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (internal && (ends_with("-changelog") || ends_with("-sluice-offsets"))) configs["cleanup.policy"] = "compact";
  Status s = admin_->CreateTopic(name, std::max(1, partitions), options_.internal_topic_replicas, configs);
  if (s.code() == Status::Code::kAlreadyExists) {
    auto info = admin_->DescribeTopic(name);
    if (info.ok()) {
      std::lock_guard<std::mutex> lock(mu_);
      partitions_[name] = info->partitions;
    }
    return Status::OK();
  }
  if (s.code() == Status::Code::kNotSupported) {
    // A mock cluster in another process (sluice-broker): topics appear on first use.
    spdlog::warn("topic {}: {}", name, s.message());
    return Status::OK();
  }
  if (!s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  partitions_[name] = std::max(1, partitions);
  return Status::OK();
}

Status KafkaQueryRunner::DeleteTopic(const std::string& name) {
  Status s = admin_->DeleteTopics({name});
  if (s.code() == Status::Code::kNotSupported) {
    spdlog::warn("topic {} is not deleted: {}", name, s.message());
    return Status::OK();
  }
  if (s.ok() || s.code() == Status::Code::kNotFound) {
    std::lock_guard<std::mutex> lock(mu_);
    partitions_.erase(name);
    return Status::OK();
  }
  return s;
}

Result<bool> KafkaQueryRunner::TopicExists(const std::string& name) {
  auto info = admin_->DescribeTopic(name);
  if (info.ok()) return true;
  if (info.status().code() == Status::Code::kNotFound) return false;
  return info.status();
}

Status KafkaQueryRunner::Produce(const KafkaRecord& record) {
  OutputRecord o;
  o.topic = record.topic;
  o.partition = record.partition;
  if (record.key) o.key = std::string_view(*record.key);
  if (record.value) o.value = std::string_view(*record.value);
  o.timestamp = record.timestamp;
  std::vector<HeaderView> headers;
  for (const auto& h : record.headers)
    headers.push_back({h.key, h.value ? std::optional<std::string_view>(*h.value) : std::nullopt});
  o.headers = headers;
  auto written = producer_->ProduceSync(o, kProduceTimeout);
  return written.ok() ? Status::OK() : written.status();
}

Result<int> KafkaQueryRunner::PartitionCount(const std::string& topic) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = partitions_.find(topic); it != partitions_.end()) return it->second;
  }
  auto info = admin_->DescribeTopic(topic);
  if (!info.ok()) return info.status();
  std::lock_guard<std::mutex> lock(mu_);
  partitions_[topic] = info->partitions;
  return info->partitions;
}

Status KafkaQueryRunner::Start(std::shared_ptr<const QueryPlan> plan, const TopologySpec& topology,
                               const std::map<std::string, std::string>& properties) {
  const std::string& id = topology.query_id.empty() ? plan->query_id : topology.query_id;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (queries_.count(id)) return Status::AlreadyExists("query " + id + " is already running");
  }
  auto ctx = std::make_shared<QueryContext>();
  ctx->query_id = id;
  ctx->group_id = GroupId(id);
  ctx->plan = std::move(plan);
  ctx->topology = topology;
  ctx->counters = counters_;
  ctx->exactly_once = options_.exactly_once;
  ctx->commit_interval = std::chrono::milliseconds(options_.commit_interval_ms);
  ctx->max_poll_records = options_.max_poll_records;
  // Record caches flush at each commit (Kafka Streams' default 10 MB; 0 emits every update).
  auto cache = ParseLong("ksql.streams.cache.max.bytes.buffering",
                         LookupProperty(properties, {"ksql.streams.cache.max.bytes.buffering", "cache.max.bytes.buffering"},
                                std::to_string(10 * 1024 * 1024)),
                         0);
  if (!cache.ok()) return cache.status();
  ctx->cache_max_bytes = static_cast<size_t>(*cache);
  ctx->shared_producer = producer_.get();
  ctx->shared_state = rocksdb_.get();
  ctx->offsets_topic = OffsetsTopic(id);
  ctx->processing_log = processing_log_.get();
  if (ctx->plan->sink) ctx->sink_topic = ctx->plan->sink->topic;
  for (size_t sub = 0; sub < topology.subtopologies.size(); ++sub) {
    const auto& spec = topology.subtopologies[sub];
    for (const auto& t : spec.input_topics) {
      if (std::find(ctx->input_topics.begin(), ctx->input_topics.end(), t) == ctx->input_topics.end())
        ctx->input_topics.push_back(t);
      ctx->subs_of_topic[t].push_back(sub);
    }
    for (const auto& store : spec.stores) ctx->changelog_of_store[store.name] = store.changelog_topic;
    std::vector<std::string> outputs = spec.output_topics;
    for (const auto& store : spec.stores) outputs.push_back(store.changelog_topic);
    for (const auto& t : outputs) {
      auto n = PartitionCount(t);
      if (n.ok()) ctx->partitions[t] = *n;
      else spdlog::warn("query {}: partitions of {} unknown ({}): librdkafka's murmur2 partitioner decides", id, t,
                        n.status().message());
    }
  }
  if (ctx->exactly_once) SLUICE_RETURN_IF_ERROR(CreateTopic(ctx->offsets_topic, 1));

  ctx->consumer_properties = options_.consumer_properties;
  ctx->consumer_properties["group.id"] = ctx->group_id;
  ctx->consumer_properties["auto.offset.reset"] =
      LookupProperty(properties, {"auto.offset.reset", "ksql.streams.auto.offset.reset"}, options_.auto_offset_reset);
  // Range assignment gives partition p of every co-partitioned input to the same member, so a
  // join task sees both its inputs on one thread.
  ctx->consumer_properties["partition.assignment.strategy"] = "range";
  if (ctx->exactly_once) ctx->consumer_properties["isolation.level"] = "read_committed";
  ctx->producer_properties = options_.producer_properties;

  auto q = std::make_unique<RunningQuery>();
  q->ctx = ctx;
  for (int i = 0; i < options_.num_stream_threads; ++i) {
    auto thread = std::make_unique<StreamThread>(ctx, i);
    Status s = thread->Start();
    if (!s.ok()) {
      StopThreads(*q);
      return WithContext(s, "query " + id + ": starting stream thread " + std::to_string(i));
    }
    q->threads.push_back(std::move(thread));
  }
  spdlog::info("query {}: {} stream threads, group {}, inputs {}", id, q->threads.size(), ctx->group_id,
               fmt::join(ctx->input_topics, ","));
  std::lock_guard<std::mutex> lock(mu_);
  queries_[id] = std::move(q);
  return Status::OK();
}

void KafkaQueryRunner::StopThreads(RunningQuery& q) {
  for (auto& t : q.threads) t->RequestStop();
  for (auto& t : q.threads) t->Join();
  q.threads.clear();
  q.stopped = true;
}

// TERMINATE: the query's threads stop, then what ksqlDB removes goes: its internal topics
// (repartition, changelogs; Sluice's offsets topic), its consumer group and its stores.
namespace {

// A scalable push query's place among a persistent query's sink subscribers; destroying it
// unsubscribes (after a delivery in flight). The context outlives a stopped query here.
class SinkSubscription : public TransientRun {
 public:
  SinkSubscription(std::shared_ptr<QueryContext> ctx, uint64_t id) : ctx_(std::move(ctx)), id_(id) {}
  ~SinkSubscription() override { ctx_->subscribers.Remove(id_); }
  int AssignedPartitions() const override { return ctx_->assigned_partitions.load(); }

 private:
  std::shared_ptr<QueryContext> ctx_;
  uint64_t id_;
};

}  // namespace

Result<std::unique_ptr<TransientRun>> KafkaQueryRunner::SubscribeToSink(
    const std::string& query_id, std::function<bool(const KafkaRecord&)> on_record) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = queries_.find(query_id);
  if (it == queries_.end() || it->second->stopped || it->second->ctx->sink_topic.empty())
    return Status::NotFound("query " + query_id + " is not running");
  std::shared_ptr<QueryContext> ctx = it->second->ctx;
  const uint64_t id = ctx->subscribers.Add(std::move(on_record));
  return std::unique_ptr<TransientRun>(std::make_unique<SinkSubscription>(std::move(ctx), id));
}

Status KafkaQueryRunner::Stop(const std::string& query_id) {
  std::unique_ptr<RunningQuery> q;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = queries_.find(query_id);
    if (it == queries_.end()) return Status::NotFound("Unknown queryId: " + query_id);
    q = std::move(it->second);
    queries_.erase(it);
  }
  StopThreads(*q);
  std::vector<std::string> topics = q->ctx->topology.InternalTopics();
  if (q->ctx->exactly_once) topics.push_back(q->ctx->offsets_topic);
  if (rocksdb_)
    for (const auto& sub : q->ctx->topology.subtopologies)
      for (const auto& store : sub.stores) rocksdb_->DropStore(store.name);
  if (!topics.empty()) {
    Status s = admin_->DeleteTopics(topics);
    if (s.code() == Status::Code::kNotSupported)
      spdlog::warn("query {}: internal topics not deleted: {}", query_id, s.message());
    else if (!s.ok() && s.code() != Status::Code::kNotFound)
      spdlog::error("query {}: deleting internal topics: {}", query_id, s.message());
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& t : topics) partitions_.erase(t);
  }
  Status g = admin_->DeleteConsumerGroups({q->ctx->group_id});
  if (g.code() == Status::Code::kNotSupported)
    spdlog::warn("query {}: consumer group {} not deleted: {}", query_id, q->ctx->group_id, g.message());
  else if (!g.ok() && g.code() != Status::Code::kNotFound)
    spdlog::error("query {}: deleting consumer group {}: {}", query_id, q->ctx->group_id, g.message());
  spdlog::info("query {} terminated", query_id);
  return Status::OK();
}

Status KafkaQueryRunner::Pause(const std::string& query_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = queries_.find(query_id);
  if (it == queries_.end()) return Status::NotFound("Unknown queryId: " + query_id);
  it->second->ctx->paused = true;
  return Status::OK();
}

Status KafkaQueryRunner::Resume(const std::string& query_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = queries_.find(query_id);
  if (it == queries_.end()) return Status::NotFound("Unknown queryId: " + query_id);
  it->second->ctx->paused = false;
  return Status::OK();
}

QueryRunStatus KafkaQueryRunner::QueryStatus(const std::string& query_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = queries_.find(query_id);
  if (it == queries_.end()) return {};
  const QueryContext& ctx = *it->second->ctx;
  if (ctx.failed) return {QueryRunState::kError, ctx.error(), ctx.error_time_ms()};
  return {ctx.paused ? QueryRunState::kPaused : QueryRunState::kRunning, ""};
}

int KafkaQueryRunner::PausedPartitions(const std::string& query_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = queries_.find(query_id);
  return it == queries_.end() ? 0 : it->second->ctx->paused_partitions.load();
}

int KafkaQueryRunner::AssignedPartitions(const std::string& query_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = queries_.find(query_id);
  return it == queries_.end() ? 0 : it->second->ctx->assigned_partitions.load();
}

RunnerStats KafkaQueryRunner::Stats() const {
  RunnerStats s;
  s.records_processed = counters_->processed;
  s.records_produced = counters_->produced;
  s.changelog_records_restored = counters_->restored;
  s.processing_log_entries = counters_->processing_log;
  s.commits = counters_->commits;
  return s;
}

}  // namespace sluice
