#include "engine/executor/pull/pull_cache.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <functional>
#include <limits>
#include <unordered_map>

#include "engine/analyzer/expression_rewriter.h"

namespace sluice {

namespace {

bool IsIdentifierChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '@' || c == '$' || c == ':';
}

// The end of a quoted token starting at `i` (a doubled quote is an escaped one), or npos.
size_t QuotedEnd(const std::string& s, size_t i) {
  const char quote = s[i];
  for (size_t j = i + 1; j < s.size(); ++j) {
    if (s[j] != quote) continue;
    if (j + 1 < s.size() && s[j + 1] == quote) {
      ++j;
      continue;
    }
    return j + 1;
  }
  return std::string::npos;
}

std::string UnescapeString(const std::string& quoted) {
  std::string out;
  for (size_t i = 1; i + 1 < quoted.size(); ++i) {
    out += quoted[i];
    if (quoted[i] == '\'' && quoted[i + 1] == '\'') ++i;
  }
  return out;
}

// Where ANTLR (and so the parser) puts a token at byte `offset`: lines from the statement's
// origin, columns 1-based, the first line shifted by the origin's column (ASCII only).
SourcePos PositionOf(const std::string& text, size_t offset, const SourcePos& origin) {
  int line = 1;
  size_t line_start = 0;
  for (size_t i = 0; i < offset; ++i)
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  SourcePos p;
  p.line = line + origin.line - 1;
  p.column = static_cast<int>(offset - line_start) + 1 + (line == 1 ? origin.column - 1 : 0);
  return p;
}

// Whether the parser's node is exactly what it makes of the token.
bool NodeMatches(const LiteralExpr& node, const LiteralToken& token) {
  switch (token.kind) {
    case LiteralToken::Kind::kString:
      return node.literal_kind == LiteralExpr::Kind::kString && node.value.IsString() &&
             node.value.AsString() == token.value.AsString();
    case LiteralToken::Kind::kInteger:
      return node.literal_kind == LiteralExpr::Kind::kInteger && node.value == token.value;
    case LiteralToken::Kind::kBigint:
      return node.literal_kind == LiteralExpr::Kind::kBigint && node.value == token.value;
  }
  return false;
}

std::shared_ptr<LiteralExpr> NodeFor(const LiteralToken& token, const SourcePos& pos) {
  auto e = std::make_shared<LiteralExpr>();
  e->pos = pos;
  e->value = token.value;
  switch (token.kind) {
    case LiteralToken::Kind::kString:
      e->literal_kind = LiteralExpr::Kind::kString;
      e->text = token.value.AsString();
      break;
    case LiteralToken::Kind::kInteger:
      e->literal_kind = LiteralExpr::Kind::kInteger;
      e->text = token.raw;
      break;
    case LiteralToken::Kind::kBigint:
      e->literal_kind = LiteralExpr::Kind::kBigint;
      e->text = token.raw;
      break;
  }
  return e;
}

// Every expression of a pull query (the analysis refuses the clauses not visited here).
void VisitQueryExpressions(const Query& q, const std::function<void(const ExprPtr&)>& fn) {
  for (const auto& item : q.select)
    if (item.expression) VisitExpression(item.expression, fn);
  if (q.where) VisitExpression(q.where, fn);
}

bool CacheableShape(const Query& q) {
  return q.joins.empty() && !q.window && !q.has_group_by && !q.has_partition_by && !q.having &&
         q.emit == EmitKind::kNone;
}

}  // namespace

