#include "server/query_endpoints.h"

#include <algorithm>
#include <cctype>
#include <chrono>

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "engine/executor/print_query.h"
#include "engine/executor/pull/pull_plan.h"
#include "engine/parser/parser.h"
#include "server/http_server.h"

namespace sluice {

namespace asio = boost::asio;
using json = nlohmann::json;
using ojson = nlohmann::ordered_json;  // keys in ksqlDB's order

namespace {

constexpr const char* kDelimitedType = "application/vnd.ksqlapi.delimited.v1";

// application/json when the client asks for it (and not for the delimited form).
bool WantsJson(const std::string& accept) {
  return accept.find("application/json") != std::string::npos &&
         accept.find("vnd.ksqlapi.delimited") == std::string::npos;
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string StatementError(const std::string& message, const std::string& sql, int code = 40001) {
  ojson j{{"@type", "statement_error"}, {"error_code", code}, {"message", message},
          {"statementText", sql}, {"entities", json::array()}};
  return j.dump();
}

// Request properties ("streamsProperties" for /query, "properties" for /query-stream; either is
// read) and session variables. Returns an error message for a malformed field.
std::string ReadOptions(const json& request, std::map<std::string, std::string>& properties,
                        std::map<std::string, std::string>& variables) {
  for (const char* field : {"streamsProperties", "properties"}) {
    if (!request.contains(field) || request[field].is_null()) continue;
    if (!request[field].is_object()) return std::string("Invalid field: ") + field + " must be a JSON object";
    for (auto& [k, v] : request[field].items()) properties[k] = PropertyText(v);
  }
  if (request.contains("sessionVariables") && !request["sessionVariables"].is_null()) {
    if (!request["sessionVariables"].is_object()) return "Invalid field: sessionVariables must be a JSON object";
    for (auto& [k, v] : request["sessionVariables"].items()) variables[Upper(k)] = PropertyText(v);
  }
  return "";
}

// The request's one statement without running the lexer over it twice (SplitStatements, then
// the parser): when the text is plain ASCII without comments and its only ';' is its last
// character, it is one statement from its first non-blank character to that ';', exactly what
// SplitStatements would cut. Anything else (a ';' in a string, comments, no ';', UTF-8) goes
// through SplitStatements. Saves ~10% of a pull query's server time.
std::vector<RawStatement> SplitRequestStatements(const std::string& sql) {
  const size_t last = sql.find_last_not_of(" \t\r\n");
  const bool simple = last != std::string::npos && sql[last] == ';' && sql.find(';') == last &&
                      sql.find("--") == std::string::npos && sql.find("/*") == std::string::npos &&
                      std::all_of(sql.begin(), sql.end(), [](char c) { return c > 0; });
  if (!simple) return SplitStatements(sql);
  const size_t first = sql.find_first_not_of(" \t\r\n");
  RawStatement raw;
  raw.text = sql.substr(first, last + 1 - first);
  const size_t line_start = sql.rfind('\n', first);
  raw.pos.line = 1 + static_cast<int>(std::count(sql.begin(), sql.begin() + static_cast<std::ptrdiff_t>(first), '\n'));
  raw.pos.column = static_cast<int>(line_start == std::string::npos ? first + 1 : first - line_start);
  return {raw};
}

// ---- JSON row -> INSERT ... VALUES literal ------------------------------------------------

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

std::string Ident(const std::string& s) {
  std::string out = "`";
  for (char c : s) out += c == '`' ? std::string("``") : std::string(1, c);
  return out + "`";
}

bool IsNumberText(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '+' && c != 'e' && c != 'E')
      return false;
  return true;
}

Result<std::string> Literal(const json& v, const SqlType& type, const std::string& column) {
  auto coerce_error = [&]() -> Status {
    return Status::InvalidArgument("Can't coerce a field of type " + std::string(v.type_name()) + " (" + v.dump() +
                                   ") into type " + type.ToString() + " (column " + column + ")");
  };
  if (v.is_null()) return std::string("NULL");
  switch (type.kind) {
    case TypeKind::kBoolean:
      if (v.is_boolean()) return std::string(v.get<bool>() ? "TRUE" : "FALSE");
      if (v.is_string()) {
        std::string u = Upper(v.get<std::string>());
        if (u == "TRUE" || u == "FALSE") return u;
      }
      return coerce_error();
    case TypeKind::kInteger:
    case TypeKind::kBigint:
      if (v.is_number_integer()) return v.dump();
      return coerce_error();
    case TypeKind::kDouble:
    case TypeKind::kDecimal:
      if (v.is_number()) return v.dump();
      if (v.is_string() && IsNumberText(v.get<std::string>())) return v.get<std::string>();
      return coerce_error();
    case TypeKind::kString:
      if (v.is_string()) return Quote(v.get<std::string>());
      return coerce_error();
    case TypeKind::kArray: {
      if (!v.is_array()) return coerce_error();
      std::string out = "ARRAY[";
      for (size_t i = 0; i < v.size(); ++i) {
        auto e = Literal(v[i], *type.element, column);
        if (!e.ok()) return e.status();
        out += (i ? ", " : "") + *e;
      }
      return out + "]";
    }
    case TypeKind::kMap: {
      if (!v.is_object()) return coerce_error();
      std::string out = "MAP(";
      bool first = true;
      for (auto& [k, item] : v.items()) {
        auto e = Literal(item, *type.value, column);
        if (!e.ok()) return e.status();
        out += (first ? "" : ", ") + Quote(k) + " := " + *e;
        first = false;
      }
      return out + ")";
    }
    case TypeKind::kStruct: {
      if (!v.is_object()) return coerce_error();
      std::string out = "STRUCT(";
      bool first = true;
      for (auto& [k, item] : v.items()) {
        const StructField* field = nullptr;
        for (const StructField& f : type.fields)
          if (f.name == k || f.name == Upper(k)) field = &f;
        if (!field) return Status::InvalidArgument("Unknown field " + k + " in struct column " + column);
        auto e = Literal(item, *field->type, column);
        if (!e.ok()) return e.status();
        out += (first ? "" : ", ") + Ident(field->name) + " := " + *e;
        first = false;
      }
      return out + ")";
    }
    default:  // DATE, TIME, TIMESTAMP, BYTES: the engine converts the string literal
      if (v.is_string()) return Quote(v.get<std::string>());
      if (v.is_number_integer()) return v.dump();
      return coerce_error();
  }
}

// {"ID": 1, "name": "x"} -> INSERT INTO `S` (`ID`, `NAME`) VALUES (1, 'x'); keys match column
// names as written, else upper-cased (ksqlDB's unquoted identifiers).
Result<std::string> InsertSql(const DataSource& source, const json& row) {
  std::string cols, vals;
  for (auto& [key, value] : row.items()) {
    const SourceColumn* col = source.FindColumn(key);
    if (!col) col = source.FindColumn(Upper(key));
    std::string name;
    TypePtr type;
    if (col) {
      name = col->name;
      type = col->type;
    } else if (Upper(key) == "ROWTIME") {
      name = "ROWTIME";
      type = SqlType::Bigint();
    } else {
      return Status::InvalidArgument("Column " + key + " does not exist in " + source.name);
    }
    auto lit = Literal(value, *type, name);
    if (!lit.ok()) return lit.status();
    cols += (cols.empty() ? "" : ", ") + Ident(name);
    vals += (vals.empty() ? "" : ", ") + *lit;
  }
  if (cols.empty()) return Status::InvalidArgument("Empty row: no column to insert into " + source.name);
  return "INSERT INTO " + Ident(source.name) + " (" + cols + ") VALUES (" + vals + ");";
}

// ---- a transient query's rows -> the response ---------------------------------------------

// Also PRINT's text lines (TextLineSink), after SetText(): one line per record, each ending
// with '\n', as ksqlDB's TopicStreamWriter writes them into the /query response.
class ResponseSink : public QueryRowSink, public TextLineSink {
 public:
  enum class Format { kV1, kDelimited, kJson };
  ResponseSink(std::shared_ptr<HttpExchange> ex, Format format, std::string sql)
      : ex_(std::move(ex)), format_(format), sql_(std::move(sql)) {}

