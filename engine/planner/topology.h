#pragma once
// The topology of a persistent query (Kafka Streams' shape): its sub-topologies, cut at
// repartition topics, the topics each reads and writes, and the state stores each owns with
// their changelog topics, named as ksqlDB names them:
//   repartition: _confluent-ksql-<service.id>query_<QUERY_ID>-<Name>-repartition
//   changelog:   _confluent-ksql-<service.id>query_<QUERY_ID>-<Store>-changelog
// Data only: the runtime (engine/runtime/task_factory.h) instantiates one task per
// sub-topology and partition from it.
#include <string>
#include <vector>

#include "engine/planner/query_plan.h"

namespace sluice {

struct StoreSpec {
  enum class Kind { kKeyValue, kWindow, kSession };
  std::string name;             // unique per server: <QUERY_ID>-<ksqlDB store name>
  Kind kind = Kind::kKeyValue;
  int64_t retention_ms = 0;     // window and session stores
  std::string changelog_topic;
};

struct SubTopologySpec {
  enum class Role {
    kStateless,        // source -> filter/flat-map/project -> sink
    kGroupBySource,    // source -> filter -> group by -> (repartition | aggregate -> sink)
    kAggregate,        // repartition topic -> aggregate -> sink
    kJoin,             // both sources' topics -> join (stores per side) -> filter/project -> sink
    kJoinRepartition,  // a join source's topic -> re-key by its join expression -> repartition topic
  };
  Role role = Role::kStateless;
  std::vector<std::string> input_topics;
  std::vector<std::string> output_topics;
  std::vector<StoreSpec> stores;
  // kJoinRepartition: the join source it re-keys (0: step 0's left, i: step i-1's right).
  int join_source = -1;
};

struct TopologySpec {
  std::string query_id;
  std::vector<SubTopologySpec> subtopologies;
  std::vector<std::string> repartition_topics;  // written and read by the query itself
  int partitions = 1;             // of the source; tasks per sub-topology

  std::vector<std::string> InternalTopics() const;
  const StoreSpec* FindStore(const std::string& suffix) const;
  bool IsRepartitionTopic(const std::string& topic) const;
  // The repartition topic of join source `s`, empty when the join reads the source itself.
  std::string JoinRepartitionTopic(int s) const;
  // Human-readable description (EXPLAIN's topology section).
  std::string Describe() const;
};

TopologySpec PlanTopology(const QueryPlan& plan, const std::string& service_id);

// The prefix of every internal topic of a query: _confluent-ksql-<service.id>query_<id>-
std::string InternalTopicPrefix(const std::string& service_id, const std::string& query_id);

}  // namespace sluice
