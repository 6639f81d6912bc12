#include "bridge/io/torch/pickle_reader.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unordered_map>

#include "bridge/core/error.h"

namespace nhb::io {
namespace {

// Globals whose reduce/newobj results we keep as opaque objects or interpret (below).
constexpr std::string_view kAllowedGlobals[] = {
    "collections.OrderedDict",
    "torch._utils._rebuild_tensor_v2",
    "torch._utils._rebuild_parameter",
    "torch._utils._rebuild_parameter_with_state",
    "torch._tensor._rebuild_from_type_v2",  // tensors with Python attributes (torch >= 2)
    "torch.Tensor",
    "torch.nn.parameter.Parameter",
    "torch.UntypedStorage",
    "torch.storage.UntypedStorage",
    "torch.Size",
    "torch.device",
    "argparse.Namespace",
    "_codecs.encode",
    "builtins.bytes",
    "builtins.bytearray",
    "builtins.set",
    "builtins.frozenset",
    "builtins.object",
    "builtins.complex",
    "builtins.slice",
    "copyreg._reconstructor",
    "_io.BytesIO",  // TransformerEngine < 1.x _extra_state
    "io.BytesIO",
    "pathlib.PosixPath",
    // numpy state in Megatron's rng_state (kept opaque)
    "numpy.core.multiarray._reconstruct",
    "numpy.core.multiarray.scalar",
    "numpy._core.multiarray._reconstruct",
    "numpy._core.multiarray.scalar",
    "numpy.ndarray",
    "numpy.dtype",
};
// Megatron's enum classes in args / rerun state (Megatron registers them as torch safe globals).
constexpr std::string_view kAllowedModulePrefixes[] = {"megatron.core.", "megatron.training."};

std::string normalizedModule(std::string_view module) {
  if (module == "__builtin__") return "builtins";
  if (module == "copy_reg") return "copyreg";
  return std::string(module);
}

std::string hexByte(unsigned char b) {
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, "0x%02x", b);
  return buffer;
}

class PickleMachine {
 public:
  PickleMachine(std::string_view bytes, const PickleReadOptions& options)
      : in_(bytes), options_(options) {}

  PickleDocument run();

 private:
  [[noreturn]] void bad(const std::string& what) const {
    badInput("pickle in " + options_.source + ": at byte " + std::to_string(opOffset_) + ": " + what);
  }

  // ---- input
  void need(std::size_t n) const {
    if (in_.size() - pos_ < n) bad("input ends inside an opcode argument (truncated pickle)");
  }
  unsigned char byte() {
    need(1);
    return static_cast<unsigned char>(in_[pos_++]);
  }
  uint64_t littleEndian(std::size_t n) {
    need(n);
    uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v |= uint64_t{static_cast<unsigned char>(in_[pos_ + i])} << (8 * i);
    pos_ += n;
    return v;
  }
  std::string_view take(uint64_t n, const char* what) {
    if (n > options_.limits.maxStringBytes)
      bad(std::string(what) + " of " + std::to_string(n) + " bytes exceeds the limit of " +
          std::to_string(options_.limits.maxStringBytes));
    need(static_cast<std::size_t>(n));
    std::string_view out = in_.substr(pos_, static_cast<std::size_t>(n));
    pos_ += static_cast<std::size_t>(n);
    return out;
  }
  std::string_view line() {
    const std::size_t end = in_.find('\n', pos_);
    if (end == std::string_view::npos) bad("input ends inside a text argument (truncated pickle)");
    std::string_view out = in_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return out;
  }

