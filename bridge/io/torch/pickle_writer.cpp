#include "bridge/io/torch/pickle_writer.h"

#include <cstring>

#include "bridge/core/error.h"

namespace nhb::io {
namespace {

class PickleEncoder {
 public:
  explicit PickleEncoder(int maxDepth) : maxDepth_(maxDepth) {}

  std::string finish(const PickleValue& root) {
    out_ += "\x80\x02";
    encode(root, 0);
    out_ += '.';
    return std::move(out_);
  }

 private:
  void op(char c) { out_ += c; }
  void op(unsigned char c) { out_ += static_cast<char>(c); }
  void le(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out_ += static_cast<char>((v >> (8 * i)) & 0xFF);
  }

  void global(const std::string& module, const std::string& name) {
    // Protocol 2 spells Python 3's builtins/copyreg the Python 2 way (Python maps them back).
    const std::string spelled = module == "builtins" ? "__builtin__" : module == "copyreg" ? "copy_reg" : module;
    out_ += 'c';
    out_ += spelled;
    out_ += '\n';
    out_ += name;
    out_ += '\n';
  }

  void integer(int64_t v) {
    if (v >= 0 && v < 256) {
      op('K');
      le(static_cast<uint64_t>(v), 1);
    } else if (v >= 0 && v < 65536) {
      op('M');
      le(static_cast<uint64_t>(v), 2);
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
      op('J');
      le(static_cast<uint32_t>(static_cast<int32_t>(v)), 4);
    } else {
      // LONG1: the shortest little-endian two's complement.
      std::string bytes;
      uint64_t u = static_cast<uint64_t>(v);
      for (int i = 0; i < 8; ++i) bytes += static_cast<char>((u >> (8 * i)) & 0xFF);
      const char fill = v < 0 ? '\xFF' : '\x00';
      while (bytes.size() > 1 && bytes.back() == fill &&
             ((static_cast<unsigned char>(bytes[bytes.size() - 2]) & 0x80) != 0) == (v < 0))
        bytes.pop_back();
      op(static_cast<unsigned char>(0x8a));
      le(bytes.size(), 1);
      out_ += bytes;
    }
  }

  void unicode(const std::string& s) {
    op('X');
    le(s.size(), 4);
    out_ += s;
  }

  void emptyOrderedDict() {
    global("collections", "OrderedDict");
    op(')');
    op('R');
  }

  void tuple(const std::vector<PickleValue*>& items, int depth) {
    if (items.empty()) {
      op(')');
      return;
    }
    if (items.size() > 3) op('(');
    for (const PickleValue* item : items) encode(*item, depth + 1);
    if (items.size() > 3)
      op('t');
    else
      op(static_cast<unsigned char>(0x84 + items.size()));
  }

  void setItems(const std::vector<std::pair<PickleValue*, PickleValue*>>& entries, int depth) {
    for (std::size_t start = 0; start < entries.size(); start += 1000) {
      op('(');
      for (std::size_t i = start; i < entries.size() && i < start + 1000; ++i) {
        encode(*entries[i].first, depth + 1);
        encode(*entries[i].second, depth + 1);
      }
      op('u');
    }
  }

  void storage(const PickleStorageRef& ref) {
    op('(');
    unicode("storage");
    global("torch", std::string(torchStorageName(ref.dtype)));
    unicode(ref.key);
    unicode(ref.location.empty() ? "cpu" : ref.location);
    integer(ref.numel);
    op('t');
    op('Q');
  }

