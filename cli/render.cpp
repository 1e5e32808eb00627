#include "cli/render.h"

#include <algorithm>

namespace sluice::cli {

using nlohmann::json;

namespace {

std::string Str(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) return "";
  return j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
}

std::string RightTrim(std::string s) {
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

// UTF-8 aware width (code points; good enough for a terminal table).
size_t Width(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::string Pad(const std::string& s, size_t width) {
  size_t w = Width(s);
  return w >= width ? s : s + std::string(width - w, ' ');
}

std::string OneLine(std::string s) {
  std::replace(s.begin(), s.end(), '\n', ' ');
  return s;
}

// "Label : value" lines of DESCRIBE/EXPLAIN, labels padded as ksqlDB pads them (20).
std::string Field(const std::string& label, const std::string& value) {
  return Pad(label, 20) + " : " + value + "\n";
}

std::string FieldsTable(const json& fields) {
  std::vector<std::vector<std::string>> rows;
  for (const json& f : fields) {
    std::string type = FormatSchema(f.value("schema", json::object()));
    std::string kind = Str(f, "type");
    if (kind == "KEY") type += "  (key)";
    else if (kind == "HEADER") type += "  (header)";
    rows.push_back({Str(f, "name"), type});
  }
  return Table({"Field", "Type"}, rows);
}

std::string QueryLines(const json& queries) {
  std::string out;
  for (const json& q : queries)
    out += Str(q, "id") + " (" + Str(q, "state") + ") : " + OneLine(Str(q, "queryString")) + "\n";
  return out;
}

std::string SourceDescription(const json& d) {
  std::string out;
  const bool extended = d.value("extended", false);
  out += Field("Name", Str(d, "name"));
  if (!extended) {
    out += FieldsTable(d.value("fields", json::array()));
    out += "For runtime statistics and query details run: DESCRIBE <Stream,Table> EXTENDED;\n";
    return out;
  }
  out += Field("Type", Str(d, "type"));
  std::string ts = Str(d, "timestamp");
  out += Field("Timestamp field", ts.empty() ? "Not set - using <ROWTIME>" : ts);
  out += Field("Key format", Str(d, "keyFormat"));
  out += Field("Value format", Str(d, "valueFormat"));
  out += Field("Kafka topic", Str(d, "topic") + " (partitions: " + Str(d, "partitions") +
                                  ", replication: " + Str(d, "replication") + ")");
  out += Field("Statement", Str(d, "statement"));
  if (!Str(d, "windowType").empty()) out += Field("Window type", Str(d, "windowType"));
  out += "\n" + FieldsTable(d.value("fields", json::array()));
  std::string type = Str(d, "type");
  for (const char* which : {"readQueries", "writeQueries"}) {
    const json& qs = d.value(which, json::array());
    std::string title = std::string("Queries that ") + (which[0] == 'r' ? "read from" : "write from") + " this " + type;
    out += "\n" + title + "\n" + std::string(title.size(), '-') + "\n" + QueryLines(qs);
  }
  out += "\nFor query topology and execution plan please run: EXPLAIN <QueryId>\n";
  std::string stats = Str(d, "statistics"), errors = Str(d, "errorStats");
  out += "\nRuntime statistics by host\n-------------------------\n";
  out += stats.empty() && errors.empty() ? "(no statistics)\n" : stats + "\n" + errors + "\n";
  return out;
}

std::string QueryDescription(const json& q) {
  std::string out;
  out += Field("ID", Str(q, "id"));
  out += Field("Query Type", Str(q, "queryType"));
  out += Field("SQL", Str(q, "statementText"));
  if (!Str(q, "state").empty()) out += Field("Status", Str(q, "state"));
  out += "\n" + FieldsTable(q.value("fields", json::array()));
  auto names = [](const json& list) {
    std::string s;
    for (const json& n : list) s += (s.empty() ? "" : ", ") + (n.is_string() ? n.get<std::string>() : n.dump());
    return s;
  };
  out += "\nSources that this query reads from: \n-----------------------------------\n" +
         names(q.value("sources", json::array())) + "\n";
  out += "\nSinks that this query writes to: \n-----------------------------------\n" +
         names(q.value("sinks", json::array())) + "\n";
  out += "\nExecution plan      \n--------------      \n" + Str(q, "executionPlan") + "\n";
  out += "\nProcessing topology \n------------------- \n" + Str(q, "topology") + "\n";
  return out;
}

std::string DescribeFunction(const json& f) {
  std::string out;
  out += "\n" + Pad("Name", 12) + ": " + Str(f, "name") + "\n";
  out += Pad("Author", 12) + ": " + Str(f, "author") + "\n";
  out += Pad("Overview", 12) + ": " + Str(f, "description") + "\n";
  out += Pad("Type", 12) + ": " + Str(f, "type") + "\n";
  out += Pad("Jar", 12) + ": " + Str(f, "path") + "\n";
  out += Pad("Variations", 12) + ": \n";
  for (const json& v : f.value("functions", json::array())) {
    std::string args;
    for (const json& a : v.value("arguments", json::array())) {
      if (!args.empty()) args += ", ";
      args += a.is_object() ? RightTrim(Str(a, "name") + " " + Str(a, "type")) : a.dump();
    }
    out += "\n\t" + Pad("Variation", 12) + ": " + Str(f, "name") + "(" + args + ")\n";
    out += "\t" + Pad("Returns", 12) + ": " + Str(v, "returnType") + "\n";
    if (!Str(v, "description").empty()) out += "\t" + Pad("Description", 12) + ": " + Str(v, "description") + "\n";
  }
  return out;
}

std::string Sources(const json& entity, const char* field, const char* title) {
  std::vector<std::vector<std::string>> rows;
  for (const json& s : entity.value(field, json::array()))
    rows.push_back({Str(s, "name"), Str(s, "topic"), Str(s, "keyFormat"), Str(s, "valueFormat"),
                    Str(s, "isWindowed")});
  return Table({std::string(title) + " Name", "Kafka Topic", "Key Format", "Value Format", "Windowed"}, rows);
}

}  // namespace

std::string Table(const std::vector<std::string>& headers, const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& h : headers) widths.push_back(Width(h));
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size() && i < widths.size(); ++i) widths[i] = std::max(widths[i], Width(r[i]));
  auto line = [&](const std::vector<std::string>& cells) {
    std::string s;
    for (size_t i = 0; i < widths.size(); ++i) {
      if (i) s += "|";
      s += " " + Pad(i < cells.size() ? cells[i] : "", widths[i]) + " ";
    }
    return RightTrim(s) + "\n";
  };
  size_t total = 0;
  for (size_t w : widths) total += w + 3;
  std::string rule = std::string(total > 0 ? total - 1 : 0, '-') + "\n";
  std::string out = line(headers) + rule;
  for (const auto& r : rows) out += line(r);
  return out + rule;
}

