// Loader tests over the fake-plugin zoo: each broken plugin has its exact cause.
#include <doctest/doctest.h>

#include <elf.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "fixtures.hpp"

using namespace fixtures;
namespace fs = std::filesystem;

namespace {
// Create a runtime over `paths` and return every plugin record (runtime kept alive in `rt`).
bp_status probe_paths(std::vector<std::string> paths, bp_runtime_t* rt, std::vector<bp_plugin_info>* infos,
                      const char* backends = nullptr) {
  hermetic_options h(std::move(paths));
  h.o.backends = backends;
  bp_status s = bp_runtime_create(&h.o, rt);
  if (s == BP_OK) {
    for (uint32_t i = 0; i < bp_runtime_plugin_count(*rt); ++i) {
      bp_plugin_info info{};
      info.struct_size = sizeof info;
      bp_runtime_plugin_info(*rt, i, &info);
      infos->push_back(info);
    }
  }
  return s;
}

}  // namespace

TEST_CASE("loader: a healthy fake CPU plugin is loaded, probed, initialised and selected") {
  bp_runtime_t rt = nullptr;
  std::vector<bp_plugin_info> infos;
  REQUIRE(probe_paths({fake_dir("cpu")}, &rt, &infos) == BP_OK);
  CHECK(std::string(bp_runtime_backend(rt)) == "fakecpu");
  REQUIRE(infos.size() == 1);
  CHECK(infos[0].state == BP_STATE_READY);
  CHECK(infos[0].selected == 1);
  CHECK(infos[0].device_count == 1);
  CHECK(infos[0].abi_major == BP_ABI_VERSION_MAJOR);
  bp_device_props props{};
  props.struct_size = sizeof props;
  CHECK(bp_runtime_device_props(rt, &props) == BP_OK);
  CHECK(std::string(props.name) == "Fake device of fakecpu");
  bp_runtime_destroy(rt);
}

// For each broken variant next to a healthy CPU plugin: the broken one gets its cause, the CPU one is selected.
struct zoo_case {
  const char* variant;
  const char* name;
  bp_plugin_state state;
  bp_cause cause;
  const char* message_part;
};

TEST_CASE("loader: broken plugins get exact causes and never take down the host") {
  const zoo_case cases[] = {
      {"no_entry", "noentry", BP_STATE_LOAD_FAILED, BP_CAUSE_NOT_A_PLUGIN, "exports no 'bp_plugin_get_api' symbol"},
      {"null_table", "nulltable", BP_STATE_INCOMPATIBLE, BP_CAUSE_ABI_MISMATCH, "fake refuses to hand out its table"},
      {"missing_required", "missingreq", BP_STATE_INCOMPATIBLE, BP_CAUSE_ABI_MISMATCH, "lacks required members: op_execute"},
      {"wrong_major", "wrongmajor", BP_STATE_INCOMPATIBLE, BP_CAUSE_ABI_MISMATCH, "plugin ABI 2."},
      {"gpu_unavailable", "fakegpu", BP_STATE_UNAVAILABLE, BP_CAUSE_NOT_FOUND, "libfake.so.1 not found"},
      {"gpu_no_device", "fakegpu", BP_STATE_NO_DEVICE, BP_CAUSE_NO_DEVICE, "no fake device present"},
      {"gpu_init_fails", "fakegpu", BP_STATE_INIT_FAILED, BP_CAUSE_INIT_FAILED, "fake device refused to initialise"},
      {"gpu_init_throws", "fakegpu", BP_STATE_INIT_FAILED, BP_CAUSE_INIT_FAILED, "unexpected exception: fake init exploded"},
      // Contract holes (issue #11): an unreadable probe report is not "ready", an exception from device_count is
      // this plugin's failure (the next candidate serves), not the runtime's.
      {"gpu_bad_probe_report", "fakegpu", BP_STATE_INCOMPATIBLE, BP_CAUSE_ABI_MISMATCH, "report_probe with struct_size 4"},
      {"gpu_device_count_throws", "fakegpu", BP_STATE_INIT_FAILED, BP_CAUSE_PLUGIN_ERROR, "device_count threw a C++ exception"},
  };
  for (const zoo_case& c : cases) {
    std::string variant = c.variant;
    CAPTURE(variant);
    bp_runtime_t rt = nullptr;
    std::vector<bp_plugin_info> infos;
    REQUIRE(probe_paths({fake_dir(c.variant), fake_dir("cpu")}, &rt, &infos) == BP_OK);
    CHECK(std::string(bp_runtime_backend(rt)) == "fakecpu");
    const bp_plugin_info* bad = find_plugin(infos, c.name);
    REQUIRE(bad != nullptr);
    CHECK(bad->state == c.state);
    CHECK(std::string(bp_cause_name(bad->cause)) == bp_cause_name(c.cause));
    CHECK(std::string(bad->message).find(c.message_part) != std::string::npos);
    CHECK(std::string(bad->remedy).size() > 0);
    bp_runtime_destroy(rt);
  }
}

