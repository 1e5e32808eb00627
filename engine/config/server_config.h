#pragma once
// The server's configuration: one table of properties (name, type, default, doc, validator)
// with ksqlDB's names, read by validation, the sample config file (conf/sluice.properties is
// rendered from it) and SHOW PROPERTIES. Sources, later ones winning: the table's defaults, a
// Java-properties file (`sluiced --config FILE`), KSQL_* environment variables as ksqlDB's
// docker images read them (KSQL_BOOTSTRAP_SERVERS -> bootstrap.servers).
//
// Besides the table: any `ksql.streams.X` (Kafka Streams settings in ksqlDB) and any
// librdkafka property are accepted and passed to the Kafka clients (`ksql.streams.` stripped;
// librdkafka validates the value at start-up). Anything else is kept and warned about.
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "engine/common/status.h"

namespace sluice {

enum class PropertyType { kString, kInt, kLong, kBoolean, kList, kPassword };

struct PropertyDef {
  std::string name;
  PropertyType type;
  std::string default_value;  // as written in a properties file; "" = unset
  std::string doc;
  // Extra check after the type check (ranges, enums, URLs). Returns the reason, "" when fine.
  std::function<std::string(const std::string&)> validator;
};

// The table, in the order the sample config shows it.
const std::vector<PropertyDef>& ServerPropertyDefs();
const PropertyDef* FindPropertyDef(const std::string& name);
const char* PropertyTypeName(PropertyType type);

// `processing.guarantee` is ksqlDB's shorthand for `ksql.streams.processing.guarantee`.
std::string CanonicalPropertyName(const std::string& name);

// Java's Properties.load: '#'/'!' comments, '=' ':' or whitespace separators, backslash
// escapes (\t \n \r \f \uXXXX, others literal), continuation lines. A malformed \u escape is
// an error with its line number. Later duplicates win, as in Java.
Result<std::vector<std::pair<std::string, std::string>>> ParseJavaProperties(const std::string& text);

class ServerConfig {
 public:
  // Builds the configuration from `file_entries` (already parsed) and `env` (NAME=VALUE
  // entries, typically `environ`). Every value is validated; the first bad one is
  // InvalidArgument naming the property. Unknown properties go to `warnings`.
  static Result<ServerConfig> Build(const std::vector<std::pair<std::string, std::string>>& file_entries,
                                    const std::vector<std::string>& env,
                                    std::vector<std::string>* warnings);
  // Reads and parses FILE then Build(); errors name the file.
  static Result<ServerConfig> Load(const std::string& path, const std::vector<std::string>& env,
                                   std::vector<std::string>* warnings);
  // Defaults only (tests, tools).
  static ServerConfig Defaults();

  // The effective value: set, else the table's default ("" for an unknown, unset name).
  std::string Get(const std::string& name) const;
  int64_t GetLong(const std::string& name) const;
  bool GetBool(const std::string& name) const;
  bool IsSet(const std::string& name) const { return values_.count(CanonicalPropertyName(name)) > 0; }
  void Set(const std::string& name, const std::string& value) { values_[CanonicalPropertyName(name)] = value; }

  // librdkafka settings for a client: bootstrap.servers, librdkafka properties set at top
  // level, ksql.streams.X where X is a librdkafka property, and ksql.streams.<client>.X for
  // `client` "producer", "consumer" or "admin" (Kafka Streams' prefixes).
  std::map<std::string, std::string> KafkaClientProperties(const std::string& client = "") const;
  // What ksqlDB's SHOW PROPERTIES lists: every table property (default or set) plus every
  // property set explicitly.
  std::map<std::string, std::string> AllProperties() const;
  // Properties as the engine's statement execution wants them (ksql.* and ksql.streams.*).
  std::map<std::string, std::string> EngineProperties() const;
  // Where the values came from, per property: "default", the file, or the env variable.
  const std::map<std::string, std::string>& explicit_values() const { return values_; }

 private:
  std::map<std::string, std::string> values_;  // explicitly set, canonical names
};

// Checks one value against the table (type + validator) or librdkafka; OK for unknown names.
Status ValidateProperty(const std::string& name, const std::string& value);

// conf/sluice.properties: every table property, its doc as a comment, the default commented
// out (so the file changes nothing unless edited). Deterministic: a test compares the file.
std::string RenderSampleProperties();

// KSQL_KSQL_SERVICE_ID -> ksql.service.id ("___" -> "-", "__" -> "_", "_" -> "."); empty for
// variables that are not properties (KSQL_OPTS, KSQL_HEAP_OPTS, ...).
std::string PropertyNameFromEnv(const std::string& variable);

}  // namespace sluice
