#include "server/schema_registry_service.h"

#include <algorithm>
#include <cctype>
#include <climits>

#include <spdlog/spdlog.h>

#include "server/http_exchange.h"
#include "server/schema_registry_avro.h"
#include "server/schema_registry_protobuf.h"

namespace sluice {

using json = nlohmann::json;

namespace {

// Confluent's error codes (io.confluent.kafka.schemaregistry.rest.exceptions.Errors).
constexpr int kSubjectNotFound = 40401;
constexpr int kVersionNotFound = 40402;
constexpr int kSchemaNotFound = 40403;
constexpr int kSubjectNotSoftDeleted = 40405;
constexpr int kSubjectLevelNotConfigured = 40408;
constexpr int kSubjectLevelModeNotConfigured = 40409;
constexpr int kIncompatibleSchema = 409;
constexpr int kInvalidSchema = 42201;
constexpr int kInvalidVersion = 42202;
constexpr int kInvalidCompatibilityLevel = 42203;
constexpr int kInvalidMode = 42204;
constexpr int kOperationNotPermitted = 42205;  // modes: read-only, not importing, id taken
constexpr int kStoreError = 50001;

const std::vector<std::string> kLevels{"NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD",
                                       "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE"};

HttpReply Error(int http_status, int error_code, const std::string& message) {
  return {http_status, json{{"error_code", error_code}, {"message", message}}.dump()};
}
HttpReply NotFoundRoute() { return Error(404, 404, "HTTP 404 Not Found"); }
HttpReply MethodNotAllowed() { return Error(405, 405, "HTTP 405 Method Not Allowed"); }
HttpReply SubjectNotFound(const std::string& subject) {
  return Error(404, kSubjectNotFound, "Subject '" + subject + "' not found.");
}
HttpReply InvalidSchema(const std::string& details) { return Error(422, kInvalidSchema, "Invalid schema: " + details); }
HttpReply Ok(const json& body) { return {200, body.dump()}; }
HttpReply NotPermitted(const std::string& message) { return Error(422, kOperationNotPermitted, message); }


// "/subjects/a%2Fb/versions/" -> {"subjects", "a/b", "versions"}.
std::vector<std::string> Segments(const std::string& path) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    if (slash > start) out.push_back(PercentDecode(path.substr(start, slash - start), true));
    start = slash + 1;
  }
  return out;
}

std::map<std::string, std::string> ParseQuery(const std::string& query) {
  std::map<std::string, std::string> out;
  size_t start = 0;
  while (start < query.size()) {
    size_t amp = query.find('&', start);
    if (amp == std::string::npos) amp = query.size();
    std::string item = query.substr(start, amp - start);
    size_t eq = item.find('=');
    if (!item.empty()) out[PercentDecode(item.substr(0, eq), true)] = eq == std::string::npos ? "" : PercentDecode(item.substr(eq + 1), true);
    start = amp + 1;
  }
  return out;
}

bool QueryFlag(const std::map<std::string, std::string>& q, const std::string& name) {
  auto it = q.find(name);
  if (it == q.end()) return false;
  std::string v = it->second;
  std::transform(v.begin(), v.end(), v.begin(), ::tolower);
  return v == "true" || v.empty();
}

// A version path segment: "latest" or -1 (the latest), else 1..2^31-1. nullopt = invalid.
std::optional<int> ParseVersion(const std::string& v) {
  if (v == "latest") return -1;
  if (v.empty() || v.size() > 11) return std::nullopt;
  size_t used = 0;
  long long n = 0;
  try {
    n = std::stoll(v, &used);
  } catch (...) {
    return std::nullopt;
  }
  if (used != v.size() || n == 0 || n < -1 || n > INT_MAX) return std::nullopt;
  return static_cast<int>(n);
}

HttpReply InvalidVersion(const std::string& v) {
  return Error(422, kInvalidVersion,
               "The specified version '" + v +
                   "' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\"");
}

std::optional<int> ParseId(const std::string& s) {
  if (s.empty() || s.size() > 10 || !std::all_of(s.begin(), s.end(), ::isdigit)) return std::nullopt;
  long long n = std::stoll(s);
  if (n > INT_MAX) return std::nullopt;
  return static_cast<int>(n);
}

