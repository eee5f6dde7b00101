#include "borex/io/input_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "borex/core/error.h"
#include "borex/io/csv.h"
#include "support/message_of.h"
#include "support/temp_dir.h"

namespace borex::io {
namespace {

using borex::testing::MessageOf;
using InputFileTest = testing::TempDirTest;

TEST_F(InputFileTest, NamesAMissingFileAndADirectory) {
  std::ofstream(Path("a.txt")) << "x\n";
  EXPECT_EQ(MessageOf<InputError>([&] { CheckInputFile(Path("a.txt"), "a text file"); }),
            "no error");
  EXPECT_EQ(MessageOf<InputError>([&] { CheckInputFile(Path("b.txt"), "a text file"); }),
            Path("b.txt") + ": file does not exist");
  std::filesystem::create_directory(Path("d"));
  EXPECT_EQ(MessageOf<InputError>([&] { CheckInputFile(Path("d"), "a text file"); }),
            Path("d") + ": is a directory, not a text file");
}

// Bug: a directory given as a CSV read as an empty table ("empty CSV").
TEST_F(InputFileTest, CsvReaderSaysADirectoryIsOne) {
  std::filesystem::create_directory(Path("d"));
  EXPECT_EQ(MessageOf<InputError>([&] { ReadCsv(Path("d")); }),
            Path("d") + ": is a directory, not a CSV file");
}

}  // namespace
}  // namespace borex::io
