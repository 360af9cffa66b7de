// select_report_test.cpp — issue #11 §1: one selection engine in the core.
// bp_select_report_json (the selection over records gathered elsewhere, as the
// tool's isolated children gather them) gives the answer bp_runtime_create
// gives; host plugin settings answer get_option per runtime; no build-tree
// search root is compiled into the library.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <set>

#include "fixtures.hpp"

using namespace fixtures;
using json = nlohmann::json;

namespace {

std::string select_json(const bp_runtime_options& o, const std::string& report, bp_status* status = nullptr) {
  uint64_t needed = 0;
  bp_status s = bp_select_report_json(&o, report.c_str(), nullptr, 0, &needed);
  if (status) *status = s;
  if (s != BP_OK) return "";
  std::string text(needed, '\0');
  s = bp_select_report_json(&o, report.c_str(), text.data(), text.size(), &needed);
  if (status) *status = s;
  text.resize(needed ? needed - 1 : 0);
  return text;
}

// The report of a runtime created with `o`, or the failure report.
json created_report(const bp_runtime_options& o) {
  bp_runtime_t rt = nullptr;
  if (bp_runtime_create(&o, &rt) != BP_OK) {
    uint64_t needed = 0;
    REQUIRE(bp_last_failure_report_json(nullptr, 0, &needed) == BP_OK);
    std::string text(needed, '\0');
    REQUIRE(bp_last_failure_report_json(text.data(), text.size(), &needed) == BP_OK);
    text.resize(needed - 1);
    return json::parse(text);
  }
  uint64_t needed = 0;
  REQUIRE(bp_runtime_report_json(rt, nullptr, 0, &needed) == BP_OK);
  std::string text(needed, '\0');
  REQUIRE(bp_runtime_report_json(rt, text.data(), text.size(), &needed) == BP_OK);
  text.resize(needed - 1);
  bp_runtime_destroy(rt);
  return json::parse(text);
}

// The decisions a report carries, for comparison.
json decisions(const json& report) {
  json plugins = json::array();
  for (const json& p : report["plugins"])
    plugins.push_back({p["name"], p["path"], p["state"], p["cause"], p["selected"]});
  json events = json::array();
  for (const json& e : report["events"]) events.push_back({e["plugin"], e["selected"], e["cause"]});
  return {{"plugins", plugins}, {"preferred", report["preferred"]}, {"selected", report["selected"]},
          {"events", events}, {"verdict", report["verdict"]}};
}

// The records of `report` as a tool gathers them: no decision taken yet.
json undecided(json report) {
  for (json& p : report["plugins"]) p["selected"] = false;
  report["preferred"] = nullptr;
  report["selected"] = nullptr;
  report["events"] = json::array();
  report["verdict"] = "nothing_usable";
  return report;
}

}  // namespace

TEST_CASE("bp_select_report_json decides exactly as bp_runtime_create for the same records") {
  struct zoo {
    std::vector<std::string> dirs;
    const char* backends;
    const char* disable;
  };
  const std::vector<zoo> zoos = {
      {{fake_dir("cpu"), fake_dir("gpu")}, nullptr, nullptr},                  // ready: GPU first
      {{fake_dir("cpu"), fake_dir("gpu_unavailable")}, nullptr, nullptr},      // fell back
      {{fake_dir("cpu"), fake_dir("gpu")}, nullptr, "fakegpu"},                // disabled: no candidate
      {{fake_dir("cpu"), fake_dir("gpu")}, "nosuch,fakecpu", nullptr},         // a listed name no file provides
      {{fake_dir("gpu_no_device")}, nullptr, nullptr},                          // nothing usable
      {{fake_dir("wrong_major"), fake_dir("cpu")}, nullptr, nullptr},          // a file that never loaded comes last
  };
  for (const zoo& z : zoos) {
    hermetic_options h(z.dirs);
    h.o.backends = z.backends;
    h.o.disable = z.disable;
    const json created = created_report(h.o);
    // The tool gathers records without the not_found entries (those belong to the real search).
    json gathered = undecided(created);
    json kept = json::array();
    for (const json& p : gathered["plugins"])
      if (!(p["path"] == "" && p["cause"] == "not_found")) kept.push_back(p);
    gathered["plugins"] = kept;
    bp_status status = BP_OK;
    const std::string text = select_json(h.o, gathered.dump(), &status);
    REQUIRE_MESSAGE(status == BP_OK, bp_last_error_message());
    const json selected = json::parse(text);
    INFO("zoo " << created["discovery"]["search_paths"].dump());
    CHECK(decisions(selected) == decisions(created));
    CHECK(selected["policy"] == created["policy"]);
  }
}

