#include "support/paths.h"

namespace mu::testing {
const std::string& source_dir() {
  static const std::string dir = METAUNSUP_SOURCE_DIR;
  return dir;
}
const std::string& binary() {
  static const std::string bin = METAUNSUP_BINARY;
  return bin;
}
}  // namespace mu::testing
