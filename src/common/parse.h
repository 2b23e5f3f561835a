#pragma once
// Strict number parsing for values read from files and metadata: the whole text must be one number, and a
// failure names what was being read (std::stoll would throw a bare "stoll", or read "4abc" as 4).
#include <cstdint>
#include <string>

namespace mu {
// `what` names the file and field, e.g. "rule.pt: meta 'eta'"; the message adds what was expected.
int64_t parse_int(const std::string& text, const std::string& what);
double parse_real(const std::string& text, const std::string& what);  // finite or not: the caller decides
}  // namespace mu
