// dep_search_test.cpp — issue #12: the vendor libraries are found where users
// have them (pip wheels in a virtual environment or behind a python3 on PATH,
// a conda environment), each folder recorded with its origin; a copy the
// search did not use is named with the exact fix line; mixed sources are
// named; BACKPLANE_DEP_SEARCH turns the extra locations off; secure mode
// searches none of them. The trees are built here from the emulated CUDA
// stack and the fake vendor libraries. Each case is its own ctest entry.
#include <dlfcn.h>
#include <stdlib.h>

#include <map>
#include <string>

#include "backplane/sdk/dep_loader.hpp"
#include "doctest/doctest.h"
#include "probe_support.hpp"
#include "wheel_tree.hpp"

using namespace bp_test::probe;
using bp_test::wheels::tree;

namespace {

const bp_test::recorded_search* attempt_in(const bp_test::recorded_dependency& d, const std::string& dir) {
  for (const auto& s : d.searched)
    if (s.directory == dir) return &s;
  return nullptr;
}

std::string dump(const bp_test::recorded_dependency& d) {
  std::string s = d.name + ": " + d.message + "\n  remedy: " + d.remedy + "\n";
  for (const auto& a : d.searched) s += "  " + a.directory + " [" + bp_test::origin_text(a.origin) + "] " + a.result + "\n";
  return s;
}

// A tree with the emulated driver alone in driver/ (CUDA_PATH), so cuBLAS and cuDNN come from elsewhere.
std::string emulated_driver_folder(const tree& t) {
  bp_test::wheels::copy_file(std::string(BP_EMU_STACK_DIR) + "/libcuda.so.1", t.root + "/driver/libcuda.so.1");
  return t.root + "/driver";
}

// A venv holding the emulated cuDNN (as nvidia-cudnn-cu13) and cuBLAS (as nvidia-cublas, nvidia/cu13/lib).
struct emulated_venv {
  std::string prefix, cudnn_lib, cublas_lib;
  explicit emulated_venv(const tree& t, const std::string& name = "venv") {
    prefix = t.venv(name);
    cudnn_lib = tree::wheel(prefix, "cudnn", "nvidia_cudnn_cu13-9.99.0.1", BP_EMU_STACK_DIR,
                            bp_test::wheels::emu_cudnn_files());
    cublas_lib = tree::wheel(prefix, "cu13", "nvidia_cublas-13.99.0.1", BP_EMU_STACK_DIR,
                             bp_test::wheels::emu_cublas_files());
  }
};

}  // namespace

TEST_CASE("dep search: cuDNN and cuBLAS from the wheel folders of the active virtual environment (VIRTUAL_ENV)") {
  tree t;
  t.hermetic_environment();
  const emulated_venv venv(t);
  ::setenv("VIRTUAL_ENV", venv.prefix.c_str(), 1);
  probe_run run(options{{"CUDA_PATH", emulated_driver_folder(t)}});
  run.print();
  REQUIRE(run.status == BP_OK);
  for (const auto& [soname, lib] : {std::pair<std::string, std::string>{"libcudnn.so.9", venv.cudnn_lib},
                                    {"libcublas.so.13", venv.cublas_lib}}) {
    const auto& d = run.dep(soname);
    CAPTURE(dump(d));
    CHECK(d.cause == BP_CAUSE_NONE);
    CHECK(contains(d.loaded_path, lib));
    const auto* a = attempt_in(d, lib);
    REQUIRE(a != nullptr);
    CHECK(a->origin == BP_ORIGIN_ENV);
    CHECK(a->result == "loaded [python: VIRTUAL_ENV " + venv.prefix + "]");
    // The wheel folders come before the toolkit folder and the linker default.
    CHECK(d.searched.back().origin == BP_ORIGIN_SYSTEM);
    CHECK(contains(d.searched.back().result, "not tried"));
  }
  CHECK(run.dep("libcudnn.so.9").version_found.rfind("9.", 0) == 0);  // read from the loaded copy
  CHECK(run.host.probe.state == BP_STATE_READY);
  CHECK_FALSE(contains(run.host.probe.message, "mixed sources"));  // both from one site-packages
}

