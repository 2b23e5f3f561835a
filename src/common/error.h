#pragma once
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
}  // namespace mu
