#include "engine/metastore/metastore.h"

namespace sluice {

DataSourcePtr MetaStore::FindSource(const std::string& name) const {
  auto it = sources_.find(name);
  return it == sources_.end() ? nullptr : it->second;
}

std::vector<DataSourcePtr> MetaStore::SourcesForTopic(const std::string& topic) const {
  std::vector<DataSourcePtr> out;
  for (const auto& [name, s] : sources_)
    if (s->topic == topic) out.push_back(s);
  return out;
}

std::vector<DataSourcePtr> MetaStore::AllSources() const {
  std::vector<DataSourcePtr> out;
  for (const auto& [name, s] : sources_) out.push_back(s);
  return out;
}

Status MetaStore::PutSource(DataSourcePtr source, bool replace) {
  auto it = sources_.find(source->name);
  if (it != sources_.end() && !replace) {
    const char* kind = it->second->kind == SourceKind::kStream ? "stream" : "table";
    return Status::AlreadyExists("Cannot add " +
                                 std::string(source->kind == SourceKind::kStream ? "stream" : "table") +
                                 " '" + source->name + "': A " + kind + " with the same name already exists");
  }
  sources_[source->name] = std::move(source);
  return Status::OK();
}

Status MetaStore::DropSource(const std::string& name) {
  if (sources_.erase(name) == 0) return Status::NotFound("Source " + name + " does not exist.");
  return Status::OK();
}

TypePtr MetaStore::FindType(const std::string& name) const {
  auto it = types_.find(name);
  return it == types_.end() ? nullptr : it->second;
}

Status MetaStore::PutType(const std::string& name, TypePtr type, bool if_not_exists) {
  if (types_.count(name)) {
    if (if_not_exists) return Status::OK();
    return Status::AlreadyExists("Cannot register custom type '" + name +
                                 "' since it is already registered with type: " +
                                 types_[name]->ToString());
  }
  types_[name] = std::move(type);
  return Status::OK();
}

Status MetaStore::DropType(const std::string& name) {
  if (types_.erase(name) == 0) return Status::NotFound("Type " + name + " does not exist.");
  return Status::OK();
}

}  // namespace sluice
