// AVRO: placeholder until the Avro codec lands (see engine/serde/README.md).
#include "engine/serde/serde_factories.h"

namespace sluice::serde {
namespace {
Status NotYet() { return Status::NotSupported("The 'AVRO' format is not supported yet"); }
}  // namespace
Result<std::unique_ptr<RowDeserializer>> MakeAvroDeserializer(const FormatOptions&,
                                                              std::vector<Column>,
                                                              std::vector<bool>) {
  return NotYet();
}
Result<std::unique_ptr<RowSerializer>> MakeAvroSerializer(const FormatOptions&,
                                                          std::vector<Column>) {
  return NotYet();
}
Result<std::vector<Column>> AvroColumnsFromSchema(const std::string&, bool) { return NotYet(); }
}  // namespace sluice::serde
