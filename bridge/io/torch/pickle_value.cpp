#include "bridge/io/torch/pickle_value.h"

#include <cmath>

#include "bridge/core/error.h"

namespace nhb::io {
namespace {

constexpr std::string_view kTorchDtypeNames[] = {
    "float32", "float", "float64", "double", "float16", "half", "bfloat16", "int8", "uint8",
    "int16", "short", "int32", "int", "int64", "long", "bool", "uint16", "uint32", "uint64",
    "complex32", "complex64", "complex128", "cfloat", "cdouble", "chalf", "float8_e4m3fn",
    "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz", "qint8", "quint8", "qint32",
};

// Approximates a little-endian two's-complement integer of any width as a double.
double bigIntToDouble(const std::string& bytes) {
  if (bytes.empty()) return 0.0;
  const bool negative = static_cast<unsigned char>(bytes.back()) & 0x80;
  double value = 0.0;
  for (auto it = bytes.rbegin(); it != bytes.rend(); ++it) {
    unsigned char b = static_cast<unsigned char>(*it);
    value = value * 256.0 + (negative ? static_cast<unsigned char>(~b) : b);
  }
  return negative ? -(value + 1.0) : value;
}

nlohmann::ordered_json toJson(const PickleValue& v, int depth, int maxDepth) {
  using Json = nlohmann::ordered_json;
  if (depth > maxDepth)
    badInput("pickle value nests deeper than " + std::to_string(maxDepth) + " levels (cyclic?)");
  switch (v.kind) {
    case PickleKind::None: return nullptr;
    case PickleKind::Bool: return v.boolean;
    case PickleKind::Int: return v.integer;
    case PickleKind::BigInt: return bigIntToDouble(v.text);
    case PickleKind::Float:
      if (std::isnan(v.real)) return "nan";
      if (std::isinf(v.real)) return v.real > 0 ? "inf" : "-inf";
      return v.real;
    case PickleKind::String: return v.text;
    case PickleKind::Bytes: return "<" + std::to_string(v.text.size()) + " bytes>";
    case PickleKind::Tuple:
    case PickleKind::List: {
      Json out = Json::array();
      for (const PickleValue* item : v.items) out.push_back(toJson(*item, depth + 1, maxDepth));
      return out;
    }
    case PickleKind::Dict: {
      bool stringKeys = true;
      for (const auto& [key, value] : v.entries) stringKeys = stringKeys && key->kind == PickleKind::String;
      Json out = stringKeys ? Json::object() : Json::array();
      for (const auto& [key, value] : v.entries) {
        if (stringKeys)
          out[key->text] = toJson(*value, depth + 1, maxDepth);
        else
          out.push_back(Json::array({toJson(*key, depth + 1, maxDepth), toJson(*value, depth + 1, maxDepth)}));
      }
      return out;
    }
    case PickleKind::Global: return v.global.qualified();
    case PickleKind::Object:
      if (v.isObjectOf("argparse.Namespace") && v.state && v.state->kind == PickleKind::Dict)
        return toJson(*v.state, depth + 1, maxDepth);
      return "<" + v.global.qualified() + ">";
    case PickleKind::Storage:
      return "<storage " + v.storage.key + " " + std::string(shortName(v.storage.dtype)) + " x" +
             std::to_string(v.storage.numel) + ">";
    case PickleKind::Tensor: {
      std::string dtype = v.tensor.storage ? std::string(shortName(v.tensor.storage->storage.dtype)) : "?";
      return "<tensor " + dtype + " " + shapeToString(v.tensor.shape) + ">";
    }
  }
  return nullptr;
}

}  // namespace

const char* pickleKindName(PickleKind kind) {
  switch (kind) {
    case PickleKind::None: return "None";
    case PickleKind::Bool: return "bool";
    case PickleKind::Int: return "int";
    case PickleKind::BigInt: return "int";
    case PickleKind::Float: return "float";
    case PickleKind::String: return "str";
    case PickleKind::Bytes: return "bytes";
    case PickleKind::Tuple: return "tuple";
    case PickleKind::List: return "list";
    case PickleKind::Dict: return "dict";
    case PickleKind::Global: return "global";
    case PickleKind::Object: return "object";
    case PickleKind::Storage: return "storage";
    case PickleKind::Tensor: return "tensor";
  }
  return "?";
}

bool PickleValue::isObjectOf(std::string_view qualifiedName) const {
  return kind == PickleKind::Object && global.qualified() == qualifiedName;
}

const PickleValue* PickleValue::find(std::string_view key) const {
  const PickleValue* dict = this;
  if (kind == PickleKind::Object) dict = state;
  if (!dict || dict->kind != PickleKind::Dict) return nullptr;
  // Backwards: a key set twice holds its last value, as in Python.
  for (auto it = dict->entries.rbegin(); it != dict->entries.rend(); ++it)
    if (it->first->kind == PickleKind::String && it->first->text == key) return it->second;
  return nullptr;
}

std::string PickleValue::describe() const {
  if (kind == PickleKind::Object || kind == PickleKind::Global) return global.qualified();
  if (kind == PickleKind::Dict && ordered) return "OrderedDict";
  return pickleKindName(kind);
}

PickleValue* PickleDocument::make(PickleKind kind) {
  nodes_.push_back(std::make_unique<PickleValue>(kind));
  return nodes_.back().get();
}
PickleValue* PickleDocument::makeBool(bool value) {
  PickleValue* v = make(PickleKind::Bool);
  v->boolean = value;
  return v;
}
PickleValue* PickleDocument::makeInt(int64_t value) {
  PickleValue* v = make(PickleKind::Int);
  v->integer = value;
  return v;
}
PickleValue* PickleDocument::makeFloat(double value) {
  PickleValue* v = make(PickleKind::Float);
  v->real = value;
  return v;
}
PickleValue* PickleDocument::makeString(std::string value) {
  PickleValue* v = make(PickleKind::String);
  v->text = std::move(value);
  return v;
}
PickleValue* PickleDocument::makeBytes(std::string value) {
  PickleValue* v = make(PickleKind::Bytes);
  v->text = std::move(value);
  return v;
}
PickleValue* PickleDocument::makeTuple(std::vector<PickleValue*> items) {
  PickleValue* v = make(PickleKind::Tuple);
  v->items = std::move(items);
  return v;
}
PickleValue* PickleDocument::makeList(std::vector<PickleValue*> items) {
  PickleValue* v = make(PickleKind::List);
  v->items = std::move(items);
  return v;
}
PickleValue* PickleDocument::makeDict(bool ordered) {
  PickleValue* v = make(PickleKind::Dict);
  v->ordered = ordered;
  return v;
}
PickleValue* PickleDocument::makeGlobal(std::string module, std::string name) {
  PickleValue* v = make(PickleKind::Global);
  v->global = {std::move(module), std::move(name)};
  return v;
}
PickleValue* PickleDocument::makeObject(PickleGlobalName type, PickleValue* args, PickleValue* state) {
  PickleValue* v = make(PickleKind::Object);
  v->global = std::move(type);
  if (args) v->items = args->items;
  v->state = state;
  return v;
}
PickleValue* PickleDocument::makeStorage(PickleStorageRef ref) {
  PickleValue* v = make(PickleKind::Storage);
  v->storage = std::move(ref);
  return v;
}
PickleValue* PickleDocument::makeTensor(PickleTensorRef ref) {
  PickleValue* v = make(PickleKind::Tensor);
  v->tensor = std::move(ref);
  return v;
}

bool isTorchDtypeGlobal(const PickleGlobalName& name) {
  if (name.module != "torch") return false;
  for (std::string_view dtype : kTorchDtypeNames)
    if (dtype == name.name) return true;
  return false;
}

nlohmann::ordered_json pickleToJson(const PickleValue& value, int maxDepth) {
  return toJson(value, 0, maxDepth);
}

PickleValue* jsonToPickle(PickleDocument& doc, const nlohmann::ordered_json& json, int maxDepth) {
  if (maxDepth < 0) badInput("JSON value nests too deeply to encode as a pickle");
  switch (json.type()) {
    case nlohmann::json::value_t::null: return doc.makeNone();
    case nlohmann::json::value_t::boolean: return doc.makeBool(json.get<bool>());
    case nlohmann::json::value_t::number_integer: return doc.makeInt(json.get<int64_t>());
    case nlohmann::json::value_t::number_unsigned: {
      const uint64_t u = json.get<uint64_t>();
      if (u > static_cast<uint64_t>(INT64_MAX)) badInput("integer " + std::to_string(u) + " does not fit in 64 bits");
      return doc.makeInt(static_cast<int64_t>(u));
    }
    case nlohmann::json::value_t::number_float: return doc.makeFloat(json.get<double>());
    case nlohmann::json::value_t::string: {
      const std::string& s = json.get_ref<const std::string&>();
      if (s.rfind("torch.", 0) == 0) {
        PickleGlobalName name{"torch", s.substr(6)};
        if (isTorchDtypeGlobal(name)) return doc.makeGlobal(name.module, name.name);
      }
      return doc.makeString(s);
    }
    case nlohmann::json::value_t::array: {
      PickleValue* list = doc.makeList();
      for (const auto& item : json) list->items.push_back(jsonToPickle(doc, item, maxDepth - 1));
      return list;
    }
    case nlohmann::json::value_t::object: {
      PickleValue* dict = doc.makeDict();
      for (const auto& [key, item] : json.items())
        dict->entries.emplace_back(doc.makeString(key), jsonToPickle(doc, item, maxDepth - 1));
      return dict;
    }
    default: badInput("JSON value of type " + std::string(json.type_name()) + " cannot be pickled");
  }
}

}  // namespace nhb::io