TEST_CASE("bp_select_report_json: the first file providing a name wins across separately probed files") {
  // Two copies of one plugin, each probed on its own (as in two isolated children).
  const std::string a = temp_dir("select-dup-a"), b = temp_dir("select-dup-b");
  const std::string first = copy_fake("dup_a", "dupe", a), second = copy_fake("dup_a", "dupe", b);
  json merged;
  for (const std::string& file : {first, second}) {
    hermetic_options one({file});
    json report = created_report(one.o);
    if (merged.is_null()) {
      merged = undecided(report);
    } else {
      for (const json& p : report["plugins"]) merged["plugins"].push_back(p);
      for (const json& c : report["discovery"]["candidates"]) merged["discovery"]["candidates"].push_back(c);
    }
  }
  REQUIRE(merged["plugins"].size() == 2);
  CHECK(merged["plugins"][1]["state"] == "ready");  // its child saw no other copy
  hermetic_options both({a, b});
  const json selected = json::parse(select_json(both.o, merged.dump()));
  CHECK(selected["plugins"][0]["selected"] == true);
  CHECK(selected["plugins"][1]["state"] == "refused");
  CHECK(selected["plugins"][1]["cause"] == "duplicate");
  CHECK(selected["plugins"][1]["message"].get<std::string>().find(first) != std::string::npos);
  CHECK(selected["discovery"]["candidates"][1]["decision"] == "duplicate");
  CHECK(selected["verdict"] == "ready");
  CHECK(selected["events"].empty());  // a duplicate is a note, never a fallback
}

TEST_CASE("bp_select_report_json: the policy is the configuration's, and bad input is refused") {
  hermetic_options h({fake_dir("cpu")});
  const json created = created_report(h.o);
  h.o.fallback = BP_FALLBACK_DEFAULT;
  h.o.use_environment = 1;
  {
    scoped_env fallback("BACKPLANE_FALLBACK", "error");
    const json selected = json::parse(select_json(h.o, created.dump()));
    CHECK(selected["policy"]["fallback"] == "error");
    CHECK(selected["policy"]["fallback_origin"] == "BACKPLANE_FALLBACK");
    CHECK(selected["environment"]["BACKPLANE_FALLBACK"] == "error");
  }
  {
    scoped_env fallback("BACKPLANE_FALLBACK", "bogus");
    bp_status status = BP_OK;
    select_json(h.o, created.dump(), &status);
    CHECK(status == BP_ERR_INVALID_ARGUMENT);
    CHECK(std::string(bp_last_error_message()).find("BACKPLANE_FALLBACK") != std::string::npos);
  }
  bp_status status = BP_OK;
  select_json(h.o, "[1,2]", &status);
  CHECK(status == BP_ERR_INVALID_ARGUMENT);
  CHECK(std::string(bp_last_error_message()).find("\"plugins\"") != std::string::npos);
  CHECK(bp_select_report_json(&h.o, nullptr, nullptr, 0, nullptr) == BP_ERR_INVALID_ARGUMENT);
}