  // ---- stack
  PickleValue* make(PickleKind kind) {
    if (doc_.nodeCount() >= options_.limits.maxNodes)
      bad("more than " + std::to_string(options_.limits.maxNodes) + " values");
    return doc_.make(kind);
  }
  void push(PickleValue* v) {
    if (stack_.size() >= options_.limits.maxStackDepth)
      bad("stack deeper than " + std::to_string(options_.limits.maxStackDepth));
    stack_.push_back(v);
  }
  PickleValue* pop() {
    if (stack_.size() <= markBase()) bad("stack underflow");
    PickleValue* v = stack_.back();
    stack_.pop_back();
    return v;
  }
  PickleValue* top() {
    if (stack_.size() <= markBase()) bad("stack underflow");
    return stack_.back();
  }
  std::size_t markBase() const { return marks_.empty() ? 0 : marks_.back(); }
  std::vector<PickleValue*> popToMark() {
    if (marks_.empty()) bad("opcode needs a MARK but there is none");
    const std::size_t base = marks_.back();
    marks_.pop_back();
    std::vector<PickleValue*> items(stack_.begin() + static_cast<std::ptrdiff_t>(base), stack_.end());
    stack_.resize(base);
    return items;
  }

  // ---- memo
  void memoPut(uint64_t index) {
    PickleValue* v = top();
    if (index >= options_.limits.maxMemoEntries)
      bad("memo index " + std::to_string(index) + " exceeds the limit of " +
          std::to_string(options_.limits.maxMemoEntries));
    memo_[index] = v;
  }
  void memoGet(uint64_t index) {
    auto it = memo_.find(index);
    if (it == memo_.end()) bad("memo index " + std::to_string(index) + " was never stored");
    push(it->second);
  }

  // ---- values
  PickleValue* makeInt(int64_t v) {
    PickleValue* out = make(PickleKind::Int);
    out->integer = v;
    return out;
  }
  PickleValue* makeText(PickleKind kind, std::string_view text) {
    PickleValue* out = make(kind);
    out->text.assign(text.data(), text.size());
    return out;
  }
  PickleValue* makeLong(std::string_view bytes);
  PickleValue* makeGlobal(std::string_view module, std::string_view name);
  PickleValue* persistentLoad(PickleValue* pid);
  PickleValue* reduce(PickleValue* callable, PickleValue* args);
  PickleValue* rebuildTensor(const PickleValue& args);
  void build(PickleValue* target, PickleValue* state);
  void setItems(PickleValue* target, const std::vector<PickleValue*>& items);
  void appendItems(PickleValue* target, const std::vector<PickleValue*>& items);
  int64_t intArg(const PickleValue& v, const char* what) const {
    if (v.kind == PickleKind::Int) return v.integer;
    if (v.kind == PickleKind::Bool) return v.boolean ? 1 : 0;
    bad(std::string(what) + " must be an int, got " + v.describe());
  }
  std::vector<int64_t> intTuple(const PickleValue& v, const char* what) const {
    if (v.kind != PickleKind::Tuple && v.kind != PickleKind::List)
      bad(std::string(what) + " must be a tuple of ints, got " + v.describe());
    std::vector<int64_t> out;
    for (const PickleValue* item : v.items) out.push_back(intArg(*item, what));
    return out;
  }

