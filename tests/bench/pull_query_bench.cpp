// Pull-query throughput through the whole server (issue #12): `sluice-broker` and `sluiced` run
// as child processes on free 127.0.0.1 ports; --keys records (key "k<i>", value {"V":i}) are
// produced straight to the broker, a SOURCE table is declared over the topic, and once a pull
// query sees the last key, --clients HTTP/1.1 keep-alive connections each issue
//   POST /query {"ksql":"SELECT * FROM PULL_BENCH WHERE ID='k<random>';"}
// back to back for --seconds. Every answer is checked (status 200, the row of that key).
// Baseline in the same run, same clients and connections: GET /info (a JSON answer built by the
// server without touching Kafka or the engine: the transport's ceiling).
// The client is an epoll loop on --client-threads threads (default 1), so it costs little of
// the machine the server runs on; both share the same cores, as they would in any local run.
//
//   sluice-bench-pull [--seconds 30] [--keys 1000000] [--clients 200] [--partitions 16]
//                     [--client-threads 1] [--bin DIR] [--keep-server] [--no-parsed-phase]
//
// A third phase (unless --no-parsed-phase) sends the same statements with a trailing comment,
// which the server's pull plan cache refuses: the parser runs for every request, as it did
// before the cache (plus one lexer pass to split the text), a baseline for the cache.
//
// Goal (issue #12): >= 100k lookups/s with p99 < 1 ms on the 2-core machine; ksqlDB ~3k/s.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "engine/kafka/producer.h"

using namespace sluice;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