// Same schema? Exact text, or (Avro, JSON Schema) the same JSON: the registry may hold a text
// that the engine registered in another layout.
bool SameText(SchemaType type, const std::string& a, const std::string& b) {
  if (a == b) return true;
  if (type == SchemaType::kProtobuf) return false;
  json ja = json::parse(a, nullptr, false), jb = json::parse(b, nullptr, false);
  return !ja.is_discarded() && !jb.is_discarded() && ja == jb;
}

}  // namespace

SchemaRegistryService::SchemaRegistryService(std::shared_ptr<SchemaRegistry> registry)
    : registry_(std::move(registry)) {}

HttpReply SchemaRegistryService::Handle(const std::string& method, const std::string& path,
                                        const std::string& query, const std::string& body) {
  const std::vector<std::string> seg = Segments(path);
  const Query q = ParseQuery(query);
  std::lock_guard lock(mu_);  // all in memory: one request at a time costs microseconds
  try {
    if (seg.empty()) return method == "GET" ? Ok(json::object()) : MethodNotAllowed();
    if (seg[0] == "schemas") return Schemas(method, seg);
    if (seg[0] == "subjects") return Subjects(method, seg, q, body);
    if (seg[0] == "config") return Config(method, seg, q, body);
    if (seg[0] == "compatibility") return Compatibility(method, seg, q, body);
    if (seg[0] == "mode") return Mode(method, seg, q, body);
  } catch (const std::exception& e) {  // nlohmann type errors on odd bodies end here, not in a crash
    spdlog::warn("schema registry {} {}: {}", method, path, e.what());
    return Error(500, kStoreError, std::string("Error in the backend data store: ") + e.what());
  }
  return NotFoundRoute();
}

// ---- /schemas ----

HttpReply SchemaRegistryService::Schemas(const std::string& method, const std::vector<std::string>& seg) {
  if (seg.size() == 2 && seg[1] == "types")
    return method == "GET" ? Ok(json::array({"JSON", "PROTOBUF", "AVRO"})) : MethodNotAllowed();
  if (seg.size() < 3 || seg.size() > 4 || seg[1] != "ids") return NotFoundRoute();
  if (method != "GET") return MethodNotAllowed();
  auto id = ParseId(seg[2]);
  if (!id) return NotFoundRoute();
  auto schema = registry_->ById(*id);
  if (!schema.ok()) return Error(404, kSchemaNotFound, "Schema " + seg[2] + " not found");
  if (seg.size() == 3) return Ok(SchemaJson(*schema, false));
  if (seg[3] == "schema") return {200, schema->text};
  if (seg[3] == "subjects" || seg[3] == "versions") {
    json out = json::array();
    auto subjects = registry_->Subjects();
    for (const std::string& subject : subjects.ok() ? *subjects : std::vector<std::string>{}) {
      for (const RegisteredSchema& v : AllVersions(subject)) {
        if (v.id != *id) continue;
        if (seg[3] == "subjects") out.push_back(subject);
        else out.push_back({{"subject", subject}, {"version", v.version}});
      }
    }
    return Ok(out);
  }
  return NotFoundRoute();
}

json SchemaRegistryService::SchemaJson(const RegisteredSchema& s, bool with_subject) {
  json j = json::object();
  if (with_subject) {
    j["subject"] = s.subject;
    j["version"] = s.version;
    j["id"] = s.id;
  }
  if (s.type != SchemaType::kAvro) j["schemaType"] = SchemaTypeName(s.type);  // Confluent omits AVRO
  if (auto refs = references_.find(s.id); refs != references_.end() && !refs->second.empty())
    j["references"] = refs->second;
  j["schema"] = s.text;
  return j;
}

// ---- /subjects ----

