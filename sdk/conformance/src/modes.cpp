// modes.cpp — the grad, perf and support modes of the kit. Each runs in the
// child that isolated() gives it and reports check results; perf and support
// rows travel as one-line JSON details that collect_measurements() turns into
// report.measurements in the parent.
#include "modes.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>

#include <nlohmann/json.hpp>

#include "backplane/sdk/tensor_util.hpp"
#include "case_runner.hpp"

namespace bp::conformance::detail {
namespace {

using json = nlohmann::json;

std::string kind_name(bp_op_kind k) { return bp::sdk::op_kind_name(k); }

// The plugin's runtime with per-op fallback off (what it claims is what runs), or a FAIL.
bool open_plugin(kit_runtime& rt, const std::string& plugin_path, const options& opts, results& out) {
  open_kit_runtime(rt, plugin_path, "", /*op_fallback=*/0, opts);
  if (!rt) add_result(out, "runtime.load", false, "the plugin cannot serve on this machine: " + rt.error);
  else add_skip(out, kPluginNote, bp_runtime_backend(rt.rt));
  return bool(rt);
}

// ---- support ----------------------------------------------------------------------------

void support_rows(const std::string& plugin_path, const options& opts, results& out) {
  kit_runtime rt;
  if (!open_plugin(rt, plugin_path, opts, out)) return;
  const std::vector<op_case> cases = load_cases("test", opts.ops, opts.cases_file);
  for (size_t i = 0; i < cases.size(); ++i) {
    std::string reason;
    const bool claimed = ask_support(rt.rt, cases[i], make_case_data(cases[i], opts.seed, i), &reason) == BP_OK;
    const json row = {{"label", cases[i].label}, {"claimed", claimed}, {"reason", claimed ? "" : reason}};
    (claimed ? add_result(out, "support." + kind_name(cases[i].kind), true, row.dump())
             : add_skip(out, "support." + kind_name(cases[i].kind), row.dump()));
  }
}

// ---- perf -------------------------------------------------------------------------------

bool compute_bound(bp_op_kind k) {
  return k == BP_OP_GEMM || k == BP_OP_CONV2D_FWD || k == BP_OP_CONV2D_BWD_DATA || k == BP_OP_CONV2D_BWD_FILTER;
}

// Floating-point operations of one run (multiply-adds count 2); elementwise ops count one per output element.
double flops_of(const op_case& c) {
  auto n = [](const tensor_spec& t) { return double(element_count(t.shape)); };
  switch (c.kind) {
    case BP_OP_GEMM: {
      const auto& a = c.inputs[0].shape;
      const double k = c.attrs.size() >= sizeof(bp_gemm_attrs) && reinterpret_cast<const bp_gemm_attrs*>(c.attrs.data())->trans_a
                           ? double(a[0]) : double(a[1]);
      return 2.0 * n(c.outputs[0]) * k;
    }
    case BP_OP_CONV2D_FWD: return 2.0 * n(c.outputs[0]) * n(c.inputs[1]) / double(c.inputs[1].shape[0]);
    case BP_OP_CONV2D_BWD_DATA: return 2.0 * n(c.inputs[0]) * n(c.inputs[1]) / double(c.inputs[1].shape[0]);
    case BP_OP_CONV2D_BWD_FILTER: return 2.0 * n(c.inputs[1]) * n(c.outputs[0]) / double(c.outputs[0].shape[0]);
    default: return c.outputs.empty() ? 0 : n(c.outputs[0]);
  }
}

double bytes_of(const op_case& c) {
  double b = 0;
  for (const auto* set : {&c.inputs, &c.outputs})
    for (const tensor_spec& t : *set) b += 4.0 * double(element_count(t.shape));
  return b;
}

json perf_row(bp_runtime_t rt, const op_case& c, const case_data& data, const options& opts, bool* ok) {
  std::string reason;
  json row = {{"label", c.label}, {"flops", flops_of(c)}, {"bytes", bytes_of(c)}, {"compute_bound", compute_bound(c.kind)}};
  if (ask_support(rt, c, data, &reason) != BP_OK) {
    row["claimed"] = false, row["reason"] = reason;
    *ok = true;
    return row;
  }
  row["claimed"] = true;
  const double seconds = time_case(rt, c, data, opts.perf_seconds, &reason);
  *ok = seconds > 0;
  row["seconds"] = seconds > 0 ? seconds : 0;
  if (!*ok) row["reason"] = "claimed, but the timed runs failed: " + reason;
  return row;
}

void perf_rows(const std::string& plugin_path, const options& opts, results& out) {
  kit_runtime rt;
  if (!open_plugin(rt, plugin_path, opts, out)) return;
  // The peak cases run whatever the op filter says: every fraction needs them.
  std::vector<op_case> cases = load_cases("peak", {}, "");
  for (op_case& c : load_cases("perf", opts.ops, opts.cases_file)) cases.push_back(std::move(c));
  for (size_t i = 0; i < cases.size(); ++i) {
    bool ok = false;
    json row = perf_row(rt.rt, cases[i], make_case_data(cases[i], opts.seed, i), opts, &ok);
    row["peak"] = cases[i].in_suite("peak");
    const std::string name = "perf." + kind_name(cases[i].kind);
    if (!ok) add_result(out, name, false, row.dump());
    else if (!row["claimed"].get<bool>()) add_skip(out, name, row.dump());
    else add_result(out, name, true, row.dump());
  }
}

// ---- grad -------------------------------------------------------------------------------

// Where an input of a backward op comes from: the forward op's inputs, its
// outputs, or the upstream gradient of a forward output.
enum source_kind { fwd_in, fwd_out, upstream };
struct source {
  source_kind kind;
  uint32_t index;
};
struct grad_rule {
  bp_op_kind forward, backward;
  uint32_t wrt;  // the forward input the backward op differentiates by
  std::vector<source> inputs;
  bool loss_only;  // only forward output 0 (the loss) enters f
};

const std::vector<grad_rule>& grad_rules() {
  static const std::vector<grad_rule> rules = {
      {BP_OP_CONV2D_FWD, BP_OP_CONV2D_BWD_DATA, 0, {{upstream, 0}, {fwd_in, 1}}, false},
      {BP_OP_CONV2D_FWD, BP_OP_CONV2D_BWD_FILTER, 1, {{fwd_in, 0}, {upstream, 0}}, false},
      {BP_OP_ACTIVATION_FWD, BP_OP_ACTIVATION_BWD, 0, {{fwd_out, 0}, {upstream, 0}}, false},
      {BP_OP_POOL2D_FWD, BP_OP_POOL2D_BWD, 0, {{fwd_in, 0}, {fwd_out, 0}, {upstream, 0}}, false},
      {BP_OP_SOFTMAX, BP_OP_SOFTMAX_BWD, 0, {{fwd_out, 0}, {upstream, 0}}, false},
      {BP_OP_SOFTMAX_XENT_FWD, BP_OP_SOFTMAX_XENT_BWD, 0, {{fwd_out, 1}, {fwd_in, 1}}, true},
      {BP_OP_BIAS_ADD, BP_OP_BIAS_GRAD, 1, {{upstream, 0}}, false},
  };
  return rules;
}

using floats = std::vector<float>;
floats as_floats(const std::vector<unsigned char>& b) {
  floats f(b.size() / 4);
  std::memcpy(f.data(), b.data(), f.size() * 4);
  return f;
}
std::vector<unsigned char> as_bytes(const floats& f) {
  std::vector<unsigned char> b(f.size() * 4);
  std::memcpy(b.data(), f.data(), b.size());
  return b;
}
double dot(const floats& p, const floats& q) {
  double s = 0;
  for (size_t i = 0; i < p.size(); ++i) s += double(p[i]) * double(q[i]);
  return s;
}

// One backward op against finite differences of its forward op: "" or what is wrong.
std::string check_gradient(bp_runtime_t rt, const op_case& fwd, const grad_rule& rule, const options& opts, size_t index,
                           std::string* skipped) {
  case_data data = make_case_data(fwd, opts.seed, index);
  std::mt19937_64 rng(opts.seed * 31 + index);
  std::uniform_real_distribution<float> unit(-1.f, 1.f);
  auto random_like = [&](const tensor_spec& t) {
    floats v(size_t(element_count(t.shape)));
    for (float& x : v) x = unit(rng);
    return v;
  };
  std::vector<floats> g;
  for (size_t o = 0; o < fwd.outputs.size(); ++o)
    g.push_back(rule.loss_only && o > 0 ? floats(size_t(element_count(fwd.outputs[o].shape)), 0.f)
                                        : rule.loss_only ? floats(1, 1.f) : random_like(fwd.outputs[o]));
  const floats direction = random_like(fwd.inputs[rule.wrt]);
  std::string reason;
  if (ask_support(rt, fwd, data, &reason) != BP_OK) {
    *skipped = kind_name(fwd.kind) + " declined: " + reason;
    return "";
  }
  const run_result y = run_case_on(rt, fwd, data);
  if (y.status != BP_OK) return "forward " + kind_name(fwd.kind) + " failed: " + y.message;
  auto f_at = [&](float step, std::string* err) {
    case_data moved = data;
    floats x = as_floats(data.inputs[rule.wrt]);
    for (size_t i = 0; i < x.size(); ++i) x[i] += step * direction[i];
    moved.inputs[rule.wrt] = as_bytes(x);
    const run_result r = run_case_on(rt, fwd, moved);
    if (r.status != BP_OK) *err = r.message;
    double f = 0;
    for (size_t o = 0; o < r.outputs.size(); ++o) f += dot(as_floats(r.outputs[o]), g[o]);
    return f;
  };
  op_case bwd;
  bwd.kind = rule.backward;
  bwd.attrs = fwd.attrs;
  case_data bdata;
  for (const source& s : rule.inputs) {
    const tensor_spec& spec = s.kind == fwd_in ? fwd.inputs[s.index] : fwd.outputs[s.index];
    bwd.inputs.push_back({spec.shape, spec.dtype, fill::uniform});
    bdata.inputs.push_back(s.kind == fwd_in ? data.inputs[s.index] : s.kind == fwd_out ? y.outputs[s.index] : as_bytes(g[s.index]));
  }
  const tensor_spec& wrt = fwd.inputs[rule.wrt];
  bwd.outputs.push_back({wrt.shape, wrt.dtype, fill::poison});
  bdata.outputs.push_back(as_bytes(floats(size_t(element_count(wrt.shape)), NAN)));
  if (ask_support(rt, bwd, bdata, &reason) != BP_OK) {
    *skipped = kind_name(bwd.kind) + " declined: " + reason;
    return "";
  }
  const run_result dx = run_case_on(rt, bwd, bdata);
  if (dx.status != BP_OK) return kind_name(bwd.kind) + " failed: " + dx.message;
  const double analytic = dot(as_floats(dx.outputs[0]), direction);
  const float eps = 1e-3f;
  std::string err;
  const double numeric = (f_at(eps, &err) - f_at(-eps, &err)) / (2.0 * eps);
  if (!err.empty()) return "forward " + kind_name(fwd.kind) + " failed: " + err;
  const double tolerance = 1e-3 + 2e-2 * std::max(std::fabs(analytic), std::fabs(numeric));
  if (!(std::fabs(numeric - analytic) <= tolerance))
    return "directional derivative " + std::to_string(analytic) + " from " + kind_name(bwd.kind) +
           ", finite differences of " + kind_name(fwd.kind) + " give " + std::to_string(numeric) + " (tolerance " +
           std::to_string(tolerance) + ")";
  return "";
}

void grad_checks(const std::string& plugin_path, const options& opts, results& out) {
  kit_runtime rt;
  if (!open_plugin(rt, plugin_path, opts, out)) return;
  const std::vector<op_case> cases = load_cases("grad", {}, opts.cases_file);
  for (const grad_rule& rule : grad_rules()) {
    if (!opts.ops.empty() && !op_selected(rule.backward, opts.ops) && !op_selected(rule.forward, opts.ops)) continue;
    size_t checked = 0, declined = 0;
    std::string failure, skip_reason;
    for (size_t i = 0; i < cases.size(); ++i) {
      if (cases[i].kind != rule.forward) continue;
      std::string skipped;
      const std::string problem = check_gradient(rt.rt, cases[i], rule, opts, i, &skipped);
      if (!problem.empty() && failure.empty()) failure = cases[i].label + ": " + problem;
      if (!skipped.empty()) ++declined, skip_reason = skipped;
      else ++checked;
    }
    const std::string name = "grad." + kind_name(rule.backward);
    if (!failure.empty()) add_result(out, name, false, failure);
    else if (checked == 0) add_skip(out, name, declined ? skip_reason : "no grad case of " + kind_name(rule.forward) + " in the case files");
    else add_result(out, name, true, std::to_string(checked) + " case(s) of " + kind_name(rule.forward) +
                                         ": the directional derivative matches finite differences" +
                                         (declined ? ", " + std::to_string(declined) + " declined" : ""));
  }
}

}  // namespace

void run_mode_checks(const std::string& plugin_path, const options& opts, results& out) {
  switch (opts.run_mode) {
    case mode::support: support_rows(plugin_path, opts, out); break;
    case mode::perf: perf_rows(plugin_path, opts, out); break;
    case mode::grad: grad_checks(plugin_path, opts, out); break;
    case mode::test: break;
  }
}

void collect_measurements(report& rep) {
  if (rep.run_mode != mode::perf && rep.run_mode != mode::support) return;
  std::vector<check_result*> owners;
  for (check_result& c : rep.checks) {
    if (c.name.rfind("perf.", 0) != 0 && c.name.rfind("support.", 0) != 0) continue;
    const json row = json::parse(c.detail, nullptr, /*allow_exceptions=*/false);
    if (!row.is_object()) continue;
    op_measurement m;
    m.op = c.name.substr(c.name.find('.') + 1);
    m.label = row.value("label", "");
    m.claimed = row.value("claimed", false);
    m.reason = row.value("reason", "");
    m.seconds = row.value("seconds", 0.0);
    m.flops = row.value("flops", 0.0), m.bytes = row.value("bytes", 0.0);
    m.compute_bound = row.value("compute_bound", false);
    if (m.seconds > 0) m.gflops = m.flops / m.seconds / 1e9, m.gbytes = m.bytes / m.seconds / 1e9;
    // The peak: the best rate of this plugin in this run, from the peak cases
    // (large GEMMs, COPYs in and out of cache) or any faster case of its kind.
    if (m.claimed && m.seconds > 0) {
      if (m.compute_bound) rep.peak_gflops = std::max(rep.peak_gflops, m.gflops);
      else rep.peak_gbytes = std::max(rep.peak_gbytes, m.gbytes);
    }
    rep.measurements.push_back(m);
    owners.push_back(&c);
  }
  for (size_t k = 0; k < rep.measurements.size(); ++k) {
    op_measurement& m = rep.measurements[k];
    const double peak = m.compute_bound ? rep.peak_gflops : rep.peak_gbytes;
    if (peak > 0 && m.seconds > 0) m.fraction_of_peak = (m.compute_bound ? m.gflops : m.gbytes) / peak;
    std::string text = m.label + (m.claimed ? "" : ": declined: " + m.reason);
    if (rep.run_mode == mode::perf && m.claimed && m.seconds > 0) {
      char numbers[160];
      std::snprintf(numbers, sizeof numbers, ": %.3g ms, %.3g GFLOP/s, %.3g GB/s, %.0f%% of the measured %s peak",
                    m.seconds * 1e3, m.gflops, m.gbytes, 100 * m.fraction_of_peak, m.compute_bound ? "GFLOP/s" : "GB/s");
      text += numbers;
    } else if (m.claimed && !m.reason.empty()) {
      text += ": " + m.reason;
    }
    owners[k]->detail = text;
  }
}

}  // namespace bp::conformance::detail
