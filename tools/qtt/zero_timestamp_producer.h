#pragma once
// Writes one record with CreateTime 0 to a broker, speaking Kafka's Produce API (v3, record
// batch v2) directly. Needed because librdkafka cannot: rd_kafka_producev takes a timestamp of
// 0 to mean "now", while ksqlDB's corpus has many inputs at timestamp 0 (explicit, or the
// default), and windows, joins and output timestamps derive from it. Kafka itself accepts 0.
// Only for sluice-qtt --kafka against the embedded broker: one connection per record, no
// retries, the broker at `bootstrap` (host:port) must lead the partition (a one-broker cluster).
#include <string>

#include "engine/common/status.h"
#include "engine/runtime/test_driver.h"

namespace sluice::qtt {

Status ProduceAtTimestampZero(const std::string& bootstrap, const KafkaRecord& record);

}  // namespace sluice::qtt
