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
#include <random>

#include <spdlog/spdlog.h>

#include "engine/analyzer/aggregate_analyzer.h"
#include "engine/analyzer/query_analyzer.h"
#include "engine/executor/engine.h"
#include "engine/executor/push/push_rows.h"
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
  rename(t.repartition_topic);
  for (auto& sub : t.subtopologies) {
    for (auto& topic : sub.input_topics) rename(topic);
    for (auto& topic : sub.output_topics) rename(topic);
    for (auto& store : sub.stores) rename(store.changelog_topic);
  }
  return t;
}

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
  const std::string id = TransientQueryId(query->from.name);
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
  std::map<std::string, std::string> props = properties_;
  for (const auto& [k, v] : properties) props[k] = v;
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
  sink->OnSchema(schema);
  if (query->limit && *query->limit <= 0) {
    delivery->End(Status::OK());
    return std::unique_ptr<RunningQuery>(std::make_unique<PushQuery>(id, delivery, nullptr));
  }
  // A query that cannot start answers its error here; its sink had the header but gets no
  // OnEnd (the caller reports the error instead).
  auto run = runner_->StartTransient(shared, topology, props, delivery);
  if (!run.ok()) return WithText(run.status(), stmt.text);
  spdlog::info("push query {} started: {}", id, stmt.text);
  return std::unique_ptr<RunningQuery>(std::make_unique<PushQuery>(id, delivery, std::move(*run)));
}

}  // namespace sluice
