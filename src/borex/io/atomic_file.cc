#include "borex/io/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "borex/core/error.h"

namespace borex::io {
namespace fs = std::filesystem;
namespace {

// Shared by all sets of the process, so two sets never hand out the same temporary name.
std::atomic<unsigned long> temp_counter{0};

std::string TempSuffix() {
  return ".tmp." + std::to_string(getpid()) + "." + std::to_string(temp_counter++);
}

std::string ErrnoText() { return std::strerror(errno); }

// Directory that will hold `path` ("." for a bare file name).
fs::path ParentDirectory(const std::string& path) {
  const fs::path parent = fs::path(path).parent_path();
  return parent.empty() ? fs::path(".") : parent;
}

// Writes all of `bytes` and fsyncs, so that after the rename the content is on disk too (without
// the fsync a power loss can leave a renamed but empty file on some filesystems).
void WriteFileDurably(const std::string& temp_path, const std::string& final_path,
                      const std::string& bytes) {
  const int fd = open(temp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw OutputError(final_path, "cannot create file (" + ErrnoText() + ")");
  size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      const std::string reason = ErrnoText();
      close(fd);
      throw OutputError(final_path, "cannot write (" + reason + ")");
    }
    written += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0 || close(fd) != 0)
    throw OutputError(final_path, "cannot write (" + ErrnoText() + ")");
}

}  // namespace

AtomicOutputSet::~AtomicOutputSet() { Discard(); }

std::string AtomicOutputSet::Stage(const std::string& final_path) {
  if (final_path.empty()) throw OutputError("<empty path>", "no output file name given");
  for (const auto& staged : staged_)
    BOREX_CHECK(staged.second != final_path);  // staging one file twice is a programming error
  const fs::path final_fs(final_path);
  const std::string temp_name =
      "." + final_fs.filename().string() + TempSuffix() + final_fs.extension().string();
  std::string temp_path = (final_fs.parent_path() / temp_name).string();
  staged_.emplace_back(temp_path, final_path);
  return temp_path;
}

void AtomicOutputSet::Commit() {
  for (const auto& [temp_path, final_path] : staged_) {
    std::error_code error;
    if (!fs::is_regular_file(temp_path, error))
      throw OutputError(final_path, "was never written (no staged file " + temp_path + ")");
  }
  while (!staged_.empty()) {
    const auto& [temp_path, final_path] = staged_.front();
    if (std::rename(temp_path.c_str(), final_path.c_str()) != 0)
      throw OutputError(final_path,
                        "cannot rename " + temp_path + " onto it (" + ErrnoText() + ")");
    staged_.erase(staged_.begin());
  }
}

void AtomicOutputSet::Discard() noexcept {
  for (const auto& [temp_path, final_path] : staged_) {
    std::error_code ignored;
    fs::remove(temp_path, ignored);
  }
  staged_.clear();
}

void WriteBytesAtomically(const std::string& path, const std::string& bytes) {
  AtomicOutputSet output;
  WriteFileDurably(output.Stage(path), path, bytes);
  output.Commit();
}

void CheckWritable(const std::string& path) {
  if (path.empty()) throw OutputError("<empty path>", "no output file name given");
  const fs::path directory = ParentDirectory(path);
  std::error_code error;
  if (!fs::exists(directory, error))
    throw OutputError(path, "directory " + directory.string() + " does not exist");
  if (!fs::is_directory(directory, error))
    throw OutputError(path, directory.string() + " is not a directory");
  if (fs::is_directory(path, error)) throw OutputError(path, "is a directory, not a file");
  const fs::path probe = directory / (".borex-write-probe" + TempSuffix());
  const int fd = open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0)
    throw OutputError(path,
                      "directory " + directory.string() + " is not writable (" + ErrnoText() + ")");
  close(fd);
  fs::remove(probe, error);
}

}  // namespace borex::io
