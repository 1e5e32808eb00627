#pragma once
// The streaming side of ksqlDB's REST API, over HttpExchange (HTTP/1.1 or HTTP/2):
//
//   POST /query          v1: {"ksql","streamsProperties"} -> a JSON array streamed row by row,
//                        [{"header":{queryId,schema}}, {"row":{"columns":[...]}}, ...,
//                        {"finalMessage":"Limit Reached"}] (errors: {"errorMessage":{...}})
//                        PRINT 'topic' ...: text lines ("Key format: ...", "rowtime: ..., key:
//                        ..., value: ..., partition: N"), as ksqlDB's TopicStreamWriter
//   POST /query-stream   {"sql","properties","sessionVariables"} -> delimited (default or
//                        application/vnd.ksqlapi.delimited.v1): metadata line, one JSON array
//                        per row; application/json: one JSON array of the same
//   POST /close-query    {"queryId"}: stops a push query started by /query-stream or /query
//   POST /inserts-stream HTTP/2 only (as ksqlDB): {"target"} line, then one JSON row per line
//                        (the last may lack its newline); one ack {"status":"ok","seq":N} per row
//   GET  /status[/{commandId}], GET /clusterStatus
//
// Queries go through the engine under KsqlService's engine lock, on a small worker pool (the
// network threads never wait for a query). A pull query holds the lock only while it is
// analyzed (Engine::PreparePullQuery), then reads its rows from the query runner unlocked. A
// push query lives until LIMIT, /close-query, or its client goes away (the exchange's close
// notification destroys its RunningQuery, on the worker pool, under the engine lock).
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <boost/asio/thread_pool.hpp>

#include "server/http_exchange.h"
#include "server/ksql_service.h"

namespace sluice {

// ksqlDB's command statuses for GET /status: what POST /ksql answered and what was replayed.
class CommandStatuses {
 public:
  // Records every {"commandId","commandStatus"} entity of a POST /ksql answer.
  void RecordKsqlAnswer(const std::string& body);
  void Record(const std::string& command_id, const std::string& status, const std::string& message);
  HttpReply All() const;                                // {"commandStatuses": {id: status}}
  HttpReply One(const std::string& command_id) const;   // {"status","message","queryId"}

 private:
  struct Entry {
    std::string status, message;
  };
  mutable std::mutex mu_;
  std::map<std::string, Entry> entries_;
};

class QueryEndpoints {
 public:
  explicit QueryEndpoints(KsqlService& service);
  void SetHost(std::string host);  // this server as "host:port" for /clusterStatus
  ~QueryEndpoints();  // StopAll()

  void Query(const std::shared_ptr<HttpExchange>& ex);        // POST /query
  void QueryStream(const std::shared_ptr<HttpExchange>& ex);  // POST /query-stream
  void CloseQuery(const std::shared_ptr<HttpExchange>& ex);   // POST /close-query
  void InsertsStream(const std::shared_ptr<HttpExchange>& ex);  // POST /inserts-stream
  HttpReply ClusterStatus() const;

  // Stops every running push query.
  void StopAll();
  // Server shutdown, before the HTTP server and the query runtime go: StopAll, then waits for
  // the worker pool (a pull query in progress completes); later requests are not served.
  void Shutdown();
  size_t running() const;

  struct ActiveQuery;
  struct InsertStream;

 private:
  enum class Format { kV1, kDelimited, kJson };
  void Start(const std::shared_ptr<HttpExchange>& ex, Format format, std::string sql,
             std::map<std::string, std::string> properties, std::map<std::string, std::string> variables);
  void RunPull(const std::shared_ptr<HttpExchange>& ex, const QueryStatement& query, const RawStatement& raw,
               const std::map<std::string, std::string>& properties, const std::shared_ptr<QueryRowSink>& sink);
  bool RunCachedPull(const RawStatement& raw, const std::map<std::string, std::string>& properties,
                     const std::shared_ptr<QueryRowSink>& sink);
  bool RunCachedPullInline(const std::string& sql, const std::map<std::string, std::string>& properties,
                           const std::shared_ptr<QueryRowSink>& sink);
  // Keeps a streaming query (push query, PRINT) until its response ends or it is stopped.
  void Keep(const std::shared_ptr<HttpExchange>& ex, const std::shared_ptr<ActiveQuery>& active,
            std::unique_ptr<RunningQuery> handle, const std::string& sql);
  void RunPrint(const std::shared_ptr<HttpExchange>& ex, const std::shared_ptr<ActiveQuery>& active,
                const std::string& sql);
  void Stop(const std::string& query_id);
  void ProcessInsertLines(const std::shared_ptr<InsertStream>& stream, std::string lines, bool last);

  KsqlService& service_;
  std::string host_;
  boost::asio::thread_pool pool_{2};
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<ActiveQuery>> active_;  // push queries by id
  bool stopped_ = false;
};

}  // namespace sluice
