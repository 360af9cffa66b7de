// What the core trusts (issue #17): secure mode ignores every setting that
// names a file or folder, unsafe means anyone but the owner (or root) could
// change the code, plugins are known by their file names, and the allowlist
// is bounded and never silently empty.
#include <doctest/doctest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "fixtures.hpp"
#include "skip.hpp"

using namespace fixtures;
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {
// The runtime's first plugin record named `name` (message etc. copied out).
struct record_view {
  bool found = false;
  bp_plugin_state state = BP_STATE_READY;
  bp_cause cause = BP_CAUSE_NONE;
  std::string message;
};
record_view record_of(bp_runtime_t rt, const std::string& name) {
  record_view v;
  for (uint32_t i = 0; i < bp_runtime_plugin_count(rt); ++i) {
    bp_plugin_info info{};
    info.struct_size = sizeof info;
    bp_runtime_plugin_info(rt, i, &info);
    if (name != info.name) continue;
    v.found = true;
    v.state = info.state;
    v.cause = info.cause;
    v.message = info.message;
    break;
  }
  return v;
}

// Creation over `paths` must fail for want of a backend; returns its message.
std::string refused_message(const std::vector<std::string>& paths) {
  hermetic_options h(paths);
  bp_runtime_t rt = nullptr;
  bp_status s = bp_runtime_create(&h.o, &rt);
  if (s == BP_OK) bp_runtime_destroy(rt);
  return s == BP_ERR_UNAVAILABLE ? bp_last_error_message() : "created (status " + std::to_string(s) + ")";
}
}  // namespace

// ---- item 6: a privileged process trusts no search setting from the environment ---------

TEST_CASE("secure mode: settings naming files or folders are ignored, for the core and through get_option") {
  scoped_env cuda("BACKPLANE_CUDA_PATH", "/home/mallory/fake-cuda");
  scoped_env cudnn("BACKPLANE_CUDNN_PATH", "/home/mallory/fake-cudnn");
  scoped_env search("BACKPLANE_DEP_SEARCH", "override_only");
  scoped_env threads("BACKPLANE_CPU_THREADS", "3");
  scoped_env plugins("BACKPLANE_PLUGIN_PATH", fake_dir("gpu").c_str());
  scoped_env allowlist("BACKPLANE_PLUGIN_ALLOWLIST", "/home/mallory/no-such-allowlist");
  scoped_env backend("BACKPLANE_BACKEND", nullptr);
  scoped_env fault("BACKPLANE_FAULT", nullptr);
  hermetic_options h({fake_dir("echo_options")});
  h.o.use_environment = 1;

  {  // Not privileged: the plugin gets the settings (and the missing allowlist is an error).
    scoped_env secure("BACKPLANE_SECURE_MODE", nullptr);
    scoped_env no_allowlist("BACKPLANE_PLUGIN_ALLOWLIST", nullptr);
    bp::runtime rt(h.o);
    CHECK(rt.backend() == "fakegpu");  // BACKPLANE_PLUGIN_PATH honoured
    record_view echo = record_of(rt.get(), "echo");
    CHECK(echo.message == "CUDA_PATH=/home/mallory/fake-cuda|DEP_SEARCH=override_only|CPU_THREADS=3");
  }
  scoped_env secure("BACKPLANE_SECURE_MODE", "1");
  bp::runtime rt(h.o);
  CHECK(rt.backend() == "echo");  // BACKPLANE_PLUGIN_PATH ignored; the missing allowlist file is never read
  record_view echo = record_of(rt.get(), "echo");
  CHECK(echo.message == "CUDA_PATH=-|DEP_SEARCH=-|CPU_THREADS=3");  // other settings still pass
  json report = json::parse(rt.report_json());
  CHECK(report["policy"]["secure_mode"] == true);
  std::set<std::string> ignored;
  for (const json& i : report["policy"]["ignored_settings"]) {
    ignored.insert(i["name"].get<std::string>());
    CHECK(i["reason"].get<std::string>().find("BACKPLANE_SECURE_MODE=1") != std::string::npos);
  }
  CHECK(ignored == std::set<std::string>{"BACKPLANE_CUDA_PATH", "BACKPLANE_CUDNN_PATH", "BACKPLANE_DEP_SEARCH",
                                         "BACKPLANE_PLUGIN_PATH", "BACKPLANE_PLUGIN_ALLOWLIST"});
  {  // Fault injection stays refused.
    scoped_env inject("BACKPLANE_FAULT", "*:no_device");
    bp_runtime_t failed = nullptr;
    CHECK(bp_runtime_create(&h.o, &failed) == BP_ERR_POLICY);
    CHECK(std::string(bp_last_error_message()).find("BACKPLANE_FAULT is refused") == 0);
  }
}

// ---- item 7: unsafe means anyone but the owner (or root) could change it ---------------

TEST_CASE("unsafe files: group-writable files and folders, writable ancestors and symlink targets are refused") {
  std::string dir = temp_dir("unsafe-rule");
  {  // A group-writable file.
    fs::create_directories(dir + "/group-file");
    std::string f = copy_fake("cpu", "fakecpu", dir + "/group-file");
    fs::permissions(f, fs::perms::group_write, fs::perm_options::add);
    CHECK(refused_message({dir + "/group-file"}).find(f + " is writable by its group") != std::string::npos);
  }
  {  // A safe folder below a world-writable (not sticky) one.
    fs::create_directories(dir + "/open/inner");
    fs::permissions(dir + "/open", fs::perms::all);
    copy_fake("cpu", "fakecpu", dir + "/open/inner");
    CHECK(refused_message({dir + "/open/inner"}).find(dir + "/open is writable by every user") != std::string::npos);
  }
  {  // A symlink in a safe folder whose target lies in a group-writable folder.
    fs::create_directories(dir + "/target");
    fs::create_directories(dir + "/links");
    copy_fake("cpu", "fakecpu", dir + "/target");
    fs::permissions(dir + "/target", fs::perms::group_write, fs::perm_options::add);
    fs::create_symlink(dir + "/target/libbackplane-fakecpu.so", dir + "/links/libbackplane-fakecpu.so");
    CHECK(refused_message({dir + "/links"}).find(dir + "/target is writable by its group") != std::string::npos);
  }
  {  // Under a sticky root-owned folder (the temporary directory itself) a safe folder is fine.
    fs::create_directories(dir + "/safe");
    copy_fake("cpu", "fakecpu", dir + "/safe");
    hermetic_options h({dir + "/safe"});
    bp::runtime rt(h.o);
    CHECK(rt.backend() == "fakecpu");
  }
  fs::remove_all(dir);
}