  void encode(const PickleValue& v, int depth) {
    if (depth > maxDepth_)
      fail(ErrorKind::Internal, "pickle value nests deeper than " + std::to_string(maxDepth_) + " levels (cyclic?)");
    switch (v.kind) {
      case PickleKind::None: op('N'); return;
      case PickleKind::Bool: op(static_cast<unsigned char>(v.boolean ? 0x88 : 0x89)); return;
      case PickleKind::Int: integer(v.integer); return;
      case PickleKind::BigInt:
        op(static_cast<unsigned char>(0x8b));
        le(v.text.size(), 4);
        out_ += v.text;
        return;
      case PickleKind::Float: {
        uint64_t bits;
        std::memcpy(&bits, &v.real, 8);
        op('G');
        for (int i = 7; i >= 0; --i) out_ += static_cast<char>((bits >> (8 * i)) & 0xFF);
        return;
      }
      case PickleKind::String: unicode(v.text); return;
      case PickleKind::Bytes: {
        if (v.text.empty()) {
          global("builtins", "bytes");
          op(')');
          op('R');
          return;
        }
        std::string latin1;  // each byte as one code point, UTF-8 encoded
        for (char c : v.text) {
          const auto b = static_cast<unsigned char>(c);
          if (b < 0x80) {
            latin1 += c;
          } else {
            latin1 += static_cast<char>(0xC0 | (b >> 6));
            latin1 += static_cast<char>(0x80 | (b & 0x3F));
          }
        }
        global("_codecs", "encode");
        unicode(latin1);
        unicode("latin1");
        op(static_cast<unsigned char>(0x86));
        op('R');
        return;
      }
      case PickleKind::Tuple: tuple(v.items, depth); return;
      case PickleKind::List:
        op(']');
        for (std::size_t start = 0; start < v.items.size(); start += 1000) {
          op('(');
          for (std::size_t i = start; i < v.items.size() && i < start + 1000; ++i) encode(*v.items[i], depth + 1);
          op('e');
        }
        return;
      case PickleKind::Dict:
        if (v.ordered)
          emptyOrderedDict();
        else
          op('}');
        setItems(v.entries, depth);
        return;
      case PickleKind::Global: global(v.global.module, v.global.name); return;
      case PickleKind::Object:
        if (v.global.module.empty() || v.global.name.empty())
          badInput("cannot pickle an object without a class name");
        global(v.global.module, v.global.name);
        tuple(v.items, depth);
        // Plain classes (argparse.Namespace) come back through cls.__new__(cls) + BUILD; other
        // objects through their reduce function.
        op(v.global.qualified() == "argparse.Namespace" ? static_cast<unsigned char>(0x81) : static_cast<unsigned char>('R'));
        if (!v.entries.empty()) setItems(v.entries, depth);
        if (v.state) {
          encode(*v.state, depth + 1);
          op('b');
        }
        return;
      case PickleKind::Storage: storage(v.storage); return;
      case PickleKind::Tensor: {
        const PickleTensorRef& t = v.tensor;
        if (!t.storage || t.storage->kind != PickleKind::Storage)
          fail(ErrorKind::Internal, "pickled tensor without a storage");
        if (t.shape.size() != t.stride.size())
          fail(ErrorKind::Internal, "pickled tensor with shape " + shapeToString(t.shape) + " and stride " +
                                        shapeToString(t.stride));
        global("torch._utils", "_rebuild_tensor_v2");
        op('(');
        storage(t.storage->storage);
        integer(t.storageOffset);
        intTuple(t.shape);
        intTuple(t.stride);
        op(static_cast<unsigned char>(t.requiresGrad ? 0x88 : 0x89));
        emptyOrderedDict();  // backward hooks
        op('t');
        op('R');
        return;
      }
    }
  }

  void intTuple(const std::vector<int64_t>& values) {
    if (values.empty()) {
      op(')');
      return;
    }
    if (values.size() > 3) op('(');
    for (int64_t x : values) integer(x);
    if (values.size() > 3)
      op('t');
    else
      op(static_cast<unsigned char>(0x84 + values.size()));
  }

  int maxDepth_;
  std::string out_;
};

}  // namespace

std::string writePickle(const PickleValue& root, int maxDepth) { return PickleEncoder(maxDepth).finish(root); }

}  // namespace nhb::io