  std::string_view in_;
  const PickleReadOptions& options_;
  std::size_t pos_ = 0;
  std::size_t opOffset_ = 0;
  PickleDocument doc_;
  std::vector<PickleValue*> stack_;
  std::vector<std::size_t> marks_;
  std::unordered_map<uint64_t, PickleValue*> memo_;
  std::unordered_map<std::string, PickleValue*> storages_;
};

PickleValue* PickleMachine::makeLong(std::string_view bytes) {
  // Little-endian two's complement; shrink to int64 when it fits.
  std::size_t n = bytes.size();
  if (n == 0) return makeInt(0);
  const bool negative = static_cast<unsigned char>(bytes[n - 1]) & 0x80;
  const unsigned char fillByte = negative ? 0xFF : 0x00;
  while (n > 1 && static_cast<unsigned char>(bytes[n - 1]) == fillByte &&
         ((static_cast<unsigned char>(bytes[n - 2]) & 0x80) != 0) == negative)
    --n;
  if (n <= 8) {
    uint64_t v = negative ? ~uint64_t{0} : 0;
    for (std::size_t i = 0; i < n; ++i) {
      v &= ~(uint64_t{0xFF} << (8 * i));
      v |= uint64_t{static_cast<unsigned char>(bytes[i])} << (8 * i);
    }
    return makeInt(static_cast<int64_t>(v));
  }
  return makeText(PickleKind::BigInt, bytes.substr(0, n));
}

PickleValue* PickleMachine::makeGlobal(std::string_view moduleIn, std::string_view name) {
  const std::string module = normalizedModule(moduleIn);
  if (!isAllowedPickleGlobal(module, name, options_.extraAllowedGlobals))
    bad("names global '" + module + "." + std::string(name) +
        "', which is not allowed (nhbridge never executes pickled code; only plain data, tensors "
        "and a few known classes are accepted)");
  PickleValue* v = make(PickleKind::Global);
  v->global = {module, std::string(name)};
  return v;
}

PickleValue* PickleMachine::persistentLoad(PickleValue* pid) {
  if (pid->kind != PickleKind::Tuple || pid->items.size() != 5 || pid->items[0]->kind != PickleKind::String ||
      pid->items[0]->text != "storage")
    bad("persistent id is not a ('storage', type, key, location, numel) tuple but " + pid->describe() +
        (pid->kind == PickleKind::Tuple ? " of " + std::to_string(pid->items.size()) + " items" : ""));
  const PickleValue& type = *pid->items[1];
  const PickleValue& key = *pid->items[2];
  const PickleValue& location = *pid->items[3];
  if (type.kind != PickleKind::Global) bad("storage type in a persistent id is a " + type.describe());
  if (key.kind != PickleKind::String) bad("storage key in a persistent id is a " + key.describe());
  if (location.kind != PickleKind::String) bad("storage location in a persistent id is a " + location.describe());
  PickleStorageRef ref;
  ref.key = key.text;
  ref.location = location.text;
  ref.numel = intArg(*pid->items[4], "storage size");
  if (ref.numel < 0) bad("storage '" + ref.key + "' has negative size " + std::to_string(ref.numel));
  if (type.global.name == "UntypedStorage") {
    ref.dtype = DType::U8;
  } else if (auto dtype = type.global.module == "torch" ? dtypeFromTorchStorageName(type.global.name) : std::nullopt) {
    ref.dtype = *dtype;
  } else {
    bad("storage '" + ref.key + "' has unsupported type " + type.global.qualified());
  }
  auto [it, inserted] = storages_.emplace(ref.key, nullptr);
  if (!inserted) {
    const PickleStorageRef& seen = it->second->storage;
    if (seen.dtype != ref.dtype || seen.numel != ref.numel)
      bad("storage '" + ref.key + "' is referenced as " + std::string(shortName(seen.dtype)) + " x" +
          std::to_string(seen.numel) + " and as " + std::string(shortName(ref.dtype)) + " x" +
          std::to_string(ref.numel));
    return it->second;
  }
  PickleValue* v = make(PickleKind::Storage);
  v->storage = std::move(ref);
  it->second = v;
  return v;
}

PickleValue* PickleMachine::rebuildTensor(const PickleValue& args) {
  if (args.items.size() < 4)
    bad("_rebuild_tensor_v2 called with " + std::to_string(args.items.size()) + " arguments, expected at least 4");
  const PickleValue* storage = args.items[0];
  if (storage->kind != PickleKind::Storage)
    bad("_rebuild_tensor_v2's first argument is a " + storage->describe() + ", not a storage");
  PickleTensorRef ref;
  ref.storage = storage;
  ref.storageOffset = intArg(*args.items[1], "tensor storage offset");
  ref.shape = intTuple(*args.items[2], "tensor size");
  ref.stride = intTuple(*args.items[3], "tensor stride");
  if (ref.shape.size() != ref.stride.size())
    bad("tensor size " + shapeToString(ref.shape) + " and stride " + shapeToString(ref.stride) +
        " have different ranks");
  if (args.items.size() > 4) ref.requiresGrad = args.items[4]->kind == PickleKind::Bool && args.items[4]->boolean;
  PickleValue* v = make(PickleKind::Tensor);
  v->tensor = std::move(ref);
  return v;
}

PickleValue* PickleMachine::reduce(PickleValue* callable, PickleValue* args) {
  if (callable->kind != PickleKind::Global) bad("REDUCE calls a " + callable->describe() + ", not a global");
  if (args->kind != PickleKind::Tuple) bad("REDUCE arguments are a " + args->describe() + ", not a tuple");
  const std::string name = callable->global.qualified();
  const auto& a = args->items;
  if (name == "collections.OrderedDict") {
    PickleValue* dict = make(PickleKind::Dict);
    dict->ordered = true;
    if (!a.empty()) {
      if (a[0]->kind != PickleKind::List && a[0]->kind != PickleKind::Tuple)
        bad("OrderedDict() argument is a " + a[0]->describe());
      for (PickleValue* pair : a[0]->items) {
        if ((pair->kind != PickleKind::Tuple && pair->kind != PickleKind::List) || pair->items.size() != 2)
          bad("OrderedDict() item is not a (key, value) pair");
        dict->entries.emplace_back(pair->items[0], pair->items[1]);
      }
    }
    return dict;
  }
  if (name == "torch._utils._rebuild_tensor_v2") return rebuildTensor(*args);
  if (name == "torch._utils._rebuild_parameter" || name == "torch._utils._rebuild_parameter_with_state") {
    if (a.empty() || a[0]->kind != PickleKind::Tensor) bad(name + "'s first argument is not a tensor");
    if (a.size() > 1 && a[1]->kind == PickleKind::Bool) a[0]->tensor.requiresGrad = a[1]->boolean;
    return a[0];
  }
  if (name == "torch._tensor._rebuild_from_type_v2") {
    // (func, type, args, state): the tensor is func(*args); type and Python attributes are dropped.
    if (a.size() < 3 || a[0]->kind != PickleKind::Global || a[2]->kind != PickleKind::Tuple)
      bad("_rebuild_from_type_v2 expects (function, type, args, state)");
    if (a[0]->global.qualified() == name) bad("_rebuild_from_type_v2 cannot rebuild through itself");
    PickleValue* rebuilt = reduce(a[0], a[2]);
    if (rebuilt->kind != PickleKind::Tensor) bad("_rebuild_from_type_v2 did not produce a tensor");
    return rebuilt;
  }
  if (name == "torch.Size") {
    PickleValue* tuple = make(PickleKind::Tuple);
    if (!a.empty()) {
      if (a[0]->kind != PickleKind::Tuple && a[0]->kind != PickleKind::List) bad("torch.Size() argument is a " + a[0]->describe());
      tuple->items = a[0]->items;
    }
    return tuple;
  }
  if (name == "_codecs.encode") {
    if (a.empty() || a[0]->kind != PickleKind::String) bad("_codecs.encode() without a str argument");
    const std::string encoding = a.size() > 1 && a[1]->kind == PickleKind::String ? a[1]->text : "utf-8";
    PickleValue* bytes = make(PickleKind::Bytes);
    if (encoding == "latin1" || encoding == "latin-1" || encoding == "iso-8859-1") {
      // Each code point (< 256) is one byte; the str is UTF-8 here.
      const std::string& s = a[0]->text;
      for (std::size_t i = 0; i < s.size(); ++i) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
          bytes->text.push_back(static_cast<char>(c));
        } else if ((c & 0xE0) == 0xC0 && i + 1 < s.size() && c <= 0xC3) {
          bytes->text.push_back(static_cast<char>(((c & 0x1F) << 6) | (static_cast<unsigned char>(s[++i]) & 0x3F)));
        } else {
          bad("_codecs.encode(..., 'latin1') of a str with a code point above 255");
        }
      }
    } else if (encoding == "utf-8" || encoding == "utf8") {
      bytes->text = a[0]->text;
    } else {
      bad("_codecs.encode() with unsupported encoding '" + encoding + "'");
    }
    return bytes;
  }
  if (name == "builtins.bytes" || name == "builtins.bytearray") {
    PickleValue* bytes = make(PickleKind::Bytes);
    if (!a.empty()) {
      if (a[0]->kind == PickleKind::Bytes) {
        bytes->text = a[0]->text;
      } else if (a[0]->kind == PickleKind::List) {
        for (const PickleValue* item : a[0]->items) bytes->text.push_back(static_cast<char>(intArg(*item, "bytes item")));
      } else {
        bad(name + "() argument is a " + a[0]->describe());
      }
    }
    return bytes;
  }
  if (name == "builtins.set" || name == "builtins.frozenset") {
    PickleValue* list = make(name == "builtins.set" ? PickleKind::List : PickleKind::Tuple);
    if (!a.empty()) list->items = a[0]->items;
    return list;
  }
  if (name == "copyreg._reconstructor") {
    if (a.empty() || a[0]->kind != PickleKind::Global) bad("copyreg._reconstructor() without a class");
    PickleValue* object = make(PickleKind::Object);
    object->global = a[0]->global;
    if (a.size() > 2 && a[2]->kind != PickleKind::None) object->state = a[2];
    return object;
  }
  PickleValue* object = make(PickleKind::Object);  // kept opaque, never called
  object->global = callable->global;
  object->items = a;
  return object;
}

