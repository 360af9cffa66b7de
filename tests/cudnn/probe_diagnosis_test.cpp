// probe_diagnosis_test.cpp — the cudnn probe says what it really saw (issue
// #17): the driver's own answers (a link stub, a refused forward-compatibility
// package), damaged files named like vendor libraries, the secure-mode rule
// for search settings, and GPU settings checked before any driver is loaded.
// Each TEST_CASE is its own ctest entry (own process).
#include <stdlib.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <string>

#include "doctest/doctest.h"
#include "probe_support.hpp"
#include "skip.hpp"

using namespace bp_test::probe;

namespace {

// A fresh folder holding `files` (name -> bytes) for the process.
std::string folder_with(const std::map<std::string, std::string>& files) {
  char tmpl[] = "/tmp/bp-cudnn-files-XXXXXX";
  const char* d = ::mkdtemp(tmpl);
  REQUIRE(d != nullptr);
  for (const auto& [name, bytes] : files) {
    std::ofstream out(std::string(d) + "/" + name, std::ios::binary);
    out << bytes;
    REQUIRE(out.good());
  }
  return d;
}

// The first `n` bytes of a real shared object (an ELF cut short).
std::string elf_head(size_t n) {
  std::ifstream in(BP_CUDNN_PLUGIN_PATH, std::ios::binary);
  std::string bytes(n, '\0');
  in.read(&bytes[0], static_cast<std::streamsize>(n));
  REQUIRE(static_cast<size_t>(in.gcount()) == n);
  return bytes;
}

bool libraries_usable(const probe_run& run) {
  return run.dep("libcudnn.so.9").cause == BP_CAUSE_NONE && run.dep("libcublas.so.13").cause == BP_CAUSE_NONE;
}

}  // namespace

// ---- item 5: the driver's own answers, damaged files ----------------------------------

TEST_CASE("cudnn probe: a link stub as libcuda.so.1 is the stub that loaded, not a missing or broken driver") {
  ::setenv("BP_FAKE_CUDA_STUB", "1", 1);  // answers CUDA_ERROR_STUB_LIBRARY, like the toolkit's stub
  probe_run run(with_fake_driver());
  run.print();
  REQUIRE(run.status == BP_OK);
  const auto& d = run.dep("libcuda.so.1");
  CHECK(d.cause == BP_CAUSE_DRIVER_MISSING);  // was symbol_missing ("reinstall the driver")
  CHECK(contains(d.loaded_path, BP_FAKE_DRIVER_DIR));
  CHECK(contains(d.message, "loaded " + d.loaded_path));
  CHECK(contains(d.message, "link stub"));
  CHECK(contains(d.message, "CUDA_ERROR_STUB_LIBRARY"));
  CHECK_FALSE(contains(d.message, "not found"));
  CHECK(contains(d.remedy, "install the NVIDIA driver"));
  CHECK(run.host.probe.cause == BP_CAUSE_DRIVER_MISSING);
  CHECK(contains(run.host.probe.message, "link stub"));
  CHECK(run.host.probe.remedy == d.remedy);
}

TEST_CASE("cudnn probe: the toolkit's own link stub installed as libcuda.so.1 is named with its path") {
  struct stat st {};
  if (::stat(BP_CUDA_STUB_LIBRARY, &st) != 0) {
    BP_SKIP("the toolkit's link stub is not at " << BP_CUDA_STUB_LIBRARY);
    return;
  }
  const std::string dir = folder_with({});
  REQUIRE(::symlink(BP_CUDA_STUB_LIBRARY, (dir + "/libcuda.so.1").c_str()) == 0);
  probe_run run(options{{"CUDA_PATH", dir}});
  run.print();
  const auto& d = run.dep("libcuda.so.1");
  CHECK(d.cause == BP_CAUSE_DRIVER_MISSING);
  CHECK(contains(d.loaded_path, "stubs/libcuda.so"));
  CHECK(contains(d.message, "link stub"));
  CHECK(contains(d.remedy, "install the NVIDIA driver"));
  CHECK(run.host.probe.cause == BP_CAUSE_DRIVER_MISSING);
}

