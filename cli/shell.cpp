#include "cli/shell.h"

#include <sys/ioctl.h>
#include <sys/select.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>

#include <readline/history.h>
#include <readline/readline.h>

#include "cli/render.h"

namespace sluice::cli {

using nlohmann::json;

namespace {

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

// The statement without leading comments/whitespace and without its trailing `;`.
std::string Core(const std::string& statement) {
  std::string s = statement;
  for (;;) {
    s = Trim(s);
    if (s.rfind("--", 0) == 0) {
      size_t nl = s.find('\n');
      s = nl == std::string::npos ? "" : s.substr(nl + 1);
    } else if (s.rfind("/*", 0) == 0) {
      size_t end = s.find("*/");
      s = end == std::string::npos ? "" : s.substr(end + 2);
    } else {
      break;
    }
  }
  while (!s.empty() && (s.back() == ';' || std::isspace(static_cast<unsigned char>(s.back())))) s.pop_back();
  return s;
}

// Words of a CLI-side statement: quoted strings ('a''b', `x`, "x") unquoted, `=` on its own.
std::vector<std::string> Words(const std::string& s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '=') {
      out.push_back("=");
      ++i;
    } else if (c == '\'' || c == '`' || c == '"') {
      std::string word;
      ++i;
      while (i < s.size()) {
        if (s[i] == c && i + 1 < s.size() && s[i + 1] == c) {
          word += c;
          i += 2;
        } else if (s[i] == c) {
          ++i;
          break;
        } else {
          word += s[i++];
        }
      }
      out.push_back(word);
    } else {
      size_t b = i;
      while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i])) && s[i] != '=') ++i;
      out.push_back(s.substr(b, i - b));
    }
  }
  return out;
}

std::string HistoryPath() {
  if (const char* p = std::getenv("SLUICE_HISTORY_FILE")) return p;
  const char* home = std::getenv("HOME");
  return std::string(home ? home : ".") + "/.sluice_history";
}

// SIGINT: stop the query or request in flight (the shell stays); at the prompt, drop the line.
volatile std::sig_atomic_t g_sigint = 0;
void OnSigint(int) {
  g_sigint = 1;
  RestClient::Interrupt();
}