  void OnSchema(const QueryResultSchema& schema) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (begun_ || ended_) return;
    begun_ = true;
    is_pull_ = schema.is_pull;
    buffering_ = schema.is_pull;
    if (schema.pull_on_stream) stream_pull_limit_ = schema.limit.value_or(-1);
    if (!buffering_) ex_->Begin(200, ContentType());
    ojson meta;
    switch (format_) {
      case Format::kV1:
        meta = {{"header", {{"queryId", schema.query_id}, {"schema", schema.schema}}}};
        Emit("[" + meta.dump());
        break;
      case Format::kDelimited:
      case Format::kJson:
        meta = {{"queryId", schema.query_id}, {"columnNames", schema.column_names},
                {"columnTypes", schema.column_types}};
        Emit(format_ == Format::kJson ? "[" + meta.dump() : meta.dump() + "\n");
        break;
    }
  }

  bool OnRow(QueryRow row) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!begun_ || ended_) return false;
    ++rows_;
    switch (format_) {
      case Format::kV1: {
        ojson r{{"columns", row.columns}};
        if (row.tombstone) r["tombstone"] = true;
        return Emit(",\n" + ojson{{"row", r}}.dump());
      }
      case Format::kDelimited: return Emit(row.columns.dump() + "\n");
      case Format::kJson: return Emit("," + row.columns.dump());
    }
    return false;
  }

  void SetText() {
    std::lock_guard<std::mutex> lock(mu_);
    text_ = true;
  }

  bool OnLines(const std::vector<std::string>& lines) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (ended_) return false;
    if (!begun_) {
      begun_ = true;
      ex_->Begin(200, ContentType());
    }
    std::string chunk;
    for (const std::string& line : lines) chunk += line + "\n";
    return ex_->Write(chunk);
  }

  void OnEnd(const Status& status) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (ended_) return;
    ended_ = true;
    if (text_) return EndText(status);
    if (!begun_) {
      // Failed before its first row: a plain error answer.
      if (!status.ok()) ex_->Reply(400, StatementError(status.message(), sql_), ContentType());
      else ex_->Reply(500, ErrorBody(50000, "The query ended without a schema: " + sql_), ContentType());
      return;
    }
    const std::string error = status.ok() ? "" : ErrorBody(50000, status.message());
    switch (format_) {
      case Format::kV1:
        if (!status.ok()) Emit(",\n" + std::string("{\"errorMessage\":") + error + "}]\n");
        else if (const char* final = FinalMessage()) Emit(std::string(",\n{\"finalMessage\":\"") + final + "\"}]\n");
        else Emit("]\n");
        break;
      case Format::kDelimited:
        if (!status.ok()) Emit(error + "\n");
        break;
      case Format::kJson: Emit(status.ok() ? "]" : "," + error + "]"); break;
    }
    if (buffering_) ex_->Respond(200, ContentType(), std::move(buffered_));
    else ex_->End();
  }

  // PRINT's end. Refused before any line: ksqlDB's Errors.badRequest (generic_error 40000).
  // Failed while printing: the message as the last line (TopicStreamWriter.outputException).
  void EndText(const Status& status) {
    if (!begun_) {
      if (!status.ok()) return ex_->Reply(400, ErrorBody(40000, status.message()), ContentType());
      ex_->Begin(200, ContentType());  // LIMIT 0: an empty answer
    } else if (!status.ok()) {
      ex_->Write(status.message() + "\n");
    }
    ex_->End();
  }

  // ksqlDB's last line of a /query answer: a push query that stopped at its LIMIT, or a pull
  // query over a stream (which scanned to the end or to its LIMIT); none for table pulls.
  const char* FinalMessage() const {
    if (!is_pull_) return closing_ ? nullptr : "Limit Reached";
    if (!stream_pull_limit_) return nullptr;
    return *stream_pull_limit_ >= 0 && rows_ >= *stream_pull_limit_ ? "Limit Reached" : "Query Completed";
  }

  void SetClosing() {
    std::lock_guard<std::mutex> lock(mu_);
    closing_ = true;
  }

  // A pull query's answer is queued whole at its end (one wake of the connection, one write),
  // unless it grows past kPullBufferBytes: then it streams like a push query's.
  static constexpr size_t kPullBufferBytes = 64 * 1024;
  bool Emit(std::string piece) {
    if (!buffering_) return ex_->Write(std::move(piece));
    buffered_bytes_ += piece.size();
    buffered_.push_back(std::move(piece));
    if (buffered_bytes_ <= kPullBufferBytes) return true;
    buffering_ = false;
    ex_->Begin(200, ContentType());
    bool ok = true;
    for (auto& p : buffered_) ok = ok && ex_->Write(std::move(p));
    buffered_.clear();
    return ok;
  }

  std::string ContentType() const {
    switch (format_) {
      case Format::kV1: return WantsJson(ex_->request().accept) ? "application/json" : kKsqlContentType;
      case Format::kDelimited: return kDelimitedType;
      case Format::kJson: return "application/json";
    }
    return kKsqlContentType;
  }

 private:
  std::mutex mu_;
  std::shared_ptr<HttpExchange> ex_;
  Format format_;
  std::string sql_;
  bool begun_ = false, ended_ = false, is_pull_ = false, closing_ = false, text_ = false;
  std::optional<int64_t> stream_pull_limit_;  // set for a pull query over a stream (-1: no LIMIT)
  int64_t rows_ = 0;
  bool buffering_ = false;
  std::vector<std::string> buffered_;
  size_t buffered_bytes_ = 0;
};

}  // namespace