HttpReply SchemaRegistryService::Subjects(const std::string& method, const std::vector<std::string>& seg,
                                          const Query& query, const std::string& body) {
  if (seg.size() == 1) {
    if (method != "GET") return MethodNotAllowed();
    auto subjects = registry_->Subjects();
    if (!subjects.ok()) return Error(500, kStoreError, subjects.status().message());
    std::vector<std::string> out = *subjects;
    if (QueryFlag(query, "deleted"))
      for (const auto& [subject, versions] : soft_deleted_) out.push_back(subject);
    if (auto prefix = query.find("subjectPrefix"); prefix != query.end())
      out.erase(std::remove_if(out.begin(), out.end(),
                               [&](const std::string& s) { return s.rfind(prefix->second, 0) != 0; }),
                out.end());
    std::sort(out.begin(), out.end());
    return Ok(out);
  }
  const std::string& subject = seg[1];
  if (seg.size() == 2) {
    if (method == "POST") return Lookup(subject, body);
    if (method == "DELETE") return DeleteSubject(subject, QueryFlag(query, "permanent"));
    return MethodNotAllowed();
  }
  if (seg[2] != "versions" || seg.size() > 5) return NotFoundRoute();
  if (seg.size() == 3) {
    if (method == "POST") return Register(subject, body);
    if (method != "GET") return MethodNotAllowed();
    auto versions = registry_->Versions(subject);
    if (!versions.ok()) return SubjectNotFound(subject);
    return Ok(*versions);
  }
  if (seg.size() == 5 && seg[4] != "schema") return NotFoundRoute();
  if (method == "DELETE")
    return Error(405, 405, "Deleting one version of a subject is not supported by Sluice's embedded registry; "
                           "delete the subject (DELETE /subjects/" + subject + ")");
  if (method != "GET") return MethodNotAllowed();
  return GetVersion(subject, seg[3], seg.size() == 5);
}

HttpReply SchemaRegistryService::GetVersion(const std::string& subject, const std::string& version, bool raw) {
  auto v = ParseVersion(version);
  if (!v) return InvalidVersion(version);
  if (!registry_->Versions(subject).ok()) return SubjectNotFound(subject);
  auto schema = registry_->Version(subject, *v);
  if (!schema.ok()) return Error(404, kVersionNotFound, "Version " + version + " not found.");
  if (raw) return {200, schema->text};
  return Ok(SchemaJson(*schema, true));
}

// Confluent's order: a schema already in the subject answers its id (in any mode); then the
// mode decides (READONLY refuses, an id needs IMPORT, IMPORT needs an id); compatibility is
// not checked while importing; an id already holding another schema is refused.
HttpReply SchemaRegistryService::Register(const std::string& subject, const std::string& body) {
  auto candidate = ParseCandidate(body);
  if (!candidate.ok()) return InvalidSchema(candidate.status().message());
  const json req = json::parse(body);  // ParseCandidate checked it is an object
  std::optional<int> id;
  if (req.contains("id") && !req["id"].is_null()) {
    if (!req["id"].is_number_integer()) return InvalidSchema("\"id\" must be an integer");
    if (req["id"].get<long long>() >= 0) id = req["id"].get<int>();  // -1: none, as Confluent's clients send it
  }
  if (auto existing = FindInSubject(subject, *candidate); existing && (!id || existing->id == *id))
    return Ok(json{{"id", existing->id}});
  const RegistryMode mode = ModeOf(subject);
  if (mode == RegistryMode::kReadOnly) return NotPermitted("Subject " + subject + " is in read-only mode");
  if (id && mode != RegistryMode::kImport) return NotPermitted("Subject " + subject + " is not in import mode");
  if (!id && mode != RegistryMode::kReadWrite) return NotPermitted("Subject " + subject + " is not in read-write mode");
  if (auto refused = CheckImportVersion(subject, req)) return *refused;
  if (id) {
    if (*id == 0) return NotPermitted("Schema id 0 is not supported by Sluice's embedded registry: ids start at 1");
    if (auto holder = registry_->ById(*id); holder.ok() && !SameSchema(*holder, *candidate))
      return NotPermitted("Overwrite new schema with id " + std::to_string(*id) + " is not permitted.");
  } else {
    std::vector<std::string> problems = Incompatibilities(LevelOf(subject), *candidate, AllVersions(subject));
    if (!problems.empty()) {
      json details = problems;
      return Error(409, kIncompatibleSchema,
                   "Schema being registered is incompatible with an earlier schema for subject \"" + subject +
                       "\", details: " + details.dump());
    }
  }
  std::vector<SchemaReference> refs;
  for (const json& r : candidate->references)
    refs.push_back({r["name"].get<std::string>(), r["subject"].get<std::string>(), r["version"].get<int>()});
  auto registered = registry_->RegisterWith(subject, candidate->type, candidate->text, refs, id);
  if (!registered.ok()) {
    if (registered.status().code() == Status::Code::kAlreadyExists ||
        registered.status().code() == Status::Code::kInvalidArgument)
      return NotPermitted(registered.status().message());
    return Error(500, kStoreError, registered.status().message());
  }
  if (!candidate->references.empty()) references_[*registered] = candidate->references;
  soft_deleted_.erase(subject);
  spdlog::info("schema registry: registered id {} under subject {} ({}{})", *registered, subject,
               SchemaTypeName(candidate->type), id ? ", imported at its id" : "");
  return Ok(json{{"id", *registered}});
}

