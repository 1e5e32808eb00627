// The in-memory registry: ids are global and start at 1, versions count per subject, as a
// fresh Confluent Schema Registry numbers them.
#include <algorithm>
#include <cctype>

#include "engine/schema_registry/schema_registry.h"

namespace sluice {

const char* SchemaTypeName(SchemaType type) {
  switch (type) {
    case SchemaType::kAvro: return "AVRO";
    case SchemaType::kProtobuf: return "PROTOBUF";
    case SchemaType::kJson: return "JSON";
  }
  return "AVRO";
}

const char* RegistryModeName(RegistryMode mode) {
  switch (mode) {
    case RegistryMode::kReadWrite: return "READWRITE";
    case RegistryMode::kReadOnly: return "READONLY";
    case RegistryMode::kImport: return "IMPORT";
  }
  return "READWRITE";
}

Result<RegistryMode> ParseRegistryMode(const std::string& name) {
  std::string upper = name;
  std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
  if (upper == "READWRITE") return RegistryMode::kReadWrite;
  if (upper == "READONLY") return RegistryMode::kReadOnly;
  if (upper == "IMPORT") return RegistryMode::kImport;
  return Status::InvalidArgument("Invalid mode " + name + ". Valid values are READWRITE, READONLY and IMPORT");
}

Result<SchemaType> ParseSchemaType(const std::string& name) {
  if (name.empty() || name == "AVRO") return SchemaType::kAvro;
  if (name == "PROTOBUF") return SchemaType::kProtobuf;
  if (name == "JSON") return SchemaType::kJson;
  return Status::InvalidArgument("Unknown schema type: " + name);
}

Result<int> InMemorySchemaRegistry::Register(const std::string& subject, SchemaType type,
                                             const std::string& text) {
  return RegisterWith(subject, type, text, {}, std::nullopt);
}

Result<int> InMemorySchemaRegistry::RegisterWith(const std::string& subject, SchemaType type,
                                                 const std::string& text,
                                                 const std::vector<SchemaReference>& references,
                                                 std::optional<int> given_id) {
  std::lock_guard lock(mu_);
  const Stored schema{type, text, references};
  std::vector<int>& versions = subject_versions_[subject];
  // Already there: its id, whatever the mode (Confluent looks up before it checks the mode).
  for (int id : versions)
    if (by_id_.at(id) == schema && (!given_id || id == *given_id)) return id;
  const RegistryMode mode = ModeInScope(subject);
  if (mode == RegistryMode::kReadOnly) return Status::InvalidArgument("Subject " + subject + " is in read-only mode");
  if (mode == RegistryMode::kImport && !given_id)
    return Status::InvalidArgument("Subject " + subject + " is not in read-write mode");
  if (given_id) {
    if (*given_id < 1) return Status::InvalidArgument("Invalid schema id " + std::to_string(*given_id));
    auto it = by_id_.find(*given_id);
    if (it != by_id_.end() && !(it->second == schema))
      return Status::AlreadyExists("Overwrite new schema with id " + std::to_string(*given_id) +
                                   " is not permitted.");
  }
  int id = given_id.value_or(0);
  if (id == 0)
    for (const auto& [existing, stored] : by_id_)
      if (stored == schema) {
        id = existing;
        break;
      }
  if (id == 0) id = next_id_;
  by_id_.emplace(id, schema);
  next_id_ = std::max(next_id_, id + 1);
  versions.push_back(id);
  return id;
}

RegisteredSchema InMemorySchemaRegistry::Describe(int id) const {
  const Stored& stored = by_id_.at(id);
  RegisteredSchema s;
  s.id = id;
  s.type = stored.type;
  s.text = stored.text;
  s.references = stored.references;
  return s;
}

Result<RegisteredSchema> InMemorySchemaRegistry::ById(int id) {
  std::lock_guard lock(mu_);
  if (!by_id_.count(id)) return Status::NotFound("Schema " + std::to_string(id) + " not found");
  return Describe(id);
}

Result<RegisteredSchema> InMemorySchemaRegistry::Version(const std::string& subject,
                                                         int version) {
  std::lock_guard lock(mu_);
  auto it = subject_versions_.find(subject);
  if (it == subject_versions_.end() || it->second.empty())
    return Status::NotFound("Subject '" + subject + "' not found.");
  const int count = static_cast<int>(it->second.size());
  if (version == -1) version = count;  // "latest"
  if (version < 1 || version > count)
    return Status::NotFound("Version " + std::to_string(version) + " not found.");
  RegisteredSchema s = Describe(it->second[version - 1]);
  s.version = version;
  s.subject = subject;
  return s;
}

Result<RegisteredSchema> InMemorySchemaRegistry::Latest(const std::string& subject) {
  return Version(subject, -1);
}

Result<std::vector<std::string>> InMemorySchemaRegistry::Subjects() {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& [subject, versions] : subject_versions_)
    if (!versions.empty()) out.push_back(subject);
  return out;
}

