// The diagnosis never lies (issue #17), core side: reports stay valid output
// whatever bytes they carry, the verdict names the cause that decided the
// outcome, and discovery says what it saw.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "fixtures.hpp"

using namespace fixtures;
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {
std::string last_failure_report() {
  uint64_t needed = 0;
  if (bp_last_failure_report_json(nullptr, 0, &needed) != BP_OK) return "";
  std::string text(needed, '\0');
  if (bp_last_failure_report_json(text.data(), text.size(), &needed) != BP_OK) return "";
  text.resize(needed - 1);
  return text;
}

const json* find_by(const json& list, const char* key, const std::string& value) {
  for (const json& item : list)
    if (item.value(key, "") == value) return &item;
  return nullptr;
}
}  // namespace

// ---- item 1: every string a report carries is valid output -----------------------------

TEST_CASE("report: bytes that are not UTF-8 are written as \\xNN and never break a report") {
  // A folder whose name is not UTF-8, and environment values that are not either.
  std::string base = temp_dir("utf8");
  std::string odd = base + "/plugins-\xfe\xff";
  fs::create_directories(odd);
  copy_fake("cpu", "fakecpu", odd);
  scoped_env visible("CUDA_VISIBLE_DEVICES", "x\xff");
  scoped_env backend("BACKPLANE_BACKEND", nullptr);
  scoped_env weird("BACKPLANE_X\xc3", "v\xc3\x28");
  hermetic_options h({odd, fake_dir("gpu_unavailable")});
  h.o.use_environment = 1;

  bp::runtime rt(h.o);
  CHECK(rt.backend() == "fakecpu");
  json report = json::parse(rt.report_json());  // throws on invalid UTF-8
  CHECK(report["environment"]["CUDA_VISIBLE_DEVICES"] == "x\\xff");
  CHECK(report["environment"]["BACKPLANE_X\\xc3"] == "v\\xc3(");
  CHECK(find_by(report["discovery"]["search_paths"], "path", base + "/plugins-\\xfe\\xff"));
  CHECK(report["verdict"] == "fell_back");

  // The discovery-only report too.
  json discovered = json::parse(discover_json(h.o));
  CHECK(find_by(discovered["discovery"]["search_paths"], "path", base + "/plugins-\\xfe\\xff"));

  // A failed creation returns its real reason (not a JSON-library error), and its report parses.
  h.o.fallback = BP_FALLBACK_ERROR;
  bp_runtime_t failed = nullptr;
  CHECK(bp_runtime_create(&h.o, &failed) == BP_ERR_POLICY);
  std::string message = bp_last_error_message();
  CHECK(message.find("preferred backend 'fakegpu' cannot serve") != std::string::npos);
  CHECK(message.find("json") == std::string::npos);
  json failure = json::parse(last_failure_report());
  CHECK(failure["verdict"] == "refused_by_policy");
  CHECK(failure["environment"]["CUDA_VISIBLE_DEVICES"] == "x\\xff");
  fs::remove_all(base);
}

// ---- item 2: a duplicate is a note, never the verdict -----------------------------------

TEST_CASE("selection: a plugin found twice is a note; the verdict and events name the real cause") {
  std::string copy = temp_dir("dupe-gpu");
  copy_fake("gpu_unavailable", "fakegpu", copy);
  // The copy is found first (like an install and its build tree): the second one is the duplicate.
  hermetic_options h({copy, fake_dir("gpu_unavailable"), fake_dir("cpu")});
  bp::runtime rt(h.o);
  CHECK(rt.backend() == "fakecpu");
  json report = json::parse(rt.report_json());
  CHECK(report["verdict"] == "fell_back");
  CHECK(report["preferred"] == "fakegpu");
  auto events = rt.events();
  REQUIRE(events.size() == 1);
  CHECK(events[0].cause == BP_CAUSE_NOT_FOUND);  // the real cause, not "duplicate"
  int duplicates = 0;
  for (const json& p : report["plugins"]) duplicates += p["cause"] == "duplicate";
  CHECK(duplicates == 1);

  h.o.fallback = BP_FALLBACK_ERROR;
  bp_runtime_t failed = nullptr;
  CHECK(bp_runtime_create(&h.o, &failed) == BP_ERR_POLICY);
  std::string message = bp_last_error_message();
  CHECK(message.find("preferred backend 'fakegpu' cannot serve") != std::string::npos);
  // The duplicate is a closing note, not one of the listed reasons.
  CHECK(message.find("[duplicate") == std::string::npos);
  CHECK(message.find("\n  note: " + fake_dir("gpu_unavailable") + "/libbackplane-fakegpu.so is another copy of 'fakegpu'") !=
        std::string::npos);
  CHECK(message.rfind("\n  note: ") > message.find("[not_found at probe]"));
  json failure = json::parse(last_failure_report());
  REQUIRE(failure["events"].size() == 1);
  CHECK(failure["events"][0]["cause"] == "not_found");
  fs::remove_all(copy);
}

// ---- item 4: a file that never loaded cannot be preferred -------------------------------

