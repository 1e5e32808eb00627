#include "server/schema_registry_protobuf.h"

#include <google/protobuf/compiler/parser.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "engine/serde/text_codec.h"

namespace sluice {

namespace pb = google::protobuf;

namespace {

// Keeps the first error (line:column, 1-based) of the .proto parser.
class FirstParseError : public pb::io::ErrorCollector {
 public:
  void AddError(int line, pb::io::ColumnNumber column, const std::string& message) override {
    if (first.empty()) first = std::to_string(line + 1) + ":" + std::to_string(column + 1) + ": " + message;
  }
  std::string first;
};

class FirstBuildError : public pb::DescriptorPool::ErrorCollector {
 public:
  void AddError(const std::string& filename, const std::string& element, const pb::Message*, ErrorLocation,
                const std::string& message) override {
    if (first.empty()) first = filename + (element.empty() ? "" : " (" + element + ")") + ": " + message;
  }
  std::string first;
};

Result<pb::FileDescriptorProto> ParseProtoText(const std::string& text, const std::string& name) {
  pb::io::ArrayInputStream input(text.data(), static_cast<int>(text.size()));
  FirstParseError errors;
  pb::io::Tokenizer tokenizer(&input, &errors);
  pb::compiler::Parser parser;
  parser.RecordErrorsTo(&errors);
  pb::FileDescriptorProto proto;
  if (!parser.Parse(&tokenizer, &proto) || !errors.first.empty())
    return Status::InvalidArgument(errors.first.empty() ? "not a .proto file" : errors.first);
  proto.set_name(name);
  return proto;
}

// Standard base64, '=' padding optional (engine/serde/text_codec's decoder); nullopt when
// the text is not base64.
std::optional<std::string> DecodeBase64(const std::string& in) {
  std::string out;
  if (!serde::DecodeBase64(in, &out)) return std::nullopt;
  return out;
}

// A pool that resolves the schema's imports: the references' files first, the well-known
// types from the library's own descriptors underneath.
Status AddReferences(pb::DescriptorPool& pool, const std::map<std::string, std::string>& references) {
  for (const auto& [name, text] : references) {
    if (pool.FindFileByName(name)) continue;
    auto proto = ParseProtoText(text, name);
    if (!proto.ok()) return Status::InvalidArgument("reference " + name + ": " + proto.status().message());
    FirstBuildError errors;
    if (!pool.BuildFileCollectingErrors(*proto, &errors))
      return Status::InvalidArgument("reference " + name + ": " + errors.first);
  }
  return Status::OK();
}

Result<const pb::FileDescriptor*> Build(pb::DescriptorPool& pool, const pb::FileDescriptorProto& proto) {
  if (const pb::FileDescriptor* known = pool.FindFileByName(proto.name())) return known;  // a well-known type
  FirstBuildError errors;
  const pb::FileDescriptor* file = pool.BuildFileCollectingErrors(proto, &errors);
  if (!file) return Status::InvalidArgument(errors.first);
  return file;
}

}  // namespace

Result<std::string> NormalizeProtobufSchema(const std::string& schema,
                                            const std::map<std::string, std::string>& references) {
  pb::DescriptorPool pool(pb::DescriptorPool::generated_pool());
  SLUICE_RETURN_IF_ERROR(AddReferences(pool, references));
  // Base64 first: parsing it as .proto text would only fail (and libprotobuf would log why).
  if (auto bytes = DecodeBase64(schema)) {
    pb::FileDescriptorProto proto;
    if (proto.ParseFromString(*bytes) && !proto.name().empty()) {
      auto built = Build(pool, proto);
      if (!built.ok()) return built.status();
      return (*built)->DebugString();
    }
  }
  auto text = ParseProtoText(schema, "schema.proto");
  if (!text.ok()) return text.status();
  auto built = Build(pool, *text);
  if (!built.ok()) return built.status();
  return schema;
}

}  // namespace sluice
