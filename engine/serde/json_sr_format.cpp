// JSON_SR: placeholder until the JSON Schema format lands.
#include "engine/serde/serde_factories.h"

namespace sluice::serde {
namespace {
Status NotYet() { return Status::NotSupported("The 'JSON_SR' format is not supported yet"); }
}  // namespace
Result<std::unique_ptr<RowDeserializer>> MakeJsonSrDeserializer(const FormatOptions&,
                                                                std::vector<Column>,
                                                                std::vector<bool>) {
  return NotYet();
}
Result<std::unique_ptr<RowSerializer>> MakeJsonSrSerializer(const FormatOptions&,
                                                            std::vector<Column>) {
  return NotYet();
}
Result<std::vector<Column>> JsonSchemaColumnsFromSchema(const std::string&, bool) {
  return NotYet();
}
}  // namespace sluice::serde
