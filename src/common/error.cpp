#include "common/error.h"

#include <cctype>

namespace mu {

std::string one_line(const std::string& raw, size_t max_chars) {
  std::string s = raw;
  // LibTorch appends a C++ backtrace ("Exception raised from valid at ./caffe2/...") and, for internal
  // checks, a plea to report a bug to PyTorch: neither tells a user anything about their file.
  for (const char* cut : {"Exception raised from ", "\nFrame ", "frame #0"}) {
    size_t p = s.find(cut);
    if (p != std::string::npos) s.erase(p);
  }
  for (const char* noise : {"INTERNAL ASSERT FAILED", "please report a bug to PyTorch."}) {
    size_t p;
    while ((p = s.find(noise)) != std::string::npos) s.erase(p, std::string(noise).size());
  }
  // " at \"../c10/...\":123, " and similar source locations left by the erased assert text.
  for (size_t p; (p = s.find(" at \"")) != std::string::npos;) {
    size_t q = s.find('"', p + 5);
    size_t e = q == std::string::npos ? s.size() : s.find_first_of(",.", q);
    s.erase(p, (e == std::string::npos ? s.size() : e + 1) - p);
  }
  std::string out;
  bool space = false;
  for (char c : s) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    if (c == ' ') {
      space = !out.empty();
      continue;
    }
    if (!std::isprint(static_cast<unsigned char>(c))) c = '?';
    if (space) out += ' ';
    space = false;
    out += c;
  }
  while (!out.empty() && (out.back() == ':' || out.back() == ',' || out.back() == ';')) out.pop_back();
  if (out.size() > max_chars) out = out.substr(0, max_chars) + "...";
  return out.empty() ? std::string("unknown failure") : out;
}

}  // namespace mu
