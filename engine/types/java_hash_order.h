#pragma once
// The iteration order of a java.util.HashMap built with `new HashMap<>(n)` and filled in
// order. ksqlDB's JSON deserializer builds MAP values that way, so everything that walks a
// map read from JSON (REDUCE, MAP_KEYS, CAST to STRING, TO_JSON_STRING...) sees this order;
// Sluice reproduces it to give the same answers.
#include "engine/types/value.h"

namespace sluice {

// Java's String.hashCode over UTF-16 code units of the UTF-8 text.
int32_t JavaStringHash(const std::string& utf8);

// Reorders string-keyed entries as HashMap iteration would (bucket by spread hash in the
// final table, insertion order within a bucket). A repeated key keeps its first position and
// its last value, as put() does. Maps with non-STRING keys are left in insertion order.
void OrderLikeJavaHashMap(MapValue* entries);
// The same for `new HashMap<>()` (a table of 16 to start with), as ksqlDB's Avro translator
// builds MAP values.
void OrderLikeDefaultJavaHashMap(MapValue* entries);

}  // namespace sluice
