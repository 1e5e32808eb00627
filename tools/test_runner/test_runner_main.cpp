// sluice-test-runner: ksqlDB's ksql-test-runner for Sluice.
//
//   sluice-test-runner -s statements.sql [-i input.json] -o output.json
//
// Runs the statements, produces the input records ({"inputs": [{"topic", "key", "value",
// "timestamp", "window"?}]}) and checks the records written by the queries against the
// expected outputs ({"outputs": [...]}, same shape), per topic and in order. Prints
// "Test passed!" (exit 0) or what differs, expected vs actual (exit 1).
#include <spdlog/spdlog.h>
#include <cstdlib>
#include <iostream>
#include <string>

#include "tools/qtt/qtt_runner.h"

namespace {
void Usage() {
  std::cerr << "usage: sluice-test-runner {--sql-file | -s} <statementsFile>\n"
               "                          [{--input-file | -i} <inputFile>]\n"
               "                          {--output-file | -o} <outputFile>\n";
}
}  // namespace

int main(int argc, char** argv) {
  using namespace sluice::qtt;
  std::string sql_file, input_file, output_file;
  spdlog::set_level(spdlog::level::warn);  // processing-log entries still show
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "sluice-test-runner: " << a << " needs a value\n";
        Usage();
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "-s" || a == "--sql-file") sql_file = value();
    else if (a == "-i" || a == "--input-file") input_file = value();
    else if (a == "-o" || a == "--output-file") output_file = value();
    else if (a == "-e" || a == "--extension-dir") {
      value();
      std::cerr << "sluice-test-runner: --extension-dir is ignored (no Java UDF extensions)\n";
    } else if (a == "-h" || a == "--help") {
      Usage();
      return 0;
    } else {
      std::cerr << "sluice-test-runner: unknown argument " << a << "\n";
      Usage();
      return 2;
    }
  }
  if (sql_file.empty() || output_file.empty()) {
    Usage();
    return 2;
  }
  auto tc = CaseFromRunnerFiles(sql_file, input_file, output_file);
  if (!tc.ok()) {
    std::cerr << "sluice-test-runner: " << tc.status().message() << "\n";
    return 2;
  }
  const CaseResult r = RunCase(*tc);
  switch (r.outcome) {
    case Outcome::kPass:
      for (const auto& n : r.notes) std::cout << "note: " << n << "\n";
      std::cout << "Test passed!\n";
      return 0;
    case Outcome::kSkip:
      std::cout << "Test could not run: " << r.reason << "\n";
      return 1;
    case Outcome::kFail:
      std::cout << "Test failed: " << r.reason << "\n";
      if (!r.detail.empty()) std::cout << r.detail;
      return 1;
  }
  return 1;
}
