// report_text.hpp — words for reports: why a plugin cannot serve, what to do,
// and the one-line verdict that `doctor` ends with and `devices` summarises.
#pragma once

#include <string>

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

// The plugin entry named `name`, or nullptr.
const nlohmann::json* find_plugin(const nlohmann::json& report, const std::string& name);

// The final verdict, one line (no trailing newline).
std::string verdict_line(const nlohmann::json& report);

// "the dynamic linker's default search" for "", else the folder.
std::string folder_label(const std::string& directory);

}  // namespace bp::cli