void InstallSigint() {
  struct sigaction sa {};
  sa.sa_handler = OnSigint;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a blocked select/read returns EINTR
  sigaction(SIGINT, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

const char* kHelp =
    "Statements end with ';' and may span lines. SELECT and PRINT stream their rows (Ctrl-C\n"
    "stops the query, not the shell); everything else goes to the server's /ksql endpoint.\n"
    "\n"
    "CLI commands (a ';' at the end is optional):\n"
    "  help                     this text\n"
    "  exit | quit              leave the shell (Ctrl-D too)\n"
    "  clear                    clear the screen\n"
    "  history                  the statements entered so far\n"
    "  version                  the CLI's version\n"
    "  server [<url>]           show or change the server\n"
    "  output [TABULAR|JSON]    show or change how results are printed\n"
    "  spool <file> | spool off copy everything printed to a file\n"
    "  RUN SCRIPT '<file>';     run the statements of a file\n"
    "\n"
    "Client-side session settings, sent with every request:\n"
    "  SET '<property>'='<value>';   UNSET '<property>';   (streamsProperties)\n"
    "  DEFINE <name> = '<value>';    UNDEFINE <name>;      (sessionVariables, ${name} in statements)\n";

}  // namespace

// ---- StatementBuffer --------------------------------------------------------------------

std::vector<std::string> StatementBuffer::AddLine(const std::string& line) {
  pending_ += line;
  pending_ += '\n';
  std::vector<std::string> done;
  size_t start = 0;
  char quote = 0;
  bool line_comment = false, block_comment = false;
  for (size_t i = 0; i < pending_.size(); ++i) {
    char c = pending_[i];
    char next = i + 1 < pending_.size() ? pending_[i + 1] : '\0';
    if (line_comment) {
      if (c == '\n') line_comment = false;
    } else if (block_comment) {
      if (c == '*' && next == '/') {
        block_comment = false;
        ++i;
      }
    } else if (quote) {
      if (c == quote) quote = 0;  // a doubled quote reopens at once: same result
    } else if (c == '\'' || c == '"' || c == '`') {
      quote = c;
    } else if (c == '-' && next == '-') {
      line_comment = true;
    } else if (c == '/' && next == '*') {
      block_comment = true;
      ++i;
    } else if (c == ';') {
      std::string stmt = Trim(pending_.substr(start, i + 1 - start));
      if (stmt != ";") done.push_back(stmt);
      start = i + 1;
    }
  }
  pending_ = pending_.substr(start);
  if (Core(pending_).empty() && pending_.find("/*") == std::string::npos) pending_.clear();
  return done;
}

bool StatementBuffer::empty() const { return Core(pending_).empty(); }

// ---- Shell ------------------------------------------------------------------------------

Shell::Shell(RestClient client) : client_(std::move(client)), out_(&std::cout), err_(&std::cerr) {}

void Shell::Print(const std::string& text) {
  *out_ << text << std::flush;
  if (spool_) *spool_ << text << std::flush;
}

void Shell::PrintError(const std::string& text) {
  *out_ << std::flush;
  *err_ << text << (text.empty() || text.back() == '\n' ? "" : "\n") << std::flush;
  if (spool_) *spool_ << text << (text.empty() || text.back() == '\n' ? "" : "\n") << std::flush;
}

int Shell::TerminalWidth() const {
  struct winsize ws {};
  if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  if (const char* c = std::getenv("COLUMNS")) {
    int n = std::atoi(c);
    if (n > 0) return n;
  }
  return 80;
}

std::string Shell::CheckServer(json* info) {
  RestResponse r = client_.Get("/info");
  if (!r.ok) return r.error;
  if (r.status == 401)
    return client_.has_credentials() ? "the server refused the user name or password (HTTP 401 Unauthorized)"
                                     : "the server requires a user name and password (HTTP 401 Unauthorized): "
                                       "give them with --user and --password";
  if (r.status == 403) return "the user is not allowed on this server (HTTP 403 Forbidden)";
  if (r.status != 200) return "GET /info answered HTTP " + std::to_string(r.status);
  json j = json::parse(r.body, nullptr, false);
  if (j.is_discarded()) return "GET /info did not answer JSON";
  if (info) *info = j.value("KsqlServerInfo", json::object());
  return "";
}

void Shell::Banner(const json& info, const std::string& error) {
  Print("\n"
        "  ____  _       _\n"
        " / ___|| |_   _(_) ___ ___\n"
        " \\___ \\| | | | | |/ __/ _ \\\n"
        "  ___) | | |_| | | (_|  __/\n"
        " |____/|_|\\__,_|_|\\___\\___|   streaming SQL for Kafka, ksqlDB-compatible\n\n");
  if (!error.empty()) {
    PrintError("**************** WARNING ******************\n"
               "Could not connect to the server at " + client_.url().ToString() + ": " + error +
               "\nStatements will fail until it is reachable ('server <url>' to change it).\n"
               "*******************************************\n");
    Print("CLI v" + std::string(kCliVersion) + "\n\n");
  } else {
    std::string server = info.value("version", "?");
    if (info.contains("sluiceVersion")) server += " (Sluice " + info.value("sluiceVersion", "") + ")";
    Print("CLI v" + std::string(kCliVersion) + ", Server v" + server + " located at " + client_.url().ToString() +
          "\nServer Status: " + info.value("serverStatus", "UNKNOWN") + "\n\n");
  }
  Print("Having trouble? Type 'help' (case-insensitive) for a rundown of how things work!\n\n");
}

json Shell::RequestBody(const std::string& statement) const {
  json body{{"ksql", statement}, {"streamsProperties", json::object()}};
  for (const auto& [k, v] : properties_) body["streamsProperties"][k] = v;
  if (!variables_.empty()) {
    body["sessionVariables"] = json::object();
    for (const auto& [k, v] : variables_) body["sessionVariables"][k] = v;
  }
  return body;
}

bool Shell::TryCommand(const std::string& line) {
  std::vector<std::string> words = Words(Core(line));
  if (words.empty()) return false;
  const std::string first = Upper(words[0]);
  if (first == "HELP" && words.size() == 1) {
    Print(kHelp);
  } else if ((first == "EXIT" || first == "QUIT") && words.size() == 1) {
    exit_requested_ = true;
  } else if (first == "CLEAR" && words.size() == 1) {
    Print("\033[H\033[2J");
  } else if (first == "VERSION" && words.size() == 1) {
    Print("Version: " + std::string(kCliVersion) + "\n");
  } else if (first == "HISTORY" && words.size() == 1) {
    HIST_ENTRY** list = history_list();
    for (int i = 0; list && list[i]; ++i) Print(std::to_string(i + history_base) + ": " + list[i]->line + "\n");
  } else if (first == "SERVER" && words.size() <= 2) {
    if (words.size() == 2) {
      std::string error;
      auto url = ParseServerUrl(words[1], &error);
      if (!url) {
        PrintError(error);
        return true;
      }
      client_.set_url(*url);
      std::string problem = CheckServer(nullptr);
      if (!problem.empty()) PrintError("Could not connect to the server at " + url->ToString() + ": " + problem);
    }
    Print("Server: " + client_.url().ToString() + "\n");
  } else if (first == "OUTPUT" && words.size() <= 2) {
    if (words.size() == 2) {
      std::string f = Upper(words[1]);
      if (f == "JSON") format_ = OutputFormat::kJson;
      else if (f == "TABULAR") format_ = OutputFormat::kTabular;
      else {
        PrintError("Invalid output format: '" + words[1] + "' (valid formats: TABULAR, JSON)");
        return true;
      }
    }
    Print(std::string("Output format: ") + (format_ == OutputFormat::kJson ? "JSON" : "TABULAR") + "\n");
  } else if (first == "SPOOL" && words.size() == 2) {
    if (Upper(words[1]) == "OFF") {
      if (spool_) Print("Spool written to " + spool_path_ + "\n");
      spool_.reset();
    } else {
      spool_.emplace(words[1], std::ios::app);
      if (!*spool_) {
        spool_.reset();
        PrintError("Cannot open spool file " + words[1]);
      } else {
        spool_path_ = words[1];
        Print("Session will be spooled to " + words[1] + "\n");
      }
    }
  } else {
    return false;
  }
  return true;
}

// SET/UNSET/DEFINE/UNDEFINE/RUN SCRIPT, kept by the CLI as ksqlDB's CLI keeps them.
bool Shell::Local(const std::vector<std::string>& w, const std::string& statement, bool* handled) {
  *handled = true;
  const std::string first = w.empty() ? "" : Upper(w[0]);
  if (first == "SET" && w.size() == 4 && w[2] == "=") {
    auto old = properties_.find(w[1]);
    properties_[w[1]] = w[3];
    Print("Successfully changed local property '" + w[1] + "'" +
          (old != properties_.end() ? "" : "") + " to '" + w[3] + "'. Use the UNSET command to revert your change.\n");
    return true;
  }
  if (first == "UNSET" && w.size() == 2) {
    auto it = properties_.find(w[1]);
    if (it == properties_.end()) {
      PrintError("Property '" + w[1] + "' is not set.");
      return false;
    }
    std::string old = it->second;
    properties_.erase(it);
    Print("Successfully unset local property '" + w[1] + "' (value was '" + old + "').\n");
    return true;
  }
  if (first == "DEFINE" && w.size() == 4 && w[2] == "=") {
    variables_[w[1]] = w[3];
    return true;
  }
  if (first == "UNDEFINE" && w.size() == 2) {
    if (!variables_.erase(w[1])) Print("Variable '" + w[1] + "' is not defined.\n");
    return true;
  }
  if (first == "RUN" && w.size() == 3 && Upper(w[1]) == "SCRIPT") return RunScript(w[2]);
  if (TryCommand(statement)) return true;
  *handled = false;
  return true;
}

bool Shell::Execute(const std::string& statement) {
  const std::string core = Core(statement);
  if (core.empty()) return true;
  std::vector<std::string> words = Words(core);
  bool handled = false;
  bool ok = Local(words, statement, &handled);
  if (handled) return ok;
  const std::string first = Upper(words[0]);
  if (first == "SELECT") return RunQuery(core + ";");
  if (first == "PRINT") return RunPrint(core + ";");
  return RunKsql(core + ";");
}

bool Shell::RunScript(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    PrintError("Cannot read script file " + path);
    return false;
  }
  if (script_depth_ >= 8) {
    PrintError("RUN SCRIPT nested too deeply at " + path);
    return false;
  }
  ++script_depth_;
  StatementBuffer buffer;
  std::string line;
  bool ok = true;
  while (ok && std::getline(in, line))
    for (const std::string& s : buffer.AddLine(line))
      if (ok) ok = Execute(s);
  if (ok && !buffer.empty()) {
    PrintError("Script " + path + " ends inside a statement (missing ';')");
    ok = false;
  }
  --script_depth_;
  return ok;
}

