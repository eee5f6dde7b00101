// Fuzzes the CSV reader (io::ReadCsv) and the resume path of `borex batch` (io::CsvAppender
// opening an existing file: parse, compare the header, cut off a torn last line), which reads
// CSV files left behind by killed runs. Every row read must have the header's field count.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "borex/core/error.h"
#include "borex/io/csv.h"
#include "fuzz_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = borex::fuzz::WriteInput("csv", ".csv", data, size);
  try {
    const borex::io::CsvTable table = borex::io::ReadCsv(path);
    for (const auto& row : table.rows)
      if (row.size() != table.header.size()) __builtin_trap();
    table.Column("image");
  } catch (const borex::Error&) {
  }
  // The appender truncates a torn last line in place, so it runs last. Its header is the one the
  // seed corpus uses, so that the fuzzer reaches the existing-rows path.
  try {
    const std::vector<std::string> header{"image", "label", "score"};
    borex::io::CsvAppender appender(path, header);
    for (const auto& row : appender.existing_rows())
      if (row.size() != header.size()) __builtin_trap();
  } catch (const borex::Error&) {
  }
  return 0;
}
