#pragma once
// The text a CREATE STREAM/TABLE is kept under when its columns came from the Schema
// Registry (ksqlDB's DefaultSchemaInjector rewrites the statement the same way): the columns
// written out and the ids of the schemas they were read from, so that the metastore's
// `statement` (DESCRIBE) and the command topic's replay give the same source even after a
// newer schema was registered under the topic's subjects.
#include <optional>
#include <string>

#include "engine/metastore/data_source.h"
#include "engine/parser/statement.h"

namespace sluice {

// `CREATE [OR REPLACE] [SOURCE] STREAM|TABLE [IF NOT EXISTS] `NAME` (`ID` INTEGER KEY,
// `NAME` STRING) WITH (<the statement's properties as written>, KEY_SCHEMA_ID=1,
// VALUE_SCHEMA_ID=2);` with every column of `source` in its order (keys, values, headers).
// A schema id the statement gave stays as it was; the others are added.
std::string CreateSourceTextWithColumns(const CreateSource& stmt, const DataSource& source,
                                        std::optional<int> key_schema_id,
                                        std::optional<int> value_schema_id);

// `name` between backticks, inner backticks doubled (the lexer's BACKQUOTED_IDENTIFIER).
std::string BackquotedIdentifier(const std::string& name);

}  // namespace sluice