bool Shell::RunKsql(const std::string& statement) {
  RestClient::ClearInterrupt();
  RestResponse r = client_.Post("/ksql", RequestBody(statement));
  if (!r.ok) {
    PrintError(r.interrupted ? "Request cancelled (the server may still run the statement)."
                             : "Could not reach the server at " + client_.url().ToString() + ": " + r.error);
    return false;
  }
  if (r.status != 200) {
    if (format_ == OutputFormat::kJson) {
      json j = json::parse(r.body, nullptr, false);
      PrintError(j.is_discarded() ? r.body : j.dump(2));
    } else {
      PrintError(RenderError(r.status, r.body));
    }
    return false;
  }
  json entities = json::parse(r.body, nullptr, false);
  if (entities.is_discarded() || !entities.is_array()) {
    PrintError("The server answered something that is not a list of entities: " + r.body);
    return false;
  }
  if (format_ == OutputFormat::kJson) {
    Print(entities.dump(2) + "\n");
    return true;
  }
  for (const json& e : entities) Print(RenderEntity(e));
  return true;
}

bool Shell::RunQuery(const std::string& statement) {
  RestClient::ClearInterrupt();
  g_sigint = 0;
  JsonArrayStream stream;
  std::optional<QueryTable> table;
  std::string final_message, error_message;
  size_t rows = 0;
  const bool as_json = format_ == OutputFormat::kJson;
  auto on_data = [&](const std::string& piece) {
    for (const std::string& text : stream.Feed(piece)) {
      json element = json::parse(text, nullptr, false);
      if (element.is_discarded() || !element.is_object()) continue;
      if (as_json) {
        Print(element.dump() + "\n");
      }
      if (element.contains("header")) {
        std::vector<std::string> columns = SchemaColumnNames(element["header"].value("schema", ""));
        table.emplace(columns, TerminalWidth());
        if (!as_json) Print(table->Header());
      } else if (element.contains("row")) {
        std::vector<std::string> cells;
        for (const json& v : element["row"].value("columns", json::array())) cells.push_back(FormatValue(v));
        ++rows;
        if (!as_json) {
          if (!table) {
            std::vector<std::string> names;
            for (size_t i = 0; i < cells.size(); ++i) names.push_back("COL" + std::to_string(i));
            table.emplace(names, TerminalWidth());
            Print(table->Header());
          }
          Print(table->Row(cells));
        }
      } else if (element.contains("finalMessage")) {
        final_message = element.value("finalMessage", "");
      } else if (element.contains("errorMessage")) {
        const json& e = element["errorMessage"];
        error_message = e.is_object() ? e.value("message", e.dump()) : e.dump();
      }
    }
    return !RestClient::Interrupted();
  };
  RestResponse r = client_.PostStreaming("/query", RequestBody(statement), on_data);
  const bool interrupted = r.interrupted || RestClient::Interrupted();
  if (ReportStreamRefused(r, interrupted, as_json)) return false;
  if (table && !as_json) Print(table->Footer());
  if (!error_message.empty()) {
    PrintError(error_message);
    return false;
  }
  if (!r.error.empty() && !interrupted) {
    PrintError("The query's connection broke: " + r.error);
    return false;
  }
  if (!as_json) {
    if (!final_message.empty() && final_message != "Query Completed") Print(final_message + "\n");
    Print("Query terminated\n");
  }
  return true;
}

