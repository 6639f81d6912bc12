// Megatron legacy torch-format checkpoints: directory naming (megatron-core-hybrid.md §5.1),
// writer -> reader round trips for tp=2/pp=2/ep=2, release and EP-only layouts, Python's torch.load
// of a rank file, our reading of a Python-written rank file with optimizer/RNG state, and the
// errors for missing ranks, bad trackers and contradicting args.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "bridge/core/error.h"
#include "bridge/io/megatron_legacy.h"
#include "bridge/io/torch/torch_save.h"
#include "support/test_support.h"
#include "torch_python_support.h"

namespace nhb::io {
namespace {

using nhb::testing::TempDir;
using nhb::testing::readFile;
using nhb::testing::writeFile;
using Json = nlohmann::ordered_json;

std::string errorOf(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::BadInput) << e.what();
    return e.what();
  }
  return "<no error>";
}

template <class T>
std::vector<T> valuesOf(const TensorView& view) {
  std::vector<T> out(view.nbytes / sizeof(T));
  if (view.nbytes) std::memcpy(out.data(), view.data, view.nbytes);
  return out;
}

TEST(MegatronLegacyNames, RankDirectoriesFollowMegatronsRules) {
  EXPECT_EQ(megatronRankDirName({0, 0, 0}, {1, 1, 1}), "mp_rank_00");
  EXPECT_EQ(megatronRankDirName({1, 0, 0}, {2, 1, 1}), "mp_rank_01");
  EXPECT_EQ(megatronRankDirName({1, 1, 0}, {2, 2, 1}), "mp_rank_01_001");
  EXPECT_EQ(megatronRankDirName({1, 0, 1}, {2, 1, 2}), "mp_rank_01_001");  // ep only: same shape as pp
  EXPECT_EQ(megatronRankDirName({1, 0, 1}, {2, 2, 2}), "mp_rank_01_000_001");
  EXPECT_EQ(megatronRankDirName({12, 3, 0}, {16, 4, 1}), "mp_rank_12_003");
  EXPECT_NE(errorOf([] { megatronRankDirName({2, 0, 0}, {2, 1, 1}); }).find("rank (tp 2, pp 0, ep 0) is outside the layout tp=2"),
            std::string::npos);
  EXPECT_NE(errorOf([] { megatronRankDirName({0, 0, 0}, {0, 1, 1}); }).find("parallel sizes must be >= 1"), std::string::npos);
}

TEST(MegatronLegacyNames, IterationDirectories) {
  EXPECT_EQ(megatronIterationDirName(100), "iter_0000100");
  EXPECT_EQ(megatronIterationDirName(0), "iter_0000000");
  EXPECT_EQ(megatronIterationDirName(12345678), "iter_12345678");
  EXPECT_EQ(megatronIterationDirName(std::nullopt), "release");
  EXPECT_NE(errorOf([] { megatronIterationDirName(-1); }).find("iteration must be >= 0"), std::string::npos);
}

TEST(MegatronLegacyNames, AllRanksTpFastest) {
  const auto ranks = allMegatronRanks({2, 2, 2});
  ASSERT_EQ(ranks.size(), 8u);
  EXPECT_EQ(ranks[0], (MegatronRankId{0, 0, 0}));
  EXPECT_EQ(ranks[1], (MegatronRankId{1, 0, 0}));
  EXPECT_EQ(ranks[2], (MegatronRankId{0, 0, 1}));
  EXPECT_EQ(ranks[7], (MegatronRankId{1, 1, 1}));
}

