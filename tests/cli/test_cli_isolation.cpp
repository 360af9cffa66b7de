// test_cli_isolation.cpp — doctor survives plugins whose probe crashes or
// hangs (test plugins and BACKPLANE_FAULT rehearsals on the real cudnn plugin).
#include <doctest/doctest.h>
#include "skip.hpp"

#include <unistd.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "cli_runner.hpp"

using cli_test::describe;
using cli_test::find_plugin;
using cli_test::parse_json_output;
using cli_test::run_backplane;

namespace {
// Exit code the real plugins alone give (2 without a driver, 0 with a GPU).
int baseline_exit_code() {
  static const int code = run_backplane({"doctor", "--no-isolate"}).exit_code;
  return code;
}
}  // namespace

TEST_CASE("isolated doctor reports crashing and hanging probes and finishes") {
  const auto r = run_backplane({"doctor", "--json", "--timeout", "2", "--plugin-path", BACKPLANE_CLI_BROKEN_DIR});
  INFO(describe(r));
  CHECK(r.exit_code == baseline_exit_code());
  CHECK(r.seconds < 30.0);  // one 2 s timeout plus normal probes, not the hang's 60 s
  const auto report = parse_json_output(r);

  const auto abort_plugin = find_plugin(report, "broken-abort");
  REQUIRE(abort_plugin.is_object());
  CHECK(abort_plugin["state"] == "probe_crashed");
  CHECK(abort_plugin["cause"] == "probe_crashed");
  CHECK(abort_plugin["isolation"]["signal"] == "SIGABRT");
  CHECK(abort_plugin["message"].get<std::string>().find("SIGABRT") != std::string::npos);
  CHECK(abort_plugin["priority"] == 5);  // identity read before the probe crashed

  const auto segv_plugin = find_plugin(report, "broken-segv");
  REQUIRE(segv_plugin.is_object());
  CHECK(segv_plugin["state"] == "probe_crashed");
  CHECK(segv_plugin["isolation"]["signal"] == "SIGSEGV");

  const auto hang_plugin = find_plugin(report, "broken-hang");
  REQUIRE(hang_plugin.is_object());
  CHECK(hang_plugin["state"] == "probe_timeout");
  CHECK(hang_plugin["cause"] == "probe_timeout");
  CHECK(hang_plugin["isolation"]["outcome"] == "timed_out");

  // The real plugins are still diagnosed.
  const auto cpu = find_plugin(report, "openblas-cpu");
  REQUIRE(cpu.is_object());
  CHECK(cpu["state"] == "ready");
  CHECK(report["selected"]["backend"].is_string());
}

TEST_CASE("isolated doctor text names the signal and the timeout") {
  const auto r = run_backplane({"doctor", "--timeout", "2", "--plugin-path", BACKPLANE_CLI_BROKEN_DIR});
  INFO(describe(r));
  CHECK(r.exit_code == baseline_exit_code());
  for (const char* text : {"broken-abort", "probe_crashed", "SIGABRT", "broken-segv", "SIGSEGV", "broken-hang",
                           "probe_timeout", "within 2 s", "BACKPLANE_DISABLE=broken-hang", "Verdict:"})
    CHECK_MESSAGE(r.out.find(text) != std::string::npos, "doctor output lacks: " << text);
}

TEST_CASE("an explicit plugin file given as --plugin-path is probed alone") {
  const std::string file = std::string(BACKPLANE_CLI_BROKEN_DIR) + "/libbackplane-broken-segv.so";
  const auto r = run_backplane({"devices", "--json", "--isolate", "--plugin-path", file});
  INFO(describe(r));
  CHECK(r.exit_code == 0);
  const auto view = parse_json_output(r);
  const auto segv_plugin = find_plugin(view, "broken-segv");
  REQUIRE(segv_plugin.is_object());
  CHECK(segv_plugin["state"] == "probe_crashed");
  CHECK(find_plugin(view, "broken-abort").is_null());
}

TEST_CASE("fault rehearsal: cudnn crash_in_probe and hang_in_probe under isolation") {
  if (!cli_test::plugin_built("cudnn")) {
    BP_SKIP("the cudnn plugin is not built here");
    return;
  }
  const auto crash = run_backplane({"doctor", "--json"}, {{"BACKPLANE_FAULT", "cudnn:crash_in_probe"}});
  INFO(describe(crash));
  CHECK(crash.exit_code == 2);
  const auto crashed = find_plugin(parse_json_output(crash), "cudnn");
  REQUIRE(crashed.is_object());
  CHECK(crashed["state"] == "probe_crashed");
  CHECK(crashed["isolation"]["outcome"] == "signalled");
  CHECK(crashed["isolation"]["signal"].get<std::string>().rfind("SIG", 0) == 0);
  CHECK(crashed["priority"].get<int>() > 10);  // still the preferred backend, so the verdict is a fallback

  const auto hang = run_backplane({"doctor", "--json", "--timeout", "2"}, {{"BACKPLANE_FAULT", "cudnn:hang_in_probe"}});
  INFO(describe(hang));
  CHECK(hang.exit_code == 2);
  CHECK(hang.seconds < 30.0);
  const auto hung = find_plugin(parse_json_output(hang), "cudnn");
  REQUIRE(hung.is_object());
  CHECK(hung["state"] == "probe_timeout");
}

