#include "engine/analyzer/source_statement_text.h"

namespace sluice {

namespace {

std::string QuotedStringLiteral(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    out.push_back(c);
    if (c == '\'') out.push_back('\'');
  }
  return out + "'";
}

// A property value as the parser reads it back: strings quoted, the rest as plain literals.
std::string PropertyValueText(const LiteralExpr& literal) {
  const Value& v = literal.value;
  if (v.IsNull()) return "NULL";
  if (v.IsString()) return QuotedStringLiteral(v.AsString());
  if (v.IsBool()) return v.AsBool() ? "true" : "false";
  return v.ToString();
}

// SqlType::ToSqlString, with struct field names quoted as identifiers (a field named with a
// backtick must read back as that name).
std::string TypeText(const SqlType& t) {
  switch (t.kind) {
    case TypeKind::kArray: return "ARRAY<" + TypeText(*t.element) + ">";
    case TypeKind::kMap: return "MAP<" + TypeText(*t.key) + ", " + TypeText(*t.value) + ">";
    case TypeKind::kStruct: {
      std::string out = "STRUCT<";
      for (size_t i = 0; i < t.fields.size(); ++i) {
        if (i) out += ", ";
        out += BackquotedIdentifier(t.fields[i].name) + " " + TypeText(*t.fields[i].type);
      }
      return out + ">";
    }
    default: return t.ToSqlString();
  }
}

std::string ColumnText(const SourceColumn& column, SourceKind kind) {
  std::string out = BackquotedIdentifier(column.name) + " " + TypeText(*column.type);
  switch (column.ns) {
    case ColumnNamespace::kKey: return out + (kind == SourceKind::kTable ? " PRIMARY KEY" : " KEY");
    case ColumnNamespace::kHeaders: return out + " HEADERS";
    case ColumnNamespace::kHeader: return out + " HEADER(" + QuotedStringLiteral(column.header_key) + ")";
    case ColumnNamespace::kValue: return out;
  }
  return out;
}

std::string WithClauseText(const Properties& properties, std::optional<int> key_schema_id,
                           std::optional<int> value_schema_id) {
  std::string out;
  auto add = [&out](const std::string& name, const std::string& value) {
    if (!out.empty()) out += ", ";
    out += name + "=" + value;
  };
  for (const Property& p : properties) add(p.name, p.value ? PropertyValueText(*p.value) : "NULL");
  if (key_schema_id && !FindProperty(properties, "KEY_SCHEMA_ID"))
    add("KEY_SCHEMA_ID", std::to_string(*key_schema_id));
  if (value_schema_id && !FindProperty(properties, "VALUE_SCHEMA_ID"))
    add("VALUE_SCHEMA_ID", std::to_string(*value_schema_id));
  return out;
}

}  // namespace

std::string BackquotedIdentifier(const std::string& name) {
  std::string out = "`";
  for (char c : name) {
    out.push_back(c);
    if (c == '`') out.push_back('`');
  }
  return out + "`";
}

std::string CreateSourceTextWithColumns(const CreateSource& stmt, const DataSource& source,
                                        std::optional<int> key_schema_id,
                                        std::optional<int> value_schema_id) {
  std::string out = "CREATE ";
  if (stmt.or_replace) out += "OR REPLACE ";
  if (stmt.is_source) out += "SOURCE ";
  out += stmt.source_kind == SourceKind::kTable ? "TABLE " : "STREAM ";
  if (stmt.if_not_exists) out += "IF NOT EXISTS ";
  out += BackquotedIdentifier(source.name) + " (";
  for (size_t i = 0; i < source.columns.size(); ++i) {
    if (i) out += ", ";
    out += ColumnText(source.columns[i], source.kind);
  }
  out += ") WITH (" + WithClauseText(stmt.properties, key_schema_id, value_schema_id) + ");";
  return out;
}

}  // namespace sluice
