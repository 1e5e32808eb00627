// Push queries (SELECT ... EMIT CHANGES): ksqlDB's transient queries. The SELECT is analyzed
// like a persistent query's, in transient mode (engine/analyzer SinkRequest::transient: no
// sink is created, rows leave the tasks as JSON records of a sink topic that never exists),
// planned into a topology whose internal topics are named for the transient query
// (`_confluent-ksql-<service.id>transient_<ID>-...`), and run by the QueryRunner, which hands
// the sink records to a PushDelivery (engine/executor/push/push_rows.h) instead of producing
// them. Every engine feature a persistent query has (filters, projections, GROUP BY through
// repartition and changelog topics, windows, joins, table tombstones) therefore works in a push
// query, with the same code.
//
// Without a runner (the in-memory engine of the test driver) push queries answer NotSupported:
// the driver's topics are replayed synchronously and a push query there would never see a
// record produced after it started.
#include <atomic>
#include <functional>
#include <mutex>
#include <random>
#include <thread>

#include <spdlog/spdlog.h>

#include "engine/analyzer/aggregate_analyzer.h"
#include "engine/analyzer/query_analyzer.h"
#include "engine/executor/engine.h"
#include "engine/executor/push/push_rows.h"
#include "engine/runtime/state/state_store.h"
#include "engine/runtime/task_factory.h"

namespace sluice {

namespace {

// ksqlDB's transient query id: transient_<FROM source>_<random positive long>.
std::string TransientQueryId(const std::string& source) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  const uint64_t n = rng() & 0x7fffffffffffffffULL;
  return "transient_" + source + "_" + std::to_string(n);
}

// A transient query reads a stream unless it aggregates, or reads only tables.
SourceKind ResultKind(const Query& q, const MetaStore& metastore) {
  if (IsAggregationQuery(q)) return SourceKind::kTable;
  auto from = metastore.FindSource(q.from.name);
  if (!from || from->kind == SourceKind::kStream) return SourceKind::kStream;
  for (const auto& j : q.joins) {
    auto right = metastore.FindSource(j.right.name);
    if (!right || right->kind == SourceKind::kStream) return SourceKind::kStream;
  }
  return SourceKind::kTable;
}

// An aggregation without GROUP BY (`SELECT COUNT(*) FROM S EMIT CHANGES`) is allowed in a push
// query: every row falls into one group, as ksqlDB groups them under a constant key.
std::shared_ptr<const Query> WithImplicitGroupBy(const std::shared_ptr<Query>& q) {
  if (q->has_group_by || !IsAggregationQuery(*q)) return q;
  auto copy = std::make_shared<Query>(*q);
  auto constant = std::make_shared<LiteralExpr>();
  constant->literal_kind = LiteralExpr::Kind::kInteger;
  constant->value = Value(int32_t{1});
  constant->text = "1";
  copy->has_group_by = true;
  copy->group_by = {constant};
  return copy;
}

// The persistent query's topology with its internal topics renamed for a transient query:
// _confluent-ksql-<service.id>transient_<ID>-<Name>-repartition / -changelog, as ksqlDB names
// them (its transient application id is _confluent-ksql-<service.id>transient_<ID>).
TopologySpec TransientTopology(const QueryPlan& plan, const std::string& service_id) {
  TopologySpec t = PlanTopology(plan, service_id);
  const std::string from = InternalTopicPrefix(service_id, plan.query_id);
  const std::string to = "_confluent-ksql-" + service_id + "transient_" + plan.query_id + "-";
  auto rename = [&](std::string& topic) {
    if (topic.rfind(from, 0) == 0) topic = to + topic.substr(from.size());
  };
  for (auto& topic : t.repartition_topics) rename(topic);
  for (auto& sub : t.subtopologies) {
    for (auto& topic : sub.input_topics) rename(topic);
    for (auto& topic : sub.output_topics) rename(topic);
    for (auto& store : sub.stores) rename(store.changelog_topic);
  }
  return t;
}

// ksqlDB's scalable push query id: SCALABLE_PUSH_QUERY_<random positive long>.
std::string ScalablePushQueryId() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return "SCALABLE_PUSH_QUERY_" + std::to_string(rng() & 0x7fffffffffffffffULL);
}

std::string Property(const std::map<std::string, std::string>& props, std::initializer_list<const char*> names,
                     const std::string& fallback) {
  for (const char* n : names)
    if (auto it = props.find(n); it != props.end() && !it->second.empty()) return it->second;
  return fallback;
}

