// Parameter-name patterns as Megatron-Bridge writes them (megatron-bridge-conversion.md §2.1):
// `*` captures one or more digits, `**` captures any characters (dots included), everything else
// is literal. Filling substitutes captures left to right: every `**` first, then every `*`.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nhb::mapping {

using Captures = std::vector<std::string>;

class NamePattern {
 public:
  NamePattern() = default;
  explicit NamePattern(std::string pattern);

  const std::string& text() const { return text_; }
  bool hasWildcards() const { return wildcardCount_ > 0; }
  int wildcardCount() const { return wildcardCount_; }

  // Captures in the order the wildcards appear in the pattern; nullopt when `name` does not match
  // the whole pattern.
  std::optional<Captures> match(std::string_view name) const;

  // Replaces every `**` with successive captures, then every `*` with the following ones (the
  // reference `_replace_wildcards`); wildcards left over when captures run out stay as they are.
  std::string fill(const Captures& captures) const;

 private:
  enum class TokenKind { Literal, Digits, Any };
  struct Token {
    TokenKind kind;
    std::string literal;
  };
  bool matchFrom(std::size_t token, std::string_view rest, Captures& out) const;

  std::string text_;
  std::vector<Token> tokens_;
  int wildcardCount_ = 0;
};

}  // namespace nhb::mapping
