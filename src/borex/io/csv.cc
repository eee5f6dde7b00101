#include "borex/io/csv.h"

#include <csv.h>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "borex/core/error.h"
#include "borex/core/parse.h"
#include "borex/io/input_file.h"

namespace borex::io {
namespace {

// The file's bytes up to and including its last newline; `torn` tells whether bytes followed it.
std::string CompleteLines(const std::string& path, bool* torn) {
  CheckInputFile(path, "a CSV file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, "cannot open file");
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  const size_t last_newline = text.rfind('\n');
  const size_t complete = last_newline == std::string::npos ? 0 : last_newline + 1;
  *torn = complete < text.size();
  text.resize(complete);
  return text;
}

struct ParseState {
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> current;
};

void OnField(void* field, size_t length, void* data) {
  static_cast<ParseState*>(data)->current.emplace_back(static_cast<const char*>(field), length);
}

void OnRecord(int, void* data) {
  auto* state = static_cast<ParseState*>(data);
  state->records.push_back(std::move(state->current));
  state->current.clear();
}

std::vector<std::vector<std::string>> ParseRecords(const std::string& path,
                                                   const std::string& text) {
  csv_parser parser;
  if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI) != 0)
    throw InputError(path, "cannot initialise the CSV parser");
  ParseState state;
  const bool ok =
      csv_parse(&parser, text.data(), text.size(), OnField, OnRecord, &state) == text.size() &&
      csv_fini(&parser, OnField, OnRecord, &state) == 0;
  const std::string error = ok ? "" : csv_strerror(csv_error(&parser));
  csv_free(&parser);
  if (!ok)
    throw InputError(path, "malformed CSV after " + std::to_string(state.records.size()) +
                               " complete lines: " + error);
  return std::move(state.records);
}

CsvTable ParseTable(const std::string& path, const std::string& text) {
  CsvTable table;
  table.path = path;
  auto records = ParseRecords(path, text);
  if (records.empty()) throw InputError(path, "empty CSV file (no header line)");
  table.header = std::move(records.front());
  for (size_t i = 1; i < records.size(); ++i) {
    if (records[i].size() != table.header.size())
      throw InputError(path, "line " + std::to_string(i + 1) + " has " +
                                 std::to_string(records[i].size()) + " fields, the header has " +
                                 std::to_string(table.header.size()));
    table.rows.push_back(std::move(records[i]));
  }
  return table;
}

bool NeedsQuotes(const std::string& field) {
  return field.find_first_of(",\"\r\n") != std::string::npos ||
         (!field.empty() && (field.front() == ' ' || field.back() == ' '));
}

void WriteAll(int fd, const std::string& bytes, const std::string& path) {
  size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)  // a short write leaves a torn line, which reopening cuts off
      throw OutputError(path,
                        std::string("cannot write (") + std::strerror(n < 0 ? errno : EIO) + ")");
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0)
    throw OutputError(path, std::string("cannot write (") + std::strerror(errno) + ")");
}

}  // namespace

int CsvTable::Column(const std::string& name) const {
  for (size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return static_cast<int>(i);
  return -1;
}

int CsvTable::RequireColumn(const std::string& name) const {
  const int column = Column(name);
  if (column < 0) throw InputError(path, "no column '" + name + "'");
  return column;
}

CsvTable ReadCsv(const std::string& path) {
  bool torn = false;
  const std::string text = CompleteLines(path, &torn);
  if (torn) spdlog::warn("{}: ignoring an incomplete last line (a batch still running?)", path);
  return ParseTable(path, text);
}

double CellNumber(const std::string& cell, const std::string& source, const std::string& where) {
  const std::optional<double> value = ToNumber(cell);
  if (!value) throw InputError(source, where + " has '" + cell + "', not a finite number");
  return *value;
}

std::string CsvLine(const std::vector<std::string>& fields) {
  std::string line;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) line += ',';
    const std::string& field = fields[i];
    if (!NeedsQuotes(field)) {
      line += field;
      continue;
    }
    std::string quoted(2 * field.size() + 2, '\0');
    quoted.resize(csv_write(quoted.data(), quoted.size(), field.data(), field.size()));
    line += quoted;
  }
  return line + '\n';
}

std::vector<std::vector<std::string>> RowsWithColumns(
    const CsvTable& table, const std::vector<std::string>& header,
    const std::vector<std::vector<std::string>>& older_headers) {
  if (table.header != header &&
      std::find(older_headers.begin(), older_headers.end(), table.header) == older_headers.end()) {
    const std::string expected = CsvLine(header);
    throw InputError(table.path,
                     "unexpected header (another borex version or command?): expected '" +
                         expected.substr(0, expected.size() - 1) + "'");
  }
  std::vector<int> source;  // header's column -> the table's, or -1
  source.reserve(header.size());
  for (const std::string& name : header) source.push_back(table.Column(name));
  std::vector<std::vector<std::string>> rows;
  rows.reserve(table.rows.size());
  for (const auto& row : table.rows) {
    std::vector<std::string>& projected = rows.emplace_back();
    projected.reserve(header.size());
    for (const int column : source) projected.push_back(column < 0 ? "" : row[column]);
  }
  return rows;
}

CsvAppender::CsvAppender(const std::string& path, const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& older_headers)
    : path_(path), columns_(header.size()) {
  for (size_t i = 0; i < header.size(); ++i) file_columns_.push_back(i);
  struct stat info {};
  const bool exists = ::stat(path.c_str(), &info) == 0 && info.st_size > 0;
  if (exists) {
    bool torn = false;
    const std::string text = CompleteLines(path, &torn);
    const CsvTable table = ParseTable(path, text);
    existing_rows_ = RowsWithColumns(table, header, older_headers);
    file_columns_.clear();
    for (const std::string& name : table.header)
      file_columns_.push_back(std::find(header.begin(), header.end(), name) - header.begin());
    if (torn) {
      spdlog::warn("{}: cutting off a torn last line left by an interrupted run", path);
      if (::truncate(path.c_str(), static_cast<off_t>(text.size())) != 0)
        throw OutputError(path, std::string("cannot truncate: ") + std::strerror(errno));
    }
  }
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0)
    throw OutputError(path, std::string("cannot open for appending: ") + std::strerror(errno));
  if (!exists) WriteAll(fd_, CsvLine(header), path_);
}

CsvAppender::~CsvAppender() {
  if (fd_ >= 0) ::close(fd_);
}

void CsvAppender::Append(const std::vector<std::string>& fields) {
  if (fields.size() != columns_)
    throw Error("internal: a row of " + std::to_string(fields.size()) + " fields for " +
                std::to_string(columns_) + " columns in " + path_);
  std::vector<std::string> written;
  written.reserve(file_columns_.size());
  for (const size_t column : file_columns_) written.push_back(fields[column]);
  WriteAll(fd_, CsvLine(written), path_);
}

}  // namespace borex::io