Result<std::vector<int>> InMemorySchemaRegistry::Versions(const std::string& subject) {
  std::lock_guard lock(mu_);
  auto it = subject_versions_.find(subject);
  if (it == subject_versions_.end() || it->second.empty())
    return Status::NotFound("Subject '" + subject + "' not found.");
  std::vector<int> out;
  for (size_t i = 0; i < it->second.size(); ++i) out.push_back(static_cast<int>(i) + 1);
  return out;
}

Result<std::vector<int>> InMemorySchemaRegistry::DeleteSubject(const std::string& subject) {
  auto versions = Versions(subject);
  if (!versions.ok()) return versions.status();
  std::lock_guard lock(mu_);
  if (ModeInScope(subject) == RegistryMode::kReadOnly)
    return Status::InvalidArgument("Subject " + subject + " is in read-only mode");
  subject_versions_.erase(subject);
  subject_modes_.erase(subject);  // as Confluent forgets a deleted subject's mode
  return versions;
}

RegistryMode InMemorySchemaRegistry::ModeInScope(const std::string& subject) const {
  auto it = subject_modes_.find(subject);
  return it == subject_modes_.end() ? global_mode_ : it->second;
}

Result<RegistryMode> InMemorySchemaRegistry::Mode(const std::string& subject, bool default_to_global) {
  std::lock_guard lock(mu_);
  if (subject.empty()) return global_mode_;
  auto it = subject_modes_.find(subject);
  if (it != subject_modes_.end()) return it->second;
  if (default_to_global) return global_mode_;
  return Status::NotFound("Subject '" + subject + "' does not have subject-level mode configured");
}

Status InMemorySchemaRegistry::SetMode(const std::string& subject, RegistryMode mode, bool force) {
  std::lock_guard lock(mu_);
  const bool global = subject.empty();
  const RegistryMode current = global ? global_mode_ : ModeInScope(subject);
  // Importing keeps the ids it is given: only where nothing was registered yet (a registry
  // with ids of its own could clash), unless the caller forces it.
  if (mode == RegistryMode::kImport && current != RegistryMode::kImport && !force) {
    bool has_schemas = false;
    for (const auto& [name, versions] : subject_versions_)
      if (!versions.empty() && (global || name == subject)) has_schemas = true;
    if (has_schemas) return Status::InvalidArgument("Cannot import since found existing subjects");
  }
  if (global) global_mode_ = mode;
  else subject_modes_[subject] = mode;
  return Status::OK();
}

Result<RegistryMode> InMemorySchemaRegistry::DeleteMode(const std::string& subject) {
  std::lock_guard lock(mu_);
  auto it = subject_modes_.find(subject);
  if (it == subject_modes_.end())
    return Status::NotFound("Subject '" + subject + "' does not have subject-level mode configured");
  const RegistryMode previous = it->second;
  subject_modes_.erase(it);
  return previous;
}

void AppendConfluentHeader(int schema_id, std::string* out) {
  out->push_back('\0');
  const uint32_t id = static_cast<uint32_t>(schema_id);
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>((id >> shift) & 0xff));
}

Result<int> ReadConfluentHeader(std::string_view payload) {
  if (payload.size() < kConfluentHeaderSize)
    return Status::SerdeError("Unknown magic byte!");  // what Confluent's deserializers say
  if (payload[0] != 0) return Status::SerdeError("Unknown magic byte!");
  uint32_t id = 0;
  for (size_t i = 1; i < kConfluentHeaderSize; ++i)
    id = (id << 8) | static_cast<unsigned char>(payload[i]);
  return static_cast<int>(id);
}

}  // namespace sluice