void PickleMachine::build(PickleValue* target, PickleValue* state) {
  switch (target->kind) {
    case PickleKind::Object:
      if (target->state && target->state->kind == PickleKind::Dict && state->kind == PickleKind::Dict) {
        for (auto& entry : state->entries) target->state->entries.push_back(entry);
      } else {
        target->state = state;
      }
      return;
    case PickleKind::Dict:    // OrderedDict subclasses (attributes), nothing we need
    case PickleKind::Tensor:  // parameter/tensor Python attributes
    case PickleKind::List:
      return;
    default: bad("BUILD on a " + target->describe());
  }
}

void PickleMachine::setItems(PickleValue* target, const std::vector<PickleValue*>& items) {
  if (items.size() % 2) bad("SETITEMS with an odd number of values");
  if (target->kind != PickleKind::Dict && target->kind != PickleKind::Object)
    bad("SETITEM(S) on a " + target->describe());
  for (std::size_t i = 0; i < items.size(); i += 2) target->entries.emplace_back(items[i], items[i + 1]);
}

void PickleMachine::appendItems(PickleValue* target, const std::vector<PickleValue*>& items) {
  if (target->kind == PickleKind::List) {
    target->items.insert(target->items.end(), items.begin(), items.end());
  } else if (target->kind != PickleKind::Object) {
    bad("APPEND(S) on a " + target->describe());
  }
}