// An import may name the version; the in-memory registry numbers versions 1, 2, ... without
// gaps, so only the next one can be honoured (a migration of a subject from its first version
// gives exactly these).
std::optional<HttpReply> SchemaRegistryService::CheckImportVersion(const std::string& subject, const json& req) {
  if (!req.contains("version") || req["version"].is_null()) return std::nullopt;
  if (!req["version"].is_number_integer()) return InvalidSchema("\"version\" must be an integer");
  const long long version = req["version"].get<long long>();
  if (version <= 0) return std::nullopt;  // 0 and -1: not given
  auto versions = registry_->Versions(subject);
  const long long next = versions.ok() ? static_cast<long long>(versions->size()) + 1 : 1;
  if (version == next) return std::nullopt;
  return NotPermitted("Subject " + subject + ": version " + std::to_string(version) +
                      " cannot be imported, Sluice's embedded registry can only add the next version (" +
                      std::to_string(next) + ")");
}

bool SchemaRegistryService::SameSchema(const RegisteredSchema& s, const Candidate& c) {
  if (s.type != c.type || !SameText(c.type, c.text, s.text)) return false;
  auto refs = references_.find(s.id);
  return (refs == references_.end() ? json::array() : refs->second) == c.references;
}

RegistryMode SchemaRegistryService::ModeOf(const std::string& subject) {
  auto mode = registry_->Mode(subject, true);
  return mode.ok() ? *mode : RegistryMode::kReadWrite;  // a registry without modes reads and writes
}

HttpReply SchemaRegistryService::Lookup(const std::string& subject, const std::string& body) {
  auto candidate = ParseCandidate(body);
  if (!candidate.ok()) return InvalidSchema(candidate.status().message());
  if (!registry_->Versions(subject).ok()) return SubjectNotFound(subject);
  auto found = FindInSubject(subject, *candidate);
  if (!found) return Error(404, kSchemaNotFound, "Schema not found");
  return Ok(SchemaJson(*found, true));
}

HttpReply SchemaRegistryService::DeleteSubject(const std::string& subject, bool permanent) {
  if (ModeOf(subject) == RegistryMode::kReadOnly) return NotPermitted("Subject " + subject + " is in read-only mode");
  if (permanent) {
    auto soft = soft_deleted_.find(subject);
    if (soft != soft_deleted_.end()) {
      json versions = soft->second;
      soft_deleted_.erase(soft);
      subject_levels_.erase(subject);
      return Ok(versions);
    }
    if (registry_->Versions(subject).ok())
      return Error(404, kSubjectNotSoftDeleted,
                   "Subject '" + subject + "' was not deleted first before being permanently deleted");
    return SubjectNotFound(subject);
  }
  auto deleted = registry_->DeleteSubject(subject);
  if (!deleted.ok()) return SubjectNotFound(subject);
  soft_deleted_[subject] = *deleted;
  return Ok(*deleted);
}

// ---- /config ----

