// A few hundred generated bad inputs (corrupt, truncated or mismatched rule, checkpoint, npy, idx, csv and
// config files, and bad command-line values), each run through the CLI: every one must exit with status 2
// and print exactly one line starting "metaunsup: error: ", never die by a signal, and finish in seconds.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <thread>

#include "common/archive.h"
#include "common/npy.h"
#include "data/idx.h"
#include "metatrain/config.h"
#include "rule/theta.h"
#include "support/paths.h"

namespace fs = std::filesystem;

namespace {
struct Outcome {
  int status = -1, signal = 0;
  double seconds = 0;
  std::string out;
};

constexpr int kTimeoutS = 20;  // generous on a loaded 2-core machine; the assertion below is tighter

Outcome run_cli(const std::string& args) {
  // --threads 1: the cases run two at a time on small machines. stdin closed: nothing may wait for input.
  std::string cmd = "timeout -s KILL " + std::to_string(kTimeoutS) + " " + mu::testing::binary() +
                    " " + args + " < /dev/null 2>&1";
  auto t0 = std::chrono::steady_clock::now();
  FILE* p = popen(cmd.c_str(), "r");
  Outcome o;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, p)) o.out.append(buf, n);
  int st = pclose(p);
  o.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (WIFEXITED(st)) {
    o.status = WEXITSTATUS(st);
    if (o.status == 137 || o.status == 124) o.signal = 9;  // timeout killed it
    if (o.status > 128) o.signal = o.status - 128;        // the shell reports a signal as 128 + n
  } else if (WIFSIGNALED(st)) {
    o.signal = WTERMSIG(st);
  }
  return o;
}

std::string bytes_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
void put(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

class FuzzInputs : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = (fs::temp_directory_path() / ("mu_fuzz_" + std::to_string(getpid()))).string();
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }

  std::string path(const std::string& name) const { return dir_ + "/" + name; }
  // A file with these bytes; returns its path.
  std::string file(const std::string& name, const std::string& bytes) {
    put(path(name), bytes);
    return path(name);
  }
  void add(const std::string& args) { cases_.push_back(args); }

  // Runs every case, two at a time, and checks the contract for each.
  void run_all() {
    std::vector<Outcome> outs(cases_.size());
    std::atomic<size_t> next{0};
    auto worker = [&] {
      for (size_t i; (i = next++) < cases_.size();) outs[i] = run_cli("--threads 1 " + cases_[i]);
    };
    auto t0 = std::chrono::steady_clock::now();
    std::thread a(worker), b(worker);
    a.join(), b.join();
    double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    double slowest = 0;
    int good = 0;
    for (size_t i = 0; i < cases_.size(); ++i) {
      const Outcome& o = outs[i];
      slowest = std::max(slowest, o.seconds);
      const bool one_line = !o.out.empty() && o.out.back() == '\n' &&
                            std::count(o.out.begin(), o.out.end(), '\n') == 1;
      const bool prefixed = o.out.rfind("metaunsup: error: ", 0) == 0;
      const bool ok = o.signal == 0 && o.status == 2 && one_line && prefixed && o.seconds < 10;
      good += ok;
      if (std::getenv("METAUNSUP_FUZZ_VERBOSE")) std::printf("%s\n  -> %s", cases_[i].c_str(), o.out.c_str());
      EXPECT_TRUE(ok) << "metaunsup " << cases_[i] << "\n  status " << o.status << ", signal " << o.signal << ", "
                      << o.seconds << " s, output:\n" << o.out;
    }
    std::printf("[fuzz] %d/%zu bad inputs gave one prefixed line and status 2; slowest %.1f s, all %.0f s\n", good,
                cases_.size(), slowest, total);
    cases_.clear();
  }

  static std::string dir_;
  std::vector<std::string> cases_;
};
std::string FuzzInputs::dir_;

// Truncations at these lengths (and at fractions of the size) of a valid file.
std::vector<size_t> cut_points(size_t size) {
  std::vector<size_t> v{0, 1, 4, 22, 100, 1000};
  for (double f : {0.5, 0.9}) v.push_back(size_t(double(size) * f));
  for (size_t back : {22, 1}) v.push_back(size - back);
  v.erase(std::remove_if(v.begin(), v.end(), [&](size_t n) { return n >= size; }), v.end());
  return v;
}

