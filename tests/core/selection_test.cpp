// Selection, fallback policy, events and fault injection in the core.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>

#include <nlohmann/json.hpp>

#include "fixtures.hpp"

using namespace fixtures;

namespace {
struct event_log {
  std::vector<std::string> lines;
  static void callback(void* user, const bp_event* e) {
    auto* self = static_cast<event_log*>(user);
    self->lines.push_back(std::string(e->plugin) + "->" + e->selected + ":" + bp_cause_name(e->cause));
  }
};
}  // namespace

TEST_CASE("selection: GPU before CPU by priority when both are ready") {
  hermetic_options h({fake_dir("cpu"), fake_dir("gpu")});
  bp::runtime rt(h.o);
  CHECK(rt.backend() == "fakegpu");
  CHECK(rt.events().empty());
}

TEST_CASE("selection: unavailable GPU falls back to CPU with a structured event and callback") {
  hermetic_options h({fake_dir("cpu"), fake_dir("gpu_unavailable")});
  event_log log;
  h.o.on_event = &event_log::callback;
  h.o.user_data = &log;
  bp::runtime rt(h.o);
  CHECK(rt.backend() == "fakecpu");
  auto events = rt.events();
  REQUIRE(events.size() == 1);
  CHECK(events[0].kind == BP_EVENT_BACKEND_FALLBACK);
  CHECK(std::string(events[0].plugin) == "fakegpu");
  CHECK(std::string(events[0].selected) == "fakecpu");
  CHECK(events[0].cause == BP_CAUSE_NOT_FOUND);
  CHECK(events[0].stage == BP_STAGE_PROBE);
  CHECK(std::string(events[0].remedy) == "install libfake1");
  REQUIRE(log.lines.size() == 1);
  CHECK(log.lines[0] == "fakegpu->fakecpu:not_found");
  auto report = nlohmann::json::parse(rt.report_json());
  CHECK(report["schema_version"] == 1);
  CHECK(report["verdict"] == "fell_back");
  CHECK(report["preferred"] == "fakegpu");
  CHECK(report["selected"]["backend"] == "fakecpu");
  bool found_dep = false;
  for (auto& p : report["plugins"])
    if (p["name"] == "fakegpu") {
      REQUIRE(p["dependencies"].size() == 1);
      CHECK(p["dependencies"][0]["soname"] == "libfake.so.1");
      CHECK(p["dependencies"][0]["cause"] == "not_found");
      CHECK(p["dependencies"][0]["searched"][0]["origin"] == "env");
      CHECK(p["dependencies"][0]["searched"][0]["directory"] == "/opt/fake/lib");
      found_dep = true;
    }
  CHECK(found_dep);
}

TEST_CASE("selection: the warn policy prints one line per fallback, once per process") {
  hermetic_options h({fake_dir("cpu"), fake_dir("gpu_init_fails")});
  h.o.fallback = BP_FALLBACK_WARN;
  // Capture stderr around creation.
  fflush(stderr);
  char path[] = "/tmp/bp-stderr-XXXXXX";
  int fd = mkstemp(path);
  int saved = dup(2);
  dup2(fd, 2);
  { bp::runtime a(h.o); }
  { bp::runtime b(h.o); }
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
  FILE* f = fopen(path, "r");
  std::string text;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  fclose(f);
  close(fd);
  unlink(path);
  CHECK(text.find("backend 'fakegpu' cannot serve (init_failed at init)") != std::string::npos);
  CHECK(text.find("Using 'fakecpu' instead") != std::string::npos);
  CHECK(text.find("BACKPLANE_FALLBACK=error") != std::string::npos);
  CHECK(text.find("backend 'fakegpu'") == text.rfind("backend 'fakegpu'"));  // printed once
}

