// A test suite base for the verify tests: fixture checkpoints generated and converted HF ->
// Megatron -> HF once per suite (conversion is the slow part), and a per-test directory for the
// copies that faults are planted in.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>

#include "bridge/convert/checkpoint_convert.h"
#include "bridge/fixture/fixture_generator.h"
#include "support/test_support.h"

namespace nhb::testing {

// A fixture checkpoint, its Megatron conversion and the HF export of that conversion.
struct RoundTrip {
  std::filesystem::path hf, megatron, exported;
};

class RoundTripSuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { dir_ = new TempDir(); }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
    roundTrips_.clear();
  }

  // The fixture checkpoint of `preset`, generated on first use.
  static std::filesystem::path fixtureOnce(const std::string& preset) {
    const std::filesystem::path dir = *dir_ / ("hf-" + preset);
    if (!std::filesystem::exists(dir)) {
      fixture::FixtureOptions options;
      options.preset = preset;
      options.outDir = dir;
      fixture::generate(options);
    }
    return dir;
  }

  // `preset` converted at `layout` and exported back (against the fixture as reference), on first
  // use; later calls return that first conversion whatever layout they pass.
  static const RoundTrip& roundTripOnce(const std::string& preset, const convert::Layout& layout, int threads = 0) {
    auto it = roundTrips_.find(preset);
    if (it != roundTrips_.end()) return it->second;
    RoundTrip r;
    r.hf = fixtureOnce(preset);
    convert::HfToMegatronOptions toMegatron;
    toMegatron.hfDir = r.hf;
    toMegatron.outDir = *dir_ / ("megatron-" + preset);
    toMegatron.layout = layout;
    toMegatron.threads = threads;
    convert::convertHfToMegatron(toMegatron);
    r.megatron = toMegatron.outDir;
    convert::MegatronToHfOptions toHf;
    toHf.megatronDir = r.megatron;
    toHf.outDir = *dir_ / ("exported-" + preset);
    toHf.referenceHf = r.hf;
    toHf.threads = threads;
    convert::convertMegatronToHf(toHf);
    r.exported = toHf.outDir;
    return roundTrips_.emplace(preset, r).first->second;
  }

  // A fresh per-test copy of a directory (faults are planted in copies, never in the shared conversions).
  std::filesystem::path copyOf(const std::filesystem::path& from, const std::string& name) {
    const std::filesystem::path to = local_ / name;
    std::filesystem::copy(from, to, std::filesystem::copy_options::recursive);
    return to;
  }

  TempDir local_;  // per test

 private:
  inline static TempDir* dir_ = nullptr;
  inline static std::map<std::string, RoundTrip> roundTrips_;
};

}  // namespace nhb::testing
