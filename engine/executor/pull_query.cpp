// Pull queries (a SELECT without EMIT): the current rows of a queryable table, or the records
// of a stream up to its current end, filtered by WHERE, projected, up to LIMIT.
//
// A table's current rows are its topic compacted: the latest record per key, a tombstone
// deleting it. Every queryable table has such a topic with exactly the rows ksqlDB's
// materialization would hold: a CTAS sink receives the query's finished output (aggregates
// finalized, HAVING applied as deletes, projected), a SOURCE table is its topic. Without a
// runner the engine compacts its in-memory topic at each query; the Kafka runner keeps a
// compacted copy of each queried topic that a pull query brings up to the topic's end
// (engine/kafka/materialization.cpp).
#include <chrono>
#include <map>
#include <set>

#include <spdlog/spdlog.h>

#include "engine/executor/engine.h"
#include "engine/executor/pull/pull_cache.h"
#include "engine/executor/pull/pull_plan.h"
#include "engine/runtime/query_task.h"

namespace sluice {

namespace {

class FinishedQuery : public RunningQuery {
 public:
  explicit FinishedQuery(std::string id) : id_(std::move(id)) {}
  const std::string& id() const override { return id_; }
  bool finished() const override { return true; }

 private:
  std::string id_;
};

// How stale a table's rows may be (sluice.query.pull.max.staleness.ms; the runner's copy of the
// table's topic, see engine/kafka/materialization.h).
Result<std::chrono::milliseconds> MaxStaleness(const std::map<std::string, std::string>& props) {
  auto it = props.find(kPullMaxStalenessProperty);
  if (it == props.end()) return std::chrono::milliseconds(kDefaultPullMaxStalenessMs);
  size_t used = 0;
  int64_t ms = -1;
  try {
    ms = std::stoll(it->second, &used);
  } catch (const std::exception&) {
  }
  if (ms < 0 || used != it->second.size())
    return Status::InvalidArgument(std::string("Invalid value for ") + kPullMaxStalenessProperty + ": '" +
                                   it->second + "' (milliseconds, 0 or more)");
  return std::chrono::milliseconds(ms);
}

// Whether a stored key is one of the keys looked up (a windowed table's stored keys end with
// the window: they start with the key).
bool Wanted(const std::string& key, const std::vector<std::string>& keys, bool windowed) {
  if (keys.empty()) return true;
  for (const auto& k : keys)
    if (windowed ? key.compare(0, k.size(), k) == 0 : key == k) return true;
  return false;
}

// Decodes records with QueryTask (the same decoding a persistent query applies to its
// source), then WHERE, the projection and LIMIT, handing rows to the sink.
class PullExecution {
 public:
  PullExecution(const PullQueryPlan& plan, QueryRowSink& sink) : plan_(plan), sink_(sink) {}

  Status Init() {
    auto task = QueryTask::Create(plan_.decode);
    if (!task.ok()) return task.status();
    task_ = std::move(*task);
    task_->SetRowConsumer([this](const Row& row, int64_t, const KafkaRecord&, bool deleted) {
      if (!deleted) OnDecoded(row);
    });
    ctx_.lambda_values.resize(plan_.lambda_slots);
    return Status::OK();
  }

  // False once no more records are wanted (LIMIT reached, the sink went away).
  bool Offer(const KafkaRecord& record) {
    if (done()) return false;
    out_.clear();
    Status s = task_->Process(record, &out_, &log_);
    if (!s.ok()) failure_ = s;
    for (const auto& entry : log_) spdlog::warn("pull query on {}: {}", plan_.source->name, entry);
    log_.clear();
    return !done();
  }

  bool done() const { return stopped_ || !failure_.ok() || (plan_.limit && emitted_ >= *plan_.limit); }
  const Status& failure() const { return failure_; }

 private:
  void OnDecoded(const Row& row) {
    if (done()) return;
    ctx_.row = &row;
    ctx_.error.clear();
    if (plan_.where) {
      Value keep = plan_.where->eval(ctx_);
      if (keep.IsNull() || !keep.AsBool()) return;
    }
    QueryRow out;
    for (size_t i = 0; i < plan_.projection.size(); ++i)
      out.columns.push_back(RestValue(plan_.projection[i].eval(ctx_), plan_.projection[i].type));
    if (!ctx_.error.empty()) spdlog::warn("pull query on {}: {}", plan_.source->name, ctx_.error);
    ++emitted_;
    if (!sink_.OnRow(std::move(out))) stopped_ = true;
  }

  const PullQueryPlan& plan_;
  QueryRowSink& sink_;
  std::unique_ptr<QueryTask> task_;
  EvalContext ctx_;
  std::vector<KafkaRecord> out_;
  std::vector<std::string> log_;
  int64_t emitted_ = 0;
  bool stopped_ = false;
  Status failure_;
};

// A pull query's plan and where its rows come from: the runner (thread-safe reads) or, without
// one, the engine's in-memory topics.
class PreparedPull : public PreparedPullQuery {
 public:
  PreparedPull(PullQueryPlan plan, std::chrono::milliseconds max_staleness, QueryRunner* runner, Engine* engine,
               std::string statement_text)
      : plan_(std::move(plan)),
        max_staleness_(max_staleness),
        runner_(runner),
        engine_(engine),
        text_(std::move(statement_text)) {}

  bool needs_engine_lock() const override { return runner_ == nullptr; }

