// run.cpp — backplane_conformance_run and the report's text and JSON forms.
#include <climits>
#include <csignal>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "case_file.hpp"
#include "checks.hpp"
#include "modes.hpp"

namespace bp::conformance {

const char* mode_name(mode m) {
  return m == mode::grad ? "grad" : m == mode::perf ? "perf" : m == mode::support ? "support" : "test";
}

bool parse_mode(const std::string& word, mode* out) {
  for (mode m : {mode::test, mode::grad, mode::perf, mode::support})
    if (word == mode_name(m)) return *out = m, true;
  return false;
}

bool report::passed() const { return count(verdict::fail) == 0 && !checks.empty(); }

std::size_t report::count(verdict v) const {
  std::size_t n = 0;
  for (const auto& c : checks) n += c.result == v;
  return n;
}

std::string report::text() const {
  std::string s = "conformance of " + plugin_path + (plugin_name.empty() ? "" : " ('" + plugin_name + "')") +
                  (run_mode != mode::test ? ""
                                          : ", reference " + (reference_name.empty() ? "(none)" : "'" + reference_name + "' " + reference_path)) +
                  ", seed " + std::to_string(seed) + ", mode " + mode_name(run_mode) + "\n";
  for (const auto& c : checks) {
    const char* tag = c.result == verdict::pass ? "PASS" : c.result == verdict::skip ? "SKIP" : "FAIL";
    s += std::string(tag) + "  " + c.name + ": " + c.detail + "\n";
  }
  s += std::string(passed() ? "PASSED" : "FAILED") + ": " + std::to_string(count(verdict::pass)) + " passed, " +
       std::to_string(count(verdict::fail)) + " failed, " + std::to_string(count(verdict::skip)) + " skipped\n";
  return s;
}

std::string report::json() const {
  nlohmann::json j;
  j["schema_version"] = 1;
  j["plugin"] = {{"path", plugin_path}, {"name", plugin_name}};
  j["reference"] = {{"path", reference_path}, {"name", reference_name}};
  j["seed"] = seed;
  j["mode"] = mode_name(run_mode);
  j["passed"] = passed();
  j["summary"] = {{"pass", count(verdict::pass)}, {"fail", count(verdict::fail)}, {"skip", count(verdict::skip)}};
  j["checks"] = nlohmann::json::array();
  for (const auto& c : checks)
    j["checks"].push_back({{"name", c.name},
                           {"result", c.result == verdict::pass ? "pass" : c.result == verdict::skip ? "skip" : "fail"},
                           {"detail", c.detail}});
  if (run_mode == mode::perf || run_mode == mode::support) {
    j["measurements"] = nlohmann::json::array();
    for (const op_measurement& m : measurements) {
      nlohmann::json row = {{"op", m.op}, {"label", m.label}, {"claimed", m.claimed}, {"reason", m.reason}};
      if (run_mode == mode::perf)
        row.update({{"seconds", m.seconds}, {"flops", m.flops}, {"bytes", m.bytes}, {"gflops", m.gflops},
                    {"gbytes", m.gbytes}, {"compute_bound", m.compute_bound}, {"fraction_of_peak", m.fraction_of_peak}});
      j["measurements"].push_back(std::move(row));
    }
    if (run_mode == mode::perf) j["peak"] = {{"gflops", peak_gflops}, {"gbytes", peak_gbytes}};
  }
  // Plugin messages are not guaranteed UTF-8: replace invalid bytes instead of throwing.
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace bp::conformance

bp::conformance::report backplane_conformance_run(const std::string& plugin_path, const std::string& reference_plugin_path,
                                                  const bp::conformance::options& options) {
  using namespace bp::conformance;
  report rep;
  // The core ignores relative plugin paths (a security rule); resolve them here.
  auto absolute = [](const std::string& path) {
    if (path.empty()) return path;
    char resolved[PATH_MAX];
    return realpath(path.c_str(), resolved) ? std::string(resolved) : path;
  };
  const std::string plugin_abs = absolute(plugin_path), reference_abs = absolute(reference_plugin_path);
  rep.plugin_path = plugin_abs;
  rep.seed = options.seed;
  rep.run_mode = options.run_mode;
  try {
    detail::check_op_filters(options.ops);
    if (options.run_mode != mode::test) {
      // grad, perf, support: the op cases only, in a child (a crash or hang is a FAIL).
      (void)detail::load_cases("test", options.ops, options.cases_file);  // a bad case file is a kit error here, not in the child
      detail::isolated(mode_name(options.run_mode), options.isolate, 600, rep.checks,
                       [&](detail::results& out) {
                         // In the child, a plugin's crash must end it with its signal, which the
                         // parent reports, not run the host's crash handler (a test framework's).
                         if (options.isolate)
                           for (int sig : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT}) std::signal(sig, SIG_DFL);
                         detail::run_mode_checks(plugin_abs, options, out);
                       });
      for (auto it = rep.checks.begin(); it != rep.checks.end(); ++it)
        if (it->name == detail::kPluginNote) {
          rep.plugin_name = it->detail;
          rep.checks.erase(it);
          break;
        }
      detail::collect_measurements(rep);
      return rep;
    }
    detail::plugin_facts facts;
    detail::run_raw_checks(plugin_abs, options.isolate, options.use_environment, rep.checks, facts);
    rep.plugin_name = facts.name;
    // In a child too: a plugin that hangs in shutdown or deadlocks under threads
    // must produce a FAIL, not a kit that never returns.
    detail::isolated("runtime", options.isolate, 300, rep.checks, [&](detail::results& out) {
      detail::run_runtime_checks(plugin_abs, facts, reference_abs, options, out);
    });
    for (auto it = rep.checks.begin(); it != rep.checks.end(); ++it) {
      if (it->name != detail::kReferenceNote) continue;
      const size_t tab = it->detail.find('\x1f');
      rep.reference_name = it->detail.substr(0, tab);
      rep.reference_path = tab == std::string::npos ? "" : it->detail.substr(tab + 1);
      rep.checks.erase(it);
      break;
    }
  } catch (const std::exception& e) {
    detail::add_result(rep.checks, "kit.internal", false, std::string("the conformance kit itself failed: ") + e.what());
  }
  return rep;
}

std::vector<std::string> backplane_conformance_list_cases(const bp::conformance::options& options) {
  using namespace bp::conformance;
  detail::check_op_filters(options.ops);
  const char* suite = options.run_mode == mode::grad ? "grad" : options.run_mode == mode::perf ? "perf" : "test";
  std::vector<std::string> lines;
  for (const detail::op_case& c : detail::load_cases(suite, options.ops, options.cases_file))
    lines.push_back(detail::case_to_json(c).dump());
  return lines;
}
