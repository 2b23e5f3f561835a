#pragma once
// The text domain, encoded like the paper's IMDB set: a vocabulary of the most frequent training words
// plus start / end / unknown tokens, and a binary presence vector per document.
#include <cstdint>
#include <string>
#include <vector>

#include "common/torch.h"

namespace mu::data {

// RFC-822 mail -> body text: headers (to the first blank line) dropped, since they give the label away;
// quoted-printable decoded when the headers say so; HTML tags and entities replaced by spaces.
std::string mail_body(const std::string& raw);
// Lower-case runs of ASCII letters of length 2..20; runs longer, or mixed with digits (ids, base64), dropped.
std::vector<std::string> tokenize(const std::string& text);

struct Vocab {
  static constexpr int64_t kStart = 0, kEnd = 1, kUnknown = 2, kFirstWord = 3;
  std::vector<std::string> words;  // most frequent first; feature index = kFirstWord + rank
  int64_t dim() const { return kFirstWord + static_cast<int64_t>(words.size()); }
};
// The `size` words in most documents (ties broken alphabetically), counted over `docs` only.
Vocab build_vocab(const std::vector<std::vector<std::string>>& docs, int64_t size);
// (n, vocab.dim()) u8: 1 where the token occurs; start and end always 1; unknown when any word is
// outside the vocabulary.
at::Tensor encode_presence(const std::vector<std::vector<std::string>>& docs, const Vocab& vocab);

}  // namespace mu::data
