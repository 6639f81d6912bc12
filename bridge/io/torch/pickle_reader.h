// A pickle decoder that never executes anything: it runs the pickle machine over a value tree
// (pickle_value.h), accepts only allow-listed globals (plain containers, torch tensor/storage
// rebuild functions, argparse.Namespace, torch dtypes, numpy/Megatron data classes kept as
// opaque objects) and interprets the handful of reduce calls torch.save relies on:
// collections.OrderedDict, torch._utils._rebuild_tensor_v2 / _rebuild_parameter, torch.Size,
// _codecs.encode (protocol-2 bytes). Persistent ids ('storage', torch.XStorage, key, location,
// numel) become Storage nodes, shared by key. Protocols 0-5 opcodes except the ones that need
// code or out-of-band buffers (INST, OBJ, EXT*, NEXT_BUFFER).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/io/torch/pickle_value.h"

namespace nhb::io {

struct PickleReadLimits {
  std::size_t maxMemoEntries = 1u << 22;
  std::size_t maxStackDepth = 1u << 22;   // values on the stack (marks included)
  std::size_t maxMarkDepth = 1u << 12;    // nested MARKs
  std::size_t maxNodes = 1u << 23;         // decoded values (about 300 bytes each)
  std::size_t maxStringBytes = 1u << 30;  // one str/bytes object
};

struct PickleReadOptions {
  std::string source = "pickle";  // named in every error: "<file> (archive/data.pkl)"
  PickleReadLimits limits;
  std::vector<std::string> extraAllowedGlobals;  // "module.name", kept as opaque objects
};

// BadInput naming options.source and the byte offset for: a non-allowed global, an unknown or
// unsupported opcode, truncated input, stack/memo misuse, a malformed persistent id or tensor
// rebuild call, any exceeded limit.
PickleDocument readPickle(std::string_view bytes, const PickleReadOptions& options = {});

// Whether readPickle accepts a global (module spelled as in Python 3; "__builtin__" and
// "copy_reg" are mapped first).
bool isAllowedPickleGlobal(std::string_view module, std::string_view name,
                           const std::vector<std::string>& extraAllowed = {});

}  // namespace nhb::io