// The marker is the plugin's wording: "hidden by fault injection (BACKPLANE_FAULT)"; "inject" matches it and "injected".
TEST_CASE("fault rehearsal: cudnn missing=libcudnn.so.9 shows not_found, marked injected") {
  if (!cli_test::plugin_built("cudnn")) {
    BP_SKIP("the cudnn plugin is not built here");
    return;
  }
  const auto r = run_backplane({"doctor", "--json"}, {{"BACKPLANE_FAULT", "cudnn:missing=libcudnn.so.9"}});
  INFO(describe(r));
  const auto cudnn = find_plugin(parse_json_output(r), "cudnn");
  REQUIRE(cudnn.is_object());
  bool saw = false;
  for (const auto& dep : cudnn["dependencies"]) {
    if (dep["soname"] != "libcudnn.so.9") continue;
    saw = true;
    CHECK(dep["cause"] == "not_found");
    const std::string all = dep.dump();
    CHECK_MESSAGE(all.find("inject") != std::string::npos, "no fault-injection marker in " << all);
  }
  CHECK_MESSAGE(saw, "no libcudnn.so.9 dependency reported: " << cudnn.dump(2));

  const auto text = run_backplane({"doctor"}, {{"BACKPLANE_FAULT", "cudnn:missing=libcudnn.so.9"}});
  INFO(describe(text));
  CHECK(text.out.find("libcudnn.so.9") != std::string::npos);
  CHECK(text.out.find("inject") != std::string::npos);
}

// ---- issue #11 §1: one selection engine, in the core ---------------------------------------

namespace {
// What the two doctors must agree on: the policy, every plugin's decision, the
// preferred and selected backend, the fallback events and the verdict.
nlohmann::json decisions(const nlohmann::json& report) {
  nlohmann::json plugins = nlohmann::json::object();
  for (const auto& p : report["plugins"])
    plugins[p["name"].get<std::string>() + " @ " + p["path"].get<std::string>()] = {p["state"], p["cause"], p["selected"]};
  nlohmann::json events = nlohmann::json::array();
  for (const auto& e : report["events"]) events.push_back({e["plugin"], e["selected"], e["cause"]});
  const auto& policy = report["policy"];
  return {{"plugins", plugins},
          {"preferred", report["preferred"].is_string() && report["preferred"] != "" ? report["preferred"] : nullptr},
          {"selected", report["selected"].is_object() ? report["selected"]["backend"] : nullptr},
          {"events", events},
          {"verdict", report["verdict"]},
          {"policy", {policy["backends"], policy["fallback"], policy["fallback_origin"], policy["disabled"]}}};
}
}  // namespace

TEST_CASE("the isolated and the in-process doctor agree: the tool only renders the core's selection") {
  // A second copy of openblas-cpu, found first (host path): the copy next to the core is the duplicate.
  namespace fs = std::filesystem;
  const fs::path copies = fs::temp_directory_path() / ("bp-cli-agree-" + std::to_string(::getpid()));
  fs::create_directories(copies);
  fs::permissions(copies, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                              fs::perms::others_read | fs::perms::others_exec);
  const auto listed = parse_json_output(run_backplane({"doctor", "--json", "--no-isolate"}));
  const auto cpu = find_plugin(listed, "openblas-cpu");
  REQUIRE(cpu.is_object());
  fs::copy_file(cpu["path"].get<std::string>(), copies / "libbackplane-openblas-cpu.so",
                fs::copy_options::overwrite_existing);

  struct variant {
    std::vector<std::string> args;
    std::map<std::string, std::string> env;
  };
  const std::vector<variant> variants = {
      {{}, {}},
      {{}, {{"BACKPLANE_DISABLE", "cudnn"}}},
      {{}, {{"BACKPLANE_BACKEND", "nosuch,openblas-cpu"}}},
      {{}, {{"BACKPLANE_FALLBACK", "error"}}},
      {{"--plugin-path", copies.string()}, {}},
  };
  for (const variant& v : variants) {
    std::vector<std::string> isolated = {"doctor", "--json"}, in_process = {"doctor", "--json", "--no-isolate"};
    isolated.insert(isolated.end(), v.args.begin(), v.args.end());
    in_process.insert(in_process.end(), v.args.begin(), v.args.end());
    const auto a = run_backplane(isolated, v.env), b = run_backplane(in_process, v.env);
    INFO("isolated: " << describe(a));
    INFO("in-process: " << describe(b));
    CHECK(a.exit_code == b.exit_code);
    const auto ja = parse_json_output(a), jb = parse_json_output(b);
    CHECK(ja["isolation"]["enabled"] == true);
    CHECK(jb["isolation"]["enabled"] == false);
    CHECK(decisions(ja).dump(2) == decisions(jb).dump(2));
  }
  fs::remove_all(copies);
}
