#include "engine/config/server_config.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include "engine/kafka/client.h"

namespace sluice {

namespace {

std::string OneOf(const std::string& v, std::initializer_list<const char*> allowed) {
  for (const char* a : allowed)
    if (v == a) return "";
  std::string msg = "String must be one of: ";
  bool first = true;
  for (const char* a : allowed) {
    msg += (first ? "" : ", ") + std::string(a);
    first = false;
  }
  return msg;
}

std::function<std::string(const std::string&)> AtLeast(int64_t min) {
  return [min](const std::string& v) {
    return std::stoll(v) < min ? "Value must be at least " + std::to_string(min) : std::string();
  };
}

// listeners: comma-separated http://host:port or https://host:port.
std::string ValidateListeners(const std::string& v) {
  std::stringstream ss(v);
  std::string item;
  int count = 0;
  while (std::getline(ss, item, ',')) {
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (item.empty()) continue;
    ++count;
    const size_t scheme = item.rfind("https://", 0) == 0 ? 8 : item.rfind("http://", 0) == 0 ? 7 : 0;
    if (scheme == 0) return "listener must look like http://host:port or https://host:port: " + item;
    auto colon = item.rfind(':');
    std::string port = colon + 1 > scheme ? item.substr(colon + 1) : "";
    while (!port.empty() && port.back() == '/') port.pop_back();
    if (port.empty() || !std::all_of(port.begin(), port.end(), ::isdigit) || std::stol(port) > 65535)
      return "listener must look like http://host:port or https://host:port: " + item;
  }
  return count == 0 ? "at least one listener is needed" : "";
}

std::string ValidateKeystoreType(const std::string& v) {
  std::string upper = v;
  std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
  if (upper == "PEM") return "";
  return "Sluice reads PEM keystores only (certificate chain and private key in PEM); convert a JKS or PKCS12 "
         "keystore with keytool -importkeystore and openssl pkcs12 -nodes";
}

std::vector<PropertyDef> MakeDefs() {
  using T = PropertyType;
  return {
      {"bootstrap.servers", T::kList, "",
       "Kafka brokers to connect to (host:port,...). When unset, sluiced starts an embedded broker "
       "in-process (librdkafka's mock cluster: data in memory only, about 5 MB per partition).", {}},
      {"listeners", T::kList, "http://0.0.0.0:8088",
       "Where the REST API listens: comma-separated http://host:port or https://host:port (TLS with "
       "the ssl.keystore.* settings below); http and https listeners may be mixed.", ValidateListeners},
      {"ssl.keystore.location", T::kString, "",
       "https listeners: PEM file with the server's certificate chain (server certificate first) and, "
       "unless sluice.ssl.key.location is set, its private key (as a Kafka PEM keystore). The Kafka "
       "clients take their TLS settings as ksql.streams.ssl.*.", {}},
      {"ssl.keystore.type", T::kString, "PEM",
       "Format of ssl.keystore.location: PEM only.", ValidateKeystoreType},
      {"sluice.ssl.key.location", T::kString, "",
       "https listeners: PEM file with the private key, when it is not in ssl.keystore.location.", {}},
      {"ssl.key.password", T::kPassword, "",
       "Passphrase of an encrypted PEM private key.", {}},
      {"ssl.enabled.protocols", T::kList, "TLSv1.2,TLSv1.3",
       "TLS versions the https listeners accept: TLSv1.2, TLSv1.3.",
       [](const std::string& v) {
         std::stringstream ss(v);
         std::string item;
         while (std::getline(ss, item, ',')) {
           item.erase(0, item.find_first_not_of(" \t"));
           item.erase(item.find_last_not_of(" \t") + 1);
           if (!item.empty() && item != "TLSv1.2" && item != "TLSv1.3")
             return "supported protocols are TLSv1.2 and TLSv1.3: " + item;
         }
         return std::string();
       }},
      {"authentication.method", T::kString, "NONE",
       "NONE, or BASIC: every REST endpoint and the websocket need HTTP Basic credentials from "
       "sluice.authentication.password.file, except /healthcheck, /v1/metadata, /v1/metadata/id and "
       "authentication.skip.paths.",
       [](const std::string& v) { return OneOf(v, {"NONE", "BASIC"}); }},
      {"authentication.realm", T::kString, "",
       "Realm named in the WWW-Authenticate header of a 401 answer.", {}},
      {"authentication.roles", T::kList, "*",
       "Roles allowed in (a user needs one of them; roles follow the password in the password "
       "file). * or **: every user of the file. Other users get 403.", {}},
      {"authentication.skip.paths", T::kList, "",
       "More paths served without credentials, comma-separated; * matches any characters "
       "(/metrics,/debug/*).", {}},
      {"sluice.authentication.password.file", T::kString, "",
       "authentication.method=BASIC: the users, one per line as Jetty's PropertyFileLoginModule file "
       "that ksqlDB's JAAS setup names: `user: password[,role...]`, the password plain or OBF:, MD5:, "
       "CRYPT: as Jetty's Password tool prints it.", {}},
      {"ksql.service.id", T::kString, "default_",
       "The server cluster's id: servers with the same id share queries; names the command topic "
       "(_confluent-ksql-<id>_command_topic), consumer groups and internal topics.",
       [](const std::string& v) { return v.empty() ? std::string("must not be empty") : std::string(); }},
      {"ksql.streams.state.dir", T::kString, "/tmp/kafka-streams",
       "Directory for local state (RocksDB stores of tables and aggregates).", {}},
      {"ksql.streams.num.stream.threads", T::kInt, "4",
       "Stream threads running persistent queries' tasks.", AtLeast(1)},
      {"ksql.streams.processing.guarantee", T::kString, "at_least_once",
       "at_least_once, or exactly_once_v2 for Kafka transactions (exactly_once and "
       "exactly_once_beta are read as exactly_once_v2). Also settable as processing.guarantee.",
       [](const std::string& v) {
         return OneOf(v, {"at_least_once", "exactly_once", "exactly_once_beta", "exactly_once_v2"});
       }},
      {"ksql.streams.commit.interval.ms", T::kLong, "2000",
       "How often tasks flush their state and commit their input offsets.", AtLeast(0)},
      {"ksql.streams.cache.max.bytes.buffering", T::kLong, "10000000",
       "Bytes of record cache for state stores; 0 emits every update.", AtLeast(0)},
      {"ksql.streams.auto.offset.reset", T::kString, "latest",
       "Where a new query starts reading its sources: earliest or latest.",
       [](const std::string& v) { return OneOf(v, {"earliest", "latest", "none"}); }},
      {"ksql.queries.file", T::kString, "",
       "Headless mode: run the statements of this file at start-up; the REST API then refuses "
       "statements.", {}},
      {"ksql.internal.topic.replicas", T::kInt, "1",
       "Replication factor of internal topics (command topic, repartition, changelog).", AtLeast(1)},
      {"ksql.internal.topic.min.insync.replicas", T::kInt, "1",
       "min.insync.replicas of internal topics.", AtLeast(1)},
      {"ksql.persistent.prefix", T::kString, "query_",
       "Prefix of persistent queries' consumer groups and internal topics after the service id.", {}},
      {"ksql.output.topic.name.prefix", T::kString, "",
       "Prefix for the sink topic names that CREATE ... AS SELECT derives.", {}},
      {"ksql.query.persistent.active.limit", T::kInt, "2147483647",
       "Maximum number of running persistent queries.", AtLeast(1)},
      {"ksql.fail.on.deserialization.error", T::kBoolean, "false",
       "Fail a query on a record it cannot deserialize (else: processing log, record skipped).", {}},
      {"ksql.fail.on.production.error", T::kBoolean, "true",
       "Fail a query when writing its output fails (else: processing log, record skipped).", {}},
      {"ksql.timestamp.throw.on.invalid", T::kBoolean, "false",
       "Fail a query on an invalid timestamp (else: processing log, record skipped).", {}},
      {"ksql.logging.processing.topic.auto.create", T::kBoolean, "false",
       "Create the processing log topic at start-up.", {}},
      {"ksql.logging.processing.topic.name", T::kString, "",
       "Processing log topic; empty: <service id>ksql_processing_log.", {}},
      {"ksql.logging.processing.topic.partitions", T::kInt, "1",
       "Partitions of the processing log topic.", AtLeast(1)},
      {"ksql.logging.processing.topic.replication.factor", T::kInt, "1",
       "Replication factor of the processing log topic.", AtLeast(1)},
      {"ksql.logging.processing.stream.auto.create", T::kBoolean, "false",
       "Register the processing log stream over its topic at start-up (when the command topic is "
       "empty, as ksqlDB does).", {}},
      {"ksql.logging.processing.stream.name", T::kString, "KSQL_PROCESSING_LOG",
       "Name of the processing log stream that stream.auto.create registers.", {}},
      {"ksql.logging.processing.rows.include", T::kBoolean, "false",
       "Include the failing record's row in processing log entries.", {}},
      {"ksql.query.pull.table.scan.enabled", T::kBoolean, "true",
       "Allow pull queries that scan a whole table (no key condition).", {}},
      {"sluice.query.pull.max.staleness.ms", T::kLong, "100",
       "How stale a pull query on a table may be: it sees every record the table's topic held at "
       "some moment no more than this before the query started (each queried table is kept by a "
       "consumer tailing its topic). 0: every record written before the query (one broker round "
       "trip per query). Also a request property.", AtLeast(0)},
      {"ksql.schema.registry.url", T::kString, "",
       "Schema Registry for AVRO, PROTOBUF and JSON_SR formats (comma-separated http:// URLs: the "
       "first that answers). When unset, sluiced serves its own registry in memory on "
       "sluice.schema.registry.listener.", {}},
      {"ksql.schema.registry.basic.auth.credentials.source", T::kString, "",
       "HTTP basic auth to the Schema Registry: USER_INFO (ksql.schema.registry.basic.auth.user.info) "
       "or URL (user:password@ in the URL); empty: none.",
       [](const std::string& v) { return v.empty() ? std::string() : OneOf(v, {"USER_INFO", "URL"}); }},
      {"ksql.schema.registry.basic.auth.user.info", T::kPassword, "",
       "user:password for the Schema Registry when the credentials source is USER_INFO.", {}},
      {"sluice.schema.registry.listener", T::kString, "http://0.0.0.0:8081",
       "With no ksql.schema.registry.url: where the embedded Schema Registry (Confluent's REST API, "
       "in memory) listens. Port 0: an ephemeral port. When the default port is taken, an ephemeral "
       "port is used instead (logged, and in GET /info); a port set here that is taken stops start-up.",
       [](const std::string& v) {
         if (v.find(',') != std::string::npos) return std::string("one listener only");
         if (v.rfind("https://", 0) == 0) return std::string("the embedded Schema Registry serves http:// only");
         return ValidateListeners(v);
       }},
      {"sluice.embedded.broker.port", T::kInt, "0",
       "With no bootstrap.servers: a fixed 127.0.0.1 port clients bootstrap from (0: the "
       "embedded broker's own ephemeral port only).",
       [](const std::string& v) {
         long p = std::stol(v);
         return p < 0 || p > 65535 ? std::string("must be a port number (0-65535)") : std::string();
       }},
  };
}

bool ParseBool(const std::string& v, bool* out) {
  std::string l = v;
  std::transform(l.begin(), l.end(), l.begin(), ::tolower);
  if (l == "true") *out = true;
  else if (l == "false") *out = false;
  else return false;
  return true;
}

bool ParseInteger(const std::string& v, int64_t min, int64_t max) {
  if (v.empty()) return false;
  size_t i = (v[0] == '-' || v[0] == '+') ? 1 : 0;
  if (i == v.size() || !std::all_of(v.begin() + i, v.end(), ::isdigit)) return false;
  try {
    long long n = std::stoll(v);
    return n >= min && n <= max;
  } catch (...) {
    return false;
  }
}

// The blanks of a Java .properties file: space, tab, form feed.
std::string TrimPropertiesBlanks(std::string s) {
  s.erase(0, s.find_first_not_of(" \t\f"));
  s.erase(s.find_last_not_of(" \t\f") + 1);
  return s;
}

}  // namespace

const std::vector<PropertyDef>& ServerPropertyDefs() {
  static const std::vector<PropertyDef> defs = MakeDefs();
  return defs;
}

std::string CanonicalPropertyName(const std::string& name) {
  if (name == "processing.guarantee") return "ksql.streams.processing.guarantee";
  return name;
}

const PropertyDef* FindPropertyDef(const std::string& name) {
  const std::string canonical = CanonicalPropertyName(name);
  for (const PropertyDef& d : ServerPropertyDefs())
    if (d.name == canonical) return &d;
  return nullptr;
}

const char* PropertyTypeName(PropertyType type) {
  switch (type) {
    case PropertyType::kString: return "STRING";
    case PropertyType::kInt: return "INT";
    case PropertyType::kLong: return "LONG";
    case PropertyType::kBoolean: return "BOOLEAN";
    case PropertyType::kList: return "LIST";
    case PropertyType::kPassword: return "PASSWORD";
  }
  return "STRING";
}

// ---- Java properties ------------------------------------------------------------------------

namespace {

// Unescapes a key or value as Properties.load does. `line` for the error message.
Result<std::string> Unescape(const std::string& s, int line) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c != '\\' || i + 1 == s.size()) {
      if (c != '\\') out += c;
      continue;
    }
    c = s[++i];
    switch (c) {
      case 't': out += '\t'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 'f': out += '\f'; break;
      case 'u': {
        unsigned code = 0;
        for (int k = 1; k <= 4; ++k) {
          char h = i + k < s.size() ? s[i + k] : '\0';
          if (!std::isxdigit(static_cast<unsigned char>(h)))
            return Status::InvalidArgument("line " + std::to_string(line) + ": Malformed \\uxxxx encoding.");
          code = code * 16 + (std::isdigit(static_cast<unsigned char>(h)) ? h - '0' : (std::tolower(h) - 'a' + 10));
        }
        i += 4;
        // UTF-8 of the BMP code point (surrogate pairs are left as two 3-byte sequences).
        if (code < 0x80) out += static_cast<char>(code);
        else if (code < 0x800) {
          out += static_cast<char>(0xC0 | (code >> 6));
          out += static_cast<char>(0x80 | (code & 0x3F));
        } else {
          out += static_cast<char>(0xE0 | (code >> 12));
          out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
          out += static_cast<char>(0x80 | (code & 0x3F));
        }
        break;
      }
      default: out += c;
    }
  }
  return out;
}

