#pragma once
// A thin CLI: each app/cmd_*.cpp registers its subcommand(s) with a static RegisterCommand, so adding
// a command never touches main.cpp. Handlers throw mu::Error for bad input; main prints one line, exits 2.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "base/base_model.h"

namespace mu::cli {
using Setup = std::function<void(CLI::App& parent)>;
std::vector<std::pair<std::string, Setup>>& registry();
struct RegisterCommand {
  RegisterCommand(const std::string& name, Setup setup) { registry().emplace_back(name, std::move(setup)); }
};
// Progress line on stderr: "[label] step i/n  rate/s  ETA".
void progress(const std::string& label, int64_t i, int64_t n, double seconds_so_far);
// Refuses (mu::Error naming --arch and --batch, with the estimate) a base model whose rule step would not
// fit in this machine's memory; called after make_arch, before anything of that size is allocated.
void check_fits(const Arch& arch, int64_t batch, const std::string& arch_text);
}  // namespace mu::cli