TEST_CASE("selection: BACKPLANE_FALLBACK=error refuses to start and carries the report") {
  hermetic_options h({fake_dir("cpu"), fake_dir("gpu_unavailable")});
  h.o.use_environment = 1;
  h.o.fallback = BP_FALLBACK_DEFAULT;  // let the environment decide
  scoped_env policy("BACKPLANE_FALLBACK", "error");
  scoped_env backend("BACKPLANE_BACKEND", nullptr);
  bp_runtime_t rt = nullptr;
  CHECK(bp_runtime_create(&h.o, &rt) == BP_ERR_POLICY);
  CHECK(rt == nullptr);
  std::string msg = bp_last_error_message();
  CHECK(msg.find("BACKPLANE_FALLBACK=error") != std::string::npos);
  CHECK(msg.find("fakegpu") != std::string::npos);
  CHECK(msg.find("libfake.so.1 not found") != std::string::npos);
  CHECK(msg.find("fix: install libfake1") != std::string::npos);
}

TEST_CASE("selection: explicit backend list orders and restricts; unknown names are reported") {
  hermetic_options h({fake_dir("cpu"), fake_dir("gpu")});
  h.o.backends = "fakecpu,fakegpu";
  bp::runtime rt(h.o);
  CHECK(rt.backend() == "fakecpu");
  hermetic_options h2({fake_dir("cpu")});
  h2.o.backends = "nosuch,fakecpu";
  bp::runtime rt2(h2.o);
  CHECK(rt2.backend() == "fakecpu");
  auto infos = rt2.plugins();
  const bp_plugin_info* missing = find_plugin(infos, "nosuch");
  REQUIRE(missing);
  CHECK(missing->cause == BP_CAUSE_NOT_FOUND);
  CHECK(std::string(missing->message).find("no plugin named 'nosuch'") != std::string::npos);
  REQUIRE(rt2.events().size() == 1);
}

TEST_CASE("selection: disabling without deleting files") {
  hermetic_options h({fake_dir("cpu"), fake_dir("gpu")});
  h.o.disable = "fakegpu";
  bp::runtime rt(h.o);
  CHECK(rt.backend() == "fakecpu");
  auto infos = rt.plugins();  // keep the vector alive while pointing into it
  const bp_plugin_info* gpu = find_plugin(infos, "fakegpu");
  REQUIRE(gpu);
  CHECK(gpu->state == BP_STATE_DISABLED);
  CHECK(std::string(gpu->message).find("disabled by host_api") != std::string::npos);
}

TEST_CASE("selection: nothing usable is an error naming every plugin") {
  hermetic_options h({fake_dir("gpu_no_device")});
  bp_runtime_t rt = nullptr;
  CHECK(bp_runtime_create(&h.o, &rt) == BP_ERR_UNAVAILABLE);
  std::string msg = bp_last_error_message();
  CHECK(msg.find("no usable backend") != std::string::npos);
  CHECK(msg.find("fakegpu") != std::string::npos);
  CHECK(msg.find("no_device") != std::string::npos);
  hermetic_options empty({"/nonexistent/backplane-plugins"});
  CHECK(bp_runtime_create(&empty.o, &rt) == BP_ERR_UNAVAILABLE);
  CHECK(std::string(bp_last_error_message()).find("no plugin files found") != std::string::npos);
}

