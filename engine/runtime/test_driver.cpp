#include "engine/runtime/test_driver.h"

#include "engine/executor/engine.h"

namespace sluice {

TestDriver::TestDriver(std::map<std::string, std::string> properties)
    : engine_(std::make_unique<Engine>(std::move(properties))) {}
TestDriver::~TestDriver() = default;

Status TestDriver::Execute(const std::string& sql) { return engine_->Execute(sql); }
void TestDriver::CreateTopic(const std::string& name, int partitions) { engine_->CreateTopic(name, partitions); }
Status TestDriver::Produce(KafkaRecord record) { return engine_->Produce(std::move(record)); }
const std::vector<KafkaRecord>& TestDriver::Records(const std::string& topic) const { return engine_->Records(topic); }
std::vector<std::string> TestDriver::Topics() const { return engine_->Topics(); }
DataSourcePtr TestDriver::FindSource(const std::string& name) const { return engine_->metastore().FindSource(name); }
std::vector<DataSourcePtr> TestDriver::SourcesForTopic(const std::string& topic) const {
  return engine_->metastore().SourcesForTopic(topic);
}
const std::vector<std::string>& TestDriver::ProcessingLog() const { return engine_->processing_log(); }
const std::shared_ptr<SchemaRegistry>& TestDriver::schema_registry() const {
  return engine_->schema_registry();
}
void TestDriver::SetSchemaRegistry(std::shared_ptr<SchemaRegistry> registry) {
  engine_->SetSchemaRegistry(std::move(registry));
}

}  // namespace sluice
