// The one list of aggregate function names (IsAggregateFunctionName), binding calls to
// implementations (ResolveAggregate), and the catalog entries that SHOW FUNCTIONS and
// DESCRIBE FUNCTION list with type AGGREGATE.
#include <map>

#include "engine/expr/aggregates/aggregate_internal.h"
#include "engine/expr/function_registry.h"

namespace sluice {

namespace agg {
namespace {

std::vector<std::string> Each(const std::string& name, std::initializer_list<const char*> types,
                              const std::string& param, const std::string& ret_pattern) {
  // One signature per type; "$" in ret_pattern stands for the type.
  std::vector<std::string> out;
  for (const char* t : types) {
    std::string ret = ret_pattern;
    for (size_t p; (p = ret.find('$')) != std::string::npos;) ret.replace(p, 1, t);
    out.push_back(name + "(" + param + " " + t + ") => " + ret);
  }
  return out;
}

std::vector<std::string> Concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

const std::vector<AggregateSpec>& Specs() {
  static const std::vector<AggregateSpec> specs = [] {
    const std::initializer_list<const char*> kComparable = {
        "INT", "BIGINT", "DOUBLE", "DECIMAL", "DATE", "TIME", "TIMESTAMP", "STRING", "BYTES"};
    std::vector<AggregateSpec> s;
    s.push_back({"ATTR", "ATTR",
                 "Returns the value of the column when all rows of the group agree on it, and NULL "
                 "when they hold different values; for columns expected to be unique per group.",
                 {"ATTR(val T) => T"}, ResolveAttr});
    s.push_back({"AVG", "avg",
                 "Average of the non-NULL values of a numeric column, as a DOUBLE (0.0 when there "
                 "are none).",
                 Each("AVG", {"INT", "BIGINT", "DOUBLE"}, "val", "DOUBLE"), ResolveAvg});
    s.push_back({"COLLECT_LIST", "collect_list",
                 "Array of every value of the column in the group, in arrival order, up to "
                 "ksql.functions.collect_list.limit entries.",
                 {"COLLECT_LIST(val T) => ARRAY<T>"}, ResolveCollectList});
    s.push_back({"COLLECT_SET", "collect_set",
                 "Array of the distinct values of the column in the group, in first-seen order, up "
                 "to ksql.functions.collect_set.limit entries. Streams only.",
                 {"COLLECT_SET(val T) => ARRAY<T>"}, ResolveCollectSet});
    s.push_back({"CORRELATION", "correlation",
                 "Pearson correlation coefficient of two numeric columns over the rows where both "
                 "are non-NULL; NaN with fewer than two such rows or a constant column.",
                 {"CORRELATION(x DOUBLE, y DOUBLE) => DOUBLE"}, ResolveCorrelation});
    s.push_back({"COUNT", "COUNT",
                 "COUNT(*) counts the rows of the group; COUNT(col) counts the rows where col is "
                 "not NULL.",
                 {"COUNT() => BIGINT", "COUNT(val T) => BIGINT"}, ResolveCount});
    s.push_back({"COUNT_DISTINCT", "COUNT_DISTINCT",
                 "Approximate number of distinct non-NULL values of the column (HyperLogLog, "
                 "typical error below 1%). Streams only.",
                 {"COUNT_DISTINCT(val T) => BIGINT"}, ResolveCountDistinct});
    s.push_back({"EARLIEST_BY_OFFSET", "EARLIEST_BY_OFFSET",
                 "The first value of the column by offset, or the first N values as an array; "
                 "NULL values are skipped unless ignoreNulls is false. Streams only.",
                 {"EARLIEST_BY_OFFSET(val T) => T",
                  "EARLIEST_BY_OFFSET(val T, ignoreNulls BOOLEAN) => T",
                  "EARLIEST_BY_OFFSET(val T, earliestN INT) => ARRAY<T>",
                  "EARLIEST_BY_OFFSET(val T, earliestN INT, ignoreNulls BOOLEAN) => ARRAY<T>"},
                 ResolveEarliestByOffset});
    s.push_back({"HISTOGRAM", "histogram",
                 "Map from each distinct string value of the column to the number of rows holding "
                 "it, for up to 1000 distinct values.",
                 {"HISTOGRAM(val STRING) => MAP<STRING, BIGINT>"}, ResolveHistogram});
    s.push_back({"LATEST_BY_OFFSET", "LATEST_BY_OFFSET",
                 "The last value of the column by offset, or the last N values as an array; NULL "
                 "values are skipped unless ignoreNulls is false. Streams only.",
                 {"LATEST_BY_OFFSET(val T) => T", "LATEST_BY_OFFSET(val T, ignoreNulls BOOLEAN) => T",
                  "LATEST_BY_OFFSET(val T, latestN INT) => ARRAY<T>",
                  "LATEST_BY_OFFSET(val T, latestN INT, ignoreNulls BOOLEAN) => ARRAY<T>"},
                 ResolveLatestByOffset});
    s.push_back({"MAX", "MAX",
                 "Largest non-NULL value of the column in the group. Streams only.",
                 Each("MAX", kComparable, "val", "$"), ResolveMax});
    s.push_back({"MIN", "MIN",
                 "Smallest non-NULL value of the column in the group. Streams only.",
                 Each("MIN", kComparable, "val", "$"), ResolveMin});
    s.push_back({"STDDEV_SAMP", "STDDEV_SAMP",
                 "Sample variance of the non-NULL values of a numeric column (the square of the "
                 "sample standard deviation, as ksqlDB computes it); 0.0 below two values.",
                 Each("STDDEV_SAMP", {"INT", "BIGINT", "DOUBLE"}, "val", "DOUBLE"), ResolveStddevSamp});
    s.push_back({"STDDEV_SAMPLE", "STDDEV_SAMPLE",
                 "Sample standard deviation of the non-NULL values of a numeric column; 0.0 below "
                 "two values.",
                 Each("STDDEV_SAMPLE", {"INT", "BIGINT", "DOUBLE"}, "val", "DOUBLE"),
                 ResolveStddevSample});
    s.push_back({"SUM", "sum",
                 "Sum of the non-NULL values of a numeric column, of the column's type (0 when "
                 "there are none); a DECIMAL sum that exceeds its precision fails the query.",
                 Each("SUM", {"INT", "BIGINT", "DOUBLE", "DECIMAL"}, "val", "$"), ResolveSum});
    s.push_back({"SUM_LIST", "sum_list",
                 "Sum of the non-NULL elements of every array of the column in the group.",
                 {"SUM_LIST(list ARRAY<INT>) => INT", "SUM_LIST(list ARRAY<BIGINT>) => BIGINT",
                  "SUM_LIST(list ARRAY<DOUBLE>) => DOUBLE"},
                 ResolveSumList});
    s.push_back({"TOPK", "TOPK",
                 "The k largest non-NULL values of the column, largest first; with extra columns, "
                 "structs of the sort value (sort_col) and those columns (col0, col1, ...). "
                 "Streams only.",
                 Concat(Each("TOPK", {"INT", "BIGINT", "DOUBLE", "STRING"}, "val", "ARRAY<$>"),
                        {"TOPK(val T, otherCols ANY..., k INT) => ARRAY<STRUCT<sort_col T, col0 ANY, ...>>"}),
                 ResolveTopK});
    // TOPK's per-type signatures take k as well.
    for (auto& sig : s.back().signatures)
      if (sig.find("otherCols") == std::string::npos) sig.replace(sig.find(')'), 1, ", k INT)");
    s.push_back({"TOPKDISTINCT", "TOPKDISTINCT",
                 "The k largest distinct non-NULL values of the column, largest first. Streams "
                 "only.",
                 Each("TOPKDISTINCT", kComparable, "val", "ARRAY<$>"), ResolveTopKDistinct});
    for (auto& sig : s.back().signatures) sig.replace(sig.find(')'), 1, ", k INT)");
    return s;
  }();
  return specs;
}

const AggregateSpec* FindSpec(const std::string& upper_name) {
  static const std::map<std::string, const AggregateSpec*> by_name = [] {
    std::map<std::string, const AggregateSpec*> m;
    for (const auto& s : Specs()) m.emplace(s.name, &s);
    return m;
  }();
  auto it = by_name.find(upper_name);
  return it == by_name.end() ? nullptr : it->second;
}

}  // namespace
}  // namespace agg

bool IsAggregateFunctionName(const std::string& upper_name) {
  return agg::FindSpec(upper_name) != nullptr;
}

Result<AggregateFunctionPtr> ResolveAggregate(const std::string& upper_name,
                                              const std::vector<TypePtr>& arg_types,
                                              const std::vector<std::optional<Value>>& literal_args,
                                              const AggregateConfig& config,
                                              const std::vector<std::string>& arg_texts) {
  const agg::AggregateSpec* spec = agg::FindSpec(upper_name);
  if (!spec) return Status::NotFound("Can't find any functions with the name '" + upper_name + "'");
  return spec->resolve(agg::Call{*spec, arg_types, literal_args, config, arg_texts});
}

Result<AggregateFunctionPtr> ResolveAggregate(const std::string& upper_name,
                                              const std::vector<TypePtr>& arg_types,
                                              const std::vector<std::optional<Value>>& literal_args) {
  return ResolveAggregate(upper_name, arg_types, literal_args, AggregateConfig{});
}

// Catalog entries: one overload per signature, each resolving through ResolveAggregate (with
// no literal values known) so that the registry can type a call without evaluating it. They
// carry no implementation: only the aggregate operators run them.
void RegisterAggregateFunctions(FunctionRegistry& r) {
  for (const auto& spec : agg::Specs()) {
    FunctionInfo info;
    info.name = spec.name;
    info.category = "AGGREGATE";
    info.description = spec.description;
    info.is_aggregate = true;
    for (const auto& sig : spec.signatures) {
      FunctionOverload o;
      o.signature = sig;
      o.min_args = 0;
      o.max_args = -1;
      const std::string name = spec.name;
      o.resolve = [name](const std::vector<TypePtr>& types) -> TypePtr {
        std::vector<std::optional<Value>> no_literals(types.size());
        auto f = ResolveAggregate(name, types, no_literals);
        return f.ok() ? (*f)->ReturnType() : nullptr;
      };
      info.overloads.push_back(std::move(o));
    }
    r.Add(std::move(info));
  }
}

}  // namespace sluice
