#pragma once
// PRINT's record formatting, as ksqlDB's RecordFormatter does it: the key and the value of each
// record are tried against every format ksqlDB knows (AVRO, PROTOBUF, JSON, JSON_SR,
// KAFKA_INT, KAFKA_BIGINT, KAFKA_DOUBLE, KAFKA_STRING; keys also as SESSION(F), HOPPING(F) and
// TUMBLING(F) windowed keys). A format that fails on one record is dropped for the rest of the
// stream, so the candidates narrow as records go by; each record is rendered with the first
// candidate left, and bytes that no format reads print as Kafka's Bytes.toString (printable
// ASCII as is, everything else \xNN), never an error.
//
// Pure: bytes in, text out. The only outside call is the Schema Registry lookup of the id in a
// Confluent wire header (AVRO, PROTOBUF, JSON_SR), cached per formatter.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/runtime/test_driver.h"  // KafkaRecord
#include "engine/schema_registry/schema_registry.h"

namespace sluice::print {

// ksqlDB's formats in its order of preference (RecordFormatter.Format).
enum class Format { kAvro, kProtobuf, kJson, kJsonSr, kKafkaInt, kKafkaBigint, kKafkaDouble, kKafkaString };
const char* FormatName(Format format);  // "AVRO", ..., "KAFKA_STRING"

// How a key may be windowed (RecordFormatter.WindowSchema): Kafka Streams' windowed key
// serialization, the inner key followed by big-endian longs.
enum class Window { kNone, kSession, kHopping, kTumbling };

// "2021/03/04 10:11:12.123 Z" (UTC), or "N/A" for Kafka's NO_TIMESTAMP (-1).
std::string FormatRowtime(int64_t timestamp_ms);
// Kafka's Bytes.toString: printable ASCII except '\' as is, any other byte as \xNN (upper-case).
std::string BytesToString(std::string_view bytes);
// Java's Float.toString (shortest digits that read back as the float; 1.0E10 / 1.0E-4 forms).
std::string FormatJavaFloat(float v);

// Schemas fetched from the registry by id (a missing id is remembered too), and what was
// parsed from them, shared by the key and value sides of one formatter.
class SchemaCache {
 public:
  explicit SchemaCache(std::shared_ptr<SchemaRegistry> registry);
  ~SchemaCache();
  SchemaCache(const SchemaCache&) = delete;
  SchemaCache& operator=(const SchemaCache&) = delete;
  // The schema with this id, if the registry has one of `type`.
  const RegisteredSchema* Find(int id, SchemaType type);
  // Parsed forms, made on first use (opaque here; see record_formatter.cpp).
  struct Parsed;
  Parsed* ParsedFor(int id);

 private:
  std::shared_ptr<SchemaRegistry> registry_;
  std::map<int, std::optional<RegisteredSchema>> schemas_;
  std::map<int, std::unique_ptr<Parsed>> parsed_;
};

// One format (optionally windowed) applied to bytes: the text ksqlDB would print, or nullopt
// when the bytes are not of that format.
std::optional<std::string> TryFormat(Format format, Window window, std::string_view bytes, SchemaCache& cache);

// ksqlDB's Deserializers: the candidate formats of one side (keys or values) of a topic.
class FieldFormatter {
 public:
  FieldFormatter(SchemaCache& cache, bool include_windowed);
  // The text of one key or value: "<null>" for a null one (which tells nothing about the
  // format), else the first candidate that reads it (candidates that cannot are dropped).
  std::string Format(const std::optional<std::string>& bytes);
  // The candidates left, by name ("KAFKA_STRING", "HOPPING(KAFKA_STRING)"); ksqlDB's shrug when
  // nothing but nulls has been seen yet.
  std::vector<std::string> PossibleFormats() const;

 private:
  struct Candidate {
    print::Format format;
    Window window;
    std::string name;
  };
  SchemaCache& cache_;
  std::vector<Candidate> candidates_;
  bool seen_data_ = false;
};

inline constexpr const char* kNoDataProcessed = "\u00AF\\_(\u30C4)_/\u00AF - no data processed";

// ksqlDB's RecordFormatter: one poll's records -> one line each,
// "rowtime: <time>, key: <key>, value: <value>, partition: <n>".
class RecordFormatter {
 public:
  explicit RecordFormatter(std::shared_ptr<SchemaRegistry> registry);
  RecordFormatter(const RecordFormatter&) = delete;  // its formatters point at its cache
  RecordFormatter& operator=(const RecordFormatter&) = delete;
  // When a record of the batch drops the format that earlier records of the same batch were
  // printed with, the whole batch is printed again with what is left (as ksqlDB does).
  std::vector<std::string> Format(const std::vector<KafkaRecord>& records);
  std::vector<std::string> PossibleKeyFormats() const { return keys_.PossibleFormats(); }
  std::vector<std::string> PossibleValueFormats() const { return values_.PossibleFormats(); }

 private:
  std::vector<std::string> FormatAll(const std::vector<KafkaRecord>& records);
  SchemaCache cache_;
  FieldFormatter keys_, values_;
};

}  // namespace sluice::print
