#include "data/text.h"

#include <cstdint>
#include <algorithm>
#include <cctype>
#include <unordered_map>
#include <unordered_set>

namespace mu::data {
namespace {
std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}
std::string decode_qp(const std::string& s) {
  std::string o;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '=') {
      o += s[i];
      continue;
    }
    if (i + 1 < s.size() && s[i + 1] == '\n') { ++i; continue; }  // soft line break
    if (i + 2 < s.size() && s[i + 1] == '\r' && s[i + 2] == '\n') { i += 2; continue; }
    if (i + 2 < s.size() && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
      o += static_cast<char>(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
      i += 2;
      continue;
    }
    o += '=';
  }
  return o;
}
}  // namespace

std::string mail_body(const std::string& raw) {
  size_t cut = raw.find("\n\n"), cut_r = raw.find("\r\n\r\n");
  size_t start = std::string::npos;
  if (cut != std::string::npos) start = cut + 2;
  if (cut_r != std::string::npos && (start == std::string::npos || cut_r + 4 < start)) start = cut_r + 4;
  std::string headers = lower(raw.substr(0, start == std::string::npos ? raw.size() : start));
  std::string body = start == std::string::npos ? "" : raw.substr(start);
  if (headers.find("quoted-printable") != std::string::npos) body = decode_qp(body);
  // HTML: tags, comments and entities become spaces.
  std::string o;
  o.reserve(body.size());
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c == '<') {
      size_t e = body.find('>', i);
      if (e != std::string::npos && e - i < 2000) {
        o += ' ';
        i = e;
        continue;
      }
    }
    if (c == '&') {
      size_t e = i + 1;
      while (e < body.size() && e - i < 10 && (std::isalnum(static_cast<unsigned char>(body[e])) || body[e] == '#')) ++e;
      if (e < body.size() && body[e] == ';' && e > i + 1) {
        o += ' ';
        i = e;
        continue;
      }
    }
    o += c;
  }
  return o;
}

std::vector<std::string> tokenize(const std::string& text) {
  std::vector<std::string> t;
  std::string cur;
  bool mixed = false;  // the run touched a digit: an id or base64, not a word
  auto flush = [&] {
    if (!mixed && cur.size() >= 2 && cur.size() <= 20) t.push_back(cur);
    cur.clear();
    mixed = false;
  };
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 128 && std::isalpha(u)) cur += static_cast<char>(std::tolower(u));
    else if (u < 128 && std::isdigit(u)) mixed = true;
    else flush();
  }
  flush();
  return t;
}

Vocab build_vocab(const std::vector<std::vector<std::string>>& docs, int64_t size) {
  std::unordered_map<std::string, int64_t> df;
  for (const auto& d : docs) {
    std::unordered_set<std::string> seen(d.begin(), d.end());
    for (const auto& w : seen) df[w]++;
  }
  std::vector<std::pair<std::string, int64_t>> v(df.begin(), df.end());
  std::sort(v.begin(), v.end(), [](auto& a, auto& b) { return a.second != b.second ? a.second > b.second : a.first < b.first; });
  Vocab voc;
  for (int64_t i = 0; i < size && i < static_cast<int64_t>(v.size()); ++i) voc.words.push_back(v[i].first);
  return voc;
}

at::Tensor encode_presence(const std::vector<std::vector<std::string>>& docs, const Vocab& vocab) {
  std::unordered_map<std::string, int64_t> index;
  for (size_t i = 0; i < vocab.words.size(); ++i) index[vocab.words[i]] = Vocab::kFirstWord + i;
  int64_t n = docs.size();
  at::Tensor x = at::zeros({n, vocab.dim()}, at::kByte);
  auto a = x.accessor<uint8_t, 2>();
  for (int64_t i = 0; i < n; ++i) {
    a[i][Vocab::kStart] = a[i][Vocab::kEnd] = 1;
    for (const auto& w : docs[i]) {
      auto it = index.find(w);
      a[i][it == index.end() ? Vocab::kUnknown : it->second] = 1;
    }
  }
  return x;
}

}  // namespace mu::data
