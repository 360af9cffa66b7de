// selection.hpp — which plugin serves, as pure functions over plugin records.
//
// The one place for the selection rules: the duplicate rule (the first file
// that provides a name wins), the disabled rule (a disabled plugin is no
// candidate), the candidate order (the host's or BACKPLANE_BACKEND's list in
// its order, else GPU, other accelerators, CPU, by priority within a kind,
// files that never loaded last), the "no plugin named X" record, the
// preferred backend (the first candidate) and the selected one (the first
// candidate that is ready and can be used). bp_runtime_create applies them to
// the plugins it loaded; bp_select_report_json applies them to the records a
// tool gathered elsewhere (one isolated child per plugin file), so both give
// the same answer.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config.hpp"
#include "records.hpp"

namespace bp::core {

using record_list = std::vector<std::unique_ptr<plugin_record>>;

// True when the record's file was loaded (its table was read): only then is its
// device kind known. Files refused, not loadable or incompatible never were.
bool record_was_loaded(const plugin_record& record);

// Decides a loaded plugin's admission, in record order: disabled (by the
// configuration) or a duplicate of a name an earlier file provided
// (`first_file_of`: name -> that file, updated here). Returns true when the
// record stays a candidate; otherwise the record says why not.
bool admit_loaded_record(plugin_record& record, const config& cfg,
                         std::map<std::string, std::string>& first_file_of);

// The record for a backend the configuration asks for that no file provides.
std::unique_ptr<plugin_record> not_found_record(const std::string& name,
                                                const std::vector<search_path_record>& search_paths);

// The candidates in preference order. With a backend list, its names in order
// (a name no admitted record carries gets a not_found record appended to
// `records`); else every admitted, non-disabled record, ranked.
std::vector<plugin_record*> candidate_order(record_list& records, const config& cfg,
                                            const std::vector<search_path_record>& search_paths);

struct selection_result {
  std::string preferred;                    // the first candidate's name ("" when none)
  plugin_record* selected = nullptr;        // the backend that serves (nullptr when none can)
  std::vector<plugin_record*> passed_over;  // candidates tried before it (all of them when none serves)
};

// The first candidate whose state is ready and for which `can_use` (the core's
// init; a tool's gathered verdict) says yes; marks it selected.
selection_result select_backend(const std::vector<plugin_record*>& order,
                                const std::function<bool(plugin_record&)>& can_use);

// The BACKEND_FALLBACK event for a candidate passed over in favour of `selected`.
event_record backend_fallback_event(const plugin_record& passed_over, const std::string& selected);

// "ready", "fell_back", "nothing_usable" or "refused_by_policy".
const char* selection_verdict(const selection_result& result, bool refused_by_policy);

}  // namespace bp::core
