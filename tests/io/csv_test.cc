#include "borex/io/csv.h"

#include <gtest/gtest.h>

#include <fstream>

#include "borex/core/error.h"
#include "support/temp_dir.h"

namespace borex::io {
namespace {

class CsvTest : public testing::TempDirTest {
 protected:
  std::string Write(const std::string& name, const std::string& text) {
    std::ofstream(Path(name), std::ios::binary) << text;
    return Path(name);
  }
  // Writes `row` under a header of as many columns and expects to read it back unchanged.
  void ExpectReadsBack(const std::string& name, const std::vector<std::string>& row) {
    std::vector<std::string> header;
    for (size_t i = 0; i < row.size(); ++i) header.push_back("c" + std::to_string(i));
    const CsvTable table = ReadCsv(Write(name, CsvLine(header) + CsvLine(row)));
    ASSERT_EQ(table.rows.size(), 1u);
    EXPECT_EQ(table.rows[0], row);
  }
  std::string Read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
  }
};

// Bug: cells were read with std::stod in places ("0.5abc" read as 0.5; "abc" ended in "stod").
TEST_F(CsvTest, CellNumberIsTheWholeCellAndNamesWhereItIs) {
  EXPECT_EQ(CellNumber("0.25", "a.csv", "image 'x': column 'c'"), 0.25);
  EXPECT_EQ(CellNumber("-3e-2", "a.csv", "image 'x': column 'c'"), -0.03);
  for (const std::string bad : {"", "abc", "0.5abc", " 1", "nan", "inf", "1e999"}) {
    try {
      CellNumber(bad, "a.csv", "image 'x': column 'c'");
      ADD_FAILURE() << bad;
    } catch (const InputError& e) {
      EXPECT_EQ(std::string(e.what()),
                "a.csv: image 'x': column 'c' has '" + bad + "', not a finite number");
    }
  }
}

TEST_F(CsvTest, LineQuotesOnlyWhatNeedsQuoting) {
  EXPECT_EQ(CsvLine({"a", "1.5", ""}), "a,1.5,\n");
  EXPECT_EQ(CsvLine({"x,y", "say \"hi\"", "two\nlines"}),
            "\"x,y\",\"say \"\"hi\"\"\",\"two\nlines\"\n");
}

TEST_F(CsvTest, ReadsWhatCsvLineWrites) {
  const std::vector<std::string> header = {"id", "text"};
  const std::vector<std::string> row = {"img,1", "a \"quoted\"\nvalue"};
  const std::string path = Write("t.csv", CsvLine(header) + CsvLine(row));
  const CsvTable table = ReadCsv(path);
  EXPECT_EQ(table.header, header);
  ASSERT_EQ(table.rows.size(), 1u);
  EXPECT_EQ(table.rows[0], row);
  EXPECT_EQ(table.Column("text"), 1);
  EXPECT_EQ(table.Column("missing"), -1);
  EXPECT_THROW(table.RequireColumn("missing"), InputError);
}

TEST_F(CsvTest, RejectsRowsWithTheWrongFieldCountNamingTheLine) {
  const std::string path = Write("bad.csv", "a,b\n1,2\n3\n");
  try {
    ReadCsv(path);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("line 3 has 1 fields"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ReadCsv(Write("empty.csv", "")), InputError);
  EXPECT_THROW(ReadCsv(Write("quote.csv", "a,b\n\"open,2\n")), InputError);
  EXPECT_THROW(ReadCsv(Path("absent.csv")), InputError);
}

TEST_F(CsvTest, IgnoresAnIncompleteLastLine) {
  const CsvTable table = ReadCsv(Write("torn.csv", "a,b\n1,2\n3,"));
  EXPECT_EQ(table.rows.size(), 1u);
}

TEST_F(CsvTest, AppenderCreatesTheHeaderAndAppendsDurably) {
  const std::string path = Path("out.csv");
  {
    CsvAppender csv(path, {"id", "value"});
    EXPECT_TRUE(csv.existing_rows().empty());
    csv.Append({"a", "1"});
    EXPECT_THROW(csv.Append({"only one"}), Error);
  }
  CsvAppender again(path, {"id", "value"});
  ASSERT_EQ(again.existing_rows().size(), 1u);
  again.Append({"b", "2"});
  EXPECT_EQ(Read(path), "id,value\na,1\nb,2\n");
}

TEST_F(CsvTest, AppenderCutsOffATornLastLine) {
  const std::string path = Write("torn.csv", "id,value\na,1\nb,");
  CsvAppender csv(path, {"id", "value"});
  EXPECT_EQ(csv.existing_rows().size(), 1u);
  csv.Append({"b", "2"});
  EXPECT_EQ(Read(path), "id,value\na,1\nb,2\n");
}

TEST_F(CsvTest, AppenderRejectsAnotherHeader) {
  const std::string path = Write("other.csv", "id,other\n");
  EXPECT_THROW(CsvAppender(path, {"id", "value"}), InputError);
  EXPECT_EQ(Read(path), "id,other\n");
}

TEST_F(CsvTest, AppenderKeepsAnOlderHeadersColumns) {
  const std::string path = Write("older.csv", "id,value\na,1\n");
  CsvAppender csv(path, {"id", "note", "value"}, {{"id", "value"}});
  ASSERT_EQ(csv.existing_rows().size(), 1u);
  EXPECT_EQ(csv.existing_rows()[0], (std::vector<std::string>{"a", "", "1"}));
  csv.Append({"b", "dropped", "2"});
  EXPECT_EQ(Read(path), "id,value\na,1\nb,2\n");
  // A new file gets the current header.
  CsvAppender fresh(Path("new.csv"), {"id", "note", "value"}, {{"id", "value"}});
  fresh.Append({"c", "kept", "3"});
  EXPECT_EQ(Read(Path("new.csv")), "id,note,value\nc,kept,3\n");
}

TEST_F(CsvTest, RowsWithColumnsFillsAnOlderHeadersMissingColumns) {
  const CsvTable table = ReadCsv(Write("t.csv", "b,a\n2,1\n4,3\n"));
  EXPECT_EQ(RowsWithColumns(table, {"a", "c", "b"}, {{"a", "b"}, {"b", "a"}}),
            (std::vector<std::vector<std::string>>{{"1", "", "2"}, {"3", "", "4"}}));
  EXPECT_EQ(RowsWithColumns(table, {"b", "a"}).size(), 2u);
  EXPECT_THROW(RowsWithColumns(table, {"a", "c", "b"}), InputError);  // not an accepted header
  EXPECT_THROW(RowsWithColumns(table, {"a", "c", "b"}, {{"a", "b"}}), InputError);
}

// A field with a carriage return is quoted: unquoted, it would read back as two lines.
TEST_F(CsvTest, LineQuotesACarriageReturnAndItReadsBack) {
  EXPECT_EQ(CsvLine({"a\rb", "c"}), "\"a\rb\",c\n");
  const std::vector<std::string> row = {"a\rb", "c"};
  ExpectReadsBack("cr.csv", row);
}

// The reader trims the spaces around an unquoted field, so a space at either end is quoted.
TEST_F(CsvTest, LineQuotesASpaceAtEitherEndAndItReadsBack) {
  EXPECT_EQ(CsvLine({" lead", "trail ", "in side"}), "\" lead\",\"trail \",in side\n");
  const std::vector<std::string> row = {" lead", "trail ", "in side"};
  ExpectReadsBack("spaces.csv", row);
}

// A field of quotes only is the longest quoting can make: 2n + 2 characters.
TEST_F(CsvTest, LineDoublesAFieldOfQuotesOnlyInFull) {
  EXPECT_EQ(CsvLine({"\"", "\"\""}), "\"\"\"\",\"\"\"\"\"\"\n");
  const std::vector<std::string> row = {"\"", "\"\""};
  ExpectReadsBack("quotes.csv", row);
}

// An empty file (e.g. created by `touch`, or by a run killed before its header) is a new file.
TEST_F(CsvTest, AppenderWritesTheHeaderIntoAnEmptyFile) {
  const std::string path = Write("empty.csv", "");
  CsvAppender csv(path, {"id", "value"});
  EXPECT_TRUE(csv.existing_rows().empty());
  csv.Append({"a", "1"});
  EXPECT_EQ(Read(path), "id,value\na,1\n");
}

}  // namespace
}  // namespace borex::io
