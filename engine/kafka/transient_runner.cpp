// KafkaQueryRunner's push queries (ksqlDB's transient queries). A push query's topology runs
// exactly like a persistent query's: a StreamThread with its consumer in the query's group
// (`_confluent-ksql-<service.id>transient_<QUERY_ID>`, ksqlDB's transient application id), its
// repartition and changelog topics named for it, restore, commits. What differs:
//   - its sink records never reach Kafka: the thread hands them to the TransientOutput
//     (QueryContext::local_output), which turns them into rows for the client;
//   - one stream thread per push query, the runner's shared producer (repartition, changelog
//     records) and the runner's RocksDB when it has one: a push query costs one consumer (plus
//     a restore consumer once a stateful one restores) and a thread;
//   - stopping it (its handle destroyed, LIMIT reached and the handle dropped, the runner
//     destroyed) deletes its internal topics, its consumer group and its stores.
#include <algorithm>

#include <spdlog/spdlog.h>

#include "engine/kafka/query_runner.h"
#include "engine/kafka/stream_thread.h"

namespace sluice {

class KafkaTransientRun : public TransientRun {
 public:
  KafkaTransientRun(KafkaQueryRunner* runner, std::shared_ptr<QueryContext> ctx)
      : runner_(runner), ctx_(std::move(ctx)) {}
  ~KafkaTransientRun() override {
    KafkaQueryRunner* runner = nullptr;
    {
      std::lock_guard<std::mutex> lock(mu_);
      runner = runner_;
    }
    if (runner) runner->StopTransient(*this);
  }
  int AssignedPartitions() const override { return ctx_->assigned_partitions.load(); }

 private:
  friend class KafkaQueryRunner;
  std::mutex mu_;
  KafkaQueryRunner* runner_;  // null once stopped
  std::shared_ptr<QueryContext> ctx_;
  std::vector<std::unique_ptr<StreamThread>> threads_;
  std::vector<std::string> internal_topics_;
};

std::string KafkaQueryRunner::TransientGroupId(const std::string& query_id) const {
  return "_confluent-ksql-" + options_.service_id + "transient_" + query_id;
}

size_t KafkaQueryRunner::TransientCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  return transients_.size();
}

