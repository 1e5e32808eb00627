#pragma once
// `sluice-qtt --rest`: ksqlDB's REST query-validation cases (../shared/qtt/
// rest-query-validation-tests) through a real `sluiced` on its embedded broker, one server
// per case. The case's statements go to POST /ksql (one request each) and its queries to POST
// /query; every response is compared with the case's `responses` (admin entities by their
// fields, query responses element by element: header schema, rows, final message), errors
// with `expectedError`, and the sink topics with `outputs`.
//
// The order is ksqlDB's: statements up to the first query, then the inputs (produced with a
// Kafka client, encoded with the formats of the sources the statements declared), then the
// queries; with `inputConditions.waitForActivePushQuery` the inputs follow the push query
// instead. Pull queries are retried until their rows match, within a bound, because the
// server's tables catch up with the inputs asynchronously.
#include <string>

#include "tools/qtt/qtt_runner.h"

namespace sluice::qtt {

struct RestCaseOptions {
  std::string sluiced_path;    // the server binary (default: next to sluice-qtt)
  int startup_seconds = 20;    // until GET /info answers
  int pull_wait_seconds = 10;  // retrying a pull query until its rows match
  int push_wait_seconds = 15;  // for a push query's expected rows
  int extra_wait_ms = 300;     // for records beyond the expected ones on an output topic
};

CaseResult RunRestCase(const TestCase& c, const RestCaseOptions& options);

}  // namespace sluice::qtt
