#include "harness/model/megatron_forward_runner.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <utility>

#include "bridge/core/error.h"
#include "bridge/io/hf_checkpoint.h"
#include "harness/model/megatron_model.h"
#include "harness/model/tensor_bridge.h"

namespace nhb::harness {
namespace {

class HfLayoutModel : public LayoutModel {
 public:
  HfLayoutModel(io::HfCheckpoint checkpoint, const LoadModelOptions& options)
      : checkpoint_(std::make_unique<io::HfCheckpoint>(std::move(checkpoint))) {
    const io::SafetensorsCheckpoint& files = checkpoint_->tensors();
    std::vector<std::pair<std::string, TensorView>> views;
    for (const std::string& name : files.names()) views.emplace_back(name, files.view(name));
    TensorMap tensors = toTorchMap(views, checkpoint_->dir().string());
    if (options.device != at::Device(at::kCPU)) {
      for (auto& [name, tensor] : tensors) tensor = tensor.to(options.device);
    }
    HfModelOptions modelOptions;
    modelOptions.dtype = options.dtype;
    modelOptions.source = checkpoint_->dir().string();
    model_ = std::make_unique<HfModel>(checkpoint_->config(), tensors, modelOptions);
  }
  ForwardOutput forward(const at::Tensor& tokens, const at::Tensor& mask, const ForwardOptions& options) const override {
    return model_->forward(tokens, mask, options);
  }
  int64_t vocabSize() const override { return checkpoint_->config().vocabSize; }

 private:
  std::unique_ptr<io::HfCheckpoint> checkpoint_;  // the mapped shards the tensors may alias
  std::unique_ptr<HfModel> model_;
};

class MegatronLayoutModel : public LayoutModel {
 public:
  explicit MegatronLayoutModel(MegatronModel model) : model_(std::move(model)) {}
  ForwardOutput forward(const at::Tensor& tokens, const at::Tensor& mask, const ForwardOptions& options) const override {
    return model_.forward(tokens, mask, options);
  }
  int64_t vocabSize() const override { return model_.vocabSize(); }

 private:
  MegatronModel model_;
};

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

CheckpointLayout parseLayout(std::string_view name) {
  if (name == "hf") return CheckpointLayout::Hf;
  if (name == "megatron") return CheckpointLayout::Megatron;
  badInput("--layout " + std::string(name) + ": unknown layout (use hf or megatron)");
}

at::Device parseDevice(std::string_view name) {
  const std::string text = lower(name);
  if (text == "cpu") return at::kCPU;
  if (text == "cuda" || text.rfind("cuda:", 0) == 0) {
    if (!at::hasCUDA()) {
      badInput("--device " + std::string(name) +
               ": this nhbridge is linked against a libtorch without CUDA support or no CUDA device is visible "
               "(rebuild with -DCMAKE_PREFIX_PATH pointing at a CUDA libtorch, see scripts/gpu-check.sh)");
    }
    if (text == "cuda") return at::Device(at::kCUDA, 0);
    char* end = nullptr;
    const long index = std::strtol(text.c_str() + 5, &end, 10);
    if (end == text.c_str() + 5 || *end != '\0' || index < 0 || index > 127) {
      badInput("--device " + std::string(name) + ": malformed CUDA device (use cuda or cuda:N)");
    }
    return at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(index));
  }
  badInput("--device " + std::string(name) + ": unknown device (use cpu or cuda)");
}

at::ScalarType parseDtype(std::string_view name) {
  const std::string text = lower(name);
  if (text == "float32" || text == "fp32" || text == "f32") return at::kFloat;
  if (text == "bfloat16" || text == "bf16") return at::kBFloat16;
  badInput("--dtype " + std::string(name) + ": unknown dtype (use float32 or bfloat16)");
}

std::vector<std::vector<int64_t>> parseTokenSequences(std::string_view text, char sequenceSeparator,
                                                      const std::string& source) {
  std::vector<std::vector<int64_t>> sequences;
  std::size_t line = 0;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(sequenceSeparator, start);
    if (end == std::string_view::npos) end = text.size();
    ++line;
    const std::string_view row = text.substr(start, end - start);
    std::vector<int64_t> ids;
    std::size_t i = 0;
    while (i < row.size()) {
      const char c = row[i];
      if (c == ' ' || c == ',' || c == '\t' || c == '\r') {
        ++i;
        continue;
      }
      std::size_t j = i;
      while (j < row.size() && row[j] != ' ' && row[j] != ',' && row[j] != '\t' && row[j] != '\r') ++j;
      const std::string token(row.substr(i, j - i));
      char* parsedEnd = nullptr;
      errno = 0;
      const long long id = std::strtoll(token.c_str(), &parsedEnd, 10);
      if (parsedEnd != token.c_str() + token.size() || errno == ERANGE) {
        badInput(source + ": sequence " + std::to_string(line) + ": '" + token + "' is not a token id");
      }
      if (id < 0) badInput(source + ": sequence " + std::to_string(line) + ": token id " + token + " is negative");
      ids.push_back(id);
      i = j;
    }
    if (!ids.empty()) sequences.push_back(std::move(ids));
    start = end + 1;
  }
  if (sequences.empty()) badInput(source + ": no token sequence");
  return sequences;
}

TokenBatch makeTokenBatch(const std::vector<std::vector<int64_t>>& sequences) {
  std::size_t longest = 0;
  for (const auto& s : sequences) longest = std::max(longest, s.size());
  const int64_t batch = static_cast<int64_t>(sequences.size());
  const int64_t time = static_cast<int64_t>(longest);
  TokenBatch out;
  out.tokens = at::zeros({batch, time}, at::kLong);
  at::Tensor mask = at::zeros({batch, time}, at::kLong);
  bool padded = false;
  auto tokens = out.tokens.accessor<int64_t, 2>();
  auto real = mask.accessor<int64_t, 2>();
  for (int64_t b = 0; b < batch; ++b) {
    const auto& s = sequences[static_cast<std::size_t>(b)];
    const int64_t pad = time - static_cast<int64_t>(s.size());
    padded = padded || pad > 0;
    for (std::size_t t = 0; t < s.size(); ++t) {
      tokens[b][pad + static_cast<int64_t>(t)] = s[t];
      real[b][pad + static_cast<int64_t>(t)] = 1;
    }
  }
  if (padded) out.mask = mask;
  return out;
}

std::unique_ptr<LayoutModel> loadLayoutModel(const std::filesystem::path& dir, const LoadModelOptions& options) {
  if (options.layout == CheckpointLayout::Hf) {
    return std::make_unique<HfLayoutModel>(io::HfCheckpoint::open(dir), options);
  }
  MegatronModelOptions megatron;
  megatron.dtype = options.dtype;
  megatron.device = options.device;
  return std::make_unique<MegatronLayoutModel>(MegatronModel::load(dir, megatron));
}

}  // namespace nhb::harness