HttpReply SchemaRegistryService::Config(const std::string& method, const std::vector<std::string>& seg,
                                        const Query& query, const std::string& body) {
  if (seg.size() > 2) return NotFoundRoute();
  const bool global = seg.size() == 1;
  const std::string subject = global ? "" : seg[1];
  if (method == "GET") {
    if (global) return Ok(json{{"compatibilityLevel", global_level_}});
    auto it = subject_levels_.find(subject);
    if (it != subject_levels_.end()) return Ok(json{{"compatibilityLevel", it->second}});
    if (QueryFlag(query, "defaultToGlobal")) return Ok(json{{"compatibilityLevel", global_level_}});
    return Error(404, kSubjectLevelNotConfigured,
                 "Subject '" + subject + "' does not have subject-level compatibility configured");
  }
  if ((method == "PUT" || method == "DELETE") && ModeOf(subject) == RegistryMode::kReadOnly)
    return NotPermitted("Subject " + subject + " is in read-only mode");
  if (method == "PUT") {
    json req = json::parse(body, nullptr, false);
    std::string level = req.is_object() && req.contains("compatibility") && req["compatibility"].is_string()
                            ? req["compatibility"].get<std::string>() : "";
    std::transform(level.begin(), level.end(), level.begin(), ::toupper);
    if (std::find(kLevels.begin(), kLevels.end(), level) == kLevels.end())
      return Error(422, kInvalidCompatibilityLevel,
                   "Invalid compatibility level. Valid values are none, backward, forward, full, "
                   "backward_transitive, forward_transitive, and full_transitive");
    if (global) global_level_ = level;
    else subject_levels_[subject] = level;
    return Ok(json{{"compatibility", level}});
  }
  if (method == "DELETE" && !global) {
    auto it = subject_levels_.find(subject);
    if (it == subject_levels_.end()) {
      if (!registry_->Versions(subject).ok()) return SubjectNotFound(subject);
      return Error(404, kSubjectLevelNotConfigured,
                   "Subject '" + subject + "' does not have subject-level compatibility configured");
    }
    json previous{{"compatibilityLevel", it->second}};
    subject_levels_.erase(it);
    return Ok(previous);
  }
  return MethodNotAllowed();
}

// ---- /mode ----

// GET, PUT /mode and GET, PUT, DELETE /mode/{subject}, as Confluent's ModeResource.
HttpReply SchemaRegistryService::Mode(const std::string& method, const std::vector<std::string>& seg,
                                      const Query& query, const std::string& body) {
  if (seg.size() > 2) return NotFoundRoute();
  const bool global = seg.size() == 1;
  const std::string subject = global ? "" : seg[1];
  if (method == "GET") {
    auto mode = registry_->Mode(subject, QueryFlag(query, "defaultToGlobal"));
    if (mode.ok()) return Ok(json{{"mode", RegistryModeName(*mode)}});
    if (mode.status().code() == Status::Code::kNotFound)
      return Error(404, kSubjectLevelModeNotConfigured, mode.status().message());
    return Error(500, kStoreError, mode.status().message());
  }
  if (method == "PUT") {
    json req = json::parse(body, nullptr, false);
    const std::string name = req.is_object() && req.contains("mode") && req["mode"].is_string()
                                 ? req["mode"].get<std::string>() : "";
    auto mode = ParseRegistryMode(name);
    if (!mode.ok()) return Error(422, kInvalidMode, "Invalid mode. Valid values are READWRITE, READONLY and IMPORT");
    const bool force = QueryFlag(query, "force");
    // Soft-deleted subjects count as schemas for IMPORT, as in Confluent's registry: their
    // ids are still taken.
    if (*mode == RegistryMode::kImport && !force && ModeOf(subject) != RegistryMode::kImport &&
        (global ? !soft_deleted_.empty() : soft_deleted_.count(subject) > 0))
      return NotPermitted("Cannot import since found existing subjects");
    Status st = registry_->SetMode(subject, *mode, force);
    if (st.code() == Status::Code::kInvalidArgument) return NotPermitted(st.message());
    if (!st.ok()) return Error(500, kStoreError, st.message());
    spdlog::info("schema registry: mode of {} set to {}", global ? "the registry" : "subject " + subject,
                 RegistryModeName(*mode));
    return Ok(json{{"mode", RegistryModeName(*mode)}});
  }
  if (method == "DELETE" && !global) {
    auto previous = registry_->DeleteMode(subject);
    if (previous.ok()) return Ok(json{{"mode", RegistryModeName(*previous)}});
    if (previous.status().code() != Status::Code::kNotFound) return Error(500, kStoreError, previous.status().message());
    if (!registry_->Versions(subject).ok()) return SubjectNotFound(subject);
    return Error(404, kSubjectLevelModeNotConfigured, previous.status().message());
  }
  return MethodNotAllowed();
}

// ---- /compatibility ----