namespace {

constexpr const char* kTopic = "pull_bench";
constexpr const char* kTable = "PULL_BENCH";

struct Options {
  int seconds = 30;
  int keys = 1000000;
  int clients = 200;
  int partitions = 16;
  int client_threads = 1;
  std::string bin;
  bool keep_server = false;  // print the server's pid and wait (for a profiler) before the run
  bool parsed_phase = true;  // a third phase with statements the plan cache refuses
};

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
    port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

// ---- child processes ------------------------------------------------------------------------

// A child that dies with the bench (PR_SET_PDEATHSIG) and is stopped by the destructor.
class Child {
 public:
  Child(const std::vector<std::string>& argv, const std::vector<std::string>& env, const std::string& log) {
    pid_ = ::fork();
    if (pid_ != 0) return;
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    for (const auto& e : env) ::putenv(const_cast<char*>(e.c_str()));
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    std::perror(args[0]);
    ::_exit(127);
  }
  ~Child() { Stop(); }
  pid_t pid() const { return pid_; }
  bool alive() const { return pid_ > 0 && ::waitpid(pid_, nullptr, WNOHANG) == 0; }
  void Stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 100 && ::waitpid(pid_, nullptr, WNOHANG) == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (::waitpid(pid_, nullptr, WNOHANG) == 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Bounded wait for `ready`; false when the time is up.
bool WaitFor(std::chrono::seconds bound, const std::function<bool()>& ready) {
  const auto deadline = Clock::now() + bound;
  while (Clock::now() < deadline) {
    if (ready()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

// ---- a blocking HTTP/1.1 exchange, for set-up ---------------------------------------------

struct HttpAnswer {
  int status = 0;
  std::string body;
};

// One request on a fresh connection ("Connection: close"), read to EOF; chunked bodies are
// left as sent (set-up only looks for substrings).
HttpAnswer HttpCall(int port, const std::string& method, const std::string& path, const std::string& body) {
  HttpAnswer answer;
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return answer;
  }
  std::string req = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  if (!body.empty())
    req += "Content-Type: application/vnd.ksql.v1+json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n" + body;
  if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
    ::close(fd);
    return answer;
  }
  std::string in;
  char buf[65536];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) in.append(buf, n);
  ::close(fd);
  if (in.size() > 12 && in.compare(0, 5, "HTTP/") == 0) answer.status = std::atoi(in.c_str() + 9);
  if (auto at = in.find("\r\n\r\n"); at != std::string::npos) answer.body = in.substr(at + 4);
  return answer;
}

std::string KeyOf(int i) { return "k" + std::to_string(i); }

// `parsed`: the statement ends with a comment, which the server's pull plan cache (and its
// one-lexer-pass split) refuses: every request goes through the parser, as before the cache.
std::string PullBody(int key, bool parsed = false) {
  return "{\"ksql\":\"SELECT * FROM " + std::string(kTable) + " WHERE ID='" + KeyOf(key) + "';" +
         (parsed ? " -- parsed" : "") + "\"}";
}

// The row of key i as /query writes it: {"row":{"columns":["k<i>",<i>]}}.
std::string ExpectedRow(int key) { return "[\"" + KeyOf(key) + "\"," + std::to_string(key) + "]"; }

// ---- the load client ----------------------------------------------------------------------

enum class Load { kInfo, kPull, kPullParsed };

// One keep-alive connection: sends a request, reads its whole answer (Content-Length or
// chunked), checks it, records the latency, sends the next.
struct Conn {
  int fd = -1;
  std::string out;
  size_t sent = 0;
  std::string in;
  int key = 0;
  Clock::time_point started;
};

struct Totals {
  int64_t ok = 0;
  int64_t errors = 0;
  std::vector<uint32_t> latency_us;
  std::string first_error;
};

// Where the answer in `in` ends, or 0 while incomplete; sets *status and [body_from, body_to)
// for a Content-Length body (chunked: the raw chunks, which is enough for a substring check).
size_t AnswerEnd(const std::string& in, int* status) {
  const size_t head_end = in.find("\r\n\r\n");
  if (head_end == std::string::npos) return 0;
  *status = in.size() > 12 ? std::atoi(in.c_str() + 9) : 0;
  const size_t body = head_end + 4;
  auto header = [&](const char* name) -> std::string {
    // Case-insensitive search in the head.
    const size_t n = std::strlen(name);
    for (size_t at = in.find("\r\n"); at < head_end; at = in.find("\r\n", at + 2)) {
      if (strncasecmp(in.c_str() + at + 2, name, n) == 0 && in[at + 2 + n] == ':') {
        size_t v = at + 3 + n;
        while (in[v] == ' ') ++v;
        return in.substr(v, in.find("\r\n", v) - v);
      }
    }
    return "";
  };
  std::string length = header("content-length");
  if (!length.empty()) {
    const size_t end = body + std::stoul(length);
    return in.size() >= end ? end : 0;
  }
  // Chunked: walk the chunk sizes to the last (empty) chunk and its final CRLF.
  size_t at = body;
  while (true) {
    const size_t line_end = in.find("\r\n", at);
    if (line_end == std::string::npos) return 0;
    const size_t size = std::strtoul(in.c_str() + at, nullptr, 16);
    if (size == 0) return in.size() >= line_end + 4 ? line_end + 4 : 0;
    at = line_end + 2 + size + 2;
    if (at > in.size()) return 0;
  }
}

class LoadClient {
 public:
  LoadClient(int port, Load load, int keys, uint64_t seed) : port_(port), load_(load), keys_(keys), rng_(seed) {}

  // Runs `connections` connections until `until`; one epoll loop on the calling thread.
  Totals Run(int connections, Clock::time_point until) {
    epoll_ = ::epoll_create1(0);
    conns_.resize(connections);
    for (int i = 0; i < connections; ++i) Open(i);
    epoll_event events[256];
    while (Clock::now() < until) {
      const int n = ::epoll_wait(epoll_, events, 256, 100);
      for (int e = 0; e < n; ++e) OnEvent(static_cast<int>(events[e].data.u32), events[e].events, until);
    }
    for (auto& c : conns_)
      if (c.fd >= 0) ::close(c.fd);
    ::close(epoll_);
    return std::move(totals_);
  }

 private:
  void Open(int i) {
    Conn& c = conns_[i];
    c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    ::setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port_));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::connect(c.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);  // EINPROGRESS
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT;
    ev.data.u32 = static_cast<uint32_t>(i);
    ::epoll_ctl(epoll_, EPOLL_CTL_ADD, c.fd, &ev);
    NextRequest(c);
  }

