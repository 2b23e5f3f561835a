#include "metatrain/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iterator>
#include <sstream>
#include <vector>

#include <fmt/format.h>

#include "common/error.h"
#include "common/fsio.h"
#include "common/parse.h"

namespace mu {

std::string metrics_header() {
  return "step,loss,cosine,ridge,accuracy,grad_norm,lr,used,dropped_nonfinite,dropped_stale,tasks,u_mean,u_lo,"
         "u_hi,unrolls_per_s,wall_s,val_loss,val_loss_theta0,val_accuracy";
}
std::string metrics_row(const StepRecord& r) {
  auto f = [](double x) { return std::isfinite(x) ? fmt::format("{:.6g}", x) : std::string(); };
  return fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}", r.step, f(r.loss), f(r.cosine),
                     f(r.ridge), f(r.accuracy), f(r.grad_norm), f(r.lr), r.used, r.dropped_nonfinite,
                     r.dropped_stale, r.tasks, f(r.u_mean), r.u_lo, r.u_hi, f(r.unrolls_per_s), f(r.wall_s),
                     f(r.val_loss), f(r.val_loss_theta0), f(r.val_acc));
}

namespace {
std::vector<std::string> split_lines(const std::string& all) {
  std::vector<std::string> lines;
  for (size_t b = 0; b < all.size();) {
    size_t e = all.find('\n', b);
    lines.push_back(all.substr(b, e == std::string::npos ? std::string::npos : e - b));
    b = e == std::string::npos ? all.size() : e + 1;
  }
  return lines;
}

// The rows of an existing metrics.csv worth keeping: well formed, step <= last_step. A torn last row (no
// final newline: the run was killed while writing it) and malformed rows are dropped with a warning: they
// must neither survive as junk nor block --resume.
std::vector<std::string> kept_rows(const std::string& path, int64_t last_step) {
  std::ifstream in(path, std::ios::binary);
  const std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string header = metrics_header();
  const auto fields = std::count(header.begin(), header.end(), ',');
  const std::vector<std::string> lines = split_lines(all);
  const bool torn = !all.empty() && all.back() != '\n';
  std::vector<std::string> keep;
  int64_t bad = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    if (line.empty() || (i == 0 && line == header)) continue;
    if (torn && i + 1 == lines.size()) {
      std::fprintf(stderr, "[meta-train] warning: dropped the torn last row of %s (the run was killed while "
                           "writing it)\n", path.c_str());
      continue;
    }
    int64_t st = -1;
    try {
      st = parse_int(line.substr(0, line.find(',')), path);
    } catch (const Error&) {
    }
    if (st < 0 || std::count(line.begin(), line.end(), ',') != fields) {
      ++bad;
      continue;
    }
    if (st <= last_step) keep.push_back(line);
  }
  if (bad > 0)
    std::fprintf(stderr, "[meta-train] warning: dropped %lld malformed rows of %s\n", (long long)bad, path.c_str());
  return keep;
}
}  // namespace

std::ofstream open_metrics(const std::string& path, bool resume, int64_t last_step) {
  std::vector<std::string> keep{metrics_header()};
  if (resume && std::filesystem::exists(path))
    for (auto& row : kept_rows(path, last_step)) keep.push_back(std::move(row));
  std::ostringstream all;
  for (const auto& l : keep) all << l << "\n";
  write_file_atomic(path, all.str());
  std::ofstream out(path, std::ios::app);
  MU_CHECK(out, "cannot write " + path);
  return out;
}

}  // namespace mu
