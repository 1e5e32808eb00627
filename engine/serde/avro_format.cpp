// The AVRO format: Confluent's wire header (magic byte, schema id) then Avro binary.
//
// Reading: the writer's schema comes from the registry by the payload's id, is parsed once and
// kept with a plan (which writer field fills which column, which are skipped, where reading
// can stop), so each record is one pass over its bytes. Writing: the schema ksqlDB derives
// from the columns is registered under the subject once, or the registered schema named by
// KEY_SCHEMA_ID / VALUE_SCHEMA_ID is used (ksqlDB's checks of it against the columns apply).
#include <algorithm>
#include <unordered_map>

#include <spdlog/spdlog.h>

#include "engine/schema_registry/schema_registry.h"
#include "engine/serde/avro_decoder.h"
#include "engine/serde/avro_encoder.h"
#include "engine/serde/avro_schema.h"
#include "engine/serde/serde_factories.h"

namespace sluice::serde {

namespace {
using avro::AvroType;
using avro::Node;

// A single column read or written as the bare value rather than a record: WRAP_SINGLE_VALUE
// = false, or a key with one column (ksqlDB unwraps single keys).
bool Unwrapped(const FormatOptions& opts, const std::vector<Column>& columns) {
  return columns.size() == 1 && (!opts.wrap_single_value || opts.is_key);
}

Result<std::shared_ptr<const avro::Schema>> FetchSchema(SchemaRegistry& registry, int id) {
  auto found = registry.ById(id);
  if (!found.ok())
    return Status::SerdeError("Error retrieving Avro schema for id " + std::to_string(id) + ": " +
                              found.status().message());
  if (found->type != SchemaType::kAvro)
    return Status::SerdeError("Schema " + std::to_string(id) + " is a " + SchemaTypeName(found->type) +
                              " schema, not AVRO");
  auto parsed = avro::Schema::Parse(found->text);
  if (!parsed.ok())
    return Status::SerdeError("Schema " + std::to_string(id) + ": " + parsed.status().message());
  return parsed.value();
}

Status NeedsRegistry(const std::shared_ptr<SchemaRegistry>& registry) {
  if (registry) return Status::OK();
  return Status::InvalidArgument("The 'AVRO' format needs a Schema Registry (ksql.schema.registry.url)");
}

// How to read records written with one writer schema.
struct ReadPlan {
  std::shared_ptr<const avro::Schema> schema;
  std::vector<int> column_of_field;  // per writer field of the root record: column or -1
  size_t fields_to_read = 0;         // writer fields up to the last needed one
};

class AvroDeserializer final : public RowDeserializer {
 public:
  AvroDeserializer(const FormatOptions& opts, std::vector<Column> columns, std::vector<bool> needed)
      : registry_(opts.registry), columns_(std::move(columns)), needed_(std::move(needed)),
        unwrapped_(Unwrapped(opts, columns_)) {
    if (needed_.empty()) needed_.assign(columns_.size(), true);
  }

  Status Deserialize(std::string_view bytes, Row* out) override {
    if (columns_.empty()) {  // a keyless key: nothing to read
      out->clear();
      return Status::OK();
    }
    auto id = ReadConfluentHeader(bytes);
    if (!id.ok()) return id.status();
    auto plan = PlanFor(id.value());
    if (!plan.ok()) return plan.status();
    avro::BinaryReader in(bytes.substr(kConfluentHeaderSize));
    const Node* root = plan.value()->schema->root();
    if (root->type == AvroType::kUnion) {  // an optional root: its null is the null record
      int64_t idx;
      if (!in.ReadLong(&idx) || idx < 0 || idx >= static_cast<int64_t>(root->branches.size()))
        return Status::SerdeError("Invalid Avro data: union index out of range");
      root = root->branches[idx];
      if (root->type == AvroType::kNull) {
        out->clear();
        return Status::OK();
      }
    }
    out->resize(columns_.size());
    for (Value& v : *out) v = Value();
    if (unwrapped_) return needed_[0] ? decoder_.Decode(in, root, columns_[0].type, &(*out)[0]) : Status::OK();
    return ReadRecord(in, root, *plan.value(), out);
  }

 private:
  Status ReadRecord(avro::BinaryReader& in, const Node* root, const ReadPlan& plan, Row* out) {
    if (root->type != AvroType::kRecord)
      return Status::SerdeError(std::string("Cannot deserialize type ") +
                                (root->type == AvroType::kArray ? "array" : avro::UnionBranchName(root)) +
                                " as type struct for path: ");
    for (size_t i = 0; i < plan.fields_to_read; ++i) {
      const int col = plan.column_of_field[i];
      const Node* field = root->fields[i].type;
      if (col < 0) {
        SLUICE_RETURN_IF_ERROR(decoder_.Skip(in, field));
        continue;
      }
      decoder_.PushPath(columns_[col].name);
      Status st = decoder_.Decode(in, field, columns_[col].type, &(*out)[col]);
      decoder_.PopPath();
      SLUICE_RETURN_IF_ERROR(st);
    }
    return Status::OK();
  }

