// runtime_checks.cpp — ops.*, capability.*, leaks.* and threads.*: the plugin
// loaded through the core's runtime API (bp_runtime_create with the plugin
// file as the only search path), compared with a reference plugin loaded in a
// second runtime. Cases run through case_runner.hpp (shared with the other modes).
#include <dirent.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>

#include "backplane/runtime.h"
#include "backplane/sdk/tensor_util.hpp"
#include "case_runner.hpp"
#include "checks.hpp"

namespace bp::conformance::detail {
namespace {

bp_placement_stats placement(bp_runtime_t rt) {
  bp_placement_stats s{};
  s.struct_size = sizeof s;
  bp_runtime_placement(rt, &s);
  return s;
}

// Open file descriptors and resident bytes of this process.
size_t open_fds() {
  size_t n = 0;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (readdir(d)) ++n;
    closedir(d);
  }
  return n;
}
uint64_t resident_bytes() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return 0;
  unsigned long size = 0, resident = 0;
  if (std::fscanf(f, "%lu %lu", &size, &resident) != 2) resident = 0;
  std::fclose(f);
  return uint64_t(resident) * uint64_t(sysconf(_SC_PAGESIZE));
}

struct prepared_case {
  size_t index;
  case_data data;
  bool claimed = false;
  std::string reason;  // why declined
  bool have_reference = false;
  std::vector<std::vector<unsigned char>> reference;
};

}  // namespace

