// probe_test.cpp — the cudnn plugin driven directly through a fake host:
// loading without vendor libraries, the per-dependency report, search
// overrides, fake vendor libraries and every fault clause. Each TEST_CASE is
// its own ctest entry (own process): vendor libraries loaded by one case
// (same sonames as the fakes) must not leak into another.
#include <dlfcn.h>
#include <stdlib.h>

#include <map>
#include <string>

#include "doctest/doctest.h"
#include "skip.hpp"
#include "elf_needed.hpp"
#include "probe_support.hpp"

using namespace bp_test::probe;

TEST_CASE("cudnn plugin file loads without vendor libraries and links none") {
  const std::vector<std::string> needed = bp_test::elf_needed(BP_CUDNN_PLUGIN_PATH);
  std::string list;
  for (const auto& n : needed) list += n + " ";
  MESSAGE("NEEDED: " << list);
  CHECK_FALSE(needed.empty());  // libc at least: the parser really read the section
  for (const auto& n : needed)
    for (const char* vendor : {"libcuda", "libcudart", "libcublas", "libcudnn", "libnvrtc"})
      CHECK_MESSAGE(!contains(n, vendor), n << " is a vendor library in NEEDED");
  bp_test::fake_host host;
  bp_test::plugin_file plugin(BP_CUDNN_PLUGIN_PATH, host.api());  // dlopen + entry symbol
  const bp_plugin_api& api = plugin.api();
  CHECK(std::string(api.name) == "cudnn");
  CHECK(api.priority == 100);
  CHECK(api.device_kind == BP_DEVICE_KIND_GPU);
  CHECK(api.abi_major == BP_ABI_VERSION_MAJOR);
  CHECK(api.struct_size == sizeof(bp_plugin_api));
  // The entry symbol itself must not have loaded any vendor library.
  CHECK(::dlopen("libcudnn.so.9", RTLD_NOW | RTLD_NOLOAD) == nullptr);
  CHECK(::dlopen("libcublas.so.13", RTLD_NOW | RTLD_NOLOAD) == nullptr);
}

TEST_CASE("cudnn probe reports the real verdict on this machine") {
  probe_run run;
  run.print();
  REQUIRE(run.status == BP_OK);
  REQUIRE(run.host.probe.reported);
  // Every dependency gets a report, whatever failed first.
  for (const char* so : {"libcuda.so.1", "libcudart.so.13", "libcublas.so.13", "libcublasLt.so.13", "libcudnn.so.9",
                         "libcudnn_graph.so.9", "libcudnn_ops.so.9", "libcudnn_cnn.so.9",
                         "libcudnn_engines_precompiled.so.9"})
    CHECK_MESSAGE(run.host.dep(so) != nullptr, "missing report for " << so);
  if (real_driver_present()) {
    BP_SKIP("driver_missing check: this machine has libcuda.so.1; verdict was: " << run.host.probe.message);
    CHECK(run.host.probe.cause != BP_CAUSE_DRIVER_MISSING);
    return;
  }
  const auto& driver = run.dep("libcuda.so.1");
  CHECK(driver.cause == BP_CAUSE_DRIVER_MISSING);
  CHECK(driver.required);
  REQUIRE_FALSE(driver.searched.empty());
  const auto& system = driver.searched.back();
  CHECK(system.origin == BP_ORIGIN_SYSTEM);
  CHECK(system.directory.empty());
  CHECK(contains(system.result, "libcuda.so.1: cannot open shared object file"));  // verbatim dlerror
  CHECK(contains(driver.remedy, "install the NVIDIA driver"));
  CHECK(contains(driver.remedy, "nvidia-smi"));
  CHECK(run.host.probe.state == BP_STATE_UNAVAILABLE);
  CHECK(run.host.probe.cause == BP_CAUSE_DRIVER_MISSING);
  CHECK(contains(run.host.probe.message, "libcuda.so.1 not found"));
  CHECK(run.host.probe.remedy == driver.remedy);
  // cuDNN and cuBLAS were still probed; when installed (they are on the dev machine) they pass.
  const auto& cudnn = run.dep("libcudnn.so.9");
  if (cudnn.cause == BP_CAUSE_NONE) {
    CHECK(cudnn.version_found.rfind("9.", 0) == 0);
    CHECK_FALSE(cudnn.loaded_path.empty());
    CHECK(contains(cudnn.version_required, "minor >= "));
  } else {
    MESSAGE("cuDNN not usable on this machine: " << cudnn.message);
  }
}