  Result<const ReadPlan*> PlanFor(int id) {
    if (id == last_id_) return last_plan_;
    auto it = plans_.find(id);
    if (it == plans_.end()) {
      SLUICE_RETURN_IF_ERROR(NeedsRegistry(registry_));
      auto schema = FetchSchema(*registry_, id);
      if (!schema.ok()) return schema.status();
      it = plans_.emplace(id, MakePlan(schema.value())).first;
      spdlog::debug("AVRO: reader for schema id {} ready ({} columns)", id, columns_.size());
    }
    last_id_ = id;
    last_plan_ = &it->second;
    return last_plan_;
  }

  // ksqlDB matches writer fields to columns by upper-cased name (ConnectDataTranslator).
  ReadPlan MakePlan(std::shared_ptr<const avro::Schema> schema) {
    ReadPlan plan;
    plan.schema = std::move(schema);
    const Node* root = avro::NonNull(plan.schema->root());
    if (unwrapped_ || root->type != AvroType::kRecord) return plan;
    for (size_t i = 0; i < root->fields.size(); ++i) {
      int col = -1;
      for (size_t c = 0; c < columns_.size() && col < 0; ++c)
        if (EqualsIgnoreCase(columns_[c].name, root->fields[i].name)) col = static_cast<int>(c);
      if (col >= 0 && !needed_[col]) col = -1;
      plan.column_of_field.push_back(col);
      if (col >= 0) plan.fields_to_read = i + 1;  // fields after the last needed are never read
    }
    return plan;
  }

  static bool EqualsIgnoreCase(const std::string& a, const std::string& b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
             return std::toupper(static_cast<unsigned char>(x)) == std::toupper(static_cast<unsigned char>(y));
           });
  }

  std::shared_ptr<SchemaRegistry> registry_;
  std::vector<Column> columns_;
  std::vector<bool> needed_;
  bool unwrapped_;
  std::unordered_map<int, ReadPlan> plans_;
  int last_id_ = -1;
  const ReadPlan* last_plan_ = nullptr;
  avro::Decoder decoder_;
};

class AvroSerializer final : public RowSerializer {
 public:
  AvroSerializer(std::vector<Column> columns, bool unwrapped, int id,
                 std::shared_ptr<const avro::Schema> schema, std::vector<int> column_of_field)
      : columns_(std::move(columns)), unwrapped_(unwrapped), id_(id), schema_(std::move(schema)),
        column_of_field_(std::move(column_of_field)) {}

  Status Serialize(const Row& row, std::string* out) override {
    out->clear();
    if (row.size() != columns_.size())
      return Status::SerdeError("AVRO serializer: row has " + std::to_string(row.size()) +
                                " values, schema has " + std::to_string(columns_.size()));
    if (columns_.empty()) return Status::OK();
    AppendConfluentHeader(id_, out);
    Status st = unwrapped_ ? encoder_.Encode(row[0], schema_->root(), out) : WriteRecord(row, out);
    if (!st.ok()) out->clear();
    return st;
  }

  bool IsNullPayload(const Row& row) const override {
    return row.empty() || columns_.empty() || (unwrapped_ && row[0].IsNull());
  }

 private:
  Status WriteRecord(const Row& row, std::string* out) {
    const Node* root = schema_->root();
    if (root->type == AvroType::kUnion) {  // a registered optional root record
      avro::WriteLong(root->value_branch, out);
      root = avro::NonNull(root);
    }
    static const Value kNull;
    for (size_t i = 0; i < root->fields.size(); ++i) {
      const int col = column_of_field_[i];
      SLUICE_RETURN_IF_ERROR(encoder_.EncodeField(col >= 0 ? row[col] : kNull, root->fields[i], out));
    }
    return Status::OK();
  }

  std::vector<Column> columns_;
  bool unwrapped_;
  int id_;
  std::shared_ptr<const avro::Schema> schema_;
  std::vector<int> column_of_field_;  // per field of the root record: column or -1
  avro::Encoder encoder_;
};

// KEY_SCHEMA_ID / VALUE_SCHEMA_ID: ksqlDB writes with the registered schema, provided every
// column has a field there and every field left over can be filled (default or null).
Status CheckRegisteredRecord(const Node* root, const std::vector<Column>& columns,
                             const std::vector<int>& column_of_field) {
  for (size_t c = 0; c < columns.size(); ++c)
    if (std::find(column_of_field.begin(), column_of_field.end(), static_cast<int>(c)) == column_of_field.end())
      return Status::InvalidArgument("Schema from Schema Registry misses field with name: " + columns[c].name);
  for (size_t i = 0; i < root->fields.size(); ++i) {
    const avro::FieldDef& f = root->fields[i];
    if (column_of_field[i] < 0 && !f.has_default &&
        !(f.type->type == AvroType::kUnion && f.type->null_branch >= 0))
      return Status::InvalidArgument("Missing default value for required Avro field: [" + f.name +
                                     "]. This field appears in Avro schema in Schema Registry");
  }
  return Status::OK();
}

