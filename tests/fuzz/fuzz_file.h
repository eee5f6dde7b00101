// Shared by the fuzz harnesses: borex's readers take file paths, so each input is written to a
// per-process file under /dev/shm (memory-backed) and read back through the real code path.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace borex::fuzz {

// Writes `data` to /dev/shm/borex-fuzz-<pid>-<name><extension> (replacing it) and returns the
// path. Aborts if the file cannot be written: that is a broken setup, not a finding.
inline std::string WriteInput(const char* name, const char* extension, const uint8_t* data,
                              size_t size) {
  const std::string path =
      "/dev/shm/borex-fuzz-" + std::to_string(::getpid()) + "-" + name + extension;
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr || (size > 0 && std::fwrite(data, 1, size, file) != size) ||
      std::fclose(file) != 0) {
    std::perror(path.c_str());
    std::abort();
  }
  return path;
}

}  // namespace borex::fuzz