std::string random_bytes(size_t n, uint32_t seed) {
  std::mt19937 g(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = char(g());
  return s;
}
}  // namespace

TEST_F(FuzzInputs, RuleFilesCorruptTruncatedOrMismatched) {
  const std::string good = path("good_rule.pt");
  mu::save_theta(mu::init_theta(0), good);
  const std::string bytes = bytes_of(good);
  for (size_t n : cut_points(bytes.size())) add("info --rule " + file("cut" + std::to_string(n) + ".pt", bytes.substr(0, n)));
  for (size_t n : {10, 1000, 100000}) add("info --rule " + file("rand" + std::to_string(n) + ".pt", random_bytes(n, uint32_t(n))));
  add("info --rule " + file("pk.pt", "PK\x03\x04" + random_bytes(500, 7)));
  add("info --rule " + file("eocd.pt", std::string("PK\x05\x06", 4) + std::string(18, '\0')));
  add("info --rule " + file("text.pt", "this is not a rule\n"));
  std::string mid = bytes;  // the zip directory garbled
  for (size_t i = mid.size() - 200; i < mid.size() - 30; ++i) mid[i] = char(0x5a);
  add("info --rule " + file("garbled_dir.pt", mid));
  add("info --rule " + dir_);  // a folder
  add("info --rule " + path("missing.pt"));

  // Well-formed archives with bad contents.
  mu::Archive base = mu::load_archive(good);
  auto variant = [&](const std::string& name, const std::function<void(mu::Archive&)>& edit) {
    mu::Archive a = base;
    edit(a);
    mu::save_archive(path(name), a);
    add("info --rule " + path(name));
    return path(name);
  };
  for (const char* eta : {"nan", "-1", "0", "2", "abc", "", "inf", "0.1x"})
    variant(std::string("eta_") + (*eta ? eta : "empty") + ".pt", [&](mu::Archive& a) { a.meta["eta"] = eta; });
  variant("iu.pt", [](mu::Archive& a) { a.meta["identical_updates"] = "maybe"; });
  variant("format.pt", [](mu::Archive& a) { a.meta["format"] = "something-else"; });
  variant("noformat.pt", [](mu::Archive& a) { a.meta.erase("format"); });
  variant("missing_tensor.pt", [](mu::Archive& a) { a.tensors.pop_back(); });
  variant("extra_tensor.pt", [](mu::Archive& a) { a.tensors.emplace_back("extra", at::zeros({3})); });
  variant("shape.pt", [](mu::Archive& a) { a.tensors[0].second = at::zeros({2, 2}); });
  variant("dtype.pt", [](mu::Archive& a) { a.tensors[0].second = a.tensors[0].second.to(at::kLong); });
  variant("nan.pt", [](mu::Archive& a) { a.tensors[1].second = at::full_like(a.tensors[1].second, NAN); });
  variant("inf.pt", [](mu::Archive& a) { a.tensors[2].second = at::full_like(a.tensors[2].second, INFINITY); });
  const std::string ckpt_like = variant("checkpoint_as_rule.pt", [](mu::Archive& a) {
    a.meta["format"] = "metaunsup-metatrain-checkpoint-v1";
  });
  // The same files through the other commands that take a rule.
  const std::string out = path("out");
  for (const char* f : {"cut100.pt", "eta_nan.pt", "shape.pt"}) {
    add("learn --data moons --steps 2 --out " + out + " --rule " + path(f));
    add("trace --out " + out + " --rule " + path(f));
  }
  mu::save_npy(path("x.npy"), at::zeros({4, 3}));
  add("info --rule " + path("x.npy"));
  add("learn --data moons --out " + out + " --rule " + ckpt_like);
  run_all();
}

