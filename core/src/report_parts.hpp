// report_parts.hpp — the pieces of the report JSON (report.cpp), shared with
// the selection over gathered reports (select_report.cpp) so both write the
// same schema from the same records.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "config.hpp"
#include "discovery.hpp"
#include "records.hpp"

namespace bp::core {
using json = nlohmann::ordered_json;

json plugin_json(const plugin_record& record);
json policy_json(const config& cfg);
// The variables that steer discovery and selection, as set (BACKPLANE_*, LD_LIBRARY_PATH, ...).
json environment_json();
json discovery_json(const discovery_result& discovery);
// Every report leaves the core through here (strings made valid UTF-8).
std::string dump_report(const json& report);
// The buffer protocol of every *_json call: *needed gets the size with the NUL;
// a NULL buffer only asks for it; a buffer too small is an error naming `call`.
bp_status copy_text_out(const char* call, const std::string& text, char* buffer, uint64_t size, uint64_t* needed);
}  // namespace bp::core
