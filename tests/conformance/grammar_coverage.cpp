// Grammar coverage: parses every statement of every conformance case that is not meant to
// fail, and reports the ones that do not parse. Exit status 0 when at least --min-percent
// of the statements parse.
//
//   sluice-grammar-coverage [--min-percent 99.5] QTT_DIR_OR_FILE...
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "engine/parser/parser.h"
#include "tools/qtt/qtt_corpus.h"

int main(int argc, char** argv) {
  double min_percent = 99.5;
  std::vector<std::string> paths;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--min-percent" && i + 1 < argc) min_percent = std::atof(argv[++i]);
    else paths.push_back(arg);
  }
  auto corpus = sluice::qtt::LoadCorpus(paths);
  if (!corpus.ok()) {
    std::cerr << corpus.status().message() << "\n";
    return 2;
  }
  int passed = 0, failed = 0;
  for (const auto& c : *corpus) {
    if (c.expects_error) continue;
    sluice::VariableMap variables;
    for (const auto& text : c.statements) {
      auto stmt = sluice::ParseSingleStatement(text, &variables);
      if (stmt.ok()) {
        ++passed;
        if ((*stmt)->kind == sluice::StatementKind::kDefineVariable) {
          auto& def = static_cast<const sluice::PropertyStatement&>(**stmt);
          variables[def.name] = def.value;
        }
        continue;
      }
      ++failed;
      std::cout << "FAIL " << c.file << "::" << c.name << ": " << text << "\n     "
                << stmt.status().message() << "\n";
    }
  }
  const double percent = passed + failed ? 100.0 * passed / (passed + failed) : 0;
  std::cout << "grammar coverage " << percent << "% (minimum " << min_percent << "%)\n";
  std::cout << passed << " passed, " << failed << " failed\n";
  return passed > 0 && percent >= min_percent ? 0 : 1;
}
