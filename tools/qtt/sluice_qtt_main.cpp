// sluice-qtt: runs ksqlDB query-validation-test files through the TestDriver.
//
//   sluice-qtt [-v] [-j N] [--filter SUBSTRING] [--timeout SECONDS]
//              [--expected-passes FILE] [--write-passes FILE]
//              [--kafka | --rest [--sluiced PATH]] [--cases FILE] [--min-pass-percent P]
//              FILE_OR_DIR...
//
// --kafka runs each case on the Kafka runtime (a fresh embedded broker per case) instead of
// the TestDriver; --rest runs REST cases (rest-query-validation-tests) through a real sluiced
// per case (default: the sluiced next to this binary), comparing every response; --cases runs only the listed case ids; --min-pass-percent makes the exit
// code 1 iff fewer than P% of the cases run passed.
//
// Prints one line per case (PASS/FAIL/SKIP <file>::<name>[: reason]) and, last,
// "N passed, N failed, N skipped". With --expected-passes, exits 1 iff a listed case does not
// pass; without it, exits 1 iff some case failed.
#include <spdlog/spdlog.h>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "tools/qtt/kafka_case_runner.h"
#include "tools/qtt/rest_case_runner.h"
#include "tools/qtt/qtt_corpus.h"
#include "tools/qtt/qtt_runner.h"

namespace {

void Usage() {
  std::cerr << "usage: sluice-qtt [-v] [-j N] [--filter SUBSTRING] [--timeout SECONDS]\n"
               "                  [--expected-passes FILE] [--write-passes FILE]\n"
               "                  [--kafka | --rest [--sluiced PATH]] [--cases FILE] [--min-pass-percent P]\n"
               "                  FILE_OR_DIR...\n";
}

// Case names may end in spaces; list files cannot keep them, so ids compare trimmed.
std::string TrimRight(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.pop_back();
  return s;
}

bool ReadList(const std::string& path, std::vector<std::string>* out) {
  std::ifstream in(path);
  if (!in) return false;
  std::string line;
  while (std::getline(in, line)) {
    const size_t b = line.find_first_not_of(" \t\r");
    if (b == std::string::npos || line[b] == '#') continue;
    const size_t e = line.find_last_not_of(" \t\r");
    out->push_back(line.substr(b, e - b + 1));
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace sluice::qtt;
  RunOptions opts;
  std::string filter, expected_passes, write_passes, cases_file;
  bool kafka = false, rest = false;
  RestCaseOptions rest_options;
  double min_pass_percent = -1;
  std::vector<std::string> paths;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "sluice-qtt: " << a << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "-v" || a == "--verbose") opts.verbose = true;
    else if (a == "-j") opts.jobs = std::atoi(value().c_str());
    else if (a.rfind("-j", 0) == 0 && a.size() > 2) opts.jobs = std::atoi(a.c_str() + 2);
    else if (a == "--filter") filter = value();
    else if (a == "--timeout") opts.timeout_seconds = std::atoi(value().c_str());
    else if (a == "--expected-passes") expected_passes = value();
    else if (a == "--write-passes") write_passes = value();
    else if (a == "--kafka") kafka = true;
    else if (a == "--rest") rest = true;
    else if (a == "--sluiced") rest_options.sluiced_path = value();
    else if (a == "--cases") cases_file = value();
    else if (a == "--min-pass-percent") min_pass_percent = std::atof(value().c_str());
    else if (a == "-h" || a == "--help") { Usage(); return 0; }
    else if (!a.empty() && a[0] == '-') { Usage(); return 2; }
    else paths.push_back(a);
  }
  if (paths.empty()) {
    Usage();
    return 2;
  }
  // The engine logs each query start and each processing-log entry; the per-case lines are
  // this tool's output, so engine logs show only with -v.
  spdlog::set_level(opts.verbose ? spdlog::level::info : spdlog::level::off);
  if (opts.jobs < 1) opts.jobs = 1;
  if (opts.timeout_seconds < 1) opts.timeout_seconds = 60;

