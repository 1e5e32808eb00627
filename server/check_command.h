#pragma once
// `sluiced --check [--syntax-only] FILE.sql`: validates a queries file offline, as a headless
// deployment would read it, one line per statement and a summary.
#include <iosfwd>
#include <string>

namespace sluice {

struct CheckOptions {
  bool syntax_only = false;
};

// Returns the process exit status: 0 when every statement is OK.
int RunCheck(const std::string& path, const CheckOptions& options, std::ostream& out,
             std::ostream& err);

}  // namespace sluice
