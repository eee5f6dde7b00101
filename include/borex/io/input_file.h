// The check every reader makes before it opens an input file, so that a missing file or a
// directory gets one line saying so, not what a stream opened on it makes of it (an empty CSV,
// malformed XML).
#pragma once

#include <string>

namespace borex::io {

// InputError naming `path`: "file does not exist", or "is a directory, not `kind`" (e.g. "an NPY
// file").
void CheckInputFile(const std::string& path, const std::string& kind);

}  // namespace borex::io
