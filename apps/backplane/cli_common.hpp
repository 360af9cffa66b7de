// cli_common.hpp — helpers shared by every `backplane` subcommand: the common
// options (--plugin-path, --backend, --json), exit codes, terminal styling and
// small formatting/JSON helpers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "backplane/runtime.h"

namespace bp::cli {

// Process exit codes. doctor uses all of them; the meaning is the same for
// every subcommand that reports a verdict (docs/operations.md, "Exit codes").
enum exit_code : int {
  exit_ready = 0,           // the preferred (first-choice) backend is ready
  exit_error = 1,           // usage error or internal error
  exit_fell_back = 2,       // the preferred backend cannot serve; another one was selected
  exit_nothing_usable = 3   // no backend can serve
};

// Text for --help footers.
extern const char* const exit_codes_help;

// The exit code main() returns once parsing and the subcommand callback are done.
void set_exit_code(int code);
int exit_code();

// Maps a report "verdict" ("ready", "fell_back", "nothing_usable") to its exit code.
int exit_code_for_verdict(const std::string& verdict);

// Options every subcommand that creates a runtime accepts.
struct common_options {
  std::vector<std::string> plugin_paths;  // --plugin-path DIR (repeatable), searched first
  std::string backends;                   // --backend LIST: ordered preference, e.g. "cudnn,openblas-cpu"
  bool json = false;                      // --json: machine-readable output on stdout
};
void add_common_options(CLI::App& command, common_options& options);

// --timeout SECONDS of the commands that probe in child processes: a finite
// number > 0 and at most a day (nan, inf, 0 and negatives are usage errors).
void add_timeout_option(CLI::App& command, double& seconds);

// ---- terminal styling -------------------------------------------------------

// True when the results reach a terminal (tool_output.hpp: decided before any redirection).
bool stdout_is_terminal();
// Colour only on a terminal and only when NO_COLOR is unset or empty (no-color.org).
bool colour_wanted();

// ANSI styling that collapses to plain text when disabled.
class palette {
 public:
  explicit palette(bool enabled) : enabled_(enabled) {}
  std::string bold(const std::string& text) const { return wrap("1", text); }
  std::string dim(const std::string& text) const { return wrap("2", text); }
  std::string good(const std::string& text) const { return wrap("32", text); }
  std::string warn(const std::string& text) const { return wrap("33", text); }
  std::string bad(const std::string& text) const { return wrap("31", text); }
  // Colour for a plugin state name ("ready" green, "disabled" dim, failures red...).
  std::string state(const std::string& state_name) const;
  bool enabled() const { return enabled_; }

 private:
  std::string wrap(const char* code, const std::string& text) const;
  bool enabled_;
};

// ---- formatting -------------------------------------------------------------

// "7.6 GiB", "512 MiB", "0 B"; "unknown" for 0 when unknown_if_zero.
std::string format_bytes(uint64_t bytes, bool unknown_if_zero = true);
// "a, b, c".
std::string join(const std::vector<std::string>& items, const std::string& separator);
// Splits on `separator`, trimming blanks and dropping empty items.
std::vector<std::string> split_list(const std::string& text, char separator);

// ---- JSON access with defaults (reports from older/newer cores may lack keys) --

std::string json_string(const nlohmann::json& object, const char* key, const std::string& fallback = "");
int64_t json_int(const nlohmann::json& object, const char* key, int64_t fallback = 0);
bool json_bool(const nlohmann::json& object, const char* key, bool fallback = false);
// object[key] when it is an array, else an empty array.
const nlohmann::json& json_array(const nlohmann::json& object, const char* key);
// object[key] when it is an object, else an empty object.
const nlohmann::json& json_object(const nlohmann::json& object, const char* key);

}  // namespace bp::cli