// One push query in flight: its handle (destroyed to stop it) and its response.
struct QueryEndpoints::ActiveQuery {
  std::mutex mu;
  std::unique_ptr<RunningQuery> handle;
  StatementPtr statement;
  std::shared_ptr<ResponseSink> sink;
  std::string id;
  bool closed = false;  // the exchange is over: a handle arriving now is destroyed at once
};

// One /inserts-stream request.
struct QueryEndpoints::InsertStream {
  std::shared_ptr<HttpExchange> ex;
  asio::strand<asio::thread_pool::executor_type> strand;
  std::string partial;  // network side: bytes after the last newline
  bool json_acks = false;
  bool have_args = false;
  bool done = false;
  DataSourcePtr source;
  int64_t seq = 0;
  bool first_ack = true;
  InsertStream(std::shared_ptr<HttpExchange> e, asio::thread_pool& pool)
      : ex(std::move(e)), strand(asio::make_strand(pool.get_executor())) {}
};

// ---- command statuses -------------------------------------------------------------------

void CommandStatuses::RecordKsqlAnswer(const std::string& body) {
  json answer = json::parse(body, nullptr, false);
  if (!answer.is_array()) return;
  for (const json& e : answer) {
    if (!e.is_object() || !e.contains("commandId") || !e.contains("commandStatus")) continue;
    const json& cs = e["commandStatus"];
    if (!e["commandId"].is_string() || !cs.is_object()) continue;
    Record(e["commandId"].get<std::string>(), cs.value("status", "SUCCESS"), cs.value("message", ""));
  }
}

