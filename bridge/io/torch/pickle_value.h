// The value tree a pickle decodes to, without executing anything: Python's plain data (None,
// bool, int, float, str, bytes, tuple, list, dict), references to allow-listed globals, opaque
// objects (a class or reduce function with its arguments and BUILD state, e.g.
// argparse.Namespace), torch storages (persistent ids) and tensors rebuilt by
// torch._utils._rebuild_tensor_v2 (still references into a storage, not bytes).
//
// Nodes live in a PickleDocument arena and point at each other, which models the pickle memo
// (one object referenced from several places) without reference counting or cycles leaking.
// The same tree is what pickle_writer encodes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "bridge/core/dtype.h"
#include "bridge/core/tensor_view.h"

namespace nhb::io {

enum class PickleKind : uint8_t {
  None, Bool, Int, BigInt, Float, String, Bytes, Tuple, List, Dict, Global, Object, Storage, Tensor,
};

const char* pickleKindName(PickleKind kind);  // "None", "int", "str", "tuple", ...

struct PickleGlobalName {
  std::string module;
  std::string name;
  std::string qualified() const { return module + "." + name; }  // "collections.OrderedDict"
};

// A torch storage named by a persistent id ('storage', torch.FloatStorage, key, location, numel):
// its bytes are the archive record "<archive>/data/<key>".
struct PickleStorageRef {
  std::string key;
  DType dtype = DType::U8;
  std::string location;  // "cpu", "cuda:0", ...
  int64_t numel = 0;      // elements of dtype
};

class PickleValue;

// torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, hooks).
struct PickleTensorRef {
  const PickleValue* storage = nullptr;  // kind Storage
  int64_t storageOffset = 0;              // in elements
  Shape shape;
  std::vector<int64_t> stride;            // in elements
  bool requiresGrad = false;
};

class PickleValue {
 public:
  explicit PickleValue(PickleKind kind) : kind(kind) {}

  PickleKind kind;
  bool boolean = false;
  int64_t integer = 0;
  double real = 0.0;
  std::string text;                  // String (UTF-8), Bytes, BigInt (little-endian two's complement)
  std::vector<PickleValue*> items;   // Tuple, List; Object: constructor / reduce arguments
  std::vector<std::pair<PickleValue*, PickleValue*>> entries;  // Dict (in insertion order)
  bool ordered = false;              // Dict: a collections.OrderedDict rather than a plain dict
  PickleGlobalName global;           // Global; Object: the class or reduce function
  PickleValue* state = nullptr;      // Object: the BUILD state (nullptr when none)
  PickleStorageRef storage;          // Storage
  PickleTensorRef tensor;            // Tensor

  bool is(PickleKind k) const { return kind == k; }
  bool isObjectOf(std::string_view qualifiedName) const;
  // Dict: the value under a string key; Object with a dict state (argparse.Namespace): the
  // attribute. nullptr when absent or when this is neither.
  const PickleValue* find(std::string_view key) const;
  // "int", "str", "OrderedDict"... and for objects/globals their qualified name; for messages.
  std::string describe() const;
};

class PickleDocument {
 public:
  PickleDocument() = default;
  PickleDocument(PickleDocument&&) = default;
  PickleDocument& operator=(PickleDocument&&) = default;
  PickleDocument(const PickleDocument&) = delete;
  PickleDocument& operator=(const PickleDocument&) = delete;

  PickleValue* make(PickleKind kind);
  PickleValue* makeNone() { return make(PickleKind::None); }
  PickleValue* makeBool(bool value);
  PickleValue* makeInt(int64_t value);
  PickleValue* makeFloat(double value);
  PickleValue* makeString(std::string value);
  PickleValue* makeBytes(std::string value);
  PickleValue* makeTuple(std::vector<PickleValue*> items = {});
  PickleValue* makeList(std::vector<PickleValue*> items = {});
  PickleValue* makeDict(bool ordered = false);  // add with entries.emplace_back(key, value)
  PickleValue* makeGlobal(std::string module, std::string name);
  PickleValue* makeObject(PickleGlobalName type, PickleValue* args, PickleValue* state = nullptr);
  PickleValue* makeStorage(PickleStorageRef ref);
  PickleValue* makeTensor(PickleTensorRef ref);

  const PickleValue* root() const { return root_; }
  PickleValue* mutableRoot() { return root_; }
  void setRoot(PickleValue* root) { root_ = root; }
  std::size_t nodeCount() const { return nodes_.size(); }
  template <class Fn>
  void forEachNode(Fn&& fn) const {
    for (const auto& node : nodes_) fn(static_cast<const PickleValue&>(*node));
  }

 private:
  std::vector<std::unique_ptr<PickleValue>> nodes_;
  PickleValue* root_ = nullptr;
};

// JSON rendering for args and diagnostics: None -> null, bool, int, float (nan/inf as strings),
// str -> string, bytes -> "<N bytes>", tuple/list -> array, dict with string keys -> object (other
// keys: array of [key, value]), argparse.Namespace -> object of its attributes, a global ->
// "module.name" (so torch.bfloat16 -> "torch.bfloat16"), tensors -> "<tensor bf16 [2, 3]>", other
// objects -> "<module.Class>". BadInput past `maxDepth` nesting (cyclic or hostile pickles).
nlohmann::ordered_json pickleToJson(const PickleValue& value, int maxDepth = 64);

// The inverse for args: null, bool, integers, floats, strings, arrays (-> list), objects (-> dict
// with string keys). A string naming a torch dtype ("torch.bfloat16") becomes that dtype global,
// so args such as params_dtype survive a round trip.
PickleValue* jsonToPickle(PickleDocument& doc, const nlohmann::ordered_json& json, int maxDepth = 64);

// "torch.bfloat16", "torch.float32", ... the dtype globals torch pickles by name.
bool isTorchDtypeGlobal(const PickleGlobalName& name);

}  // namespace nhb::io
