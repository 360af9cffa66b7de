// backplane/conformance/conformance.hpp — the conformance kit for plugin authors.
//
//   auto report = backplane_conformance_run("build/libbackplane-mine.so", "", {});
//   std::fputs(report.text().c_str(), stdout);
//   return report.passed() ? 0 : 1;
//
// Checks a plugin file against the ABI and against a reference plugin
// (openblas-cpu unless told otherwise), the way `backplane conformance` does:
//   abi.*        entry symbol, table size/version/required members, probe/init/
//                shutdown, behaviour under a simulated older and newer core
//                (raw table, each group in a child process so a crash is a FAIL);
//   errors.*     bad descriptors through the raw table (wrong dtype, shape,
//                device, NULL data, NULL op) give a non-OK status plus a message;
//   ops.<KIND>   every op case the plugin claims (op_supports == BP_OK) matches
//                the reference within per-op tolerances on fresh random inputs,
//                outputs poisoned with NaN before each run;
//   capability.* declined cases are never executed (runtime with op_fallback 0
//                answers BP_ERR_UNSUPPORTED with the plugin's reason; placement
//                counters show nothing ran) and claimed ones all ran on the plugin;
//   leaks.*      repeated runtime create/destroy does not grow open files or RSS;
//   threads.*    concurrent op execution from several threads stays correct.
//
// This is a host-side C++ API (std::string/std::vector): build the program
// that calls it with the same C++ standard library as the kit. Plugins under
// test are loaded through the C ABI and may be built with anything.
// A doctest front end is in backplane/conformance/doctest.hpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#if defined(_WIN32)
#define BP_CONFORMANCE_API __declspec(dllexport)
#else
#define BP_CONFORMANCE_API __attribute__((visibility("default")))
#endif

namespace bp::conformance {

struct options {
  uint64_t seed = 1;              // inputs are a function of (seed, case)
  uint32_t threads = 4;           // threads of the concurrency check (0 skips it)
  uint32_t leak_cycles = 100;     // runtime create/destroy cycles of the leak check (0 skips it)
  uint64_t rss_growth_limit = 8u << 20;  // bytes of resident growth tolerated over the leak cycles
  // Run each check group in a child process (fork) with a time limit, so a
  // crashing or hanging plugin becomes a FAIL. Call the kit from a point where
  // the process has no other threads holding locks (fork copies only the
  // calling thread); set false to run everything in this process.
  bool isolate = true;
  // Let the runtimes read BACKPLANE_* variables (e.g. BACKPLANE_CUDA_PATH
  // for where a GPU plugin finds its vendor libraries). Default: hermetic,
  // so the caller's environment cannot change the verdict.
  bool use_environment = false;
};

enum class verdict { pass, fail, skip };

struct check_result {
  std::string name;    // "abi.table", "ops.GEMM", ...
  verdict result = verdict::fail;
  std::string detail;  // why (always set for FAIL and SKIP)
};

struct BP_CONFORMANCE_API report {
  std::string plugin_path;
  std::string plugin_name;     // from the plugin's table ("" if it never loaded)
  std::string reference_path;  // file of the reference plugin actually used
  std::string reference_name;
  uint64_t seed = 0;
  std::vector<check_result> checks;

  bool passed() const;          // no FAIL (SKIPs are allowed)
  std::size_t count(verdict v) const;
  std::string text() const;     // one line per check + a summary line
  std::string json() const;     // {"plugin":..,"passed":..,"checks":[{"name","result","detail"}]}
};

}  // namespace bp::conformance

// plugin_path: the plugin file. reference_plugin_path: "" uses the core's own
// discovery for "openblas-cpu" (the installed or build-tree bundled plugin).
BP_CONFORMANCE_API bp::conformance::report backplane_conformance_run(const std::string& plugin_path,
                                                                     const std::string& reference_plugin_path,
                                                                     const bp::conformance::options& options);