// Per-rank tensors whose values encode the rank, so a mix-up of files shows.
struct RankTensors {
  std::vector<float> weight;     // 2x2, all = 100*pp + 10*ep + tp
  std::vector<uint16_t> bf16;    // 3 values of bf16 1.0 / 2.0 / 3.0
  std::vector<uint8_t> empty;
  StateDictEntries entries(const MegatronRankId& rank) const {
    return {
        StateDictEntry::of("decoder.layers.0.mixer.in_proj.weight",
                           {DType::F32, {2, 2}, reinterpret_cast<const std::byte*>(weight.data()), weight.size() * 4}),
        StateDictEntry::of("decoder.layers.0.mixer.in_proj._extra_state", {DType::U8, {0}, nullptr, 0}),
        StateDictEntry::of("decoder.layers.0.mixer.A_log",
                           {DType::BF16, {3}, reinterpret_cast<const std::byte*>(bf16.data()), bf16.size() * 2}),
        StateDictEntry::none("output_layer._extra_state"),
        StateDictEntry::of("decoder.layers." + std::to_string(rank.pp) + ".rank_tag",
                           {DType::F32, {1}, reinterpret_cast<const std::byte*>(weight.data()), 4}),
    };
  }
};

RankTensors tensorsFor(const MegatronRankId& r) {
  const float tag = static_cast<float>(100 * r.pp + 10 * r.ep + r.tp);
  return RankTensors{std::vector<float>(4, tag), {0x3F80, 0x4000, 0x4040}, {}};
}

Json sampleArgs() {
  return Json::parse(R"({"num_layers": 4, "hidden_size": 64, "hybrid_layer_pattern": "M*-E",
                         "params_dtype": "torch.bfloat16", "layernorm_epsilon": 1e-05, "swiglu": false,
                         "tokenizer_model": null, "ckpt_format": "torch"})");
}

void writeCheckpoint(const std::filesystem::path& root, std::optional<int64_t> iteration, MegatronParallelSizes sizes,
                     Json args) {
  MegatronLegacyWriteOptions options;
  options.root = root;
  options.iteration = iteration;
  options.sizes = sizes;
  options.args = std::move(args);
  MegatronLegacyWriter writer(options);
  for (const MegatronRankId& rank : allMegatronRanks(sizes)) {
    RankTensors tensors = tensorsFor(rank);  // freed after each rank: the writer streams
    writer.writeRank(rank, tensors.entries(rank));
  }
  writer.finish();
}

TEST(MegatronLegacy, RoundTripTp2Pp2Ep2) {
  TempDir dir;
  const auto root = dir / "ckpt";
  writeCheckpoint(root, 1234, {2, 2, 2}, sampleArgs());

  EXPECT_EQ(readFile(root / "latest_checkpointed_iteration.txt"), "1234");
  EXPECT_TRUE(std::filesystem::is_regular_file(root / "iter_0001234/mp_rank_01_001_000/model_optim_rng.pt"));
  EXPECT_TRUE(std::filesystem::is_regular_file(root / "iter_0001234/mp_rank_00_000_001/model_optim_rng.pt"));

  MegatronLegacyCheckpoint checkpoint = MegatronLegacyCheckpoint::open(root);
  EXPECT_EQ(checkpoint.sizes(), (MegatronParallelSizes{2, 2, 2}));
  EXPECT_FALSE(checkpoint.isRelease());
  EXPECT_EQ(checkpoint.iteration(), 1234);
  Json expectedArgs = sampleArgs();
  expectedArgs["tensor_model_parallel_size"] = 2;  // added by the writer
  expectedArgs["pipeline_model_parallel_size"] = 2;
  expectedArgs["expert_model_parallel_size"] = 2;
  EXPECT_EQ(checkpoint.args(), expectedArgs);

  for (const MegatronRankId& rank : allMegatronRanks({2, 2, 2})) {
    SCOPED_TRACE(megatronRankDirName(rank, {2, 2, 2}));
    MegatronRankState state = checkpoint.loadRank(rank);
    EXPECT_EQ(state.checkpointVersion(), 3.0);
    EXPECT_EQ(state.iteration(), 1234);
    EXPECT_EQ(state.args(), expectedArgs);
    ASSERT_EQ(state.entries().size(), 5u);
    EXPECT_EQ(state.entries()[0].key, "decoder.layers.0.mixer.in_proj.weight");
    const float tag = static_cast<float>(100 * rank.pp + 10 * rank.ep + rank.tp);
    EXPECT_EQ(valuesOf<float>(*state.find("decoder.layers.0.mixer.in_proj.weight")->tensor), std::vector<float>(4, tag));
    EXPECT_EQ(state.find("decoder.layers.0.mixer.in_proj._extra_state")->tensor->nbytes, 0u);
    EXPECT_EQ(state.find("decoder.layers.0.mixer.in_proj._extra_state")->tensor->dtype, DType::U8);
    EXPECT_EQ(valuesOf<uint16_t>(*state.find("decoder.layers.0.mixer.A_log")->tensor),
              (std::vector<uint16_t>{0x3F80, 0x4000, 0x4040}));
    EXPECT_TRUE(state.find("output_layer._extra_state")->isNone());
    EXPECT_NE(state.find("decoder.layers." + std::to_string(rank.pp) + ".rank_tag"), nullptr);
    EXPECT_EQ(state.modelChunkCount(), 1u);
  }
}

