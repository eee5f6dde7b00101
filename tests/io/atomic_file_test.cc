#include "borex/io/atomic_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "borex/core/error.h"
#include "support/message_of.h"
#include "support/temp_dir.h"

namespace borex::io {
namespace {
namespace fs = std::filesystem;
using borex::testing::MessageOf;

class AtomicFileTest : public borex::testing::TempDirTest {
 protected:
  void TearDown() override {
    fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::add);
    TempDirTest::TearDown();
  }
  std::vector<std::string> Listing() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir_))
      names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }
  static void WriteText(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
  }
  static std::string ReadText(const std::string& path) {
    std::ifstream stream(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(stream), std::istreambuf_iterator<char>());
  }
};

TEST_F(AtomicFileTest, NothingAppearsBeforeCommit) {
  AtomicOutputSet outputs;
  const std::string map_path = Path("map.npy"), record_path = Path("record.json");
  const std::string map_temp = outputs.Stage(map_path), record_temp = outputs.Stage(record_path);
  WriteText(map_temp, "map");
  WriteText(record_temp, "record");
  EXPECT_FALSE(fs::exists(map_path));
  EXPECT_FALSE(fs::exists(record_path));
  outputs.Commit();
  EXPECT_EQ(ReadText(map_path), "map");
  EXPECT_EQ(ReadText(record_path), "record");
  EXPECT_EQ(Listing(), (std::vector<std::string>{"map.npy", "record.json"}));
}

TEST_F(AtomicFileTest, TempPathIsHiddenInSameDirectoryWithSameExtension) {
  AtomicOutputSet outputs;
  const fs::path temp = outputs.Stage(Path("heat.png"));
  EXPECT_EQ(temp.parent_path(), dir_);
  EXPECT_EQ(temp.filename().string().front(), '.');
  EXPECT_EQ(temp.extension(), ".png");
  EXPECT_NE(temp.filename(), "heat.png");
  // Two stagings never share a temporary name, even across sets.
  AtomicOutputSet other;
  EXPECT_NE(other.Stage(Path("heat.png")), temp.string());
}

TEST_F(AtomicFileTest, DestructorRemovesUncommittedTempFiles) {
  {
    AtomicOutputSet outputs;
    WriteText(outputs.Stage(Path("a.txt")), "a");
    WriteText(outputs.Stage(Path("b.txt")), "b");
    EXPECT_EQ(Listing().size(), 2u);
  }
  EXPECT_TRUE(Listing().empty());
}

TEST_F(AtomicFileTest, CommitFailsBeforeRenamingAnythingIfAFileWasNotWritten) {
  AtomicOutputSet outputs;
  WriteText(outputs.Stage(Path("written.txt")), "x");
  outputs.Stage(Path("forgotten.txt"));
  try {
    outputs.Commit();
    FAIL() << "Commit should throw";
  } catch (const OutputError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(Path("forgotten.txt") + ": was never written", 0), 0u)
        << e.what();
    EXPECT_EQ(e.code(), ExitCode::kOutputError);
  }
  EXPECT_FALSE(fs::exists(Path("written.txt")));
}

TEST_F(AtomicFileTest, CommitReplacesExistingFile) {
  WriteText(Path("out.txt"), "old content, longer than the new one");
  AtomicOutputSet outputs;
  WriteText(outputs.Stage(Path("out.txt")), "new");
  EXPECT_EQ(ReadText(Path("out.txt")), "old content, longer than the new one");
  outputs.Commit();
  EXPECT_EQ(ReadText(Path("out.txt")), "new");
}

TEST_F(AtomicFileTest, StagingTheSameFileTwiceIsAnError) {
  AtomicOutputSet outputs;
  outputs.Stage(Path("x.txt"));
  EXPECT_THROW(outputs.Stage(Path("x.txt")), Error);
}

TEST_F(AtomicFileTest, WriteBytesAtomicallyWritesExactBytesAndNoLeftovers) {
  const std::string bytes("binary\0data\xff\n", 13);
  WriteBytesAtomically(Path("blob.bin"), bytes);
  EXPECT_EQ(ReadText(Path("blob.bin")), bytes);
  EXPECT_EQ(Listing(), std::vector<std::string>{"blob.bin"});
}

TEST_F(AtomicFileTest, WriteBytesAtomicallyIntoMissingDirectoryNamesTheFile) {
  const std::string path = Path("missing/out.json");
  try {
    WriteBytesAtomically(path, "{}");
    FAIL() << "should throw";
  } catch (const OutputError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(path + ": cannot create file", 0), 0u) << e.what();
  }
}

