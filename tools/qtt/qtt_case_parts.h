#pragma once
// The parts of a conformance case run that the query-validation runner (qtt_runner.cpp) and
// the REST runner (rest_case_runner.cpp) share: results, JSON comparison, encoding inputs with
// the formats of the case's sources, comparing expected outputs, expected errors.
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/common/status.h"
#include "tools/qtt/qtt_runner.h"

namespace sluice::qtt {

CaseResult Pass();
CaseResult Fail(std::string reason, std::string detail = "");
CaseResult Skip(std::string reason);

// One line, bounded: reasons go on the PASS/FAIL/SKIP line.
std::string OneLine(const std::string& s, size_t max = 400);
std::string Dump(const nlohmann::json& j);
// JSON equality with numbers compared by value (1 == 1.0).
bool JsonEqual(const nlohmann::json& a, const nlohmann::json& b);
// Runs of whitespace as one space, trimmed.
std::string NormalizeSpace(const std::string& s);
// The case's `properties` as strings.
std::map<std::string, std::string> Properties(const nlohmann::json& spec);

// Registers the case's topics[].keySchema/valueSchema in `target`'s registry (NotSupported when
// it has none, or cannot take a given id or references).
Status RegisterTopicSchemas(CaseTarget& target, const nlohmann::json& spec);

// One of the case's inputs (as written) as a record, encoded with the formats of the source
// registered on its topic in `driver`'s metastore.
Result<KafkaRecord> EncodeInput(const CaseTarget& driver, const nlohmann::ordered_json& exact);
// The case's expected outputs against `driver`'s topics: PASS or FAIL with what differs.
CaseResult CompareOutputs(CaseTarget& driver, const nlohmann::json& spec);

// An expected error as ksqlDB's test framework checks it: the exception's class and a
// message that must occur in the actual one (case-sensitive, whitespace normalised).
struct ExpectedError {
  std::string type;           // simple class name, e.g. "KsqlStatementException" ("" = any)
  std::string message;        // "" = any message
  std::string cause_message;  // "causeMessage": our errors carry the cause in the same text

  static ExpectedError FromSpec(const nlohmann::json& spec) {
    const nlohmann::json e = spec.contains("expectedException") ? spec["expectedException"]
                   : spec.contains("expectedError")   ? spec["expectedError"]
                                                      : nlohmann::json(nullptr);
    ExpectedError out;
    if (!e.is_object()) return out;
    out.type = e.value("type", "");
    const size_t dot = out.type.rfind('.');
    if (dot != std::string::npos) out.type = out.type.substr(dot + 1);
    if (e.contains("message") && e["message"].is_string()) out.message = e["message"].get<std::string>();
    if (e.contains("causeMessage") && e["causeMessage"].is_string())
      out.cause_message = e["causeMessage"].get<std::string>();
    return out;
  }

  // Kafka Streams' exceptions come from processing records (our inputs); ksqlDB's own
  // (KsqlException, KsqlStatementException, ParseFailedException) from the statements.
  bool FromProcessing() const { return type == "StreamsException"; }

  std::string Text() const {
    std::string t = type + (type.empty() || message.empty() ? "" : ": ") + message;
    if (!cause_message.empty()) t += " (cause: " + cause_message + ")";
    return t;
  }

  // "" when `actual`, raised while running a statement (or producing an input when
  // !from_statement), is this error; else why not.
  std::string Mismatch(const Status& actual, bool from_statement) const {
    if (!type.empty() && FromProcessing() == from_statement)
      return std::string("expected ") + type + " (an error " +
             (FromProcessing() ? "processing an input" : "in a statement") + "), got an error " +
             (from_statement ? "in a statement" : "processing an input");
    // ParseFailedException is ksqlDB's error for statements it cannot parse or prepare
    // (a subclass of KsqlStatementException, so the others accept it too).
    if (type == "ParseFailedException" && actual.code() != Status::Code::kSyntaxError)
      return "expected a syntax error (ParseFailedException), got another kind of error";
    const std::string got = NormalizeSpace(actual.message());
    for (const std::string* want : {&message, &cause_message})
      if (!want->empty() && got.find(NormalizeSpace(*want)) == std::string::npos)
        return "message does not contain the expected text";
    return "";
  }
};

}  // namespace sluice::qtt
