// sluice: the interactive SQL shell for a Sluice (or ksqlDB) server, as ksqlDB's `ksql` CLI.
//
//   sluice [http://host:8088]                 interactive (or statements from a pipe)
//   sluice [URL] -e 'STATEMENTS'              run them and exit
//   sluice [URL] -f FILE.sql                  run the file and exit
//   options: --output TABULAR|JSON, -u|--user USER, -p|--password PASSWORD, --ca-file FILE,
//            --help, --version
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <optional>
#include <string>

#include "cli/shell.h"

namespace {

void Usage(std::ostream& out) {
  out << "usage: sluice [http[s]://host:port] [-e|--execute 'STATEMENTS'] [-f|--file FILE.sql]\n"
         "              [--output TABULAR|JSON] [-u|--user USER [-p|--password PASSWORD]]\n"
         "              [--ca-file FILE.pem] [--help] [--version]\n"
         "Without -e/-f: an interactive shell on a terminal; statements read from stdin otherwise.\n"
         "The server defaults to http://localhost:8088. --user/--password: HTTP Basic credentials\n"
         "(asked for on the terminal when only --user is given). --ca-file: the CA certificates\n"
         "(PEM) an https server's certificate is checked against instead of the system's.\n";
}

// Reads a line from the terminal without echoing it; nullopt when there is no terminal.
std::optional<std::string> AskPassword(const std::string& user) {
  FILE* tty = std::fopen("/dev/tty", "r+");
  if (!tty) return std::nullopt;
  std::fprintf(tty, "Enter password for %s: ", user.c_str());
  std::fflush(tty);
  termios old{};
  const bool have_termios = tcgetattr(fileno(tty), &old) == 0;
  if (have_termios) {
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
  }
  std::string line;
  for (int c = std::fgetc(tty); c != EOF && c != '\n'; c = std::fgetc(tty)) line += static_cast<char>(c);
  if (have_termios) tcsetattr(fileno(tty), TCSAFLUSH, &old);
  std::fprintf(tty, "\n");
  std::fclose(tty);
  return line;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace sluice::cli;
  std::string server = "http://localhost:8088", execute, file, output, user, password, ca_file;
  bool have_execute = false, have_password = false;
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
    } else if (a == "-u" || a == "--user") {
      user = value("--user");
    } else if (a == "-p" || a == "--password") {
      password = value("--password");
      have_password = true;
    } else if (a == "--ca-file") {
      ca_file = value("--ca-file");
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
  if (have_password && user.empty()) {
    std::cerr << "sluice: --password needs --user\n";
    return 2;
  }
  if (!user.empty() && !have_password) {
    auto asked = isatty(STDIN_FILENO) ? AskPassword(user) : std::nullopt;
    if (!asked) {
      std::cerr << "sluice: --user " << user << " needs --password (no terminal to ask for it)\n";
      return 2;
    }
    password = *asked;
  }
  if (!ca_file.empty() && access(ca_file.c_str(), R_OK) != 0) {
    std::cerr << "sluice: cannot read --ca-file " << ca_file << "\n";
    return 2;
  }
  RestClient client(*url);
  if (!user.empty()) client.set_credentials(user, password);
  if (!ca_file.empty()) client.set_ca_file(ca_file);
  Shell shell{std::move(client)};
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