  void NextRequest(Conn& c) {
    c.in.clear();
    c.sent = 0;
    if (load_ == Load::kInfo) {
      c.out = "GET /info HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    } else {
      c.key = static_cast<int>(rng_() % static_cast<uint64_t>(keys_));
      const std::string body = PullBody(c.key, load_ == Load::kPullParsed);
      c.out = "POST /query HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/vnd.ksql.v1+json\r\n"
              "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    }
    c.started = Clock::now();
  }

  void Fail(int i, const std::string& why, Clock::time_point until) {
    ++totals_.errors;
    if (totals_.first_error.empty()) totals_.first_error = why;
    Conn& c = conns_[i];
    ::epoll_ctl(epoll_, EPOLL_CTL_DEL, c.fd, nullptr);
    ::close(c.fd);
    c.fd = -1;
    if (Clock::now() < until) Open(i);
  }

  void OnEvent(int i, uint32_t events, Clock::time_point until) {
    Conn& c = conns_[i];
    if (c.sent < c.out.size() && (events & EPOLLOUT)) {
      const ssize_t n = ::send(c.fd, c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL);
      if (n > 0) c.sent += static_cast<size_t>(n);
      else if (errno != EAGAIN) return Fail(i, std::string("send: ") + std::strerror(errno), until);
      if (c.sent == c.out.size()) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u32 = static_cast<uint32_t>(i);
        ::epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &ev);
      }
    }
    if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR))) return;
    char buf[16384];
    while (true) {
      const ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
      if (n > 0) {
        c.in.append(buf, static_cast<size_t>(n));
        continue;
      }
      if (n == 0) return Fail(i, "connection closed by the server", until);
      if (errno == EAGAIN) break;
      return Fail(i, std::string("recv: ") + std::strerror(errno), until);
    }
    int status = 0;
    const size_t end = AnswerEnd(c.in, &status);
    if (end == 0) return;
    const auto latency = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - c.started).count();
    const bool right = status == 200 && (load_ == Load::kInfo || c.in.find(ExpectedRow(c.key)) != std::string::npos);
    if (!right) {
      ++totals_.errors;
      if (totals_.first_error.empty()) totals_.first_error = "HTTP " + std::to_string(status) + ": " + c.in.substr(0, 400);
    } else {
      ++totals_.ok;
      totals_.latency_us.push_back(static_cast<uint32_t>(latency));
    }
    if (end != c.in.size()) return Fail(i, "bytes after the answer", until);
    if (Clock::now() >= until) return;
    NextRequest(c);
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT;
    ev.data.u32 = static_cast<uint32_t>(i);
    ::epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &ev);
  }

  int port_;
  Load load_;
  int keys_;
  std::mt19937_64 rng_;
  int epoll_ = -1;
  std::vector<Conn> conns_;
  Totals totals_;
};

struct LoadResult {
  double seconds = 0;
  int64_t ok = 0, errors = 0;
  double p50 = 0, p99 = 0, p999 = 0, max = 0;  // ms
  std::string first_error;
  double rate() const { return seconds > 0 ? ok / seconds : 0; }
};

LoadResult RunLoad(const Options& o, int port, Load load, int seconds) {
  const auto start = Clock::now();
  const auto until = start + std::chrono::seconds(seconds);
  std::vector<Totals> parts(o.client_threads);
  std::vector<std::thread> threads;
  for (int t = 0; t < o.client_threads; ++t) {
    const int conns = o.clients / o.client_threads + (t < o.clients % o.client_threads ? 1 : 0);
    threads.emplace_back([&, t, conns] { parts[t] = LoadClient(port, load, o.keys, 42 + t).Run(conns, until); });
  }
  for (auto& th : threads) th.join();
  LoadResult r;
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<uint32_t> all;
  for (auto& p : parts) {
    r.ok += p.ok;
    r.errors += p.errors;
    if (r.first_error.empty()) r.first_error = p.first_error;
    all.insert(all.end(), p.latency_us.begin(), p.latency_us.end());
  }
  std::sort(all.begin(), all.end());
  auto pct = [&](double q) {
    return all.empty() ? 0.0 : all[std::min(all.size() - 1, static_cast<size_t>(q * all.size()))] / 1000.0;
  };
  r.p50 = pct(0.50);
  r.p99 = pct(0.99);
  r.p999 = pct(0.999);
  r.max = all.empty() ? 0 : all.back() / 1000.0;
  return r;
}

