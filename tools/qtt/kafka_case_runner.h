#pragma once
// Running query-validation cases through the real Kafka runtime (`sluice-qtt --kafka`): per
// case a fresh embedded broker, an Engine with a KafkaQueryRunner, the case's inputs produced
// to Kafka and its expected outputs read back with a consumer, then compared by the same code
// as the TestDriver path (qtt_runner.h).
#include "engine/kafka/admin.h"
#include "tools/qtt/qtt_runner.h"

namespace sluice::qtt {

struct KafkaCaseOptions {
  // Per output topic: how long to wait for the expected number of records, and, once they
  // are there, for records beyond them (a case fails on extra records, as on the driver).
  int wait_seconds = 30;
  int extra_wait_ms = 300;
  // A case that expects an error while processing inputs: how long to wait for a query to stop.
  int error_wait_seconds = 10;
};

// Every record of `topic` on the cluster at `bootstrap_servers`, read from the beginning:
// waits (bounded by options.wait_seconds) for the topic and for `expected` records, then
// options.extra_wait_ms for records beyond them.
std::vector<KafkaRecord> ReadTopicRecords(Admin& admin, const std::string& bootstrap_servers,
                                          const std::string& topic, size_t expected,
                                          const KafkaCaseOptions& options);

// The target for one case: an embedded broker of its own, so topic names need not change.
TargetFactory KafkaTargetFactory(KafkaCaseOptions options = {});

// RunCaseOn(c, KafkaTargetFactory(options)).
CaseResult RunKafkaCase(const TestCase& c, const KafkaCaseOptions& options = {});

}  // namespace sluice::qtt