TEST_CASE("dep search: a python3 on PATH leads to its environment's wheel folders") {
  tree t;
  t.hermetic_environment();
  const emulated_venv venv(t);
  ::setenv("PATH", (venv.prefix + "/bin").c_str(), 1);
  probe_run run(options{{"CUDA_PATH", emulated_driver_folder(t)}});
  const auto& d = run.dep("libcudnn.so.9");
  CAPTURE(dump(d));
  CHECK(d.cause == BP_CAUSE_NONE);
  const auto* a = attempt_in(d, venv.cudnn_lib);
  REQUIRE(a != nullptr);
  CHECK(a->result == "loaded [python: python3 on PATH (" + venv.prefix + "/bin/python3) " + venv.prefix + "]");
}

TEST_CASE("dep search: cuDNN from a conda environment's lib, cuBLAS from another folder: mixed sources named") {
  tree t;
  t.hermetic_environment();
  const std::string conda = t.conda("conda", BP_EMU_STACK_DIR, bp_test::wheels::emu_cudnn_files());
  ::setenv("CONDA_PREFIX", conda.c_str(), 1);
  probe_run run(options{{"CUDA_PATH", BP_EMU_STACK_DIR}, {"CUDNN_PATH", ""}});
  run.print();
  const auto& d = run.dep("libcudnn.so.9");
  CAPTURE(dump(d));
  CHECK(d.cause == BP_CAUSE_NONE);
  const auto* a = attempt_in(d, conda + "/lib");
  REQUIRE(a != nullptr);
  CHECK(a->origin == BP_ORIGIN_ENV);
  CHECK(a->result == "loaded [conda: CONDA_PREFIX " + conda + "]");
  // cuDNN from the conda environment, cuBLAS from the stack folder: both named.
  CHECK(contains(run.host.probe.message, "mixed sources: cuDNN 9."));
  CHECK(contains(run.host.probe.message, "from conda environment " + conda));
  CHECK(contains(run.host.probe.message, std::string("cuBLAS 13.") ));
  CHECK(contains(run.host.probe.message, std::string("from system folder ") + BP_EMU_STACK_DIR));
  CHECK(contains(d.message, "mixed sources"));
}

TEST_CASE("dep search: a cuDNN wheel of the wrong version next to a cuBLAS from elsewhere: mixed sources and the pip fix") {
  tree t;
  t.hermetic_environment();
  const std::string venv = t.venv("venv");
  const std::string lib = tree::wheel(venv, "cudnn", "nvidia_cudnn_cu12-8.9.7.29", BP_FAKE_CUDNN8_DIR, {"libcudnn.so.9"});
  ::setenv("VIRTUAL_ENV", venv.c_str(), 1);
  probe_run run(options{{"CUDA_PATH", BP_EMU_STACK_DIR}});
  const auto& d = run.dep("libcudnn.so.9");
  CAPTURE(dump(d));
  CHECK(d.cause == BP_CAUSE_VERSION_MISMATCH);
  CHECK(contains(d.loaded_path, lib));
  CHECK(contains(d.message, "mixed sources: cuDNN 8.9.7 from pip package nvidia-cudnn-cu12 8.9.7.29, cuBLAS 13."));
  CHECK(contains(d.message, std::string("from system folder ") + BP_EMU_STACK_DIR));
  CHECK(contains(run.host.probe.message, "mixed sources"));
  // The fix: the CUDA 13 wheel in that environment, or a usable copy this machine already has outside the venv.
  const std::string fix = bp::sdk::dep_fix_line(d.remedy);
  if (fix.rfind("BACKPLANE_CUDNN_PATH=", 0) == 0) {
    MESSAGE("this machine has a usable cuDNN elsewhere: " << fix);
    CHECK_FALSE(contains(fix, venv));
  } else {
    CHECK(fix == venv + "/bin/python3 -m pip install --upgrade nvidia-cudnn-cu13");
  }
}

