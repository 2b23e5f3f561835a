#pragma once
// A thin CLI: each app/cmd_*.cpp registers its subcommand(s) with a static RegisterCommand, so adding
// a command never touches main.cpp. Handlers throw mu::Error for bad input; main prints one line, exits 2.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace mu::cli {
using Setup = std::function<void(CLI::App& parent)>;
std::vector<std::pair<std::string, Setup>>& registry();
struct RegisterCommand {
  RegisterCommand(const std::string& name, Setup setup) { registry().emplace_back(name, std::move(setup)); }
};
// Progress line on stderr: "[label] step i/n  rate/s  ETA".
void progress(const std::string& label, int64_t i, int64_t n, double seconds_so_far);
}  // namespace mu::cli