TEST(MegatronLegacy, ReleaseCheckpointWithTensorParallelOnly) {
  TempDir dir;
  writeCheckpoint(dir.path(), std::nullopt, {2, 1, 1}, Json());
  EXPECT_EQ(readFile(dir / "latest_checkpointed_iteration.txt"), "release");
  EXPECT_TRUE(std::filesystem::is_regular_file(dir / "release/mp_rank_00/model_optim_rng.pt"));
  EXPECT_TRUE(std::filesystem::is_regular_file(dir / "release/mp_rank_01/model_optim_rng.pt"));
  MegatronLegacyCheckpoint checkpoint = MegatronLegacyCheckpoint::open(dir.path());
  EXPECT_TRUE(checkpoint.isRelease());
  EXPECT_EQ(checkpoint.iteration(), 0);
  EXPECT_EQ(checkpoint.sizes(), (MegatronParallelSizes{2, 1, 1}));
  EXPECT_TRUE(checkpoint.args().is_null());
  MegatronRankState state = checkpoint.loadRank({1, 0, 0});
  EXPECT_EQ(state.iteration(), 0);
  EXPECT_EQ(valuesOf<float>(*state.entries()[0].tensor), std::vector<float>(4, 1.0f));
}

TEST(MegatronLegacy, ExpertParallelOnlyNamesAreResolvedThroughArgs) {
  TempDir dir;
  writeCheckpoint(dir.path(), 5, {1, 1, 2}, sampleArgs());
  EXPECT_TRUE(std::filesystem::is_regular_file(dir / "iter_0000005/mp_rank_00_001/model_optim_rng.pt"));
  MegatronLegacyCheckpoint checkpoint = MegatronLegacyCheckpoint::open(dir.path());
  EXPECT_EQ(checkpoint.sizes(), (MegatronParallelSizes{1, 1, 2}));
  MegatronRankState state = checkpoint.loadRank({0, 0, 1});
  EXPECT_EQ(valuesOf<float>(*state.entries()[0].tensor), std::vector<float>(4, 10.0f));  // ep 1
}

TEST(MegatronLegacy, OpensAnIterationDirectoryDirectly) {
  TempDir dir;
  writeCheckpoint(dir.path(), 42, {1, 2, 1}, sampleArgs());
  MegatronLegacyCheckpoint checkpoint = MegatronLegacyCheckpoint::open(dir / "iter_0000042");
  EXPECT_EQ(checkpoint.iteration(), 42);
  EXPECT_EQ(checkpoint.sizes(), (MegatronParallelSizes{1, 2, 1}));
  EXPECT_EQ(valuesOf<float>(*checkpoint.loadRank({0, 1, 0}).entries()[0].tensor), std::vector<float>(4, 100.0f));
}