Status CheckColumns(const std::vector<Column>& columns) {
  for (const Column& c : columns)
    if (!c.type) return Status::InvalidArgument("AVRO: column " + c.name + " has no type");
  return Status::OK();
}
}  // namespace

Status AvroSupports(const FormatOptions& opts, const std::vector<Column>& columns, bool is_key) {
  if (columns.empty()) return Status::OK();
  FormatOptions side = opts;
  side.is_key = side.is_key || is_key;
  auto derived = avro::KsqlAvroSchema(columns, !Unwrapped(side, columns), opts.schema_full_name);
  return derived.ok() ? Status::OK() : derived.status();
}

Result<std::unique_ptr<RowDeserializer>> MakeAvroDeserializer(const FormatOptions& opts,
                                                              std::vector<Column> columns,
                                                              std::vector<bool> needed) {
  SLUICE_RETURN_IF_ERROR(CheckColumns(columns));
  // ksqlDB builds the Avro schema of the columns for readers too: its errors (non-STRING map
  // keys, names Avro refuses) come when the source is created (ValidateColumns).
  SLUICE_RETURN_IF_ERROR(AvroSupports(opts, columns, opts.is_key));
  if (!columns.empty()) SLUICE_RETURN_IF_ERROR(NeedsRegistry(opts.registry));
  return std::unique_ptr<RowDeserializer>(
      std::make_unique<AvroDeserializer>(opts, std::move(columns), std::move(needed)));
}

Result<std::unique_ptr<RowSerializer>> MakeAvroSerializer(const FormatOptions& opts,
                                                          std::vector<Column> columns) {
  SLUICE_RETURN_IF_ERROR(CheckColumns(columns));
  const bool unwrapped = Unwrapped(opts, columns);
  if (columns.empty())  // a keyless key: no payload, nothing to register
    return std::unique_ptr<RowSerializer>(std::make_unique<AvroSerializer>(
        std::move(columns), false, 0, nullptr, std::vector<int>{}));
  auto derived = avro::KsqlAvroSchema(columns, !unwrapped, opts.schema_full_name);
  if (!derived.ok()) return derived.status();
  SLUICE_RETURN_IF_ERROR(NeedsRegistry(opts.registry));

  int id;
  std::shared_ptr<const avro::Schema> schema;
  if (opts.schema_id) {
    id = *opts.schema_id;
    auto fetched = FetchSchema(*opts.registry, id);
    if (!fetched.ok()) return Status::InvalidArgument(fetched.status().message());
    schema = fetched.value();
  } else {
    const std::string text = derived->dump();
    auto registered = opts.registry->Register(opts.subject, SchemaType::kAvro, text);
    if (!registered.ok())
      return Status::InvalidArgument("Could not register schema for subject '" + opts.subject +
                                     "': " + registered.status().message());
    id = registered.value();
    auto parsed = avro::Schema::Parse(text);
    if (!parsed.ok()) return parsed.status();
    schema = parsed.value();
    spdlog::debug("AVRO: schema id {} for subject '{}'", id, opts.subject);
  }

  std::vector<int> column_of_field;
  if (!unwrapped) {
    const Node* root = avro::NonNull(schema->root());
    if (root->type != AvroType::kRecord)
      return Status::InvalidArgument("Schema " + std::to_string(id) + " is not an Avro record, but " +
                                     std::to_string(columns.size()) + " columns need one");
    std::vector<std::string> names;
    for (const Column& c : columns) names.push_back(c.name);
    column_of_field = avro::MatchFields(root, names);
    if (opts.schema_id) SLUICE_RETURN_IF_ERROR(CheckRegisteredRecord(root, columns, column_of_field));
  }
  return std::unique_ptr<RowSerializer>(std::make_unique<AvroSerializer>(
      std::move(columns), unwrapped, id, std::move(schema), std::move(column_of_field)));
}

Result<std::vector<Column>> AvroColumnsFromSchema(const std::string& schema_text, bool is_key,
                                                  bool original_field_names) {
  auto schema = avro::Schema::Parse(schema_text);
  if (!schema.ok()) return schema.status();
  const Node* root = avro::NonNull(schema.value()->root());
  auto type = avro::ToSqlType(root, original_field_names);
  if (!type.ok()) return Status::InvalidArgument("Unsupported type at root of schema: " + type.status().message());
  // A key is always one column (ksqlDB unwraps keys); a value record gives one column a field.
  if (is_key) return std::vector<Column>{{"ROWKEY", type.value()}};
  if (root->type != AvroType::kRecord) return std::vector<Column>{{"ROWVAL", type.value()}};
  std::vector<Column> columns;
  for (const StructField& f : type.value()->fields) columns.push_back({f.name, f.type});
  if (columns.empty())
    return Status::InvalidArgument(
        "Schema does not include any columns with types that ksqlDB supports.\nschema: " + schema_text);
  return columns;
}

}  // namespace sluice::serde