TEST_CASE("fault injection in the core: abi_major, init_fail, oom_at_init, no_device, load_fail") {
  struct fault_case {
    const char* spec;
    bp_plugin_state state;
    bp_cause cause;
  } cases[] = {{"fakegpu:abi_major=99", BP_STATE_INCOMPATIBLE, BP_CAUSE_ABI_MISMATCH},
               {"*:abi_major=99", BP_STATE_INCOMPATIBLE, BP_CAUSE_ABI_MISMATCH},
               {"fakegpu:init_fail", BP_STATE_INIT_FAILED, BP_CAUSE_INIT_FAILED},
               {"fakegpu:oom_at_init", BP_STATE_INIT_FAILED, BP_CAUSE_OUT_OF_MEMORY},
               {"fakegpu:no_device", BP_STATE_NO_DEVICE, BP_CAUSE_NO_DEVICE},
               {"fakegpu:load_fail", BP_STATE_LOAD_FAILED, BP_CAUSE_NOT_A_PLUGIN}};
  for (auto& c : cases) {
    std::string spec_text = c.spec;
    CAPTURE(spec_text);
    hermetic_options h({fake_dir("cpu"), fake_dir("gpu")});
    h.o.fault = c.spec;
    bp_runtime_t rt = nullptr;
    bp_status s = bp_runtime_create(&h.o, &rt);
    if (std::string(c.spec).rfind("*:", 0) == 0) {
      CHECK(s == BP_ERR_UNAVAILABLE);  // every plugin refused
      continue;
    }
    REQUIRE(s == BP_OK);
    CHECK(std::string(bp_runtime_backend(rt)) == "fakecpu");
    std::vector<bp_plugin_info> infos;
    for (uint32_t i = 0; i < bp_runtime_plugin_count(rt); ++i) {
      bp_plugin_info info{};
      info.struct_size = sizeof info;
      bp_runtime_plugin_info(rt, i, &info);
      infos.push_back(info);
    }
    const bp_plugin_info* gpu = find_plugin(infos, "fakegpu");
    REQUIRE(gpu);
    CHECK(gpu->state == c.state);
    CHECK(std::string(bp_cause_name(gpu->cause)) == bp_cause_name(c.cause));
    CHECK(std::string(gpu->message).find("BACKPLANE_FAULT") != std::string::npos);
    bp_runtime_destroy(rt);
  }
}

TEST_CASE("fault injection: malformed specs are clear errors") {
  const char* bad[] = {"cudnn", "cudnn:bogus", "cudnn:missing", "cudnn:no_driver=1", "cudnn:version=libcudnn.so.9",
                       "cudnn:abi_major=x", "bad name!:no_driver"};
  for (const char* spec : bad) {
    std::string spec_text = spec;
    CAPTURE(spec_text);
    hermetic_options h({fake_dir("cpu")});
    h.o.fault = spec;
    bp_runtime_t rt = nullptr;
    CHECK(bp_runtime_create(&h.o, &rt) == BP_ERR_INVALID_ARGUMENT);
    CHECK(std::string(bp_last_error_message()).find("BACKPLANE_FAULT") != std::string::npos);
  }
}

TEST_CASE("selection: a failed creation leaves its full report for the host") {
  hermetic_options h({fake_dir("gpu_no_device")});
  bp_runtime_t rt = nullptr;
  REQUIRE(bp_runtime_create(&h.o, &rt) == BP_ERR_UNAVAILABLE);
  uint64_t needed = 0;
  REQUIRE(bp_last_failure_report_json(nullptr, 0, &needed) == BP_OK);
  std::string text(needed, '\0');
  REQUIRE(bp_last_failure_report_json(text.data(), text.size(), &needed) == BP_OK);
  text.resize(needed - 1);
  auto report = nlohmann::json::parse(text);
  CHECK(report["verdict"] == "nothing_usable");
  CHECK(report["selected"].is_null());
  CHECK(report["plugins"][0]["cause"] == "no_device");

  hermetic_options strict({fake_dir("cpu"), fake_dir("gpu_unavailable")});
  strict.o.fallback = BP_FALLBACK_ERROR;
  REQUIRE(bp_runtime_create(&strict.o, &rt) == BP_ERR_POLICY);
  REQUIRE(bp_last_failure_report_json(nullptr, 0, &needed) == BP_OK);
  text.assign(needed, '\0');
  REQUIRE(bp_last_failure_report_json(text.data(), text.size(), &needed) == BP_OK);
  text.resize(needed - 1);
  report = nlohmann::json::parse(text);
  CHECK(report["verdict"] == "refused_by_policy");
  CHECK(report["selected"].is_null());

  hermetic_options ok({fake_dir("cpu")});
  bp::runtime good(ok.o);
  CHECK(bp_last_failure_report_json(nullptr, 0, &needed) == BP_ERR_NOT_FOUND);
}

TEST_CASE("selection: disabled plugins are not 'preferred' (no fallback event for an operator's choice)") {
  hermetic_options h({fake_dir("cpu"), fake_dir("gpu")});
  h.o.disable = "fakegpu";
  bp::runtime rt(h.o);
  CHECK(rt.events().empty());
  CHECK(rt.report_json().find("\"verdict\": \"ready\"") != std::string::npos);
}
