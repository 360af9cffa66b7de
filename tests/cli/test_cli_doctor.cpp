// test_cli_doctor.cpp — `backplane doctor` on this machine: text, JSON
// (validated against docs/doctor-schema.json), exit codes under each policy.
#include <set>

#include <doctest/doctest.h>

#include "cli_runner.hpp"
#include "schema_check.hpp"

using cli_test::describe;
using cli_test::find_plugin;
using cli_test::parse_json_output;
using cli_test::run_backplane;

namespace {
// The machine this suite targets: cudnn plugin built, no NVIDIA driver.
bool no_driver_machine() {
  static const bool answer = cli_test::plugin_built("cudnn") && !cli_test::nvidia_driver_present();
  return answer;
}
const char* const kNoDriverSkip =
    "skipping: these expectations are for a machine with the cudnn plugin built and no NVIDIA driver";

void check_schema(const nlohmann::json& report) {
  const auto violations = cli_test::schema_violations(report, cli_test::load_doctor_schema());
  for (const auto& v : violations) FAIL_CHECK("schema violation: " << v);
  CHECK(violations.empty());
}
}  // namespace

TEST_CASE("doctor explains the missing driver and falls back (exit 2)") {
  if (!no_driver_machine()) {
    MESSAGE(kNoDriverSkip);
    return;
  }
  const auto json_run = run_backplane({"doctor", "--json"});
  INFO(describe(json_run));
  const auto report = parse_json_output(json_run);
  const std::string remedy = find_plugin(report, "cudnn")["remedy"].get<std::string>();

  const auto r = run_backplane({"doctor"});
  INFO(describe(r));
  CHECK(r.exit_code == 2);
  for (const char* text : {"Search paths", "Candidate files", "cudnn", "unavailable", "driver_missing",
                           "libcuda.so.1", "openblas-cpu", "selected openblas-cpu", "Environment",
                           "LD_LIBRARY_PATH", "CUDA_VISIBLE_DEVICES", "Verdict:", "GPU backend 'cudnn' cannot serve",
                           "Using 'openblas-cpu'", "To make this fatal: BACKPLANE_FALLBACK=error"})
    CHECK_MESSAGE(r.out.find(text) != std::string::npos, "doctor output lacks: " << text);
  CHECK_MESSAGE(!remedy.empty(), "the core gave the cudnn plugin no remedy");
  CHECK_MESSAGE(r.out.find(remedy.substr(0, 40)) != std::string::npos, "doctor output lacks the remedy: " << remedy);
  // The verdict is the last line.
  const auto last_line_start = r.out.rfind("Verdict:");
  CHECK(r.out.find('\n', last_line_start) == r.out.size() - 1);
}

TEST_CASE("doctor --json follows the published schema and says why") {
  for (bool isolate : {true, false}) {
    CAPTURE(isolate);
    std::vector<std::string> args{"doctor", "--json"};
    if (!isolate) args.push_back("--no-isolate");
    const auto r = run_backplane(args);
    INFO(describe(r));
    const auto report = parse_json_output(r);
    check_schema(report);
    CHECK(report["schema_version"] == 1);
    CHECK(report["isolation"]["enabled"] == isolate);
    CHECK(r.exit_code == (report["verdict"] == "ready" ? 0 : report["verdict"] == "fell_back" ? 2 : 3));
    if (!no_driver_machine()) continue;
    CHECK(report["verdict"] == "fell_back");
    CHECK(report["preferred"] == "cudnn");
    CHECK(report["selected"]["backend"] == "openblas-cpu");
    const auto cudnn = find_plugin(report, "cudnn");
    REQUIRE(cudnn.is_object());
    CHECK(cudnn["state"] == "unavailable");
    CHECK(cudnn["cause"] == "driver_missing");
    bool saw_libcuda = false;
    for (const auto& dep : cudnn["dependencies"]) {
      if (dep["soname"] != "libcuda.so.1") continue;
      saw_libcuda = true;
      CHECK(dep["cause"] == "driver_missing");
      CHECK(dep["searched"].size() >= 1);
      CHECK(dep["remedy"].get<std::string>().size() > 0);
    }
    CHECK(saw_libcuda);
    REQUIRE(report["events"].size() >= 1);
    CHECK(report["events"][0]["kind"] == "backend_fallback");
    CHECK(report["events"][0]["plugin"] == "cudnn");
    CHECK(report["events"][0]["selected"] == "openblas-cpu");
  }
}

