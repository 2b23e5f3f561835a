#include <cstdio>
#include <iostream>
#include <new>

#include <c10/util/Exception.h>
#include <fmt/format.h>

#include "cli.h"
#include "common/error.h"
#include "common/runtime.h"
#include "eval/experiment.h"

namespace mu::cli {
std::vector<std::pair<std::string, Setup>>& registry() {
  static std::vector<std::pair<std::string, Setup>> r;
  return r;
}
void progress(const std::string& label, int64_t i, int64_t n, double secs) {
  double rate = secs > 0 ? i / secs : 0.0;
  double eta = rate > 0 ? (n - i) / rate : 0.0;
  fmt::print(stderr, "\r[{}] {}/{}  {:.2f}/s  ETA {:.0f}s   {}", label, i, n, rate, eta, i == n ? "\n" : "");
  std::fflush(stderr);
}
void check_fits(const Arch& arch, int64_t batch, const std::string& arch_text) {
  check_memory(rule_memory_bytes(arch, batch), fmt::format("--arch {} with --batch {}", arch_text, batch));
}
}  // namespace mu::cli

namespace {
// The one error path: every failure is a single line "metaunsup: error: ..." and exit status 2.
int fail(const std::string& why) {
  std::fflush(stdout);
  std::cerr << "metaunsup: error: " << mu::one_line(why, 400) << std::endl;
  return 2;
}

// The subcommand path being parsed when CLI11 gave up, for "see `metaunsup learn --help`".
std::string command_path(const CLI::App& app) {
  std::string path = "metaunsup";
  const CLI::App* a = &app;
  for (;;) {
    auto subs = a->get_subcommands();
    if (subs.empty()) break;
    a = subs.front();
    path += " " + a->get_name();
  }
  return path;
}
}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"metaunsup: meta-learned unsupervised update rules (Metz et al., ICLR 2019)"};
  try {
    app.require_subcommand(1);
    mu::init_runtime();
    app.add_option_function<int>(
           "--threads",
           [](const int& t) {
             mu::check_thread_count(t, "--threads");
             mu::init_runtime(t);
           },
           fmt::format("compute threads in all, shared among --workers (default: the {} cores this process may use, "
                       "divided among the MPI ranks on the node, so workers x threads <= cores)",
                       mu::available_cores()))
        ->trigger_on_parse();
    for (auto& [name, setup] : mu::cli::registry()) setup(app);
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    return fail(std::string(e.what()) + " (see `" + command_path(app) + " --help`)");
  } catch (const mu::Error& e) {
    return fail(e.what());
  } catch (const c10::Error& e) {
    return fail(e.what_without_backtrace());
  } catch (const std::bad_alloc&) {
    return fail("out of memory: the inputs ask for more memory than this machine has");
  } catch (const std::invalid_argument& e) {  // a bare "stoll"/"stod" that escaped a checked parse
    return fail(std::string("a value could not be read as a number (") + e.what() + ")");
  } catch (const std::out_of_range& e) {
    return fail(std::string("a value is out of range (") + e.what() + ")");
  } catch (const std::exception& e) {
    return fail(e.what());
  } catch (...) {
    return fail("unexpected failure");
  }
  return 0;
}
