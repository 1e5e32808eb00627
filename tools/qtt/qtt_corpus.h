#pragma once
// Reading ksqlDB's query-validation-test files (../shared/qtt): the test cases with their
// statements expanded per format. Shared by the conformance runner, the grammar coverage
// check and the parser benchmark.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/common/status.h"

namespace sluice::qtt {

struct TestCase {
  std::string file;     // JSON file name, e.g. "project-filter.json"
  std::string name;     // case name, with " - FORMAT" appended when expanded from `format`
  std::string format;   // the format substituted for {FORMAT} ("" when the case has none)
  std::vector<std::string> statements;  // {FORMAT} substituted
  nlohmann::json spec;  // the whole case as written (inputs, outputs, properties, ...)
  bool expects_error = false;  // expectedException (or the REST tests' expectedError)
};

// Every .json under each path (files or directories, not recursive), in name order.
Result<std::vector<TestCase>> LoadCorpus(const std::vector<std::string>& paths);

// One file; the JSON may contain // comments.
Result<std::vector<TestCase>> LoadFile(const std::string& path);

}  // namespace sluice::qtt
