// fixtures.hpp — helpers shared by the core tests: hermetic runtime options
// pointing at one fake-plugin folder, and a scoped environment variable.
#pragma once

#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "backplane/backplane.hpp"
#include "hermetic_options.hpp"

namespace fixtures {

inline std::string fake_dir(const std::string& variant) { return std::string(BACKPLANE_FAKES_DIR) + "/" + variant; }

// Options that see only `paths` and ignore the environment (tests/framework).
using hermetic_options = bp_test::hermetic_options;

struct scoped_env {
  std::string name;
  std::string old;
  bool had;
  scoped_env(const char* n, const char* value) : name(n) {
    const char* v = std::getenv(n);
    had = v != nullptr;
    if (had) old = v;
    if (value) setenv(n, value, 1);
    else unsetenv(n);
  }
  ~scoped_env() {
    if (had) setenv(name.c_str(), old.c_str(), 1);
    else unsetenv(name.c_str());
  }
};

// A fresh folder under the temporary directory, mode 0755.
inline std::string temp_dir(const std::string& name) {
  namespace fs = std::filesystem;
  fs::path p = fs::temp_directory_path() / ("bp-core-test-" + name + "-" + std::to_string(getpid()));
  fs::remove_all(p);
  fs::create_directories(p);
  fs::permissions(p, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec | fs::perms::others_read |
                         fs::perms::others_exec);
  return p.string();
}

// Copy of the fake plugin `variant` (file libbackplane-<name>.so) into `dir`
// as `file` (default: the same file name); returns the new path.
inline std::string copy_fake(const std::string& variant, const std::string& name, const std::string& dir,
                             const std::string& file = "") {
  std::string to = dir + "/" + (file.empty() ? "libbackplane-" + name + ".so" : file);
  std::filesystem::copy_file(fake_dir(variant) + "/libbackplane-" + name + ".so", to,
                             std::filesystem::copy_options::overwrite_existing);
  return to;
}

// bp_discover_json's text for `o` ("" when it fails).
inline std::string discover_json(const bp_runtime_options& o) {
  uint64_t needed = 0;
  if (bp_discover_json(&o, nullptr, 0, &needed) != BP_OK) return "";
  std::string text(needed, '\0');
  if (bp_discover_json(&o, text.data(), text.size(), &needed) != BP_OK) return "";
  text.resize(needed - 1);
  return text;
}

// Runs `fn` in a child process as a user without privileges (uid/gid 65534,
// "nobody", when this process is root: root reads every file, so what an
// ordinary user sees can only be checked this way) and returns its result,
// or "child failed: ..." when the child could not run it.
inline std::string run_unprivileged(const std::function<std::string()>& fn) {
  int fds[2];
  if (pipe(fds) != 0) return "child failed: pipe";
  pid_t pid = fork();
  if (pid < 0) return "child failed: fork";
  if (pid == 0) {
    close(fds[0]);
    if (geteuid() == 0 && (setgroups(0, nullptr) != 0 || setgid(65534) != 0 || setuid(65534) != 0)) _exit(3);
    std::string out = fn();
    for (size_t done = 0; done < out.size();) {
      ssize_t n = write(fds[1], out.data() + done, out.size() - done);
      if (n <= 0) _exit(4);
      done += static_cast<size_t>(n);
    }
    _exit(0);
  }
  close(fds[1]);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return "child failed: status " + std::to_string(status);
  return out;
}

inline const bp_plugin_info* find_plugin(const std::vector<bp_plugin_info>& infos, const std::string& name) {
  for (auto& i : infos)
    if (name == i.name) return &i;
  return nullptr;
}

}  // namespace fixtures