// ksqlDB's ScalablePushUtil.isScalablePushQuery: push v2 enabled (Sluice's default: true), a
// simple SELECT (no GROUP BY, WINDOW, HAVING, PARTITION BY, join, aggregation) reading from
// `latest`. The caller also needs persistent queries writing the source.
bool ScalableShape(const Query& q, const std::map<std::string, std::string>& props) {
  if (Property(props, {"ksql.query.push.v2.enabled"}, "true") != "true") return false;
  if (q.has_group_by || q.window || q.having || q.has_partition_by || !q.joins.empty()) return false;
  if (IsAggregationQuery(q)) return false;
  return Property(props, {"auto.offset.reset", "ksql.streams.auto.offset.reset"}, "latest") == "latest";
}

// A scalable push query's stateless topology (filter, projection) run on the persistent
// query's stream threads, one record at a time under its own lock (several threads of the
// persistent query may deliver). false once the delivery has ended (LIMIT, client gone).
class ScalableSubscriber {
 public:
  ScalableSubscriber(std::unique_ptr<StateBackend> state, std::unique_ptr<Task> task, std::string result_topic,
                     std::shared_ptr<PushDelivery> delivery)
      : state_(std::move(state)), task_(std::move(task)), result_topic_(std::move(result_topic)),
        delivery_(std::move(delivery)) {}
  // Records before this (the client has no header yet) are not the query's: it starts here.
  void Activate() { active_ = true; }
  bool OnRecord(const KafkaRecord& record) {
    std::lock_guard<std::mutex> lock(mu_);
    if (delivery_->ended()) return false;
    if (!active_) return true;
    in_ = record;
    if (in_.partition < 0) in_.partition = 0;
    out_.records.clear();
    out_.processing_log.clear();
    Status s = task_->Process(in_, &out_);
    if (!s.ok()) {
      delivery_->OnError(s);
      return false;
    }
    for (const auto& r : out_.records)
      if (r.topic == result_topic_ && !delivery_->OnRecord(r)) return false;
    return !delivery_->ended();
  }

 private:
  std::mutex mu_;
  std::atomic<bool> active_{false};
  std::unique_ptr<StateBackend> state_;  // the task's (a stateless topology has no store)
  std::unique_ptr<Task> task_;
  std::string result_topic_;
  std::shared_ptr<PushDelivery> delivery_;
  KafkaRecord in_;
  TaskOutput out_;
};

// Every subscription of one scalable push query (one per persistent query writing its source).
class Subscriptions : public TransientRun {
 public:
  std::vector<std::unique_ptr<TransientRun>> runs;
};

Status WithText(const Status& s, const std::string& text) {
  const std::string message = s.message() + "\nStatement: " + text;
  switch (s.code()) {
    case Status::Code::kNotSupported: return Status::NotSupported(message);
    case Status::Code::kNotFound: return Status::NotFound(message);
    case Status::Code::kRuntimeError: return Status::RuntimeError(message);
    default: return Status::InvalidArgument(message);
  }
}

// The handle StartQuery returns: destroying it stops the query (the runner deletes its group,
// internal topics and stores), then ends the sink if nothing ended it before.
class PushQuery : public RunningQuery {
 public:
  PushQuery(std::string id, std::shared_ptr<PushDelivery> delivery, std::unique_ptr<TransientRun> run)
      : id_(std::move(id)), delivery_(std::move(delivery)), run_(std::move(run)) {}
  ~PushQuery() override {
    run_.reset();
    delivery_->End(Status::OK());
    spdlog::info("push query {} closed after {} rows", id_, delivery_->delivered());
  }
  const std::string& id() const override { return id_; }
  bool finished() const override { return delivery_->ended(); }

 private:
  std::string id_;
  std::shared_ptr<PushDelivery> delivery_;
  std::unique_ptr<TransientRun> run_;
};

}  // namespace