TEST_F(FuzzInputs, NpyIdxAndCsvData) {
  const std::string rule = path("rule.pt"), out = path("out");
  mu::save_theta(mu::init_theta(0), rule);
  auto learn = [&](const std::string& spec) { add("learn --steps 2 --rule " + rule + " --out " + out + " --data " + spec); };
  // npy
  mu::save_npy(path("ok.npy"), at::rand({40, 6}));
  mu::save_npy(path("labels.npy"), at::arange(40, at::kLong).remainder(2));
  const std::string npy = bytes_of(path("ok.npy"));
  auto npy_with_header = [&](const std::string& name, const std::string& dict, const std::string& body, char version = 1) {
    std::string h = dict;
    h.append((64 - (10 + h.size() + 1) % 64) % 64, ' ');
    h.push_back('\n');
    std::string b = std::string("\x93NUMPY", 6) + version + '\0';
    uint16_t n = uint16_t(h.size());
    b.append(reinterpret_cast<char*>(&n), 2);
    return file(name, b + h + body);
  };
  const std::string body(40 * 6 * 4, '\0');
  learn("npy:" + npy_with_header("huge.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967280,), }", body));
  learn("npy:" + npy_with_header("huge2.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (65536, 65536, 65536), }", body));
  learn("npy:" + npy_with_header("neg.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (-40, 6), }", body));
  learn("npy:" + npy_with_header("alpha.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (forty, 6), }", body));
  learn("npy:" + npy_with_header("noshape.npy", "{'descr': '<f4', 'fortran_order': False, }", body));
  learn("npy:" + npy_with_header("badtuple.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': 40, }", body));
  learn("npy:" + npy_with_header("bigend.npy", "{'descr': '>f4', 'fortran_order': False, 'shape': (40, 6), }", body));
  learn("npy:" + npy_with_header("complex.npy", "{'descr': '<c8', 'fortran_order': False, 'shape': (40, 6), }", body));
  learn("npy:" + npy_with_header("object.npy", "{'descr': '|O', 'fortran_order': False, 'shape': (40, 6), }", body));
  learn("npy:" + npy_with_header("fortran.npy", "{'descr': '<f4', 'fortran_order': True, 'shape': (40, 6), }", body));
  learn("npy:" + npy_with_header("short.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (40, 6), }", body.substr(0, 100)));
  learn("npy:" + npy_with_header("long.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (40, 6), }", body + "xx"));
  learn("npy:" + npy_with_header("v9.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (40, 6), }", body, 9));
  learn("npy:" + npy_with_header("v2short.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (40, 6), }", body, 2));
  learn("npy:" + npy_with_header("nan.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (40, 6), }",
                                 std::string(40 * 6 * 4, '\xff')));
  learn("npy:" + npy_with_header("onedim.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (240,), }", body));
  learn("npy:" + npy_with_header("empty.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 6), }", ""));
  learn("npy:" + npy_with_header("fivedim.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (40, 1, 1, 1, 6), }", body));
  for (size_t n : {0, 9, 30, 128})
    learn("npy:" + file("npycut" + std::to_string(n) + ".npy", npy.substr(0, n)));
  std::string hl = npy;  // header length beyond the file
  hl[8] = '\xff', hl[9] = '\xff';
  learn("npy:" + file("hl.npy", hl));
  learn("npy:" + path("ok.npy") + "," + npy_with_header("lab_short.npy", "{'descr': '<i8', 'fortran_order': False, 'shape': (39,), }", std::string(39 * 8, '\0')));
  learn("npy:" + path("ok.npy") + "," + npy_with_header("lab_2d.npy", "{'descr': '<i8', 'fortran_order': False, 'shape': (40, 1), }", std::string(40 * 8, '\0')));
  learn("npy:" + path("ok.npy") + "," + npy_with_header("lab_frac.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (40,), }", std::string(40 * 8, '\x3f')));
  learn("npy:" + path("ok.npy") + "," + path("missing.npy"));
  learn("npy:" + path("missing.npy"));
  learn("npy:");
  // idx
  mu::data::write_idx(path("ok.idx"), at::randint(0, 255, {40, 4, 4}, at::kByte));
  const std::string idx = bytes_of(path("ok.idx"));
  for (size_t n : {0, 4, 15, 100}) learn("idx:" + file("idxcut" + std::to_string(n), idx.substr(0, n)));
  auto idx_header = [&](const std::string& name, std::vector<uint8_t> head, const std::string& body) {
    return file(name, std::string(head.begin(), head.end()) + body);
  };
  learn("idx:" + idx_header("idx_huge", {0, 0, 8, 1, 0xff, 0xff, 0xff, 0xf0}, std::string(100, '\0')));
  learn("idx:" + idx_header("idx_huge3", {0, 0, 8, 3, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0}, std::string(100, '\0')));
  learn("idx:" + idx_header("idx_zero", {0, 0, 8, 2, 0, 0, 0, 0, 0, 0, 0, 4}, ""));
  learn("idx:" + idx_header("idx_type", {0, 0, 7, 2, 0, 0, 0, 4, 0, 0, 0, 4}, std::string(16, '\0')));
  learn("idx:" + idx_header("idx_ndim0", {0, 0, 8, 0}, ""));
  learn("idx:" + idx_header("idx_ndim9", {0, 0, 8, 9}, std::string(36, '\1')));
  learn("idx:" + idx_header("idx_magic", {1, 2, 8, 2, 0, 0, 0, 4, 0, 0, 0, 4}, std::string(16, '\0')));
  learn("idx:" + file("idx_trailing", idx + "extra"));
  learn("idx:" + file("idx_gz_garbage.gz", std::string("\x1f\x8b\x08\x00", 4) + random_bytes(200, 3)));
  learn("idx:" + path("ok.idx") + "," + path("idx_type"));
  mu::data::write_idx(path("lab_short.idx"), at::zeros({39}, at::kByte));
  learn("idx:" + path("ok.idx") + "," + path("lab_short.idx"));
  learn("idx:" + path("nonexistent.idx"));
  // csv
  auto csv = [&](const std::string& name, const std::string& text) { learn("csv:" + file(name, text)); };
  csv("empty.csv", "");
  csv("header_only.csv", "label,a,b\n");
  csv("ragged.csv", "0,1,2\n1,3\n0,4,5\n");
  csv("text.csv", "0,1,2\n1,x,3\n");
  csv("nan.csv", "0,1,2\n1,nan,3\n");
  csv("inf.csv", "0,1,2\n1,inf,3\n");
  csv("nolabel.csv", "0,1,2\n,1,3\n");
  csv("onefield.csv", "0\n1\n");
  csv("one_row.csv", "0,1,2\n");
  csv("binary.csv", random_bytes(300, 11));
  csv("huge_number.csv", "0,1e999,2\n1,2,3\n");
  learn("csv:" + path("missing.csv"));
  learn("csv:");
  learn("nosuch:thing");
  run_all();
}

