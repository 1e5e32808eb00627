#pragma once
// PROTOBUF schemas as the embedded Schema Registry takes them. Confluent's registry accepts a
// schema as .proto text or as a base64-encoded serialized FileDescriptorProto (what
// confluent-kafka-python's ProtobufSerializer sends) and keeps .proto text, which is what
// readers (Sluice's PROTOBUF format, other clients) get back from GET /schemas/ids/{id}.
#include <map>
#include <string>

#include "engine/common/status.h"

namespace sluice {

// The .proto text of `schema`. `references` maps an import name ("other.proto") to the
// .proto text registered for it; the well-known google/protobuf/*.proto imports resolve
// without one. InvalidArgument (the registry's 42201) when it is neither valid .proto text
// nor a descriptor that builds.
Result<std::string> NormalizeProtobufSchema(const std::string& schema,
                                            const std::map<std::string, std::string>& references);

}  // namespace sluice
