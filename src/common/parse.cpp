#include "common/parse.h"

#include <cerrno>
#include <cstdlib>

#include "common/error.h"

namespace mu {
namespace {
std::string trimmed(const std::string& s) {
  size_t a = s.find_first_not_of(" \t\r\n"), b = s.find_last_not_of(" \t\r\n");
  return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
}
std::string shown(const std::string& s) { return s.size() > 40 ? s.substr(0, 40) + "..." : s; }
}  // namespace

int64_t parse_int(const std::string& text, const std::string& what) {
  const std::string s = trimmed(text);
  errno = 0;
  char* end = nullptr;
  long long v = s.empty() ? 0 : std::strtoll(s.c_str(), &end, 10);
  MU_CHECK(!s.empty() && end == s.c_str() + s.size() && errno != ERANGE,
           what + ": expected an integer, found '" + shown(text) + "'");
  return v;
}

double parse_real(const std::string& text, const std::string& what) {
  const std::string s = trimmed(text);
  errno = 0;
  char* end = nullptr;
  double v = s.empty() ? 0 : std::strtod(s.c_str(), &end);
  MU_CHECK(!s.empty() && end == s.c_str() + s.size() && errno != ERANGE,
           what + ": expected a number, found '" + shown(text) + "'");
  return v;
}
}  // namespace mu