TEST_CASE("isolated and in-process doctor agree on discovery, states and selection") {
  const auto isolated = parse_json_output(run_backplane({"doctor", "--json"}));
  const auto in_process = parse_json_output(run_backplane({"doctor", "--json", "--no-isolate"}));
  CHECK(isolated["verdict"] == in_process["verdict"]);
  CHECK(isolated["preferred"] == in_process["preferred"]);
  CHECK(isolated["selected"]["backend"] == in_process["selected"]["backend"]);
  // The tool's own file scan (no plugin code) must list what the core's discovery lists.
  std::set<std::string> scanned, discovered;
  for (const auto& c : isolated["discovery"]["candidates"]) scanned.insert(c["path"].get<std::string>());
  for (const auto& c : in_process["discovery"]["candidates"]) discovered.insert(c["path"].get<std::string>());
  CHECK(scanned == discovered);
  std::set<std::string> scanned_paths, discovered_paths;
  for (const auto& p : isolated["discovery"]["search_paths"]) scanned_paths.insert(p["path"].get<std::string>());
  for (const auto& p : in_process["discovery"]["search_paths"]) discovered_paths.insert(p["path"].get<std::string>());
  CHECK(scanned_paths == discovered_paths);
  for (const auto& plugin : in_process["plugins"]) {
    const auto twin = find_plugin(isolated, plugin["name"]);
    CAPTURE(plugin["name"]);
    REQUIRE(twin.is_object());
    CHECK(twin["state"] == plugin["state"]);
    CHECK(twin["cause"] == plugin["cause"]);
    CHECK(twin["devices"].size() == plugin["devices"].size());
  }
}

TEST_CASE("BACKPLANE_BACKEND / --backend naming a ready backend exits 0") {
  const auto env = run_backplane({"doctor"}, {{"BACKPLANE_BACKEND", "openblas-cpu"}});
  INFO(describe(env));
  CHECK(env.exit_code == 0);
  CHECK(env.out.find("Verdict: Ready") != std::string::npos);

  const auto flag = run_backplane({"doctor", "--backend", "openblas-cpu", "--no-isolate"});
  INFO(describe(flag));
  CHECK(flag.exit_code == 0);
}

TEST_CASE("BACKPLANE_DISABLE of every backend exits 3 with a message") {
  for (bool isolate : {true, false}) {
    CAPTURE(isolate);
    std::vector<std::string> args{"doctor"};
    if (!isolate) args.push_back("--no-isolate");
    const auto r = run_backplane(args, {{"BACKPLANE_DISABLE", "openblas-cpu,cudnn"}});
    INFO(describe(r));
    CHECK(r.exit_code == 3);
    CHECK(r.out.find("Nothing usable") != std::string::npos);
    CHECK(r.out.find("disabled") != std::string::npos);
  }
}

TEST_CASE("BACKPLANE_FALLBACK=error: doctor still diagnoses, says a host would fail") {
  if (!no_driver_machine()) {
    MESSAGE(kNoDriverSkip);
    return;
  }
  const auto r = run_backplane({"doctor"}, {{"BACKPLANE_FALLBACK", "error"}});
  INFO(describe(r));
  CHECK(r.exit_code == 2);
  CHECK(r.out.find("BACKPLANE_FALLBACK=error is set") != std::string::npos);
  const auto report = parse_json_output(run_backplane({"doctor", "--json"}, {{"BACKPLANE_FALLBACK", "error"}}));
  CHECK(report["policy"]["fallback"] == "error");
}

TEST_CASE("doctor shows the environment that influenced it and every search path") {
  const auto r = run_backplane({"doctor", "--plugin-path", "/nonexistent/backplane-plugins"},
                               {{"CUDA_VISIBLE_DEVICES", "0"}, {"BACKPLANE_GPU_MEMORY_LIMIT", "1G"}});
  INFO(describe(r));
  CHECK(r.out.find("CUDA_VISIBLE_DEVICES=0") != std::string::npos);
  CHECK(r.out.find("BACKPLANE_GPU_MEMORY_LIMIT=1G") != std::string::npos);
  CHECK(r.out.find("[host_api] /nonexistent/backplane-plugins  missing") != std::string::npos);
}