  auto corpus = LoadCorpus(paths);
  if (!corpus.ok()) {
    std::cerr << "sluice-qtt: " << corpus.status().message() << "\n";
    return 2;
  }
  std::set<std::string> only;
  if (!cases_file.empty()) {
    std::vector<std::string> ids;
    if (!ReadList(cases_file, &ids)) {
      std::cerr << "sluice-qtt: cannot read " << cases_file << "\n";
      return 2;
    }
    only.insert(ids.begin(), ids.end());
  }
  std::vector<TestCase> cases;
  for (auto& c : *corpus)
    if ((filter.empty() || CaseId(c).find(filter) != std::string::npos) &&
        (only.empty() || only.count(TrimRight(CaseId(c)))))
      cases.push_back(std::move(c));
  if (!only.empty() && cases.size() != only.size())
    std::cerr << "sluice-qtt: " << only.size() - std::min(only.size(), cases.size())
              << " listed case(s) not found in the corpus\n";
  if (rest) {
    if (rest_options.sluiced_path.empty()) {
      std::error_code ec;
      rest_options.sluiced_path =
          (std::filesystem::read_symlink("/proc/self/exe", ec).parent_path() / "sluiced").string();
    }
    opts.run_case = [rest_options](const TestCase& c) { return RunRestCase(c, rest_options); };
    opts.child_per_case = true;  // one server per case
  } else if (kafka) {
    opts.run_case = [](const TestCase& c) { return RunKafkaCase(c); };
    opts.child_per_case = true;  // each case waits on its own broker: spread them out
  }

  std::vector<std::string> expected;
  if (!expected_passes.empty() && !ReadList(expected_passes, &expected)) {
    std::cerr << "sluice-qtt: cannot read " << expected_passes << "\n";
    return 2;
  }

  int passed = 0, failed = 0, skipped = 0;
  std::set<std::string> passes;
  auto report = [&](size_t i, const CaseResult& r) {
    const std::string id = CaseId(cases[i]);
    switch (r.outcome) {
      case Outcome::kPass:
        ++passed;
        passes.insert(TrimRight(id));
        std::cout << "PASS " << id << "\n";
        break;
      case Outcome::kFail:
        ++failed;
        std::cout << "FAIL " << id << ": " << r.reason << "\n";
        break;
      case Outcome::kSkip:
        ++skipped;
        std::cout << "SKIP " << id << ": " << r.reason << "\n";
        break;
    }
    if (opts.verbose) {
      for (const auto& n : r.notes) std::cout << "    note: " << n << "\n";
      if (!r.detail.empty()) {
        std::string d = r.detail;
        size_t pos = 0;
        while (pos < d.size()) {
          const size_t nl = d.find('\n', pos);
          const std::string line = d.substr(pos, nl == std::string::npos ? nl : nl - pos);
          std::cout << "    " << line << "\n";
          if (nl == std::string::npos) break;
          pos = nl + 1;
        }
      }
    }
    std::cout.flush();
  };
  RunCasesIsolated(cases, opts, report);

  int exit_code = failed > 0 ? 1 : 0;
  if (!expected_passes.empty()) {
    std::set<std::string> run_ids;
    for (const auto& c : cases) run_ids.insert(TrimRight(CaseId(c)));
    std::vector<std::string> regressions;
    std::set<std::string> listed;
    for (const auto& id : expected) {
      listed.insert(id);
      // With --filter, listed cases outside the filter were not run: not a regression.
      if (!filter.empty() && id.find(filter) == std::string::npos) continue;
      if (!passes.count(id)) regressions.push_back(id + (run_ids.count(id) ? "" : " (not found)"));
    }
    std::vector<std::string> newly;
    for (const auto& id : passes)
      if (!listed.count(id)) newly.push_back(id);
    if (!regressions.empty()) {
      std::cout << "\nexpected to pass but did not (" << regressions.size() << "):\n";
      for (const auto& id : regressions) std::cout << "  " << id << "\n";
    }
    if (!newly.empty()) {
      std::cout << "\nnewly passing: add to the list (" << newly.size() << "):\n";
      for (const auto& id : newly) std::cout << "  " << id << "\n";
    }
    if (!regressions.empty() || !newly.empty()) std::cout << "\n";
    exit_code = regressions.empty() ? 0 : 1;
  }
  if (!write_passes.empty()) {
    std::ofstream out(write_passes);
    if (!out) {
      std::cerr << "sluice-qtt: cannot write " << write_passes << "\n";
      return 2;
    }
    out << "# Conformance cases that pass (sluice-qtt --write-passes): one <file>::<name> per line.\n"
           "# The qtt-conformance ctest fails when a listed case stops passing.\n";
    for (const auto& id : passes) out << id << "\n";
  }
  std::cout << passed << " passed, " << failed << " failed, " << skipped << " skipped\n";
  if (min_pass_percent >= 0) {
    // Skipped cases (no engine support, or, with --kafka, a difference the Kafka runtime
    // legitimately has) are reported, not counted.
    const size_t run = static_cast<size_t>(passed + failed);
    const double share = run ? 100.0 * passed / static_cast<double>(run) : 0.0;
    std::printf("pass share %.1f%% of %zu cases run (%d skipped; %.1f%% of all %zu; minimum %.1f%%)\n",
                share, run, skipped, cases.empty() ? 0.0 : 100.0 * passed / static_cast<double>(cases.size()),
                cases.size(), min_pass_percent);
    exit_code = run > 0 && share >= min_pass_percent ? 0 : 1;
  }
  return exit_code;
}
