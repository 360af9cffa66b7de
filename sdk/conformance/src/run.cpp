// run.cpp — backplane_conformance_run and the report's text and JSON forms.
#include <climits>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "checks.hpp"

namespace bp::conformance {

bool report::passed() const { return count(verdict::fail) == 0 && !checks.empty(); }

std::size_t report::count(verdict v) const {
  std::size_t n = 0;
  for (const auto& c : checks) n += c.result == v;
  return n;
}

std::string report::text() const {
  std::string s = "conformance of " + plugin_path + (plugin_name.empty() ? "" : " ('" + plugin_name + "')") +
                  ", reference " + (reference_name.empty() ? "(none)" : "'" + reference_name + "' " + reference_path) +
                  ", seed " + std::to_string(seed) + "\n";
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
  j["passed"] = passed();
  j["summary"] = {{"pass", count(verdict::pass)}, {"fail", count(verdict::fail)}, {"skip", count(verdict::skip)}};
  j["checks"] = nlohmann::json::array();
  for (const auto& c : checks)
    j["checks"].push_back({{"name", c.name},
                           {"result", c.result == verdict::pass ? "pass" : c.result == verdict::skip ? "skip" : "fail"},
                           {"detail", c.detail}});
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
  try {
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
