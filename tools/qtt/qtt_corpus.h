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
  // The same case, exactly as written: key order kept and non-integer numbers kept as their
  // text (see ParseExact), for re-serializing test inputs byte for byte.
  nlohmann::ordered_json exact;
  bool expects_error = false;  // expectedException (or the REST tests' expectedError)
};

// Parses JSON (// comments allowed) keeping object key order and the text of every
// non-integer number: such a number is held as a string "\x01#<text>" (IsExactNumber).
Result<nlohmann::ordered_json> ParseExact(const std::string& text);
bool IsExactNumber(const nlohmann::ordered_json& j);
// Compact JSON text with exact numbers written as they were in the source.
std::string ExactDump(const nlohmann::ordered_json& j);
// The plain JSON value (exact numbers become doubles).
nlohmann::json ExactToJson(const nlohmann::ordered_json& j);

// Every .json under each path (files or directories, not recursive), in name order.
Result<std::vector<TestCase>> LoadCorpus(const std::vector<std::string>& paths);

// One file; the JSON may contain // comments.
Result<std::vector<TestCase>> LoadFile(const std::string& path);

}  // namespace sluice::qtt