TEST_CASE("cudnn probe with DEP_SEARCH=override_only and empty override folders names every missing library") {
  const std::string empty = empty_temp_folder();
  probe_run run(options{{"DEP_SEARCH", "override_only"}, {"CUDA_PATH", empty}, {"CUDNN_PATH", empty}});
  run.print();
  REQUIRE(run.status == BP_OK);
  struct expect {
    const char* soname;
    bp_cause cause;
    const char* remedy_word;
  };
  for (const expect& e : {expect{"libcuda.so.1", BP_CAUSE_DRIVER_MISSING, "NVIDIA driver"},
                          expect{"libcudart.so.13", BP_CAUSE_NOT_FOUND, "BACKPLANE_CUDA_PATH"},
                          expect{"libcublas.so.13", BP_CAUSE_NOT_FOUND, "BACKPLANE_CUDA_PATH"},
                          expect{"libcudnn.so.9", BP_CAUSE_NOT_FOUND, "BACKPLANE_CUDNN_PATH"}}) {
    CAPTURE(e.soname);
    const auto& d = run.dep(e.soname);
    CHECK(d.cause == e.cause);
    CHECK(contains(d.remedy, e.remedy_word));
    REQUIRE(d.searched.size() == 1);  // only the override folder: no build folder, no linker default
    CHECK(d.searched[0].origin == BP_ORIGIN_ENV);
    CHECK(d.searched[0].directory == empty);
    CHECK(d.searched[0].result == "not present");
    CHECK(contains(d.message, empty));
  }
  CHECK(contains(run.dep("libcudnn.so.9").remedy, "libcudnn9-cuda-13"));
  CHECK(run.host.probe.cause == BP_CAUSE_DRIVER_MISSING);  // the first required failure
  CHECK(contains(run.host.probe.message, "also failing"));
  CHECK(contains(run.host.probe.message, "cuDNN: not_found"));
}

TEST_CASE("cudnn probe: a fake libcudnn.so.9 reporting 8.9.7 is a version_mismatch") {
  probe_run run(options{{"CUDNN_PATH", BP_FAKE_CUDNN8_DIR}});
  run.print();
  const auto& d = run.dep("libcudnn.so.9");
  CHECK(d.cause == BP_CAUSE_VERSION_MISMATCH);
  CHECK(d.version_found == "8.9.7");
  CHECK(d.version_required == "9.x, minor >= 19, built for CUDA 13");
  CHECK(contains(d.message, "found version 8.9.7, required 9.x"));
  CHECK(contains(d.message, "major 8 != 9"));
  CHECK(contains(d.loaded_path, BP_FAKE_CUDNN8_DIR));
  REQUIRE_FALSE(d.searched.empty());
  CHECK(d.searched[0].origin == BP_ORIGIN_ENV);
  CHECK(d.searched[0].result == "loaded");
  CHECK(contains(d.remedy, "cuDNN 9.19 or a newer 9.x"));
  // The override folder held the file, so no other copy was tried.
  for (size_t i = 1; i < d.searched.size(); ++i) CHECK(contains(d.searched[i].result, "not tried"));
  if (!real_driver_present()) {
    CHECK(run.host.probe.cause == BP_CAUSE_DRIVER_MISSING);
    CHECK(contains(run.host.probe.message, "cuDNN: version_mismatch"));
  }
}

