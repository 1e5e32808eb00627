#pragma once
// What one PRINT writes, poll by poll (ksqlDB's TopicStreamWriter without the I/O): the records
// of each poll are formatted (record_formatter.h), every INTERVAL-th is kept until LIMIT, and
// the "Key format: " / "Value format: " lines come first whenever the candidate formats
// changed (so at the start, and again when a record narrows them). A poll that brought nothing
// gives one empty line, ksqlDB's keep-alive (its CLI skips empty lines).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/print/record_formatter.h"

namespace sluice::print {

// What besides the records is written. ksqlDB's websocket PRINT (PrintPublisher) sends the
// record lines only.
struct PrintStyle {
  bool format_lines = true;     // "Key format: ..." / "Value format: ..."
  bool keep_alive_lines = true;  // "" for a poll that brought nothing
};

class TopicPrinter {
 public:
  // `interval` >= 1 (checked by the caller); `limit`: records to print before done().
  TopicPrinter(std::shared_ptr<SchemaRegistry> registry, int64_t interval, std::optional<int64_t> limit,
               PrintStyle style = {});

  // The lines (without '\n') to write for one poll's records, in poll order.
  std::vector<std::string> OnPoll(const std::vector<KafkaRecord>& records);
  // LIMIT reached: nothing more is to be written.
  bool done() const { return limit_ && written_ >= *limit_; }
  int64_t written() const { return written_; }

 private:
  // "Key format: A or B" when the candidates differ from the last ones written.
  void FormatLine(const std::vector<std::string>& current, std::vector<std::string>* last, const char* prefix,
                  std::vector<std::string>* out);

  RecordFormatter formatter_;
  PrintStyle style_;
  int64_t interval_;
  std::optional<int64_t> limit_;
  int64_t polled_ = 0, written_ = 0;
  // The candidates last written; a list no formatter gives, so the first poll writes both.
  std::vector<std::string> last_keys_{""}, last_values_{""};
};

}  // namespace sluice::print