TEST_CASE("loader: newer and older ABI minors both load (negotiated both ways)") {
  bp_runtime_t rt = nullptr;
  std::vector<bp_plugin_info> infos;
  REQUIRE(probe_paths({fake_dir("newer_minor")}, &rt, &infos) == BP_OK);
  CHECK(std::string(bp_runtime_backend(rt)) == "newerminor");
  CHECK(infos[0].abi_minor == 7);
  bp_runtime_destroy(rt);
  infos.clear();
  REQUIRE(probe_paths({fake_dir("older_minor")}, &rt, &infos) == BP_OK);
  CHECK(std::string(bp_runtime_backend(rt)) == "olderminor");
  CHECK(infos[0].abi_minor == 0);
  bp_runtime_destroy(rt);
}

TEST_CASE("loader: files that are not plugins") {
  std::string dir = temp_dir("junk");
  { std::ofstream(dir + "/libbackplane-text.so") << "this is not an ELF file\n"; }
  // A truncated ELF: the first 200 bytes of a real plugin.
  {
    std::ifstream in(fake_dir("cpu") + "/libbackplane-fakecpu.so", std::ios::binary);
    std::string head(200, '\0');
    in.read(head.data(), 200);
    std::ofstream(dir + "/libbackplane-truncated.so", std::ios::binary) << head;
    // Headers intact, loadable segments cut short (dlopen would SIGBUS on it): keep the ELF and
    // program headers plus a little, whatever the build's size (debug info sits after the segments).
    Elf64_Ehdr eh{};
    in.clear();
    in.seekg(0);
    in.read(reinterpret_cast<char*>(&eh), sizeof eh);
    std::string cut(static_cast<size_t>(eh.e_phoff + eh.e_phnum * sizeof(Elf64_Phdr) + 64), '\0');
    in.seekg(0);
    in.read(cut.data(), static_cast<std::streamsize>(cut.size()));
    std::ofstream(dir + "/libbackplane-half.so", std::ios::binary) << cut;
  }
  bp_runtime_t rt = nullptr;
  std::vector<bp_plugin_info> infos;
  REQUIRE(probe_paths({dir, fake_dir("cpu")}, &rt, &infos) == BP_OK);
  const bp_plugin_info* text = find_plugin(infos, "text");
  REQUIRE(text);
  CHECK(text->state == BP_STATE_LOAD_FAILED);
  CHECK(text->cause == BP_CAUSE_NOT_A_PLUGIN);
  const bp_plugin_info* trunc = find_plugin(infos, "truncated");
  REQUIRE(trunc);
  CHECK(trunc->state == BP_STATE_LOAD_FAILED);
  CHECK(std::string(trunc->message).find("cannot load") != std::string::npos);
  const bp_plugin_info* half = find_plugin(infos, "half");
  REQUIRE(half);
  CHECK(half->state == BP_STATE_LOAD_FAILED);
  CHECK(half->cause == BP_CAUSE_NOT_A_PLUGIN);
  CHECK(std::string(half->message).find("is truncated or corrupt: loadable segment") != std::string::npos);
  bp_runtime_destroy(rt);
  fs::remove_all(dir);
}

TEST_CASE("loader: the same plugin reached twice is loaded once; a second file with the same name is refused") {
  bp_runtime_t rt = nullptr;
  std::vector<bp_plugin_info> infos;
  // Same folder twice (and the file itself) => one plugin.
  REQUIRE(probe_paths({fake_dir("cpu"), fake_dir("cpu"), fake_dir("cpu") + "/libbackplane-fakecpu.so"}, &rt, &infos) == BP_OK);
  CHECK(infos.size() == 1);
  bp_runtime_destroy(rt);
  // A copy of the same-named plugin in another folder => refused as duplicate.
  std::string dir = temp_dir("dupe");
  fs::copy_file(fake_dir("dup_a") + "/libbackplane-dupe.so", dir + "/libbackplane-dupe.so");
  infos.clear();
  REQUIRE(probe_paths({fake_dir("dup_a"), dir}, &rt, &infos) == BP_OK);
  REQUIRE(infos.size() == 2);
  int duplicates = 0;
  for (auto& i : infos) duplicates += i.cause == BP_CAUSE_DUPLICATE;
  CHECK(duplicates == 1);
  bp_runtime_destroy(rt);
  fs::remove_all(dir);
}

