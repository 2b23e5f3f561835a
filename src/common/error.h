#pragma once
#include <cstddef>
#include <stdexcept>
#include <string>

namespace mu {
// Every user-facing failure is an mu::Error with a one-line reason; the CLI prints it and exits 2.
struct Error : std::runtime_error {
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};
#define MU_CHECK(cond, msg)                   \
  do {                                        \
    if (!(cond)) throw ::mu::Error(msg);      \
  } while (0)

// A library's message as one printable line: LibTorch backtraces, "INTERNAL ASSERT FAILED" and source
// locations dropped, line breaks folded, at most max_chars kept. For wrapping third-party exceptions.
std::string one_line(const std::string& raw, size_t max_chars = 200);
}  // namespace mu
