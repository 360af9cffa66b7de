// test_cli_hostile.cpp — the hostile-plugin zoo (broken_plugin.cpp built as
// hostile-*): whatever a plugin does — write to stdout, _exit(0), exit(3),
// throw from its entry symbol, crash from a thread after init, or be a
// truncated file — `devices`, `doctor` (isolated or not) and `train` keep
// their machine-read output valid and name what happened.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <doctest/doctest.h>

#include "cli_runner.hpp"

using cli_test::describe;
using cli_test::find_plugin;
using cli_test::parse_json_output;
using cli_test::run_backplane;

namespace {

std::string hostile(const std::string& name) {
  return std::string(BACKPLANE_CLI_HOSTILE_DIR) + "/libbackplane-hostile-" + name + ".so";
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("hostile stdout writer: devices, doctor --no-isolate and train --json keep stdout valid") {
  const std::string plugin = hostile("stdout");
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"devices", "--json", "--plugin-path", plugin},
           {"devices", "--json", "--no-isolate", "--plugin-path", plugin},
           {"doctor", "--json", "--plugin-path", plugin},
           {"doctor", "--json", "--no-isolate", "--plugin-path", plugin}}) {
    const auto r = run_backplane(args);
    INFO(describe(r));
    // Valid JSON: what the plugin printed is at most a string inside it (an isolated child's output tail).
    const auto report = parse_json_output(r);
    CHECK(find_plugin(report, "hostile-stdout").is_object());
    CHECK(find_plugin(report, "openblas-cpu")["state"] == "ready");
  }
  // auto selects openblas-cpu; hostile-stdout is still loaded and probed (and prints) in train's process.
  const auto train = run_backplane({"train", "--json", "--epochs", "1", "--plugin-path", plugin},
                                   {{"BACKPLANE_CPU_THREADS", "2"}}, 300);
  INFO(describe(train));
  CHECK(!contains(train.out, "GARBAGE"));
  CHECK(!contains(train.out, "RAW-WRITE"));
  const auto result = parse_json_output(train);
  CHECK(result["command"] == "train");
}

TEST_CASE("a plugin that calls _exit(0) or exit(3) is named, never a silent success or 'nothing usable'") {
  for (const std::string mode : {"exit0", "exit3"}) {
    CAPTURE(mode);
    const std::string name = "hostile-" + mode;
    // devices isolates by default: the plugin is probe_crashed with its exit status, the listing is whole.
    const auto devices = run_backplane({"devices", "--json", "--plugin-path", hostile(mode)});
    INFO(describe(devices));
    CHECK(devices.exit_code == 0);
    const auto entry = find_plugin(parse_json_output(devices), name);
    REQUIRE(entry.is_object());
    CHECK(entry["state"] == "probe_crashed");
    CHECK(contains(entry["reason"].get<std::string>(), mode == "exit0" ? "exit status 0" : "exit status 3"));

    // In one process (--no-isolate) the tool itself survives and says it could not report.
    const auto in_process = run_backplane({"doctor", "--json", "--no-isolate", "--plugin-path", hostile(mode)});
    INFO(describe(in_process));
    CHECK(in_process.exit_code == 1);
    CHECK(in_process.out.empty());
    CHECK(contains(in_process.err, "before it could report"));

    // train runs plugins in its own process: guarded, so the exit is an error with a message.
    const auto train = run_backplane({"train", "--json", "--plugin-path", hostile(mode)});
    INFO(describe(train));
    CHECK(train.exit_code == 1);
    CHECK(contains(train.err, "a plugin must never end its host process"));
  }
}

TEST_CASE("a truncated plugin file is reported as truncated, not as a SIGBUS crash") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("bp-cli-truncated-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path whole = hostile("stdout");
  const fs::path cut = dir / "libbackplane-truncated.so";
  {
    std::ifstream in(whole, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::ofstream(cut, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size() / 3));
  }
  ::chmod(cut.c_str(), 0755);
  // Isolated (the child used to dlopen the file before any check: SIGBUS in the dynamic linker).
  const auto r = run_backplane({"devices", "--json", "--isolate", "--plugin-path", cut.string()});
  INFO(describe(r));
  CHECK(r.exit_code == 0);
  const auto view = parse_json_output(r);
  nlohmann::json entry;
  for (const auto& plugin : view["plugins"])
    if (plugin.value("path", "") == cut.string()) entry = plugin;
  REQUIRE(entry.is_object());
  CHECK(entry["state"] == "load_failed");
  CHECK(contains(entry["reason"].get<std::string>(), "truncated"));
  CHECK(!contains(entry.dump(), "SIGBUS"));
  fs::remove_all(dir);
}

TEST_CASE("an entry symbol that throws is described as such, not as 'exited with status 70'") {
  const auto r = run_backplane({"devices", "--json", "--isolate", "--plugin-path", hostile("throw")});
  INFO(describe(r));
  CHECK(r.exit_code == 0);
  const auto view = parse_json_output(r);
  nlohmann::json entry;
  for (const auto& plugin : view["plugins"])
    if (plugin.value("path", "") == hostile("throw")) entry = plugin;
  REQUIRE(entry.is_object());
  CHECK(entry["state"] != "ready");
  CHECK(contains(entry["reason"].get<std::string>(), "threw a C++ exception"));
  CHECK(!contains(entry.dump(), "status 70"));
}

TEST_CASE("a plugin thread that crashes shortly after init does not pass doctor as ready") {
  const auto r = run_backplane({"doctor", "--json", "--plugin-path", hostile("late-crash")});
  INFO(describe(r));
  const auto report = parse_json_output(r);
  const auto entry = find_plugin(report, "hostile-late-crash");
  REQUIRE(entry.is_object());
  CHECK(entry["state"] == "probe_crashed");
  CHECK(entry["stage"] == "init");
  CHECK(contains(entry["message"].get<std::string>(), "post-init check"));
  CHECK(entry["isolation"]["signal"] == "SIGSEGV");
  // The real CPU backend passes the same check.
  const auto cpu = find_plugin(report, "openblas-cpu");
  CHECK(cpu["state"] == "ready");
  CHECK(cpu["isolation"]["post_init_check"]["ok"] == true);
}

TEST_CASE("warnings an isolated child prints are shown in the text report") {
  const auto doctor = run_backplane({"doctor", "--plugin-path", hostile("stdout")});
  INFO(describe(doctor));
  CHECK(contains(doctor.out, "warning from hostile-stdout: printed at probe"));
  const auto devices = run_backplane({"devices", "--plugin-path", hostile("stdout")});
  INFO(describe(devices));
  CHECK(contains(devices.out, "warning from hostile-stdout"));
}
