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

// A JSON value as shown in an error message, cut short when long.
std::string ShownJson(const nlohmann::json& value);

// Member `key` of `object` (which must be an object), which `valid` must accept; `what` describes
// what it accepts. InputError naming `path`, prefixed by `where`: 'no "key" field' or '"key"
// must be WHAT, got VALUE'.
template <typename Valid>
const nlohmann::json& JsonField(const nlohmann::json& object, const char* key, Valid valid,
                                const char* what, const std::string& path,
                                const std::string& where = "");

bool IsJsonString(const nlohmann::json& value);
bool IsJsonPositiveInteger(const nlohmann::json& value);  // 1 ... 1,000,000

// Parses a JSON file. InputError "file does not exist", or "invalid JSON: parse error at line 3,
// column 5: ..." with the parser's message.
nlohmann::json ReadJson(const std::string& path);

// Not in the .cc file: `valid` is any callable.
[[noreturn]] void ThrowJsonFieldError(const nlohmann::json& object, const char* key,
                                      const char* what, const std::string& path,
                                      const std::string& where);

template <typename Valid>
const nlohmann::json& JsonField(const nlohmann::json& object, const char* key, Valid valid,
                                const char* what, const std::string& path,
                                const std::string& where) {
  if (object.is_object()) {
    const auto found = object.find(key);
    if (found != object.end() && valid(*found)) return *found;
  }
  ThrowJsonFieldError(object, key, what, path, where);
}

}  // namespace borex::io