TEST_CASE("dep search: override_only leaves a wheel copy out, and the report names it with the BACKPLANE_CUDNN_PATH fix line") {
  tree t;
  t.hermetic_environment();
  const emulated_venv venv(t);
  ::setenv("VIRTUAL_ENV", venv.prefix.c_str(), 1);
  const std::string empty = empty_temp_folder();
  probe_run run(options{{"DEP_SEARCH", "override_only"}, {"CUDA_PATH", emulated_driver_folder(t)}, {"CUDNN_PATH", empty}});
  const auto& d = run.dep("libcudnn.so.9");
  CAPTURE(dump(d));
  CHECK(d.cause == BP_CAUSE_NOT_FOUND);
  CHECK(attempt_in(d, venv.cudnn_lib) == nullptr);  // not searched
  CHECK(contains(d.message, "cuDNN 9.99.0 (libcudnn.so.9) found in " + venv.cudnn_lib +
                                " (pip package nvidia-cudnn-cu13 9.99.0.1) but not on the search path"));
  CHECK(contains(d.message, "Python environments' wheel folders not searched (BACKPLANE_DEP_SEARCH=override_only)"));
  CHECK(bp::sdk::dep_fix_line(d.remedy) == "BACKPLANE_CUDNN_PATH=" + venv.cudnn_lib + ":" + empty);
  const auto& blas = run.dep("libcublas.so.13");
  CHECK(blas.cause == BP_CAUSE_NOT_FOUND);
  CHECK(bp::sdk::dep_fix_line(blas.remedy) == "BACKPLANE_CUDA_PATH=" + venv.cublas_lib + ":" + t.root + "/driver");
}

TEST_CASE("dep search: no_python turns the wheel folders off and says so, and an unknown word is refused") {
  tree t;
  t.hermetic_environment();
  const emulated_venv venv(t);
  ::setenv("VIRTUAL_ENV", venv.prefix.c_str(), 1);
  {
    probe_run run(options{{"DEP_SEARCH", "no_python"}, {"CUDA_PATH", emulated_driver_folder(t)}});
    const auto& d = run.dep("libcudnn.so.9");
    CAPTURE(dump(d));
    CHECK(attempt_in(d, venv.cudnn_lib) == nullptr);
    CHECK_FALSE(contains(d.loaded_path, venv.prefix));
    CHECK(contains(d.message, "Python environments' wheel folders not searched (BACKPLANE_DEP_SEARCH=no_python)"));
  }
  const bp::sdk::dep_search_mode bad = bp::sdk::dep_search_mode::parse("no_python,no_pyhton");
  CHECK(bad.error == "BACKPLANE_DEP_SEARCH='no_python,no_pyhton' is not a search mode: 'no_pyhton' is not one of "
                     "override_only, no_python, no_conda, no_environments (unset for the default search)");
  CHECK(bp::sdk::dep_search_mode::parse("no_conda,").error != "");
  const auto both = bp::sdk::dep_search_mode::parse("no_environments");
  CHECK((both.error.empty() && !both.python && !both.conda && both.build && both.system));
  CHECK(bp::sdk::dep_search_mode::parse("override_only").override_only());
  probe_run refused(options{{"DEP_SEARCH", "no_pyhton"}});
  CHECK(refused.status == BP_ERR_INVALID_ARGUMENT);
  CHECK(contains(refused.host.last_error, "BACKPLANE_DEP_SEARCH='no_pyhton' is not a search mode"));
}