void CommandStatuses::Record(const std::string& command_id, const std::string& status, const std::string& message) {
  std::lock_guard<std::mutex> lock(mu_);
  entries_[command_id] = {status, message};
}

HttpReply CommandStatuses::All() const {
  std::lock_guard<std::mutex> lock(mu_);
  ojson statuses = ojson::object();
  for (const auto& [id, e] : entries_) statuses[id] = e.status;
  return {200, ojson{{"commandStatuses", statuses}}.dump()};
}

HttpReply CommandStatuses::One(const std::string& command_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(command_id);
  if (it == entries_.end()) {
    // ksqlDB quotes the entity with backticks for streams/tables; accept it with or without.
    for (const auto& [id, e] : entries_) {
      std::string plain;
      for (char c : id)
        if (c != '`') plain += c;
      if (plain == command_id) {
        it = entries_.find(id);
        break;
      }
    }
  }
  if (it == entries_.end()) return {404, ErrorBody(40400, "Command not found: " + command_id)};
  return {200, ojson{{"status", it->second.status}, {"message", it->second.message}}.dump()};
}

// ---- queries ----------------------------------------------------------------------------

QueryEndpoints::QueryEndpoints(KsqlService& service) : service_(service) {}

void QueryEndpoints::SetHost(std::string host) {
  std::lock_guard<std::mutex> lock(mu_);
  host_ = std::move(host);
}

