// cli_runner.hpp — spawn the built `backplane` binary with a controlled
// environment and capture its exit code, stdout and stderr.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace cli_test {

struct run_result {
  int exit_code = -1;     // -1 when killed by a signal or timed out
  int signal = 0;         // the terminating signal, if any
  bool timed_out = false; // the test's own safety deadline was hit
  double seconds = 0.0;
  std::string out, err;
};

// Runs BACKPLANE_CLI_PATH with `args`. The environment is this process's
// without any BACKPLANE_* variable (hermetic), with NO_COLOR=1, plus `env`
// (a value of "\x01unset" removes the variable instead).
run_result run_backplane(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {},
                         double timeout_seconds = 120.0);

// Starts BACKPLANE_CLI_PATH like run_backplane, without waiting: stdout and
// stderr go to the given files (e.g. /dev/full). Returns its pid.
pid_t start_backplane(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
                      const std::string& stdout_path, const std::string& stderr_path);

// Parses stdout as JSON; fails the current test case with context otherwise.
nlohmann::json parse_json_output(const run_result& result);

// The plugin named `name` in a report (null json when absent).
nlohmann::json find_plugin(const nlohmann::json& report, const std::string& name);

// True when the NVIDIA driver library can be loaded here (then a GPU machine
// expects different verdicts; tests that assume "no driver" say so and skip).
bool nvidia_driver_present();

// True when `backplane devices` lists a plugin named `name` (plugins built conditionally).
bool plugin_built(const std::string& name);

// "exit=2 signal=0 seconds=..." plus both streams, for failure messages.
std::string describe(const run_result& result);

}  // namespace cli_test
