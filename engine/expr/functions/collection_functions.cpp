// ARRAY, MAP and lambda (invocation) functions.
#include <algorithm>
#include <unordered_set>

#include "engine/expr/function_registry.h"
#include "engine/expr/functions/function_util.h"

namespace sluice {
namespace {

using namespace fnutil;  // NOLINT

bool IsArray(const TypePtr& t) { return Is(t, K::kArray); }
bool IsMap(const TypePtr& t) { return Is(t, K::kMap); }

// Common element type of two array arguments (either may be a NULL literal); nullptr if
// they differ or both are NULL.
TypePtr CommonArray(const TypePtr& a, const TypePtr& b) {
  if ((a && !IsArray(a)) || (b && !IsArray(b))) return nullptr;
  if (!a && !b) return nullptr;
  if (!a) return b;
  if (!b) return a;
  return TypeEquals(a->element, b->element) ? a : nullptr;
}

// Order-preserving set of values (hash-based).
class ValueSet {
 public:
  bool Insert(const Value& v) { return set_.insert(v).second; }
  bool Contains(const Value& v) const { return set_.count(v) > 0; }

 private:
  std::unordered_set<Value, ValueHash> set_;
};

Value Distinct(const ArrayValue& in) {
  ValueSet seen;
  ArrayValue out;
  for (const auto& v : in)
    if (seen.Insert(v)) out.push_back(v);
  return Value::Array(std::move(out));
}

// ARRAY_SORT order: natural order, NULLs last regardless of direction.
void SortValues(ArrayValue* v, bool desc) {
  std::stable_sort(v->begin(), v->end(), [desc](const Value& a, const Value& b) {
    if (a.IsNull() || b.IsNull()) return !a.IsNull() && b.IsNull();
    int c = CompareValues(a, b);
    return desc ? c > 0 : c < 0;
  });
}

FunctionOverload Lambda(std::string sig, int nargs, std::vector<int> lambda_args,
                        std::function<std::vector<TypePtr>(const Types&, int)> params, ResolveFn resolve,
                        ScalarImpl impl) {
  FunctionOverload o = Make(std::move(sig), nargs, nargs, std::move(resolve), std::move(impl), kCustom);
  o.lambda_args = std::move(lambda_args);
  o.lambda_param_types = std::move(params);
  return o;
}

}  // namespace

void RegisterCollectionFunctions(FunctionRegistry& r) {
  const char* kArr = "ARRAY";
  const char* kMap = "MAP";
  const char* kLambda = "LAMBDA";
  auto I = SqlType::Integer(), Bo = SqlType::Boolean(), S = SqlType::String();

  auto array_arg = [](const Types& t) -> TypePtr { return IsArray(t[0]) ? t[0] : nullptr; };
  auto element_of = [](const Types& t) -> TypePtr {
    return IsArray(t[0]) && t[0]->element && t[0]->element->IsPrimitive() ? t[0]->element : nullptr;
  };

  r.Add(Info("ARRAY_CONCAT", kArr, "Concatenates two arrays; a NULL array counts as empty, NULL only if both are NULL.",
             {Make("ARRAY_CONCAT(a ARRAY<T>, b ARRAY<T>) => ARRAY<T>", 2, 2,
                   [](const Types& t) { return CommonArray(t[0], t[1]); },
                   [](const Args& a, const CallContext&, std::string*) -> Value {
                     if (a[0].IsNull()) return a[1];
                     if (a[1].IsNull()) return a[0];
                     ArrayValue out = a[0].AsArray();
                     out.insert(out.end(), a[1].AsArray().begin(), a[1].AsArray().end());
                     return Value::Array(std::move(out));
                   }, kCustom)}));

  r.Add(Info("ARRAY_CONTAINS", kArr, "Returns whether an array contains a value (false for a NULL array).",
             {Make("ARRAY_CONTAINS(a ARRAY<T>, value T) => BOOLEAN", 2, 2,
                   [Bo](const Types& t) -> TypePtr {
                     if (!IsArray(t[0])) return nullptr;
                     if (t[1] && !TypeEquals(t[0]->element, t[1]) &&
                         !(t[0]->element->IsNumeric() && t[1]->IsNumeric())) return nullptr;
                     return Bo;
                   },
                   [](const Args& a, const CallContext&, std::string*) -> Value {
                     if (a[0].IsNull()) return Value(false);
                     for (const auto& v : a[0].AsArray()) {
                       if (v.IsNull() || a[1].IsNull()) {
                         if (v.IsNull() && a[1].IsNull()) return Value(true);
                         continue;
                       }
                       if (v == a[1] || CompareValues(v, a[1]) == 0) return Value(true);
                     }
                     return Value(false);
                   }, kCustom)}));

  r.Add(Info("ARRAY_DISTINCT", kArr, "Returns the distinct elements of an array (NULL included) in order of first occurrence.",
             {Make("ARRAY_DISTINCT(a ARRAY<T>) => ARRAY<T>", 1, 1, array_arg,
                   [](const Args& a, const CallContext&, std::string*) { return Distinct(a[0].AsArray()); })}));

  r.Add(Info("ARRAY_EXCEPT", kArr, "Returns the distinct elements of the first array that are not in the second, in order.",
             {Make("ARRAY_EXCEPT(a ARRAY<T>, b ARRAY<T>) => ARRAY<T>", 2, 2,
                   [](const Types& t) { return CommonArray(t[0], t[1]); },
                   [](const Args& a, const CallContext&, std::string*) {
                     ValueSet exclude, seen;
                     for (const auto& v : a[1].AsArray()) exclude.Insert(v);
                     ArrayValue out;
                     for (const auto& v : a[0].AsArray())
                       if (!exclude.Contains(v) && seen.Insert(v)) out.push_back(v);
                     return Value::Array(std::move(out));
                   })}));

  r.Add(Info("ARRAY_INTERSECT", kArr, "Returns the distinct elements present in both arrays, in the first array's order.",
             {Make("ARRAY_INTERSECT(a ARRAY<T>, b ARRAY<T>) => ARRAY<T>", 2, 2,
                   [](const Types& t) { return CommonArray(t[0], t[1]); },
                   [](const Args& a, const CallContext&, std::string*) {
                     ValueSet other, seen;
                     for (const auto& v : a[1].AsArray()) other.Insert(v);
                     ArrayValue out;
                     for (const auto& v : a[0].AsArray())
                       if (other.Contains(v) && seen.Insert(v)) out.push_back(v);
                     return Value::Array(std::move(out));
                   })}));

  r.Add(Info("ARRAY_UNION", kArr, "Returns the distinct elements of both arrays, in order of first occurrence.",
             {Make("ARRAY_UNION(a ARRAY<T>, b ARRAY<T>) => ARRAY<T>", 2, 2,
                   [](const Types& t) { return CommonArray(t[0], t[1]); },
                   [](const Args& a, const CallContext&, std::string*) {
                     ValueSet seen;
                     ArrayValue out;
                     for (const auto* arr : {&a[0].AsArray(), &a[1].AsArray()})
                       for (const auto& v : *arr)
                         if (seen.Insert(v)) out.push_back(v);
                     return Value::Array(std::move(out));
                   })}));

  auto join = [](const Args& a, const CallContext&, std::string* err) -> Value {
    if (a[0].IsNull()) return Value();
    std::string delim = a.size() > 1 ? (a[1].IsNull() ? "" : a[1].AsString()) : ",";
    std::string out;
    bool first = true;
    for (const auto& v : a[0].AsArray()) {
      // ksqlDB joins BOOLEAN, INT, BIGINT, DOUBLE, DECIMAL and STRING elements only.
      if (!v.IsNull() && !v.IsBool() && !v.IsInt() && !v.IsBigint() && !v.IsDouble() &&
          !v.IsDecimal() && !v.IsString()) {
        if (err) *err = "ARRAY_JOIN: elements of this type are not supported";
        return Value();
      }
      if (!first) out += delim;
      first = false;
      out += JavaString(v);
    }
    return Value(std::move(out));
  };
  auto join_resolve = [S](const Types& t) -> TypePtr {
    if (!IsArray(t[0]) || !t[0]->element->IsPrimitive()) return nullptr;
    if (t.size() > 1 && !IsNullOr(t[1], K::kString)) return nullptr;
    return S;
  };
  r.Add(Info("ARRAY_JOIN", kArr, "Joins the elements of an array of primitives into a string with a delimiter (default ',').",
             {Make("ARRAY_JOIN(a ARRAY<T>) => STRING", 1, 1, join_resolve, join, kCustom),
              Make("ARRAY_JOIN(a ARRAY<T>, delimiter STRING) => STRING", 2, 2, join_resolve, join, kCustom)}));

  r.Add(Info("ARRAY_LENGTH", kArr, "Returns the number of elements in an array.",
             {Make("ARRAY_LENGTH(a ARRAY<T>) => INT", 1, 1, [I](const Types& t) -> TypePtr { return IsArray(t[0]) ? I : nullptr; },
                   [](const Args& a, const CallContext&, std::string*) {
                     return Value(static_cast<int32_t>(a[0].AsArray().size()));
                   })}));

  auto extreme = [](bool max) {
    return [max](const Args& a, const CallContext&, std::string*) -> Value {
      const Value* best = nullptr;
      for (const auto& v : a[0].AsArray()) {
        if (v.IsNull()) continue;
        if (!best || (max ? CompareValues(v, *best) > 0 : CompareValues(v, *best) < 0)) best = &v;
      }
      return best ? *best : Value();
    };
  };
  r.Add(Info("ARRAY_MAX", kArr, "Returns the largest non-NULL element of an array of primitives; NULL if there is none.",
             {Make("ARRAY_MAX(a ARRAY<T>) => T", 1, 1, element_of, extreme(true))}));
  r.Add(Info("ARRAY_MIN", kArr, "Returns the smallest non-NULL element of an array of primitives; NULL if there is none.",
             {Make("ARRAY_MIN(a ARRAY<T>) => T", 1, 1, element_of, extreme(false))}));

  r.Add(Info("ARRAY_REMOVE", kArr, "Removes every element equal to a value (NULL removes NULLs) from an array.",
             {Make("ARRAY_REMOVE(a ARRAY<T>, value T) => ARRAY<T>", 2, 2,
                   [](const Types& t) -> TypePtr {
                     if (!IsArray(t[0])) return nullptr;
                     if (t[1] && !TypeEquals(t[0]->element, t[1])) return nullptr;
                     return t[0];
                   },
                   [](const Args& a, const CallContext&, std::string*) -> Value {
                     if (a[0].IsNull()) return Value();
                     ArrayValue out;
                     for (const auto& v : a[0].AsArray())
                       if (!(v == a[1])) out.push_back(v);
                     return Value::Array(std::move(out));
                   }, kCustom)}));

  auto sort = [](const Args& a, const CallContext&, std::string* err) -> Value {
    bool desc = false;
    if (a.size() > 1) {
      std::string dir = a[1].AsString();
      for (char& c : dir) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
      if (dir == "DESC") desc = true;
      else if (dir != "ASC") {
        if (err) *err = "ARRAY_SORT direction must be ASC or DESC";
        return Value();
      }
    }
    ArrayValue out = a[0].AsArray();
    SortValues(&out, desc);
    return Value::Array(std::move(out));
  };
  auto sort_resolve = [](const Types& t) -> TypePtr {
    if (!IsArray(t[0]) || !t[0]->element->IsPrimitive()) return nullptr;
    if (t.size() > 1 && !IsNullOr(t[1], K::kString)) return nullptr;
    return t[0];
  };
  r.Add(Info("ARRAY_SORT", kArr, "Sorts an array of primitives in natural order, ascending (default) or 'DESC'; NULLs go last.",
             {Make("ARRAY_SORT(a ARRAY<T>) => ARRAY<T>", 1, 1, sort_resolve, sort),
              Make("ARRAY_SORT(a ARRAY<T>, direction STRING) => ARRAY<T>", 2, 2, sort_resolve, sort)}));

  r.Add(Info("SLICE", kArr, "Returns the elements of an array between two 1-based positions, both included; NULL if out of range.",
             {Make("SLICE(a ARRAY<T>, from INT, to INT) => ARRAY<T>", 3, 3,
                   [](const Types& t) -> TypePtr {
                     if (!IsArray(t[0]) || !fn::Accepts(K::kInteger, t[1]) || !fn::Accepts(K::kInteger, t[2])) return nullptr;
                     return t[0];
                   },
                   [](const Args& a, const CallContext&, std::string*) -> Value {
                     if (a[0].IsNull()) return Value();
                     const ArrayValue& in = a[0].AsArray();
                     int64_t n = static_cast<int64_t>(in.size());
                     int64_t start = a[1].IsNull() ? 0 : a[1].ToInt64() - 1;
                     int64_t end = a[2].IsNull() ? n : a[2].ToInt64();
                     if (start < 0 || end > n || start > end) return Value();
                     return Value::Array(ArrayValue(in.begin() + start, in.begin() + end));
                   }, kCustom)}));

  r.Add(Info("AS_MAP", kMap, "Builds a map from an array of keys and an array of values (missing values are NULL).",
             {Make("AS_MAP(keys ARRAY<STRING>, values ARRAY<T>) => MAP<STRING, T>", 2, 2,
                   [](const Types& t) -> TypePtr {
                     if (!IsArray(t[0]) || !Is(t[0]->element, K::kString) || !IsArray(t[1])) return nullptr;
                     return SqlType::Map(SqlType::String(), t[1]->element);
                   },
                   [](const Args& a, const CallContext&, std::string*) {
                     const ArrayValue& keys = a[0].AsArray();
                     const ArrayValue& vals = a[1].AsArray();
                     MapValue out;
                     for (size_t i = 0; i < keys.size(); ++i) {
                       Value v = i < vals.size() ? vals[i] : Value();
                       auto it = std::find_if(out.begin(), out.end(), [&](const auto& kv) { return kv.first == keys[i]; });
                       if (it != out.end()) it->second = std::move(v);
                       else out.emplace_back(keys[i], std::move(v));
                     }
                     return Value::Map(std::move(out));
                   })}));

  r.Add(Info("MAP_KEYS", kMap, "Returns the keys of a map as an array.",
             {Make("MAP_KEYS(m MAP<K, V>) => ARRAY<K>", 1, 1,
                   [](const Types& t) -> TypePtr { return IsMap(t[0]) ? SqlType::Array(t[0]->key) : nullptr; },
                   [](const Args& a, const CallContext&, std::string*) {
                     ArrayValue out;
                     out.reserve(a[0].AsMap().size());
                     for (const auto& kv : a[0].AsMap()) out.push_back(kv.first);
                     return Value::Array(std::move(out));
                   })}));
  r.Add(Info("MAP_VALUES", kMap, "Returns the values of a map as an array.",
             {Make("MAP_VALUES(m MAP<K, V>) => ARRAY<V>", 1, 1,
                   [](const Types& t) -> TypePtr { return IsMap(t[0]) ? SqlType::Array(t[0]->value) : nullptr; },
                   [](const Args& a, const CallContext&, std::string*) {
                     ArrayValue out;
                     out.reserve(a[0].AsMap().size());
                     for (const auto& kv : a[0].AsMap()) out.push_back(kv.second);
                     return Value::Array(std::move(out));
                   })}));
  r.Add(Info("MAP_UNION", kMap, "Merges two maps, the second map's value winning for a shared key; NULL only if both are NULL.",
             {Make("MAP_UNION(m1 MAP<K, V>, m2 MAP<K, V>) => MAP<K, V>", 2, 2,
                   [](const Types& t) -> TypePtr {
                     if ((t[0] && !IsMap(t[0])) || (t[1] && !IsMap(t[1]))) return nullptr;
                     return Common(t[0], t[1]);
                   },
                   [](const Args& a, const CallContext&, std::string*) -> Value {
                     if (a[0].IsNull()) return a[1];
                     if (a[1].IsNull()) return a[0];
                     MapValue out = a[0].AsMap();
                     for (const auto& kv : a[1].AsMap()) {
                       auto it = std::find_if(out.begin(), out.end(), [&](const auto& e) { return e.first == kv.first; });
                       if (it != out.end()) it->second = kv.second;
                       else out.push_back(kv);
                     }
                     return Value::Map(std::move(out));
                   }, kCustom)}));

  r.Add(Info("ENTRIES", kMap, "Returns a map's entries as an array of STRUCT<K, V>, optionally sorted by key.",
             {Make("ENTRIES(m MAP<K, V>, sorted BOOLEAN) => ARRAY<STRUCT<K K, V V>>", 2, 2,
                   [](const Types& t) -> TypePtr {
                     if (!IsMap(t[0]) || !IsNullOr(t[1], K::kBoolean)) return nullptr;
                     return SqlType::Array(SqlType::Struct({{"K", t[0]->key}, {"V", t[0]->value}}));
                   },
                   [](const Args& a, const CallContext& ctx, std::string*) {
                     TypePtr st = ctx.return_type->element;
                     std::vector<const std::pair<Value, Value>*> entries;
                     for (const auto& kv : a[0].AsMap()) entries.push_back(&kv);
                     if (a[1].AsBool())
                       std::stable_sort(entries.begin(), entries.end(),
                                        [](auto* x, auto* y) { return CompareValues(x->first, y->first) < 0; });
                     ArrayValue out;
                     out.reserve(entries.size());
                     for (auto* kv : entries) out.push_back(Value::Struct(st, {kv->first, kv->second}));
                     return Value::Array(std::move(out));
                   })}));

  // GENERATE_SERIES: INT or BIGINT bounds, INT step.
  auto series = [](bool big) {
    return [big](const Args& a, const CallContext&, std::string* err) -> Value {
      int64_t start = a[0].ToInt64(), end = a[1].ToInt64();
      // Without a step: 1 counting up, -1 counting down (ksqlDB's GenerateSeries).
      int64_t step = a.size() > 2 ? a[2].ToInt64() : (end >= start ? 1 : -1);
      if (step == 0) {
        if (err) *err = "GENERATE_SERIES step cannot be zero";
        return Value();
      }
      __int128 diff = static_cast<__int128>(end) - start;
      if ((diff > 0 && step < 0) || (diff < 0 && step > 0)) {
        if (err) *err = "GENERATE_SERIES step has wrong sign";
        return Value();
      }
      __int128 count = diff / step + 1;
      if (count > 10000000) {
        if (err) *err = "GENERATE_SERIES would produce too many values";
        return Value();
      }
      ArrayValue out;
      out.reserve(static_cast<size_t>(count));
      for (__int128 i = 0; i < count; ++i) {
        int64_t v = static_cast<int64_t>(start + i * step);
        out.push_back(big ? Value(v) : Value(static_cast<int32_t>(v)));
      }
      return Value::Array(std::move(out));
    };
  };
  auto AI = SqlType::Array(SqlType::Integer()), AL = SqlType::Array(SqlType::Bigint());
  r.Add(Info("GENERATE_SERIES", kArr, "Returns the array of values from start to end inclusive, by a step (default 1, may be negative).",
             {fn::Simple("GENERATE_SERIES(start INT, end INT) => ARRAY<INT>", {K::kInteger, K::kInteger}, AI, series(false)),
              fn::Simple("GENERATE_SERIES(start INT, end INT, step INT) => ARRAY<INT>", {K::kInteger, K::kInteger, K::kInteger}, AI, series(false)),
              fn::Simple("GENERATE_SERIES(start BIGINT, end BIGINT) => ARRAY<BIGINT>", {K::kBigint, K::kBigint}, AL, series(true)),
              fn::Simple("GENERATE_SERIES(start BIGINT, end BIGINT, step INT) => ARRAY<BIGINT>", {K::kBigint, K::kBigint, K::kInteger}, AL, series(true))}));

  // ---- lambda functions ------------------------------------------------------------------

  r.Add(Info("TRANSFORM", kLambda, "Applies a lambda to every element of an array, or two lambdas to the keys and values of a map.",
             {Lambda("TRANSFORM(a ARRAY<T>, x => U) => ARRAY<U>", 2, {1},
                     [](const Types& t, int) -> std::vector<TypePtr> {
                       return {IsArray(t[0]) ? t[0]->element : nullptr};
                     },
                     [](const Types& t) -> TypePtr {
                       if (!IsArray(t[0]) || !t[1]) return nullptr;
                       return SqlType::Array(t[1]);
                     },
                     [](const Args& a, const CallContext& ctx, std::string*) -> Value {
                       if (a[0].IsNull()) return Value();
                       const LambdaFn& f = ctx.lambda(0);
                       ArrayValue out;
                       out.reserve(a[0].AsArray().size());
                       std::vector<Value> p(1);
                       for (const auto& v : a[0].AsArray()) {
                         p[0] = v;
                         out.push_back(f(p));
                       }
                       return Value::Array(std::move(out));
                     }),
              Lambda("TRANSFORM(m MAP<K, V>, (k, v) => K2, (k, v) => V2) => MAP<K2, V2>", 3, {1, 2},
                     [](const Types& t, int) -> std::vector<TypePtr> {
                       if (!IsMap(t[0])) return {nullptr, nullptr};
                       return {t[0]->key, t[0]->value};
                     },
                     [](const Types& t) -> TypePtr {
                       if (!IsMap(t[0]) || !t[1] || !t[2]) return nullptr;
                       return SqlType::Map(t[1], t[2]);
                     },
                     [](const Args& a, const CallContext& ctx, std::string* err) -> Value {
                       if (a[0].IsNull()) return Value();
                       const LambdaFn& fk = ctx.lambda(0);
                       const LambdaFn& fv = ctx.lambda(1);
                       MapValue out;
                       out.reserve(a[0].AsMap().size());
                       std::vector<Value> p(2);
                       // ksqlDB collects the entries with Collectors.toMap: a NULL value or two
                       // entries mapping to the same key fail the call (result NULL).
                       for (const auto& kv : a[0].AsMap()) {
                         p[0] = kv.first;
                         p[1] = kv.second;
                         Value k = fk(p);
                         Value v = fv(p);
                         if (v.IsNull()) {
                           if (err) *err = "TRANSFORM: the value lambda returned NULL";
                           return Value();
                         }
                         auto it = std::find_if(out.begin(), out.end(), [&](const auto& e) { return e.first == k; });
                         if (it != out.end()) {
                           if (err) *err = "TRANSFORM: duplicate key in the transformed map";
                           return Value();
                         }
                         out.emplace_back(std::move(k), std::move(v));
                       }
                       return Value::Map(std::move(out));
                     })}));

  r.Add(Info("FILTER", kLambda, "Keeps the elements of an array, or the entries of a map, for which a lambda returns true.",
             {Lambda("FILTER(a ARRAY<T>, x => BOOLEAN) => ARRAY<T>", 2, {1},
                     [](const Types& t, int) -> std::vector<TypePtr> {
                       return {IsArray(t[0]) ? t[0]->element : nullptr};
                     },
                     [](const Types& t) -> TypePtr {
                       return IsArray(t[0]) && IsNullOr(t[1], K::kBoolean) ? t[0] : nullptr;
                     },
                     [](const Args& a, const CallContext& ctx, std::string* err) -> Value {
                       if (a[0].IsNull()) return Value();
                       const LambdaFn& f = ctx.lambda(0);
                       ArrayValue out;
                       std::vector<Value> p(1);
                       for (const auto& v : a[0].AsArray()) {
                         p[0] = v;
                         Value keep = f(p);
                         if (keep.IsNull()) {  // ksqlDB unboxes the lambda's Boolean: NULL fails
                           if (err) *err = "FILTER: the lambda returned NULL";
                           return Value();
                         }
                         if (keep.IsBool() && keep.AsBool()) out.push_back(v);
                       }
                       return Value::Array(std::move(out));
                     }),
              Lambda("FILTER(m MAP<K, V>, (k, v) => BOOLEAN) => MAP<K, V>", 2, {1},
                     [](const Types& t, int) -> std::vector<TypePtr> {
                       if (!IsMap(t[0])) return {nullptr, nullptr};
                       return {t[0]->key, t[0]->value};
                     },
                     [](const Types& t) -> TypePtr {
                       return IsMap(t[0]) && IsNullOr(t[1], K::kBoolean) ? t[0] : nullptr;
                     },
                     [](const Args& a, const CallContext& ctx, std::string* err) -> Value {
                       if (a[0].IsNull()) return Value();
                       const LambdaFn& f = ctx.lambda(0);
                       MapValue out;
                       std::vector<Value> p(2);
                       for (const auto& kv : a[0].AsMap()) {
                         p[0] = kv.first;
                         p[1] = kv.second;
                         Value keep = f(p);
                         if (keep.IsNull()) {  // ksqlDB unboxes the lambda's Boolean: NULL fails
                           if (err) *err = "FILTER: the lambda returned NULL";
                           return Value();
                         }
                         if (keep.IsBool() && keep.AsBool()) {
                           // kept entries are collected with Collectors.toMap, which rejects NULL values
                           if (kv.second.IsNull()) {
                             if (err) *err = "FILTER: a kept map entry has a NULL value";
                             return Value();
                           }
                           out.push_back(kv);
                         }
                       }
                       return Value::Map(std::move(out));
                     })}));

  auto reduce_resolve = [](bool map) {
    return [map](const Types& t) -> TypePtr {
      if (map ? !IsMap(t[0]) : !IsArray(t[0])) return nullptr;
      if (t[1] && t[2] && !TypeEquals(t[1], t[2]) && !(t[1]->IsNumeric() && t[2]->IsNumeric())) return nullptr;
      return t[1] ? t[1] : t[2];
    };
  };
  r.Add(Info("REDUCE", kLambda, "Folds an array or map into a single value, starting from an initial state; NULL if the state is NULL.",
             {Lambda("REDUCE(a ARRAY<T>, initial S, (s, x) => S) => S", 3, {2},
                     [](const Types& t, int) -> std::vector<TypePtr> {
                       return {t[1], IsArray(t[0]) ? t[0]->element : nullptr};
                     },
                     reduce_resolve(false),
                     [](const Args& a, const CallContext& ctx, std::string*) -> Value {
                       if (a[1].IsNull()) return Value();
                       if (a[0].IsNull()) return a[1];
                       const LambdaFn& f = ctx.lambda(0);
                       std::vector<Value> p(2);
                       p[0] = a[1];
                       for (const auto& v : a[0].AsArray()) {
                         p[1] = v;
                         p[0] = f(p);
                       }
                       return p[0];
                     }),
              Lambda("REDUCE(m MAP<K, V>, initial S, (s, k, v) => S) => S", 3, {2},
                     [](const Types& t, int) -> std::vector<TypePtr> {
                       if (!IsMap(t[0])) return {t[1], nullptr, nullptr};
                       return {t[1], t[0]->key, t[0]->value};
                     },
                     reduce_resolve(true),
                     [](const Args& a, const CallContext& ctx, std::string*) -> Value {
                       if (a[1].IsNull()) return Value();
                       if (a[0].IsNull()) return a[1];
                       const LambdaFn& f = ctx.lambda(0);
                       std::vector<Value> p(3);
                       p[0] = a[1];
                       for (const auto& kv : a[0].AsMap()) {
                         p[1] = kv.first;
                         p[2] = kv.second;
                         p[0] = f(p);
                       }
                       return p[0];
                     })}));
}

}  // namespace sluice