QueryEndpoints::~QueryEndpoints() { Shutdown(); }

void QueryEndpoints::Shutdown() {
  StopAll();
  pool_.join();
  StopAll();  // a push query whose start was in flight during the first pass
}

size_t QueryEndpoints::running() const {
  std::lock_guard<std::mutex> lock(mu_);
  return active_.size();
}

void QueryEndpoints::Query(const std::shared_ptr<HttpExchange>& ex) {
  const std::string ctype = WantsJson(ex->request().accept) ? "application/json" : kKsqlContentType;
  json request = json::parse(ex->request().body, nullptr, false);
  if (request.is_discarded() || !request.is_object())
    return ex->Reply(400, ErrorBody(40000, "Invalid JSON in request: the body must be a JSON object {\"ksql\": \"...\"}"),
                     ctype);
  if (!request.contains("ksql") || !request["ksql"].is_string())
    return ex->Reply(400, ErrorBody(40000, "No ksql in arguments: the body needs \"ksql\": \"SELECT ...;\""), ctype);
  std::map<std::string, std::string> properties, variables;
  std::string bad = ReadOptions(request, properties, variables);
  if (!bad.empty()) return ex->Reply(400, ErrorBody(40000, bad), ctype);
  Start(ex, Format::kV1, request["ksql"].get<std::string>(), std::move(properties), std::move(variables));
}

void QueryEndpoints::QueryStream(const std::shared_ptr<HttpExchange>& ex) {
  const std::string ctype = WantsJson(ex->request().accept) ? "application/json" : kDelimitedType;
  json request = json::parse(ex->request().body, nullptr, false);
  if (request.is_discarded() || !request.is_object())
    return ex->Reply(400, ErrorBody(40000, "Invalid JSON in request: the body must be a JSON object {\"sql\": \"...\"}"),
                     ctype);
  if (!request.contains("sql") || !request["sql"].is_string())
    return ex->Reply(400, ErrorBody(40000, "No sql in arguments"), ctype);
  std::map<std::string, std::string> properties, variables;
  std::string bad = ReadOptions(request, properties, variables);
  if (!bad.empty()) return ex->Reply(400, ErrorBody(40000, bad), ctype);
  Start(ex, WantsJson(ex->request().accept) ? Format::kJson : Format::kDelimited, request["sql"].get<std::string>(),
        std::move(properties), std::move(variables));
}

// A pull query holds the engine lock only while it is analyzed: the read itself goes through
// the query runner, which serves concurrent reads, so pull queries run side by side.
void QueryEndpoints::RunPull(const std::shared_ptr<HttpExchange>& ex, const QueryStatement& query,
                             const RawStatement& raw, const std::map<std::string, std::string>& properties,
                             const std::shared_ptr<QueryRowSink>& sink) {
  std::unique_lock<std::mutex> engine_lock(service_.engine_mutex());
  auto prepared = service_.engine().PreparePullQuery(query, properties, &raw);
  if (!prepared.ok()) {
    engine_lock.unlock();
    spdlog::info("REST {}: query not started: {}", ex->request().path, prepared.status().message());
    sink->OnEnd(prepared.status());
    return;
  }
  if (!(*prepared)->needs_engine_lock()) engine_lock.unlock();
  (*prepared)->Run(sink);
}

// A pull query whose text differs from an earlier one only in its literals skips the parser
// (Engine::PrepareCachedPullQuery); false when the cache has nothing for it.
bool QueryEndpoints::RunCachedPull(const RawStatement& raw, const std::map<std::string, std::string>& properties,
                                   const std::shared_ptr<QueryRowSink>& sink) {
  std::unique_lock<std::mutex> engine_lock(service_.engine_mutex());
  auto prepared = service_.engine().PrepareCachedPullQuery(raw, properties);
  if (!prepared.ok() || !*prepared) return false;
  if (!(*prepared)->needs_engine_lock()) engine_lock.unlock();
  (*prepared)->Run(sink);
  return true;
}

