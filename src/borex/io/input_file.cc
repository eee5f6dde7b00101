#include "borex/io/input_file.h"

#include <filesystem>
#include <system_error>

#include "borex/core/error.h"

namespace borex::io {

void CheckInputFile(const std::string& path, const std::string& kind) {
  std::error_code error;
  if (!std::filesystem::exists(path, error)) throw InputError(path, "file does not exist");
  if (std::filesystem::is_directory(path, error))
    throw InputError(path, "is a directory, not " + kind);
}

}  // namespace borex::io
