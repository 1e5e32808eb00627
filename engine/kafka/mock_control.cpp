#include "engine/kafka/mock_control.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sstream>

#include <spdlog/spdlog.h>

#include "engine/kafka/consumer.h"
#include "engine/kafka/embedded_broker.h"
#include "engine/kafka/producer.h"

namespace sluice {

namespace {

// Reads one '\n'-terminated line (without it), bounded in size and time.
bool ReadLine(int fd, std::string* line, int timeout_ms) {
  line->clear();
  char c;
  while (line->size() < 4096) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0) return false;
    if (read(fd, &c, 1) != 1) return false;
    if (c == '\n') return true;
    *line += c;
  }
  return false;
}

bool WriteAll(int fd, const std::string& s) {
  size_t done = 0;
  while (done < s.size()) {
    ssize_t n = write(fd, s.data() + done, s.size() - done);
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

std::string OneLine(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return s;
}

}  // namespace

Result<std::unique_ptr<MockControlServer>> MockControlServer::Start(CreateFn create) {
  std::unique_ptr<MockControlServer> s(new MockControlServer());
  s->create_ = std::move(create);
  s->listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (s->listen_fd_ < 0 || bind(s->listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(s->listen_fd_, 16) != 0 || getsockname(s->listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    return Status::IOError("mock control: cannot listen on 127.0.0.1");
  s->port_ = ntohs(addr.sin_port);
  MockControlServer* raw = s.get();
  s->thread_ = std::thread([raw] { raw->Serve(); });
  return s;
}

MockControlServer::~MockControlServer() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (listen_fd_ >= 0) close(listen_fd_);
}

void MockControlServer::Serve() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) continue;
    int fd = accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    std::string line;
    if (ReadLine(fd, &line, 5000)) {
      std::istringstream in(line);
      std::string verb, topic;
      int partitions = 0, replicas = 0;
      std::string answer;
      if (in >> verb >> topic >> partitions >> replicas && verb == "CREATE") {
        Status st = create_(topic, partitions, replicas);
        answer = st.ok() ? "OK" : (st.code() == Status::Code::kAlreadyExists ? "EXISTS " : "ERROR ") + OneLine(st.message());
        spdlog::info("sluice-broker: create topic {} ({} partitions, {} replicas): {}", topic, partitions, replicas,
                     st.ok() ? "created" : st.message());
      } else {
        answer = "ERROR expected: CREATE <topic> <partitions> <replicas>";
      }
      WriteAll(fd, answer + "\n");
    }
    close(fd);
  }
}

Status CreateTopicOnRemoteMock(const KafkaProperties& props, const std::string& topic, int partitions,
                               int replicas, std::chrono::milliseconds timeout) {
  // Find the control address: the last record of the control topic.
  KafkaProperties cprops{{"bootstrap.servers", props.at("bootstrap.servers")},
                         {"group.id", "_sluice-mock-control"}, {"log_level", "3"}};
  auto consumer = Consumer::Create(cprops, "mock-control");
  if (!consumer.ok()) return consumer.status();
  auto marks = (*consumer)->Watermarks(kMockControlTopic, 0, timeout);
  if (!marks.ok() || marks->second <= 0)
    return Status::NotSupported("the broker is librdkafka's mock cluster without sluice-broker's control port: "
                                "it cannot create topics for remote clients");
  SLUICE_RETURN_IF_ERROR((*consumer)->Assign({{kMockControlTopic, 0, marks->second - 1}}));
  std::string address;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (address.empty() && std::chrono::steady_clock::now() < deadline) {
    auto batch = (*consumer)->Poll(10, std::chrono::milliseconds(200));
    if (!batch.ok()) return batch.status();
    for (size_t i = 0; i < batch->size(); ++i) address = std::string((*batch)[i].value().value_or(""));
  }
  (*consumer)->Close().ok();
  auto colon = address.rfind(':');
  if (colon == std::string::npos) return Status::IOError("mock control address not found in " + std::string(kMockControlTopic));

  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(std::atoi(address.c_str() + colon + 1)));
  inet_pton(AF_INET, address.substr(0, colon).c_str(), &addr.sin_addr);
  if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (fd >= 0) close(fd);
    return Status::IOError("cannot reach sluice-broker's control port at " + address);
  }
  std::string answer;
  bool ok = WriteAll(fd, "CREATE " + topic + " " + std::to_string(partitions) + " " + std::to_string(replicas) + "\n") &&
            ReadLine(fd, &answer, static_cast<int>(timeout.count()));
  close(fd);
  if (!ok) return Status::IOError("no answer from sluice-broker's control port at " + address);
  if (answer == "OK") return Status::OK();
  if (answer.rfind("EXISTS ", 0) == 0) return Status::AlreadyExists(answer.substr(7));
  return Status::InvalidArgument(answer.rfind("ERROR ", 0) == 0 ? answer.substr(6) : answer);
}

Result<std::unique_ptr<MockControlServer>> ServeTopicControl(EmbeddedBroker& broker) {
  EmbeddedBroker* b = &broker;
  auto control = MockControlServer::Start(
      [b](const std::string& topic, int partitions, int replicas) { return b->CreateTopic(topic, partitions, replicas); });
  if (!control.ok()) return control.status();
  if (Status st = broker.CreateTopic(kMockControlTopic, 1, 1); !st.ok() && st.code() != Status::Code::kAlreadyExists)
    return st;
  auto producer = Producer::Create({{"bootstrap.servers", broker.broker_addresses()}}, "control");
  if (!producer.ok()) return producer.status();
  OutputRecord r;
  r.topic = kMockControlTopic;
  r.partition = 0;
  r.value = "127.0.0.1:" + std::to_string((*control)->port());
  if (auto sent = (*producer)->ProduceSync(r, std::chrono::seconds(10)); !sent.ok())
    return Status::IOError("cannot announce the topic-control port in " + std::string(kMockControlTopic) + ": " +
                           sent.status().message());
  return control;
}

}  // namespace sluice
