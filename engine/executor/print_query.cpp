#include "engine/executor/print_query.h"

#include <atomic>
#include <mutex>
#include <random>

#include <spdlog/spdlog.h>

#include "engine/common/ascii.h"
#include "engine/print/topic_printer.h"

namespace sluice {

namespace {

// How long a PRINT waits without records before writing its keep-alive empty line (ksqlDB's
// disconnect check interval).
constexpr std::chrono::milliseconds kIdleLine{1000};

// `status` with "PRINT 'topic': " in front, its code kept.
Status InPrint(const Status& status, const std::string& topic) {
  const std::string m = "PRINT '" + topic + "': " + status.message();
  switch (status.code()) {
    case Status::Code::kOk: return status;
    case Status::Code::kInvalidArgument: return Status::InvalidArgument(m);
    case Status::Code::kNotFound: return Status::NotFound(m);
    case Status::Code::kNotSupported: return Status::NotSupported(m);
    case Status::Code::kIOError: return Status::IOError(m);
    default: return Status::RuntimeError(m);
  }
}

// One PRINT's state, shared by its handle and the runner's thread.
class PrintSession : public TopicTailOutput {
 public:
  PrintSession(const PrintTopic& stmt, std::shared_ptr<SchemaRegistry> registry, int64_t interval,
               print::PrintStyle style, std::shared_ptr<TextLineSink> sink)
      : printer_(std::move(registry), interval, stmt.limit, style), sink_(std::move(sink)), topic_(stmt.topic) {}

  bool OnPoll(const std::vector<KafkaRecord>& records) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (ended_) return false;
    std::vector<std::string> lines = printer_.OnPoll(records);
    if (!lines.empty() && !sink_->OnLines(lines)) {
      spdlog::info("PRINT {}: the client went away after {} records", topic_, printer_.written());
      EndLocked(Status::OK());
      return false;
    }
    if (printer_.done()) {
      EndLocked(Status::OK());
      return false;
    }
    return true;
  }

  void OnError(const Status& status) override {
    std::lock_guard<std::mutex> lock(mu_);
    EndLocked(InPrint(status, topic_));
  }

  void End(const Status& status) {
    std::lock_guard<std::mutex> lock(mu_);
    EndLocked(status);
  }
  bool ended() const { return ended_.load(); }
  bool done() {
    std::lock_guard<std::mutex> lock(mu_);
    return printer_.done();
  }

 private:
  void EndLocked(const Status& status) {
    if (ended_.exchange(true)) return;
    sink_->OnEnd(status);
  }

  std::mutex mu_;
  print::TopicPrinter printer_;
  std::shared_ptr<TextLineSink> sink_;
  std::string topic_;
  std::atomic<bool> ended_{false};
};

class PrintHandle : public RunningQuery {
 public:
  PrintHandle(std::string id, std::shared_ptr<PrintSession> session) : id_(std::move(id)), session_(std::move(session)) {}
  ~PrintHandle() override {
    run_.reset();  // stops the consumer and waits for its thread
    session_->End(Status::OK());
  }
  const std::string& id() const override { return id_; }
  bool finished() const override { return session_->ended(); }
  void set_run(std::unique_ptr<TransientRun> run) { run_ = std::move(run); }

 private:
  std::string id_;
  std::shared_ptr<PrintSession> session_;
  std::unique_ptr<TransientRun> run_;
};

std::string PrintId(const std::string& topic) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return "print_" + topic + "_" + std::to_string(rng() & 0x7fffffffffffffffULL);
}

}  // namespace

std::string UnknownTopicMessage(const std::string& topic, const std::vector<std::string>& existing) {
  std::string message = "Could not find topic '" + topic +
                        "', or the KSQL user does not have permissions to list the topic. "
                        "Topic names are case-sensitive.";
  const std::string lower = AsciiUpper(topic);
  std::vector<std::string> alike;
  for (const std::string& name : existing)
    if (AsciiUpper(name) == lower) alike.push_back(name);
  if (!alike.empty()) {
    message += "\nDid you mean:";
    for (const std::string& name : alike) message += "\n\tprint " + name + ";";
  }
  return message;
}

Result<std::unique_ptr<RunningQuery>> StartPrint(Engine& engine, const PrintTopic& stmt,
                                                 std::shared_ptr<TextLineSink> sink, print::PrintStyle style) {
  QueryRunner* runner = engine.query_runner();
  if (!runner) return Status::NotSupported("PRINT needs Kafka: this engine keeps its topics in memory");
  const int64_t interval = stmt.interval.value_or(1);
  if (interval < 1) return Status::InvalidArgument("INTERVAL must be greater than one, but was: " + std::to_string(interval));
  auto exists = runner->TopicExists(stmt.topic);
  if (!exists.ok()) return InPrint(exists.status(), stmt.topic);
  if (!*exists) {
    auto names = runner->ListTopicNames();
    return Status::NotFound(UnknownTopicMessage(stmt.topic, names.ok() ? *names : std::vector<std::string>{}));
  }
  auto session = std::make_shared<PrintSession>(stmt, engine.schema_registry(), interval, style, std::move(sink));
  auto handle = std::make_unique<PrintHandle>(PrintId(stmt.topic), session);
  if (session->done()) {  // LIMIT 0: nothing to read
    session->End(Status::OK());
    return std::unique_ptr<RunningQuery>(std::move(handle));
  }
  auto run = runner->TailTopic(stmt.topic, stmt.from_beginning, kIdleLine, session);
  if (!run.ok()) return InPrint(run.status(), stmt.topic);
  handle->set_run(std::move(*run));
  spdlog::info("Printing topic '{}' ({}{}{})", stmt.topic, stmt.from_beginning ? "from beginning" : "from the end",
               interval > 1 ? ", interval " + std::to_string(interval) : "",
               stmt.limit ? ", limit " + std::to_string(*stmt.limit) : "");
  return std::unique_ptr<RunningQuery>(std::move(handle));
}

}  // namespace sluice
