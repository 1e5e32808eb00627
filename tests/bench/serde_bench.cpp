// sluice-bench-serde: throughput of the record formats on ~200-byte records, reported as
// records/s, MB/s and ratios against baselines measured in the same run (a memcpy of every
// payload, and simdjson's DOM parse of every JSON payload), so a regression shows as a ratio
// rather than as a machine-dependent absolute number. No timed assertions.
//
//   sluice-bench-serde [--records N]     (default 1,000,000)
#include <simdjson.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include <google/protobuf/dynamic_message.h>

#include "engine/schema_registry/schema_registry.h"
#include "engine/serde/format.h"
#include "engine/serde/protobuf_schema.h"

#ifdef SLUICE_HAVE_AVRO_C
#include <avro.h>  // Debian's libavro-dev: the AVRO baseline (Avro C's generic reader)
#endif

using namespace sluice;

namespace {
constexpr size_t kPoolSize = 65536;  // distinct payloads, cycled: ~13 MB, beyond L2

struct Measure {
  double seconds = 0;
  size_t bytes = 0;
};

// Runs fn(i) for i in [0, n) and times it; fn returns the bytes it processed.
Measure Time(size_t n, const std::function<size_t(size_t)>& fn) {
  auto start = std::chrono::steady_clock::now();
  size_t bytes = 0;
  for (size_t i = 0; i < n; ++i) bytes += fn(i);
  std::chrono::duration<double> d = std::chrono::steady_clock::now() - start;
  return {d.count(), bytes};
}

void Report(const char* name, size_t n, const Measure& m, const Measure& memcpy_base,
            const Measure& dom_base) {
  double rps = n / m.seconds;
  std::printf("%-34s %12.0f rec/s %9.1f MB/s   x%7.3f of memcpy   x%6.2f of simdjson DOM\n", name,
              rps, m.bytes / m.seconds / 1e6, memcpy_base.seconds / m.seconds,
              dom_base.seconds / m.seconds);
}

std::vector<Column> JsonColumns() {
  return {{"ID", SqlType::Bigint()},      {"NAME", SqlType::String()},
          {"AMOUNT", SqlType::Double()},  {"CITY", SqlType::String()},
          {"FLAGS", SqlType::Array(SqlType::Boolean())},
          {"CREATED", SqlType::Timestamp()}, {"STATUS", SqlType::String()},
          {"SCORE", SqlType::Double()},   {"NOTE", SqlType::String()}};
}

std::string JsonRecord(size_t i) {
  static const char* kCities[] = {"London", "Paris", "Berlin", "Madrid", "Rome", "Oslo"};
  char buf[512];
  std::snprintf(buf, sizeof buf,
                R"({"ID":%zu,"NAME":"customer-%zu","AMOUNT":%zu.%02zu,"CITY":"%s",)"
                R"("FLAGS":[%s,%s,true],"CREATED":%zu,"STATUS":"%s","SCORE":0.%zu,)"
                R"("NOTE":"order note %zu, some free text to pad the record"})",
                i, i * 7 % 100000, i % 5000, i % 100, kCities[i % 6], i % 2 ? "true" : "false",
                i % 3 ? "true" : "false", 1700000000000 + i, i % 4 ? "ACTIVE" : "CLOSED",
                i * 31 % 1000, i);
  return buf;
}

template <typename T>
T Must(Result<T> r) {
  if (!r.ok()) {
    std::fprintf(stderr, "setup failed: %s\n", r.status().ToString().c_str());
    std::exit(1);
  }
  return std::move(r.value());
}

size_t ParseRecords(int argc, char** argv) {
  size_t n = 1000000;
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], "--records") == 0) n = std::stoull(argv[i + 1]);
  return n;
}

struct Baselines {
  Measure memcpy_base, dom_base;
};

Baselines MeasureBaselines(size_t n, const std::vector<std::string>& payloads) {
  std::string buf(1024, '\0');
  Baselines b;
  b.memcpy_base = Time(n, [&](size_t i) {
    const std::string& p = payloads[i % kPoolSize];
    std::memcpy(buf.data(), p.data(), p.size());
    return p.size() + (buf[0] == 'x');
  });
  simdjson::dom::parser parser;
  size_t sink = 0;
  b.dom_base = Time(n, [&](size_t i) {
    const std::string& p = payloads[i % kPoolSize];
    auto doc = parser.parse(p);  // copies into its own padded buffer, as we do
    sink += doc.error() ? 0 : 1;
    return p.size();
  });
  if (sink != n) std::fprintf(stderr, "DOM parse failed on %zu records\n", n - sink);
  return b;
}

