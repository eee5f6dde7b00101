// One error policy for the whole library: every failure the user can cause (a bad file, a bad
// option value, a model that does not fit) is thrown as borex::Error carrying a one-line message
// that names the file or option and the offending value. The CLI catches it, prints the line and
// exits with the error's code; library callers catch it like any std::runtime_error.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace borex {

// Exit statuses of the borex executable (documented in README.md).
enum class ExitCode : int {
  kOk = 0,
  kError = 1,        // anything not classified below
  kUsage = 2,        // invalid command line (unknown option, bad value)
  kThreshold = 3,    // `evaluate --fail-below/--fail-above`, `compare --fail-at`: a check failed
  kInputError = 4,   // unreadable or malformed input file (model, image, prior, dataset)
  kModelError = 5,   // the model rejected the input or produced an unusable output
  kOutputError = 6,  // the output could not be written
};

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message, ExitCode code = ExitCode::kError)
      : std::runtime_error(message), code_(code) {}
  ExitCode code() const { return code_; }

 private:
  ExitCode code_;
};

// Invalid option value: "--mask-sizes: 300 px is larger than the image (224x224)".
class OptionError : public Error {
 public:
  OptionError(const std::string& option, const std::string& what)
      : Error(option + ": " + what, ExitCode::kUsage) {}
};

// Unreadable or malformed input file: "prior.npy: contains NaN".
class InputError : public Error {
 public:
  InputError(const std::string& path, const std::string& what)
      : Error(path + ": " + what, ExitCode::kInputError) {}
};

class ModelError : public Error {
 public:
  explicit ModelError(const std::string& what) : Error(what, ExitCode::kModelError) {}
};

class OutputError : public Error {
 public:
  OutputError(const std::string& path, const std::string& what)
      : Error(path + ": " + what, ExitCode::kOutputError) {}
};

namespace internal {
template <typename... Args>
std::string Concat(const Args&... args) {
  std::ostringstream out;
  (out << ... << args);
  return out.str();
}
}  // namespace internal

}  // namespace borex

// Invariant checks that print the values involved, e.g. BOREX_CHECK_GT(n, 0) fails with
// "check failed: n > 0 (0 vs 0) at gp.cc:42". For programming errors, not user input.
#define BOREX_CHECK_OP(a, b, op)                                                                   \
  do {                                                                                             \
    if (!((a)op(b)))                                                                               \
      throw ::borex::Error(::borex::internal::Concat("check failed: " #a " " #op " " #b " (", (a), \
                                                     " vs ", (b), ") at ", __FILE__, ":",          \
                                                     __LINE__));                                   \
  } while (false)
#define BOREX_CHECK_EQ(a, b) BOREX_CHECK_OP(a, b, ==)
#define BOREX_CHECK_GT(a, b) BOREX_CHECK_OP(a, b, >)
#define BOREX_CHECK_GE(a, b) BOREX_CHECK_OP(a, b, >=)
#define BOREX_CHECK_LT(a, b) BOREX_CHECK_OP(a, b, <)
#define BOREX_CHECK_LE(a, b) BOREX_CHECK_OP(a, b, <=)
#define BOREX_CHECK(cond)                                                                     \
  do {                                                                                        \
    if (!(cond))                                                                              \
      throw ::borex::Error(                                                                   \
          ::borex::internal::Concat("check failed: " #cond " at ", __FILE__, ":", __LINE__)); \
  } while (false)