TEST(MegatronLegacyErrors, MissingRankFile) {
  TempDir dir;
  writeCheckpoint(dir.path(), 7, {2, 2, 2}, sampleArgs());
  const auto victim = dir / "iter_0000007/mp_rank_01_001_000/model_optim_rng.pt";
  std::filesystem::remove(victim);
  const std::string message = errorOf([&] { MegatronLegacyCheckpoint::open(dir.path()); });
  EXPECT_NE(message.find("missing rank file " + victim.string() + " in a tp=2 pp=2 ep=2 checkpoint"), std::string::npos)
      << message;
}

TEST(MegatronLegacyErrors, WholeRankDirectoryMissingIsSeenThroughArgs) {
  TempDir dir;
  writeCheckpoint(dir.path(), 7, {2, 1, 1}, sampleArgs());
  MegatronLegacyWriteOptions options;  // rewrite rank 0 claiming tp=4
  options.root = dir.path();
  options.iteration = 7;
  options.sizes = {4, 1, 1};
  options.args = sampleArgs();
  options.overwrite = true;
  MegatronLegacyWriter writer(options);
  RankTensors tensors = tensorsFor({0, 0, 0});
  writer.writeRank({0, 0, 0}, tensors.entries({0, 0, 0}));
  const std::string message = errorOf([&] { MegatronLegacyCheckpoint::open(dir.path()); });
  EXPECT_NE(message.find("missing rank file " + (dir / "iter_0000007/mp_rank_02/model_optim_rng.pt").string() +
                         " (and 1 more) in a tp=4 pp=1 ep=1 checkpoint"),
            std::string::npos)
      << message;
}

TEST(MegatronLegacyErrors, FinishBeforeEveryRankIsWritten) {
  TempDir dir;
  MegatronLegacyWriteOptions options;
  options.root = dir.path();
  options.iteration = 3;
  options.sizes = {2, 1, 1};
  MegatronLegacyWriter writer(options);
  RankTensors tensors = tensorsFor({0, 0, 0});
  writer.writeRank({0, 0, 0}, tensors.entries({0, 0, 0}));
  const std::string message = errorOf([&] { writer.finish(); });
  EXPECT_NE(message.find("1 rank file(s) were never written: mp_rank_01"), std::string::npos) << message;
  EXPECT_FALSE(std::filesystem::exists(dir / "latest_checkpointed_iteration.txt"));
}

TEST(MegatronLegacyErrors, ArgsContradictingTheLayout) {
  TempDir dir;
  MegatronLegacyWriteOptions options;
  options.root = dir.path();
  options.sizes = {2, 1, 1};
  options.args = Json::parse(R"({"tensor_model_parallel_size": 4})");
  const std::string message = errorOf([&] { MegatronLegacyWriter writer(options); });
  EXPECT_NE(message.find("args.tensor_model_parallel_size is 4 but the checkpoint is written with 2"), std::string::npos)
      << message;
}

TEST(MegatronLegacyErrors, ArgsThatAreNotAnObject) {
  MegatronLegacyWriteOptions options;
  options.root = "/nonexistent-never-created";
  options.args = Json::array({1});
  const std::string message = errorOf([&] { MegatronLegacyWriter writer(options); });
  EXPECT_NE(message.find("Megatron args must be a JSON object"), std::string::npos) << message;
}

TEST(MegatronLegacyErrors, ExistingRankFileWithoutOverwrite) {
  TempDir dir;
  writeCheckpoint(dir.path(), 1, {1, 1, 1}, Json());
  MegatronLegacyWriteOptions options;
  options.root = dir.path();
  options.iteration = 1;
  MegatronLegacyWriter writer(options);
  RankTensors tensors = tensorsFor({0, 0, 0});
  const std::string message = errorOf([&] { writer.writeRank({0, 0, 0}, tensors.entries({0, 0, 0})); });
  EXPECT_NE(message.find("mp_rank_00/model_optim_rng.pt: rank file already exists"), std::string::npos) << message;
}

