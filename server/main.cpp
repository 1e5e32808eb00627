// sluiced: the Sluice server. `sluiced [--config FILE]` starts the REST API over Kafka (the
// embedded broker when bootstrap.servers is unset); `--check` validates a queries file offline;
// `--print-config` prints the sample configuration rendered from the property table;
// `--queries-file FILE` runs headless (ksql.queries.file: the file's statements at start-up,
// POST /ksql refused).
#include <CLI/CLI.hpp>
#include <execinfo.h>
#include <unistd.h>

#include <cstdlib>
#include <exception>
#include <iostream>

#include <spdlog/spdlog.h>

#include "engine/config/server_config.h"
#include "server/check_command.h"
#include "server/http_server.h"
#include "server/server.h"

extern char** environ;

namespace {

// An exception nobody caught ends the server: say which, and where (the stack, for gdb's
// addr2line or c++filt), rather than only "terminate called".
[[noreturn]] void OnTerminate() {
  if (auto e = std::current_exception()) {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      std::cerr << "sluiced: uncaught exception: " << ex.what() << "\n";
    } catch (...) {
      std::cerr << "sluiced: uncaught exception of unknown type\n";
    }
  }
  void* frames[64];
  const int n = backtrace(frames, 64);
  backtrace_symbols_fd(frames, n, STDERR_FILENO);
  std::abort();
}

std::vector<std::string> Environment() {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) env.emplace_back(*e);
  return env;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"sluiced - streaming SQL for Kafka, compatible with ksqlDB"};
  std::string check_file, config_file, queries_file;
  bool check = false, syntax_only = false, print_config = false;
  app.add_flag("--check", check, "Validate a file of statements (FILE) and exit");
  app.add_option("file", check_file, "Statements file for --check")->check(CLI::ExistingFile);
  app.add_flag("--syntax-only", syntax_only, "With --check: parse only, no semantic validation");
  app.add_option("--config", config_file, "Server configuration (Java properties, ksqlDB's names)");
  app.add_option("--queries-file", queries_file,
                 "Headless mode: run this file's statements at start-up (ksql.queries.file)")
      ->check(CLI::ExistingFile);
  app.add_flag("--print-config", print_config, "Print the sample configuration (every property, its default) and exit");
  CLI11_PARSE(app, argc, argv);
  std::set_terminate(OnTerminate);

  if (check) {
    if (check_file.empty()) {
      std::cerr << "sluiced: --check needs a FILE\n";
      return 2;
    }
    // The per-statement lines are the output; engine info logs (query started) would interleave.
    spdlog::set_level(spdlog::level::warn);
    sluice::CheckOptions options;
    options.syntax_only = syntax_only;
    return sluice::RunCheck(check_file, options, std::cout, std::cerr);
  }
  if (print_config) {
    std::cout << sluice::RenderSampleProperties();
    return 0;
  }

  // Before any thread exists (librdkafka, HTTP pool): signals are taken by sigwait only.
  sluice::BlockTerminationSignals();
  std::vector<std::string> warnings;
  std::vector<std::string> environment = Environment();
  // The flag wins over the file and the environment: it goes last, in the environment's form.
  if (!queries_file.empty()) environment.push_back("KSQL_KSQL_QUERIES_FILE=" + queries_file);
  auto config = config_file.empty() ? sluice::ServerConfig::Build({}, environment, &warnings)
                                    : sluice::ServerConfig::Load(config_file, environment, &warnings);
  if (!config.ok()) {
    std::cerr << "sluiced: invalid configuration: " << config.status().message() << "\n";
    return 1;
  }
  for (const std::string& w : warnings) spdlog::warn("{}", w);
  return sluice::RunServer(*config);
}