TEST_F(AtomicFileTest, UnsyncedWritesReplaceInPlaceAndSyncNamesAMissingDirectory) {
  const std::string bytes("binary\0data\xff\n", 13);
  WriteText(Path("blob.bin"), "an older, longer content");
  WriteBytesUnsynced(Path("blob.bin"), bytes);
  EXPECT_EQ(ReadText(Path("blob.bin")), bytes);
  EXPECT_EQ(Listing(), std::vector<std::string>{"blob.bin"});
  SyncFileSystem(dir_.string());
  EXPECT_THROW(WriteBytesUnsynced(Path("missing/blob.bin"), bytes), OutputError);
  try {
    SyncFileSystem(Path("missing"));
    FAIL() << "should throw";
  } catch (const OutputError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(Path("missing") + ": cannot open directory", 0), 0u)
        << e.what();
  }
}

TEST_F(AtomicFileTest, RemoveStaleTemporariesRemovesOnlyTemporaryNames) {
  AtomicOutputSet killed;  // as if its process died before Commit
  WriteText(killed.Stage(Path("map.npy")), "half a map");
  WriteText(killed.Stage(Path("rows")), "no extension");
  for (const char* name : {"map.npy", ".notes.txt", ".a.tmp.x.1.npy", "b.npy.tmp.1.2.npy"})
    WriteText(Path(name), "kept");
  fs::create_directory(Path("sub"));
  WriteText(Path("sub/.c.npy.tmp.1.2.npy"), "not searched");
  EXPECT_EQ(RemoveStaleTemporaries(dir_.string()), 2);
  EXPECT_EQ(Listing(), (std::vector<std::string>{".a.tmp.x.1.npy", ".notes.txt",
                                                 "b.npy.tmp.1.2.npy", "map.npy", "sub"}));
  EXPECT_TRUE(fs::exists(Path("sub/.c.npy.tmp.1.2.npy")));
  EXPECT_EQ(RemoveStaleTemporaries(Path("absent")), 0);
}

TEST_F(AtomicFileTest, AppendLineDurablyAppendsWholeLinesAndCutsOffATornOne) {
  AppendLineDurably(Path("runs.jsonl"), "{\"run\": 1}\n");
  AppendLineDurably(Path("runs.jsonl"), "{\"run\": 2}\n");
  EXPECT_EQ(ReadText(Path("runs.jsonl")), "{\"run\": 1}\n{\"run\": 2}\n");
  std::ofstream(Path("runs.jsonl"), std::ios::app) << "{\"ru";  // a kill mid-write
  AppendLineDurably(Path("runs.jsonl"), "{\"run\": 3}\n");
  EXPECT_EQ(ReadText(Path("runs.jsonl")), "{\"run\": 1}\n{\"run\": 2}\n{\"run\": 3}\n");
  WriteText(Path("torn.jsonl"), "no newline at all");
  AppendLineDurably(Path("torn.jsonl"), "x\n");
  EXPECT_EQ(ReadText(Path("torn.jsonl")), "x\n");
  try {
    AppendLineDurably(Path("missing/runs.jsonl"), "x\n");
    FAIL() << "should throw";
  } catch (const OutputError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(Path("missing/runs.jsonl") + ": cannot open", 0), 0u)
        << e.what();
  }
}

TEST_F(AtomicFileTest, SameFileResolvesDotsLinksAndHardLinks) {
  WriteText(Path("a.txt"), "a");
  fs::create_directory(Path("sub"));
  EXPECT_TRUE(SameFile(Path("a.txt"), Path("sub/../a.txt")));
  fs::create_symlink(Path("a.txt"), Path("link.txt"));
  EXPECT_TRUE(SameFile(Path("link.txt"), Path("a.txt")));
  fs::create_hard_link(Path("a.txt"), Path("hard.txt"));
  EXPECT_TRUE(SameFile(Path("hard.txt"), Path("a.txt")));
  fs::create_directory_symlink(Path("sub"), Path("sublink"));
  EXPECT_TRUE(SameFile(Path("sublink/new.txt"), Path("sub/new.txt")));  // neither exists
  EXPECT_FALSE(SameFile(Path("a.txt"), Path("sub/a.txt")));
  EXPECT_FALSE(SameFile(Path("new.txt"), Path("other.txt")));
}

