#include "bridge/core/error.h"

namespace nhb {

const char* errorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::BadInput: return "bad input";
    case ErrorKind::Unsupported: return "unsupported";
    case ErrorKind::Io: return "i/o error";
    case ErrorKind::Internal: return "internal error";
  }
  return "error";
}

int exitCodeFor(ErrorKind kind) { return kind == ErrorKind::Internal ? 3 : 2; }

}  // namespace nhb
