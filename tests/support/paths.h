#pragma once
// Where the tests find the source tree (configs/, models/) and the metaunsup binary. Defined in one
// translation unit so that every other test file compiles the same in any checkout (the compiler cache
// then shares them between checkouts).
#include <string>

namespace mu::testing {
const std::string& source_dir();  // the repository root
const std::string& binary();      // the built metaunsup executable
}  // namespace mu::testing
