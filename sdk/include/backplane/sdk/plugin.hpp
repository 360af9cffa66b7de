// backplane/sdk/plugin.hpp — header-only helpers for plugin authors.
//
// Compiled INTO the plugin; nothing here crosses the ABI. It gives:
//   - bp::sdk::failure: an exception carrying a bp_status, thrown inside the plugin;
//   - bp::sdk::guard(): runs a lambda, turns every exception into a status plus
//     host->set_error() message, so no exception ever leaves the plugin;
//   - bp::sdk::log(host, ...)/fail() helpers with printf-free formatting;
//   - bp::sdk::read_setting(host, ...)/option(host, ...): settings through the
//     host table the call received, with the secure-mode rule for settings
//     that name files or folders.
// Settings, logs and probe reports always go through the host table passed
// to the call (probe, init): each runtime hands its plugin instance its own
// table, and a plugin library loaded once serves several runtimes, so a
// process-wide "current host" would let one runtime answer for another.
#pragma once

#include <atomic>
#include <cstdio>
#include <cstring>
#include <exception>
#include <new>
#include <cstdlib>
#include <string>
#include <type_traits>
#include <utility>

#include "backplane/abi.h"
#include "backplane/sdk/secure_mode.hpp"

namespace bp::sdk {

// Thrown inside a plugin to return `status` with `message` at the edge.
class failure : public std::exception {
 public:
  failure(bp_status status, std::string message) : status_(status), message_(std::move(message)) {}
  bp_status status() const noexcept { return status_; }
  const char* what() const noexcept override { return message_.c_str(); }

 private:
  bp_status status_;
  std::string message_;
};

[[noreturn]] inline void fail(bp_status status, std::string message) { throw failure(status, std::move(message)); }

// guard()'s error channel: the last host table handed to this library, used
// ONLY to pass an error message from calls that receive no host (ops, memory).
// set_error carries no runtime state (the core keeps the message for the
// calling thread and reads it right after the call), so a shared channel
// cannot make one runtime answer for another. Never read settings through it.
namespace detail {
inline std::atomic<const bp_host_api*>& error_channel() {
  static std::atomic<const bp_host_api*> host{nullptr};
  return host;
}
}  // namespace detail

// Called by the entry symbol and by probe/init (table.hpp does it for you).
inline void set_host(const bp_host_api* host) { detail::error_channel().store(host, std::memory_order_release); }

// True when the host table has member `m` (a newer core may have more, an older fewer).
#define BP_SDK_HOST_HAS(h, m) ((h) != nullptr && BP_HAS_MEMBER(bp_host_api, m, (h)->struct_size) && (h)->m != nullptr)

inline void log(const bp_host_api* h, bp_log_level level, const std::string& message) {
  if (BP_SDK_HOST_HAS(h, log)) h->log(h->host_context, level, message.c_str());
}

inline void report_error(const bp_host_api* h, bp_status status, const char* message) {
  if (BP_SDK_HOST_HAS(h, set_error)) h->set_error(h->host_context, status, message);
}

// Through the error channel (see above): for guard() and op/memory calls.
inline void report_error(bp_status status, const char* message) {
  report_error(detail::error_channel().load(std::memory_order_acquire), status, message);
}

// A setting as the plugin may use it. In secure mode (secure_mode.hpp) a
// setting that names a file or folder is never taken from the environment:
// `value` is then empty and `ignored_value`/`ignored_reason` say what was
// dropped and why, for the plugin's report (ignored_note()).
struct setting {
  std::string name;  // without "BACKPLANE_"
  std::string value;
  std::string ignored_value, ignored_reason;
  bool ignored() const { return !ignored_reason.empty(); }
  std::string ignored_note() const {
    return ignored() ? "BACKPLANE_" + name + "='" + ignored_value + "' ignored: " + ignored_reason : std::string();
  }
};

// Setting lookup through `h`, the host table this call received (the host's
// override from bp_runtime_options.plugin_settings, else BACKPLANE_<NAME>).
// A host table that ends before get_option (an older or minimal host) cannot
// pass settings, so the plugin then reads BACKPLANE_<NAME> from the
// environment itself ("fault" is never read that way: fault injection goes
// through the core only). Locations follow the secure-mode rule whatever the
// host does (an older core may not apply it): a value equal to the
// environment's is dropped; a host-given value that differs is kept.
inline setting read_setting(const bp_host_api* h, const char* name) {
  setting s;
  if (!name) return s;
  s.name = name;
  const std::string env_name = "BACKPLANE_" + s.name;
  if (BP_SDK_HOST_HAS(h, get_option)) {
    const char* v = h->get_option(h->host_context, name);
    if (v) s.value = v;
  } else if (s.name != "fault" && !(setting_names_a_location(s.name) && secure_mode())) {
    const char* env = std::getenv(env_name.c_str());
    if (env) s.value = env;
  }
  if (s.name == "fault" || !setting_names_a_location(s.name) || !secure_mode()) return s;
  // Read only to say what was ignored; never used.
  const char* env = std::getenv(env_name.c_str());
  if (env && *env) {
    if (s.value == env) s.value.clear();
    s.ignored_value = env;
    s.ignored_reason = secure_mode_reason();
  }
  return s;
}

// The value of read_setting(h, name) ("" when unset or ignored).
inline std::string option(const bp_host_api* h, const char* name) { return read_setting(h, name).value; }

// Runs fn() (returning void or bp_status); converts every exception into a status + message.
template <typename Fn>
bp_status guard(const char* call, Fn&& fn) noexcept {
  try {
    if constexpr (std::is_same_v<decltype(fn()), void>) {
      fn();
      return BP_OK;
    } else {
      return fn();
    }
  } catch (const failure& f) {
    report_error(f.status(), f.what());
    return f.status();
  } catch (const std::bad_alloc&) {
    std::string m = std::string(call) + ": host memory allocation failed";
    report_error(BP_ERR_OUT_OF_MEMORY, m.c_str());
    return BP_ERR_OUT_OF_MEMORY;
  } catch (const std::exception& e) {
    std::string m = std::string(call) + ": unexpected exception: " + e.what();
    report_error(BP_ERR_INTERNAL, m.c_str());
    return BP_ERR_INTERNAL;
  } catch (...) {
    std::string m = std::string(call) + ": unexpected non-standard exception";
    report_error(BP_ERR_INTERNAL, m.c_str());
    return BP_ERR_INTERNAL;
  }
}

// Copy `text` into a caller's fixed buffer (always NUL-terminated when size > 0).
inline void copy_string(char* dst, uint64_t size, const std::string& text) {
  if (!dst || size == 0) return;
  size_t n = text.size() < size - 1 ? text.size() : static_cast<size_t>(size - 1);
  std::memcpy(dst, text.data(), n);
  dst[n] = '\0';
}

}  // namespace bp::sdk