Result<std::unique_ptr<TransientRun>> KafkaQueryRunner::StartTransient(
    std::shared_ptr<const QueryPlan> plan, const TopologySpec& topology,
    const std::map<std::string, std::string>& properties, std::shared_ptr<TransientOutput> output) {
  const std::string id = topology.query_id.empty() ? plan->query_id : topology.query_id;
  auto ctx = std::make_shared<QueryContext>();
  ctx->query_id = id;
  ctx->group_id = TransientGroupId(id);
  ctx->plan = std::move(plan);
  ctx->topology = topology;
  ctx->counters = counters_;
  ctx->exactly_once = false;  // nothing of a push query outlives it: at-least-once is enough
  ctx->commit_interval = std::chrono::milliseconds(options_.commit_interval_ms);
  ctx->max_poll_records = options_.max_poll_records;
  const std::string cache = LookupProperty(properties, {"ksql.streams.cache.max.bytes.buffering", "cache.max.bytes.buffering"},
                                   std::to_string(10 * 1024 * 1024));
  try {
    ctx->cache_max_bytes = static_cast<size_t>(std::max(0LL, std::stoll(cache)));
  } catch (const std::exception&) {
    return Status::InvalidArgument("Invalid value " + cache + " for configuration ksql.streams.cache.max.bytes.buffering");
  }
  ctx->shared_producer = producer_.get();
  ctx->shared_state = rocksdb_.get();
  ctx->processing_log = processing_log_.get();
  ctx->sink_topic = ctx->plan->sink->topic;
  ctx->local_topic = ctx->plan->sink->topic;
  ctx->local_output = [output](const KafkaRecord& r) { return output->OnRecord(r); };
  ctx->on_failure = [output](const Status& s) { output->OnError(s); };

  auto run = std::make_unique<KafkaTransientRun>(this, ctx);
  run->internal_topics_ = topology.InternalTopics();
  {
    std::lock_guard<std::mutex> lock(mu_);
    transients_.insert(run.get());
  }
  // From here a failure returns `run`'s destructor's cleanup (topics created so far, the group).
  // Internal topics get the partitions the source topics really have (a source declared
  // without PARTITIONS over an existing topic says 1): a task per assigned input partition
  // restores that partition of its changelog.
  int partitions = std::max(1, topology.partitions);
  const std::vector<std::string>& internal = run->internal_topics_;
  for (const auto& sub : topology.subtopologies)
    for (const auto& t : sub.input_topics) {
      if (std::find(internal.begin(), internal.end(), t) != internal.end()) continue;
      auto n = PartitionCount(t);
      if (n.ok()) partitions = std::max(partitions, *n);
    }
  for (const auto& topic : internal)
    SLUICE_RETURN_IF_ERROR(WithContext(CreateTopic(topic, partitions), "push query " + id));
  for (size_t sub = 0; sub < topology.subtopologies.size(); ++sub) {
    const auto& spec = topology.subtopologies[sub];
    for (const auto& t : spec.input_topics) {
      if (std::find(ctx->input_topics.begin(), ctx->input_topics.end(), t) == ctx->input_topics.end())
        ctx->input_topics.push_back(t);
      ctx->subs_of_topic[t].push_back(sub);
    }
    for (const auto& store : spec.stores) ctx->changelog_of_store[store.name] = store.changelog_topic;
    std::vector<std::string> outputs;
    for (const auto& t : spec.output_topics)
      if (t != ctx->local_topic) outputs.push_back(t);
    for (const auto& store : spec.stores) outputs.push_back(store.changelog_topic);
    for (const auto& t : outputs) {
      auto n = PartitionCount(t);
      if (n.ok()) ctx->partitions[t] = *n;
      else spdlog::warn("push query {}: partitions of {} unknown ({})", id, t, n.status().message());
    }
  }
  ctx->consumer_properties = options_.consumer_properties;
  ctx->consumer_properties["group.id"] = ctx->group_id;
  // ksqlDB's push queries start at the end of their sources unless the request says earliest.
  ctx->consumer_properties["auto.offset.reset"] =
      LookupProperty(properties, {"auto.offset.reset", "ksql.streams.auto.offset.reset"}, options_.auto_offset_reset);
  ctx->consumer_properties["partition.assignment.strategy"] = "range";
  ctx->producer_properties = options_.producer_properties;

  auto thread = std::make_unique<StreamThread>(ctx, 0);
  SLUICE_RETURN_IF_ERROR(WithContext(thread->Start(), "push query " + id + ": starting its stream thread"));
  run->threads_.push_back(std::move(thread));
  spdlog::info("push query {}: group {}, inputs {}, from {}", id, ctx->group_id, fmt::join(ctx->input_topics, ","),
               ctx->consumer_properties["auto.offset.reset"]);
  return std::unique_ptr<TransientRun>(std::move(run));
}

// The push query's thread stops (it commits and leaves the group), then what it owned goes:
// its stores (RocksDB), internal topics and consumer group. On the embedded broker the two
// deletions answer NotSupported (the mock has neither API) and are logged.
void KafkaQueryRunner::StopTransient(KafkaTransientRun& run) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    transients_.erase(&run);
  }
  std::lock_guard<std::mutex> lock(run.mu_);
  if (!run.runner_) return;
  run.runner_ = nullptr;
  for (auto& t : run.threads_) t->RequestStop();
  for (auto& t : run.threads_) t->Join();
  run.threads_.clear();
  const QueryContext& ctx = *run.ctx_;
  if (rocksdb_)
    for (const auto& sub : ctx.topology.subtopologies)
      for (const auto& store : sub.stores) rocksdb_->DropStore(store.name);
  if (!run.internal_topics_.empty()) {
    Status s = admin_->DeleteTopics(run.internal_topics_);
    if (s.code() == Status::Code::kNotSupported)
      spdlog::info("push query {}: internal topics not deleted: {}", ctx.query_id, s.message());
    else if (!s.ok() && s.code() != Status::Code::kNotFound)
      spdlog::warn("push query {}: deleting internal topics: {}", ctx.query_id, s.message());
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& t : run.internal_topics_) partitions_.erase(t);
  }
  Status g = admin_->DeleteConsumerGroups({ctx.group_id});
  if (g.code() == Status::Code::kNotSupported)
    spdlog::info("push query {}: consumer group {} not deleted: {}", ctx.query_id, ctx.group_id, g.message());
  else if (!g.ok() && g.code() != Status::Code::kNotFound)
    spdlog::warn("push query {}: deleting consumer group {}: {}", ctx.query_id, ctx.group_id, g.message());
  spdlog::info("push query {} stopped", ctx.query_id);
}

void KafkaQueryRunner::StopTransients() {
  std::set<KafkaTransientRun*> runs;
  {
    std::lock_guard<std::mutex> lock(mu_);
    runs.swap(transients_);
  }
  for (KafkaTransientRun* run : runs) StopTransient(*run);
}

}  // namespace sluice
