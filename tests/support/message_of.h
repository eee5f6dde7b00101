// The message of the exception a call throws, for tests that check a whole error line.
#pragma once

#include <string>

namespace borex::testing {

// The what() of the E that `call` throws, or "no error" when it throws none.
template <typename E, typename F>
std::string MessageOf(F call) {
  try {
    call();
  } catch (const E& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace borex::testing
