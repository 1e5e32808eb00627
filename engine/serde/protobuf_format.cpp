// PROTOBUF and PROTOBUF_NOSR: placeholder until the Protobuf codec lands.
#include "engine/serde/serde_factories.h"

namespace sluice::serde {
namespace {
Status NotYet(const FormatOptions* opts = nullptr) {
  return Status::NotSupported(std::string("The '") +
                              (opts ? FormatName(opts->kind) : "PROTOBUF") +
                              "' format is not supported yet");
}
}  // namespace
Result<std::unique_ptr<RowDeserializer>> MakeProtobufDeserializer(const FormatOptions& opts,
                                                                  std::vector<Column>,
                                                                  std::vector<bool>) {
  return NotYet(&opts);
}
Result<std::unique_ptr<RowSerializer>> MakeProtobufSerializer(const FormatOptions& opts,
                                                              std::vector<Column>) {
  return NotYet(&opts);
}
Result<std::vector<Column>> ProtobufColumnsFromSchema(const std::string&, const std::string&,
                                                      bool) {
  return NotYet();
}
}  // namespace sluice::serde
