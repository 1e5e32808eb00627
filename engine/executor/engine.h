#pragma once
// Engine: executes statements against the metastore and runs the persistent queries they
// start, over in-memory topics. The test driver wraps it today; the Kafka runtime and the
// REST server will drive the same statement handling with real topics.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/analyzer/source_analyzer.h"
#include "engine/metastore/metastore.h"
#include "engine/parser/parser.h"
#include "engine/executor/query_runner.h"
#include "engine/executor/transient_query.h"
#include "engine/planner/topology.h"
#include "engine/runtime/query_task.h"
#include "engine/runtime/task.h"
#include "engine/runtime/test_driver.h"

namespace sluice {

class PushDelivery;  // engine/executor/push/push_rows.h
class PreparedPullQuery;  // engine/executor/transient_query.h
class PullPlanCache;      // engine/executor/pull/pull_cache.h

struct PersistentQuery {
  std::string id;  // CSAS_<SINK>_<n>, CTAS_<SINK>_<n>, INSERTQUERY_<n>
  std::string statement;
  std::shared_ptr<const QueryPlan> plan;
  TopologySpec topology;
  // One task per (sub-topology, partition), created when its first record arrives.
  std::map<std::pair<size_t, int>, std::unique_ptr<Task>> tasks;
};

// A persistent query's logical plan as ksqlDB's EXPLAIN prints it ("executionPlan"): one
// line per step, sink first, ` > [ SINK ] | Schema: ... | Logger: <id>.<context>`.
std::string ExecutionPlanText(const PersistentQuery& q);
// Every source a query reads: its FROM source, then each joined source.
std::vector<DataSourcePtr> SourcesRead(const QueryPlan& plan);
// ksqlDB's FieldInfo ({"name", "schema": SchemaInfo, "type": "KEY"|"HEADER"}) and SchemaInfo
// ({"type", "fields", "memberSchema"}), as EXPLAIN and DESCRIBE write them.
nlohmann::json FieldInfoJson(const SourceColumn& column);
nlohmann::json SchemaInfoJson(const TypePtr& type);

class Engine {
 public:
  explicit Engine(std::map<std::string, std::string> properties);

  // Topics and queries go to `runner` (not owned; it must outlive the engine) instead of the
  // in-memory topics: the server sets the Kafka runtime here before executing anything.
  void SetQueryRunner(QueryRunner* runner) { runner_ = runner; }
  // The runner (null without one): QueryStatus(id) says RUNNING/PAUSED/ERROR and why.
  QueryRunner* query_runner() const { return runner_; }

  // The Schema Registry of the AVRO/PROTOBUF/JSON_SR formats: an in-memory one from the
  // constructor (the test driver's, sluiced's embedded registry); the server replaces it with
  // an HTTP client when ksql.schema.registry.url is set, before executing anything.
  void SetSchemaRegistry(std::shared_ptr<SchemaRegistry> registry);
  const std::shared_ptr<SchemaRegistry>& schema_registry() const { return config_.schema_registry; }

  Status Execute(const std::string& sql);
  // The id of the persistent query the last executed statement started (CSAS_<SINK>_<n>,
  // CTAS_<SINK>_<n>, INSERTQUERY_<n>), if it started one.
  const std::optional<std::string>& last_started_query() const { return last_started_query_; }
  Status ExecuteStatement(const Statement& stmt);
  // The last executed statement as it is to be recorded for a replay (the command topic): its
  // text as written, except a CREATE STREAM/TABLE whose columns came from the Schema Registry,
  // kept with those columns and the schemas' ids (engine/analyzer/source_statement_text.h).
  const std::string& last_statement_text() const { return last_statement_text_; }
  // EXPLAIN <statement> (planned, not run) or EXPLAIN <query id>: ksqlDB's queryDescription
  // entity ({"@type": "queryDescription", "statementText", "queryDescription": {id,
  // statementText, windowType, fields, sources, sinks, topology, executionPlan, ...}}).
  Result<nlohmann::json> Explain(const sluice::Explain& stmt) const;
  // A SELECT without a sink (engine/executor/transient_query.h): a pull query (no EMIT) runs
  // to completion before this returns; a push query (EMIT CHANGES) keeps delivering rows to
  // `sink` until LIMIT, the sink refuses a row, or the handle is destroyed. `properties`: the
  // request's streamsProperties over the engine's (auto.offset.reset for push queries).
  Result<std::unique_ptr<RunningQuery>> StartQuery(const QueryStatement& stmt,
                                                   const std::map<std::string, std::string>& properties,
                                                   std::shared_ptr<QueryRowSink> sink);
  // A pull query in two steps, so that a server serializing statements through the engine
  // holds its lock only for the analysis: PreparePullQuery reads the metastore (engine lock);
  // PreparedPullQuery::Run reads the rows and needs no engine lock when the engine has a query
  // runner (the runner's reads are thread-safe), else it reads the engine's in-memory topics
  // and must run under the lock too (needs_engine_lock()). The prepared query shares what it
  // reads (the source's description), so it stays valid after a DROP.
  // `remember_as` (the statement as the request wrote it): on success the parsed query goes
  // into the pull plan cache, for PrepareCachedPullQuery.
  Result<std::unique_ptr<PreparedPullQuery>> PreparePullQuery(const QueryStatement& stmt,
                                                              const std::map<std::string, std::string>& properties,
                                                              const RawStatement* remember_as = nullptr);
  // A pull query from its text without parsing it, through the plan cache
  // (engine/executor/pull/pull_cache.h): a statement that differs from a remembered one only
  // in string/integer literals reuses its parse; the analysis runs as usual. Null (and OK) when
  // nothing fits, or when the analysis fails (the caller parses the statement and gets the
  // usual error): parse it then, and call PreparePullQuery with `remember_as`. The cache is
  // emptied by every executed statement.
  Result<std::unique_ptr<PreparedPullQuery>> PrepareCachedPullQuery(const RawStatement& raw,
                                                                    const std::map<std::string, std::string>& properties);
  const PullPlanCache* pull_cache() const { return pull_cache_.get(); }  // null before the first pull query
  void CreateTopic(const std::string& name, int partitions);
  Status Produce(KafkaRecord record);

