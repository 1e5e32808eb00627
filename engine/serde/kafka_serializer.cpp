// Row -> KAFKA payload: the single column as Kafka's standard serializers write it. A NULL
// column is a null payload (IsNullPayload), as ksqlDB writes it; nothing for zero columns.
#include <cstring>

#include "engine/serde/serde_factories.h"

namespace sluice::serde {

namespace {
void AppendBigEndian(uint64_t v, int size, std::string* out) {
  for (int shift = (size - 1) * 8; shift >= 0; shift -= 8)
    out->push_back(static_cast<char>((v >> shift) & 0xFF));
}

class KafkaSerializer final : public RowSerializer {
 public:
  explicit KafkaSerializer(std::vector<Column> columns) : columns_(std::move(columns)) {}

  Status Serialize(const Row& row, std::string* out) override {
    out->clear();
    if (columns_.empty()) return Status::OK();
    if (row.size() != 1)
      return Status::SerdeError("KAFKA serializer: expected one value, got " + std::to_string(row.size()));
    const Value& v = row[0];
    if (v.IsNull()) return Status::OK();
    switch (columns_[0].type->kind) {
      case TypeKind::kInteger:
        AppendBigEndian(static_cast<uint32_t>(static_cast<int32_t>(v.ToInt64())), 4, out);
        return Status::OK();
      case TypeKind::kBigint:
        AppendBigEndian(static_cast<uint64_t>(v.ToInt64()), 8, out);
        return Status::OK();
      case TypeKind::kDouble: {
        double d = v.ToDouble();
        uint64_t bits;
        std::memcpy(&bits, &d, sizeof bits);
        AppendBigEndian(bits, 8, out);
        return Status::OK();
      }
      case TypeKind::kString:
        if (!v.IsString()) return Status::SerdeError("KAFKA serializer: STRING column holds " + v.ToString());
        out->append(v.AsString());
        return Status::OK();
      case TypeKind::kBytes:
        if (!v.IsBytes()) return Status::SerdeError("KAFKA serializer: BYTES column holds " + v.ToString());
        out->append(v.AsBytes().data);
        return Status::OK();
      default:
        return Status::SerdeError("The 'KAFKA' format does not support type '" +
                                  std::string(TypeKindName(columns_[0].type->kind)) + "'");
    }
  }

  bool IsNullPayload(const Row& row) const override {
    return row.empty() ? !columns_.empty() : row[0].IsNull();
  }

 private:
  std::vector<Column> columns_;
};
}  // namespace

std::unique_ptr<RowSerializer> MakeKafkaSerializer(std::vector<Column> columns) {
  return std::make_unique<KafkaSerializer>(std::move(columns));
}

}  // namespace sluice::serde
