#include "engine/kafka/client.h"

#include <string_view>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace sluice {

void ClientStats::Update(const char* json, size_t len) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    json_.assign(json, len);
  }
  updates_.fetch_add(1);
  auto doc = nlohmann::json::parse(json, json + len, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return;
  txmsgs_.store(doc.value("txmsgs", int64_t{0}));
  rxmsgs_.store(doc.value("rxmsgs", int64_t{0}));
  msg_cnt_.store(doc.value("msg_cnt", int64_t{0}));
}

std::string ClientStats::LatestJson() const {
  std::lock_guard<std::mutex> lock(mu_);
  return json_;
}

namespace {

ClientContext* ContextOf(rd_kafka_t* rk) { return static_cast<ClientContext*>(rd_kafka_opaque(rk)); }

void LogCallback(const rd_kafka_t* rk, int level, const char* fac, const char* buf) {
  auto* ctx = static_cast<ClientContext*>(rd_kafka_opaque(rk));
  const char* name = ctx ? ctx->name.c_str() : rd_kafka_name(rk);
  // syslog levels: 0..3 error, 4 warning, 5..6 info, 7 debug.
  auto lvl = level <= 3 ? spdlog::level::err
             : level == 4 ? spdlog::level::warn
             : level <= 6 ? spdlog::level::info : spdlog::level::debug;
  spdlog::log(lvl, "kafka {} [{}]: {}", name, fac, buf);
}

void ErrorCallback(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
  auto* ctx = static_cast<ClientContext*>(opaque);
  const std::string name = ctx ? ctx->name : rd_kafka_name(rk);
  if (err == RD_KAFKA_RESP_ERR__FATAL) {
    char buf[512];
    auto code = rd_kafka_fatal_error(rk, buf, sizeof buf);
    KafkaError fatal = MakeKafkaError(code, name + ": fatal error: " + buf);
    fatal.fatal = true;
    spdlog::error("kafka {}: {}", name, fatal.ToString());
    if (ctx) {
      std::lock_guard<std::mutex> lock(ctx->error_mu);
      ctx->fatal_error = fatal;
      ctx->has_fatal = true;
    }
    return;
  }
  // Transient: librdkafka retries by itself; all-brokers-down is worth a warning.
  auto code = static_cast<rd_kafka_resp_err_t>(err);
  spdlog::warn("kafka {}: {} ({})", name, reason, rd_kafka_err2name(code));
}

int StatsCallback(rd_kafka_t*, char* json, size_t len, void* opaque) {
  if (auto* ctx = static_cast<ClientContext*>(opaque)) ctx->stats.Update(json, len);
  return 0;  // librdkafka frees json
}

void RebalanceCallback(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                       rd_kafka_topic_partition_list_t* partitions, void* opaque) {
  auto* ctx = static_cast<ClientContext*>(opaque);
  if (ctx && ctx->rebalance) {
    ctx->rebalance(rk, err, partitions);
    return;
  }
  // No hook: what librdkafka would do without a callback.
  const bool cooperative = UsesCooperativeRebalancing(rk);
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    if (cooperative) rd_kafka_error_destroy(rd_kafka_incremental_assign(rk, partitions));
    else rd_kafka_assign(rk, partitions);
  } else {
    if (cooperative) rd_kafka_error_destroy(rd_kafka_incremental_unassign(rk, partitions));
    else rd_kafka_assign(rk, nullptr);
  }
}

void DeliveryCallback(rd_kafka_t* rk, const rd_kafka_message_t* msg, void*) {
  auto* ctx = ContextOf(rk);
  if (ctx && ctx->delivery) ctx->delivery(rk, msg);
}

}  // namespace

Result<rd_kafka_conf_t*> BuildClientConf(const KafkaProperties& props, ClientContext* ctx) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  for (const auto& [name, value] : props) {
    if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return Status::InvalidArgument("Kafka client property '" + name + "': " + err);
    }
  }
  rd_kafka_conf_set_opaque(conf, ctx);
  rd_kafka_conf_set_log_cb(conf, LogCallback);
  rd_kafka_conf_set_error_cb(conf, ErrorCallback);
  rd_kafka_conf_set_stats_cb(conf, StatsCallback);
  if (ctx && ctx->delivery) rd_kafka_conf_set_dr_msg_cb(conf, DeliveryCallback);
  if (ctx && ctx->rebalance) rd_kafka_conf_set_rebalance_cb(conf, RebalanceCallback);
  return conf;
}

Result<rd_kafka_t*> NewClient(rd_kafka_type_t type, rd_kafka_conf_t* conf, const std::string& name) {
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
  if (!rk) {
    rd_kafka_conf_destroy(conf);
    return Status::InvalidArgument("cannot create Kafka " + name + ": " + err);
  }
  return rk;
}

bool UsesCooperativeRebalancing(rd_kafka_t* rk) {
  const char* protocol = rd_kafka_rebalance_protocol(rk);
  return protocol != nullptr && std::string_view(protocol) == "COOPERATIVE";
}

bool IsLibrdkafkaProperty(const std::string& name) {
  // Setting decides: an unknown name is UNKNOWN whatever the value, a known one OK or INVALID
  // (reading back would miss aliases such as bootstrap.servers).
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  bool known = rd_kafka_conf_set(conf, name.c_str(), "", err, sizeof err) != RD_KAFKA_CONF_UNKNOWN;
  rd_kafka_conf_destroy(conf);
  return known;
}

Status ValidateLibrdkafkaProperty(const std::string& name, const std::string& value) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  auto res = rd_kafka_conf_set(conf, name.c_str(), value.c_str(), err, sizeof err);
  rd_kafka_conf_destroy(conf);
  if (res == RD_KAFKA_CONF_OK) return Status::OK();
  return Status::InvalidArgument("Invalid value " + value + " for configuration " + name + ": " + err);
}

}  // namespace sluice
