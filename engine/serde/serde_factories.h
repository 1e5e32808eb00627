#pragma once
// Internal: one factory per format implementation, called by MakeDeserializer/MakeSerializer
// in format.cpp. The classes themselves stay private to their .cpp files.
#include <memory>
#include <vector>

#include "engine/serde/format.h"

namespace sluice::serde {

std::unique_ptr<RowDeserializer> MakeJsonDeserializer(std::vector<Column> columns,
                                                      std::vector<bool> needed, bool wrapped);
std::unique_ptr<RowSerializer> MakeJsonSerializer(std::vector<Column> columns, bool wrapped);
std::unique_ptr<RowDeserializer> MakeDelimitedDeserializer(std::vector<Column> columns,
                                                           std::vector<bool> needed, char delim);
std::unique_ptr<RowSerializer> MakeDelimitedSerializer(std::vector<Column> columns, char delim);
std::unique_ptr<RowDeserializer> MakeKafkaDeserializer(std::vector<Column> columns);
std::unique_ptr<RowSerializer> MakeKafkaSerializer(std::vector<Column> columns);
std::unique_ptr<RowDeserializer> MakeNoneDeserializer();
std::unique_ptr<RowSerializer> MakeNoneSerializer();

}  // namespace sluice::serde
