#include "engine/kafka/embedded_broker.h"

#include <array>

#include <boost/asio.hpp>
#include <librdkafka/rdkafka_mock.h>
#include <spdlog/spdlog.h>

namespace sluice {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// ---- TcpForwarder ---------------------------------------------------------------------------

namespace {

// One relayed connection: two sockets, a buffer per direction; lives while either side reads.
class Relay : public std::enable_shared_from_this<Relay> {
 public:
  Relay(tcp::socket client, asio::io_context& io) : client_(std::move(client)), upstream_(io) {}

  void Start(const tcp::endpoint& target) {
    auto self = shared_from_this();
    upstream_.async_connect(target, [self](const boost::system::error_code& ec) {
      if (ec) {
        spdlog::warn("embedded broker forwarder: cannot reach broker: {}", ec.message());
        self->Close();
        return;
      }
      self->Pump(self->client_, self->upstream_, self->up_buf_);
      self->Pump(self->upstream_, self->client_, self->down_buf_);
    });
  }

 private:
  void Pump(tcp::socket& from, tcp::socket& to, std::array<char, 65536>& buf) {
    auto self = shared_from_this();
    from.async_read_some(asio::buffer(buf), [self, &from, &to, &buf](boost::system::error_code ec, size_t n) {
      if (ec) {
        self->Close();
        return;
      }
      asio::async_write(to, asio::buffer(buf.data(), n), [self, &from, &to, &buf](boost::system::error_code ec2, size_t) {
        if (ec2) {
          self->Close();
          return;
        }
        self->Pump(from, to, buf);
      });
    });
  }

  void Close() {
    boost::system::error_code ignored;
    client_.close(ignored);
    upstream_.close(ignored);
  }

  tcp::socket client_, upstream_;
  std::array<char, 65536> up_buf_{}, down_buf_{};
};

}  // namespace

struct TcpForwarder::Impl {
  asio::io_context io;
  tcp::acceptor acceptor{io};
  tcp::endpoint target;

  void Accept() {
    acceptor.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
      if (ec) return;  // acceptor closed
      std::make_shared<Relay>(std::move(socket), io)->Start(target);
      Accept();
    });
  }
};

Result<std::unique_ptr<TcpForwarder>> TcpForwarder::Start(int listen_port, const std::string& target_host,
                                                          int target_port) {
  std::unique_ptr<TcpForwarder> f(new TcpForwarder());
  f->impl_ = std::make_unique<Impl>();
  boost::system::error_code ec;
  auto target_addr = asio::ip::make_address(target_host, ec);
  if (ec) return Status::InvalidArgument("forwarder target '" + target_host + "': " + ec.message());
  f->impl_->target = tcp::endpoint(target_addr, static_cast<unsigned short>(target_port));
  tcp::endpoint listen(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(listen_port));
  auto& acc = f->impl_->acceptor;
  acc.open(listen.protocol(), ec);
  if (!ec) acc.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acc.bind(listen, ec);
  if (!ec) acc.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Status::IOError("cannot listen on 127.0.0.1:" + std::to_string(listen_port) + ": " + ec.message());
  f->port_ = acc.local_endpoint().port();
  f->impl_->Accept();
  Impl* impl = f->impl_.get();
  f->thread_ = std::thread([impl] { impl->io.run(); });
  return f;
}

TcpForwarder::~TcpForwarder() {
  if (impl_) impl_->io.stop();
  if (thread_.joinable()) thread_.join();
}

// ---- EmbeddedBroker -------------------------------------------------------------------------

namespace {

// "127.0.0.1:1234" -> 1234 (the mock lists its brokers in this form).
int PortOf(const std::string& address) {
  auto colon = address.rfind(':');
  return colon == std::string::npos ? 0 : std::atoi(address.c_str() + colon + 1);
}

// The mock cluster's admin: topic creation through the mock API, metadata over the wire.
class EmbeddedAdmin : public Admin {
 public:
  EmbeddedAdmin(EmbeddedBroker* broker, std::unique_ptr<ClientContext> ctx, rd_kafka_t* rk)
      : broker_(broker), ctx_(std::move(ctx)), rk_(rk) {}
  ~EmbeddedAdmin() override { rd_kafka_destroy(rk_); }