TEST_CASE("unsafe files: a plugin owned by another user is refused even for root") {
  if (geteuid() != 0) {
    BP_SKIP("only root can give a file to another user");
    return;
  }
  std::string dir = temp_dir("unsafe-owner");
  std::string f = copy_fake("cpu", "fakecpu", dir);
  REQUIRE(chown(f.c_str(), 65534, 65534) == 0);
  CHECK(refused_message({dir}).find(f + " is owned by uid 65534, neither root nor this process's user") !=
        std::string::npos);
  REQUIRE(chown(f.c_str(), 0, 0) == 0);
  REQUIRE(chown(dir.c_str(), 65534, 65534) == 0);  // the folder it is in
  CHECK(refused_message({dir}).find(dir + " is owned by uid 65534") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("plugin names: a plugin is known by its file name and cannot pose as another or print lines") {
  // The table declares "fakecpu" but the file is libbackplane-poser.so (it would pose as fakecpu).
  hermetic_options h({fake_dir("poser"), fake_dir("liar"), fake_dir("gpu")});
  bp::runtime rt(h.o);
  CHECK(rt.backend() == "fakegpu");
  record_view poser = record_of(rt.get(), "poser");
  REQUIRE(poser.found);
  CHECK(poser.state == BP_STATE_INCOMPATIBLE);
  CHECK(poser.message.find("declares the name 'fakegpu' but its file is libbackplane-poser.so") != std::string::npos);
  record_view liar = record_of(rt.get(), "liar");
  REQUIRE(liar.found);
  CHECK(liar.state == BP_STATE_INCOMPATIBLE);
  CHECK(liar.message.find("declares the name 'liar\\xff\\x0aVerdict: ready'") != std::string::npos);
  CHECK(liar.message.find('\n') == std::string::npos);
  json report = json::parse(rt.report_json());
  CHECK(report["selected"]["backend"] == "fakegpu");

  // A file name that is not a plugin name (a newline in it) is refused before it is loaded.
  std::string dir = temp_dir("odd-name");
  copy_fake("cpu", "fakecpu", dir, "libbackplane-a\nVerdict: ready.so");
  hermetic_options odd({dir, fake_dir("cpu")});
  json d = json::parse(discover_json(odd.o));
  REQUIRE(d["refused"].size() == 1);
  CHECK(d["refused"][0]["name"] == "a\\x0aVerdict: ready");
  CHECK(d["refused"][0]["cause"] == "not_a_plugin");
  fs::remove_all(dir);
}

// ---- item 14: the allowlist is bounded and never silently empty -------------------------

TEST_CASE("allowlist: a missing or malformed allowlist is a configuration error; huge files are not hashed") {
  std::string dir = temp_dir("allowlist-rules");
  hermetic_options h({fake_dir("cpu")});
  h.o.use_environment = 1;
  scoped_env backend("BACKPLANE_BACKEND", nullptr);
  bp_runtime_t rt = nullptr;
  {
    scoped_env missing("BACKPLANE_PLUGIN_ALLOWLIST", (dir + "/nope.txt").c_str());
    CHECK(bp_runtime_create(&h.o, &rt) == BP_ERR_INVALID_ARGUMENT);
    CHECK(std::string(bp_last_error_message()) ==
          "BACKPLANE_PLUGIN_ALLOWLIST='" + dir + "/nope.txt': No such file or directory");
  }
  {
    { std::ofstream(dir + "/bad.txt") << "# pins\nnot-a-hash  fakecpu\n"; }
    scoped_env bad("BACKPLANE_PLUGIN_ALLOWLIST", (dir + "/bad.txt").c_str());
    CHECK(bp_runtime_create(&h.o, &rt) == BP_ERR_INVALID_ARGUMENT);
    CHECK(std::string(bp_last_error_message()).find("bad.txt' line 2: expected") != std::string::npos);
  }
  // A 10 GiB sparse file is refused from its size, without reading it.
  std::string huge_dir = dir + "/huge";
  fs::create_directories(huge_dir);
  { std::ofstream(huge_dir + "/libbackplane-huge.so"); }
  fs::resize_file(huge_dir + "/libbackplane-huge.so", 10ull << 30);
  { std::ofstream(dir + "/pins.txt") << std::string(64, 'a') << "  other\n"; }
  scoped_env pins("BACKPLANE_PLUGIN_ALLOWLIST", (dir + "/pins.txt").c_str());
  hermetic_options hh({huge_dir});
  hh.o.use_environment = 1;
  auto start = std::chrono::steady_clock::now();
  json d = json::parse(discover_json(hh.o));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
  REQUIRE(d["refused"].size() == 1);
  CHECK(d["refused"][0]["cause"] == "not_allowlisted");
  CHECK(d["refused"][0]["message"].get<std::string>().find("more than the 256 MiB the allowlist check reads") !=
        std::string::npos);
  fs::remove_all(dir);
}