// A pull query the plan cache knows runs at once on the network thread: no hand-off to the
// worker pool and back (two thread switches per lookup). Only when the engine
// lock is free now (a DDL holding it must not stall the network thread), when the rows need no
// engine lock, and when the query accepts a copy up to sluice.query.pull.max.staleness.ms old
// (0 asks the broker at every query: that waits on the worker pool).
bool QueryEndpoints::RunCachedPullInline(const std::string& sql, const std::map<std::string, std::string>& properties,
                                         const std::shared_ptr<QueryRowSink>& sink) {
  std::unique_lock<std::mutex> engine_lock(service_.engine_mutex(), std::try_to_lock);
  if (!engine_lock.owns_lock()) return false;
  std::string staleness;
  if (auto it = properties.find(kPullMaxStalenessProperty); it != properties.end()) staleness = it->second;
  else if (auto e = service_.engine().properties().find(kPullMaxStalenessProperty);
           e != service_.engine().properties().end())
    staleness = e->second;
  if (!staleness.empty() && staleness.find_first_not_of('0') == std::string::npos) return false;
  auto statements = SplitRequestStatements(sql);
  if (statements.size() != 1) return false;
  auto prepared = service_.engine().PrepareCachedPullQuery(statements[0], properties);
  if (!prepared.ok() || !*prepared || (*prepared)->needs_engine_lock()) return false;
  engine_lock.unlock();
  (*prepared)->Run(sink);
  return true;
}

void QueryEndpoints::Start(const std::shared_ptr<HttpExchange>& ex, Format format, std::string sql,
                           std::map<std::string, std::string> properties, std::map<std::string, std::string> variables) {
  auto sink = std::make_shared<ResponseSink>(ex, static_cast<ResponseSink::Format>(format), sql);
  auto active = std::make_shared<ActiveQuery>();
  active->sink = sink;
  // The client went away, or the response is complete: the query ends (destroyed on the pool,
  // under the engine lock; never on a stream thread, which the destruction may wait for).
  ex->OnClose([this, active] {
    std::unique_ptr<RunningQuery> handle;
    {
      std::lock_guard<std::mutex> lock(active->mu);
      active->closed = true;
      handle = std::move(active->handle);
    }
    if (!active->id.empty()) {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = active_.find(active->id);
      if (it != active_.end() && it->second == active) active_.erase(it);
    }
    if (!handle) return;
    auto holder = std::make_shared<std::unique_ptr<RunningQuery>>(std::move(handle));
    asio::post(pool_, [this, holder, id = active->id] {
      std::lock_guard<std::mutex> lock(service_.engine_mutex());
      holder->reset();
      spdlog::info("Push query {} stopped: its response ended or its client went away", id);
    });
  });

  if (RunCachedPullInline(sql, properties, sink)) return;
  asio::post(pool_, [this, ex, format, sink, active, sql = std::move(sql), properties = std::move(properties),
                      variables = std::move(variables)] {
    if (ex->closed()) return;
    auto statements = SplitRequestStatements(sql);
    if (statements.size() != 1) {
      sink->OnEnd(Status::InvalidArgument(statements.empty() ? "No statement in the request"
                                                              : "Expected exactly one SELECT statement, got " +
                                                                    std::to_string(statements.size())));
      return;
    }
    if (RunCachedPull(statements[0], properties, sink)) return;
    auto parsed = ParseStatement(statements[0], &variables);
    if (!parsed.ok()) {
      sink->OnEnd(parsed.status());
      return;
    }
    if ((*parsed)->kind == StatementKind::kPrintTopic && format == Format::kV1) {
      active->statement = std::move(*parsed);
      return RunPrint(ex, active, sql);
    }
    if ((*parsed)->kind != StatementKind::kQuery) {
      sink->OnEnd(Status::InvalidArgument("Not a SELECT statement; use the /ksql endpoint for it: " + sql));
      return;
    }
    active->statement = std::move(*parsed);
    const auto& query = static_cast<const QueryStatement&>(*active->statement);
    if (query.query && query.query->emit == EmitKind::kNone) return RunPull(ex, query, statements[0], properties, sink);
    std::lock_guard<std::mutex> engine_lock(service_.engine_mutex());
    auto started = service_.engine().StartQuery(static_cast<const QueryStatement&>(*active->statement), properties, sink);
    if (!started.ok()) {
      spdlog::info("REST {}: query not started: {}", ex->request().path, started.status().message());
      sink->OnEnd(started.status());
      return;
    }
    Keep(ex, active, std::move(*started), sql);
  });
}

