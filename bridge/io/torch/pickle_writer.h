// Encodes a pickle value tree (pickle_value.h) as protocol 2, the way torch.save's pickler writes
// it: OrderedDicts as collections.OrderedDict() + SETITEMS, argparse.Namespace as NEWOBJ + BUILD,
// bytes as _codecs.encode(str, 'latin1'), storages as BINPERSID ('storage', torch.XStorage, key,
// location, numel), tensors as torch._utils._rebuild_tensor_v2(...). No memo is written: every
// reference is encoded in full (storages are shared through their keys, as torch does).
#pragma once

#include <string>

#include "bridge/io/torch/pickle_value.h"

namespace nhb::io {

// Internal error past `maxDepth` nesting (a cyclic tree); BadInput for values protocol 2 cannot
// express (an object without a class name).
std::string writePickle(const PickleValue& root, int maxDepth = 256);

}  // namespace nhb::io