// A streamed POST /query (push query, PRINT) that got no stream: the server is not there, or
// it answered an error status. Says so and returns true; false when the stream was served.
bool Shell::ReportStreamRefused(const RestResponse& r, bool interrupted, bool as_json) {
  if (!r.ok && !interrupted) {
    PrintError("Could not reach the server at " + client_.url().ToString() + ": " + r.error);
    return true;
  }
  if (r.ok && r.status != 200) {
    PrintError(as_json ? r.body : RenderError(r.status, r.body));
    return true;
  }
  return false;
}

// PRINT streams lines of text (POST /query): each printed as it completes, the server's empty
// keep-alive lines skipped, then "Topic printing ceased", as ksqlDB's CLI does. Ctrl-C stops it.
bool Shell::RunPrint(const std::string& statement) {
  RestClient::ClearInterrupt();
  g_sigint = 0;
  std::string partial;
  auto on_data = [&](const std::string& piece) {
    partial += piece;
    size_t start = 0, nl;
    while ((nl = partial.find('\n', start)) != std::string::npos) {
      std::string line = partial.substr(start, nl - start);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (!line.empty()) Print(line + "\n");
      start = nl + 1;
    }
    partial.erase(0, start);
    return !RestClient::Interrupted();
  };
  RestResponse r = client_.PostStreaming("/query", RequestBody(statement), on_data);
  const bool interrupted = r.interrupted || RestClient::Interrupted();
  if (ReportStreamRefused(r, interrupted, format_ == OutputFormat::kJson)) return false;
  if (!partial.empty() && !interrupted) Print(partial + "\n");
  if (!r.error.empty() && !interrupted) {
    PrintError("The PRINT's connection broke: " + r.error);
    return false;
  }
  Print("Topic printing ceased\n");
  return true;
}

