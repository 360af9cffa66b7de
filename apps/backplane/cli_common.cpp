// cli_common.cpp — see cli_common.hpp.
#include "cli_common.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

#include "tool_output.hpp"

namespace bp::cli {

const char* const exit_codes_help =
    "Exit codes: 0 = the preferred (first-choice) backend is ready; 2 = fell back to another backend;\n"
    "3 = nothing usable; 1 = usage or internal error.";

namespace {
int g_exit_code = exit_ready;
}  // namespace

void set_exit_code(int code) { g_exit_code = code; }
int exit_code() { return g_exit_code; }

int exit_code_for_verdict(const std::string& verdict) {
  if (verdict == "ready") return exit_ready;
  if (verdict == "fell_back") return exit_fell_back;
  if (verdict == "nothing_usable") return exit_nothing_usable;
  return exit_error;
}

void add_common_options(CLI::App& command, common_options& options) {
  command.add_option("--plugin-path", options.plugin_paths,
                     "Plugin folder or file searched first (origin host_api); repeatable")
      ->type_name("DIR")
      ->allow_extra_args(false);
  command.add_option("--backend", options.backends,
                     "Ordered backend preference, e.g. cudnn,openblas-cpu (overrides BACKPLANE_BACKEND); "
                     "only listed backends are candidates")
      ->type_name("LIST");
  command.add_flag("--json", options.json, "Print machine-readable JSON on stdout instead of text");
}

void add_timeout_option(CLI::App& command, double& seconds) {
  constexpr double kMaxSeconds = 86400.0;
  command.add_option("--timeout", seconds, "Seconds each isolated probe may take (default 10)")
      ->type_name("SECONDS")
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            double value = 0.0;
            if (!CLI::detail::lexical_cast(text, value)) return "'" + text + "' is not a number of seconds";
            if (!std::isfinite(value) || value <= 0.0 || value > kMaxSeconds)
              return "'" + text + "' is not a number of seconds in (0, 86400]";
            return std::string();
          },
          "SECONDS in (0, 86400]"));
}

bool stdout_is_terminal() { return results_on_terminal(); }

bool colour_wanted() {
  const char* no_colour = std::getenv("NO_COLOR");
  if (no_colour != nullptr && no_colour[0] != '\0') return false;
  return stdout_is_terminal();
}

std::string palette::wrap(const char* code, const std::string& text) const {
  if (!enabled_) return text;
  return fmt::format("\x1b[{}m{}\x1b[0m", code, text);
}

std::string palette::state(const std::string& state_name) const {
  if (state_name == "ready") return good(state_name);
  if (state_name == "disabled" || state_name == "skipped") return dim(state_name);
  if (state_name == "no_device") return warn(state_name);
  return bad(state_name);
}

std::string format_bytes(uint64_t bytes, bool unknown_if_zero) {
  if (bytes == 0 && unknown_if_zero) return "unknown";
  static const char* const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  while (value >= 1024.0 && unit + 1 < sizeof(units) / sizeof(units[0])) {
    value /= 1024.0;
    ++unit;
  }
  if (unit == 0) return fmt::format("{} B", bytes);
  return fmt::format("{:.1f} {}", value, units[unit]);
}

std::string join(const std::vector<std::string>& items, const std::string& separator) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += separator;
    out += items[i];
  }
  return out;
}

std::vector<std::string> split_list(const std::string& text, char separator) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(separator, start);
    if (end == std::string::npos) end = text.size();
    std::string item = text.substr(start, end - start);
    const size_t first = item.find_first_not_of(" \t");
    const size_t last = item.find_last_not_of(" \t");
    if (first != std::string::npos) out.push_back(item.substr(first, last - first + 1));
    start = end + 1;
  }
  return out;
}

std::string json_string(const nlohmann::json& object, const char* key, const std::string& fallback) {
  if (!object.is_object()) return fallback;
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return fallback;
  if (it->is_string()) return it->get<std::string>();
  return it->dump();
}

int64_t json_int(const nlohmann::json& object, const char* key, int64_t fallback) {
  if (!object.is_object()) return fallback;
  auto it = object.find(key);
  if (it == object.end() || !it->is_number()) return fallback;
  return it->get<int64_t>();
}

bool json_bool(const nlohmann::json& object, const char* key, bool fallback) {
  if (!object.is_object()) return fallback;
  auto it = object.find(key);
  if (it == object.end() || !it->is_boolean()) return fallback;
  return it->get<bool>();
}

const nlohmann::json& json_array(const nlohmann::json& object, const char* key) {
  static const nlohmann::json empty = nlohmann::json::array();
  if (!object.is_object()) return empty;
  auto it = object.find(key);
  return (it != object.end() && it->is_array()) ? *it : empty;
}

const nlohmann::json& json_object(const nlohmann::json& object, const char* key) {
  static const nlohmann::json empty = nlohmann::json::object();
  if (!object.is_object()) return empty;
  auto it = object.find(key);
  return (it != object.end() && it->is_object()) ? *it : empty;
}

}  // namespace bp::cli