// A query that goes on streaming: kept until its response ends or /close-query stops it.
void QueryEndpoints::Keep(const std::shared_ptr<HttpExchange>& ex, const std::shared_ptr<ActiveQuery>& active,
                          std::unique_ptr<RunningQuery> handle, const std::string& sql) {
  if (handle->finished()) return;  // a pull query: every row is queued already
  std::lock_guard<std::mutex> lock(active->mu);
  if (active->closed) return;  // the client left meanwhile: `handle` stops it here
  active->id = handle->id();
  active->handle = std::move(handle);
  {
    std::lock_guard<std::mutex> reg(mu_);
    if (stopped_) {
      active->handle.reset();
      return;
    }
    active_[active->id] = active;
  }
  spdlog::info("Push query {} started for {} ({})", active->id, ex->request().peer, sql);
}

// PRINT streams text lines; it reads only the query runner and the schema registry, so it
// starts without the engine lock.
void QueryEndpoints::RunPrint(const std::shared_ptr<HttpExchange>& ex, const std::shared_ptr<ActiveQuery>& active,
                              const std::string& sql) {
  active->sink->SetText();
  auto started = StartPrint(service_.engine(), static_cast<const PrintTopic&>(*active->statement), active->sink);
  if (!started.ok()) {
    spdlog::info("REST {}: PRINT not started: {}", ex->request().path, started.status().message());
    active->sink->OnEnd(started.status());
    return;
  }
  Keep(ex, active, std::move(*started), sql);
}

void QueryEndpoints::Stop(const std::string& query_id) {
  std::shared_ptr<ActiveQuery> active;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = active_.find(query_id);
    if (it == active_.end()) return;
    active = it->second;
    active_.erase(it);
  }
  std::unique_ptr<RunningQuery> handle;
  {
    std::lock_guard<std::mutex> lock(active->mu);
    handle = std::move(active->handle);
  }
  active->sink->SetClosing();
  {
    std::lock_guard<std::mutex> lock(service_.engine_mutex());
    handle.reset();
  }
  active->sink->OnEnd(Status::OK());  // ends the response if stopping the query did not
}

void QueryEndpoints::CloseQuery(const std::shared_ptr<HttpExchange>& ex) {
  json request = json::parse(ex->request().body, nullptr, false);
  if (request.is_discarded() || !request.is_object())
    return ex->Reply(400, ErrorBody(40000, "Invalid JSON in request: the body must be {\"queryId\": \"...\"}"),
                     "application/json");
  if (!request.contains("queryId") || !request["queryId"].is_string())
    return ex->Reply(400, ErrorBody(40000, "No queryId in arguments"), "application/json");
  const std::string id = request["queryId"].get<std::string>();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!active_.count(id))
      return ex->Reply(400, ErrorBody(40000, "No query with id " + id), "application/json");
  }
  asio::post(pool_, [this, ex, id] {
    Stop(id);
    spdlog::info("Push query {} closed by /close-query", id);
    ex->Reply(200, "", "application/json");
  });
}

void QueryEndpoints::StopAll() {
  std::vector<std::string> ids;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopped_ = true;
    for (const auto& [id, a] : active_) ids.push_back(id);
  }
  for (const std::string& id : ids) Stop(id);
}

HttpReply QueryEndpoints::ClusterStatus() const {
  const int64_t now = NowMs();
  std::string name;
  {
    std::lock_guard<std::mutex> lock(mu_);
    name = host_;
  }
  ojson host{{"hostAlive", true},
             {"lastStatusUpdateMs", now},
             {"activeStandbyPerQuery", ojson::object()},
             {"hostStoreLags", {{"stateStoreLags", ojson::object()}, {"updateTimeMs", now}}}};
  return {200, ojson{{"clusterStatus", {{name, host}}}}.dump()};
}

// ---- inserts ----------------------------------------------------------------------------