TEST_F(FuzzInputs, ConfigFilesAndCheckpoints) {
  mu::MetaConfig c;
  c.name = "fuzz";
  c.steps = 2, c.datasets = {"moons"}, c.way_min = c.way_max = 2, c.batch = 8, c.shots = 3, c.evals = 1;
  c.depth_min = 1, c.depth_max = 1, c.width_min = c.width_max = 8;
  c.u_start_lo = c.u_start_hi = c.u_end_lo = c.u_end_hi = 1, c.trunc_max = 2;
  c.lr = {1e-3}, c.lr_breaks = {}, c.meta_batch = 1, c.checkpoint_every = 1, c.validate_every = 0;
  const nlohmann::json good = c.to_json();
  const std::string out = path("mt");
  auto config = [&](const std::string& name, const std::string& text) {
    add("meta-train --config " + file(name + ".json", text) + " --out " + out);
  };
  auto with = [&](const std::string& key, const nlohmann::json& value) {
    nlohmann::json j = good;
    j[key] = value;
    config("cfg_" + key + "_" + std::to_string(cases_.size()), j.dump());
  };
  config("notjson", "{ this is not json");
  config("trailing", good.dump() + " }");
  config("array", "[1, 2, 3]");
  config("empty", "");
  config("binary", random_bytes(200, 5));
  config("unknown", [&] { nlohmann::json j = good; j["no_such_key"] = 1; return j.dump(); }());
  config("overflow", "{\"steps\": 1e999}");
  for (const auto& [k, v] : std::vector<std::pair<std::string, nlohmann::json>>{
           {"steps", 0}, {"steps", "ten"}, {"steps", 1e15}, {"eta", -0.1}, {"eta", 1.5}, {"eta", "nan"},
           {"lr", {-1.0}}, {"lr", nlohmann::json::array()}, {"lr_breaks", {0.5}}, {"clip", 0}, {"beta1", 1.5},
           {"beta2", -0.5}, {"adam_eps", -1}, {"batch", 1}, {"batch", 100000000}, {"width_max", 1000000000},
           {"width_min", 0}, {"depth_max", 100000}, {"meta_batch", 0}, {"max_staleness", -1},
           {"datasets", nlohmann::json::array()}, {"datasets", {"no_such_set"}}, {"way_min", 1},
           {"readout_lambda", 0}, {"validate_every", -1}, {"activations", {"nope"}}, {"embed", 16},
           {"trunc_max", 0}, {"u_end_hi", -3}, {"checkpoint_every", 0}, {"p_special", 2}, {"max_dropout", 1},
           {"trunc_std_end", -1}, {"seed", "x"}, {"seed", -1}, {"seed", 1.5}, {"dataset_weights", {1.0, 2.0}}, {"readout_below_top", 5}})
    with(k, v);
  add("meta-train --config " + path("no_such_config.json") + " --out " + out);
  add("meta-train --config no_such_name --out " + out);

  // Checkpoints: a real one from two meta-steps, then damaged copies under --resume and --init.
  const std::string cfg = file("good.json", good.dump());
  const std::string run = path("run");
  ASSERT_EQ(std::system((mu::testing::binary() + " --threads 1 meta-train --config " + cfg + " --out " + run +
                         " > " + path("run.log") + " 2>&1").c_str()),
            0)
      << bytes_of(path("run.log"));
  const std::string ck = bytes_of(run + "/checkpoint.pt");
  mu::Archive base = mu::load_archive(run + "/checkpoint.pt");
  int n = 0;
  // also_init: the damage is to what a warm start reads too (theta, Adam, config), not only to resume state.
  auto resume_with = [&](const std::string& bytes, bool also_init = false) {
    std::string d = path("resume" + std::to_string(n++));
    fs::create_directories(d);
    put(d + "/checkpoint.pt", bytes);
    add("meta-train --config " + cfg + " --resume --out " + d);
    if (also_init) add("meta-train --config " + cfg + " --out " + d + "_init --init " + d + "/checkpoint.pt");
  };
  for (size_t cut : {0, 22, 100}) resume_with(ck.substr(0, cut), cut == 100);
  resume_with(ck.substr(0, ck.size() / 2), true);
  resume_with(ck.substr(0, ck.size() - 1));
  resume_with(random_bytes(5000, 9), true);
  resume_with("{\"not\": \"a checkpoint\"}");
  auto meta_variant = [&](const std::string& key, const std::string& value, bool also_init = false) {
    mu::Archive a = base;
    if (value == "<erase>")
      a.meta.erase(key);
    else
      a.meta[key] = value;
    mu::save_archive(path("tmp_ck.pt"), a);
    resume_with(bytes_of(path("tmp_ck.pt")), also_init);
  };
  meta_variant("config", "{not json", true);
  meta_variant("adam_t", "x", true);
  for (const auto& [k, v] : std::vector<std::pair<std::string, std::string>>{
           {"step", "abc"}, {"step", "-5"}, {"step", "99999999999999999999"}, {"counters", "1 2"},
           {"counters", "a b c d"}, {"wall", "fast"}, {"val0", "?"}, {"slots", "many"}, {"slot.0", "1 2"},
           {"slot.0", "x y z w"}, {"config", "{\"steps\": 3}"}, {"variant", "other"}, {"format", "metaunsup-rule-v1"},
           {"step", "<erase>"}, {"config", "<erase>"}})
    meta_variant(k, v);
  auto tensor_variant = [&](const std::function<void(mu::Archive&)>& edit) {
    mu::Archive a = base;
    edit(a);
    mu::save_archive(path("tmp_ck.pt"), a);
    resume_with(bytes_of(path("tmp_ck.pt")), true);
  };
  tensor_variant([](mu::Archive& a) { a.tensors.erase(a.tensors.begin()); });
  tensor_variant([](mu::Archive& a) { a.tensors[0].second = at::zeros({1}); });
  tensor_variant([](mu::Archive& a) { a.tensors[0].second = at::full_like(a.tensors[0].second, NAN); });
  tensor_variant([](mu::Archive& a) { a.tensors[0].second = a.tensors[0].second.to(at::kInt); });
  mu::save_theta(mu::init_theta(0), path("rule_as_ck.pt"));
  resume_with(bytes_of(path("rule_as_ck.pt")));
  add("meta-train --config " + cfg + " --out " + path("x") + " --init " + path("missing.pt"));
  run_all();
}