TEST_CASE("plugin settings: the host's value answers get_option first, each runtime its own") {
  scoped_env threads("BACKPLANE_CPU_THREADS", "3");
  scoped_env search("BACKPLANE_DEP_SEARCH", "override_only");
  scoped_env cuda("BACKPLANE_CUDA_PATH", nullptr);
  scoped_env secure("BACKPLANE_SECURE_MODE", nullptr);
  hermetic_options h1({fake_dir("echo_options")}), h2({fake_dir("echo_options")});
  const char* settings1[] = {"CUDA_PATH=/opt/cuda-a", "CPU_THREADS=7"};
  const char* settings2[] = {"CUDA_PATH=/opt/cuda-b"};
  h1.o.plugin_settings = settings1;
  h1.o.num_plugin_settings = 2;
  h2.o.plugin_settings = settings2;
  h2.o.num_plugin_settings = 1;
  h2.o.use_environment = 1;
  bp::runtime rt1(h1.o), rt2(h2.o);  // both alive at once
  auto message_of = [](bp::runtime& rt) {
    auto infos = rt.plugins();
    const bp_plugin_info* echo = find_plugin(infos, "echo");
    REQUIRE(echo);
    return std::string(echo->message);
  };
  CHECK(message_of(rt1) == "CUDA_PATH=/opt/cuda-a|DEP_SEARCH=-|CPU_THREADS=7");  // no environment at all
  CHECK(message_of(rt2) == "CUDA_PATH=/opt/cuda-b|DEP_SEARCH=override_only|CPU_THREADS=3");  // host, then env
  {  // Secure mode drops locations from the environment, never the host's own choice.
    scoped_env secure_on("BACKPLANE_SECURE_MODE", "1");
    scoped_env cuda_env("BACKPLANE_CUDA_PATH", "/home/mallory/cuda");
    bp::runtime rt3(h2.o);
    CHECK(message_of(rt3) == "CUDA_PATH=/opt/cuda-b|DEP_SEARCH=-|CPU_THREADS=3");
  }
}

TEST_CASE("plugin settings: malformed host settings are configuration errors") {
  const std::vector<std::pair<const char*, const char*>> bad = {
      {"NOEQUALS", "is not NAME=value"},
      {"=value", "is not NAME=value"},
      {"BAD NAME=1", "is not NAME=value"},
      {"fault=*:no_device", "'fault' is not a setting"},
  };
  for (const auto& [setting, expected] : bad) {
    hermetic_options h({fake_dir("cpu")});
    const char* settings[] = {setting};
    h.o.plugin_settings = settings;
    h.o.num_plugin_settings = 1;
    bp_runtime_t rt = nullptr;
    CHECK(bp_runtime_create(&h.o, &rt) == BP_ERR_INVALID_ARGUMENT);
    CHECK_MESSAGE(std::string(bp_last_error_message()).find(expected) != std::string::npos, bp_last_error_message());
  }
  hermetic_options h({fake_dir("cpu")});
  const char* twice[] = {"CPU_THREADS=1", "CPU_THREADS=2"};
  h.o.plugin_settings = twice;
  h.o.num_plugin_settings = 2;
  bp_runtime_t rt = nullptr;
  CHECK(bp_runtime_create(&h.o, &rt) == BP_ERR_INVALID_ARGUMENT);
  CHECK(std::string(bp_last_error_message()).find("given twice") != std::string::npos);
  h.o.plugin_settings = nullptr;
  CHECK(bp_runtime_create(&h.o, &rt) == BP_ERR_INVALID_ARGUMENT);
  CHECK(std::string(bp_last_error_message()).find("plugin_settings is NULL") != std::string::npos);
}

TEST_CASE("discovery: no build-tree root is compiled in; the one default root is next to the core library") {
  hermetic_options h({});
  h.o.explicit_paths_only = 0;
  const json found = json::parse(discover_json(h.o));
  std::set<std::string> origins;
  for (const json& p : found["discovery"]["search_paths"]) origins.insert(p["origin"].get<std::string>());
  CHECK(origins == std::set<std::string>{"install"});
  REQUIRE(found["discovery"]["search_paths"].size() == 1);
  const std::string root = found["discovery"]["search_paths"][0]["path"];
  CHECK(root.size() > std::string("/backplane/plugins").size());
  CHECK(root.compare(root.size() - 18, 18, "/backplane/plugins") == 0);
}