Result<std::unique_ptr<RunningQuery>> Engine::StartPushQuery(const QueryStatement& stmt,
                                                             const std::map<std::string, std::string>& properties,
                                                             std::shared_ptr<QueryRowSink> sink) {
  std::shared_ptr<const Query> query = WithImplicitGroupBy(stmt.query);
  std::map<std::string, std::string> props = properties_;
  for (const auto& [k, v] : properties) props[k] = v;
  // Scalable (push v2): the persistent queries writing the source, when the query qualifies.
  std::vector<std::string> writers;
  if (runner_ && ScalableShape(*query, props))
    for (const auto& pq : queries_)
      if (pq.plan && pq.plan->sink && pq.plan->sink->name == query->from.name) writers.push_back(pq.id);
  const std::string id = writers.empty() ? TransientQueryId(query->from.name) : ScalablePushQueryId();
  std::vector<std::string> result_columns;
  SinkRequest req;
  req.name = id;
  req.kind = ResultKind(*query, metastore_);
  req.statement_text = stmt.text;
  req.transient = true;
  req.result_columns = &result_columns;
  auto analyzed = AnalyzeQuery(*query, req, metastore_, config_);
  if (!analyzed.ok()) return WithText(analyzed.status(), stmt.text);
  QueryPlan plan = std::move(*analyzed);
  plan.query_id = id;
  if (auto it = props.find("ksql.timestamp.throw.on.invalid"); it != props.end())
    plan.fail_on_invalid_timestamp = it->second == "true";
  auto shared = std::make_shared<const QueryPlan>(std::move(plan));
  TopologySpec topology = TransientTopology(*shared, ServiceId());
  // A plan the runtime cannot run fails here, before the client sees a header.
  for (size_t sub = 0; sub < topology.subtopologies.size(); ++sub) {
    auto probe = CreateTask(shared, topology, sub, TaskEnvironment{MakeMemoryStateBackend().get(), 0});
    if (!probe.ok()) return WithText(probe.status(), stmt.text);
  }
  auto decoder = PushRowDecoder::Create(*shared, result_columns);
  if (!decoder.ok()) return WithText(decoder.status(), stmt.text);
  if (!runner_ && !(query->limit && *query->limit == 0))
    return Status::NotSupported("Push queries need the Kafka runtime (sluiced): the in-memory engine does not run them"
                                "\nStatement: " + stmt.text);
  const QueryResultSchema schema = (*decoder)->Schema(id);
  auto delivery = std::make_shared<PushDelivery>(std::move(*decoder), sink, query->limit, id);
  const bool scalable =
      !writers.empty() && topology.subtopologies.size() == 1 && topology.subtopologies[0].stores.empty();
  if (!scalable || (query->limit && *query->limit <= 0)) sink->OnSchema(schema);
  if (query->limit && *query->limit <= 0) {
    delivery->End(Status::OK());
    return std::unique_ptr<RunningQuery>(std::make_unique<PushQuery>(id, delivery, nullptr));
  }
  if (scalable) {
    // The header goes out once the subscription is active: the client produces after it.
    auto run = SubscribeScalable(shared, topology, writers, delivery, [&] { sink->OnSchema(schema); });
    if (!run.ok()) return WithText(run.status(), stmt.text);
    spdlog::info("scalable push query {} started on {}: {}", id, fmt::join(writers, ","), stmt.text);
    return std::unique_ptr<RunningQuery>(std::make_unique<PushQuery>(id, delivery, std::move(*run)));
  }
  // A query that cannot start answers its error here; its sink had the header but gets no
  // OnEnd (the caller reports the error instead).
  auto run = runner_->StartTransient(shared, topology, props, delivery);
  if (!run.ok()) return WithText(run.status(), stmt.text);
  spdlog::info("push query {} started: {}", id, stmt.text);
  return std::unique_ptr<RunningQuery>(std::make_unique<PushQuery>(id, delivery, std::move(*run)));
}

// Subscribes the push query's task to the sink records of each persistent query in `writers`.
Result<std::unique_ptr<TransientRun>> Engine::SubscribeScalable(std::shared_ptr<const QueryPlan> plan,
                                                                const TopologySpec& topology,
                                                                const std::vector<std::string>& writers,
                                                                std::shared_ptr<PushDelivery> delivery,
                                                                const std::function<void()>& on_active) {
  auto state = MakeMemoryStateBackend();
  auto task = CreateTask(plan, topology, 0, TaskEnvironment{state.get(), 0});
  if (!task.ok()) return task.status();
  auto subscriber = std::make_shared<ScalableSubscriber>(std::move(state), std::move(*task), plan->sink->topic,
                                                         std::move(delivery));
  auto subs = std::make_unique<Subscriptions>();
  for (const auto& writer : writers) {
    auto run = runner_->SubscribeToSink(writer, [subscriber](const KafkaRecord& r) { return subscriber->OnRecord(r); });
    if (run.status().code() == Status::Code::kNotFound) continue;  // not running (yet): nothing to read
    if (!run.ok()) return run.status();
    subs->runs.push_back(std::move(*run));
  }
  // Active once the persistent queries it reads hold their partitions: one that has just
  // started (CREATE STREAM AS and the SELECT in one go) would otherwise be in its group join
  // while the client, having its header, already produces. Bounded: a query that never gets
  // a partition still serves the push query once it does.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (const auto& run : subs->runs)
    while (run->AssignedPartitions() == 0 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  on_active();
  subscriber->Activate();
  return std::unique_ptr<TransientRun>(std::move(subs));
}

}  // namespace sluice