TEST(MegatronLegacyErrors, MalformedTracker) {
  TempDir dir;
  writeFile(dir / "latest_checkpointed_iteration.txt", "iter12");
  const std::string message = errorOf([&] { MegatronLegacyCheckpoint::open(dir.path()); });
  EXPECT_NE(message.find("latest_checkpointed_iteration.txt: contains 'iter12', expected an iteration number or 'release'"),
            std::string::npos)
      << message;
}

TEST(MegatronLegacyErrors, TrackerNamingAMissingIteration) {
  TempDir dir;
  writeFile(dir / "latest_checkpointed_iteration.txt", "500\n");
  const std::string message = errorOf([&] { MegatronLegacyCheckpoint::open(dir.path()); });
  EXPECT_NE(message.find("names iteration directory " + (dir / "iter_0000500").string() + ", which does not exist"),
            std::string::npos)
      << message;
}

TEST(MegatronLegacyErrors, DirectoryWithoutRanks) {
  TempDir dir;
  std::filesystem::create_directories(dir / "release");
  writeFile(dir / "latest_checkpointed_iteration.txt", "release");
  const std::string message = errorOf([&] { MegatronLegacyCheckpoint::open(dir.path()); });
  EXPECT_NE(message.find("no mp_rank_* directories"), std::string::npos) << message;
}

TEST(MegatronLegacyErrors, RankFileWithoutModel) {
  TempDir dir;
  saveTorchStateDict(dir / "plain.pt", {StateDictEntry::none("x")});
  const std::string message = errorOf([&] { loadMegatronRankFile(dir / "plain.pt"); });
  EXPECT_NE(message.find("plain.pt: no 'model' (or 'model0') state dict in the checkpoint"), std::string::npos) << message;
}

// ---- Python interop

TEST(MegatronLegacyInterop, PythonTorchLoadReadsARankFile) {
  NHB_REQUIRE_PYTHON_TORCH();
  TempDir dir;
  writeCheckpoint(dir.path(), 1234, {2, 2, 2}, sampleArgs());
  auto result = nhb::testing::runPython(dir.path(), R"PY(
import sys, os, torch
sd = torch.load(os.path.join(sys.argv[1], "iter_0001234", "mp_rank_01_001_000", "model_optim_rng.pt"),
                map_location="cpu")
print(list(sd.keys()))
print(type(sd["model"]).__name__, list(sd["model"].keys()))
print(repr(sd["checkpoint_version"]), repr(sd["iteration"]))
print(type(sd["args"]).__module__, type(sd["args"]).__name__)
print(sorted(vars(sd["args"]).items(), key=lambda kv: kv[0]))
w = sd["model"]["decoder.layers.0.mixer.in_proj.weight"]
print(w.dtype, tuple(w.shape), w.flatten().tolist())
print(sd["model"]["decoder.layers.0.mixer.A_log"].float().tolist(), sd["model"]["output_layer._extra_state"])
)PY");
  ASSERT_EQ(result.exitCode, 0) << result.output;
  // Rank (tp 1, pp 1, ep 0): tag 101.
  const std::string expected =
      "['args', 'checkpoint_version', 'iteration', 'model']\n"
      "OrderedDict ['decoder.layers.0.mixer.in_proj.weight', 'decoder.layers.0.mixer.in_proj._extra_state', "
      "'decoder.layers.0.mixer.A_log', 'output_layer._extra_state', 'decoder.layers.1.rank_tag']\n"
      "3.0 1234\n"
      "argparse Namespace\n"
      "[('ckpt_format', 'torch'), ('expert_model_parallel_size', 2), ('hidden_size', 64), ('hybrid_layer_pattern', "
      "'M*-E'), ('layernorm_epsilon', 1e-05), ('num_layers', 4), ('params_dtype', torch.bfloat16), "
      "('pipeline_model_parallel_size', 2), ('swiglu', False), ('tensor_model_parallel_size', 2), ('tokenizer_model', "
      "None)]\n"
      "torch.float32 (2, 2) [101.0, 101.0, 101.0, 101.0]\n"
      "[1.0, 2.0, 3.0] None\n";
  EXPECT_EQ(result.output, expected);
}

