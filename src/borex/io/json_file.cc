#include "borex/io/json_file.h"

#include <fstream>

#include "borex/core/error.h"
#include "borex/io/atomic_file.h"
#include "borex/io/input_file.h"

namespace borex::io {

void WriteJson(const std::string& path, const nlohmann::json& value) {
  const std::string text =
      value.dump(2, ' ', /*ensure_ascii=*/false, nlohmann::json::error_handler_t::replace);
  WriteBytesAtomically(path, text + "\n");
}

std::string ShownJson(const nlohmann::json& value) {
  const std::string text = value.dump();
  return text.size() <= 40 ? text : text.substr(0, 37) + "...";
}

void ThrowJsonFieldError(const nlohmann::json& object, const char* key, const char* what,
                         const std::string& path, const std::string& where) {
  if (!object.is_object())
    throw InputError(path, where + "must be a JSON object, got " + ShownJson(object));
  const auto found = object.find(key);
  if (found == object.end()) throw InputError(path, where + "no \"" + key + "\" field");
  throw InputError(path, where + "\"" + key + "\" must be " + what + ", got " + ShownJson(*found));
}

bool IsJsonString(const nlohmann::json& value) { return value.is_string(); }

bool IsJsonPositiveInteger(const nlohmann::json& value) {
  return value.is_number_integer() && value.get<long long>() > 0 &&
         value.get<long long>() <= 1000000;
}

nlohmann::json ReadJson(const std::string& path) {
  CheckInputFile(path, "a JSON file");
  std::ifstream stream(path);
  if (!stream) throw InputError(path, "cannot open for reading");
  try {
    return nlohmann::json::parse(stream);
  } catch (const nlohmann::json::exception& e) {
    // e.what() is "[json.exception.parse_error.101] parse error at line 3, column 5: ...";
    // the bracketed id means nothing to a user. Not only parse_error: a number too large for a
    // double ("1e999") is an out_of_range error (406) of the parser.
    std::string message = e.what();
    const size_t id_end = message.find("] ");
    if (message.rfind("[json.exception.", 0) == 0 && id_end != std::string::npos)
      message.erase(0, id_end + 2);
    throw InputError(path, "invalid JSON: " + message);
  }
}

}  // namespace borex::io
