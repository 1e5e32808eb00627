// Stateless query throughput through the test driver: deserialize -> filter -> project ->
// serialize, single-threaded, on ~200-byte records, for JSON, DELIMITED and KAFKA values.
// Baseline, measured in the same run: the driver storing the same records with no query
// reading them, so the ratio is the cost of the query itself.
//
//   sluice-bench-pipeline [--records N]     (default 1,000,000)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "engine/runtime/test_driver.h"

using namespace sluice;

namespace {

struct Input {
  std::vector<KafkaRecord> records;
  size_t bytes = 0;
};

// n records on topic "in", 1000 distinct keys, values from `payload(i)`.
template <typename Payload>
Input Make(int n, Payload payload) {
  Input in;
  for (int i = 0; i < n; ++i) {
    KafkaRecord r;
    r.topic = "in";
    r.key = "k" + std::to_string(i % 1000);
    r.value = payload(i);
    r.timestamp = i;
    in.bytes += r.value->size();
    in.records.push_back(std::move(r));
  }
  return in;
}

Input MakeJson(int n) {
  return Make(n, [](int i) {
    char buf[512];
    int len = std::snprintf(buf, sizeof buf,
        R"({"ID":%d,"USER_ID":"user-%06d","AMOUNT":%d.%02d,"CURRENCY":"EUR","CITY":"city-%03d",)"
        R"("COUNTRY":"country-%02d","CHANNEL":"web","STATUS":"%s","NOTE":"some text for padding %05d"})",
        i, i % 100000, i % 1000, i % 100, i % 500, i % 50, i % 2 ? "OK" : "FAILED", i % 99999);
    return std::string(buf, len);
  });
}

Input MakeDelimited(int n) {
  return Make(n, [](int i) {
    char buf[512];
    int len = std::snprintf(buf, sizeof buf,
        "%d,user-%06d,%d.%02d,EUR,city-%03d,country-%02d,web,%s,some text for padding and more padding to reach two hundred bytes %05d",
        i, i % 100000, i % 1000, i % 100, i % 500, i % 50, i % 2 ? "OK" : "FAILED", i % 99999);
    return std::string(buf, len);
  });
}

Input MakeKafka(int n) {
  return Make(n, [](int i) {
    std::string v(200, 'x');
    char head[32];
    int len = std::snprintf(head, sizeof head, "%s-%08d", i % 2 ? "OK" : "FAILED", i);
    v.replace(0, static_cast<size_t>(len), head);
    return v;
  });
}

// Runs `records` through a driver set up with `sql` (empty: no query) and returns seconds.
double Run(const std::string& sql, const Input& input, size_t* outputs) {
  TestDriver driver;
  Status s = driver.Execute(sql);
  if (!s.ok()) {
    std::cerr << s.message() << "\n";
    std::exit(2);
  }
  auto start = std::chrono::steady_clock::now();
  for (const auto& r : input.records) (void)driver.Produce(r);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  *outputs = driver.Records("OUT").size();
  if (!driver.ProcessingLog().empty()) std::cerr << "processing log: " << driver.ProcessingLog()[0] << "\n";
  return seconds;
}

void Report(const char* name, const Input& input, double seconds, double baseline, size_t outputs) {
  const double n = static_cast<double>(input.records.size());
  std::printf("%-34s %10.0f records/s %8.1f MB/s  %8zu out  %5.2fx baseline time\n", name, n / seconds,
              input.bytes / seconds / 1e6, outputs, seconds / baseline);
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::off);
  int n = 1'000'000;
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]) == "--records" && i + 1 < argc) n = std::atoi(argv[++i]);

  const std::string source_only = "CREATE STREAM S (K STRING KEY, V STRING) WITH (kafka_topic='in', value_format='KAFKA');";
  const std::string json_query =
      "CREATE STREAM S (K STRING KEY, ID INT, USER_ID STRING, AMOUNT DOUBLE, CURRENCY STRING, CITY STRING, "
      "COUNTRY STRING, CHANNEL STRING, STATUS STRING, NOTE STRING) WITH (kafka_topic='in', value_format='JSON');"
      "CREATE STREAM OUT AS SELECT K, USER_ID, AMOUNT * 100 AS CENTS, UCASE(CITY) AS CITY FROM S WHERE STATUS = 'OK';";
  const std::string delimited_query =
      "CREATE STREAM S (K STRING KEY, ID INT, USER_ID STRING, AMOUNT DOUBLE, CURRENCY STRING, CITY STRING, "
      "COUNTRY STRING, CHANNEL STRING, STATUS STRING, NOTE STRING) WITH (kafka_topic='in', value_format='DELIMITED');"
      "CREATE STREAM OUT AS SELECT K, USER_ID, AMOUNT * 100 AS CENTS, UCASE(CITY) AS CITY FROM S WHERE STATUS = 'OK';";
  const std::string kafka_query =
      "CREATE STREAM S (K STRING KEY, V STRING) WITH (kafka_topic='in', value_format='KAFKA');"
      "CREATE STREAM OUT AS SELECT K, SUBSTRING(V, 1, 11) AS V FROM S WHERE V LIKE 'OK%';";

  std::printf("%d records per run, single-threaded\n", n);
  size_t outputs = 0;
  Input json = MakeJson(n);
  const double json_base = Run(source_only, json, &outputs);
  Report("baseline (store, no query) JSON", json, json_base, json_base, outputs);
  double seconds = Run(json_query, json, &outputs);  // (outputs is set by Run: call it first)
  Report("JSON filter+project", json, seconds, json_base, outputs);
  json = Input();

  Input delimited = MakeDelimited(n);
  const double delimited_base = Run(source_only, delimited, &outputs);
  Report("baseline (store, no query) DELIM", delimited, delimited_base, delimited_base, outputs);
  seconds = Run(delimited_query, delimited, &outputs);
  Report("DELIMITED filter+project", delimited, seconds, delimited_base, outputs);
  delimited = Input();

  Input kafka = MakeKafka(n);
  const double kafka_base = Run(source_only, kafka, &outputs);
  Report("baseline (store, no query) KAFKA", kafka, kafka_base, kafka_base, outputs);
  seconds = Run(kafka_query, kafka, &outputs);
  Report("KAFKA filter+project", kafka, seconds, kafka_base, outputs);
  return 0;
}
