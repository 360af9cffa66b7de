// backplane/secure_mode.hpp — the secure-mode rule, shared by the core and by
// plugins (header-only, installed with the core headers; nothing here crosses
// the ABI). The SDK re-exports it as backplane/sdk/secure_mode.hpp.
//
// A privileged process (setuid/setgid, file capabilities: the kernel sets
// AT_SECURE) must not load code from where its unprivileged caller points. So
// in secure mode no setting that names a file or folder, or steers a search
// for code, is taken from the environment: BACKPLANE_*_PATH, *_DIR, *_FILE,
// BACKPLANE_DEP_SEARCH, BACKPLANE_PLUGIN_ALLOWLIST. BACKPLANE_SECURE_MODE=1
// applies the same rules to an ordinary process (a rehearsal, and how tests
// check them); it can only make a process stricter, never lift the rule.
#pragma once

#include <sys/auxv.h>

#include <cstdlib>
#include <cstring>
#include <string>

namespace bp::contract {

// True when the process runs privileged (AT_SECURE) or BACKPLANE_SECURE_MODE=1.
inline bool secure_mode() {
  if (::getauxval(AT_SECURE) != 0) return true;
  const char* rehearse = std::getenv("BACKPLANE_SECURE_MODE");
  return rehearse && std::strcmp(rehearse, "1") == 0;
}

// Why secure mode is on, in words (for "ignored: ..." notes).
inline std::string secure_mode_reason() {
  return ::getauxval(AT_SECURE) != 0
             ? "this process runs with elevated privileges (setuid/setgid or file capabilities), so settings that "
               "name files or folders are not taken from the environment"
             : "BACKPLANE_SECURE_MODE=1 applies the rules of a privileged process: settings that name files or "
               "folders are not taken from the environment";
}

// True for a setting (its name without "BACKPLANE_") that names a file or
// folder or steers a search for code.
inline bool setting_names_a_location(const std::string& key) {
  auto ends_with = [&](const char* tail) {
    const size_t n = std::strlen(tail);
    return key.size() >= n && key.compare(key.size() - n, n, tail) == 0;
  };
  return ends_with("_PATH") || ends_with("_DIR") || ends_with("_FILE") || key == "DEP_SEARCH" ||
         key == "PLUGIN_ALLOWLIST";
}

}  // namespace bp::contract
