// JSON files: run records, per-image results, the dataset manifest.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace borex::io {

// Writes `value` pretty-printed (indent 2, trailing newline), atomically. JSON has no NaN or
// infinity: non-finite doubles are written as null (nlohmann's behaviour, relied on here and
// tested), so a reader sees "no value" rather than a parse error. Strings that are not valid
// UTF-8 have the bad bytes replaced by U+FFFD instead of failing the write.
void WriteJson(const std::string& path, const nlohmann::json& value);

// Parses a JSON file. InputError "file does not exist", or "invalid JSON: parse error at line 3,
// column 5: ..." with the parser's message.
nlohmann::json ReadJson(const std::string& path);

}  // namespace borex::io
