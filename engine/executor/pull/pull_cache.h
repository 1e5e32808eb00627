#pragma once
// The pull-query plan cache: a pull query that differs from an earlier one only in its
// literals (`SELECT * FROM T WHERE ID='k1';` then `... ID='k2';`) skips the parser (ANTLR is
// most of a key lookup's CPU). The statement text is cut into tokens by a small scanner; string
// and integer literals become placeholders, and the text with placeholders (plus the
// statement's position, which error messages carry, and the request's properties) is the
// cache key. The entry is the parsed Query of the first statement seen with that key, plus,
// for each literal token, the LiteralExpr nodes the parser made of it (found by position and
// checked by kind and value). A lookup copies the Query with new LiteralExpr nodes for the
// literals written this time; the analysis (AnalyzePullQuery) then runs as usual, so literal
// types are checked and the source is looked up in the current metastore. A literal token the
// parser did not turn into one node of its own (`-5` folds into the minus sign, LIMIT 10 is no
// expression) must be written identically for a hit.
//
// Not thread-safe: the engine calls it under the engine lock. The engine clears it on every
// executed statement (DDL, DROP, TERMINATE, SET, ...).
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/parser/parser.h"
#include "engine/parser/statement.h"

namespace sluice {

// A literal token as the scanner found it.
struct LiteralToken {
  enum class Kind { kString, kInteger, kBigint };
  Kind kind = Kind::kString;
  std::string raw;  // as written, quotes included
  Value value;      // what the parser makes of it (unescaped string, INT or BIGINT)
  SourcePos pos;    // where the parser reports it (the statement's origin applied)
};

// The statement's text with every string and integer literal replaced by a placeholder, and
// those literals in text order; nullopt when the text is not simple enough to cache (non-ASCII,
// comments, ${variables}, an unterminated quote).
struct PullTemplateText {
  std::string key;
  std::vector<LiteralToken> literals;
};
std::optional<PullTemplateText> NormalizePullStatement(const RawStatement& raw);

class PullPlanCache {
 public:
  static constexpr size_t kMaxEntries = 1024;

  // The Query of `raw` built from a cached one with raw's literals, or null when none is cached
  // (or a literal the cached Query cannot take differs). `properties_key`: the request's
  // properties that may change the plan (PropertiesKey).
  std::shared_ptr<const Query> Bind(const RawStatement& raw, const std::string& properties_key);
  // After `raw` parsed into `query` and was analyzed successfully.
  void Remember(const RawStatement& raw, const std::string& properties_key, std::shared_ptr<const Query> query);
  void Clear();

  size_t size() const { return entries_.size(); }
  uint64_t hits() const { return hits_; }
  uint64_t misses() const { return misses_; }

  static std::string PropertiesKey(const std::map<std::string, std::string>& properties);

 private:
  struct Slot {
    std::string raw;                  // the literal as the cached statement wrote it
    std::vector<const Expression*> nodes;  // its LiteralExpr nodes; empty: must be written as `raw`
  };
  struct Entry {
    std::shared_ptr<const Query> query;
    std::vector<Slot> slots;  // one per literal token
  };
  std::map<std::string, Entry> entries_;
  uint64_t hits_ = 0, misses_ = 0;
};

}  // namespace sluice
