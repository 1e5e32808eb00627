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
  SubTopologySpec sub{SubTopologySpec::Role::kJoin, {}, {plan.sink->topic}, {}};
  auto store = [&](const std::string& name, StoreSpec::Kind kind, int64_t retention) {
    sub.stores.push_back(Store(prefix, plan.query_id, name, kind, retention));
  };
  auto input = [&](const std::string& topic) {
    if (std::find(sub.input_topics.begin(), sub.input_topics.end(), topic) == sub.input_topics.end())
      sub.input_topics.push_back(topic);
  };
  const JoinPlan& join = *plan.join;
  input(join.Repartitioned(0) ? prefix + join.steps[0].LeftRepartition() : plan.source->topic);
  for (const JoinStep& step : join.steps) {
    input(step.repartition_right ? prefix + step.RightRepartition() : step.right->topic);
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

// A repartitioned join source: its topic -> re-keyed by its join expression -> its
// repartition topic (read by the join sub-topology).
SubTopologySpec JoinRepartitionSubTopology(const DataSource& source, int join_source, const std::string& topic) {
  SubTopologySpec sub{SubTopologySpec::Role::kJoinRepartition, {source.topic}, {topic}, {}};
  sub.join_source = join_source;
  return sub;
}

// The sub-topologies of a join: one per repartitioned source, then the join itself.
void PlanJoin(const QueryPlan& plan, const std::string& prefix, TopologySpec* t) {
  const JoinPlan& join = *plan.join;
  for (size_t s = 0; s <= join.steps.size(); ++s) {
    if (!join.Repartitioned(s)) continue;
    const std::string topic =
        prefix + (s == 0 ? join.steps[0].LeftRepartition() : join.steps[s - 1].RightRepartition());
    const DataSource& source = s == 0 ? *plan.source : *join.steps[s - 1].right;
    t->repartition_topics.push_back(topic);
    t->subtopologies.push_back(JoinRepartitionSubTopology(source, static_cast<int>(s), topic));
  }
  SubTopologySpec joined = JoinSubTopology(plan, prefix);
  if (!plan.aggregation) {
    t->subtopologies.push_back(std::move(joined));
    return;
  }
  // GROUP BY over the join: the join's sub-topology groups its results (a table result is
  // materialized for the group-by stage, as a table source is), then aggregates them itself
  // when grouped by the join key, else writes them to the aggregation's repartition topic.
  const JoinStep::Kind last = join.last().kind;
  if (last == JoinStep::Kind::kTableTable || last == JoinStep::Kind::kForeignKey)
    joined.stores.push_back(Store(prefix, plan.query_id, "Join-Result-Reduce", StoreSpec::Kind::kKeyValue, 0));
  if (!plan.aggregation->repartition) {
    for (auto& s : AggregateStores(plan, prefix)) joined.stores.push_back(std::move(s));
    t->subtopologies.push_back(std::move(joined));
    return;
  }
  const std::string repartition = prefix + "Aggregate-GroupBy-repartition";
  t->repartition_topics.push_back(repartition);
  joined.output_topics = {repartition};
  t->subtopologies.push_back(std::move(joined));
  t->subtopologies.push_back({SubTopologySpec::Role::kAggregate, {repartition}, {plan.sink->topic},
                              AggregateStores(plan, prefix)});
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
    PlanJoin(plan, prefix, &t);
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
  const std::string repartition = prefix + "Aggregate-GroupBy-repartition";
  t.repartition_topics.push_back(repartition);
  source.output_topics.push_back(repartition);
  t.subtopologies.push_back(std::move(source));
  t.subtopologies.push_back({SubTopologySpec::Role::kAggregate, {repartition}, {plan.sink->topic},
                             AggregateStores(plan, prefix)});
  return t;
}

std::vector<std::string> TopologySpec::InternalTopics() const {
  std::vector<std::string> topics = repartition_topics;
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

bool TopologySpec::IsRepartitionTopic(const std::string& topic) const {
  return std::find(repartition_topics.begin(), repartition_topics.end(), topic) != repartition_topics.end();
}

std::string TopologySpec::JoinRepartitionTopic(int s) const {
  for (const auto& sub : subtopologies)
    if (sub.role == SubTopologySpec::Role::kJoinRepartition && sub.join_source == s) return sub.output_topics.at(0);
  return "";
}

std::string TopologySpec::Describe() const {
  static const char* kRoles[] = {"stateless", "group-by source", "aggregate", "join", "join repartition"};
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
