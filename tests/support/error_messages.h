// The message of the nhb::Error a callable throws, so a test can check that it names the file,
// field or value at fault.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "bridge/core/error.h"

namespace nhb::testing {

// Runs fn, expects a BadInput nhb::Error, returns its message ("" and a test failure otherwise).
template <class Fn>
std::string badInputMessage(Fn&& fn) {
  try {
    fn();
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::BadInput) << error.what();
    return error.what();
  }
  ADD_FAILURE() << "expected a BadInput error";
  return "";
}

// Runs fn and returns the message of the nhb::Error it throws ("<no error>" when none), its kind
// in `kind` when given.
inline std::string errorOf(const std::function<void()>& fn, ErrorKind* kind = nullptr) {
  try {
    fn();
  } catch (const Error& error) {
    if (kind) *kind = error.kind();
    return error.what();
  }
  return "<no error>";
}

}  // namespace nhb::testing
