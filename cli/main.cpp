// sluice: the interactive SQL shell for a Sluice (or ksqlDB) server, as ksqlDB's `ksql` CLI.
//
//   sluice [http://host:8088]                 interactive (or statements from a pipe)
//   sluice [URL] -e 'STATEMENTS'              run them and exit
//   sluice [URL] -f FILE.sql                  run the file and exit
//   options: --output TABULAR|JSON, --help, --version
#include <unistd.h>

#include <iostream>
#include <string>

#include "cli/shell.h"

namespace {

void Usage(std::ostream& out) {
  out << "usage: sluice [http://host:port] [-e|--execute 'STATEMENTS'] [-f|--file FILE.sql]\n"
         "              [--output TABULAR|JSON] [--help] [--version]\n"
         "Without -e/-f: an interactive shell on a terminal; statements read from stdin otherwise.\n"
         "The server defaults to http://localhost:8088.\n";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace sluice::cli;
  std::string server = "http://localhost:8088", execute, file, output;
  bool have_execute = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* flag) -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "sluice: " << flag << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "-h" || a == "--help") {
      Usage(std::cout);
      return 0;
    } else if (a == "--version") {
      std::cout << "Sluice CLI " << kCliVersion << "\n";
      return 0;
    } else if (a == "-e" || a == "--execute") {
      execute = value("-e");
      have_execute = true;
    } else if (a == "-f" || a == "--file") {
      file = value("-f");
    } else if (a == "--output") {
      output = value("--output");
    } else if (!a.empty() && a[0] == '-') {
      std::cerr << "sluice: unknown option " << a << "\n";
      Usage(std::cerr);
      return 2;
    } else {
      server = a;
    }
  }
  std::string error;
  auto url = ParseServerUrl(server, &error);
  if (!url) {
    std::cerr << "sluice: " << error << "\n";
    return 2;
  }
  Shell shell{RestClient(*url)};
  if (!output.empty()) {
    std::string f = output;
    for (char& c : f) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (f != "JSON" && f != "TABULAR") {
      std::cerr << "sluice: --output must be TABULAR or JSON\n";
      return 2;
    }
    shell.set_format(f == "JSON" ? OutputFormat::kJson : OutputFormat::kTabular);
  }

  const bool interactive = !have_execute && file.empty() && isatty(STDIN_FILENO);
  if (interactive) return shell.RunInteractive();

  // Scripting: a server that is not there is an error up front, not one per statement.
  std::string problem = shell.CheckServer(nullptr);
  if (!problem.empty()) {
    std::cerr << "Could not connect to the server at " << url->ToString() << ": " << problem << "\n";
    return 1;
  }
  if (have_execute) return shell.RunText(execute);
  if (!file.empty()) return shell.RunScript(file) ? 0 : 1;
  return shell.RunStream(std::cin);
}
