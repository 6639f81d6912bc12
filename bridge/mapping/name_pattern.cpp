#include "bridge/mapping/name_pattern.h"

#include <cctype>

namespace nhb::mapping {

NamePattern::NamePattern(std::string pattern) : text_(std::move(pattern)) {
  std::string literal;
  auto flushLiteral = [&] {
    if (!literal.empty()) tokens_.push_back({TokenKind::Literal, std::move(literal)});
    literal.clear();
  };
  for (std::size_t i = 0; i < text_.size(); ++i) {
    if (text_[i] != '*') {
      literal += text_[i];
      continue;
    }
    flushLiteral();
    bool doubleStar = i + 1 < text_.size() && text_[i + 1] == '*';
    tokens_.push_back({doubleStar ? TokenKind::Any : TokenKind::Digits, {}});
    ++wildcardCount_;
    if (doubleStar) ++i;
  }
  flushLiteral();
}

std::optional<Captures> NamePattern::match(std::string_view name) const {
  Captures captures;
  if (!matchFrom(0, name, captures)) return std::nullopt;
  return captures;
}

// Backtracking matcher, greedy like the reference regex `(\d+)` / `(.*)`.
bool NamePattern::matchFrom(std::size_t token, std::string_view rest, Captures& out) const {
  if (token == tokens_.size()) return rest.empty();
  const Token& current = tokens_[token];
  switch (current.kind) {
    case TokenKind::Literal:
      if (rest.substr(0, current.literal.size()) != current.literal) return false;
      return matchFrom(token + 1, rest.substr(current.literal.size()), out);
    case TokenKind::Digits: {
      std::size_t digits = 0;
      while (digits < rest.size() && std::isdigit(static_cast<unsigned char>(rest[digits]))) ++digits;
      for (std::size_t take = digits; take >= 1; --take) {
        out.emplace_back(rest.substr(0, take));
        if (matchFrom(token + 1, rest.substr(take), out)) return true;
        out.pop_back();
      }
      return false;
    }
    case TokenKind::Any:
      for (std::size_t take = rest.size() + 1; take-- > 0;) {
        out.emplace_back(rest.substr(0, take));
        if (matchFrom(token + 1, rest.substr(take), out)) return true;
        out.pop_back();
      }
      return false;
  }
  return false;
}

std::string NamePattern::fill(const Captures& captures) const {
  // Two passes over the tokens: `**` consume captures first, then `*`.
  std::vector<const std::string*> assigned(tokens_.size(), nullptr);
  std::size_t next = 0;
  for (TokenKind pass : {TokenKind::Any, TokenKind::Digits}) {
    for (std::size_t i = 0; i < tokens_.size(); ++i) {
      if (tokens_[i].kind == pass && next < captures.size()) assigned[i] = &captures[next++];
    }
  }
  std::string out;
  for (std::size_t i = 0; i < tokens_.size(); ++i) {
    const Token& token = tokens_[i];
    if (token.kind == TokenKind::Literal) {
      out += token.literal;
    } else if (assigned[i] != nullptr) {
      out += *assigned[i];
    } else {
      out += token.kind == TokenKind::Any ? "**" : "*";
    }
  }
  return out;
}

}  // namespace nhb::mapping
