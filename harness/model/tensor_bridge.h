// Bridges the bridge/ world (raw bytes behind nhb::TensorView) into libtorch tensors, without
// copying where the bytes allow it.
#pragma once

#include <map>
#include <string>
#include <utility>

#include <ATen/ATen.h>

#include "bridge/core/error.h"
#include "bridge/core/tensor_view.h"

namespace nhb::harness {

// name -> tensor, ordered so that iteration (and every error about it) is deterministic.
using TensorMap = std::map<std::string, at::Tensor>;

// libtorch scalar type for a checkpoint dtype. Unsupported for types libtorch 1.13 lacks
// (U16, U32, U64, F8_E4M3, F8_E5M2).
at::ScalarType toTorchScalarType(DType dtype);

// A CPU tensor over the view's bytes. Zero-copy: the result aliases view.data, so the owner of
// those bytes must outlive it, and it must be treated as read-only (libtorch has no const
// tensors). Bytes not aligned to the element size are copied into an owned tensor instead.
// BadInput when nbytes disagrees with dtype x shape; Unsupported for dtypes libtorch lacks.
at::Tensor toTorch(const TensorView& view);

// Converts every (name, TensorView) pair of `views` (any range of pairs: std::map,
// std::vector<std::pair<...>>, ...); errors name `source` and the tensor.
template <class ViewRange>
TensorMap toTorchMap(const ViewRange& views, const std::string& source) {
  TensorMap tensors;
  for (const auto& [name, view] : views) {
    at::Tensor tensor = withContext(source + ": tensor " + std::string(name),
                                    [&] { return toTorch(view); });
    tensors.emplace(std::string(name), std::move(tensor));
  }
  return tensors;
}

// Converts every tensor of a source offering names() and view(name), such as
// io::SafetensorsCheckpoint (its views alias the mapped files, which must stay open).
template <class ViewSource>
TensorMap toTorchMapFromSource(const ViewSource& source, const std::string& sourceName) {
  TensorMap tensors;
  for (const auto& name : source.names()) {
    at::Tensor tensor = withContext(sourceName + ": tensor " + std::string(name),
                                    [&] { return toTorch(source.view(name)); });
    tensors.emplace(std::string(name), std::move(tensor));
  }
  return tensors;
}

}  // namespace nhb::harness