HttpReply SchemaRegistryService::Compatibility(const std::string& method, const std::vector<std::string>& seg,
                                               const Query& query, const std::string& body) {
  // /compatibility/subjects/{s}/versions[/{v}]
  if (seg.size() < 4 || seg.size() > 5 || seg[1] != "subjects" || seg[3] != "versions") return NotFoundRoute();
  if (method != "POST") return MethodNotAllowed();
  const std::string& subject = seg[2];
  std::optional<int> version;
  if (seg.size() == 5) {
    version = ParseVersion(seg[4]);
    if (!version) return InvalidVersion(seg[4]);
  }
  auto candidate = ParseCandidate(body);
  if (!candidate.ok()) return InvalidSchema(candidate.status().message());
  std::vector<RegisteredSchema> against;
  std::string level = LevelOf(subject);
  if (!version) {
    against = AllVersions(subject);  // every version, as the subject's level applies them
  } else if (!registry_->Versions(subject).ok()) {
    if (*version != -1) return SubjectNotFound(subject);  // "latest" of nothing: compatible
  } else {
    auto one = registry_->Version(subject, *version);
    if (!one.ok()) return Error(404, kVersionNotFound, "Version " + seg[4] + " not found.");
    against.push_back(*one);
    if (level.size() > 11 && level.substr(level.size() - 11) == "_TRANSITIVE") level.resize(level.size() - 11);
  }
  std::vector<std::string> problems = Incompatibilities(level, *candidate, against);
  json out{{"is_compatible", problems.empty()}};
  if (QueryFlag(query, "verbose")) out["messages"] = problems;
  return Ok(out);
}

// ---- schemas in requests ----

Result<SchemaRegistryService::Candidate> SchemaRegistryService::ParseCandidate(const std::string& body) {
  json req = json::parse(body, nullptr, false);
  if (req.is_discarded() || !req.is_object()) return Status::InvalidArgument("the request body is not a JSON object");
  if (!req.contains("schema") || !req["schema"].is_string() || req["schema"].get<std::string>().empty())
    return Status::InvalidArgument("the request has no \"schema\" string");
  Candidate c;
  if (req.contains("schemaType") && !req["schemaType"].is_null()) {
    if (!req["schemaType"].is_string()) return Status::InvalidArgument("\"schemaType\" must be a string");
    auto type = ParseSchemaType(req["schemaType"].get<std::string>());
    if (!type.ok()) return Status::InvalidArgument("Invalid schema type " + req["schemaType"].get<std::string>());
    c.type = *type;
  }
  c.references = json::array();
  std::map<std::string, std::string> imports;  // import name -> referenced schema text
  if (req.contains("references") && !req["references"].is_null()) {
    if (!req["references"].is_array()) return Status::InvalidArgument("\"references\" must be an array");
    for (const json& ref : req["references"]) {
      if (!ref.is_object() || !ref.contains("name") || !ref["name"].is_string() || !ref.contains("subject") ||
          !ref["subject"].is_string() || !ref.contains("version") || !ref["version"].is_number_integer())
        return Status::InvalidArgument("a reference needs \"name\", \"subject\" and an integer \"version\": " + ref.dump());
      const std::string subject = ref["subject"].get<std::string>();
      const int version = ref["version"].get<int>();
      auto target = registry_->Version(subject, version);
      if (!target.ok())
        return Status::InvalidArgument("reference " + ref["name"].get<std::string>() + " (subject '" + subject +
                                       "' version " + std::to_string(version) + ") not found");
      imports[ref["name"].get<std::string>()] = target->text;
      c.references.push_back({{"name", ref["name"]}, {"subject", subject}, {"version", target->version}});
    }
  }
  const std::string text = req["schema"].get<std::string>();
  switch (c.type) {
    case SchemaType::kAvro: {
      auto avro = AvroSchema::Parse(text);
      if (!avro.ok()) return avro.status();
      c.text = (*avro)->compact();
      break;
    }
    case SchemaType::kJson: {
      json schema = json::parse(text, nullptr, false);
      if (schema.is_discarded() || !(schema.is_object() || schema.is_boolean()))
        return Status::InvalidArgument("a JSON schema must be a JSON object or boolean");
      c.text = nlohmann::ordered_json::parse(text).dump();
      break;
    }
    case SchemaType::kProtobuf: {
      auto proto = NormalizeProtobufSchema(text, imports);
      if (!proto.ok()) return proto.status();
      c.text = *proto;
      break;
    }
  }
  return c;
}

