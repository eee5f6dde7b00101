// Strict number parsing for flags and text files: the whole text is the number, finite, with no
// spaces or trailing characters, so that "12abc" or "12,20,30" never pass for something else.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace borex {

// One finite number; std::nullopt for anything else (empty, "12abc", " 12", "nan", "1e999").
std::optional<double> ToNumber(const std::string& text);
// One integer in long's range, decimal digits with an optional sign; std::nullopt otherwise.
std::optional<long> ToInteger(const std::string& text);

// A comma-separated list of min_count to max_count numbers (ToNumber each); otherwise an
// OptionError naming `option`: "'TEXT' is not FORM".
std::vector<double> ParseNumberList(const std::string& text, const std::string& option,
                                    size_t min_count, size_t max_count, const std::string& form);

}  // namespace borex
