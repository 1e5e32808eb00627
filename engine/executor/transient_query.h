#pragma once
// Pull and push queries: a SELECT without a sink (ksqlDB's "transient" queries). The executor
// runs them and hands their rows to a QueryRowSink; the REST layer (server/) turns the rows
// into /query, /query-stream or websocket responses, the CLI prints them.
//
//   pull  (no EMIT clause): reads the current state of a materialized table (or scans a
//         stream's topic to its end), delivers every row, then OnEnd(OK), all inside
//         Engine::StartQuery; the returned handle is already finished.
//   push  (EMIT CHANGES):   StartQuery returns at once; rows arrive from stream threads until
//         LIMIT is reached, the sink's OnRow returns false (client gone), or the handle is
//         destroyed. Destroying the handle stops the query and frees its consumer group,
//         internal topics and state.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/common/status.h"

namespace sluice {

// The header a transient query's response starts with (ksqlDB's /query "header" and
// /query-stream metadata).
struct QueryResultSchema {
  std::string query_id;                   // ksqlDB-style transient id ("transient_S_1234...")
  bool is_pull = false;
  // A pull query over a stream ends with ksqlDB's finalMessage: "Limit Reached" when it
  // returned `limit` rows, "Query Completed" otherwise (table pull queries end without one).
  bool pull_on_stream = false;
  std::optional<int64_t> limit;
  std::vector<std::string> column_names;  // "ID", "BALANCE"
  std::vector<std::string> column_types;  // SQL type text: "BIGINT", "STRING", "ARRAY<INTEGER>"
  std::vector<bool> key_columns;          // per column: a KEY column of the result
  // The /query header's schema text: "`ID` BIGINT KEY, `BALANCE` DOUBLE".
  std::string schema;
};

struct QueryRow {
  nlohmann::json columns = nlohmann::json::array();  // values in column order, as ksqlDB's REST API writes them
  bool tombstone = false;  // a table push query's delete: key columns set, the rest null
};

class QueryRowSink {
 public:
  virtual ~QueryRowSink() = default;
  // Once, before any row.
  virtual void OnSchema(const QueryResultSchema& schema) = 0;
  // One row. A push query calls this from a stream thread (never two threads at once for one
  // query). Returning false stops the query (the client went away).
  virtual bool OnRow(QueryRow row) = 0;
  // Once, last: OK when a pull query delivered everything or a push query reached LIMIT or
  // was stopped; the error (with the statement and query id) when it failed.
  virtual void OnEnd(const Status& status) = 0;
};

// PRINT's output (engine/executor/print_query.cpp): lines of text, not rows.
class TextLineSink {
 public:
  virtual ~TextLineSink() = default;
  // Lines without their '\n', in order, from the runner's thread (one thread at a time).
  // Returning false stops the PRINT (the client went away).
  virtual bool OnLines(const std::vector<std::string>& lines) = 0;
  // Once, last: OK when LIMIT was reached or the PRINT was stopped; the error when it failed.
  virtual void OnEnd(const Status& status) = 0;
};

// A transient query in flight. Destroying it stops the query (push) and frees what it held.
class RunningQuery {
 public:
  virtual ~RunningQuery() = default;
  virtual const std::string& id() const = 0;
  virtual bool finished() const = 0;  // OnEnd has been called
};

// A pull query analyzed against the metastore, ready to read (Engine::PreparePullQuery).
class PreparedPullQuery {
 public:
  virtual ~PreparedPullQuery() = default;
  // The rows, to `sink` (OnSchema, each row, OnEnd) before this returns; the handle is finished.
  virtual std::unique_ptr<RunningQuery> Run(std::shared_ptr<QueryRowSink> sink) = 0;
  // Run reads the engine's in-memory topics (no query runner): call it under the engine's lock.
  virtual bool needs_engine_lock() const = 0;
};

}  // namespace sluice
