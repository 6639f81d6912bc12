// One error type for the whole project: a kind (which the CLI maps to an exit code) and a
// message with a context chain, outermost first ("in shard X: tensor Y: offsets ...").
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

namespace nhb {

enum class ErrorKind {
  BadInput,      // malformed or inconsistent user input (files, flags); exit 2
  Unsupported,   // valid input we do not handle; exit 2
  Io,            // the operating system refused (open, write, rename, disk full); exit 2
  Internal,      // a bug in nhbridge; exit 3
};

const char* errorKindName(ErrorKind kind);
int exitCodeFor(ErrorKind kind);

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, std::string message)
      : std::runtime_error(message), kind_(kind), message_(std::move(message)) {}

  ErrorKind kind() const { return kind_; }
  const char* what() const noexcept override { return message_.c_str(); }

  // Returns a copy whose message is "context: <old message>".
  Error withContext(const std::string& context) const {
    return Error(kind_, context + ": " + message_);
  }

 private:
  ErrorKind kind_;
  std::string message_;
};

[[noreturn]] inline void fail(ErrorKind kind, std::string message) {
  throw Error(kind, std::move(message));
}
[[noreturn]] inline void badInput(std::string message) {
  throw Error(ErrorKind::BadInput, std::move(message));
}

// Runs fn(); an nhb::Error escaping it gets `context` prepended to its message.
template <class Fn>
decltype(auto) withContext(const std::string& context, Fn&& fn) {
  try {
    return fn();
  } catch (const Error& error) {
    throw error.withContext(context);
  }
}

}  // namespace nhb