bool EndsWithOddBackslashes(const std::string& s) {
  size_t n = 0;
  for (auto it = s.rbegin(); it != s.rend() && *it == '\\'; ++it) ++n;
  return n % 2 == 1;
}

}  // namespace

Result<std::vector<std::pair<std::string, std::string>>> ParseJavaProperties(const std::string& text) {
  std::vector<std::string> lines;
  {
    std::string cur;
    for (size_t i = 0; i < text.size(); ++i) {
      char c = text[i];
      if (c == '\r' || c == '\n') {
        lines.push_back(cur);
        cur.clear();
        if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      } else {
        cur += c;
      }
    }
    if (!cur.empty()) lines.push_back(cur);
  }
  std::vector<std::pair<std::string, std::string>> out;
  for (size_t i = 0; i < lines.size(); ++i) {
    const int first_line = static_cast<int>(i) + 1;
    std::string logical = lines[i];
    logical.erase(0, logical.find_first_not_of(" \t\f"));
    if (logical.empty() || logical[0] == '#' || logical[0] == '!') continue;
    while (EndsWithOddBackslashes(logical)) {
      logical.pop_back();
      if (++i >= lines.size()) break;
      std::string next = lines[i];
      next.erase(0, std::min(next.size(), next.find_first_not_of(" \t\f")));
      logical += next;
    }
    // Key ends at the first unescaped '=', ':' or whitespace.
    size_t k = 0;
    bool escaped = false;
    for (; k < logical.size(); ++k) {
      char c = logical[k];
      if (escaped) { escaped = false; continue; }
      if (c == '\\') { escaped = true; continue; }
      if (c == '=' || c == ':' || c == ' ' || c == '\t' || c == '\f') break;
    }
    std::string key = logical.substr(0, k);
    size_t v = k;
    while (v < logical.size() && (logical[v] == ' ' || logical[v] == '\t' || logical[v] == '\f')) ++v;
    if (v < logical.size() && (logical[v] == '=' || logical[v] == ':')) {
      ++v;
      while (v < logical.size() && (logical[v] == ' ' || logical[v] == '\t' || logical[v] == '\f')) ++v;
    }
    auto ukey = Unescape(key, first_line);
    if (!ukey.ok()) return ukey.status();
    auto uvalue = Unescape(logical.substr(v), first_line);
    if (!uvalue.ok()) return uvalue.status();
    out.emplace_back(std::move(*ukey), std::move(*uvalue));
  }
  return out;
}