std::optional<RegisteredSchema> SchemaRegistryService::FindInSubject(const std::string& subject, const Candidate& c) {
  for (const RegisteredSchema& v : AllVersions(subject))
    if (SameSchema(v, c)) return v;
  return std::nullopt;
}

std::vector<RegisteredSchema> SchemaRegistryService::AllVersions(const std::string& subject) {
  std::vector<RegisteredSchema> out;
  auto versions = registry_->Versions(subject);
  if (!versions.ok()) return out;
  for (int v : *versions)
    if (auto s = registry_->Version(subject, v); s.ok()) out.push_back(*s);
  return out;
}

std::string SchemaRegistryService::LevelOf(const std::string& subject) {
  auto it = subject_levels_.find(subject);
  return it == subject_levels_.end() ? global_level_ : it->second;
}

namespace {

// Confluent's rules for PROTOBUF (server/schema_registry_protobuf.h): BACKWARD looks at the
// changes from the old schema to the new one, FORWARD at those from the new to the old.
void AddProtobufIncompatibilities(const std::string& which, const std::string& old_text,
                                  const std::string& new_text, bool backward, bool forward,
                                  std::vector<std::string>* problems) {
  auto add = [&](const std::string& from, const std::string& to, const char* direction) {
    auto changes = ProtobufBreakingChanges(from, to);
    if (!changes.ok()) return;  // registered in-process without validation: nothing to compare
    for (const std::string& change : *changes) problems->push_back(which + ": " + direction + change);
  };
  if (backward) add(old_text, new_text, "the new schema cannot read data written with it: ");
  if (forward) add(new_text, old_text, "it cannot read data written with the new schema: ");
}

}  // namespace

// BACKWARD: the new schema reads what the old wrote; FORWARD: the old reads the new; FULL:
// both. Non-transitive levels check against the latest version, *_TRANSITIVE against all.
// Avro schemas are resolved as Avro does, PROTOBUF schemas compared as Confluent's SchemaDiff
// does; a change of schema type is incompatible; JSON schemas of the same type are not checked
// further (Sluice's embedded registry does not implement that format's rules).
std::vector<std::string> SchemaRegistryService::Incompatibilities(const std::string& level, const Candidate& c,
                                                                  const std::vector<RegisteredSchema>& existing) {
  if (level == "NONE" || existing.empty()) return {};
  const bool transitive = level.find("_TRANSITIVE") != std::string::npos;
  const bool backward = level.rfind("BACKWARD", 0) == 0 || level.rfind("FULL", 0) == 0;
  const bool forward = level.rfind("FORWARD", 0) == 0 || level.rfind("FULL", 0) == 0;
  std::vector<RegisteredSchema> against(transitive ? existing.begin() : existing.end() - 1, existing.end());
  std::vector<std::string> problems;
  std::shared_ptr<AvroSchema> mine;
  if (c.type == SchemaType::kAvro) mine = *AvroSchema::Parse(c.text);  // validated by ParseCandidate
  for (const RegisteredSchema& old : against) {
    const std::string which = "version " + std::to_string(old.version);
    if (old.type != c.type) {
      problems.push_back("Incompatible because of different schema type (" + which + " is " +
                         SchemaTypeName(old.type) + ")");
      continue;
    }
    if (c.type == SchemaType::kProtobuf) {
      AddProtobufIncompatibilities(which, old.text, c.text, backward, forward, &problems);
      continue;
    }
    if (c.type != SchemaType::kAvro) continue;
    auto theirs = AvroSchema::Parse(old.text);
    if (!theirs.ok()) continue;  // registered in-process without validation: nothing to compare
    if (backward)
      for (const std::string& p : AvroReadIncompatibilities(*mine, **theirs))
        problems.push_back(which + ": the new schema cannot read data written with it: " + p);
    if (forward)
      for (const std::string& p : AvroReadIncompatibilities(**theirs, *mine))
        problems.push_back(which + ": it cannot read data written with the new schema: " + p);
  }
  return problems;
}

}  // namespace sluice