TEST_CASE("cudnn probe: a library whose own dependency is missing names that dependency") {
  probe_run run(options{{"CUDNN_PATH", BP_FAKE_GHOST_CUDNN_DIR}});
  run.print();
  const auto& d = run.dep("libcudnn.so.9");
  CHECK(d.cause == BP_CAUSE_MISSING_DEPENDENCY);
  CHECK(contains(d.message, "libbp_ghost.so"));
  CHECK(contains(d.message, "depends on libbp_ghost.so, which was not found"));
  REQUIRE_FALSE(d.searched.empty());
  CHECK(contains(d.searched[0].result, "libbp_ghost.so: cannot open shared object file"));
}

TEST_CASE("cudnn fault missing=libcudnn.so.9 hides cuDNN in every folder") {
  probe_run run(options{{"fault", "missing=libcudnn.so.9"}});
  run.print();
  const auto& d = run.dep("libcudnn.so.9");
  CHECK(d.cause == BP_CAUSE_NOT_FOUND);
  REQUIRE(d.searched.size() >= 2);  // build folder + linker default
  for (const auto& e : d.searched) CHECK(e.result == "hidden by fault injection (BACKPLANE_FAULT)");
  CHECK(contains(d.message, "fault injection"));
  CHECK(contains(run.host.probe.message, "fault injection active"));
  CHECK(contains(d.remedy, "libcudnn9-cuda-13"));
}

TEST_CASE("cudnn fault version=libcudnn.so.9@8.9.7 runs the real version rule") {
  probe_run run(options{{"fault", "version=libcudnn.so.9@8.9.7"}});
  run.print();
  const auto& d = run.dep("libcudnn.so.9");
  if (d.loaded_path.empty()) {
    BP_SKIP("cuDNN is not installed here, so there is no version to override: " << d.message);
    return;
  }
  CHECK(d.cause == BP_CAUSE_VERSION_MISMATCH);
  CHECK(d.version_found == "8.9.7");
  CHECK(contains(d.message, "version reported by fault injection"));
}

TEST_CASE("cudnn fault version=libcublas.so.13@12.0.0 fails cuBLAS's same-major rule") {
  probe_run run(options{{"fault", "version=libcublas.so.13@12.0.0"}});
  const auto& d = run.dep("libcublas.so.13");
  if (d.loaded_path.empty()) {
    BP_SKIP("cuBLAS is not installed here: " << d.message);
    return;
  }
  CHECK(d.cause == BP_CAUSE_VERSION_MISMATCH);
  CHECK(contains(d.message, "major 12 != 13"));
}

TEST_CASE("cudnn fault no_driver hides libcuda.so.1") {
  probe_run run(with_fake_driver({{"fault", "no_driver"}}));  // even a present driver is hidden
  run.print();
  const auto& d = run.dep("libcuda.so.1");
  CHECK(d.cause == BP_CAUSE_DRIVER_MISSING);
  for (const auto& e : d.searched) CHECK(e.result == "hidden by fault injection (BACKPLANE_FAULT)");
  CHECK(contains(d.message, "[fault injected: BACKPLANE_FAULT no_driver]"));
  CHECK(run.host.probe.cause == BP_CAUSE_DRIVER_MISSING);
  CHECK(contains(run.host.probe.remedy, "install the NVIDIA driver"));
}

TEST_CASE("cudnn probe with a fake driver: READY with its device count") {
  ::setenv("BP_FAKE_CUDA_DEVICES", "2", 1);
  probe_run run(with_fake_driver());
  run.print();
  const auto& d = run.dep("libcuda.so.1");
  CHECK(d.cause == BP_CAUSE_NONE);
  CHECK(d.version_found == "13.0.0");
  CHECK(contains(d.loaded_path, BP_FAKE_DRIVER_DIR));
  if (run.dep("libcudnn.so.9").cause != BP_CAUSE_NONE || run.dep("libcublas.so.13").cause != BP_CAUSE_NONE) {
    BP_SKIP("READY check: cuDNN/cuBLAS are not usable here");
    return;
  }
  CHECK(run.host.probe.state == BP_STATE_READY);
  CHECK(run.host.probe.device_count == 2);
}