std::string FormatSchema(const json& schema) {
  std::string type = Str(schema, "type");
  if (type == "STRING") return "VARCHAR(STRING)";
  if (type == "ARRAY") return "ARRAY<" + FormatSchema(schema.value("memberSchema", json::object())) + ">";
  if (type == "MAP") return "MAP<STRING, " + FormatSchema(schema.value("memberSchema", json::object())) + ">";
  if (type == "STRUCT") {
    std::string out = "STRUCT<";
    bool first = true;
    for (const json& f : schema.value("fields", json::array())) {
      if (!first) out += ", ";
      first = false;
      out += Str(f, "name") + " " + FormatSchema(f.value("schema", json::object()));
    }
    return out + ">";
  }
  if (type == "DECIMAL" && schema.contains("parameters")) {
    const json& p = schema["parameters"];
    return "DECIMAL(" + Str(p, "precision") + ", " + Str(p, "scale") + ")";
  }
  return type;
}

std::string FormatValue(const json& value) {
  if (value.is_null()) return "<null>";
  if (value.is_string()) return value.get<std::string>();
  return value.dump();
}

std::string RenderEntity(const json& e) {
  const std::string type = Str(e, "@type");
  if (type == "currentStatus") {
    const json& status = e.value("commandStatus", json::object());
    return Table({"Message"}, {{OneLine(Str(status, "message"))}});
  }
  if (type == "streams") return Sources(e, "streams", "Stream");
  if (type == "tables") return Sources(e, "tables", "Table");
  if (type == "queries") {
    std::vector<std::vector<std::string>> rows;
    for (const json& q : e.value("queries", json::array())) {
      std::string status;
      const json counts = q.value("statusCount", json::object());  // items() must not outlive it
      for (auto& [state, count] : counts.items())
        status += (status.empty() ? "" : ",") + state + ":" + count.dump();
      auto join = [&](const char* key) {
        std::string s;
        for (const json& v : q.value(key, json::array())) s += (s.empty() ? "" : ",") + FormatValue(v);
        return s;
      };
      rows.push_back({Str(q, "id"), Str(q, "queryType"), status, join("sinks"), join("sinkKafkaTopics"),
                      OneLine(Str(q, "queryString"))});
    }
    return Table({"Query ID", "Query Type", "Status", "Sink Name", "Sink Kafka Topic", "Query String"}, rows) +
           "For detailed information on a Query run: EXPLAIN <Query ID>;\n";
  }
  if (type == "query_descriptions") {
    std::string out;
    for (const json& q : e.value("queryDescriptions", json::array())) out += QueryDescription(q) + "\n";
    return out;
  }
  if (type == "queryDescription") return QueryDescription(e.value("queryDescription", json::object()));
  if (type == "sourceDescription") return SourceDescription(e.value("sourceDescription", json::object()));
  if (type == "source_descriptions") {
    std::string out;
    for (const json& d : e.value("sourceDescriptions", json::array())) out += SourceDescription(d) + "\n";
    return out;
  }
  if (type == "properties") {
    std::vector<std::string> overwritten = e.value("overwrittenProperties", std::vector<std::string>{});
    std::vector<std::string> defaults = e.value("defaultProperties", std::vector<std::string>{});
    std::vector<std::vector<std::string>> rows;
    for (const json& p : e.value("properties", json::array())) {
      std::string name = Str(p, "name");
      std::string source = std::count(overwritten.begin(), overwritten.end(), name) ? "SESSION"
                           : std::count(defaults.begin(), defaults.end(), name)   ? ""
                                                                                  : "SERVER";
      rows.push_back({name, Str(p, "scope"), source, Str(p, "value")});
    }
    return Table({"Property", "Scope", "Default override", "Effective Value"}, rows);
  }
  if (type == "function_names") {
    std::vector<std::vector<std::string>> rows;
    for (const json& f : e.value("functions", json::array())) rows.push_back({Str(f, "name"), Str(f, "category")});
    return Table({"Function Name", "Category"}, rows) +
           "For detailed information on a function run: DESCRIBE FUNCTION <Function Name>;\n";
  }
  if (type == "describe_function") return DescribeFunction(e);
  if (type == "kafka_topics" || type == "kafka_topics_extended") {
    const bool extended = type == "kafka_topics_extended";
    std::vector<std::vector<std::string>> rows;
    for (const json& t : e.value("topics", json::array())) {
      const json& replicas = t.value("replicaInfo", json::array());
      std::string replica_text;
      for (const json& r : replicas) replica_text += (replica_text.empty() ? "" : " ") + r.dump();
      std::vector<std::string> row{Str(t, "name"), std::to_string(replicas.size()), replica_text};
      if (extended) {
        row.push_back(Str(t, "consumerCount"));
        row.push_back(Str(t, "consumerGroupCount"));
      }
      rows.push_back(row);
    }
    std::vector<std::string> headers{"Kafka Topic", "Partitions", "Partition Replicas"};
    if (extended) {
      headers.push_back("Consumers");
      headers.push_back("ConsumerGroups");
    }
    return Table(headers, rows);
  }
  if (type == "type_list") {
    std::vector<std::vector<std::string>> rows;
    const json types = e.value("types", json::object());
    for (auto& [name, schema] : types.items()) rows.push_back({name, FormatSchema(schema)});
    return Table({"Type Name", "Schema"}, rows);
  }
  if (type == "variables") {
    std::vector<std::vector<std::string>> rows;
    for (const json& v : e.value("variables", json::array())) rows.push_back({Str(v, "name"), Str(v, "value")});
    return Table({"Variable Name", "Value"}, rows);
  }
  if (type == "warning_entity" || type == "error_entity") return Str(e, "message") + "\n";
  return e.dump(2) + "\n";
}