void Print(const char* what, const LoadResult& r) {
  std::printf("%-34s %10.0f req/s  ok %9lld  errors %6lld  p50 %7.3f ms  p99 %7.3f ms  p99.9 %7.3f ms  max %7.1f ms\n",
              what, r.rate(), static_cast<long long>(r.ok), static_cast<long long>(r.errors), r.p50, r.p99, r.p999,
              r.max);
  if (!r.first_error.empty()) std::printf("  first error: %s\n", r.first_error.c_str());
}

// ---- set-up ---------------------------------------------------------------------------------

Status ProduceKeys(const std::string& bootstrap, int keys) {
  auto producer = Producer::Create({{"bootstrap.servers", bootstrap},
                                    {"linger.ms", "50"},
                                    {"batch.num.messages", "10000"},
                                    {"queue.buffering.max.messages", "1000000"}},
                                   "pull-bench");
  if (!producer.ok()) return producer.status();
  constexpr int kChunk = 100000;
  std::vector<std::string> k, v;
  for (int from = 0; from < keys; from += kChunk) {
    const int to = std::min(keys, from + kChunk);
    k.clear();
    v.clear();
    for (int i = from; i < to; ++i) {
      k.push_back(KeyOf(i));
      v.push_back("{\"V\":" + std::to_string(i) + "}");
    }
    std::vector<OutputRecord> batch(k.size());
    for (size_t i = 0; i < batch.size(); ++i) {
      batch[i].topic = kTopic;
      batch[i].key = k[i];
      batch[i].value = v[i];
    }
    DeliveryTracker tracker;
    SLUICE_RETURN_IF_ERROR((*producer)->Produce(batch, &tracker));
    SLUICE_RETURN_IF_ERROR(tracker.Wait(std::chrono::seconds(120)));
  }
  return Status::OK();
}

std::string DefaultBinDir() {
  std::error_code ec;
  return fs::read_symlink("/proc/self/exe", ec).parent_path().string();
}

