#pragma once
// How the CLI prints what the server answers, as ksqlDB's CLI prints it: listings and
// descriptions as tables sized to their content, statement results as their message, errors
// as their message, query rows in a bordered table; or the JSON itself (OUTPUT JSON).
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sluice::cli {

// A listing table: ` Header | Header`, a rule of dashes, the rows, a closing rule. Columns
// are as wide as their widest cell.
std::string Table(const std::vector<std::string>& headers, const std::vector<std::vector<std::string>>& rows);

// One entity of a POST /ksql answer (by its "@type"), tabular. Unknown entities print as
// indented JSON, so nothing the server says is lost.
std::string RenderEntity(const nlohmann::json& entity);

// An error body ({"@type": "statement_error"|"generic_error", "message", ...}) or whatever
// the server sent with a non-200 status.
std::string RenderError(int status, const std::string& body);

// ksqlDB's type text for a SchemaInfo ({"type": "STRING"} -> "VARCHAR(STRING)",
// ARRAY<..>, MAP<STRING, ..>, STRUCT<`A` INTEGER, ..>, DECIMAL(p, s)).
std::string FormatSchema(const nlohmann::json& schema);

// A value of a query row as the CLI shows it: strings bare, null as <null>, the rest as JSON.
std::string FormatValue(const nlohmann::json& value);

// The column names of a /query header's schema text ("`ID` STRING KEY, `V` MAP<STRING, INT>").
std::vector<std::string> SchemaColumnNames(const std::string& schema);

// Rows of a query printed as they arrive: the column width is fixed up front (rows are not
// known yet), from the terminal width shared among the columns but never narrower than a
// header; longer values wrap onto more lines inside their cell.
class QueryTable {
 public:
  QueryTable(std::vector<std::string> columns, int terminal_width);
  std::string Header() const;
  std::string Row(const std::vector<std::string>& cells) const;
  std::string Footer() const;

 private:
  std::string Rule() const;
  std::string Line(const std::vector<std::string>& cells) const;
  std::vector<std::string> columns_;
  std::vector<size_t> widths_;
};

// Splits a stream of a JSON array (`[{...},\n{...}]`, as /query streams it) into its
// top-level elements as they complete, whatever the chunk boundaries.
class JsonArrayStream {
 public:
  // Feeds bytes; returns the elements completed by them.
  std::vector<std::string> Feed(const std::string& bytes);
  bool saw_array() const { return saw_array_; }

 private:
  int depth_ = 0;
  bool in_string_ = false, escape_ = false, saw_array_ = false;
  std::string current_;
};

}  // namespace sluice::cli
