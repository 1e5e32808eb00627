#pragma once
// The shell: reads statements (interactively with line editing and history, or from a pipe,
// a file or -e), keeps the session (SET properties, DEFINE variables, output format, spool
// file) and runs each statement against the server: SELECT/PRINT on POST /query with rows
// printed as they arrive, everything else on POST /ksql, as ksqlDB's CLI does.
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/rest_client.h"

namespace sluice::cli {

inline constexpr const char* kCliVersion = "0.1.0";

// Splits typed text into statements: a statement ends at a `;` outside quotes ('...',
// "...", `...`) and comments (-- to end of line, /* ... */). Text after the last `;` stays
// pending for the next line.
class StatementBuffer {
 public:
  // Appends a line (a newline is added); returns the statements it completed, each with its `;`.
  std::vector<std::string> AddLine(const std::string& line);
  bool empty() const;  // nothing pending but whitespace/comments
  void Clear() { pending_.clear(); }

 private:
  std::string pending_;
};

enum class OutputFormat { kTabular, kJson };

class Shell {
 public:
  explicit Shell(RestClient client);

  // The interactive shell on a terminal (banner, prompt, readline, ~/.sluice_history).
  int RunInteractive();
  // Statements from a stream (a pipe, -f FILE): no prompt, stops at the first failure.
  int RunStream(std::istream& in);
  // -e 'statements'.
  int RunText(const std::string& text);

  // Checks the server (GET /info). Returns the error text, empty when it answered.
  std::string CheckServer(nlohmann::json* info);

  // Runs one complete statement or CLI command; false when it failed. Public for tests.
  bool Execute(const std::string& statement);
  // The input of a line typed at an empty buffer, when it is a CLI command without `;`
  // (help, exit, output, spool, ...): runs it and returns true.
  bool TryCommand(const std::string& line);
  bool exit_requested() const { return exit_requested_; }
  void set_format(OutputFormat format) { format_ = format; }
  // Where results and errors go (stdout/stderr unless told; tests capture them).
  void set_output(std::ostream& out, std::ostream& err) {
    out_ = &out;
    err_ = &err;
  }
  // RUN SCRIPT / -f: the file's statements in order, stopping at the first failure.
  bool RunScript(const std::string& path);

  const std::map<std::string, std::string>& properties() const { return properties_; }
  const std::map<std::string, std::string>& variables() const { return variables_; }

 private:
  bool RunKsql(const std::string& statement);
  bool RunQuery(const std::string& statement);
  bool RunPrint(const std::string& statement);
  bool ReportStreamRefused(const RestResponse& r, bool interrupted, bool as_json);
  bool Local(const std::vector<std::string>& words, const std::string& statement, bool* handled);
  nlohmann::json RequestBody(const std::string& statement) const;
  void Print(const std::string& text);
  void PrintError(const std::string& text);
  void Banner(const nlohmann::json& info, const std::string& error);
  int TerminalWidth() const;

  RestClient client_;
  std::map<std::string, std::string> properties_;  // SET: sent as streamsProperties
  std::map<std::string, std::string> variables_;   // DEFINE: sent as sessionVariables
  OutputFormat format_ = OutputFormat::kTabular;
  std::ostream* out_;
  std::ostream* err_;
  std::optional<std::ofstream> spool_;
  std::string spool_path_;
  bool exit_requested_ = false;
  int script_depth_ = 0;
};

}  // namespace sluice::cli
