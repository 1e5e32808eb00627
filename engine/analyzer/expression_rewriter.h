#pragma once
// Structural rewriting of expression trees, for the analyzer's substitutions: aggregate calls
// become references to the aggregation's result columns, GROUP BY expressions references to
// the key columns, join columns references to one side. The original tree is never modified;
// unchanged subtrees are shared.
#include <functional>

#include "engine/parser/expression.h"

namespace sluice {

// `replace` is asked about every node, parents before children; a non-null answer replaces
// that node (its children are not visited). Lambda bodies are visited too.
using ExprReplacer = std::function<ExprPtr(const ExprPtr&)>;
ExprPtr RewriteExpression(const ExprPtr& expr, const ExprReplacer& replace);

// Calls `fn` on every node (parents before children, lambda bodies included).
void VisitExpression(const ExprPtr& expr, const std::function<void(const ExprPtr&)>& fn);

}  // namespace sluice