// Deserialize-all, deserialize-2-columns and serialize for one format; `payloads` are in it.
void BenchFormat(const char* name, const FormatOptions& opts, const std::vector<Column>& cols,
                 const std::vector<std::string>& payloads, std::vector<bool> two,
                 size_t n, const Baselines& b) {
  auto all = Must(MakeDeserializer(opts, cols));
  auto some = Must(MakeDeserializer(opts, cols, std::move(two)));
  auto ser = Must(MakeSerializer(opts, cols));
  Row row;
  size_t errors = 0;
  auto deser = [&](RowDeserializer* d) {
    return [&, d](size_t i) {
      const std::string& p = payloads[i % kPoolSize];
      errors += !d->Deserialize(p, &row).ok();
      return p.size();
    };
  };
  std::string label = std::string(name) + " deserialize all";
  Report(label.c_str(), n, Time(n, deser(all.get())), b.memcpy_base, b.dom_base);
  if (cols.size() > 2) {
    label = std::string(name) + " deserialize 2 columns";
    Report(label.c_str(), n, Time(n, deser(some.get())), b.memcpy_base, b.dom_base);
  }
  // Rows to serialize: decoded once from the pool, outside the timed loop.
  std::vector<Row> rows(kPoolSize);
  for (size_t i = 0; i < kPoolSize; ++i) errors += !all->Deserialize(payloads[i], &rows[i]).ok();
  std::string out;
  label = std::string(name) + " serialize";
  Report(label.c_str(), n, Time(n, [&](size_t i) {
           errors += !ser->Serialize(rows[i % kPoolSize], &out).ok();
           return out.size();
         }), b.memcpy_base, b.dom_base);
  if (errors) std::fprintf(stderr, "%s: %zu errors\n", name, errors);
}

// Re-encodes the JSON pool into another format through its serializer.
std::vector<std::string> Encode(const FormatOptions& opts, const std::vector<Column>& cols,
                                const std::vector<std::string>& json,
                                const FormatOptions& source = FormatOptions{}) {
  auto de = Must(MakeDeserializer(source, cols));
  auto ser = Must(MakeSerializer(opts, cols));
  std::vector<std::string> out(json.size());
  Row row;
  for (size_t i = 0; i < json.size(); ++i) {
    if (!de->Deserialize(json[i], &row).ok() || !ser->Serialize(row, &out[i]).ok()) std::exit(2);
  }
  return out;
}

// Baseline for PROTOBUF's own wire decoder: libprotobuf's DynamicMessage parsing the same
// messages (after the 6-byte header and index), into its message only, no Values.
void BenchLibprotobufParse(const RegisteredSchema& schema, const std::vector<std::string>& payloads,
                           size_t n, const Baselines& b) {
  auto parsed = Must(serde::pb::ProtoSchema::Parse(schema.text, nullptr));
  const google::protobuf::Descriptor* message = Must(parsed->FindMessage(""));
  google::protobuf::DynamicMessageFactory factory;
  std::unique_ptr<google::protobuf::Message> msg(factory.GetPrototype(message)->New());
  size_t errors = 0;
  Report("baseline libprotobuf DynamicMessage", n, Time(n, [&](size_t i) {
           const std::string& p = payloads[i % kPoolSize];
           errors += !msg->ParseFromArray(p.data() + 6, static_cast<int>(p.size() - 6));
           return p.size();
         }), b.memcpy_base, b.dom_base);
  if (errors) std::fprintf(stderr, "libprotobuf: %zu errors\n", errors);
}

// PROTOBUF (Confluent's wire header, schema in an in-memory registry) and PROTOBUF_NOSR, over
// the same rows as the JSON pool.
void BenchProtobuf(const std::vector<Column>& cols, const std::vector<std::string>& json,
                   const std::vector<bool>& two, size_t n, const Baselines& b) {
  FormatOptions pb;
  pb.kind = FormatKind::kProtobuf;
  pb.registry = std::make_shared<InMemorySchemaRegistry>();
  pb.subject = "bench-value";
  std::vector<std::string> payloads = Encode(pb, cols, json);
  size_t total = 0;
  for (const std::string& p : payloads) total += p.size();
  std::printf("PROTOBUF payloads: avg %zu bytes\n", total / payloads.size());
  BenchFormat("PROTOBUF", pb, cols, payloads, two, n, b);
  BenchLibprotobufParse(*pb.registry->Latest(pb.subject), payloads, n, b);
  FormatOptions nosr;
  nosr.kind = FormatKind::kProtobufNoSr;
  BenchFormat("PROTOBUF_NOSR", nosr, cols, Encode(nosr, cols, json), two, n, b);
}

