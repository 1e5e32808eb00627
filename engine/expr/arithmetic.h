#pragma once
// Binary arithmetic, unary minus and comparison typing with ksqlDB's rules.
//
// Result types:
//   INTEGER op INTEGER -> INTEGER; with BIGINT -> BIGINT; with DOUBLE -> DOUBLE;
//   with DECIMAL the integer operand counts as DECIMAL(10, 0) (INTEGER) or DECIMAL(19, 0)
//   (BIGINT) and the result is a DECIMAL:
//     + -  p = max(s1, s2) + max(p1 - s1, p2 - s2) + 1,  s = max(s1, s2)
//     *    p = p1 + p2 + 1,                               s = s1 + s2
//     /    p = p1 - s1 + s2 + max(6, s1 + p2 + 1),        s = max(6, s1 + p2 + 1)
//     %    p = min(p1 - s1, p2 - s2) + max(s1, s2),       s = max(s1, s2)
//   precision capped at 38 (scale then at most the precision). DECIMAL with DOUBLE -> DOUBLE.
//   STRING + STRING -> STRING (concatenation). Anything else: "Unsupported arithmetic types.
//   BOOLEAN INTEGER". A NULL literal operand (nullptr) takes the other operand's type.
// Evaluation: NULL in -> NULL. INTEGER/BIGINT wrap on overflow like Java; integer division
// and modulus by zero give NULL with *error "/ by zero"; DOUBLE follows IEEE (x/0 = Infinity,
// % is fmod); DECIMAL results are rounded HALF_UP to the result scale and give NULL with an
// error if they do not fit the result precision (or on division by zero).
#include <string>

#include "engine/common/status.h"
#include "engine/types/sql_type.h"
#include "engine/types/value.h"

namespace sluice {

enum class ArithOp { kAdd, kSubtract, kMultiply, kDivide, kModulus };
const char* ArithOpSymbol(ArithOp op);  // "+", "-", "*", "/", "%"

Result<TypePtr> ArithmeticResultType(ArithOp op, const TypePtr& left, const TypePtr& right);
// `result_type` is what ArithmeticResultType returned; operands may be of narrower kinds
// (e.g. INTEGER with a DECIMAL result) and are widened here.
Value EvalArithmetic(ArithOp op, const Value& l, const Value& r, const SqlType& result_type,
                     std::string* error);
// Unary minus: INTEGER/BIGINT wrap (-MIN = MIN), DOUBLE, DECIMAL; NULL -> NULL.
Value Negate(const Value& v, std::string* error);

enum class CompareOp { kEq, kNe, kLt, kLe, kGt, kGe, kIsDistinctFrom, kIsNotDistinctFrom };
// ksqlDB's names: EQUAL, NOT_EQUAL, LESS_THAN, LESS_THAN_OR_EQUAL, GREATER_THAN,
// GREATER_THAN_OR_EQUAL, IS_DISTINCT_FROM, IS_NOT_DISTINCT_FROM.
const char* CompareOpName(CompareOp op);

// Validates a comparison and returns the type both operands are converted to (CastValue)
// before CompareValues():
//   numbers with numbers (the common numeric type), STRING with STRING, BOOLEAN with BOOLEAN,
//   BYTES with BYTES, TIMESTAMP with TIMESTAMP or DATE (-> TIMESTAMP), DATE with DATE,
//   TIME with TIME, and TIMESTAMP/DATE/TIME with STRING (the string is parsed as that type);
//   ARRAY, MAP and STRUCT only with =, <>, IS [NOT] DISTINCT FROM and a compatible type.
// A NULL literal (nullptr) compares with anything: the other type (nullptr if both NULL).
// Error: "Cannot compare B (ARRAY<INTEGER>) to C (ARRAY<INTEGER>) with LESS_THAN."
// left_text/right_text are the operands' SQL text, for the message.
Result<TypePtr> ComparisonOperandType(const TypePtr& left, const TypePtr& right,
                                      CompareOp op = CompareOp::kEq,
                                      const std::string& left_text = "",
                                      const std::string& right_text = "");

}  // namespace sluice