TEST_CASE("cudnn probe: CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE is a forward-compatibility package this GPU refuses") {
  ::setenv("BP_FAKE_CUDA_INIT_RESULT", "804", 1);
  probe_run run(with_fake_driver());
  run.print();
  const auto& d = run.dep("libcuda.so.1");
  CHECK(d.cause == BP_CAUSE_NONE);  // the library itself is new enough: no "found 13.0.0, required >= 13.0"
  CHECK(d.version_found == "13.0.0");
  if (!libraries_usable(run)) {
    BP_SKIP("cuDNN/cuBLAS are not usable here, so they fail first");
    return;
  }
  CHECK(run.host.probe.state == BP_STATE_UNAVAILABLE);
  CHECK(run.host.probe.cause == BP_CAUSE_DRIVER_TOO_OLD);
  CHECK(contains(run.host.probe.message, "forward-compatibility package"));
  CHECK(contains(run.host.probe.message, "CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE"));
  CHECK(contains(run.host.probe.message, d.loaded_path));
  CHECK(contains(run.host.probe.remedy, "cuda-compat"));
}

TEST_CASE("cudnn probe: empty, text and cut-short files named like vendor libraries are damaged files") {
  const std::string cuda = folder_with({{"libcuda.so.1", elf_head(40)}, {"libcublas.so.13", "not a library\n"}});
  const std::string cudnn = folder_with({{"libcudnn.so.9", ""}});
  probe_run run(options{{"CUDA_PATH", cuda}, {"CUDNN_PATH", cudnn}});
  run.print();
  REQUIRE(run.status == BP_OK);
  struct expect {
    const char* soname;
    const char* what;
    const char* remedy;
  };
  for (const expect& e : {expect{"libcuda.so.1", "the file is truncated", "reinstall the NVIDIA driver"},
                          expect{"libcublas.so.13", "the file is not an ELF shared object", "reinstall cuBLAS"},
                          expect{"libcudnn.so.9", "the file is empty (0 bytes)", "reinstall cuDNN"}}) {
    CAPTURE(e.soname);
    const auto& d = run.dep(e.soname);
    CHECK(d.cause == BP_CAUSE_DAMAGED_FILE);  // was wrong_arch ("install the build for this architecture")
    CHECK(contains(d.message, e.what));
    CHECK(contains(d.remedy, e.remedy));
    CHECK(contains(d.remedy, "damaged"));
    CHECK_FALSE(contains(d.remedy, "architecture"));
  }
  CHECK(contains(run.dep("libcublas.so.13").message, "starting \"not a library\\x0a\""));
  CHECK(run.host.probe.cause == BP_CAUSE_DAMAGED_FILE);
}

// ---- item 6: a privileged process trusts no search setting from the environment -------

namespace {

// The environment an unprivileged caller of a setuid host controls, pointing at code of its own.
void set_hostile_search_environment() {
  ::setenv("BACKPLANE_CUDA_PATH", BP_FAKE_DRIVER_DIR, 1);
  ::setenv("BACKPLANE_CUDNN_PATH", BP_FAKE_CUDNN8_DIR, 1);
  ::setenv("BACKPLANE_DEP_SEARCH", "override_only", 1);
}

// A host that passes the environment through unfiltered (an older core) or none at all.
options environment_as_host_options() {
  return {{"CUDA_PATH", BP_FAKE_DRIVER_DIR}, {"CUDNN_PATH", BP_FAKE_CUDNN8_DIR}, {"DEP_SEARCH", "override_only"}};
}

void check_search_settings_ignored(const probe_run& run, const std::string& reason = "BACKPLANE_SECURE_MODE=1") {
  const auto& driver = run.dep("libcuda.so.1");
  const auto& cudnn = run.dep("libcudnn.so.9");
  CHECK_FALSE(contains(driver.loaded_path, BP_FAKE_DRIVER_DIR));  // the caller's libcuda.so.1 was never opened
  CHECK_FALSE(contains(cudnn.loaded_path, BP_FAKE_CUDNN8_DIR));
  for (const auto* d : {&driver, &cudnn, &run.dep("libcublas.so.13")}) {
    CAPTURE(d->soname);
    REQUIRE(d->searched.size() >= 2);  // DEP_SEARCH=override_only ignored: the default search ran too
    CHECK(d->searched[0].origin == BP_ORIGIN_ENV);
    CHECK(contains(d->searched[0].result, "not searched: BACKPLANE_"));
    CHECK(contains(d->searched[0].result, "ignored: " + reason));
    CHECK(d->searched.back().origin == BP_ORIGIN_SYSTEM);
    CHECK(contains(d->message, "BACKPLANE_DEP_SEARCH='override_only' ignored"));
  }
  CHECK(driver.searched[0].directory == BP_FAKE_DRIVER_DIR);
  CHECK(contains(driver.searched[0].result, std::string("BACKPLANE_CUDA_PATH='") + BP_FAKE_DRIVER_DIR + "'"));
  CHECK(cudnn.searched[0].directory == BP_FAKE_CUDNN8_DIR);
  CHECK(contains(cudnn.searched[0].result, "BACKPLANE_CUDNN_PATH='"));
}

}  // namespace

