#include "engine/print/topic_printer.h"

namespace sluice::print {

TopicPrinter::TopicPrinter(std::shared_ptr<SchemaRegistry> registry, int64_t interval, std::optional<int64_t> limit,
                           PrintStyle style)
    : formatter_(std::move(registry)), style_(style), interval_(interval < 1 ? 1 : interval), limit_(limit) {}

std::vector<std::string> TopicPrinter::OnPoll(const std::vector<KafkaRecord>& records) {
  if (done()) return {};
  if (records.empty()) return style_.keep_alive_lines ? std::vector<std::string>{""} : std::vector<std::string>{};
  // Every record goes through the formatter (it narrows the formats), kept or not.
  std::vector<std::string> formatted = formatter_.Format(records);
  std::vector<std::string> kept;
  for (std::string& line : formatted) {
    if (polled_++ % interval_ == 0) {
      ++written_;
      kept.push_back(std::move(line));
    }
    if (done()) break;
  }
  std::vector<std::string> out;
  if (style_.format_lines) {
    FormatLine(formatter_.PossibleKeyFormats(), &last_keys_, "Key format: ", &out);
    FormatLine(formatter_.PossibleValueFormats(), &last_values_, "Value format: ", &out);
  }
  for (std::string& line : kept) out.push_back(std::move(line));
  return out;
}

void TopicPrinter::FormatLine(const std::vector<std::string>& current, std::vector<std::string>* last,
                              const char* prefix, std::vector<std::string>* out) {
  if (*last == current) return;
  *last = current;
  std::string line = prefix;
  if (current.empty()) {
    line += " does not match any supported format. It may be a STRING with encoding other than UTF8, or some other "
            "format.";
  } else {
    for (size_t i = 0; i < current.size(); ++i) line += (i ? " or " : "") + current[i];
  }
  out->push_back(std::move(line));
}

}  // namespace sluice::print