TEST_CASE("loader: plugin files writable by others are refused unless overridden") {
  std::string dir = temp_dir("unsafe");
  fs::copy_file(fake_dir("cpu") + "/libbackplane-fakecpu.so", dir + "/libbackplane-fakecpu.so");
  fs::permissions(dir + "/libbackplane-fakecpu.so", fs::perms::others_write, fs::perm_options::add);
  bp_runtime_t rt = nullptr;
  std::vector<bp_plugin_info> infos;
  CHECK(probe_paths({dir}, &rt, &infos) == BP_ERR_UNAVAILABLE);
  CHECK(std::string(bp_last_error_message()).find("libbackplane-fakecpu.so is writable by every user") != std::string::npos);
  {
    scoped_env allow("BACKPLANE_ALLOW_UNSAFE_PLUGINS", "1");
    hermetic_options h({dir});
    h.o.use_environment = 1;
    scoped_env no_backend("BACKPLANE_BACKEND", nullptr);
    REQUIRE(bp_runtime_create(&h.o, &rt) == BP_OK);
    CHECK(std::string(bp_runtime_backend(rt)) == "fakecpu");
    bp_runtime_destroy(rt);
  }
  fs::remove_all(dir);
}

TEST_CASE("loader: relative plugin paths are refused") {
  scoped_env path("BACKPLANE_PLUGIN_PATH", "relative/plugins");
  hermetic_options h({fake_dir("cpu")});
  h.o.use_environment = 1;
  bp::runtime rt(h.o);
  std::string report = rt.report_json();
  CHECK(report.find("relative paths are not searched") != std::string::npos);
}

TEST_CASE("loader: allowlist pins by SHA-256") {
  std::string dir = temp_dir("allow");
  std::string list = dir + "/allowlist.txt";
  { std::ofstream(list) << "# nothing pinned\n" << std::string(64, '0') << "  other\n"; }
  scoped_env allow("BACKPLANE_PLUGIN_ALLOWLIST", list.c_str());
  hermetic_options h({fake_dir("cpu")});
  h.o.use_environment = 1;
  bp_runtime_t rt = nullptr;
  CHECK(bp_runtime_create(&h.o, &rt) == BP_ERR_UNAVAILABLE);
  CHECK(std::string(bp_last_error_message()).find("is not pinned in") != std::string::npos);
  // Pin the real hash (computed by coreutils, independently of the core's SHA-256) => accepted.
  std::string plugin = fake_dir("cpu") + "/libbackplane-fakecpu.so";
  FILE* p = popen(("sha256sum '" + plugin + "'").c_str(), "r");
  REQUIRE(p);
  char hash[65] = {0};
  REQUIRE(fscanf(p, "%64s", hash) == 1);
  pclose(p);
  { std::ofstream(list) << hash << "  " << plugin << "\n"; }
  REQUIRE(bp_runtime_create(&h.o, &rt) == BP_OK);
  CHECK(std::string(bp_runtime_backend(rt)) == "fakecpu");
  bp_runtime_destroy(rt);
  fs::remove_all(dir);
}

TEST_CASE("discovery only: bp_discover_json lists candidates without running plugin code") {
  // The crashing plugins would take the process down if any of their code ran.
  hermetic_options h({fake_dir("probe_crash"), fake_dir("static_crash"), fake_dir("cpu")});
  h.o.disable = "fakecpu";
  uint64_t needed = 0;
  REQUIRE(bp_discover_json(&h.o, nullptr, 0, &needed) == BP_OK);
  std::string text(needed, '\0');
  REQUIRE(bp_discover_json(&h.o, text.data(), text.size(), &needed) == BP_OK);
  CHECK(text.find("libbackplane-crashy.so") != std::string::npos);
  CHECK(text.find("libbackplane-staticcrash.so") != std::string::npos);
  CHECK(text.find("\"decision\": \"disabled\"") != std::string::npos);
  CHECK(text.find("\"schema_version\": 1") != std::string::npos);
  char tiny[4];
  CHECK(bp_discover_json(&h.o, tiny, sizeof tiny, &needed) == BP_ERR_INVALID_ARGUMENT);
}

TEST_CASE("loader: a probe's INVALID_ARGUMENT is a configuration error from a 1.1 plugin, a fallback from a 1.0 one") {
  // ABI 1.1: probe returns INVALID_ARGUMENT only for a malformed setting, so the
  // runtime refuses to start instead of hiding the typo behind a CPU fallback.
  bp_runtime_t rt = nullptr;
  std::vector<bp_plugin_info> infos;
  CHECK(probe_paths({fake_dir("bad_setting"), fake_dir("cpu")}, &rt, &infos) == BP_ERR_INVALID_ARGUMENT);
  CHECK(rt == nullptr);
  const std::string why = bp_last_error_message();
  CHECK(why.find("setting is malformed") != std::string::npos);
  CHECK(why.find("BACKPLANE_FAKE_SIZE='abc'") != std::string::npos);
  // A 1.0 plugin never promised that meaning: its error is a plugin_error and the CPU serves.
  REQUIRE(probe_paths({fake_dir("bad_setting_v1_0"), fake_dir("cpu")}, &rt, &infos) == BP_OK);
  CHECK(std::string(bp_runtime_backend(rt)) == "fakecpu");
  bp_runtime_destroy(rt);
}