PickleDocument PickleMachine::run() {
  while (true) {
    if (pos_ >= in_.size()) {
      opOffset_ = pos_;
      bad("input ends before the STOP opcode (truncated pickle)");
    }
    opOffset_ = pos_;
    const unsigned char op = byte();
    switch (op) {
      case 0x80: {  // PROTO
        const unsigned char version = byte();
        if (version > 5) bad("unsupported pickle protocol " + std::to_string(version));
        break;
      }
      case 0x95: littleEndian(8); break;  // FRAME: a hint only
      case '.': {                         // STOP
        if (stack_.empty()) bad("STOP with an empty stack");
        doc_.setRoot(stack_.back());
        return std::move(doc_);
      }
      case '(':
        if (marks_.size() >= options_.limits.maxMarkDepth)
          bad("MARKs nested deeper than " + std::to_string(options_.limits.maxMarkDepth));
        marks_.push_back(stack_.size());
        break;
      case '0': pop(); break;
      case '1': popToMark(); break;
      case '2': push(top()); break;
      case 'N': push(make(PickleKind::None)); break;
      case 0x88:
      case 0x89: {
        PickleValue* v = make(PickleKind::Bool);
        v->boolean = op == 0x88;
        push(v);
        break;
      }
      case 'J': push(makeInt(static_cast<int32_t>(littleEndian(4)))); break;
      case 'K': push(makeInt(static_cast<int64_t>(littleEndian(1)))); break;
      case 'M': push(makeInt(static_cast<int64_t>(littleEndian(2)))); break;
      case 0x8a: push(makeLong(take(littleEndian(1), "integer"))); break;
      case 0x8b: push(makeLong(take(littleEndian(4), "integer"))); break;
      case 'I':
      case 'L': {
        std::string text(line());
        if (op == 'L' && !text.empty() && text.back() == 'L') text.pop_back();
        if (op == 'I' && (text == "00" || text == "01")) {
          PickleValue* v = make(PickleKind::Bool);
          v->boolean = text == "01";
          push(v);
          break;
        }
        char* end = nullptr;
        errno = 0;
        const long long v = std::strtoll(text.c_str(), &end, 10);
        if (text.empty() || *end != '\0' || errno == ERANGE) bad("malformed or too large text integer '" + text + "'");
        push(makeInt(v));
        break;
      }
      case 'F': {
        std::string text(line());
        char* end = nullptr;
        const double v = std::strtod(text.c_str(), &end);
        if (text.empty() || *end != '\0') bad("malformed text float '" + text + "'");
        PickleValue* f = make(PickleKind::Float);
        f->real = v;
        push(f);
        break;
      }
      case 'G': {
        const uint64_t bits = littleEndian(8);
        uint64_t swapped = 0;  // BINFLOAT is big-endian
        for (int i = 0; i < 8; ++i) swapped |= ((bits >> (8 * i)) & 0xFF) << (8 * (7 - i));
        PickleValue* f = make(PickleKind::Float);
        std::memcpy(&f->real, &swapped, 8);
        push(f);
        break;
      }
      case 'X': push(makeText(PickleKind::String, take(littleEndian(4), "str"))); break;
      case 0x8c: push(makeText(PickleKind::String, take(littleEndian(1), "str"))); break;
      case 0x8d: push(makeText(PickleKind::String, take(littleEndian(8), "str"))); break;
      case 'T': push(makeText(PickleKind::String, take(littleEndian(4), "str"))); break;
      case 'U': push(makeText(PickleKind::String, take(littleEndian(1), "str"))); break;
      case 'B': push(makeText(PickleKind::Bytes, take(littleEndian(4), "bytes"))); break;
      case 'C': push(makeText(PickleKind::Bytes, take(littleEndian(1), "bytes"))); break;
      case 0x8e:
      case 0x96: push(makeText(PickleKind::Bytes, take(littleEndian(8), "bytes"))); break;
      case ')': push(make(PickleKind::Tuple)); break;
      case 't': {
        PickleValue* v = make(PickleKind::Tuple);
        v->items = popToMark();
        push(v);
        break;
      }
      case 0x85:
      case 0x86:
      case 0x87: {
        const std::size_t n = op - 0x84u;
        if (stack_.size() < markBase() + n) bad("stack underflow");
        PickleValue* v = make(PickleKind::Tuple);
        v->items.assign(stack_.end() - static_cast<std::ptrdiff_t>(n), stack_.end());
        stack_.resize(stack_.size() - n);
        push(v);
        break;
      }
      case ']': push(make(PickleKind::List)); break;
      case 'l': {
        PickleValue* v = make(PickleKind::List);
        v->items = popToMark();
        push(v);
        break;
      }
      case 'a': {
        PickleValue* item = pop();
        appendItems(top(), {item});
        break;
      }
      case 'e':
      case 0x90: {  // APPENDS, ADDITEMS
        std::vector<PickleValue*> items = popToMark();
        appendItems(top(), items);
        break;
      }
      case '}': push(make(PickleKind::Dict)); break;
      case 'd': {
        std::vector<PickleValue*> items = popToMark();
        PickleValue* v = make(PickleKind::Dict);
        setItems(v, items);
        push(v);
        break;
      }
      case 's': {
        PickleValue* value = pop();
        PickleValue* key = pop();
        setItems(top(), {key, value});
        break;
      }
      case 'u': {
        std::vector<PickleValue*> items = popToMark();
        setItems(top(), items);
        break;
      }
      case 0x8f: push(make(PickleKind::List)); break;  // EMPTY_SET
      case 0x91: {                                      // FROZENSET
        PickleValue* v = make(PickleKind::Tuple);
        v->items = popToMark();
        push(v);
        break;
      }
      case 'c': {
        const std::string module(line());
        const std::string name(line());
        push(makeGlobal(module, name));
        break;
      }
      case 0x93: {  // STACK_GLOBAL
        PickleValue* name = pop();
        PickleValue* module = pop();
        if (module->kind != PickleKind::String || name->kind != PickleKind::String)
          bad("STACK_GLOBAL operands are not strings");
        push(makeGlobal(module->text, name->text));
        break;
      }
      case 'R': {
        PickleValue* args = pop();
        PickleValue* callable = pop();
        push(reduce(callable, args));
        break;
      }
      case 0x81:
      case 0x92: {  // NEWOBJ, NEWOBJ_EX
        if (op == 0x92) pop();  // kwargs
        PickleValue* args = pop();
        PickleValue* cls = pop();
        if (cls->kind != PickleKind::Global) bad("NEWOBJ on a " + cls->describe() + ", not a class");
        if (cls->global.qualified() == "collections.OrderedDict") {
          PickleValue* dict = make(PickleKind::Dict);
          dict->ordered = true;
          push(dict);
        } else {
          PickleValue* object = make(PickleKind::Object);
          object->global = cls->global;
          if (args->kind == PickleKind::Tuple) object->items = args->items;
          push(object);
        }
        break;
      }
      case 'b': {
        PickleValue* state = pop();
        build(top(), state);
        break;
      }
      case 'Q': push(persistentLoad(pop())); break;
      case 'P': bad("text persistent ids (PERSID) are not torch storages");
      case 'q': memoPut(littleEndian(1)); break;
      case 'r': memoPut(littleEndian(4)); break;
      case 'p': {
        std::string text(line());
        char* end = nullptr;
        const unsigned long long index = std::strtoull(text.c_str(), &end, 10);
        if (text.empty() || *end != '\0') bad("malformed PUT index '" + text + "'");
        memoPut(index);
        break;
      }
      case 0x94: memoPut(memo_.size()); break;  // MEMOIZE
      case 'h': memoGet(littleEndian(1)); break;
      case 'j': memoGet(littleEndian(4)); break;
      case 'g': {
        std::string text(line());
        char* end = nullptr;
        const unsigned long long index = std::strtoull(text.c_str(), &end, 10);
        if (text.empty() || *end != '\0') bad("malformed GET index '" + text + "'");
        memoGet(index);
        break;
      }
      case 'i':
      case 'o':
      case 0x82:
      case 0x83:
      case 0x84:
      case 0x97:
      case 0x98:
      case 'S':
      case 'V':
        bad("unsupported pickle opcode " + hexByte(op) + " ('" + (op >= 0x20 && op < 0x7f ? std::string(1, static_cast<char>(op)) : std::string("?")) +
            "'): instance creation, extension registry, out-of-band buffers and text strings are not accepted");
      default: bad("unknown pickle opcode " + hexByte(op));
    }
  }
}

}  // namespace

bool isAllowedPickleGlobal(std::string_view moduleIn, std::string_view name,
                           const std::vector<std::string>& extraAllowed) {
  const std::string module = normalizedModule(moduleIn);
  const std::string qualified = module + "." + std::string(name);
  for (std::string_view allowed : kAllowedGlobals)
    if (allowed == qualified) return true;
  for (const std::string& allowed : extraAllowed)
    if (allowed == qualified) return true;
  if (module == "torch") {
    if (dtypeFromTorchStorageName(name)) return true;
    if (isTorchDtypeGlobal({module, std::string(name)})) return true;
  }
  for (std::string_view prefix : kAllowedModulePrefixes)
    if (module.compare(0, prefix.size(), prefix) == 0 && name.find("__") == std::string_view::npos) return true;
  return false;
}

PickleDocument readPickle(std::string_view bytes, const PickleReadOptions& options) {
  return PickleMachine(bytes, options).run();
}

}  // namespace nhb::io
