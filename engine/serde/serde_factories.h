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

// Schema-registry formats: each lives in its own file (avro_*.cpp, protobuf_*.cpp,
// json_sr_*.cpp) and reads the registry, subject and schema id from `opts`.
Result<std::unique_ptr<RowDeserializer>> MakeAvroDeserializer(const FormatOptions& opts,
                                                              std::vector<Column> columns,
                                                              std::vector<bool> needed);
Result<std::unique_ptr<RowSerializer>> MakeAvroSerializer(const FormatOptions& opts,
                                                          std::vector<Column> columns);
Result<std::vector<Column>> AvroColumnsFromSchema(const std::string& schema_text, bool is_key,
                                                  bool original_field_names = false);
// Whether ksqlDB's Avro schema can be derived from these columns: "Avro only supports MAPs
// with STRING keys", "Schema is not compatible with Avro: Illegal initial character: 1X".
Status AvroSupports(const FormatOptions& opts, const std::vector<Column>& columns, bool is_key);
// PROTOBUF and PROTOBUF_NOSR (opts.kind tells which).
Result<std::unique_ptr<RowDeserializer>> MakeProtobufDeserializer(const FormatOptions& opts,
                                                                  std::vector<Column> columns,
                                                                  std::vector<bool> needed);
Result<std::unique_ptr<RowSerializer>> MakeProtobufSerializer(const FormatOptions& opts,
                                                              std::vector<Column> columns);
// Why PROTOBUF cannot carry `columns` (a MAP whose key is not STRING), or OK.
Status ProtobufSupports(const std::vector<Column>& columns);
Result<std::vector<Column>> ProtobufColumnsFromSchema(const std::string& proto_text,
                                                      const std::string& full_name, bool is_key,
                                                      SchemaRegistry* registry,
                                                      bool original_field_names);
Result<std::unique_ptr<RowDeserializer>> MakeJsonSrDeserializer(const FormatOptions& opts,
                                                                std::vector<Column> columns,
                                                                std::vector<bool> needed);
Result<std::unique_ptr<RowSerializer>> MakeJsonSrSerializer(const FormatOptions& opts,
                                                            std::vector<Column> columns);
Result<std::vector<Column>> JsonSchemaColumnsFromSchema(const std::string& schema_text,
                                                        bool is_key);

}  // namespace sluice::serde