  std::unique_ptr<RunningQuery> Run(std::shared_ptr<QueryRowSink> sink) override {
    auto handle = std::make_unique<FinishedQuery>(plan_.schema.query_id);
    PullExecution exec(plan_, *sink);
    if (Status s = exec.Init(); !s.ok()) {
      sink->OnEnd(s);
      return handle;
    }
    sink->OnSchema(plan_.schema);
    Status read = exec.done() ? Status::OK() : Read(exec);  // LIMIT 0: nothing to read
    if (read.ok()) read = exec.failure();
    if (!read.ok())
      read = Status::RuntimeError("Pull query " + plan_.schema.query_id + " on " + plan_.source->name +
                                  " failed: " + read.message() + "\nStatement: " + text_);
    sink->OnEnd(read);
    return handle;
  }

 private:
  Status Read(PullExecution& exec) {
    const DataSource& source = *plan_.source;
    const auto offer = [&exec](const KafkaRecord& r) { return exec.Offer(r); };
    const bool windowed = source.window.has_value();
    if (runner_) {
      if (source.kind == SourceKind::kStream) return runner_->ReadTopic(source.topic, offer);
      return runner_->ReadTable(source.topic, plan_.lookup_keys, windowed, max_staleness_, offer);
    }
    if (source.kind == SourceKind::kStream) {
      // Partition by partition, each in offset order, as a scan of the topic reads it.
      std::map<int, std::vector<const KafkaRecord*>> by_partition;
      for (const auto& r : engine_->Records(source.topic)) by_partition[r.partition].push_back(&r);
      for (const auto& [p, records] : by_partition)
        for (const KafkaRecord* r : records)
          if (!exec.Offer(*r)) return Status::OK();
      return Status::OK();
    }
    std::map<std::pair<int, std::string>, const KafkaRecord*> rows;  // partition, key bytes -> latest
    for (const auto& r : engine_->Records(source.topic)) {
      if (!r.key) continue;  // a table row needs its key
      if (r.value) rows[{r.partition, *r.key}] = &r;
      else rows.erase({r.partition, *r.key});
    }
    for (const auto& [pk, r] : rows)
      if (Wanted(pk.second, plan_.lookup_keys, windowed) && !exec.Offer(*r)) break;
    return Status::OK();
  }

  const PullQueryPlan plan_;
  const std::chrono::milliseconds max_staleness_;
  QueryRunner* runner_;
  Engine* engine_;
  const std::string text_;
};

}  // namespace

Result<std::unique_ptr<PreparedPullQuery>> Engine::PreparePull(const Query& query, const std::string& text,
                                                               const std::map<std::string, std::string>& properties) {
  // The engine's properties under the request's, copied only when the request has some (a
  // server's are dozens of entries: a copy per key lookup showed in its profile).
  std::map<std::string, std::string> merged;
  if (!properties.empty()) {
    merged = properties_;
    for (const auto& [k, v] : properties) merged[k] = v;
  }
  const std::map<std::string, std::string>& props = properties.empty() ? properties_ : merged;
  std::set<std::string> materialized;  // tables a running persistent query writes
  for (const auto& q : queries_)
    if (q.plan->sink && q.plan->sink->kind == SourceKind::kTable) materialized.insert(q.plan->sink->name);
  auto plan = AnalyzePullQuery(query, metastore_, props, materialized);
  if (!plan.ok()) return plan.status();
  auto max_staleness = MaxStaleness(props);
  if (!max_staleness.ok()) return max_staleness.status();
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  plan->schema.query_id = "query_" + std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
  return std::unique_ptr<PreparedPullQuery>(
      std::make_unique<PreparedPull>(std::move(*plan), *max_staleness, runner_, this, text));
}

Result<std::unique_ptr<PreparedPullQuery>> Engine::PreparePullQuery(const QueryStatement& stmt,
                                                                    const std::map<std::string, std::string>& properties,
                                                                    const RawStatement* remember_as) {
  if (!stmt.query) return Status::InvalidArgument("Empty query: " + stmt.text);
  auto prepared = PreparePull(*stmt.query, stmt.text, properties);
  if (prepared.ok() && remember_as) {
    if (!pull_cache_) pull_cache_ = std::make_shared<PullPlanCache>();
    pull_cache_->Remember(*remember_as, PullPlanCache::PropertiesKey(properties), stmt.query);
  }
  return prepared;
}

Result<std::unique_ptr<PreparedPullQuery>> Engine::PrepareCachedPullQuery(
    const RawStatement& raw, const std::map<std::string, std::string>& properties) {
  if (!pull_cache_) return std::unique_ptr<PreparedPullQuery>();
  auto query = pull_cache_->Bind(raw, PullPlanCache::PropertiesKey(properties));
  if (!query) return std::unique_ptr<PreparedPullQuery>();
  auto prepared = PreparePull(*query, raw.text, properties);
  // An error is reported by the full path, whose positions are this statement's own.
  if (!prepared.ok()) return std::unique_ptr<PreparedPullQuery>();
  return prepared;
}

void Engine::InvalidatePullCache() {
  if (pull_cache_) pull_cache_->Clear();
}

Result<std::unique_ptr<RunningQuery>> Engine::StartPullQuery(const QueryStatement& stmt,
                                                             const std::map<std::string, std::string>& properties,
                                                             std::shared_ptr<QueryRowSink> sink) {
  auto prepared = PreparePullQuery(stmt, properties);
  if (!prepared.ok()) return prepared.status();
  return (*prepared)->Run(std::move(sink));
}

}  // namespace sluice
