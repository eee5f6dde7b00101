#include "borex/io/json_file.h"

#include <filesystem>
#include <fstream>

#include "borex/core/error.h"
#include "borex/io/atomic_file.h"

namespace borex::io {

void WriteJson(const std::string& path, const nlohmann::json& value) {
  const std::string text =
      value.dump(2, ' ', /*ensure_ascii=*/false, nlohmann::json::error_handler_t::replace);
  WriteBytesAtomically(path, text + "\n");
}

nlohmann::json ReadJson(const std::string& path) {
  std::error_code error;
  if (!std::filesystem::exists(path, error)) throw InputError(path, "file does not exist");
  if (std::filesystem::is_directory(path, error))
    throw InputError(path, "is a directory, not a JSON file");
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