// ---- the three ways in ------------------------------------------------------------------

int Shell::RunText(const std::string& text) {
  StatementBuffer buffer;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (buffer.empty() && TryCommand(line)) {
      if (exit_requested_) return 0;
      continue;
    }
    for (const std::string& s : buffer.AddLine(line))
      if (!Execute(s)) return 1;
    if (exit_requested_) return 0;
  }
  if (!buffer.empty()) {
    PrintError("Input ends inside a statement (missing ';')");
    return 1;
  }
  return 0;
}

int Shell::RunStream(std::istream& in) {
  InstallSigint();
  StatementBuffer buffer;
  std::string line;
  while (!exit_requested_ && std::getline(in, line)) {
    if (buffer.empty() && TryCommand(line)) continue;
    for (const std::string& s : buffer.AddLine(line))
      if (!Execute(s)) return 1;
  }
  if (!exit_requested_ && !buffer.empty()) {
    PrintError("Input ends inside a statement (missing ';')");
    return 1;
  }
  return 0;
}

namespace {

// The readline callback interface: lines arrive in OnLine while the shell waits in select(),
// so a SIGINT at the prompt interrupts the wait and can drop the typed line.
Shell* g_shell = nullptr;
StatementBuffer* g_buffer = nullptr;
bool g_eof = false;
const char* kPrompt = "ksql> ";
const char* kContinuation = "    > ";

void OnLine(char* raw) {
  if (!raw) {
    g_eof = true;
    rl_callback_handler_remove();
    return;
  }
  std::string line(raw);
  std::free(raw);
  rl_callback_handler_remove();  // the terminal back to normal while the statement runs
  if (g_buffer->empty() && g_shell->TryCommand(line)) {
    if (!Trim(line).empty()) {
      add_history(line.c_str());
      append_history(1, HistoryPath().c_str());
    }
  } else {
    std::vector<std::string> statements = g_buffer->AddLine(line);
    for (const std::string& s : statements) {
      add_history(s.c_str());
      append_history(1, HistoryPath().c_str());
      g_shell->Execute(s);
      if (g_shell->exit_requested()) break;
    }
  }
  g_sigint = 0;  // a Ctrl-C that stopped a query is spent
  if (g_shell->exit_requested()) {
    g_eof = true;
    return;
  }
  rl_callback_handler_install(g_buffer->empty() ? kPrompt : kContinuation, OnLine);
}

}  // namespace

int Shell::RunInteractive() {
  json info;
  std::string problem = CheckServer(&info);
  Banner(info, problem);

  const std::string history = HistoryPath();
  using_history();
  read_history(history.c_str());
  if (FILE* f = std::fopen(history.c_str(), "a")) std::fclose(f);  // append_history needs the file

  InstallSigint();
  rl_catch_signals = 0;  // SIGINT is ours
  StatementBuffer buffer;
  g_shell = this;
  g_buffer = &buffer;
  g_eof = false;
  rl_callback_handler_install(kPrompt, OnLine);
  while (!g_eof) {
    fd_set fds;
    FD_ZERO(&fds);
    FD_SET(STDIN_FILENO, &fds);
    int n = select(STDIN_FILENO + 1, &fds, nullptr, nullptr, nullptr);
    if (n < 0 && errno == EINTR) {
      if (g_sigint) {
        // Ctrl-C at the prompt: drop what was typed (and any pending lines), new prompt.
        g_sigint = 0;
        RestClient::ClearInterrupt();
        buffer.Clear();
        rl_free_line_state();
        rl_callback_sigcleanup();
        rl_replace_line("", 0);
        rl_callback_handler_remove();
        std::fputs("\n", stdout);
        rl_callback_handler_install(kPrompt, OnLine);
      }
      continue;
    }
    if (n > 0) rl_callback_read_char();
  }
  rl_callback_handler_remove();
  history_truncate_file(history.c_str(), 1000);
  Print("Exiting Sluice CLI.\n");
  return 0;
}

}  // namespace sluice::cli