void QueryEndpoints::InsertsStream(const std::shared_ptr<HttpExchange>& ex) {
  if (ex->request().version != 20)
    return ex->Reply(400, ErrorBody(40004, "This endpoint is only available when using HTTP2"), "application/json");
  auto stream = std::make_shared<InsertStream>(ex, pool_);
  stream->json_acks = WantsJson(ex->request().accept);
  // Lines are cut on the network thread and handled in order on the stream's strand.
  ex->OnBody([this, stream](std::string_view data, bool last) {
    stream->partial.append(data);
    std::string lines;
    if (last) {
      lines = std::move(stream->partial);
      stream->partial.clear();
    } else {
      size_t nl = stream->partial.rfind('\n');
      if (nl == std::string::npos) return;
      lines = stream->partial.substr(0, nl + 1);
      stream->partial.erase(0, nl + 1);
    }
    asio::post(stream->strand, [this, stream, lines = std::move(lines), last]() mutable {
      ProcessInsertLines(stream, std::move(lines), last);
    });
  });
}

void QueryEndpoints::ProcessInsertLines(const std::shared_ptr<InsertStream>& s, std::string lines, bool last) {
  HttpExchange& ex = *s->ex;
  const std::string ctype = s->json_acks ? "application/json" : kDelimitedType;
  auto fail_row = [&](int64_t seq, const std::string& message) {
    ojson err{{"@type", "generic_error"}, {"error_code", 40000}, {"message", message}, {"status", "error"},
              {"seq", seq}};
    ex.Write(s->json_acks ? (s->first_ack ? "" : ",") + err.dump() + "]" : err.dump() + "\n");
    ex.End();
    s->done = true;
  };
  size_t pos = 0;
  while (!s->done && pos < lines.size()) {
    size_t nl = lines.find('\n', pos);
    std::string line = lines.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? lines.size() : nl + 1;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    json value = json::parse(line, nullptr, false);
    if (!s->have_args) {
      s->have_args = true;
      if (value.is_discarded() || !value.is_object()) {
        ex.Reply(400, ErrorBody(40000, "Invalid JSON in request: the first line must be {\"target\": \"STREAM\"}"), ctype);
        s->done = true;
        return;
      }
      if (!value.contains("target") || !value["target"].is_string()) {
        ex.Reply(400, ErrorBody(40000, "No target in arguments"), ctype);
        s->done = true;
        return;
      }
      const std::string target = value["target"].get<std::string>();
      {
        std::lock_guard<std::mutex> lock(service_.engine_mutex());
        s->source = service_.engine().metastore().FindSource(target);
        if (!s->source) s->source = service_.engine().metastore().FindSource(Upper(target));
      }
      if (!s->source) {
        ex.Reply(400, ErrorBody(40000, "Cannot insert values into an unknown stream/table: " + target), ctype);
        s->done = true;
        return;
      }
      ex.Begin(200, ctype);
      if (s->json_acks) ex.Write("[");
      continue;
    }
    const int64_t seq = s->seq++;
    if (value.is_discarded() || !value.is_object()) {
      fail_row(seq, "Invalid JSON in inserts stream");
      return;
    }
    auto sql = InsertSql(*s->source, value);
    if (!sql.ok()) {
      fail_row(seq, sql.status().message());
      return;
    }
    auto parsed = ParseSingleStatement(*sql);
    Status st = parsed.status();
    if (parsed.ok()) {
      std::lock_guard<std::mutex> lock(service_.engine_mutex());
      st = service_.engine().ExecuteStatement(**parsed);
    }
    if (!st.ok()) {
      spdlog::info("inserts-stream into {} from {}: row {} refused: {}", s->source->name, ex.request().peer, seq,
                   st.message());
      fail_row(seq, st.message());
      return;
    }
    ojson ack{{"status", "ok"}, {"seq", seq}};
    if (!ex.Write(s->json_acks ? (s->first_ack ? "" : ",") + ack.dump() : ack.dump() + "\n")) {
      s->done = true;  // the client is gone
      return;
    }
    s->first_ack = false;
  }
  if (last && !s->done) {
    s->done = true;
    if (!s->have_args) {
      ex.Reply(400, ErrorBody(40000, "Invalid JSON in request: no arguments (expected {\"target\": \"STREAM\"})"), ctype);
      return;
    }
    if (s->json_acks) ex.Write("]");
    ex.End();
  }
}

}  // namespace sluice
