#pragma once
// Running ksqlDB query-validation-test cases through the TestDriver: inputs serialized with
// the formats of the sources registered on their topics, outputs decoded with the formats of
// the sinks and compared with the expectations (JSON-wise, numbers by value).
// Used by sluice-qtt (the conformance corpus) and sluice-test-runner (ksql-test-runner's
// three-file form).
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/runtime/test_driver.h"
#include "tools/qtt/qtt_corpus.h"

namespace sluice {
class SchemaRegistry;  // engine/schema_registry/schema_registry.h
}

namespace sluice::qtt {

enum class Outcome { kPass, kFail, kSkip };

struct CaseResult {
  Outcome outcome = Outcome::kFail;
  std::string reason;               // one line: why FAIL/SKIP ("" for PASS)
  std::string detail;               // multi-line: expected vs actual records of the failing topic
  std::vector<std::string> notes;   // verbose remarks (e.g. an error message far from ksqlDB's)

  nlohmann::json ToJson() const;
  static CaseResult FromJson(const nlohmann::json& j);
};

// "<file>::<name>", the id used in the output and in expected-passes lists.
inline std::string CaseId(const TestCase& c) { return c.file + "::" + c.name; }

// Why a case cannot run here at all (disabled in the corpus), or "" when it can. Checked
// before any engine work.
std::string StaticSkipReason(const TestCase& c);

// Where a case runs: the TestDriver (RunCase) or real Kafka (kafka_case_runner.h). The case
// logic (encoding inputs, comparing outputs, expected errors) is the same for both.
class CaseTarget {
 public:
  virtual ~CaseTarget() = default;
  virtual Status Execute(const std::string& sql) = 0;
  virtual void CreateTopic(const std::string& name, int partitions) = 0;
  virtual Status Produce(KafkaRecord record) = 0;
  // Every record of `topic`, in order. `expected`: how many the case expects (a target whose
  // outputs arrive asynchronously waits for that many, bounded, and a little for extras).
  virtual std::vector<KafkaRecord> Records(const std::string& topic, size_t expected) = 0;
  virtual DataSourcePtr FindSource(const std::string& name) const = 0;
  virtual std::vector<DataSourcePtr> SourcesForTopic(const std::string& topic) const = 0;
  virtual std::vector<std::string> ProcessingLog() const = 0;
  // After the inputs of a case that expects an error while processing them, and none came
  // from Produce: the error a query stopped with since (an asynchronous runtime), or OK.
  virtual Status QueryError() { return Status::OK(); }
  // The Schema Registry the target's statements and formats use, where the case's
  // `topics[].keySchema/valueSchema` are registered first (nullptr: the target has none).
  virtual std::shared_ptr<SchemaRegistry> Registry() const { return nullptr; }

  // Subject -> id of the schema the case registered for it: inputs to such a topic are
  // written with that schema (as ksqlDB's framework writes them), not one derived from the
  // source's columns.
  std::map<std::string, int> case_schema_ids;
};

// Makes the target for one case (its properties already read from the spec).
using TargetFactory = std::function<Result<std::unique_ptr<CaseTarget>>(
    const TestCase& c, const std::map<std::string, std::string>& properties)>;

// Runs one case in this process (never throws: exceptions become FAIL), on the TestDriver.
CaseResult RunCase(const TestCase& c);
// The same on the target `make` gives.
CaseResult RunCaseOn(const TestCase& c, const TargetFactory& make);

struct RunOptions {
  int jobs = 1;              // child processes at once
  int timeout_seconds = 60;  // per case; a case running longer is killed and FAILs
  bool verbose = false;      // children keep the engine's stdout/stderr (on our stderr)
  // How a child runs one case (default: RunCase, the TestDriver).
  std::function<CaseResult(const TestCase&)> run_case;
  // One child per case rather than per file (cases that mostly wait, e.g. on Kafka).
  bool child_per_case = false;
};

// Runs the cases in forked child processes (one per file, `jobs` at a time), so that a crash
// or a hang fails only the case it happened in. `on_result(i, result)` is called in case
// order as results become available. Returns every result, indexed like `cases`.
std::vector<CaseResult> RunCasesIsolated(
    const std::vector<TestCase>& cases, const RunOptions& opts,
    const std::function<void(size_t, const CaseResult&)>& on_result);

// ksql-test-runner's files: statements (SQL text), inputs ({"inputs": [...]}) and expected
// outputs ({"outputs": [...]}) as one test case.
Result<TestCase> CaseFromRunnerFiles(const std::string& statements_path,
                                     const std::string& input_path,
                                     const std::string& output_path);

}  // namespace sluice::qtt
