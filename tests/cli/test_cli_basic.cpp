// test_cli_basic.cpp — --help, usage errors and `backplane devices`.
#include <doctest/doctest.h>
#include "skip.hpp"

#include "cli_runner.hpp"

using cli_test::describe;
using cli_test::run_backplane;

TEST_CASE("backplane --help lists the subcommands and the exit codes") {
  const auto r = run_backplane({"--help"});
  INFO(describe(r));
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("devices") != std::string::npos);
  CHECK(r.out.find("doctor") != std::string::npos);
  CHECK(r.out.find("Exit codes") != std::string::npos);
}

TEST_CASE("every subcommand has --help with its options") {
  const auto doctor = run_backplane({"doctor", "--help"});
  INFO(describe(doctor));
  CHECK(doctor.exit_code == 0);
  for (const char* text : {"--no-isolate", "--timeout", "--plugin-path", "--backend", "--json", "Exit codes",
                           "2 = fell back", "3 = nothing usable"})
    CHECK_MESSAGE(doctor.out.find(text) != std::string::npos, "doctor --help lacks " << text);

  const auto devices = run_backplane({"devices", "--help"});
  INFO(describe(devices));
  CHECK(devices.exit_code == 0);
  for (const char* text : {"--isolate", "--plugin-path", "--backend", "--json"})
    CHECK_MESSAGE(devices.out.find(text) != std::string::npos, "devices --help lacks " << text);
}

TEST_CASE("usage errors exit with 1 and say what is wrong") {
  const auto none = run_backplane({});
  INFO(describe(none));
  CHECK(none.exit_code == 1);

  const auto unknown = run_backplane({"doctor", "--no-such-option"});
  INFO(describe(unknown));
  CHECK(unknown.exit_code == 1);
  CHECK(unknown.err.find("--no-such-option") != std::string::npos);

  const auto bad_timeout = run_backplane({"doctor", "--timeout", "-3"});
  INFO(describe(bad_timeout));
  CHECK(bad_timeout.exit_code == 1);
}

TEST_CASE("devices lists each plugin with its state and what a host would get") {
  const auto r = run_backplane({"devices"});
  INFO(describe(r));
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("openblas-cpu") != std::string::npos);
  CHECK(r.out.find("ready") != std::string::npos);
  CHECK(r.out.find("device 0:") != std::string::npos);
  CHECK(r.out.find("A host application would get:") != std::string::npos);

  if (cli_test::plugin_built("cudnn") && !cli_test::nvidia_driver_present()) {
    CHECK(r.out.find("cudnn") != std::string::npos);
    CHECK(r.out.find("driver_missing") != std::string::npos);
    CHECK(r.out.find("libcuda.so.1") != std::string::npos);
  } else {
    BP_SKIP("the no-driver expectations: the cudnn plugin is not built or an NVIDIA driver is present");
  }
}

TEST_CASE("devices --json gives plugins, devices and the selection") {
  for (bool isolate : {false, true}) {
    CAPTURE(isolate);
    std::vector<std::string> args{"devices", "--json"};
    args.push_back(isolate ? "--isolate" : "--no-isolate");
    const auto r = run_backplane(args);
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    const auto view = cli_test::parse_json_output(r);
    CHECK(view["schema_version"] == 1);
    REQUIRE(view["plugins"].is_array());
    const auto cpu = cli_test::find_plugin(view, "openblas-cpu");
    REQUIRE(cpu.is_object());
    CHECK(cpu["state"] == "ready");
    REQUIRE(cpu["devices"].size() >= 1);
    CHECK(cpu["devices"][0]["kind"] == "cpu");
    CHECK(cpu["devices"][0]["name"].get<std::string>().size() > 0);
    CHECK(view["selected"].is_object());
    const auto cudnn = cli_test::find_plugin(view, "cudnn");
    if (cudnn.is_object() && !cli_test::nvidia_driver_present()) {
      CHECK(cudnn["state"] == "unavailable");
      CHECK(cudnn["cause"] == "driver_missing");
      CHECK(cudnn["remedy"].get<std::string>().size() > 0);
      CHECK(view["selected"]["backend"] == "openblas-cpu");
    }
  }
}
