// config_fuzzer — the environment-variable and fault-spec parsers of the
// core, compiled into the fuzzer (core/src/config.cpp, log.cpp, errors.cpp).
//
// Input: newline-separated fields, in order BACKPLANE_FAULT, BACKPLANE_LOG,
// BACKPLANE_BACKEND, BACKPLANE_FALLBACK, BACKPLANE_DISABLE,
// BACKPLANE_ALLOW_UNSAFE_PLUGINS, options.fault, options.backends,
// options.disable. A field that is absent leaves its variable unset.
// Invariants: load_config never crashes and returns OK or INVALID_ARGUMENT
// with a message naming the variable; accepted fault clauses are all known,
// well formed, and findable; parse_fault_spec agrees with load_config.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "config.hpp"
#include "errors.hpp"
#include "fuzz_input.hpp"
#include "log.hpp"

namespace {

[[noreturn]] void violated(const char* what, const std::string& detail) {
  std::fprintf(stderr, "config_fuzzer: invariant violated: %s: %s\n", what, detail.c_str());
  std::abort();
}

const char* const kVariables[] = {"BACKPLANE_FAULT",   "BACKPLANE_LOG",     "BACKPLANE_BACKEND",
                                  "BACKPLANE_FALLBACK", "BACKPLANE_DISABLE", "BACKPLANE_ALLOW_UNSAFE_PLUGINS"};

bool known_fault(const std::string& f) {
  static const char* const names[] = {"missing",        "version",       "no_driver",     "no_device",
                                      "oom_at_init",    "init_fail",     "crash_in_probe", "hang_in_probe",
                                      "abort_in_probe", "abi_major",     "load_fail",     "oom_at_execute"};
  for (const char* n : names)
    if (f == n) return true;
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bp::core;
  fuzz::input in(data, size);
  std::vector<std::string> fields;
  std::vector<bool> present;
  for (int i = 0; i < 9; ++i) {
    present.push_back(!in.empty());
    fields.push_back(in.line(4200));
  }
  for (int i = 0; i < 6; ++i) {
    if (present[i]) setenv(kVariables[i], fields[i].c_str(), 1);
    else unsetenv(kVariables[i]);
  }
  unsetenv("BACKPLANE_PLUGIN_PATH");
  unsetenv("BACKPLANE_PLUGIN_ALLOWLIST");

  bp_runtime_options o;
  bp_runtime_options_init(&o);
  o.use_environment = 1;
  if (present[6]) o.fault = fields[6].c_str();
  if (present[7]) o.backends = fields[7].c_str();
  if (present[8]) o.disable = fields[8].c_str();
  config cfg;
  clear_error();
  const bp_status s = load_config(&o, &cfg);
  const std::string message = bp_last_error_message();
  if (s != BP_OK && s != BP_ERR_INVALID_ARGUMENT && s != BP_ERR_POLICY)
    violated("load_config status", std::to_string(s) + ": " + message);
  if (s != BP_OK && message.empty()) violated("load_config", "failure without a message");
  if (s == BP_OK) {
    for (const fault_clause& f : cfg.faults) {
      if (!known_fault(f.fault)) violated("accepted unknown fault", f.text);
      if (f.target.empty()) violated("accepted empty target", f.text);
      if (!cfg.find_fault(f.target == "*" ? "anything" : f.target, f.fault)) violated("clause not findable", f.text);
      if (cfg.fault_text_for(f.target).find(f.fault) == std::string::npos) violated("clause not in fault text", f.text);
    }
    for (const std::string& b : cfg.backends)
      if (b.empty()) violated("empty backend name accepted", fields[2]);
    // A list that was written but names nothing (",,,") is an error, never "no list".
    if (present[8] && !fields[8].empty() && cfg.disabled.empty()) violated("empty options.disable accepted", fields[8]);
    if (present[4] && !fields[4].empty() && cfg.disabled.empty()) violated("empty BACKPLANE_DISABLE accepted", fields[4]);
    const bool env_auto = fields[2].find_first_not_of(" \t") != std::string::npos &&
                          fields[2].substr(fields[2].find_first_not_of(" \t")).rfind("auto", 0) == 0;
    if (present[2] && !fields[2].empty() && !env_auto && !(present[7] && !fields[7].empty()) && cfg.backends.empty())
      violated("BACKPLANE_BACKEND naming nothing accepted", fields[2]);
    for (const std::string& d : cfg.disabled)
      if (!cfg.is_disabled(d)) violated("disabled name not disabled", d);
    if (cfg.fallback != BP_FALLBACK_ALLOW && cfg.fallback != BP_FALLBACK_WARN && cfg.fallback != BP_FALLBACK_ERROR)
      violated("fallback policy out of range", std::to_string(cfg.fallback));
  }
  // The parser alone, on the raw BACKPLANE_FAULT field: the same verdict as through load_config.
  std::vector<fault_clause> clauses;
  std::string why;
  const bool parsed = parse_fault_spec(fields[0], &clauses, &why);
  if (!parsed && why.empty()) violated("parse_fault_spec", "rejected without a reason");
  if (parsed) {
    for (const fault_clause& f : clauses)
      if (!known_fault(f.fault) || f.text.empty()) violated("parse_fault_spec accepted", f.text);
  }
  std::string log_why;
  if (!configure_logging(fields[1], &log_why) && log_why.empty()) violated("configure_logging", "rejected without a reason");
  configure_logging("warn", &log_why);  // back to the default for the next input
  return 0;
}
