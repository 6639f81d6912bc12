// A test hook simulating a full disk: with NHB_TEST_FAIL_AFTER_BYTES=N in the environment, the
// bulk writers (safetensors, torch zip) fail with an Io error once N bytes have been written in
// this process. Lets tests check that a failed write leaves nothing a reader would accept.
// NHB_TEST_WRITE_DELAY_MS=D makes every charged write sleep D ms first, so that a test can
// interrupt a run (SIGTERM) while it is writing.
#pragma once

#include <cstddef>
#include <string>

namespace nhb::io {

// Counts `bytes` about to be written to `file`; throws Io ("<file>: No space left on device
// (simulated by NHB_TEST_FAIL_AFTER_BYTES=N)") when the budget would be exceeded. No-op
// without the variable.
void chargeSimulatedWriteBudget(std::size_t bytes, const std::string& file);

}  // namespace nhb::io