bool ParseArgs(int argc, char** argv, Options* o) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--seconds") o->seconds = std::atoi(value());
    else if (a == "--keys") o->keys = std::atoi(value());
    else if (a == "--clients") o->clients = std::atoi(value());
    else if (a == "--partitions") o->partitions = std::atoi(value());
    else if (a == "--client-threads") o->client_threads = std::atoi(value());
    else if (a == "--bin") o->bin = value();
    else if (a == "--keep-server") o->keep_server = true;
    else if (a == "--no-parsed-phase") o->parsed_phase = false;
    else return false;
  }
  return o->seconds > 0 && o->keys > 0 && o->clients > 0 && o->partitions > 0 && o->client_threads > 0 &&
         o->client_threads <= o->clients;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!ParseArgs(argc, argv, &o)) {
    std::fprintf(stderr,
                 "usage: sluice-bench-pull [--seconds 30] [--keys 1000000] [--clients 200] [--partitions 16] "
                 "[--client-threads 1] [--bin DIR] [--keep-server] [--no-parsed-phase]\n");
    return 2;
  }
  if (o.bin.empty()) o.bin = DefaultBinDir();
  spdlog::set_level(spdlog::level::warn);
  rlimit fds{};
  if (getrlimit(RLIMIT_NOFILE, &fds) == 0) {
    fds.rlim_cur = fds.rlim_max;
    setrlimit(RLIMIT_NOFILE, &fds);
  }
  const fs::path work = fs::temp_directory_path() / ("sluice-bench-pull-" + std::to_string(::getpid()));
  fs::create_directories(work);
  struct Cleanup {
    fs::path dir;
    ~Cleanup() { fs::remove_all(dir); }
  } cleanup{work};

  // The broker, with the table's topic.
  const std::string broker_log = (work / "broker.log").string();
  Child broker({o.bin + "/sluice-broker", "--topic", std::string(kTopic) + ":" + std::to_string(o.partitions)}, {},
               broker_log);
  std::string bootstrap;
  if (!WaitFor(std::chrono::seconds(20), [&] {
        const std::string log = ReadFile(broker_log);
        const size_t at = log.find("bootstrap.servers=");
        if (at == std::string::npos || log.find('\n', at) == std::string::npos) return false;
        bootstrap = log.substr(at + 18, log.find('\n', at) - at - 18);
        return true;
      }))
    return std::fprintf(stderr, "sluice-broker did not start:\n%s\n", ReadFile(broker_log).c_str()), 1;

  auto t0 = Clock::now();
  if (Status s = ProduceKeys(bootstrap, o.keys); !s.ok())
    return std::fprintf(stderr, "producing the keys failed: %s\n", s.message().c_str()), 1;
  const double produce_s = std::chrono::duration<double>(Clock::now() - t0).count();

  // The server.
  const int port = FreePort();
  const std::string server_log = (work / "sluiced.log").string();
  Child server({o.bin + "/sluiced"},
               {"KSQL_BOOTSTRAP_SERVERS=" + bootstrap, "KSQL_LISTENERS=http://127.0.0.1:" + std::to_string(port),
                "KSQL_KSQL_STREAMS_STATE_DIR=" + (work / "state").string(), "KSQL_KSQL_SERVICE_ID=pull_bench_"},
               server_log);
  if (!WaitFor(std::chrono::seconds(30), [&] { return HttpCall(port, "GET", "/info", "").status == 200; }))
    return std::fprintf(stderr, "sluiced did not start:\n%s\n", ReadFile(server_log).c_str()), 1;
  HttpAnswer created = HttpCall(port, "POST", "/ksql",
                                "{\"ksql\":\"CREATE SOURCE TABLE " + std::string(kTable) +
                                    " (ID STRING PRIMARY KEY, V BIGINT) WITH (KAFKA_TOPIC='" + kTopic +
                                    "', VALUE_FORMAT='JSON');\"}");
  if (created.status != 200)
    return std::fprintf(stderr, "CREATE SOURCE TABLE failed: %d %s\n", created.status, created.body.c_str()), 1;

  // Loaded once a pull query sees the last key (the first pull query starts the table's copy).
  t0 = Clock::now();
  const int last = o.keys - 1;
  if (!WaitFor(std::chrono::seconds(600), [&] {
        HttpAnswer a = HttpCall(port, "POST", "/query", PullBody(last));
        return a.status == 200 && a.body.find(ExpectedRow(last)) != std::string::npos;
      }))
    return std::fprintf(stderr, "the table never showed key %d\n%s\n", last, ReadFile(server_log).c_str()), 1;
  const double load_s = std::chrono::duration<double>(Clock::now() - t0).count();

  std::printf("pull-query bench: %d keys in %d partitions (produced in %.1f s, table loaded in %.1f s), "
              "%d clients on %d client thread(s), %d s per phase; sluiced pid %d\n",
              o.keys, o.partitions, produce_s, load_s, o.clients, o.client_threads, o.seconds,
              static_cast<int>(server.pid()));
  std::fflush(stdout);
  if (o.keep_server) {
    std::printf("attach a profiler to pid %d now; starting in 5 s\n", static_cast<int>(server.pid()));
    std::fflush(stdout);
    std::this_thread::sleep_for(std::chrono::seconds(5));
  }

  const LoadResult info = RunLoad(o, port, Load::kInfo, o.seconds);
  Print("baseline GET /info", info);
  std::fflush(stdout);
  const LoadResult pull = RunLoad(o, port, Load::kPull, o.seconds);
  Print("pull query POST /query (key)", pull);
  std::printf("ratio pull/baseline: %.3f   goal: >= 100000 lookups/s, p99 < 1 ms (ksqlDB ~3k/s)\n",
              info.rate() > 0 ? pull.rate() / info.rate() : 0.0);
  LoadResult parsed;
  if (o.parsed_phase) {
    std::fflush(stdout);
    parsed = RunLoad(o, port, Load::kPullParsed, o.seconds);
    Print("pull query, parsed every time (no plan cache)", parsed);
    std::printf("ratio cached/parsed: %.3f\n", parsed.rate() > 0 ? pull.rate() / parsed.rate() : 0.0);
  }
  if (!server.alive()) return std::fprintf(stderr, "sluiced died:\n%s\n", ReadFile(server_log).c_str()), 1;
  // Errors fail the run (wrong or missing rows are bugs); throughput never does.
  return pull.errors == 0 && info.errors == 0 && parsed.errors == 0 && pull.ok > 0 ? 0 : 1;
}