TEST_CASE("cudnn probe with a fake 12.8 driver: driver_too_old") {
  ::setenv("BP_FAKE_CUDA_DRIVER_VERSION", "12080", 1);
  probe_run run(with_fake_driver());
  run.print();
  const auto& d = run.dep("libcuda.so.1");
  CHECK(d.cause == BP_CAUSE_DRIVER_TOO_OLD);
  CHECK(d.version_found == "12.8.0");
  CHECK(contains(d.message, "supports CUDA 12.8 but the plugin needs CUDA 13.0"));
  CHECK(contains(d.remedy, "update the NVIDIA driver"));
  CHECK(run.host.probe.cause == BP_CAUSE_DRIVER_TOO_OLD);
}

TEST_CASE("cudnn fault no_device: NO_DEVICE from a working driver") {
  probe_run run(with_fake_driver({{"fault", "no_device"}}));
  run.print();
  CHECK(run.dep("libcuda.so.1").cause == BP_CAUSE_NONE);
  if (run.dep("libcudnn.so.9").cause != BP_CAUSE_NONE || run.dep("libcublas.so.13").cause != BP_CAUSE_NONE) {
    BP_SKIP("cuDNN/cuBLAS are not usable here, so they fail first");
    return;
  }
  CHECK(run.host.probe.state == BP_STATE_NO_DEVICE);
  CHECK(run.host.probe.cause == BP_CAUSE_NO_DEVICE);
  CHECK(contains(run.host.probe.message, "[fault injected: BACKPLANE_FAULT no_device]"));
  CHECK(contains(run.host.probe.remedy, "CUDA_VISIBLE_DEVICES"));
}

TEST_CASE("cudnn fault oom_at_init: init fails with out_of_memory") {
  probe_run run(with_fake_driver({{"fault", "oom_at_init"}}));
  if (run.host.probe.state != BP_STATE_READY) {
    BP_SKIP("probe is not READY with the fake driver here: " << run.host.probe.message);
    return;
  }
  CHECK(init_with(run) == BP_ERR_OUT_OF_MEMORY);
  MESSAGE("init error: " << run.host.last_error);
  CHECK(run.host.last_error_status == BP_ERR_OUT_OF_MEMORY);
  CHECK(contains(run.host.last_error, "[fault injected: BACKPLANE_FAULT oom_at_init]"));
  CHECK(contains(run.host.last_error, "requested 1.00 MiB"));
  CHECK(contains(run.host.last_error, "CUDA_ERROR_OUT_OF_MEMORY"));
}

TEST_CASE("cudnn fault init_fail: init fails with init_failed") {
  probe_run run(with_fake_driver({{"fault", "init_fail"}}));
  if (run.host.probe.state != BP_STATE_READY) {
    BP_SKIP("probe is not READY with the fake driver here: " << run.host.probe.message);
    return;
  }
  const bp_status s = init_with(run);
  MESSAGE("init error: " << run.host.last_error);
  CHECK(s == BP_ERR_DEVICE);  // the core maps any non-OOM init failure to cause init_failed
  CHECK(contains(run.host.last_error, "cause init_failed"));
  CHECK(contains(run.host.last_error, "[fault injected: BACKPLANE_FAULT init_fail]"));
}

TEST_CASE("cudnn init without a usable driver is UNAVAILABLE with the probe's reason") {
  probe_run run(options{{"fault", "no_driver"}});
  void* ctx = nullptr;
  CHECK(run.plugin->api().init(run.host.api(), &ctx) == BP_ERR_UNAVAILABLE);
  CHECK(ctx == nullptr);
  CHECK(contains(run.host.last_error, "cause driver_missing"));
  CHECK(contains(run.host.last_error, "Remedy: install the NVIDIA driver"));
}
