#include "engine/planner/topology.h"

#include <algorithm>

namespace sluice {

namespace {

StoreSpec Store(const std::string& prefix, const std::string& query_id, const std::string& name,
                StoreSpec::Kind kind, int64_t retention_ms) {
  return StoreSpec{query_id + "-" + name, kind, retention_ms, prefix + name + "-changelog"};
}

// Stores of the aggregating sub-topology: the aggregate itself and, for EMIT FINAL, the
// suppression buffer.
std::vector<StoreSpec> AggregateStores(const QueryPlan& plan, const std::string& prefix) {
  const AggregationPlan& agg = *plan.aggregation;
  std::vector<StoreSpec> stores;
  StoreSpec::Kind kind = StoreSpec::Kind::kKeyValue;
  int64_t retention = 0;
  if (agg.window) {
    kind = agg.window->kind == WindowSpec::Kind::kSession ? StoreSpec::Kind::kSession : StoreSpec::Kind::kWindow;
    retention = agg.window->retention_ms;
  }
  stores.push_back(Store(prefix, plan.query_id, "Aggregate-Aggregate-Materialize", kind, retention));
  if (agg.emit_final)
    stores.push_back(Store(prefix, plan.query_id, "Aggregate-Suppress", StoreSpec::Kind::kKeyValue, 0));
  return stores;
}

// A join chain reads every source's topic in one sub-topology (they are co-partitioned).
// Stores per step, as ksqlDB names them: the materialized tables (KafkaTopic_<prefix>Left/
// Right-Reduce), the stream-stream window stores (<prefix>Join-this/other-join-store), the
// outer-join store of the spurious-result fix, and a foreign-key join's subscriptions.
SubTopologySpec JoinSubTopology(const QueryPlan& plan, const std::string& prefix) {
  SubTopologySpec sub{SubTopologySpec::Role::kJoin, {plan.source->topic}, {plan.sink->topic}, {}};
  auto store = [&](const std::string& name, StoreSpec::Kind kind, int64_t retention) {
    sub.stores.push_back(Store(prefix, plan.query_id, name, kind, retention));
  };
  for (const JoinStep& step : plan.join->steps) {
    if (std::find(sub.input_topics.begin(), sub.input_topics.end(), step.right->topic) == sub.input_topics.end())
      sub.input_topics.push_back(step.right->topic);
    switch (step.kind) {
      case JoinStep::Kind::kForeignKey:
        store(step.SubscriptionStore(), StoreSpec::Kind::kKeyValue, 0);
        [[fallthrough]];
      case JoinStep::Kind::kTableTable:
        store(step.LeftStore(), StoreSpec::Kind::kKeyValue, 0);
        [[fallthrough]];
      case JoinStep::Kind::kStreamTable:
        store(step.RightStore(), StoreSpec::Kind::kKeyValue, 0);
        break;
      case JoinStep::Kind::kStreamStream: {
        const int64_t retention = step.before_ms + step.after_ms + step.grace_ms;
        store(step.ThisStore(), StoreSpec::Kind::kWindow, retention);
        store(step.OtherStore(), StoreSpec::Kind::kWindow, retention);
        if (step.has_grace && step.type != JoinType::kInner) store(step.OuterStore(), StoreSpec::Kind::kKeyValue, 0);
        break;
      }
    }
  }
  return sub;
}

}  // namespace

std::string InternalTopicPrefix(const std::string& service_id, const std::string& query_id) {
  return "_confluent-ksql-" + service_id + "query_" + query_id + "-";
}

TopologySpec PlanTopology(const QueryPlan& plan, const std::string& service_id) {
  TopologySpec t;
  t.query_id = plan.query_id;
  t.partitions = std::max(1, plan.source->partitions);
  const std::string prefix = InternalTopicPrefix(service_id, plan.query_id);
  if (plan.join) {
    t.subtopologies.push_back(JoinSubTopology(plan, prefix));
    return t;
  }
  if (!plan.aggregation) {
    t.subtopologies.push_back({SubTopologySpec::Role::kStateless, {plan.source->topic}, {plan.sink->topic}, {}});
    return t;
  }
  SubTopologySpec source{SubTopologySpec::Role::kGroupBySource, {plan.source->topic}, {}, {}};
  if (plan.source->kind == SourceKind::kTable)
    source.stores.push_back(Store(prefix, plan.query_id, "KsqlTopic-Reduce", StoreSpec::Kind::kKeyValue, 0));
  if (!plan.aggregation->repartition) {
    source.output_topics.push_back(plan.sink->topic);
    for (auto& s : AggregateStores(plan, prefix)) source.stores.push_back(std::move(s));
    t.subtopologies.push_back(std::move(source));
    return t;
  }
  t.repartition_topic = prefix + "Aggregate-GroupBy-repartition";
  source.output_topics.push_back(t.repartition_topic);
  t.subtopologies.push_back(std::move(source));
  t.subtopologies.push_back({SubTopologySpec::Role::kAggregate, {t.repartition_topic}, {plan.sink->topic},
                             AggregateStores(plan, prefix)});
  return t;
}

std::vector<std::string> TopologySpec::InternalTopics() const {
  std::vector<std::string> topics;
  if (!repartition_topic.empty()) topics.push_back(repartition_topic);
  for (const auto& sub : subtopologies)
    for (const auto& s : sub.stores) topics.push_back(s.changelog_topic);
  return topics;
}

const StoreSpec* TopologySpec::FindStore(const std::string& suffix) const {
  for (const auto& sub : subtopologies)
    for (const auto& s : sub.stores)
      if (s.name.size() >= suffix.size() && s.name.compare(s.name.size() - suffix.size(), suffix.size(), suffix) == 0)
        return &s;
  return nullptr;
}

std::string TopologySpec::Describe() const {
  static const char* kRoles[] = {"stateless", "group-by source", "aggregate", "join"};
  std::string out = "Topologies:\n";
  for (size_t i = 0; i < subtopologies.size(); ++i) {
    const auto& sub = subtopologies[i];
    out += "   Sub-topology: " + std::to_string(i) + " (" + kRoles[static_cast<int>(sub.role)] + ")\n";
    for (const auto& in : sub.input_topics) out += "    Source: [" + in + "]\n";
    for (const auto& s : sub.stores) out += "    Store: " + s.name + " (changelog " + s.changelog_topic + ")\n";
    for (const auto& o : sub.output_topics) out += "    Sink: [" + o + "]\n";
  }
  return out;
}

}  // namespace sluice