// ---- validation -----------------------------------------------------------------------------

Status ValidateProperty(const std::string& name, const std::string& value) {
  const PropertyDef* def = FindPropertyDef(name);
  auto invalid = [&](const std::string& why) {
    return Status::InvalidArgument("Invalid value " + value + " for configuration " + name + ": " + why);
  };
  if (!def) {
    std::string client_name = name.rfind("ksql.streams.", 0) == 0 ? name.substr(13) : name;
    for (const char* prefix : {"producer.", "consumer.", "admin."})
      if (client_name.rfind(prefix, 0) == 0) client_name = client_name.substr(std::string(prefix).size());
    if (IsLibrdkafkaProperty(client_name)) {
      Status s = ValidateLibrdkafkaProperty(client_name, value);
      if (!s.ok()) return Status::InvalidArgument("Invalid value " + value + " for configuration " + name + ": " +
                                                  s.message().substr(s.message().find(": ") + 2));
    }
    return Status::OK();
  }
  switch (def->type) {
    case PropertyType::kInt:
      if (!ParseInteger(value, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max()))
        return invalid("Not a number of type INT");
      break;
    case PropertyType::kLong:
      if (!ParseInteger(value, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()))
        return invalid("Not a number of type LONG");
      break;
    case PropertyType::kBoolean: {
      bool b;
      if (!ParseBool(value, &b)) return invalid("Expected value to be either true or false");
      break;
    }
    default: break;
  }
  if (def->validator) {
    std::string why = def->validator(value);
    if (!why.empty()) return invalid(why);
  }
  return Status::OK();
}

