#pragma once
// ksqlDB lets a WHERE clause compare ROWTIME with a timestamp written as a string:
//   WHERE ROWTIME > '2018-01-01T00:00:00.001'   or even   ROWTIME >= '2018'
// The string (a prefix of yyyy-MM-dd'T'HH:mm:ss.SSS, optionally with a zone offset or Z,
// UTC otherwise) is turned into epoch milliseconds once, at analysis time.
#include "engine/common/status.h"
#include "engine/parser/expression.h"

namespace sluice {

// Returns the expression with such comparisons (=, <>, <, <=, >, >=, BETWEEN) rewritten,
// under AND/OR/NOT; an unparsable string is an error naming it.
Result<ExprPtr> RewriteRowtimeStringComparisons(const ExprPtr& expr);

// Parses the partial timestamp; false if malformed.
bool ParsePartialTimestamp(const std::string& text, int64_t* epoch_millis);

}  // namespace sluice
