#pragma once
// The catalog: streams, tables and custom types, by name. Owned by the engine; read by the
// analyzer. Not thread-safe by itself: the engine serializes statements.
#include <map>
#include <string>
#include <vector>

#include "engine/common/status.h"
#include "engine/metastore/data_source.h"

namespace sluice {

class MetaStore {
 public:
  DataSourcePtr FindSource(const std::string& name) const;
  std::vector<DataSourcePtr> SourcesForTopic(const std::string& topic) const;
  std::vector<DataSourcePtr> AllSources() const;
  // Adds or (replace = true) replaces.
  Status PutSource(DataSourcePtr source, bool replace);
  Status DropSource(const std::string& name);

  TypePtr FindType(const std::string& name) const;
  Status PutType(const std::string& name, TypePtr type, bool if_not_exists);
  Status DropType(const std::string& name);
  const std::map<std::string, TypePtr>& Types() const { return types_; }

 private:
  std::map<std::string, DataSourcePtr> sources_;
  std::map<std::string, TypePtr> types_;
};

}  // namespace sluice
