// cli_runner.cpp — see cli_runner.hpp.
#include "cli_runner.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include <doctest/doctest.h>

extern char** environ;

namespace cli_test {

namespace {

// The hermetic environment of every run: ours without BACKPLANE_*, NO_COLOR=1, plus `env`.
std::vector<std::string> test_environment(const std::map<std::string, std::string>& env) {
  std::vector<std::string> env_strings;
  for (char** entry = environ; *entry; ++entry) {
    const std::string text(*entry);
    const std::string name = text.substr(0, text.find('='));
    if (name.rfind("BACKPLANE_", 0) == 0 || name == "NO_COLOR" || env.count(name)) continue;
    env_strings.push_back(text);
  }
  env_strings.push_back("NO_COLOR=1");
  for (const auto& [name, value] : env)
    if (value != "\x01unset") env_strings.push_back(name + "=" + value);
  return env_strings;
}

}  // namespace

namespace {

// Spawns the tool with `args` in the test environment; `actions` set up its stdout and stderr.
pid_t spawn_backplane(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
                      posix_spawn_file_actions_t* actions) {
  std::vector<std::string> env_strings = test_environment(env);
  std::vector<std::string> argv_strings{BACKPLANE_CLI_PATH};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv, envp;
  for (std::string& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);
  for (std::string& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, argv[0], actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(actions);
  REQUIRE_MESSAGE(spawned == 0, "posix_spawn " << argv[0] << ": " << std::strerror(spawned));
  return pid;
}

}  // namespace

pid_t start_backplane(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
                      const std::string& stdout_path, const std::string& stderr_path) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  return spawn_backplane(args, env, &actions);
}

run_result run_backplane(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
                         double timeout_seconds) {
  int out_pipe[2], err_pipe[2];
  REQUIRE(::pipe2(out_pipe, O_CLOEXEC) == 0);
  REQUIRE(::pipe2(err_pipe, O_CLOEXEC) == 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = spawn_backplane(args, env, &actions);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);

  run_result result;
  int fds[2] = {out_pipe[0], err_pipe[0]};
  std::string* sinks[2] = {&result.out, &result.err};
  const auto deadline = start + std::chrono::duration<double>(timeout_seconds);
  while (fds[0] >= 0 || fds[1] >= 0) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      result.timed_out = true;
      ::kill(pid, SIGKILL);
      break;
    }
    pollfd polled[2];
    nfds_t count = 0;
    int which[2];
    for (int i = 0; i < 2; ++i)
      if (fds[i] >= 0) {
        polled[count] = {fds[i], POLLIN, 0};
        which[count++] = i;
      }
    if (::poll(polled, count, 100) < 0 && errno != EINTR) break;
    for (nfds_t k = 0; k < count; ++k) {
      if (!(polled[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buffer[65536];
      const ssize_t n = ::read(fds[which[k]], buffer, sizeof buffer);
      if (n > 0) {
        sinks[which[k]]->append(buffer, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[which[k]]);
        fds[which[k]] = -1;
      }
    }
  }
  for (int fd : fds)
    if (fd >= 0) ::close(fd);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  return result;
}

nlohmann::json parse_json_output(const run_result& result) {
  nlohmann::json parsed = nlohmann::json::parse(result.out, nullptr, false);
  REQUIRE_MESSAGE(!parsed.is_discarded(), "stdout is not JSON:\n" << describe(result));
  return parsed;
}

nlohmann::json find_plugin(const nlohmann::json& report, const std::string& name) {
  if (report.contains("plugins"))
    for (const auto& plugin : report["plugins"])
      if (plugin.value("name", "") == name) return plugin;
  return nullptr;
}

bool nvidia_driver_present() {
  void* handle = ::dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (handle) ::dlclose(handle);
  return handle != nullptr;
}

bool plugin_built(const std::string& name) {
  const run_result r = run_backplane({"devices", "--json", "--isolate"});
  nlohmann::json parsed = nlohmann::json::parse(r.out, nullptr, false);
  return !parsed.is_discarded() && !find_plugin(parsed, name).is_null();
}

std::string describe(const run_result& result) {
  return "exit=" + std::to_string(result.exit_code) + " signal=" + std::to_string(result.signal) +
         (result.timed_out ? " TIMED OUT" : "") + " seconds=" + std::to_string(result.seconds) +
         "\n--- stdout ---\n" + result.out + "\n--- stderr ---\n" + result.err;
}

}  // namespace cli_test
