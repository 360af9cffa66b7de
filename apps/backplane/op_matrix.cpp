// op_matrix.cpp — see op_matrix.hpp.
#include "op_matrix.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "cli_common.hpp"
#include "plugin_scan.hpp"

namespace bp::cli {
namespace {

std::string plugin_label(const bp::conformance::report& r) {
  return r.plugin_name.empty() ? plugin_name_from_path(r.plugin_path) : r.plugin_name;
}

// Op kinds in the order the reports first name them.
std::vector<std::string> ops_in(const std::vector<bp::conformance::report>& reports) {
  std::vector<std::string> ops;
  for (const auto& r : reports)
    for (const auto& m : r.measurements)
      if (std::find(ops.begin(), ops.end(), m.op) == ops.end()) ops.push_back(m.op);
  return ops;
}

struct tally {
  int claimed = 0, cases = 0;
  std::vector<std::string> reasons;  // distinct, in order
};

std::map<std::string, tally> tally_of(const bp::conformance::report& r) {
  std::map<std::string, tally> t;
  for (const auto& m : r.measurements) {
    tally& x = t[m.op];
    ++x.cases;
    if (m.claimed) ++x.claimed;
    else if (std::find(x.reasons.begin(), x.reasons.end(), m.reason) == x.reasons.end()) x.reasons.push_back(m.reason);
  }
  return t;
}

// The verdict of a report that measured nothing (the plugin could not serve).
std::string failure_of(const bp::conformance::report& r) {
  for (const auto& c : r.checks)
    if (c.result == bp::conformance::verdict::fail) return c.name + ": " + c.detail;
  return "";
}

}  // namespace

std::vector<std::string> discovered_plugin_files(const std::vector<std::string>& names,
                                                 const std::vector<std::string>& search_paths) {
  runtime_request request;
  request.plugin_paths = search_paths;
  std::vector<std::string> files;
  for (const std::string& path : scan_plugin_files(request).to_probe)
    if (names.empty() || std::find(names.begin(), names.end(), plugin_name_from_path(path)) != names.end())
      files.push_back(path);
  return files;
}

std::string render_support_matrix(const std::vector<bp::conformance::report>& reports) {
  std::string out = fmt::format("{:<20}", "op");
  std::vector<std::map<std::string, tally>> tallies;
  for (const auto& r : reports) {
    out += fmt::format(" {:>16}", plugin_label(r));
    tallies.push_back(tally_of(r));
  }
  out += "\n";
  for (const std::string& op : ops_in(reports)) {
    out += fmt::format("{:<20}", op);
    for (size_t p = 0; p < reports.size(); ++p) {
      const auto it = tallies[p].find(op);
      const std::string cell = it == tallies[p].end() ? "-"
                               : it->second.claimed == it->second.cases
                                   ? fmt::format("all {}", it->second.cases)
                                   : fmt::format("{}/{} claimed", it->second.claimed, it->second.cases);
      out += fmt::format(" {:>16}", cell);
    }
    out += "\n";
  }
  for (size_t p = 0; p < reports.size(); ++p) {
    const std::string failure = failure_of(reports[p]);
    if (!failure.empty()) out += fmt::format("{} could not be asked: {}\n", plugin_label(reports[p]), failure);
    for (const auto& [op, t] : tallies[p])
      for (const std::string& reason : t.reasons)
        out += fmt::format("{} declines {}: {}\n", plugin_label(reports[p]), op, reason);
  }
  return out;
}

std::string render_perf_table(const std::vector<bp::conformance::report>& reports) {
  std::string out;
  for (const auto& r : reports) {
    out += fmt::format("{}: measured peak {:.3g} GFLOP/s, {:.3g} GB/s (its best rates in this run)\n", plugin_label(r), r.peak_gflops,
                       r.peak_gbytes);
    const std::string failure = failure_of(r);
    if (!failure.empty()) out += "  " + failure + "\n";
  }
  std::vector<std::string> labels;
  for (const auto& r : reports)
    for (const auto& m : r.measurements)
      if (std::find(labels.begin(), labels.end(), m.label) == labels.end()) labels.push_back(m.label);
  out += fmt::format("{:<60}", "case");
  for (const auto& r : reports) out += fmt::format(" {:>24}", plugin_label(r));
  out += "\n";
  for (const std::string& label : labels) {
    out += fmt::format("{:<60}", label.size() > 60 ? label.substr(0, 57) + "..." : label);
    for (const auto& r : reports) {
      std::string cell = "-";
      for (const auto& m : r.measurements) {
        if (m.label != label) continue;
        if (!m.claimed) cell = "declined";
        else if (m.seconds <= 0) cell = "failed";
        else
          cell = m.compute_bound ? fmt::format("{:.3g} GFLOP/s {:.0f}%", m.gflops, 100 * m.fraction_of_peak)
                                 : fmt::format("{:.3g} GB/s {:.0f}%", m.gbytes, 100 * m.fraction_of_peak);
      }
      out += fmt::format(" {:>24}", cell);
    }
    out += "\n";
  }
  return out;
}

nlohmann::json support_matrix_json(const std::vector<bp::conformance::report>& reports) {
  nlohmann::json j = {{"plugins", nlohmann::json::array()}, {"ops", nlohmann::json::object()}};
  for (const auto& r : reports) {
    j["plugins"].push_back({{"name", plugin_label(r)}, {"path", r.plugin_path}, {"error", failure_of(r)}});
    for (const auto& [op, t] : tally_of(r))
      j["ops"][op][plugin_label(r)] = {{"claimed", t.claimed}, {"cases", t.cases}, {"declined", t.reasons}};
  }
  return j;
}

}  // namespace bp::cli