  const MetaStore& metastore() const { return metastore_; }
  // For SHOW QUERIES / DESCRIBE / SHOW PROPERTIES / SHOW VARIABLES (read under the caller's lock).
  const std::vector<PersistentQuery>& queries() const { return queries_; }
  const std::map<std::string, std::string>& properties() const { return properties_; }
  const VariableMap& variables() const { return variables_; }
  const std::vector<KafkaRecord>& Records(const std::string& topic) const;
  std::vector<std::string> Topics() const;
  const std::vector<std::string>& processing_log() const { return processing_log_; }

 private:
  Status CreateSourceStatement(const CreateSource& stmt);
  Status CreateAsSelectStatement(const CreateAsSelect& stmt);
  Status InsertIntoStatement(const InsertInto& stmt);
  Status InsertValuesStatement(const InsertValues& stmt);
  Status DropSourceStatement(const DropSource& stmt);
  Status AlterSourceStatement(const AlterSource& stmt);
  Result<PersistentQuery> PrepareQuery(std::string id, const std::string& text, QueryPlan plan) const;
  Status LaunchQuery(PersistentQuery q, std::vector<std::string>* created);
  Status EnsureTopic(const std::string& name, int partitions, std::vector<std::string>* created);
  void DeleteTopics(const std::vector<std::string>& names);
  Status ProduceAt(KafkaRecord record, int depth);
  Result<Task*> TaskFor(PersistentQuery& q, size_t sub, int partition);
  Status RunTask(PersistentQuery& q, size_t sub, const KafkaRecord& record, int depth);
  int PartitionsOf(const std::string& topic) const;
  std::string ServiceId() const;
  size_t CacheMaxBytes() const;
  Status PauseOrResume(const NamedStatement& stmt, bool pause);
  // engine/executor/pull_query.cpp and push_query.cpp.
  Result<std::unique_ptr<RunningQuery>> StartPullQuery(const QueryStatement& stmt,
                                                       const std::map<std::string, std::string>& properties,
                                                       std::shared_ptr<QueryRowSink> sink);
  Result<std::unique_ptr<RunningQuery>> StartPushQuery(const QueryStatement& stmt,
                                                       const std::map<std::string, std::string>& properties,
                                                       std::shared_ptr<QueryRowSink> sink);
  // A scalable push query (push_query.cpp): its task on the sink records of `writers`.
  Result<std::unique_ptr<TransientRun>> SubscribeScalable(std::shared_ptr<const QueryPlan> plan,
                                                          const TopologySpec& topology,
                                                          const std::vector<std::string>& writers,
                                                          std::shared_ptr<PushDelivery> delivery,
                                                          const std::function<void()>& on_active);

  // pull_query.cpp: the prepared query of a parsed one; and emptying the plan cache.
  Result<std::unique_ptr<PreparedPullQuery>> PreparePull(const Query& query, const std::string& text,
                                                         const std::map<std::string, std::string>& properties);
  void InvalidatePullCache();

  std::map<std::string, std::string> properties_;
  std::shared_ptr<PullPlanCache> pull_cache_;  // shared_ptr: the type is incomplete here
  std::unique_ptr<StateBackend> state_;
  QueryRunner* runner_ = nullptr;
  std::optional<std::string> last_started_query_;
  std::string last_statement_text_;
  AnalysisConfig config_;
  MetaStore metastore_;
  VariableMap variables_;
  std::vector<PersistentQuery> queries_;
  std::map<std::string, std::vector<KafkaRecord>> topics_;
  std::map<std::string, int> partitions_;
  std::vector<std::string> processing_log_;
  int next_query_number_ = 0;
};

}  // namespace sluice
