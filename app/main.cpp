#include <cstdint>
#include <csignal>
#include <cstdio>
#include <iostream>

#include <c10/util/Exception.h>
#include <fmt/format.h>

#include "cli.h"
#include "common/error.h"
#include "common/runtime.h"

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
}  // namespace mu::cli

int main(int argc, char** argv) {
  CLI::App app{"metaunsup: meta-learned unsupervised update rules (Metz et al., ICLR 2019)"};
  app.require_subcommand(1);
  mu::init_runtime();
  app.add_option_function<int>("--threads", [](const int& t) { mu::init_runtime(t); },
                               "torch/OpenMP threads (default: all cores)")
      ->trigger_on_parse();
  for (auto& [name, setup] : mu::cli::registry()) setup(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  } catch (const mu::Error& e) {
    std::cerr << "metaunsup: error: " << e.what() << "\n";
    return 2;
  } catch (const c10::Error& e) {
    std::cerr << "metaunsup: error: " << e.what_without_backtrace() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "metaunsup: error: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