TEST(MegatronLegacyInterop, WeReadAPythonWrittenRankFileWithOptimizerAndRngState) {
  NHB_REQUIRE_PYTHON_TORCH();
  TempDir dir;
  auto result = nhb::testing::runPython(dir.path(), R"PY(
import sys, os, random, argparse, collections, torch
d = os.path.join(sys.argv[1], "iter_0000010", "mp_rank_00")
os.makedirs(d)
model = collections.OrderedDict()
model["embedding.word_embeddings.weight"] = torch.arange(6, dtype=torch.bfloat16).reshape(3, 2)
model["output_layer._extra_state"] = None
state = {"args": argparse.Namespace(num_layers=2, tensor_model_parallel_size=1, pipeline_model_parallel_size=1,
                                    params_dtype=torch.float32),
         "checkpoint_version": 3.0, "iteration": 10, "model": model,
         "optimizer": {"state": {0: {"exp_avg": torch.zeros(2)}}, "param_groups": [{"lr": 0.1, "params": [0]}]},
         "rng_state": [{"random_rng_state": random.getstate(), "torch_rng_state": torch.get_rng_state()}],
         "num_floating_point_operations_so_far": 10 ** 22}
try:
    import numpy
    state["rng_state"][0]["np_rng_state"] = numpy.random.get_state()
except ImportError:
    pass
torch.save(state, os.path.join(d, "model_optim_rng.pt"))
open(os.path.join(sys.argv[1], "latest_checkpointed_iteration.txt"), "w").write("10")
)PY");
  ASSERT_EQ(result.exitCode, 0) << result.output;
  MegatronLegacyCheckpoint checkpoint = MegatronLegacyCheckpoint::open(dir.path());
  EXPECT_EQ(checkpoint.sizes(), (MegatronParallelSizes{1, 1, 1}));
  EXPECT_EQ(checkpoint.iteration(), 10);
  EXPECT_EQ(checkpoint.args()["num_layers"], 2);
  EXPECT_EQ(checkpoint.args()["params_dtype"], "torch.float32");
  MegatronRankState state = checkpoint.loadRank({0, 0, 0});
  ASSERT_EQ(state.entries().size(), 2u);
  // bf16 of 0..5: 0x0000 0x3F80 0x4000 0x4040 0x4080 0x40A0.
  EXPECT_EQ(valuesOf<uint16_t>(*state.find("embedding.word_embeddings.weight")->tensor),
            (std::vector<uint16_t>{0x0000, 0x3F80, 0x4000, 0x4040, 0x4080, 0x40A0}));
  EXPECT_TRUE(state.find("output_layer._extra_state")->isNone());
  EXPECT_EQ(state.file().root().find("optimizer")->find("param_groups")->items[0]->find("lr")->real, 0.1);
  EXPECT_EQ(state.file().root().find("num_floating_point_operations_so_far")->kind, PickleKind::BigInt);
}

}  // namespace
}  // namespace nhb::io

namespace nhb::io {
namespace {

TEST(StateDictEntry, ExtraStateKeys) {
  EXPECT_TRUE(isExtraStateKey("output_layer._extra_state"));
  EXPECT_TRUE(isExtraStateKey("decoder.layers.0.mixer.in_proj._extra_state"));
  EXPECT_TRUE(isExtraStateKey("_extra_state"));
  EXPECT_FALSE(isExtraStateKey("output_layer.weight"));
  EXPECT_FALSE(isExtraStateKey("output_layer.my_extra_state"));
}

}  // namespace
}  // namespace nhb::io
