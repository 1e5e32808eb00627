// JsonToValue / ValueToJson: the nlohmann-tree side of the JSON format, for callers that
// already hold parsed JSON (test runners, REST inserts). Scalars go through the same
// coercions as the simdjson deserializer, so both paths accept exactly the same input.
#include <cmath>

#include "engine/serde/format.h"
#include "engine/serde/json_coercion.h"
#include "engine/serde/text_codec.h"
#include "engine/types/java_double.h"

namespace sluice {

namespace {
using serde::JsonKind;

Status ToValue(const nlohmann::json& j, const TypePtr& type, Value* out);

Status ObjectToStruct(const nlohmann::json& j, const TypePtr& type, Value* out) {
  std::vector<Value> fields(type->fields.size());
  for (const auto& [key, val] : j.items()) {
    int idx = serde::FindFieldIgnoreCase(type->fields, key);
    if (idx >= 0) SLUICE_RETURN_IF_ERROR(ToValue(val, type->fields[idx].type, &fields[idx]));
  }
  *out = Value::Struct(type, std::move(fields));
  return Status::OK();
}

Status ObjectToMap(const nlohmann::json& j, const TypePtr& type, Value* out) {
  MapValue entries;
  for (const auto& [key, val] : j.items()) {
    Value k, v;
    SLUICE_RETURN_IF_ERROR(serde::CoerceString(key, *type->key, &k));
    SLUICE_RETURN_IF_ERROR(ToValue(val, type->value, &v));
    entries.emplace_back(std::move(k), std::move(v));
  }
  *out = Value::Map(std::move(entries));
  return Status::OK();
}

Status ArrayToValue(const nlohmann::json& j, const TypePtr& type, Value* out) {
  ArrayValue items(j.size());
  for (size_t i = 0; i < j.size(); ++i)
    SLUICE_RETURN_IF_ERROR(ToValue(j[i], type->element, &items[i]));
  *out = Value::Array(std::move(items));
  return Status::OK();
}

Status ToValue(const nlohmann::json& j, const TypePtr& type, Value* out) {
  if (j.is_null()) {
    *out = Value();
    return Status::OK();
  }
  if (j.is_boolean()) return serde::CoerceBool(j.get<bool>(), *type, out);
  if (j.is_number()) return serde::CoerceNumber(j.dump(), *type, out);
  if (j.is_string()) return serde::CoerceString(j.get_ref<const std::string&>(), *type, out);
  if (type->kind == TypeKind::kString) {  // a container read as STRING is its JSON text
    *out = Value(j.dump());
    return Status::OK();
  }
  if (j.is_object() && type->kind == TypeKind::kStruct) return ObjectToStruct(j, type, out);
  if (j.is_object() && type->kind == TypeKind::kMap) return ObjectToMap(j, type, out);
  if (j.is_array() && type->kind == TypeKind::kArray) return ArrayToValue(j, type, out);
  return serde::ConversionError(j.is_object() ? JsonKind::kObject : JsonKind::kArray, {}, *type);
}

nlohmann::json DoubleToJson(double d) {
  if (std::isfinite(d)) return d;
  std::string s;
  AppendJavaDouble(d, &s);  // "NaN", "Infinity": as Jackson quotes them
  return s;
}
}  // namespace

Result<Value> JsonToValue(const nlohmann::json& j, const TypePtr& type) {
  Value v;
  SLUICE_RETURN_IF_ERROR(ToValue(j, type, &v));
  return v;
}

// DECIMAL becomes a JSON double here (nlohmann has no exact decimal): callers that need the
// exact digits should render with the JSON serializer instead.
nlohmann::json ValueToJson(const Value& v, const TypePtr& type) {
  if (v.IsNull()) return nullptr;
  if (v.IsBool()) return v.AsBool();
  if (type && type->kind == TypeKind::kDouble) return DoubleToJson(v.ToDouble());
  if (v.IsInt()) return v.AsInt();
  if (v.IsBigint()) return v.AsBigint();
  if (v.IsDouble()) return DoubleToJson(v.AsDouble());
  if (v.IsDecimal()) return v.AsDecimal().ToDouble();
  if (v.IsString()) return v.AsString();
  if (v.IsBytes()) {
    std::string s;
    serde::AppendBase64(v.AsBytes().data, &s);
    return s;
  }
  if (v.IsDate()) return v.AsDate().days;
  if (v.IsTime()) return v.AsTime().millis;
  if (v.IsTimestamp()) return v.AsTimestamp().millis;
  if (v.IsArray()) {
    nlohmann::json arr = nlohmann::json::array();
    const TypePtr elem = type && type->kind == TypeKind::kArray ? type->element : nullptr;
    for (const Value& e : v.AsArray()) arr.push_back(ValueToJson(e, elem));
    return arr;
  }
  if (v.IsMap()) {
    nlohmann::json obj = nlohmann::json::object();
    const TypePtr val = type && type->kind == TypeKind::kMap ? type->value : nullptr;
    for (const auto& [k, e] : v.AsMap()) obj[k.IsString() ? k.AsString() : k.ToString()] = ValueToJson(e, val);
    return obj;
  }
  const StructValue& s = v.AsStruct();
  nlohmann::json obj = nlohmann::json::object();
  for (size_t i = 0; i < s.fields.size() && i < s.type->fields.size(); ++i)
    obj[s.type->fields[i].name] = ValueToJson(s.fields[i], s.type->fields[i].type);
  return obj;
}

}  // namespace sluice