std::string RenderError(int status, const std::string& body) {
  json j = json::parse(body, nullptr, false);
  if (!j.is_discarded() && j.is_object() && j.contains("message")) {
    std::string out = Str(j, "message");
    // The entities of the statements before the failing one (ksqlDB runs them).
    for (const json& e : j.value("entities", json::array())) out = RenderEntity(e) + out;
    return out + "\n";
  }
  return "Server responded with status " + std::to_string(status) + (body.empty() ? "" : ": " + body) + "\n";
}

std::vector<std::string> SchemaColumnNames(const std::string& schema) {
  std::vector<std::string> names;
  int depth = 0;
  bool in_quote = false, expect_name = true;
  std::string current;
  for (size_t i = 0; i < schema.size(); ++i) {
    char c = schema[i];
    if (in_quote) {
      if (c == '`' && i + 1 < schema.size() && schema[i + 1] == '`') {
        current += '`';
        ++i;
      } else if (c == '`') {
        in_quote = false;
        if (expect_name && depth == 0) {
          names.push_back(current);
          expect_name = false;
        }
        current.clear();
      } else {
        current += c;
      }
      continue;
    }
    if (c == '`') in_quote = true;
    else if (c == '<' || c == '(') ++depth;
    else if (c == '>' || c == ')') --depth;
    else if (c == ',' && depth == 0) expect_name = true;
    else if (expect_name && depth == 0 && c != ' ') {
      // An unquoted name: up to the next space.
      size_t end = schema.find(' ', i);
      names.push_back(schema.substr(i, end == std::string::npos ? std::string::npos : end - i));
      expect_name = false;
      if (end == std::string::npos) break;
      i = end;
    }
  }
  return names;
}

