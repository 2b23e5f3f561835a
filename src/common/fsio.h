#pragma once
// Durable file writes. A file is written to PATH.tmp.<pid>, fsync'ed, renamed over PATH, and the folder
// fsync'ed, so after a crash or power loss PATH holds either the old or the new content, never a torn or
// empty file. A killed writer can leave its PATH.tmp.<pid>; remove_stale_temporaries clears those.
#include <string>

namespace mu {
void write_file_atomic(const std::string& path, const std::string& bytes);
// fsync of a file written by other means (an append stream), so its contents so far survive a power loss.
void fsync_file(const std::string& path);
// fsync of a folder, so that a rename or a new file in it survives a power loss. Best effort.
void fsync_dir(const std::string& dir);
// Removes FILE.tmp.<pid> files in `dir` whose writer (that pid) is no longer running; returns their names.
std::string remove_stale_temporaries(const std::string& dir);
// Bytes of a regular file, or -1 when it cannot be read.
long long file_size(const std::string& path);
}  // namespace mu