std::optional<PullTemplateText> NormalizePullStatement(const RawStatement& raw) {
  const std::string& s = raw.text;
  if (s.find("--") != std::string::npos || s.find("/*") != std::string::npos || s.find("${") != std::string::npos)
    return std::nullopt;
  for (char c : s)
    if (c <= 0) return std::nullopt;  // NUL or non-ASCII: columns would count differently
  const SourcePos origin = raw.pos.line == 0 ? SourcePos{1, 1} : raw.pos;
  PullTemplateText out;
  out.key.reserve(s.size() + 16);
  out.key += std::to_string(origin.line) + ":" + std::to_string(origin.column) + "|";
  size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c == '\'' || c == '`' || c == '"') {
      const size_t end = QuotedEnd(s, i);
      if (end == std::string::npos) return std::nullopt;
      if (c != '\'') {  // a quoted identifier: part of the key
        out.key.append(s, i, end - i);
        i = end;
        continue;
      }
      LiteralToken t;
      t.kind = LiteralToken::Kind::kString;
      t.raw = s.substr(i, end - i);
      t.value = Value(UnescapeString(t.raw));
      t.pos = PositionOf(s, i, origin);
      out.key += "\x01s";
      out.literals.push_back(std::move(t));
      i = end;
      continue;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || (c == '.' && i + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1])))) {
      size_t end = i;
      bool digits_only = true;
      while (end < s.size() && (IsIdentifierChar(s[end]) || s[end] == '.')) {
        digits_only = digits_only && std::isdigit(static_cast<unsigned char>(s[end]));
        ++end;
      }
      const std::string token = s.substr(i, end - i);
      errno = 0;
      const long long v = digits_only ? std::strtoll(token.c_str(), nullptr, 10) : 0;
      if (!digits_only || errno == ERANGE) {  // decimals, doubles, overflow: part of the key
        out.key += token;
        i = end;
        continue;
      }
      LiteralToken t;
      const bool is_int = v <= std::numeric_limits<int32_t>::max();
      t.kind = is_int ? LiteralToken::Kind::kInteger : LiteralToken::Kind::kBigint;
      t.raw = token;
      t.value = is_int ? Value(static_cast<int32_t>(v)) : Value(static_cast<int64_t>(v));
      t.pos = PositionOf(s, i, origin);
      out.key += is_int ? "\x01i" : "\x01l";
      out.literals.push_back(std::move(t));
      i = end;
      continue;
    }
    if (IsIdentifierChar(c)) {  // identifiers and keywords (digits after letters included)
      size_t end = i;
      while (end < s.size() && IsIdentifierChar(s[end])) ++end;
      out.key.append(s, i, end - i);
      i = end;
      continue;
    }
    out.key += c;
    ++i;
  }
  return out;
}

std::string PullPlanCache::PropertiesKey(const std::map<std::string, std::string>& properties) {
  std::string key;
  for (const auto& [k, v] : properties) {
    key += k;
    key += '\0';
    key += v;
    key += '\0';
  }
  return key;
}

std::shared_ptr<const Query> PullPlanCache::Bind(const RawStatement& raw, const std::string& properties_key) {
  auto text = NormalizePullStatement(raw);
  if (!text) return nullptr;
  auto it = entries_.find(text->key + '\x02' + properties_key);
  if (it == entries_.end()) {
    ++misses_;
    return nullptr;
  }
  const Entry& entry = it->second;
  std::unordered_map<const Expression*, ExprPtr> replacements;
  for (size_t i = 0; i < entry.slots.size(); ++i) {
    const Slot& slot = entry.slots[i];
    const LiteralToken& token = text->literals[i];
    if (slot.raw == token.raw) continue;
    if (slot.nodes.empty()) {  // not a node of its own: only the same text may share the entry
      ++misses_;
      return nullptr;
    }
    for (const Expression* node : slot.nodes) replacements[node] = NodeFor(token, node->pos);
  }
  ++hits_;
  if (replacements.empty()) return entry.query;
  auto query = std::make_shared<Query>(*entry.query);
  const ExprReplacer replace = [&](const ExprPtr& e) -> ExprPtr {
    if (e->kind != ExprKind::kLiteral) return nullptr;
    auto r = replacements.find(e.get());
    return r == replacements.end() ? nullptr : r->second;
  };
  for (auto& item : query->select)
    if (item.expression) item.expression = RewriteExpression(item.expression, replace);
  if (query->where) query->where = RewriteExpression(query->where, replace);
  return query;
}

void PullPlanCache::Remember(const RawStatement& raw, const std::string& properties_key,
                             std::shared_ptr<const Query> query) {
  if (!query || !CacheableShape(*query)) return;
  auto text = NormalizePullStatement(raw);
  if (!text) return;
  if (entries_.size() >= kMaxEntries) entries_.clear();  // many shapes: start over
  Entry entry;
  entry.query = std::move(query);
  // Literal nodes by position; a position with a node the token does not explain is unusable.
  std::map<std::pair<int, int>, std::vector<const LiteralExpr*>> by_pos;
  VisitQueryExpressions(*entry.query, [&](const ExprPtr& e) {
    if (e->kind == ExprKind::kLiteral)
      by_pos[{e->pos.line, e->pos.column}].push_back(static_cast<const LiteralExpr*>(e.get()));
  });
  for (const LiteralToken& token : text->literals) {
    Slot slot;
    slot.raw = token.raw;
    auto found = by_pos.find({token.pos.line, token.pos.column});
    if (found != by_pos.end()) {
      bool all_match = true;
      for (const LiteralExpr* node : found->second) all_match = all_match && NodeMatches(*node, token);
      if (all_match)
        for (const LiteralExpr* node : found->second) slot.nodes.push_back(node);
    }
    entry.slots.push_back(std::move(slot));
  }
  entries_[text->key + '\x02' + properties_key] = std::move(entry);
}

void PullPlanCache::Clear() { entries_.clear(); }

}  // namespace sluice
