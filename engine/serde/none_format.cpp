// NONE: the part of the record ksqlDB does not read (keyless streams' keys). Reading yields
// an empty row, which IsNullRecord(row, 0) tells apart from a null record; writing yields an
// empty payload, and IsNullPayload says it is in fact no payload at all.
#include "engine/serde/serde_factories.h"

namespace sluice::serde {

namespace {
class NoneDeserializer final : public RowDeserializer {
 public:
  Status Deserialize(std::string_view, Row* out) override {
    out->clear();
    return Status::OK();
  }
};

class NoneSerializer final : public RowSerializer {
 public:
  Status Serialize(const Row&, std::string* out) override {
    out->clear();
    return Status::OK();
  }
  bool IsNullPayload(const Row&) const override { return true; }
};
}  // namespace

std::unique_ptr<RowDeserializer> MakeNoneDeserializer() { return std::make_unique<NoneDeserializer>(); }
std::unique_ptr<RowSerializer> MakeNoneSerializer() { return std::make_unique<NoneSerializer>(); }

}  // namespace sluice::serde
