#include "engine/metastore/data_source.h"

namespace sluice {

std::vector<Column> DataSource::KeyColumns() const {
  std::vector<Column> out;
  for (const auto& c : columns)
    if (c.ns == ColumnNamespace::kKey) out.push_back({c.name, c.type});
  return out;
}

std::vector<Column> DataSource::ValueColumns() const {
  std::vector<Column> out;
  for (const auto& c : columns)
    if (c.ns == ColumnNamespace::kValue) out.push_back({c.name, c.type});
  return out;
}

const SourceColumn* DataSource::FindColumn(const std::string& name) const {
  for (const auto& c : columns)
    if (c.name == name) return &c;
  return nullptr;
}

}  // namespace sluice
