// KAFKA payload -> Row: one column read as Kafka's standard deserializers would (big-endian
// INT/BIGINT/DOUBLE, raw UTF-8 STRING, raw BYTES). With no columns (keyless KAFKA key) the
// payload is ignored. Sizes are checked exactly, with Kafka's own messages.
#include <cstring>

#include "engine/serde/serde_factories.h"

namespace sluice::serde {

namespace {
uint64_t ReadBigEndian(std::string_view b) {
  uint64_t v = 0;
  for (char c : b) v = (v << 8) | static_cast<unsigned char>(c);
  return v;
}

Status SizeError(const char* deserializer, size_t expected) {
  return Status::SerdeError(std::string("Size of data received by ") + deserializer +
                            " is not " + std::to_string(expected));
}

class KafkaDeserializer final : public RowDeserializer {
 public:
  explicit KafkaDeserializer(std::vector<Column> columns) : columns_(std::move(columns)) {}

  Status Deserialize(std::string_view bytes, Row* out) override {
    out->resize(columns_.size());
    if (columns_.empty()) return Status::OK();
    Value& v = (*out)[0];
    switch (columns_[0].type->kind) {
      case TypeKind::kInteger:
        if (bytes.size() != 4) return SizeError("IntegerDeserializer", 4);
        v = Value(static_cast<int32_t>(static_cast<uint32_t>(ReadBigEndian(bytes))));
        return Status::OK();
      case TypeKind::kBigint:
        if (bytes.size() != 8) return SizeError("LongDeserializer", 8);
        v = Value(static_cast<int64_t>(ReadBigEndian(bytes)));
        return Status::OK();
      case TypeKind::kDouble: {
        if (bytes.size() != 8) return SizeError("DoubleDeserializer", 8);
        uint64_t bits = ReadBigEndian(bytes);
        double d;
        std::memcpy(&d, &bits, sizeof d);
        v = Value(d);
        return Status::OK();
      }
      case TypeKind::kString:
        v = Value(std::string(bytes));
        return Status::OK();
      case TypeKind::kBytes:
        v = Value(Bytes{std::string(bytes)});
        return Status::OK();
      default:
        return Status::SerdeError("The 'KAFKA' format does not support type '" +
                                  std::string(TypeKindName(columns_[0].type->kind)) + "'");
    }
  }

 private:
  std::vector<Column> columns_;
};
}  // namespace

std::unique_ptr<RowDeserializer> MakeKafkaDeserializer(std::vector<Column> columns) {
  return std::make_unique<KafkaDeserializer>(std::move(columns));
}

}  // namespace sluice::serde
