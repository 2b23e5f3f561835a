// Fashion-MNIST from Debian's dataset-fashion-mnist: gzipped IDX, standard 60k/10k splits, 28x28 u8.
#include <cstdint>
#include <fmt/format.h>

#include "common/error.h"
#include "data/idx.h"
#include "data/loaders.h"
#include "data/prep.h"
#include "data/store.h"

namespace mu::data {
namespace {
const char* kPkg = "dataset-fashion-mnist";
const std::vector<std::string> kClasses = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                           "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
std::string file(const std::string& f) { return deb_dir(kPkg) + "/usr/share/datasets/fashion-mnist/" + f; }

// Images (n, 28, 28) u8 and labels (n) u8, checked against each other and the expected count.
std::pair<at::Tensor, at::Tensor> read_part(const std::string& prefix, int64_t expect) {
  std::string fi = file(prefix + "-images-idx3-ubyte.gz"), fl = file(prefix + "-labels-idx1-ubyte.gz");
  at::Tensor im = read_idx(fi), lb = read_idx(fl);
  MU_CHECK(im.scalar_type() == at::kByte && im.dim() == 3 && im.size(1) == 28 && im.size(2) == 28,
           fi + ": expected u8 images of 28x28");
  MU_CHECK(lb.scalar_type() == at::kByte && lb.dim() == 1, fl + ": expected a u8 label vector");
  MU_CHECK(im.size(0) == lb.size(0),
           fmt::format("{} has {} images but {} has {} labels", fi, im.size(0), fl, lb.size(0)));
  MU_CHECK(im.size(0) == expect, fmt::format("{}: {} images, expected {}", fi, im.size(0), expect));
  MU_CHECK(lb.max().item<int64_t>() < 10, fl + ": label above 9");
  return {im, lb};
}
}  // namespace

bool fashion_mnist_fetched() { return is_complete(deb_dir(kPkg)); }

void fetch_fashion_mnist(std::ostream& log) {
  fetch_deb(kPkg, log);
  auto [tr, ltr] = read_part("train", 60000);
  auto [te, lte] = read_part("t10k", 10000);
  at::Tensor ctr = at::bincount(ltr.to(at::kLong)), cte = at::bincount(lte.to(at::kLong));
  MU_CHECK(ctr.eq(6000).all().item<bool>() && cte.eq(1000).all().item<bool>(),
           "fashion-mnist: classes are not 6000/1000 each; the package looks damaged, delete " + deb_dir(kPkg));
  log << fmt::format("fashion-mnist: verified train {}x{}x{}, test {}x{}x{}, 10 classes of 6000/1000\n",
                     tr.size(0), tr.size(1), tr.size(2), te.size(0), te.size(1), te.size(2));
}

Split load_fashion_mnist(const LoadOptions& opt) {
  MU_CHECK(fashion_mnist_fetched(), not_fetched("fashion-mnist"));
  Resize mode = parse_resize(opt.resize);
  auto [tr, ltr] = read_part("train", 60000);
  auto [te, lte] = read_part("t10k", 10000);
  return {image_dataset("fashion-mnist", tr, ltr, kClasses, opt.resolution, mode),
          image_dataset("fashion-mnist", te, lte, kClasses, opt.resolution, mode)};
}

}  // namespace mu::data