TEST_F(AtomicFileTest, CheckOutputsDistinctNamesTheOutputAndWhatItWouldOverwrite) {
  WriteText(Path("in.csv"), "x");
  EXPECT_NO_THROW(CheckOutputsDistinct({{"--json", Path("out.json")}, {"--md", ""}},
                                       {{"A", Path("in.csv")}, {"B", ""}}));
  try {
    CheckOutputsDistinct({{"--json", Path("sub/../in.csv")}}, {{"A", Path("in.csv")}});
    FAIL() << "should throw";
  } catch (const OptionError& e) {
    EXPECT_EQ(std::string(e.what()), "--json: " + Path("sub/../in.csv") + " would overwrite A " +
                                         Path("in.csv") + ": give the output another name");
  }
  try {
    CheckOutputsDistinct({{"--json", Path("s")}, {"--markdown", Path("s")}}, {});
    FAIL() << "should throw";
  } catch (const OptionError& e) {
    EXPECT_EQ(std::string(e.what()), "--markdown: " + Path("s") +
                                         " is also the file of --json: give each output its own "
                                         "name");
  }
  EXPECT_EQ(Listing().size(), 1u);  // nothing written
}

TEST_F(AtomicFileTest, CheckWritableAcceptsWritableDirectoryAndLeavesNoProbe) {
  EXPECT_NO_THROW(CheckWritable(Path("x.json")));
  EXPECT_TRUE(Listing().empty());
}

TEST_F(AtomicFileTest, CheckWritableRejectsMissingDirectory) {
  const std::string path = Path("nope/x.json");
  try {
    CheckWritable(path);
    FAIL() << "should throw";
  } catch (const OutputError& e) {
    EXPECT_EQ(std::string(e.what()),
              path + ": directory " + (dir_ / "nope").string() + " does not exist");
  }
}

TEST_F(AtomicFileTest, CheckWritableRejectsDirectoryAsFileAndFileAsDirectory) {
  fs::create_directory(Path("sub"));
  EXPECT_THROW(
      {
        try {
          CheckWritable(Path("sub"));
        } catch (const OutputError& e) {
          EXPECT_EQ(std::string(e.what()), Path("sub") + ": is a directory, not a file");
          throw;
        }
      },
      OutputError);
  WriteText(Path("plain.txt"), "");
  EXPECT_THROW(CheckWritable(Path("plain.txt/x.json")), OutputError);
}

TEST_F(AtomicFileTest, CheckWritableRejectsReadOnlyDirectory) {
  // Root writes through permission bits, so as root use /proc, where nobody can create files.
  std::string path = "/proc/borex-check-writable.json";
  if (geteuid() != 0) {
    fs::create_directory(Path("locked"));
    fs::permissions(Path("locked"), fs::perms::owner_read | fs::perms::owner_exec);
    path = Path("locked/x.json");
  }
  try {
    CheckWritable(path);
    ADD_FAILURE() << "should throw";
  } catch (const OutputError& e) {
    EXPECT_NE(std::string(e.what()).find("is not writable ("), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).rfind(path + ": directory ", 0), 0u) << e.what();
  }
  // /proc exists and refuses new files with ENOENT, whose own text ("No such file or directory")
  // would contradict the line.
  EXPECT_EQ(MessageOf<OutputError>([] { CheckWritable("/proc/x.json"); }),
            "/proc/x.json: directory /proc is not writable (it takes no new files)");
}

TEST_F(AtomicFileTest, CheckWritableAcceptsBareFileNameInCurrentDirectory) {
  const fs::path previous = fs::current_path();
  fs::current_path(dir_);
  EXPECT_NO_THROW(CheckWritable("x.json"));
  fs::current_path(previous);
}

// A rename that fails is an error naming the file, not a file reported written.
TEST_F(AtomicFileTest, CommitNamesAFileItCannotRenameOnto) {
  fs::create_directories(Path("taken/inside"));  // a non-empty directory where the file goes
  AtomicOutputSet outputs;
  const std::string temp = outputs.Stage(Path("taken"));
  WriteText(temp, "x");
  try {
    outputs.Commit();
    FAIL() << "Commit should throw";
  } catch (const OutputError& e) {
    EXPECT_EQ(
        std::string(e.what()).rfind(Path("taken") + ": cannot rename " + temp + " onto it (", 0),
        0u)
        << e.what();
  }
  EXPECT_TRUE(fs::is_directory(Path("taken/inside")));
}

}  // namespace
}  // namespace borex::io