std::string PropertyNameFromEnv(const std::string& variable) {
  if (variable.rfind("KSQL_", 0) != 0 || variable.size() <= 5) return "";
  static const std::set<std::string> kNotProperties = {
      "KSQL_CLASSPATH", "KSQL_CONFIG_DIR", "KSQL_LOG_DIR", "KSQL_JMX_HOSTNAME", "KSQL_JMX_PORT",
      "KSQL_LOG4J_ROOT_LOGLEVEL", "KSQL_LOG4J_LOGGERS", "KSQL_LOG4J_PROCESSING_LOG_BROKERLIST",
      "KSQL_LOG4J_PROCESSING_LOG_TOPIC"};
  if (kNotProperties.count(variable)) return "";
  if (variable.size() > 5 && variable.compare(variable.size() - 5, 5, "_OPTS") == 0) return "";
  std::string rest = variable.substr(5), out;
  for (size_t i = 0; i < rest.size();) {
    if (rest.compare(i, 3, "___") == 0) { out += '-'; i += 3; }
    else if (rest.compare(i, 2, "__") == 0) { out += '_'; i += 2; }
    else if (rest[i] == '_') { out += '.'; ++i; }
    else { out += static_cast<char>(std::tolower(static_cast<unsigned char>(rest[i]))); ++i; }
  }
  return out;
}