TEST_CASE("dep search: secure mode searches no Python or conda environment, and says so") {
  tree t;
  t.hermetic_environment();
  const emulated_venv venv(t);
  const std::string conda = t.conda("conda", BP_EMU_STACK_DIR, bp_test::wheels::emu_cudnn_files());
  ::setenv("VIRTUAL_ENV", venv.prefix.c_str(), 1);
  ::setenv("CONDA_PREFIX", conda.c_str(), 1);
  ::setenv("PATH", (venv.prefix + "/bin").c_str(), 1);
  ::setenv("BACKPLANE_SECURE_MODE", "1", 1);
  probe_run run;
  for (const char* so : {"libcudnn.so.9", "libcublas.so.13", "libcudart.so.13"}) {
    const auto& d = run.dep(so);
    CAPTURE(dump(d));
    for (const auto& a : d.searched) {
      CHECK_FALSE(contains(a.directory, t.root));
      CHECK_FALSE(contains(a.result, "python:"));
    }
    CHECK_FALSE(contains(d.loaded_path, t.root));
    CHECK(contains(d.message, "Python and conda environments not searched: BACKPLANE_SECURE_MODE=1"));
    CHECK_FALSE(contains(d.message, t.root));  // not even looked at for a diagnosis
  }
}

// ---- the diagnosis alone, on a made-up library (no copy of it exists on any machine) ----

namespace {

// A spec for libbpfakednn.so.9 whose version comes from cudnnGetVersion (the
// fake cuDNN 8 answers 8.9.7): the same rule shape as cuDNN's.
bp::sdk::dep_spec fake_spec(const bp::sdk::setting& override_setting, const std::string& mode = "") {
  bp::sdk::dep_spec d;
  d.name = "FakeDNN";
  d.soname = "libbpfakednn.so.9";
  d.version_required = "9.x";
  d.pip_package = "nvidia-bpfakednn-cu13";
  d.system_package = "libbpfakednn9-cuda-13";
  d.query_version = [](void* h, std::string*) -> std::optional<bp::sdk::dep_version> {
    auto get = reinterpret_cast<size_t (*)()>(::dlsym(h, "cudnnGetVersion"));
    const size_t v = get ? get() : 0;
    return bp::sdk::dep_version{static_cast<int>(v / 10000 ? v / 10000 : v / 1000), 0, 0};
  };
  d.check_version = [](const bp::sdk::dep_version& v, void*) {
    return v.major == 9 ? bp::sdk::dep_rule_result{} : bp::sdk::dep_rule_result{false, BP_CAUSE_VERSION_MISMATCH, "major"};
  };
  bp::sdk::dep_search_request q;
  q.override_setting = override_setting;
  q.mode.name = "DEP_SEARCH";
  q.mode.value = mode;
  q.soname = d.soname;
  d.search = bp::sdk::dep_plan_search(q);
  return d;
}

bp::sdk::setting override_of(const std::string& value) {
  bp::sdk::setting s;
  s.name = "BPFAKE_PATH";
  s.value = value;
  return s;
}

// A venv (VIRTUAL_ENV) whose wheel <dist> holds the fake cuDNN 8 under the name `file`.
struct fake_wheel_venv {
  std::string prefix, lib;
  fake_wheel_venv(const tree& t, const std::string& dist, const std::string& file) {
    t.hermetic_environment();
    prefix = t.venv("venv");
    lib = tree::wheel(prefix, "bpfakednn", dist, BP_FAKE_CUDNN8_DIR, {"libcudnn.so.9"}, {file});
    ::setenv("VIRTUAL_ENV", prefix.c_str(), 1);
  }
};

}  // namespace

TEST_CASE("dep diagnosis: only another major (libbpfakednn.so.8) in a wheel folder: named, fix = pip upgrade in that environment") {
  tree t;
  const fake_wheel_venv w(t, "nvidia_bpfakednn_cu12-8.9.7.29", "libbpfakednn.so.8");
  const std::string &venv = w.prefix, &lib = w.lib;
  const bp::sdk::dep_result r = bp::sdk::dep_load(fake_spec(override_of("")), {});
  CAPTURE(r.message);
  CHECK(r.cause == BP_CAUSE_NOT_FOUND);
  CHECK(contains(r.message, "FakeDNN 8.9.7 (libbpfakednn.so.8) found in " + lib +
                                " (pip package nvidia-bpfakednn-cu12 8.9.7.29), but the plugin needs 9.x (libbpfakednn.so.9)"));
  CHECK(bp::sdk::dep_fix_line(r.remedy) == venv + "/bin/python3 -m pip install --upgrade nvidia-bpfakednn-cu13");
}

