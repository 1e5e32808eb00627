// Row -> JSON payload, written by hand into the caller's reused string (no JSON tree).
#include "engine/serde/json_writer.h"
#include "engine/serde/serde_factories.h"

namespace sluice::serde {

namespace {
class JsonSerializer final : public RowSerializer {
 public:
  JsonSerializer(std::vector<Column> columns, bool wrapped)
      : columns_(std::move(columns)), wrapped_(wrapped) {
    // Field names never change: escape them once, with their quotes and colon.
    for (const Column& c : columns_) {
      std::string key;
      AppendJsonString(c.name, &key);
      key.push_back(':');
      keys_.push_back(std::move(key));
    }
  }

  Status Serialize(const Row& row, std::string* out) override {
    out->clear();
    if (row.size() != columns_.size())
      return Status::SerdeError("JSON serializer: row has " + std::to_string(row.size()) +
                                " values, schema has " + std::to_string(columns_.size()));
    if (!wrapped_) {
      AppendJsonValue(row[0], columns_[0].type.get(), out);
      return Status::OK();
    }
    out->push_back('{');
    for (size_t i = 0; i < row.size(); ++i) {
      if (i) out->push_back(',');
      out->append(keys_[i]);
      AppendJsonValue(row[i], columns_[i].type.get(), out);
    }
    out->push_back('}');
    return Status::OK();
  }

  // An unwrapped NULL has no JSON object around it: ksqlDB writes a null payload.
  bool IsNullPayload(const Row& row) const override {
    return row.empty() || (!wrapped_ && row.size() == 1 && row[0].IsNull());
  }

 private:
  std::vector<Column> columns_;
  std::vector<std::string> keys_;
  bool wrapped_;
};
}  // namespace

std::unique_ptr<RowSerializer> MakeJsonSerializer(std::vector<Column> columns, bool wrapped) {
  return std::make_unique<JsonSerializer>(std::move(columns), wrapped);
}

}  // namespace sluice::serde
