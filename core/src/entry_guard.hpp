// entry_guard.hpp — the one guard around every exported bp_* function.
//
// Why: runtime.h promises that no exception crosses the C ABI, yet the core is
// C++ that allocates (strings, maps, reports) and calls plugins that may throw
// through a table entry of their own. One guard, applied at each exported
// function's boundary, turns any exception into a status and a message naming
// the function (BP_ERR_OUT_OF_MEMORY for std::bad_alloc, BP_ERR_INTERNAL for
// anything else), so the host never sees std::terminate.
//
//   BP_API bp_status bp_x(...) { return guarded("bp_x", [&]() -> bp_status {
//     ...
//   }); }
#pragma once

#include <exception>
#include <new>

#include "backplane/runtime.h"
#include "errors.hpp"

namespace bp::core {

// Runs `body`, which returns the function's result; an exception becomes
// `on_exception` with the thread's last error naming `fn` and the exception.
template <typename R, typename F>
R guarded_value(const char* fn, R on_exception, F&& body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    fail_from_exception(BP_ERR_OUT_OF_MEMORY, fn, "out of host memory");
  } catch (const std::exception& e) {
    fail_from_exception(BP_ERR_INTERNAL, fn, e.what());
  } catch (...) {
    fail_from_exception(BP_ERR_INTERNAL, fn, "an exception that is not a std::exception");
  }
  return on_exception;
}

// For functions that return a bp_status: the exception's status is returned.
template <typename F>
bp_status guarded(const char* fn, F&& body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return fail_from_exception(BP_ERR_OUT_OF_MEMORY, fn, "out of host memory");
  } catch (const std::exception& e) {
    return fail_from_exception(BP_ERR_INTERNAL, fn, e.what());
  } catch (...) {
    return fail_from_exception(BP_ERR_INTERNAL, fn, "an exception that is not a std::exception");
  }
}

// For functions without a result (destroy calls): the error is recorded only.
template <typename F>
void guarded_void(const char* fn, F&& body) noexcept {
  guarded_value(fn, 0, [&] {
    body();
    return 0;
  });
}

}  // namespace bp::core
