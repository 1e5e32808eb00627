// JSON payload -> Row with simdjson's on-demand API: only the needed columns are converted,
// unneeded fields are skipped without being materialized, and the object walk stops as soon
// as every needed column has been seen. The payload is copied once into a reused buffer that
// carries the SIMDJSON_PADDING bytes simdjson reads past the end.
#include <simdjson.h>

#include <cstring>

#include "engine/types/java_hash_order.h"
#include "engine/serde/json_coercion.h"
#include "engine/serde/json_writer.h"
#include "engine/serde/serde_factories.h"
#include "engine/serde/text_codec.h"

namespace sluice::serde {

namespace {
namespace od = simdjson::ondemand;

Status JsonError(simdjson::error_code err) {
  return Status::SerdeError(std::string("Invalid JSON: ") + simdjson::error_message(err));
}

std::string_view TrimTokenEnd(std::string_view tok) {
  while (!tok.empty() && (tok.back() == ' ' || tok.back() == '\n' || tok.back() == '\r' ||
                          tok.back() == '\t'))
    tok.remove_suffix(1);
  return tok;
}

template <class Node>
Status ReadValue(Node& node, const TypePtr& type, Value* out);

// A value's raw token is infallible, a document's is not: one spelling for both.
simdjson::error_code RawToken(od::value& v, std::string_view* out) {
  *out = v.raw_json_token();
  return simdjson::SUCCESS;
}
simdjson::error_code RawToken(od::document& d, std::string_view* out) {
  return d.raw_json_token().get(*out);
}

template <class Node>
simdjson::error_code RawContainer(Node& node, bool is_object, std::string_view* raw) {
  if (is_object) {
    od::object obj;
    if (auto err = node.get_object().get(obj)) return err;
    return obj.raw_json().get(*raw);
  }
  od::array arr;
  if (auto err = node.get_array().get(arr)) return err;
  return arr.raw_json().get(*raw);
}

Status ReadStruct(od::object obj, const TypePtr& type, Value* out) {
  std::vector<Value> fields(type->fields.size());
  for (auto field_result : obj) {
    od::field field;
    std::string_view key;
    if (auto err = std::move(field_result).get(field)) return JsonError(err);
    if (auto err = field.unescaped_key().get(key)) return JsonError(err);
    int idx = FindFieldIgnoreCase(type->fields, key);
    if (idx < 0) continue;
    SLUICE_RETURN_IF_ERROR(ReadValue(field.value(), type->fields[idx].type, &fields[idx]));
  }
  *out = Value::Struct(type, std::move(fields));
  return Status::OK();
}

// JSON object keys are strings: they are coerced to the map's key type like any string.
Status ReadMap(od::object obj, const TypePtr& type, Value* out) {
  MapValue entries;
  for (auto field_result : obj) {
    od::field field;
    std::string_view key;
    if (auto err = std::move(field_result).get(field)) return JsonError(err);
    if (auto err = field.unescaped_key().get(key)) return JsonError(err);
    Value k, v;
    SLUICE_RETURN_IF_ERROR(CoerceString(key, *type->key, &k));
    SLUICE_RETURN_IF_ERROR(ReadValue(field.value(), type->value, &v));
    entries.emplace_back(std::move(k), std::move(v));
  }
  OrderLikeJavaHashMap(&entries);  // what ksqlDB's deserializer hands on (see the header)
  *out = Value::Map(std::move(entries));
  return Status::OK();
}

Status ReadArray(od::array arr, const TypePtr& type, Value* out) {
  ArrayValue items;
  for (auto elem_result : arr) {
    od::value elem;
    if (auto err = std::move(elem_result).get(elem)) return JsonError(err);
    items.emplace_back();
    SLUICE_RETURN_IF_ERROR(ReadValue(elem, type->element, &items.back()));
  }
  *out = Value::Array(std::move(items));
  return Status::OK();
}

template <class Node>
Status ReadNumber(Node& node, const TypePtr& type, Value* out) {
  std::string_view tok;
  if (auto err = RawToken(node, &tok)) return JsonError(err);
  tok = TrimTokenEnd(tok);
  // raw_json_token does not validate: check the token before it becomes a STRING verbatim.
  double unused;
  if (type->kind == TypeKind::kString && !ParseDouble(tok, &unused))
    return Status::SerdeError("Invalid JSON: malformed number " + std::string(tok));
  return CoerceNumber(tok, *type, out);
}

template <class Node>
Status ReadContainer(Node& node, od::json_type jt, const TypePtr& type, Value* out) {
  bool is_object = jt == od::json_type::object;
  if (type->kind == TypeKind::kString) {
    std::string_view raw;
    if (auto err = RawContainer(node, is_object, &raw)) return JsonError(err);
    *out = Value(MinifyJson(raw));
    return Status::OK();
  }
  if (is_object && type->kind == TypeKind::kStruct) {
    od::object obj;
    if (auto err = node.get_object().get(obj)) return JsonError(err);
    return ReadStruct(obj, type, out);
  }
  if (is_object && type->kind == TypeKind::kMap) {
    od::object obj;
    if (auto err = node.get_object().get(obj)) return JsonError(err);
    return ReadMap(obj, type, out);
  }
  if (!is_object && type->kind == TypeKind::kArray) {
    od::array arr;
    if (auto err = node.get_array().get(arr)) return JsonError(err);
    return ReadArray(arr, type, out);
  }
  return ConversionError(is_object ? JsonKind::kObject : JsonKind::kArray, {}, *type);
}

// Works on both od::value and od::document (a bare top-level value), which share the API.
template <class Node>
Status ReadValue(Node& node, const TypePtr& type, Value* out) {
  od::json_type jt;
  if (auto err = node.type().get(jt)) return JsonError(err);
  switch (jt) {
    case od::json_type::null: {
      bool is_null = false;
      if (auto err = node.is_null().get(is_null); err || !is_null)
        return Status::SerdeError("Invalid JSON: malformed null");
      *out = Value();
      return Status::OK();
    }
    case od::json_type::boolean: {
      bool b;
      if (auto err = node.get_bool().get(b)) return JsonError(err);
      return CoerceBool(b, *type, out);
    }
    case od::json_type::number:
      return ReadNumber(node, type, out);
    case od::json_type::string: {
      std::string_view s;
      if (auto err = node.get_string().get(s)) return JsonError(err);
      if (type->kind == TypeKind::kString) {
        *out = Value(std::string(s));
        return Status::OK();
      }
      return CoerceString(s, *type, out);
    }
    default:
      return ReadContainer(node, jt, type, out);
  }
}

class JsonDeserializer final : public RowDeserializer {
 public:
  JsonDeserializer(std::vector<Column> columns, std::vector<bool> needed, bool wrapped)
      : columns_(std::move(columns)), needed_(std::move(needed)), wrapped_(wrapped) {
    std::vector<StructField> fields;
    for (const Column& c : columns_) fields.push_back({c.name, c.type});
    row_type_ = SqlType::Struct(std::move(fields));
    if (needed_.empty()) needed_.assign(columns_.size(), true);
    for (bool n : needed_) needed_count_ += n;
  }