TEST_F(FuzzInputs, CommandLineValues) {
  const std::string out = path("cli"), rule = path("rule.pt");
  mu::save_theta(mu::init_theta(0), rule);
  put(path("file"), "x");
  for (const std::string& a : std::vector<std::string>{
           "", "nosuchcommand", "--threads 0 info", "--threads -1 info", "--threads 100000 info", "--threads abc info",
           "--threads 1.5 info", "--threads info", "--nosuchflag info", "info --rule", "info --rule a b",
           "info --nosuch", "learn", "learn --out", "learn --rule " + rule + " --out " + out + " --arch 999999999x1",
           "learn --rule " + rule + " --out " + out + " --arch 4096x64 --batch 100000",
           "learn --rule " + rule + " --out " + out + " --arch 12x",
           "learn --rule " + rule + " --out " + out + " --arch x3", "learn --rule " + rule + " --out " + out + " --arch 0x3",
           "learn --rule " + rule + " --out " + out + " --arch 12,,4", "learn --rule " + rule + " --out " + out + " --arch -5",
           "learn --rule " + rule + " --out " + out + " --arch 12x65", "learn --rule " + rule + " --out " + out + " --batch 0",
           "learn --rule " + rule + " --out " + out + " --batch -3", "learn --rule " + rule + " --out " + out + " --batch abc",
           "learn --rule " + rule + " --out " + out + " --batch 99999999999999999999",
           "learn --rule " + rule + " --out " + out + " --steps -1", "learn --rule " + rule + " --out " + out + " --steps 1e99",
           "learn --rule " + rule + " --out " + out + " --every 0", "learn --rule " + rule + " --out " + out + " --activation nope",
           "learn --rule " + rule + " --out " + out + " --data nosuchset", "learn --rule " + rule + " --out " + out + " --resolution -2",
           "learn --rule " + rule + " --out " + out + " --resolution 100000 --data mnist",
"learn --rule " + rule + " --out " + path("file") + "/sub",
           "trace --out " + out + " --rule " + rule + " --arch 999999999x1", "trace --out " + out + " --rule " + rule + " --batch 1",
           "trace --out " + out + " --rule " + rule + " --batch 100000000000", "trace --out " + out + " --rule " + rule + " --input 0",
           "trace --out " + out + " --rule " + rule + " --input 9999999999", "trace --out " + out + " --rule " + rule + " --arch 1,2,x",
           "meta-train --out " + out + " --steps -5", "meta-train --out " + out + " --steps abc",
           "meta-train --out " + out + " --workers 0", "meta-train --out " + out + " --workers 100000",
           "meta-train --out " + out + " --device gpu", "meta-train --config tiny", "meta-train --out " + out + " --config",
           "meta-train --out " + out + " --arch 999999999x1", "--threads 100000 meta-train --out " + out,
           "data", "data nosuch", "data show", "data show nosuchset --out " + path("g.png"),
           "data show moons --out " + dir_, "data show moons --out " + path("g.png") + " --per-class 0",
           "data show moons --out " + path("g.png") + " --max-classes -1", "data show moons --out " + path("g.png") + " --resolution -1",
           "data fetch nosuchset", "data fetch", "embed --model " + path("missing.pt") + " --data moons --out " + path("e.npy"),
           "embed --model " + rule + " --data moons --out " + path("e.npy"), "embed --model " + path("file") + " --data moons --out " + path("e.npy"),
           "export --run " + path("norun") + " --out " + path("r.pt"), "export --run " + dir_ + " --out " + path("r.pt"),
           "average --rules " + rule + " --out " + path("r.pt") + " --weights 2",
           "average --rules " + rule + "," + path("missing.pt") + " --out " + path("r.pt"),
           "noise-scale --tasks 1", "noise-scale --tasks 5 --workers 0", "noise-scale --config nosuch",
           "validate --config nosuch", "validate --rules " + path("missing.pt"), "validate --tasks 0",
           "validate --arch 999999999x1 --rules " + rule, "bench --arch 999999999x1", "bench --reps 0", "bench --arch 12x",
           "bench --workers 0", "bench --device gpu",
           "experiment nosuchstudy"})
    add(a);
  run_all();
}
