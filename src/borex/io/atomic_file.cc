#include "borex/io/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <regex>
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

// Writes all of `bytes` to `fd`, fsyncs it when `sync`, and closes it; returns the errno of the
// first failure, or 0. The fd is closed whatever happens.
int WriteSyncClose(int fd, const std::string& bytes, bool sync = true) {
  int error = 0;
  size_t written = 0;
  while (error == 0 && written < bytes.size()) {
    const ssize_t n = write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno != EINTR) error = errno;
    if (n == 0) error = EIO;  // no progress: do not spin
    if (n > 0) written += static_cast<size_t>(n);
  }
  if (error == 0 && sync && fsync(fd) != 0) error = errno;
  if (close(fd) != 0 && error == 0) error = errno;
  return error;
}

// Writes all of `bytes` and fsyncs when `sync`, so that after the rename the content is on disk
// too (without the fsync a power loss can leave a renamed but empty file on some filesystems).
void WriteFile(const std::string& temp_path, const std::string& final_path,
               const std::string& bytes, bool sync = true) {
  const int fd = open(temp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw OutputError(final_path, "cannot create file (" + ErrnoText() + ")");
  if (const int error = WriteSyncClose(fd, bytes, sync); error != 0)
    throw OutputError(final_path, "cannot write (" + std::string(std::strerror(error)) + ")");
}

// The bytes of `fd` up to and including its last newline: what to keep of a file whose last line
// may be torn.
off_t CompleteLinesSize(int fd, off_t size) {
  std::string text(static_cast<size_t>(size), '\0');
  if (pread(fd, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) return size;
  const size_t newline = text.rfind('\n');
  return newline == std::string::npos ? 0 : static_cast<off_t>(newline + 1);
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
  WriteFile(output.Stage(path), path, bytes);
  output.Commit();
}

void WriteBytesUnsynced(const std::string& path, const std::string& bytes) {
  WriteFile(path, path, bytes, /*sync=*/false);
}

void SyncFileSystem(const std::string& dir) {
  const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw OutputError(dir, "cannot open directory (" + ErrnoText() + ")");
  const int error = syncfs(fd) == 0 ? 0 : errno;
  close(fd);
  if (error != 0)
    throw OutputError(dir, "cannot flush to disk (" + std::string(std::strerror(error)) + ")");
}

int RemoveStaleTemporaries(const std::string& dir) {
  // Stage()'s names: ".<name>.tmp.<pid>.<counter><extension>".
  static const std::regex temporary(R"(\..+\.tmp\.[0-9]+\.[0-9]+(\.[^.]*)?)");
  int removed = 0;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(dir, error)) {
    if (!entry.is_regular_file(error) ||
        !std::regex_match(entry.path().filename().string(), temporary))
      continue;
    if (fs::remove(entry.path(), error)) ++removed;
  }
  return removed;
}

void AppendLineDurably(const std::string& path, const std::string& line) {
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw OutputError(path, "cannot open for appending (" + ErrnoText() + ")");
  const off_t size = lseek(fd, 0, SEEK_END);
  char last = '\n';
  if (size > 0 && pread(fd, &last, 1, size - 1) == 1 && last != '\n' &&
      ftruncate(fd, CompleteLinesSize(fd, size)) != 0) {
    const std::string reason = ErrnoText();
    close(fd);
    throw OutputError(path, "cannot cut off a torn last line (" + reason + ")");
  }
  if (const int error = WriteSyncClose(fd, line); error != 0)
    throw OutputError(path, "cannot write (" + std::string(std::strerror(error)) + ")");
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
  if (fd < 0) {
    // ENOENT for a directory that exists: one that takes no new files (/proc, /sys).
    const std::string reason = errno == ENOENT ? "it takes no new files" : ErrnoText();
    throw OutputError(path,
                      "directory " + directory.string() + " is not writable (" + reason + ")");
  }
  close(fd);
  fs::remove(probe, error);
}

bool SameFile(const std::string& a, const std::string& b) {
  std::error_code error;
  if (fs::exists(a, error) && fs::exists(b, error)) {
    const bool same = fs::equivalent(a, b, error);
    if (!error) return same;
  }
  const auto resolved = [](const std::string& path) {
    std::error_code ignored;
    const fs::path absolute = fs::absolute(path, ignored);
    const fs::path canonical = fs::weakly_canonical(absolute, ignored);
    return (canonical.empty() ? absolute : canonical).lexically_normal();
  };
  return resolved(a) == resolved(b);
}

void CheckOutputsDistinct(const std::vector<NamedFile>& outputs,
                          const std::vector<NamedFile>& inputs) {
  for (size_t i = 0; i < outputs.size(); ++i) {
    const NamedFile& output = outputs[i];
    if (output.path.empty()) continue;
    for (const NamedFile& input : inputs)
      if (!input.path.empty() && SameFile(output.path, input.path))
        throw OptionError(output.option, output.path + " would overwrite " + input.option + " " +
                                             input.path + ": give the output another name");
    for (size_t j = 0; j < i; ++j)
      if (!outputs[j].path.empty() && SameFile(output.path, outputs[j].path))
        throw OptionError(output.option, output.path + " is also the file of " + outputs[j].option +
                                             ": give each output its own name");
  }
}

}  // namespace borex::io
