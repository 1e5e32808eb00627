// Parser throughput: parses every statement of the conformance corpus, several rounds, and
// prints statements/second. The baseline, measured in the same run, is the lexer alone
// (SplitStatements tokenizes the whole text), so the figure to watch is the ratio.
//
//   sluice-bench-parser [--rounds N] QTT_DIR...
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "engine/parser/parser.h"
#include "tools/qtt/qtt_corpus.h"

namespace {
double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}
}  // namespace

int main(int argc, char** argv) {
  int rounds = 5;
  std::vector<std::string> paths;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--rounds" && i + 1 < argc) rounds = std::atoi(argv[++i]);
    else paths.push_back(arg);
  }
  auto corpus = sluice::qtt::LoadCorpus(paths);
  if (!corpus.ok()) {
    std::cerr << corpus.status().message() << "\n";
    return 2;
  }
  std::vector<std::string> statements;
  size_t bytes = 0;
  for (const auto& c : *corpus)
    for (const auto& s : c.statements) {
      statements.push_back(s);
      bytes += s.size();
    }

  // Warm-up: ANTLR fills its DFA cache on first use, as a long-running server would.
  for (const auto& s : statements) (void)sluice::ParseSingleStatement(s);

  auto start = std::chrono::steady_clock::now();
  size_t tokens_seen = 0;
  for (int r = 0; r < rounds; ++r)
    for (const auto& s : statements) tokens_seen += sluice::SplitStatements(s).size();
  const double lex_seconds = Seconds(start);

  start = std::chrono::steady_clock::now();
  size_t parsed = 0, failed = 0;
  for (int r = 0; r < rounds; ++r)
    for (const auto& s : statements) (sluice::ParseSingleStatement(s).ok() ? parsed : failed)++;
  const double parse_seconds = Seconds(start);

  const double n = static_cast<double>(statements.size()) * rounds;
  std::cout << "statements: " << statements.size() << " (" << bytes << " bytes) x " << rounds
            << " rounds; " << failed / rounds << " fail to parse\n";
  std::cout << "split (lexer only):  " << static_cast<long>(n / lex_seconds) << " statements/s\n";
  std::cout << "parse to AST:        " << static_cast<long>(n / parse_seconds) << " statements/s, "
            << static_cast<long>(bytes * rounds / parse_seconds / 1e6) << " MB/s\n";
  std::cout << "parse / lexer-only time ratio: " << parse_seconds / lex_seconds << "\n";
  return tokens_seen > 0 ? 0 : 1;
}
