#pragma once
// PROTOBUF schemas as the embedded Schema Registry takes them. Confluent's registry accepts a
// schema as .proto text or as a base64-encoded serialized FileDescriptorProto (what
// confluent-kafka-python's ProtobufSerializer sends) and keeps .proto text, which is what
// readers (Sluice's PROTOBUF format, other clients) get back from GET /schemas/ids/{id}.
#include <map>
#include <string>
#include <vector>

#include "engine/common/status.h"

namespace sluice {

// The .proto text of `schema`. `references` maps an import name ("other.proto") to the
// .proto text registered for it; the well-known google/protobuf/*.proto imports resolve
// without one. InvalidArgument (the registry's 42201) when it is neither valid .proto text
// nor a descriptor that builds.
Result<std::string> NormalizeProtobufSchema(const std::string& schema,
                                            const std::map<std::string, std::string>& references);

// Confluent's Protobuf compatibility (protobuf-provider's SchemaDiff): the changes from
// `original` to `update` that break readers of the update, each "TYPE at #/Message/tag":
// PACKAGE_CHANGED, MESSAGE_REMOVED, FIELD_KIND_CHANGED (scalar / message / map),
// FIELD_SCALAR_KIND_CHANGED (outside the wire-compatible groups int32/int64/uint32/uint64/bool
// and enums, sint32/sint64, string/bytes, fixed32/sfixed32, fixed64/sfixed64),
// FIELD_NAMED_TYPE_CHANGED, REQUIRED_FIELD_ADDED/REMOVED, ONEOF_FIELD_REMOVED,
// MULTIPLE_FIELDS_MOVED_TO_ONEOF, FIELD_MOVED_TO_EXISTING_ONEOF. Adding or removing optional
// fields, messages, enums, enum constants and oneofs, and renaming fields, are compatible.
// BACKWARD checks (old, new), FORWARD (new, old). InvalidArgument when either text does not parse.
Result<std::vector<std::string>> ProtobufBreakingChanges(const std::string& original,
                                                         const std::string& update);

}  // namespace sluice