TEST_CASE("selection: a file that never loaded is never preferred over a ready plugin") {
  std::string junk = temp_dir("junk-first");
  { std::ofstream(junk + "/libbackplane-junk.so"); }  // zero bytes
  { std::ofstream(junk + "/libbackplane-text.so") << "not an ELF file\n"; }
  // The GPU plugin is disabled (BACKPLANE_DISABLE=cudnn on a machine without a GPU).
  hermetic_options h({junk, fake_dir("gpu"), fake_dir("cpu")});
  h.o.disable = "fakegpu";
  h.o.fallback = BP_FALLBACK_ERROR;  // would refuse to start if junk were "preferred"
  bp_runtime_t rt = nullptr;
  REQUIRE_MESSAGE(bp_runtime_create(&h.o, &rt) == BP_OK, bp_last_error_message());
  CHECK(std::string(bp_runtime_backend(rt)) == "fakecpu");
  uint64_t needed = 0;
  REQUIRE(bp_runtime_report_json(rt, nullptr, 0, &needed) == BP_OK);
  std::string text(needed, '\0');
  REQUIRE(bp_runtime_report_json(rt, text.data(), text.size(), &needed) == BP_OK);
  text.resize(needed - 1);
  json report = json::parse(text);
  CHECK(report["preferred"] == "fakecpu");
  CHECK(report["verdict"] == "ready");
  CHECK(report["events"].empty());
  const json* j = find_by(report["plugins"], "name", "junk");
  REQUIRE(j);
  CHECK((*j)["state"] == "load_failed");
  bp_runtime_destroy(rt);

#ifdef BACKPLANE_OPENBLAS_PLUGIN
  // The real CPU plugin, as in the report: a zero-byte file and openblas-cpu.
  hermetic_options real({junk, BACKPLANE_OPENBLAS_PLUGIN});
  real.o.fallback = BP_FALLBACK_ERROR;
  REQUIRE_MESSAGE(bp_runtime_create(&real.o, &rt) == BP_OK, bp_last_error_message());
  CHECK(std::string(bp_runtime_backend(rt)) == "openblas-cpu");
  bp_runtime_destroy(rt);
#endif
  fs::remove_all(junk);
}

// ---- item 16: discovery says what it saw ------------------------------------------------

TEST_CASE("discovery: symlink loops, FIFOs and dangling links are named as such") {
  std::string dir = temp_dir("kinds");
  fs::create_symlink(dir + "/libbackplane-loop.so", dir + "/libbackplane-loop.so");
  REQUIRE(mkfifo((dir + "/libbackplane-fifo.so").c_str(), 0644) == 0);
  fs::create_symlink(dir + "/nowhere.so", dir + "/libbackplane-dangling.so");
  fs::create_symlink(dir + "/loop-path", dir + "/loop-path");
  REQUIRE(mkfifo((dir + "/fifo-path").c_str(), 0644) == 0);
  hermetic_options h({dir, dir + "/loop-path", dir + "/fifo-path", dir + "/missing"});
  json d = json::parse(discover_json(h.o));
  const json& cands = d["discovery"]["candidates"];
  const json* loop = find_by(cands, "path", dir + "/libbackplane-loop.so");
  REQUIRE(loop);
  CHECK((*loop)["decision"] == "skipped");
  CHECK((*loop)["reason"].get<std::string>().find("symlink loop") == 0);
  const json* fifo = find_by(cands, "path", dir + "/libbackplane-fifo.so");
  REQUIRE(fifo);
  CHECK((*fifo)["reason"].get<std::string>().find("FIFO") == 0);
  const json* dangling = find_by(cands, "path", dir + "/libbackplane-dangling.so");
  REQUIRE(dangling);
  CHECK((*dangling)["reason"].get<std::string>().find("dangling symlink") == 0);

  const json& paths = d["discovery"]["search_paths"];
  const json* loop_path = find_by(paths, "path", dir + "/loop-path");
  REQUIRE(loop_path);
  CHECK((*loop_path)["state"] == "not_usable");
  CHECK((*loop_path)["note"].get<std::string>().find("symlink loop") == 0);
  const json* fifo_path = find_by(paths, "path", dir + "/fifo-path");
  REQUIRE(fifo_path);
  CHECK((*fifo_path)["note"].get<std::string>().find("FIFO") == 0);
  const json* missing = find_by(paths, "path", dir + "/missing");
  REQUIRE(missing);
  CHECK((*missing)["exists"] == false);
  CHECK((*missing)["state"] == "missing");
  const json* listed = find_by(paths, "path", dir);
  REQUIRE(listed);
  CHECK((*listed)["state"] == "listed");
  fs::remove_all(dir);
}

TEST_CASE("discovery: an unreadable folder or plugin file is reported with its errno, not as empty or broken") {
  std::string dir = temp_dir("unreadable");
  std::string closed = dir + "/closed";
  fs::create_directories(closed);
  copy_fake("cpu", "fakecpu", closed);
  std::string open_dir = dir + "/open";
  fs::create_directories(open_dir);
  std::string locked = copy_fake("gpu", "fakegpu", open_dir);
  fs::permissions(closed, fs::perms::none);
  fs::permissions(locked, fs::perms::none);
  hermetic_options h({closed, open_dir, closed + "/below"});
  // What an ordinary user sees (root reads every file).
  std::string text = run_unprivileged([&] { return discover_json(h.o); });
  fs::permissions(closed, fs::perms::owner_all);
  REQUIRE_MESSAGE(text.rfind("{", 0) == 0, text);
  json d = json::parse(text);
  const json* folder = find_by(d["discovery"]["search_paths"], "path", closed);
  REQUIRE(folder);
  CHECK((*folder)["state"] == "unreadable");
  CHECK((*folder)["note"].get<std::string>().find("cannot be listed (Permission denied)") == 0);
  const json* below = find_by(d["discovery"]["search_paths"], "path", closed + "/below");
  REQUIRE(below);
  CHECK((*below)["state"] == "not_usable");
  CHECK((*below)["note"].get<std::string>().find("cannot be examined (Permission denied") == 0);
  const json* file = find_by(d["refused"], "path", locked);
  REQUIRE(file);
  CHECK((*file)["cause"] == "not_found");
  CHECK((*file)["message"].get<std::string>().find("Permission denied (errno 13)") != std::string::npos);
  CHECK((*file)["remedy"].get<std::string>().find("make the file readable") == 0);
  fs::remove_all(dir);
}