// ---- ServerConfig ---------------------------------------------------------------------------

Result<ServerConfig> ServerConfig::Build(const std::vector<std::pair<std::string, std::string>>& file_entries,
                                         const std::vector<std::string>& env,
                                         std::vector<std::string>* warnings) {
  std::vector<std::pair<std::string, std::string>> entries = file_entries;
  for (const std::string& e : env) {
    auto eq = e.find('=');
    if (eq == std::string::npos) continue;
    std::string name = PropertyNameFromEnv(e.substr(0, eq));
    if (!name.empty()) entries.emplace_back(name, e.substr(eq + 1));
  }
  ServerConfig config;
  for (auto& [name, value] : entries) {
    std::string v = TrimPropertiesBlanks(value);  // trailing blanks in a properties file are never meant
    SLUICE_RETURN_IF_ERROR(ValidateProperty(name, v));
    const bool known = FindPropertyDef(name) != nullptr;
    const bool streams = name.rfind("ksql.streams.", 0) == 0;
    if (!known && !streams && !IsLibrdkafkaProperty(name) && warnings) {
      warnings->push_back("Unknown property '" + name + "' (not a Sluice/ksqlDB property nor a "
                          "librdkafka setting): ignored");
    } else if (!known && streams && warnings) {
      std::string inner = name.substr(13);
      for (const char* prefix : {"producer.", "consumer.", "admin."})
        if (inner.rfind(prefix, 0) == 0) inner = inner.substr(std::string(prefix).size());
      if (!IsLibrdkafkaProperty(inner))
        warnings->push_back("Property '" + name + "' is a Kafka Streams setting Sluice does not use: ignored");
    }
    config.values_[CanonicalPropertyName(name)] = v;
  }
  return config;
}

