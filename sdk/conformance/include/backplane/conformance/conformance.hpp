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
//
// Other modes (options.run_mode), the same op cases (data files, see
// docs/testing.md "Op cases as data") filtered by options.ops:
//   grad     each backward op against its forward op by central finite
//            differences along a random direction (grad.<BACKWARD KIND>);
//   perf     GFLOP/s or GB/s per perf case, and its fraction of the plugin's
//            own measured peak: the best rate it reached in the run, on the
//            peak cases (large GEMMs for compute-bound ops, COPYs in and out
//            of cache for the others) or any faster case of the same kind; in
//            report.measurements;
//   support  what the plugin claims and declines, with its reasons, per case.
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

enum class mode { test, grad, perf, support };
BP_CONFORMANCE_API const char* mode_name(mode m);
// false for a word that is not a mode
BP_CONFORMANCE_API bool parse_mode(const std::string& word, mode* out);

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
  mode run_mode = mode::test;
  // Op kinds to run ("CONV2D_FWD", or a prefix ending at '_' such as "CONV2D");
  // empty runs every op. A name that selects nothing is a kit error.
  std::vector<std::string> ops;
  // A case file of your own (same format as the kit's), run after the kit's.
  std::string cases_file;
  double perf_seconds = 0.2;  // time spent per perf case (after one warm-up run)
};

// One row of the perf or support modes.
struct op_measurement {
  std::string op;               // "CONV2D_FWD"
  std::string label;            // the case
  bool claimed = false;         // the plugin runs it itself
  std::string reason;           // why it declines (when not claimed) or could not be measured
  double seconds = 0;           // per run (perf)
  double flops = 0, bytes = 0;  // work of one run: floating-point operations, bytes read + written
  double gflops = 0, gbytes = 0;  // per second
  bool compute_bound = false;   // GEMM and convolutions: judged by GFLOP/s, the rest by GB/s
  double fraction_of_peak = 0;  // of the plugin's measured peak of the same kind (<= 1)
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
  mode run_mode = mode::test;
  std::vector<check_result> checks;
  std::vector<op_measurement> measurements;  // perf and support modes
  double peak_gflops = 0, peak_gbytes = 0;   // perf: the plugin's best measured rates

  bool passed() const;          // no FAIL (SKIPs are allowed)
  std::size_t count(verdict v) const;
  std::string text() const;     // one line per check + a summary line
  std::string json() const;     // {"plugin":..,"passed":..,"checks":[{"name","result","detail"}]}
};

}  // namespace bp::conformance

// Every case of a suite ("test", "grad", "perf", "peak") the options select,
// as JSON lines in the case-file format (for `backplane conformance --list-cases`).
// Throws std::exception for an op filter that selects nothing or an unreadable case file.
BP_CONFORMANCE_API std::vector<std::string> backplane_conformance_list_cases(const bp::conformance::options& options);

// plugin_path: the plugin file. reference_plugin_path: "" uses the core's own
// discovery for "openblas-cpu" (the installed or build-tree bundled plugin).
BP_CONFORMANCE_API bp::conformance::report backplane_conformance_run(const std::string& plugin_path,
                                                                     const std::string& reference_plugin_path,
                                                                     const bp::conformance::options& options);