  Status Deserialize(std::string_view bytes, Row* out) override {
    if (buffer_.size() < bytes.size() + simdjson::SIMDJSON_PADDING)
      buffer_.resize(bytes.size() + simdjson::SIMDJSON_PADDING);
    std::memcpy(buffer_.data(), bytes.data(), bytes.size());
    od::document doc;
    auto err = parser_.iterate(simdjson::padded_string_view(buffer_.data(), bytes.size(),
                                                            buffer_.size())).get(doc);
    if (err) return JsonError(err);
    od::json_type jt;
    if (auto terr = doc.type().get(jt)) return JsonError(terr);
    if (jt == od::json_type::null) {
      // The on-demand parser types a document by its first byte: anything starting with 'n'
      // claims to be null. Only the literal itself (and nothing after it) is the null record.
      const size_t first = bytes.find_first_not_of(" \t\r\n");
      const size_t last = bytes.find_last_not_of(" \t\r\n");
      if (first == std::string_view::npos || bytes.substr(first, last - first + 1) != "null")
        return Status::SerdeError("Invalid JSON: " + std::string(bytes.substr(0, 40)));
      out->clear();
      return Status::OK();
    }
    ResetRow(out);
    if (!wrapped_) return ReadBareValue(doc, out);
    if (jt != od::json_type::object) return ConversionError(KindOf(jt), {}, *row_type_);
    return ReadObjectRow(doc, out);
  }

 private:
  static JsonKind KindOf(od::json_type jt) {
    switch (jt) {
      case od::json_type::array: return JsonKind::kArray;
      case od::json_type::object: return JsonKind::kObject;
      case od::json_type::number: return JsonKind::kNumber;
      case od::json_type::string: return JsonKind::kString;
      case od::json_type::boolean: return JsonKind::kBool;
      default: return JsonKind::kNull;
    }
  }

  void ResetRow(Row* out) const {
    out->resize(columns_.size());
    for (Value& v : *out) v = Value();
  }

  Status ReadBareValue(od::document& doc, Row* out) {
    if (columns_.empty() || !needed_[0]) return Status::OK();
    Status st = ReadValue(doc, columns_[0].type, &(*out)[0]);
    return st.ok() ? st : ColumnError(columns_[0].name, st);
  }

  // Fields usually arrive in column order with the declared case: try the column after the
  // last match first, then fall back to the case-insensitive search.
  int MatchColumn(std::string_view key, size_t hint) const {
    if (hint < columns_.size() && columns_[hint].name == key) return static_cast<int>(hint);
    return FindFieldIgnoreCase(row_type_->fields, key);
  }

  Status ReadObjectRow(od::document& doc, Row* out) {
    od::object obj;
    if (auto err = doc.get_object().get(obj)) return JsonError(err);
    seen_.assign(columns_.size(), false);
    size_t remaining = needed_count_, hint = 0;
    if (remaining == 0) return Status::OK();
    for (auto field_result : obj) {
      od::field field;
      std::string_view key;
      if (auto err = std::move(field_result).get(field)) return JsonError(err);
      if (auto err = field.unescaped_key().get(key)) return JsonError(err);
      int idx = MatchColumn(key, hint);
      if (idx < 0) continue;
      hint = idx + 1;
      if (!needed_[idx]) continue;
      Status st = ReadValue(field.value(), columns_[idx].type, &(*out)[idx]);
      if (!st.ok()) return ColumnError(columns_[idx].name, st);
      if (!seen_[idx]) --remaining;
      seen_[idx] = true;
      if (remaining == 0) break;  // every needed column read: skip the rest of the record
    }
    return Status::OK();
  }

  std::vector<Column> columns_;
  std::vector<bool> needed_;
  bool wrapped_;
  size_t needed_count_ = 0;
  TypePtr row_type_;
  std::vector<bool> seen_;
  simdjson::ondemand::parser parser_;
  std::string buffer_;
};
}  // namespace

std::unique_ptr<RowDeserializer> MakeJsonDeserializer(std::vector<Column> columns,
                                                      std::vector<bool> needed, bool wrapped) {
  return std::make_unique<JsonDeserializer>(std::move(columns), std::move(needed), wrapped);
}

}  // namespace sluice::serde