Result<ServerConfig> ServerConfig::Load(const std::string& path, const std::vector<std::string>& env,
                                        std::vector<std::string>* warnings) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot read config file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  auto entries = ParseJavaProperties(ss.str());
  if (!entries.ok()) return Status::InvalidArgument(path + ": " + entries.status().message());
  auto config = Build(*entries, env, warnings);
  if (!config.ok()) return Status::InvalidArgument(path + ": " + config.status().message());
  return config;
}

ServerConfig ServerConfig::Defaults() { return ServerConfig(); }

std::string ServerConfig::Get(const std::string& name) const {
  const std::string canonical = CanonicalPropertyName(name);
  if (auto it = values_.find(canonical); it != values_.end()) return it->second;
  const PropertyDef* def = FindPropertyDef(canonical);
  return def ? def->default_value : "";
}

int64_t ServerConfig::GetLong(const std::string& name) const {
  std::string v = Get(name);
  return v.empty() ? 0 : std::stoll(v);
}

bool ServerConfig::GetBool(const std::string& name) const {
  bool b = false;
  ParseBool(Get(name), &b);
  return b;
}

std::map<std::string, std::string> ServerConfig::KafkaClientProperties(const std::string& client) const {
  std::map<std::string, std::string> out;
  for (const auto& [name, value] : values_) {
    if (FindPropertyDef(name) && name != "bootstrap.servers") continue;
    if (name.rfind("ksql.streams.", 0) == 0) {
      std::string inner = name.substr(13);
      auto dot = inner.find('.');
      std::string prefix = dot == std::string::npos ? "" : inner.substr(0, dot);
      if (prefix == "producer" || prefix == "consumer" || prefix == "admin") {
        if (prefix != client) continue;
        inner = inner.substr(dot + 1);
      }
      if (IsLibrdkafkaProperty(inner)) out[inner] = value;
    } else if (name.rfind("ksql.", 0) != 0 && IsLibrdkafkaProperty(name)) {
      out[name] = value;
    }
  }
  return out;
}

std::map<std::string, std::string> ServerConfig::AllProperties() const {
  std::map<std::string, std::string> out;
  for (const PropertyDef& d : ServerPropertyDefs()) out[d.name] = d.default_value;
  for (const auto& [name, value] : values_) out[name] = value;
  return out;
}

std::map<std::string, std::string> ServerConfig::EngineProperties() const {
  std::map<std::string, std::string> out;
  for (const auto& [name, value] : AllProperties())
    if (name.rfind("ksql.", 0) == 0 && !value.empty()) out[name] = value;
  return out;
}

// ---- sample file ----------------------------------------------------------------------------

std::string RenderSampleProperties() {
  std::string out =
      "# Sluice server configuration: Java properties with ksqlDB's names.\n"
      "# Generated from the property table (engine/config/server_config.cpp) by\n"
      "# `sluiced --print-config`; a test checks that they agree.\n"
      "#\n"
      "# Every setting is commented out: the value shown is the default. Any ksql.streams.* or\n"
      "# librdkafka property may be added and is passed to the Kafka clients. Environment\n"
      "# variables override this file as in ksqlDB's docker images: KSQL_BOOTSTRAP_SERVERS sets\n"
      "# bootstrap.servers, KSQL_KSQL_SERVICE_ID sets ksql.service.id.\n"
      "#\n"
      "# Start with: sluiced --config conf/sluice.properties\n";
  for (const PropertyDef& d : ServerPropertyDefs()) {
    out += "\n";
    // Doc wrapped at 92 columns after "# ".
    std::stringstream words(d.doc);
    std::string word, line;
    while (words >> word) {
      if (!line.empty() && line.size() + 1 + word.size() > 92) {
        out += "# " + line + "\n";
        line.clear();
      }
      line += (line.empty() ? "" : " ") + word;
    }
    if (!line.empty()) out += "# " + line + "\n";
    out += "# Type: " + std::string(PropertyTypeName(d.type)) + "\n";
    out += "#" + d.name + "=" + d.default_value + "\n";
  }
  return out;
}

}  // namespace sluice
