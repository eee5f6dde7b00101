#include "borex/core/parse.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "borex/core/error.h"

namespace borex {

std::optional<double> ToNumber(const std::string& text) {
  // strtod alone skips leading spaces and accepts "nan", "inf" and hex floats.
  if (text.empty() || std::isspace(static_cast<unsigned char>(text.front()))) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || errno == ERANGE || !std::isfinite(value))
    return std::nullopt;
  return value;
}

std::optional<long> ToInteger(const std::string& text) {
  if (text.empty()) return std::nullopt;
  const size_t digits = text.front() == '-' || text.front() == '+' ? 1 : 0;
  if (digits == text.size()) return std::nullopt;
  for (size_t i = digits; i < text.size(); ++i)
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
  errno = 0;
  const long value = std::strtol(text.c_str(), nullptr, 10);
  if (errno == ERANGE) return std::nullopt;
  return value;
}

std::vector<double> ParseNumberList(const std::string& text, const std::string& option,
                                    size_t min_count, size_t max_count, const std::string& form) {
  std::vector<double> values;
  size_t begin = 0;
  bool valid = !text.empty();
  while (valid) {
    const size_t comma = text.find(',', begin);
    const std::optional<double> value = ToNumber(text.substr(begin, comma - begin));
    valid = value.has_value();
    if (valid) values.push_back(*value);
    if (comma == std::string::npos) break;
    begin = comma + 1;
  }
  if (!valid || values.size() < min_count || values.size() > max_count)
    throw OptionError(option, "'" + text + "' is not " + form);
  return values;
}

}  // namespace borex