  Status CreateTopic(const std::string& name, int partitions, int replicas,
                     const std::map<std::string, std::string>& configs) override {
    if (!configs.empty())
      spdlog::debug("embedded broker: topic configs for '{}' ignored (the mock keeps none)", name);
    return broker_->CreateTopic(name, partitions, replicas);
  }
  Status DeleteTopics(const std::vector<std::string>& names) override {
    return Status::NotSupported("the embedded Kafka broker cannot delete topics (" +
                                std::to_string(names.size()) + " asked); they stay until it stops");
  }
  Status DeleteConsumerGroups(const std::vector<std::string>&) override {
    return Status::NotSupported("the embedded Kafka broker cannot delete consumer groups");
  }
  bool SupportsDeletion() const override { return false; }
  Result<std::vector<TopicInfo>> ListTopics() override {
    return ListTopicsOf(rk_, std::chrono::seconds(10));
  }
  Result<std::string> ClusterId() override { return ClusterIdOf(rk_, std::chrono::seconds(10)); }

 private:
  EmbeddedBroker* broker_;
  std::unique_ptr<ClientContext> ctx_;
  rd_kafka_t* rk_;
};

}  // namespace

Result<std::unique_ptr<EmbeddedBroker>> EmbeddedBroker::Start(const EmbeddedBrokerOptions& options) {
  if (options.brokers < 1) return Status::InvalidArgument("embedded broker: --brokers must be at least 1");
  std::unique_ptr<EmbeddedBroker> b(new EmbeddedBroker());
  b->options_ = options;
  b->context_ = std::make_unique<ClientContext>();
  b->context_->name = "embedded-broker";
  // A dedicated handle: the cluster lives on it. No bootstrap servers, it never connects.
  auto conf = BuildClientConf({{"log_level", "4"}}, b->context_.get());
  if (!conf.ok()) return conf.status();
  auto rk = NewClient(RD_KAFKA_PRODUCER, *conf, b->context_->name);
  if (!rk.ok()) return rk.status();
  b->rk_ = *rk;
  b->cluster_ = rd_kafka_mock_cluster_new(b->rk_, options.brokers);
  if (!b->cluster_) return Status::IOError("embedded broker: librdkafka could not start its mock cluster");
  b->brokers_ = rd_kafka_mock_cluster_bootstraps(b->cluster_);
  b->bootstrap_ = b->brokers_;
  if (options.port != 0) {
    std::string first = b->brokers_.substr(0, b->brokers_.find(','));
    auto fwd = TcpForwarder::Start(options.port, "127.0.0.1", PortOf(first));
    if (!fwd.ok()) return Status::IOError("embedded broker: " + fwd.status().message());
    b->forwarder_ = std::move(*fwd);
    b->bootstrap_ = "127.0.0.1:" + std::to_string(b->forwarder_->port());
  }
  spdlog::debug("embedded broker: brokers at {}, bootstrap {}", b->brokers_, b->bootstrap_);
  return b;
}

EmbeddedBroker::~EmbeddedBroker() {
  forwarder_.reset();
  if (cluster_) rd_kafka_mock_cluster_destroy(cluster_);
  if (rk_) rd_kafka_destroy(rk_);
}

Status EmbeddedBroker::CreateTopic(const std::string& name, int partitions, int replicas) {
  if (partitions < 1) return Status::InvalidArgument("create topic '" + name + "': partitions must be at least 1");
  if (replicas < 1 || replicas > options_.brokers)
    return Status::InvalidArgument("create topic '" + name + "': replication factor " + std::to_string(replicas) +
                                   " is larger than the number of brokers (" + std::to_string(options_.brokers) + ")");
  rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(cluster_, name.c_str(), partitions, replicas);
  if (err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
    return Status::AlreadyExists("create topic '" + name + "': topic already exists");
  if (err) return MakeKafkaError(err, "create topic", name).ToStatus();
  return Status::OK();
}

Result<std::unique_ptr<Admin>> EmbeddedBroker::NewAdmin() {
  auto ctx = std::make_unique<ClientContext>();
  ctx->name = "embedded-admin";
  auto conf = BuildClientConf({{"bootstrap.servers", brokers_}, {"log_level", "4"}}, ctx.get());
  if (!conf.ok()) return conf.status();
  auto rk = NewClient(RD_KAFKA_PRODUCER, *conf, ctx->name);
  if (!rk.ok()) return rk.status();
  return std::unique_ptr<Admin>(new EmbeddedAdmin(this, std::move(ctx), *rk));
}

}  // namespace sluice