void run_runtime_checks(const std::string& plugin_path, const plugin_facts& facts, const std::string& reference_path,
                        const options& opts, results& out) {
  report rep;
  if (!facts.loaded) {
    add_result(out, "runtime.load", false, "skipped every runtime check: the plugin's table is unusable (see abi.*)");
    return;
  }
  kit_runtime plugin;
  open_kit_runtime(plugin, plugin_path, facts.name, /*op_fallback=*/0, opts);
  add_result(out, "runtime.load", bool(plugin),
             plugin ? "bp_runtime_create selected '" + std::string(bp_runtime_backend(plugin.rt)) + "' from " + plugin_path
                    : "bp_runtime_create failed: " + plugin.error);
  if (!plugin) return;
  kit_runtime reference;
  open_kit_runtime(reference, reference_path, reference_path.empty() ? "openblas-cpu" : "", 1, opts);
  if (!reference) {
    add_result(out, "runtime.reference", false, "cannot load the reference plugin " +
                                                    (reference_path.empty() ? std::string("openblas-cpu") : reference_path) +
                                                    ": " + reference.error);
    return;
  }
  rep.reference_name = bp_runtime_backend(reference.rt);
  for (uint32_t i = 0, n = bp_runtime_plugin_count(reference.rt); i < n; ++i) {
    bp_plugin_info info{};
    info.struct_size = sizeof info;
    if (bp_runtime_plugin_info(reference.rt, i, &info) == BP_OK && info.selected) rep.reference_path = info.path;
  }
  add_skip(out, kReferenceNote, rep.reference_name + "\x1f" + rep.reference_path);

  // ---- ops.<KIND>: claimed cases against the reference ----------------------------------
  const std::vector<op_case> cases = load_cases("test", opts.ops, opts.cases_file);
  std::vector<prepared_case> prepared;
  const bp_placement_stats before = placement(plugin.rt);
  uint64_t claimed_runs = 0;
  for (size_t i = 0; i < cases.size();) {
    const bp_op_kind kind = cases[i].kind;
    size_t claimed = 0, declined = 0, passed = 0;
    std::string failure, first_reason;
    double max_error = 0;
    for (; i < cases.size() && cases[i].kind == kind; ++i) {
      const op_case& c = cases[i];
      prepared_case pc;
      pc.index = i;
      pc.data = make_case_data(c, opts.seed, i);
      if (kind == BP_OP_POOL2D_BWD) {
        // Input 1 is the forward output of input 0 (max pooling routes gradients by it).
        op_case fwd;
        fwd.kind = BP_OP_POOL2D_FWD;
        fwd.attrs = c.attrs;
        fwd.inputs = {c.inputs[0]};
        fwd.outputs = {c.inputs[1]};
        case_data fd{{pc.data.inputs[0]}, {pc.data.inputs[1]}};
        run_result y = run_case_on(reference.rt, fwd, fd);
        if (y.status == BP_OK) pc.data.inputs[1] = y.outputs[0];
      }
      bp_status s = ask_support(plugin.rt, c, pc.data, &pc.reason);
      if (s != BP_OK) {
        ++declined;
        if (first_reason.empty()) first_reason = pc.reason;
        prepared.push_back(std::move(pc));
        continue;
      }
      pc.claimed = true;
      ++claimed;
      run_result want = run_case_on(reference.rt, c, pc.data);
      run_result got = run_case_on(plugin.rt, c, pc.data);
      ++claimed_runs;
      if (want.status == BP_OK) {
        pc.have_reference = true;
        pc.reference = want.outputs;
      }
      std::string problem;
      if (got.status != BP_OK) problem = "claimed, but bp_op_run failed: " + got.message;
      else if (want.status == BP_OK) problem = compare_outputs(c, got.outputs, want.outputs, &max_error);
      if (!problem.empty() && failure.empty()) failure = c.label + ": " + problem;
      if (problem.empty() && want.status == BP_OK) ++passed;
      prepared.push_back(std::move(pc));
    }
    const std::string name = std::string("ops.") + bp_op_kind_name(kind);
    if (claimed == 0) {
      add_skip(out, name, "declined all " + std::to_string(declined) + " cases: " + first_reason);
    } else if (!failure.empty()) {
      add_result(out, name, false, failure);
    } else if (passed < claimed) {
      add_skip(out, name, std::to_string(claimed - passed) + " claimed case(s) could not run on the reference '" +
                              rep.reference_name + "'; " + std::to_string(passed) + " matched");
    } else {
      char err[32];
      std::snprintf(err, sizeof err, "%.2g", max_error);
      add_result(out, name, true, std::to_string(passed) + "/" + std::to_string(claimed) + " claimed cases match '" +
                                      rep.reference_name + "' (max |diff| " + err + ")" +
                                      (declined ? ", " + std::to_string(declined) + " declined: " + first_reason : ""));
    }
  }
  const bp_placement_stats after_claimed = placement(plugin.rt);

  // ---- capability.*: the capability query tells the truth -------------------------------
  {
    const uint64_t on_backend = after_claimed.ops_on_backend - before.ops_on_backend;
    const bool ok = on_backend == claimed_runs && after_claimed.ops_on_fallback == before.ops_on_fallback;
    add_result(out, "capability.claimed_ran_on_plugin", ok,
               std::to_string(claimed_runs) + " claimed runs; placement: " + std::to_string(on_backend) + " on the plugin, " +
                   std::to_string(after_claimed.ops_on_fallback - before.ops_on_fallback) + " on a fallback");
  }
  {
    std::string problem;
    size_t declined = 0;
    for (const prepared_case& pc : prepared) {
      if (pc.claimed) continue;
      ++declined;
      const op_case& c = cases[pc.index];
      run_result r = run_case_on(plugin.rt, c, pc.data);
      std::string p;
      if (r.status != BP_ERR_UNSUPPORTED)
        p = "declined, yet bp_op_run with op_fallback 0 returned " + std::string(bp_status_name(r.status)) +
            " instead of unsupported" + (r.message.empty() ? "" : ": " + r.message);
      else if (!pc.reason.empty() && r.message.find(pc.reason.substr(0, 40)) == std::string::npos)
        p = "the refusal message does not carry the plugin's reason ('" + pc.reason + "'): " + r.message;
      else
        for (size_t o = 0; o < c.outputs.size() && p.empty(); ++o)
          if (r.outputs.size() > o && r.outputs[o] != pc.data.outputs[o])
            p = "output " + std::to_string(o) + " changed although the op was declined";
      if (!p.empty() && problem.empty()) problem = c.label + ": " + p;
    }
    const bp_placement_stats after = placement(plugin.rt);
    if (problem.empty() && (after.ops_on_backend != after_claimed.ops_on_backend || after.ops_on_fallback != after_claimed.ops_on_fallback))
      problem = "placement counters moved while running declined ops (something executed them)";
    if (declined == 0)
      add_skip(out, "capability.declined_never_run", "the plugin claims every case of the kit");
    else
      add_result(out, "capability.declined_never_run", problem.empty(),
                 problem.empty() ? std::to_string(declined) + " declined cases refused with the plugin's reason; nothing ran"
                                 : problem);
  }

  // ---- threads.concurrent ---------------------------------------------------------------
  std::vector<const prepared_case*> runnable;
  for (const prepared_case& pc : prepared)
    if (pc.claimed && pc.have_reference) runnable.push_back(&pc);
  if (opts.threads == 0) {
    add_skip(out, "threads.concurrent", "skipped: options.threads is 0");
  } else if (runnable.empty()) {
    add_skip(out, "threads.concurrent", "skipped: no claimed case with a reference result");
  } else {
    std::mutex mutex;
    std::string problem;
    std::vector<std::thread> workers;
    const int rounds = 3;
    for (uint32_t t = 0; t < opts.threads; ++t) {
      workers.emplace_back([&, t] {
        for (int round = 0; round < rounds; ++round) {
          for (size_t k = 0; k < runnable.size(); ++k) {
            const prepared_case& pc = *runnable[(k + t) % runnable.size()];
            run_result r = run_case_on(plugin.rt, cases[pc.index], pc.data);
            std::string p = r.status != BP_OK ? r.message : compare_outputs(cases[pc.index], r.outputs, pc.reference, nullptr);
            if (!p.empty()) {
              std::lock_guard<std::mutex> lock(mutex);
              if (problem.empty()) problem = "thread " + std::to_string(t) + ", " + cases[pc.index].label + ": " + p;
            }
          }
        }
      });
    }
    for (auto& w : workers) w.join();
    add_result(out, "threads.concurrent", problem.empty(),
               problem.empty() ? std::to_string(opts.threads) + " threads x " + std::to_string(rounds) + " rounds x " +
                                     std::to_string(runnable.size()) + " cases on one runtime: all match"
                               : problem);
  }

  // ---- leaks.load_unload ----------------------------------------------------------------
  if (opts.leak_cycles == 0) {
    add_skip(out, "leaks.load_unload", "skipped: options.leak_cycles is 0");
    return;
  }
  const prepared_case* sample = runnable.empty() ? nullptr : runnable.front();
  const uint32_t warmup = opts.leak_cycles < 10 ? 1 : 10;
  size_t fds_warm = 0;
  uint64_t rss_warm = 0;
  std::string problem;
  for (uint32_t cycle = 0; cycle < opts.leak_cycles && problem.empty(); ++cycle) {
    if (cycle == warmup) fds_warm = open_fds(), rss_warm = resident_bytes();
    kit_runtime h;
    open_kit_runtime(h, plugin_path, facts.name, 0, opts);
    if (!h) {
      problem = "cycle " + std::to_string(cycle) + ": bp_runtime_create failed: " + h.error;
      break;
    }
    if (sample) {
      run_result r = run_case_on(h.rt, cases[sample->index], sample->data);
      if (r.status != BP_OK) problem = "cycle " + std::to_string(cycle) + ": " + r.message;
    }
  }
  const size_t fds_end = open_fds();
  const uint64_t rss_end = resident_bytes();
  const long long fd_growth = (long long)fds_end - (long long)fds_warm;
  const long long rss_growth = (long long)rss_end - (long long)rss_warm;
  if (problem.empty() && fd_growth > 0)
    problem = "open file descriptors grew by " + std::to_string(fd_growth) + " over " +
              std::to_string(opts.leak_cycles - warmup) + " cycles";
  // AddressSanitizer keeps freed memory resident (its quarantine) on purpose, so
  // RSS says nothing about leaks there; LeakSanitizer checks leaks instead.
#if defined(__SANITIZE_ADDRESS__)
  constexpr bool rss_meaningful = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  constexpr bool rss_meaningful = false;
#else
  constexpr bool rss_meaningful = true;
#endif
#else
  constexpr bool rss_meaningful = true;
#endif
  if (problem.empty() && rss_meaningful && rss_growth > (long long)opts.rss_growth_limit)
    problem = "resident memory grew by " + std::to_string(rss_growth / 1024) + " KiB (limit " +
              std::to_string(opts.rss_growth_limit / 1024) + " KiB)";
  add_result(out, "leaks.load_unload", problem.empty(),
             problem.empty() ? std::to_string(opts.leak_cycles) + " runtime create/run/destroy cycles: fds " +
                                   std::to_string(fds_warm) + " -> " + std::to_string(fds_end) + ", RSS growth " +
                                   std::to_string(rss_growth / 1024) + " KiB after warm-up"
                             : problem);
}

}  // namespace bp::conformance::detail