QueryTable::QueryTable(std::vector<std::string> columns, int terminal_width) : columns_(std::move(columns)) {
  const size_t n = std::max<size_t>(1, columns_.size());
  const int usable = std::max(20, terminal_width) - static_cast<int>(n) - 1;
  const size_t share = std::max<size_t>(4, static_cast<size_t>(usable) / n);
  for (const auto& c : columns_) widths_.push_back(std::max(share, Width(c)));
}

std::string QueryTable::Rule() const {
  std::string s = "+";
  for (size_t w : widths_) s += std::string(w, '-') + "+";
  return s + "\n";
}

// One row, wrapped: each cell cut into pieces of its column's width, printed side by side.
std::string QueryTable::Line(const std::vector<std::string>& cells) const {
  std::vector<std::vector<std::string>> pieces(widths_.size());
  size_t lines = 1;
  for (size_t i = 0; i < widths_.size(); ++i) {
    std::string cell = i < cells.size() ? OneLine(cells[i]) : "";
    std::string current;
    size_t w = 0;
    for (size_t b = 0; b < cell.size(); ++b) {
      unsigned char c = cell[b];
      if ((c & 0xC0) != 0x80 && w == widths_[i]) {
        pieces[i].push_back(current);
        current.clear();
        w = 0;
      }
      current += cell[b];
      w += (c & 0xC0) != 0x80;
    }
    pieces[i].push_back(current);
    lines = std::max(lines, pieces[i].size());
  }
  std::string out;
  for (size_t l = 0; l < lines; ++l) {
    out += "|";
    for (size_t i = 0; i < widths_.size(); ++i) out += Pad(l < pieces[i].size() ? pieces[i][l] : "", widths_[i]) + "|";
    out += "\n";
  }
  return out;
}

std::string QueryTable::Header() const { return Rule() + Line(columns_) + Rule(); }
std::string QueryTable::Row(const std::vector<std::string>& cells) const { return Line(cells); }
std::string QueryTable::Footer() const { return Rule(); }

std::vector<std::string> JsonArrayStream::Feed(const std::string& bytes) {
  std::vector<std::string> done;
  for (char c : bytes) {
    if (depth_ >= 2 || (depth_ == 1 && (c == '{' || c == '['))) current_ += c;
    if (in_string_) {
      if (escape_) escape_ = false;
      else if (c == '\\') escape_ = true;
      else if (c == '"') in_string_ = false;
      continue;
    }
    if (c == '"') {
      in_string_ = true;
      continue;
    }
    if (c == '[' || c == '{') {
      if (depth_ == 0 && c == '[') saw_array_ = true;
      ++depth_;
    } else if (c == ']' || c == '}') {
      --depth_;
      if (depth_ == 1) {
        done.push_back(std::move(current_));
        current_.clear();
      }
      if (depth_ < 0) depth_ = 0;
    }
  }
  return done;
}

}  // namespace sluice::cli
