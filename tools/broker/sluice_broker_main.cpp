// sluice-broker: the embedded Kafka broker (librdkafka's mock cluster) on its own, for tests
// that restart sluiced while the broker keeps its data, and for trying Kafka clients.
//   sluice-broker [--port N] [--brokers N]
// Prints "bootstrap.servers=HOST:PORT" on stdout once it accepts clients; runs until killed.
#include <CLI/CLI.hpp>
#include <csignal>
#include <iostream>

#include <spdlog/spdlog.h>

#include "engine/kafka/embedded_broker.h"
#include "engine/kafka/mock_control.h"
#include "engine/kafka/producer.h"

int main(int argc, char** argv) {
  CLI::App app{"sluice-broker - an in-memory Kafka broker (librdkafka's mock cluster)"};
  int port = 0, brokers = 1;
  app.add_option("--port", port, "Fixed bootstrap port on 127.0.0.1 (default: the broker's ephemeral port)")
      ->check(CLI::Range(0, 65535));
  app.add_option("--brokers", brokers, "Number of brokers")->check(CLI::Range(1, 16));
  std::vector<std::string> topics;
  app.add_option("--topic", topics,
                 "Create NAME[:PARTITIONS[:REPLICAS]] at start (repeatable). Other topics are auto-created "
                 "on first use with 4 partitions: the mock has no CreateTopics API for remote clients");
  CLI11_PARSE(app, argc, argv);

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);  // before librdkafka starts its threads

  auto broker = sluice::EmbeddedBroker::Start({brokers, port});
  if (!broker.ok()) {
    std::cerr << "sluice-broker: " << broker.status().message() << "\n";
    return 1;
  }
  for (const std::string& spec : topics) {
    std::string name = spec.substr(0, spec.find(':'));
    int partitions = 1, replicas = 1;
    if (auto c = spec.find(':'); c != std::string::npos) {
      partitions = std::atoi(spec.c_str() + c + 1);
      if (auto c2 = spec.find(':', c + 1); c2 != std::string::npos) replicas = std::atoi(spec.c_str() + c2 + 1);
    }
    sluice::Status s = (*broker)->CreateTopic(name, partitions, replicas);
    if (!s.ok()) {
      std::cerr << "sluice-broker: --topic " << spec << ": " << s.message() << "\n";
      return 1;
    }
  }
  // Remote clients (sluiced) create topics through the control port: the mock has no
  // CreateTopics API. Announced in a topic they can read.
  auto control = sluice::ServeTopicControl(**broker);
  if (!control.ok()) {
    std::cerr << "sluice-broker: " << control.status().message() << "\n";
    return 1;
  }
  spdlog::info("Embedded Kafka broker ({} broker{}) at {}; brokers listen on {}. Data is kept in memory only ({}).",
               brokers, brokers == 1 ? "" : "s", (*broker)->bootstrap_servers(), (*broker)->broker_addresses(),
               sluice::EmbeddedBroker::kPartitionLimit);
  std::cout << "bootstrap.servers=" << (*broker)->bootstrap_servers() << std::endl;
  int sig = 0;
  sigwait(&set, &sig);
  spdlog::info("sluice-broker: stopping");
  return 0;
}