// AVRO (Confluent's wire header, the schema ksqlDB derives, in an in-memory registry) over the
// same rows as the JSON pool, and Avro C's generic reader decoding the same payloads (all
// columns) when libavro-dev is there.
void BenchAvro(const std::vector<Column>& cols, const std::vector<std::string>& json,
               const std::vector<bool>& two, size_t n, const Baselines& b) {
  FormatOptions avro;
  avro.kind = FormatKind::kAvro;
  avro.registry = std::make_shared<InMemorySchemaRegistry>();
  avro.subject = "bench-value";
  std::vector<std::string> payloads = Encode(avro, cols, json);
  size_t total = 0;
  for (const std::string& p : payloads) total += p.size();
  std::printf("AVRO payloads: avg %zu bytes\n", total / payloads.size());
  BenchFormat("AVRO", avro, cols, payloads, two, n, b);
#ifdef SLUICE_HAVE_AVRO_C
  const std::string text = avro.registry->Latest("bench-value")->text;
  avro_schema_t schema;
  if (avro_schema_from_json_length(text.data(), text.size(), &schema) != 0) {
    std::fprintf(stderr, "Avro C: %s\n", avro_strerror());
    return;
  }
  avro_value_iface_t* iface = avro_generic_class_from_schema(schema);
  avro_value_t value;
  avro_generic_value_new(iface, &value);
  avro_reader_t reader = avro_reader_memory(nullptr, 0);
  size_t errors = 0;
  Report("baseline Avro C generic read (all)", n, Time(n, [&](size_t i) {
           const std::string& p = payloads[i % kPoolSize];
           avro_reader_memory_set_source(reader, p.data() + kConfluentHeaderSize,
                                         static_cast<int64_t>(p.size() - kConfluentHeaderSize));
           errors += avro_value_read(reader, &value) != 0;
           return p.size();
         }), b.memcpy_base, b.dom_base);
  if (errors) std::fprintf(stderr, "Avro C: %zu errors\n", errors);
  avro_reader_free(reader);
  avro_value_decref(&value);
  avro_value_iface_decref(iface);
  avro_schema_decref(schema);
#else
  std::printf("(no Avro C baseline: built without libavro-dev)\n");
#endif
}
}  // namespace

int main(int argc, char** argv) {
  size_t n = ParseRecords(argc, argv);
  std::vector<std::string> json(kPoolSize);
  size_t total = 0;
  for (size_t i = 0; i < kPoolSize; ++i) total += (json[i] = JsonRecord(i)).size();
  std::printf("sluice-bench-serde: %zu records, %zu distinct payloads, avg %zu bytes (simdjson %s)\n",
              n, kPoolSize, total / kPoolSize,
              simdjson::get_active_implementation()->name().c_str());
  Baselines b = MeasureBaselines(n, json);
  Report("baseline memcpy", n, b.memcpy_base, b.memcpy_base, b.dom_base);
  Report("baseline simdjson DOM parse", n, b.dom_base, b.memcpy_base, b.dom_base);

  std::vector<Column> cols = JsonColumns();
  std::vector<bool> two(cols.size(), false);
  two[0] = two[2] = true;  // ID, AMOUNT
  BenchFormat("JSON", FormatOptions{}, cols, json, two, n, b);
  BenchAvro(cols, json, two, n, b);
  BenchProtobuf(cols, json, two, n, b);

  std::vector<Column> flat = cols;
  flat.erase(flat.begin() + 4);  // DELIMITED carries no ARRAY: drop FLAGS
  FormatOptions delimited;
  delimited.kind = FormatKind::kDelimited;
  std::vector<bool> two_flat(flat.size(), false);
  two_flat[0] = two_flat[2] = true;
  BenchFormat("DELIMITED", delimited, flat, Encode(delimited, flat, json), two_flat, n, b);

  FormatOptions kafka;
  kafka.kind = FormatKind::kKafka;
  std::vector<Column> id{{"ID", SqlType::Bigint()}};
  FormatOptions unwrapped;
  unwrapped.wrap_single_value = false;
  std::vector<std::string> ids(kPoolSize);
  for (size_t i = 0; i < kPoolSize; ++i) ids[i] = std::to_string(i);
  BenchFormat("KAFKA BIGINT", kafka, id, Encode(kafka, id, ids, unwrapped), {}, n, b);
  std::vector<Column> name{{"NAME", SqlType::String()}};
  std::vector<std::string> names(kPoolSize);
  for (size_t i = 0; i < kPoolSize; ++i) names[i] = "\"customer-" + std::to_string(i) + "\"";
  BenchFormat("KAFKA STRING", kafka, name, Encode(kafka, name, names, unwrapped), {}, n, b);
  return 0;
}