TEST_CASE("cudnn probe in secure mode ignores the search settings a host passes from the environment") {
  set_hostile_search_environment();
  ::setenv("BACKPLANE_SECURE_MODE", "1", 1);
  probe_run run(environment_as_host_options());
  run.print();
  REQUIRE(run.status == BP_OK);
  check_search_settings_ignored(run);
}

TEST_CASE("cudnn probe in secure mode with a host without get_option reads no search setting itself") {
  set_hostile_search_environment();
  ::setenv("BACKPLANE_SECURE_MODE", "1", 1);
  probe_run run({}, /*without_get_option=*/true);
  run.print();
  REQUIRE(run.status == BP_OK);
  check_search_settings_ignored(run);
}

// Run by check_at_secure.sh: this binary copied with a file capability and
// started by an unprivileged user, so the kernel sets AT_SECURE (no rehearsal).
TEST_CASE("cudnn probe in a process the kernel marks AT_SECURE ignores the search settings") {
  if (::getauxval(AT_SECURE) == 0) {
    BP_SKIP("this process is not AT_SECURE; tests/cudnn/check_at_secure.sh runs this case in one");
    return;
  }
  set_hostile_search_environment();
  ::unsetenv("BACKPLANE_SECURE_MODE");
  probe_run run({}, /*without_get_option=*/true);
  run.print();
  REQUIRE(run.status == BP_OK);
  check_search_settings_ignored(run, "this process runs with elevated privileges");
}

TEST_CASE("cudnn probe outside secure mode follows the same search settings") {
  set_hostile_search_environment();
  ::unsetenv("BACKPLANE_SECURE_MODE");
  probe_run run({}, /*without_get_option=*/true);  // the SDK reads the environment itself
  run.print();
  CHECK(contains(run.dep("libcuda.so.1").loaded_path, BP_FAKE_DRIVER_DIR));
  CHECK(contains(run.dep("libcudnn.so.9").loaded_path, BP_FAKE_CUDNN8_DIR));
  CHECK(run.dep("libcuda.so.1").searched.size() == 1);  // override_only honoured
}

// ---- item 13: GPU settings are checked up front, whatever the hardware ---------------

TEST_CASE("cudnn probe: a malformed GPU_MEMORY_LIMIT is a configuration error before any driver is loaded") {
  probe_run run(options{{"GPU_MEMORY_LIMIT", "abc"}, {"fault", "no_driver"}});
  CHECK(run.status == BP_ERR_INVALID_ARGUMENT);
  CHECK(run.host.last_error_status == BP_ERR_INVALID_ARGUMENT);
  CHECK(contains(run.host.last_error, "BACKPLANE_GPU_MEMORY_LIMIT='abc' is not a size"));
  CHECK(run.host.deps.empty());  // decided before any vendor library was looked for
}

TEST_CASE("cudnn probe: a malformed GPU_MEMORY_CACHING is a configuration error before any driver is loaded") {
  probe_run run(options{{"GPU_MEMORY_CACHING", "maybe"}, {"fault", "no_driver"}});
  CHECK(run.status == BP_ERR_INVALID_ARGUMENT);
  CHECK(contains(run.host.last_error, "BACKPLANE_GPU_MEMORY_CACHING='maybe' is not on/off"));
  CHECK(run.host.deps.empty());
}

TEST_CASE("cudnn init: an out-of-memory the cap caused names the cap in its remedy") {
  probe_run run(with_fake_driver({{"GPU_MEMORY_LIMIT", "512"}}));  // below init's first 1 MiB block
  if (run.host.probe.state != BP_STATE_READY) {
    BP_SKIP("probe is not READY with the fake driver here: " << run.host.probe.message);
    return;
  }
  CHECK(init_with(run) == BP_ERR_OUT_OF_MEMORY);
  MESSAGE("init error: " << run.host.last_error);
  CHECK(contains(run.host.last_error, "GPU memory limit reached"));
  CHECK(contains(run.host.last_error, "BACKPLANE_GPU_MEMORY_LIMIT=512"));
  CHECK(contains(run.host.last_error, "Remedy: raise BACKPLANE_GPU_MEMORY_LIMIT"));
}
