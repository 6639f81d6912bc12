// `nhbridge forward`: runs a checkpoint's forward pass (HF or Megatron layout) on token sequences
// and writes the fp32 logits, and optionally every block's output and the MTP logits, to one
// safetensors file (written under a temporary name and renamed when complete).
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "bridge/core/error.h"
#include "bridge/io/safetensors_writer.h"
#include "harness/cli/command.h"
#include "harness/model/megatron_forward_runner.h"

namespace nhb::cli {
namespace {

struct ForwardArgs {
  std::string checkpoint;
  std::string layout;
  std::string tokens;
  std::string tokensFile;
  std::string device = "cpu";
  std::string dtype;
  std::string out;
  bool captureLayers = false;
  bool overwrite = false;
};

std::string readTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) badInput(path + ": cannot read the tokens file");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Named fp32 CPU tensors, contiguous, in the order they are written.
void writeOutputs(const std::string& path, const std::vector<std::pair<std::string, at::Tensor>>& outputs,
                  bool overwrite) {
  std::vector<at::Tensor> hostTensors;
  std::vector<io::TensorSpec> specs;
  for (const auto& [name, tensor] : outputs) {
    hostTensors.push_back(tensor.to(at::kCPU, at::kFloat).contiguous());
    specs.push_back({name, DType::F32, hostTensors.back().sizes().vec()});
  }
  io::SafetensorsWriter writer(path, specs, io::Json{{"format", "pt"}}, overwrite);
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const at::Tensor& t = hostTensors[i];
    writer.write(outputs[i].first, TensorView{DType::F32, t.sizes().vec(), static_cast<const std::byte*>(t.data_ptr()),
                                             static_cast<std::size_t>(t.numel()) * sizeof(float)});
  }
  writer.finish();
}

int runForward(const ForwardArgs& args) {
  harness::LoadModelOptions options;
  options.layout = harness::parseLayout(args.layout);
  options.device = harness::parseDevice(args.device);
  if (!args.dtype.empty()) options.dtype = harness::parseDtype(args.dtype);

  const std::vector<std::vector<int64_t>> sequences =
      args.tokensFile.empty() ? harness::parseTokenSequences(args.tokens, ';', "--tokens")
                              : harness::parseTokenSequences(readTextFile(args.tokensFile), '\n', args.tokensFile);
  const harness::TokenBatch batch = harness::makeTokenBatch(sequences);

  const std::unique_ptr<harness::LayoutModel> model = harness::loadLayoutModel(args.checkpoint, options);
  harness::ForwardOptions forwardOptions;
  forwardOptions.captureLayers = args.captureLayers;
  const harness::ForwardOutput result = model->forward(batch.tokens, batch.mask, forwardOptions);

  std::vector<std::pair<std::string, at::Tensor>> outputs;
  outputs.emplace_back("logits", result.logits);
  for (std::size_t d = 0; d < result.mtpLogits.size(); ++d) {
    outputs.emplace_back("mtp_logits." + std::to_string(d), result.mtpLogits[d]);
  }
  for (const auto& [name, tensor] : result.layers) outputs.emplace_back(name, tensor);
  if (batch.mask.defined()) outputs.emplace_back("attention_mask", batch.mask);
  writeOutputs(args.out, outputs, args.overwrite);
  std::printf("wrote %s: logits [%lld, %lld, %lld]%s%s (%s layout)\n", args.out.c_str(),
              static_cast<long long>(result.logits.size(0)), static_cast<long long>(result.logits.size(1)),
              static_cast<long long>(result.logits.size(2)),
              result.mtpLogits.empty() ? "" : (", " + std::to_string(result.mtpLogits.size()) + " MTP depth(s)").c_str(),
              result.layers.empty() ? "" : (", " + std::to_string(result.layers.size()) + " captured layers").c_str(),
              args.layout.c_str());
  return 0;
}

}  // namespace

void addForwardCommand(CLI::App& app, CommandAction& action) {
  auto args = std::make_shared<ForwardArgs>();
  auto* sub = app.add_subcommand(
      "forward",
      "Run the forward pass of a checkpoint (HF layout, or a Megatron legacy checkpoint with its "
      "TP/PP/EP ranks simulated in one process) and write fp32 logits [batch, T, vocab] to safetensors");
  sub->add_option("--checkpoint", args->checkpoint, "checkpoint directory")->required()->check(CLI::ExistingDirectory);
  sub->add_option("--layout", args->layout, "hf or megatron")->required()->check(CLI::IsMember({"hf", "megatron"}));
  auto* tokens = sub->add_option("--tokens", args->tokens, "token ids, e.g. 1,2,3 or '1 2 3;4 5' (';' separates sequences)");
  auto* tokensFile = sub->add_option("--tokens-file", args->tokensFile,
                                     "file with one sequence per line, ids separated by spaces or commas")
                         ->check(CLI::ExistingFile);
  tokens->excludes(tokensFile);
  sub->add_option("--device", args->device, "cpu or cuda (needs a CUDA libtorch)")->capture_default_str();
  sub->add_option("--dtype", args->dtype, "float32 or bfloat16 (default: the checkpoint's dtype)");
  sub->add_option("--out", args->out, "output .safetensors file: logits, mtp_logits.{d}, captured layers")->required();
  sub->add_flag("--capture-layers", args->captureLayers, "also write every block's output (embeddings, layers.{i}, norm_f, mtp.*)");
  sub->add_flag("--overwrite", args->overwrite, "replace an existing --out file");
  sub->callback([args, tokens, tokensFile, &action] {
    if (tokens->count() == 0 && tokensFile->count() == 0) {
      throw CLI::RequiredError("--tokens or --tokens-file");
    }
    action = [args] { return runForward(*args); };
  });
}

}  // namespace nhb::cli
