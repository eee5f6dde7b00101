// CSV tables (RFC 4180 quoting, parsed with libcsv) and the append-only CSV files of `borex batch`,
// whose rows survive a kill at any moment: each row is one write() followed by fsync, and a torn
// last line left by a kill mid-write is cut off when the file is opened again.
#pragma once

#include <string>
#include <vector>

namespace borex::io {

struct CsvTable {
  std::string path;  // for error messages
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;  // every row has header.size() fields

  // Index of column `name`, or -1.
  int Column(const std::string& name) const;
  // Like Column(), but throws InputError naming the file when the column is missing.
  int RequireColumn(const std::string& name) const;
};

// Reads a CSV file with a header line. Throws InputError (naming the file and line) when it is
// unreadable, empty, malformed, or a row's field count differs from the header's. A last line
// without its newline (a batch still running, or killed mid-write) is ignored with a warning.
CsvTable ReadCsv(const std::string& path);

// A cell as a finite number (core/parse.h's ToNumber: the whole text, finite). Otherwise
// InputError naming `source` (the file, or files, it came from) and `where` the cell is (e.g.
// "image 'x': column 'insertion'"): "SOURCE: WHERE has 'abc', not a finite number".
double CellNumber(const std::string& cell, const std::string& source, const std::string& where);

// One record as a CSV line ending in '\n'; fields are quoted only when they need it.
std::string CsvLine(const std::vector<std::string>& fields);

// `table`'s rows with the columns `header`, when the table's header is `header` or one of
// `older_headers` (each `header` without some of its columns: a file written before they
// existed, whose rows read them as empty). Throws InputError naming the file otherwise.
std::vector<std::vector<std::string>> RowsWithColumns(
    const CsvTable& table, const std::vector<std::string>& header,
    const std::vector<std::vector<std::string>>& older_headers = {});

// An append-only CSV file with a fixed header.
class CsvAppender {
 public:
  // Opens `path`, creating it with `header` if absent or empty. An existing file must have
  // this header or one of `older_headers`, each `header` without some of its columns (else
  // InputError); a torn last line is truncated away with a warning.
  CsvAppender(const std::string& path, const std::vector<std::string>& header,
              const std::vector<std::vector<std::string>>& older_headers = {});
  ~CsvAppender();
  CsvAppender(const CsvAppender&) = delete;
  CsvAppender& operator=(const CsvAppender&) = delete;

  // The complete rows present when the file was opened, with `header`'s columns (those of an
  // older header's file: empty).
  const std::vector<std::vector<std::string>>& existing_rows() const { return existing_rows_; }
  // Appends one row (one field per column of `header`) durably: one write(), then fsync. A file
  // with an older header gets the fields of its own columns.
  void Append(const std::vector<std::string>& fields);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  size_t columns_ = 0;
  std::vector<size_t> file_columns_;  // the file's columns, as indices into `header`
  int fd_ = -1;
  std::vector<std::vector<std::string>> existing_rows_;
};

}  // namespace borex::io
