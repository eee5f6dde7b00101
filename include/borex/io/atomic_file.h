// Outputs are never half-written: every file is written under a temporary name in its final
// directory and renamed onto its final name only when complete (rename is atomic within one
// filesystem), so a crash, an exception or Ctrl-C leaves either the old file or the new one,
// never a truncated one that a resumed batch would mistake for a finished result.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace borex::io {

// A group of files committed together, e.g. the map, its heat map and its JSON record.
//
//   AtomicOutputSet outputs;
//   const std::string map_tmp = outputs.Stage("out/cat.npy");
//   ... write map_tmp ...
//   outputs.Commit();  // now out/cat.npy exists, complete
//
// The temporary name is "<dir>/.<name>.tmp.<pid>.<counter><ext>": in the same directory (so the
// rename stays on one filesystem), hidden (so globs such as *.png do not pick it up) and with the
// final extension kept (so writers that pick the format by extension, e.g. cv::imwrite, work).
// Commit is atomic per file; it first checks that every staged file was written, so a forgotten
// file fails before anything is renamed.
class AtomicOutputSet {
 public:
  explicit AtomicOutputSet() = default;
  ~AtomicOutputSet();  // removes staged files that were not committed
  AtomicOutputSet(const AtomicOutputSet&) = delete;
  AtomicOutputSet& operator=(const AtomicOutputSet&) = delete;

  // Returns the temporary path the caller must write for `final_path`.
  std::string Stage(const std::string& final_path);

  // Renames every staged file onto its final path. Throws OutputError naming the final path if a
  // staged file is missing or a rename fails. After success the set is empty.
  void Commit();

  // Removes the staged files now (what the destructor does).
  void Discard() noexcept;

 private:
  std::vector<std::pair<std::string, std::string>> staged_;  // (temporary, final)
};

// Writes `bytes` to `path` through a temporary file (flushed to disk) and a rename.
void WriteBytesAtomically(const std::string& path, const std::string& bytes);

// For many files made durable together (the report's thousands of pictures): written in place
// without an fsync each, then flushed by one SyncFileSystem(dir) before a rename of their
// directory publishes them. OutputError naming the file or directory.
void WriteBytesUnsynced(const std::string& path, const std::string& bytes);
void SyncFileSystem(const std::string& dir);  // syncfs(2) of the filesystem holding `dir`

// Removes from `dir` (not from its subdirectories) the temporary files of AtomicOutputSets whose
// process was killed between writing and renaming them. Only for a directory that no other process
// is writing, e.g. one held under a lock: there every temporary file is stale. Returns how many.
int RemoveStaleTemporaries(const std::string& dir);

// Appends `line` (ending in '\n') to `path`, creating it, with one write() and fsync. A torn last
// line (a kill or a full disk mid-write) is cut off first, so every line stays whole. Throws
// OutputError naming the file, e.g. "runs.jsonl: cannot write (No space left on device)".
void AppendLineDurably(const std::string& path, const std::string& line);

// Fails early, before any expensive computation, if `path` cannot be written: OutputError
// "out/x.json: directory out does not exist", "... directory out is not writable (Permission
// denied)", or "out/x.json: is a directory". Tests writability by creating and removing a probe
// file, which is right for root, ACLs and read-only mounts, where access(2) is not.
void CheckWritable(const std::string& path);

// A file a command reads or writes, and the option that names it (for the error).
struct NamedFile {
  std::string option;  // "--image", "--json", ...
  std::string path;
};

// Whether two paths name the same file: by device and inode where both exist, else after making
// them absolute and resolving ".." and symbolic links as far as they exist.
bool SameFile(const std::string& a, const std::string& b);

// Fails before anything is read or written when an output is the same file as an input (the run
// would overwrite what it reads) or as another output (one of them would be lost): OptionError
// naming the output's option, e.g. "--json: out/s.npy would overwrite --saliency out/s.npy: give
// the output another name". Entries with an empty path are skipped.
void CheckOutputsDistinct(const std::vector<NamedFile>& outputs,
                          const std::vector<NamedFile>& inputs);

}  // namespace borex::io