TEST_CASE("dep diagnosis: another CUDA version's folder holds another major, and with no environment the fix is the system package") {
  tree t;
  t.hermetic_environment();
  bp::sdk::dep_spec spec = fake_spec(override_of(""));
  const std::string other = t.root + "/cuda-12.8/lib64";
  bp_test::wheels::write_file(other + "/libbpfakednn.so.8.9.7", "only seen, never loaded");
  REQUIRE(::symlink("libbpfakednn.so.8.9.7", (other + "/libbpfakednn.so.8").c_str()) == 0);
  spec.search.elsewhere.push_back(bp::sdk::dep_folder{BP_ORIGIN_SYSTEM, other, "", ""});
  const bp::sdk::dep_result r = bp::sdk::dep_load(spec, {});
  CAPTURE(r.message);
  CHECK(contains(r.message, "FakeDNN 8.9.7 (libbpfakednn.so.8) found in " + other + " (system folder " + other +
                                "), but the plugin needs 9.x (libbpfakednn.so.9)"));
  CHECK(bp::sdk::dep_fix_line(r.remedy) == "sudo apt-get install libbpfakednn9-cuda-13");
}

TEST_CASE("dep diagnosis: a wheel copy behind an earlier folder holding a wrong version is 'not used', with its fix line") {
  tree t;
  const fake_wheel_venv w(t, "nvidia_bpfakednn_cu13-9.26.0.1", "libbpfakednn.so.9");
  const std::string& lib = w.lib;
  const std::string early = t.root + "/early";
  bp_test::wheels::copy_file(std::string(BP_FAKE_CUDNN8_DIR) + "/libcudnn.so.9", early + "/libbpfakednn.so.9");
  const bp::sdk::dep_result r = bp::sdk::dep_load(fake_spec(override_of(early)), {});
  CAPTURE(r.message);
  CHECK(r.cause == BP_CAUSE_VERSION_MISMATCH);
  CHECK(contains(r.loaded_path, early));
  CHECK(contains(r.message, "FakeDNN 9.26.0 (libbpfakednn.so.9) found in " + lib +
                                " (pip package nvidia-bpfakednn-cu13 9.26.0.1) but not used: an earlier folder on the "
                                "search path holds libbpfakednn.so.9"));
  CHECK(bp::sdk::dep_fix_line(r.remedy) == "BACKPLANE_BPFAKE_PATH=" + lib + ":" + early);
}

TEST_CASE("dep diagnosis: where BACKPLANE_*_PATH is ignored (secure mode) the fix line is an ld.so.conf.d entry") {
  tree t;
  t.hermetic_environment();
  bp::sdk::dep_spec spec = fake_spec(override_of(""));
  const std::string folder = t.root + "/opt-fakednn/lib";
  bp_test::wheels::write_file(folder + "/libbpfakednn.so.9", "only seen, never loaded");
  spec.search.elsewhere.push_back(bp::sdk::dep_folder{BP_ORIGIN_SYSTEM, folder, "", ""});
  spec.search.overrides_honoured = false;
  const bp::sdk::dep_result r = bp::sdk::dep_load(spec, {});
  CAPTURE(r.message);
  CHECK(contains(r.message, "FakeDNN (libbpfakednn.so.9) found in " + folder + " (system folder " + folder +
                                ") but not on the search path"));
  CHECK(bp::sdk::dep_fix_line(r.remedy) ==
        "echo " + folder + " | sudo tee /etc/ld.so.conf.d/backplane-fakednn.conf && sudo ldconfig");
}
