// report_text.hpp — words for reports: why a plugin cannot serve, what to do,
// and the one-line verdict that `doctor` ends with and `devices` summarises.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_common.hpp"

namespace bp::cli {

// bp_cause value for a cause name ("driver_missing" -> BP_CAUSE_DRIVER_MISSING); -1 if unknown.
int cause_code_from_name(const std::string& name);

// The dependency that explains a plugin's failure (first required one with a
// cause), or nullptr.
const nlohmann::json* culprit_dependency(const nlohmann::json& plugin);

// Why this plugin cannot serve, in one phrase, e.g.
// "CUDA driver missing (libcuda.so.1 not found in: /usr/local/cuda/lib64, the dynamic linker's default search)".
std::string failure_reason(const nlohmann::json& plugin);

// What to do about it: the dependency's remedy, else the plugin's, else the
// core's generic remedy for the cause.
std::string failure_remedy(const nlohmann::json& plugin);

// "GPU backend 'cudnn'" / "CPU backend 'openblas-cpu'" / "backend 'x'".
std::string backend_label(const nlohmann::json& plugin);

// True for the record of a second copy of a plugin (refused: the first copy found wins).
bool is_duplicate_copy(const nlohmann::json& plugin);

// The plugin entry named `name` that took part in the selection (never a
// refused duplicate copy when the plugin itself is there), or nullptr.
const nlohmann::json* find_plugin(const nlohmann::json& report, const std::string& name);

// The final verdict, one line (no trailing newline). It names the cause that
// decided the outcome; a refused duplicate copy is a note, never the verdict.
std::string verdict_line(const nlohmann::json& report);

// Remarks that did not decide the outcome (duplicate copies), one per line.
std::vector<std::string> report_notes(const nlohmann::json& report);

// The last lines an isolated child printed (warnings, a crash message), ""
// when none; at most `max_lines` lines.
std::string child_output_tail(const nlohmann::json& plugin, size_t max_lines = 8);

// "the dynamic linker's default search" for "", else the folder.
std::string folder_label(const std::string& directory);

// `backplane doctor --fix`: for each plugin that cannot serve, one comment line
// naming each failing required dependency (or the plugin's own cause) and the
// one command or variable that would fix it (the "fix: " clause of its remedy,
// backplane/dep_search_words.hpp; VAR=value lines as `export VAR=value`), or
// its remedy in words when it has none. Printed, never run.
std::vector<std::string> fix_lines(const nlohmann::json& report);

}  // namespace bp::cli
