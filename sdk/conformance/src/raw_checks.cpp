// raw_checks.cpp — abi.* and errors.*: the plugin's own table driven directly,
// with host tables built here (the current v1 core, a simulated older core
// and a simulated newer one), each group in a child process so that a crash
// or abort in the plugin is reported as a failure instead of ending the kit.
#include <dlfcn.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <cstring>
#include <cstdlib>
#include <functional>
#include <map>
#include <sstream>

#include "backplane/sdk/op_check.hpp"
#include "checks.hpp"

namespace bp::conformance::detail {
namespace {

// ---- a host table this kit controls -------------------------------------------------

struct host_state {
  bp_status last_status = BP_OK;
  std::string last_error;
  int probe_reports = 0;
  bp_plugin_state probe_state = BP_STATE_UNAVAILABLE;
  std::string probe_message;
  int tripwire_calls = 0;  // members the plugin must not call (beyond struct_size)
  std::map<std::string, std::string> options;  // values handed to the plugin stay alive here
};

// options::use_environment: get_option answers from BACKPLANE_<NAME> as the core does.
bool g_use_environment = false;

void host_log(void*, bp_log_level, const char*) {}
void host_set_error(void* ctx, bp_status status, const char* message) {
  auto* s = static_cast<host_state*>(ctx);
  s->last_status = status;
  s->last_error = message ? message : "";
}
void host_report_probe(void* ctx, const bp_probe_result* r) {
  auto* s = static_cast<host_state*>(ctx);
  ++s->probe_reports;
  if (r && r->struct_size >= offsetof(bp_probe_result, device_count)) s->probe_state = r->state;
  if (r && BP_HAS_MEMBER(bp_probe_result, message, r->struct_size) && r->message) s->probe_message = r->message;
}
void host_report_dependency(void*, const bp_dependency_report*) {}
const char* host_get_option(void* ctx, const char* name) {
  if (!g_use_environment || !name) return nullptr;
  const char* v = std::getenv(("BACKPLANE_" + std::string(name)).c_str());
  if (!v || !*v) return nullptr;
  auto& slot = static_cast<host_state*>(ctx)->options[name];
  slot = v;
  return slot.c_str();
}
const char* tripwire_get_option(void* ctx, const char*) {
  ++static_cast<host_state*>(ctx)->tripwire_calls;
  return nullptr;
}
void tripwire_future(void* ctx) { ++static_cast<host_state*>(ctx)->tripwire_calls; }

// A v1.9 host table: v1.0 followed by members a future core might add.
struct host_api_v1_9 {
  bp_host_api base;
  void (*future_member[4])(void* host_context);
};

bp_host_api make_host(host_state& st) {
  bp_host_api h{};
  h.struct_size = sizeof h;
  h.abi_major = BP_ABI_VERSION_MAJOR;
  h.abi_minor = BP_ABI_VERSION_MINOR;
  h.negotiated_minor = BP_ABI_VERSION_MINOR;
  h.host_context = &st;
  h.log = host_log;
  h.set_error = host_set_error;
  h.report_probe = host_report_probe;
  h.report_dependency = host_report_dependency;
  h.get_option = host_get_option;
  return h;
}

struct library {
  void* handle = nullptr;
  bp_plugin_entry_fn entry = nullptr;
  std::string error;
  explicit library(const std::string& path) {
    handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      const char* e = dlerror();
      error = e ? e : "dlopen failed";
      return;
    }
    entry = reinterpret_cast<bp_plugin_entry_fn>(dlsym(handle, BP_PLUGIN_ENTRY_SYMBOL));
    if (!entry) error = "no '" BP_PLUGIN_ENTRY_SYMBOL "' symbol: not a Backplane plugin";
  }
  ~library() {
    if (handle) dlclose(handle);
  }
};

std::string table_problems(const bp_plugin_api* t) {
  std::string p;
  auto add = [&](const std::string& s) { p += (p.empty() ? "" : "; ") + s; };
  if (t->abi_major != BP_ABI_VERSION_MAJOR)
    add("abi_major " + std::to_string(t->abi_major) + " (this kit checks ABI " + std::to_string(BP_ABI_VERSION_MAJOR) + ")");
  const size_t v10 = offsetof(bp_plugin_api, op_execute) + sizeof(t->op_execute);
  if (t->struct_size < v10)
    add("struct_size " + std::to_string(t->struct_size) + " < " + std::to_string(v10) + " (v1.0 table size)");
  if (!t->name || !t->name[0]) add("name is empty");
  if (!t->version) add("version is NULL");
  if (t->device_kind < BP_DEVICE_KIND_CPU || t->device_kind > BP_DEVICE_KIND_OTHER)
    add("device_kind " + std::to_string(t->device_kind) + " is not CPU/GPU/OTHER");
  if (t->struct_size >= v10) {
    const struct { const void* fn; const char* name; } required[] = {
        {reinterpret_cast<const void*>(t->probe), "probe"},
        {reinterpret_cast<const void*>(t->init), "init"},
        {reinterpret_cast<const void*>(t->shutdown), "shutdown"},
        {reinterpret_cast<const void*>(t->device_count), "device_count"},
        {reinterpret_cast<const void*>(t->device_props), "device_props"},
        {reinterpret_cast<const void*>(t->mem_alloc), "mem_alloc"},
        {reinterpret_cast<const void*>(t->mem_free), "mem_free"},
        {reinterpret_cast<const void*>(t->mem_copy), "mem_copy"},
        {reinterpret_cast<const void*>(t->stream_synchronize), "stream_synchronize"},
        {reinterpret_cast<const void*>(t->op_supports), "op_supports"},
        {reinterpret_cast<const void*>(t->op_execute), "op_execute"}};
    for (auto& r : required)
      if (!r.fn) add(std::string("required member ") + r.name + " is NULL");
    if ((t->stream_create == nullptr) != (t->stream_destroy == nullptr))
      add("stream_create and stream_destroy must both be set or both NULL");
  }
  return p;
}

// Probe + init + device_count + device_props(props of `props_size`) + shutdown.
// Checks that the plugin writes no byte beyond props_size.
std::string lifecycle(const bp_plugin_api* t, const bp_host_api* host, host_state& st, uint32_t props_size) {
  if (bp_status s = t->probe(host); s != BP_OK) return "probe returned " + std::to_string(s) + ": " + st.last_error;
  void* ctx = nullptr;
  if (bp_status s = t->init(host, &ctx); s != BP_OK) return "init returned " + std::to_string(s) + ": " + st.last_error;
  std::string problem;
  uint32_t count = 0;
  if (bp_status s = t->device_count(ctx, &count); s != BP_OK || count == 0)
    problem = "device_count returned " + std::to_string(s) + " with count " + std::to_string(count);
  if (problem.empty()) {
    std::vector<unsigned char> buffer(sizeof(bp_device_props) + 256, 0xAB);
    bp_device_props* props = reinterpret_cast<bp_device_props*>(buffer.data());
    props->struct_size = props_size;
    if (bp_status s = t->device_props(ctx, 0, props); s != BP_OK) {
      problem = "device_props(struct_size " + std::to_string(props_size) + ") returned " + std::to_string(s) + ": " + st.last_error;
    } else {
      for (size_t i = props_size; i < buffer.size(); ++i)
        if (buffer[i] != 0xAB) {
          problem = "device_props wrote byte " + std::to_string(i) + " beyond the caller's struct_size " + std::to_string(props_size);
          break;
        }
      if (problem.empty() && props_size >= offsetof(bp_device_props, device) + sizeof(bp_device) &&
          props->kind != t->device_kind)
        problem = "device_props kind " + std::to_string(props->kind) + " differs from the table's device_kind " +
                  std::to_string(t->device_kind);
    }
  }
  t->shutdown(ctx);
  return problem;
}

// ---- child-process isolation --------------------------------------------------------

// In a child: results are streamed to this pipe as they are produced, so the
// ones before a crash or hang still reach the report.
int g_stream_fd = -1;

void stream_result(const check_result& r) {
  std::string detail = r.detail;
  for (char& ch : detail)
    if (ch == '\n' || ch == '\t') ch = ' ';
  const std::string line =
      (r.result == verdict::pass ? "P " : r.result == verdict::skip ? "S " : "F ") + r.name + "\t" + detail + "\n";
  size_t off = 0;
  while (off < line.size()) {
    ssize_t n = write(g_stream_fd, line.data() + off, line.size() - off);
    if (n <= 0) break;
    off += size_t(n);
  }
}


// Runs `body` (which appends results) in a child; results come back over a pipe,
// one "P|F|S <name>\t<detail>" line each. A crash becomes a FAIL for `group`.
}  // namespace

void isolated(const std::string& group, bool isolate, int timeout_seconds, results& out, const std::function<void(results&)>& body) {
  if (!isolate) {
    body(out);
    return;
  }
  int fds[2];
  if (pipe(fds) != 0) {
    add_result(out, group, false, std::string("pipe failed: ") + std::strerror(errno));
    return;
  }
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]), close(fds[1]);
    add_result(out, group, false, std::string("fork failed: ") + std::strerror(errno));
    return;
  }
  if (pid == 0) {
    close(fds[0]);
    g_stream_fd = fds[1];
    results unused;
    body(unused);
    _exit(0);
  }
  close(fds[1]);
  // Read until the child closes the pipe, but never wait for a hung plugin forever.
  std::string text;
  char buf[4096];
  bool timed_out = false;
  const time_t deadline = time(nullptr) + timeout_seconds;
  for (;;) {
    pollfd pfd{fds[0], POLLIN, 0};
    const int remaining = int(deadline - time(nullptr));
    if (remaining <= 0 || poll(&pfd, 1, remaining * 1000) == 0) {
      timed_out = true;
      kill(pid, SIGKILL);
      break;
    }
    ssize_t n = read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, size_t(n));
  }
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.size() < 3) continue;
    const size_t tab = line.find('\t');
    check_result r;
    r.result = line[0] == 'P' ? verdict::pass : line[0] == 'S' ? verdict::skip : verdict::fail;
    r.name = line.substr(2, tab == std::string::npos ? std::string::npos : tab - 2);
    r.detail = tab == std::string::npos ? "" : line.substr(tab + 1);
    out.push_back(r);
  }
  if (timed_out)
    add_result(out, group + ".no_hang", false,
               "the " + group + " checks did not finish within " + std::to_string(timeout_seconds) +
                   " s (the plugin hangs; the last check reported above is the last one that finished)");
  else if (WIFSIGNALED(status))
    add_result(out, group + ".no_crash", false,
               "the plugin crashed with signal " + std::to_string(WTERMSIG(status)) + " (" + strsignal(WTERMSIG(status)) +
                   ") during the " + group + " checks; checks after the last line above did not run");
  else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    add_result(out, group + ".no_crash", false, "the child running the " + group + " checks exited with status " +
                                                    std::to_string(WEXITSTATUS(status)) + " (the plugin called exit?)");
}

namespace {

// ---- the groups -----------------------------------------------------------------------

void abi_group(const std::string& path, results& out) {
  library lib(path);
  if (!lib.entry) {
    add_result(out, "abi.entry_symbol", false, lib.error);
    return;
  }
  add_result(out, "abi.entry_symbol", true, "dlopen + dlsym(" BP_PLUGIN_ENTRY_SYMBOL ") ok");

  host_state st;
  bp_host_api host = make_host(st);
  const bp_plugin_api* t = lib.entry(&host);
  if (!t) {
    add_result(out, "abi.table", false, "entry symbol returned NULL" + (st.last_error.empty() ? "" : ": " + st.last_error));
    return;
  }
  const std::string problems = table_problems(t);
  add_result(out, "abi.table", problems.empty(),
             problems.empty() ? "'" + std::string(t->name) + "' " + t->version + ", ABI " + std::to_string(t->abi_major) + "." +
                                    std::to_string(t->abi_minor) + ", struct_size " + std::to_string(t->struct_size) +
                                    ", priority " + std::to_string(t->priority) + ", device_kind " +
                                    std::to_string(t->device_kind)
                              : problems);
  if (!problems.empty()) return;

  std::string p = lifecycle(t, &host, st, sizeof(bp_device_props));
  if (p.empty() && st.probe_reports > 1) p = "probe called report_probe " + std::to_string(st.probe_reports) + " times (once expected)";
  add_result(out, "abi.lifecycle", p.empty(),
             p.empty() ? "probe (" + std::to_string(st.probe_reports) + " report" + (st.probe_reports == 1 ? "" : "s") +
                             "), init, device_count, device_props, shutdown ok"
                       : p);
  // Twice more: a plugin must survive being initialised again after shutdown.
  p = lifecycle(t, &host, st, sizeof(bp_device_props));
  add_result(out, "abi.reinit", p.empty(), p.empty() ? "a second probe/init/shutdown cycle works" : p);

  // An older core: a host table that ends before get_option (minor 0, smaller
  // struct_size); get_option is present in memory but beyond struct_size, so a
  // plugin that calls it ignored BP_HAS_MEMBER. Its device_props is smaller too.
  {
    host_state old_state;
    bp_host_api old_host = make_host(old_state);
    old_host.struct_size = offsetof(bp_host_api, get_option);
    old_host.abi_minor = 0;
    old_host.negotiated_minor = 0;
    old_host.get_option = tripwire_get_option;
    const bp_plugin_api* t_old = lib.entry(&old_host);
    std::string q = t_old ? lifecycle(t_old, &old_host, old_state, offsetof(bp_device_props, memory_total))
                          : "entry symbol returned NULL for an older core";
    if (q.empty() && old_state.tripwire_calls)
      q = "the plugin called get_option, which lies beyond the older host table's struct_size";
    add_result(out, "abi.older_core", q.empty(),
               q.empty() ? "host table struct_size " + std::to_string(old_host.struct_size) +
                               " (no get_option), device_props struct_size " +
                               std::to_string(offsetof(bp_device_props, memory_total)) + ": ok"
                         : q);
  }
  // A newer core: minor 9, a larger host table with members this plugin cannot
  // know, and a larger device_props; the plugin must still answer.
  {
    host_state new_state;
    host_api_v1_9 new_host{};
    new_host.base = make_host(new_state);
    new_host.base.struct_size = sizeof new_host;
    new_host.base.abi_minor = 9;
    new_host.base.negotiated_minor = BP_ABI_VERSION_MINOR;
    for (auto& m : new_host.future_member) m = tripwire_future;
    const bp_plugin_api* t_new = lib.entry(&new_host.base);
    std::string q;
    if (!t_new) q = "entry symbol returned NULL for a newer core (minor 9)";
    else if (t_new->abi_major != BP_ABI_VERSION_MAJOR) q = "table abi_major changed under a newer core";
    else q = lifecycle(t_new, &new_host.base, new_state, sizeof(bp_device_props) + 64);
    add_result(out, "abi.newer_core", q.empty(),
               q.empty() ? "host table minor 9, struct_size " + std::to_string(sizeof new_host) +
                               ", device_props struct_size " + std::to_string(sizeof(bp_device_props) + 64) + ": ok"
                         : q);
  }
}

// One op the plugin claims, with real plugin memory behind every tensor.
struct claimed_op {
  op_case c;
  std::vector<bp_tensor> in, out;
  std::vector<std::vector<int64_t>> shapes_in, shapes_out;
  bp_op_desc desc{};
  void rebuild() {
    desc.struct_size = sizeof desc;
    desc.kind = c.kind;
    desc.attrs = c.attrs_ptr();
    desc.inputs = in.data();
    desc.outputs = out.data();
    desc.num_inputs = uint32_t(in.size());
    desc.num_outputs = uint32_t(out.size());
  }
};

void errors_group(const std::string& path, results& out) {
  library lib(path);
  host_state st;
  bp_host_api host = make_host(st);
  const bp_plugin_api* t = lib.entry ? lib.entry(&host) : nullptr;
  if (!t || !table_problems(t).empty()) {
    add_skip(out, "errors.bad_arguments", "skipped: the plugin's table is unusable (see abi.table)");
    return;
  }
  void* ctx = nullptr;
  if (t->probe(&host) != BP_OK || t->init(&host, &ctx) != BP_OK) {
    add_skip(out, "errors.bad_arguments", "skipped: probe/init failed (see abi.lifecycle): " + st.last_error);
    return;
  }
  bp_device_props props{};
  props.struct_size = sizeof props;
  t->device_props(ctx, 0, &props);
  std::vector<void*> allocations;
  // The first case the plugin claims, with every tensor allocated by the plugin.
  claimed_op op;
  bool found = false;
  for (const op_case& c : all_cases()) {
    claimed_op candidate;
    candidate.c = c;
    bool alloc_ok = true;
    auto make = [&](const tensor_spec& s, std::vector<int64_t>& shape_store) {
      shape_store = s.shape;
      bp_tensor v{};
      v.device = props.device;
      v.ndim = int32_t(s.shape.size());
      v.dtype = s.dtype;
      v.shape = shape_store.data();
      void* p = nullptr;
      const uint64_t bytes = uint64_t(element_count(s.shape)) * 4;
      if (t->mem_alloc(ctx, 0, bytes, &p) != BP_OK || !p) {
        alloc_ok = false;
      } else {
        allocations.push_back(p);
        // Defined contents (zeros), so the one real execution below reads initialised memory.
        const std::vector<unsigned char> zeros(bytes, 0);
        if (t->mem_copy(ctx, 0, nullptr, p, zeros.data(), bytes, BP_MEMCPY_HOST_TO_DEVICE) != BP_OK ||
            t->stream_synchronize(ctx, 0, nullptr) != BP_OK)
          alloc_ok = false;
      }
      v.data = p;
      return v;
    };
    candidate.shapes_in.resize(c.inputs.size());
    candidate.shapes_out.resize(c.outputs.size());
    for (size_t i = 0; i < c.inputs.size(); ++i) candidate.in.push_back(make(c.inputs[i], candidate.shapes_in[i]));
    for (size_t i = 0; i < c.outputs.size(); ++i) candidate.out.push_back(make(c.outputs[i], candidate.shapes_out[i]));
    candidate.rebuild();
    char reason[512] = {0};
    if (alloc_ok && t->op_supports(ctx, 0, &candidate.desc, reason, sizeof reason) == BP_OK) {
      op = std::move(candidate);
      op.rebuild();
      found = true;
      break;
    }
  }
  if (!found) {
    add_skip(out, "errors.bad_arguments", "skipped: the plugin claims none of the kit's op cases");
  } else {
    std::vector<std::string> problems;
    // Each mutation must be refused by op_supports (non-OK + reason or message)
    // and by op_execute (non-OK + message through set_error), without a crash.
    auto expect_refusal = [&](const std::string& what, const std::function<void(claimed_op&)>& mutate,
                              bool check_supports, uint32_t device = 0, bool null_op = false) {
      claimed_op bad = op;
      bad.rebuild();
      mutate(bad);
      const bp_op_desc* desc = null_op ? nullptr : &bad.desc;
      if (check_supports) {
        char reason[512] = {0};
        st.last_error.clear();
        bp_status s = t->op_supports(ctx, device, desc, reason, sizeof reason);
        if (s == BP_OK) problems.push_back(what + ": op_supports said BP_OK");
        else if (!reason[0] && st.last_error.empty()) problems.push_back(what + ": op_supports gave no reason and no message");
      }
      st.last_error.clear();
      bp_status s = t->op_execute(ctx, device, nullptr, desc);
      if (s == BP_OK) problems.push_back(what + ": op_execute returned BP_OK");
      else if (st.last_error.empty()) problems.push_back(what + ": op_execute returned " + std::to_string(s) + " without set_error");
    };
    const std::string label = op.c.label;
    expect_refusal("wrong dtype (input 0 as uint8)", [](claimed_op& b) {
      if (b.in.empty()) b.out[0].dtype = bp_dtype{BP_DTYPE_UINT, 8, 1};
      else b.in[0].dtype = bp_dtype{BP_DTYPE_UINT, 8, 1};
    }, true);
    expect_refusal("wrong shape (output 0 extent +1)", [](claimed_op& b) { b.shapes_out[0][0] += 1; b.out[0].shape = b.shapes_out[0].data(); }, true);
    expect_refusal("wrong rank (output 0 ndim 9)", [](claimed_op& b) { b.out[0].ndim = 9; }, true);
    expect_refusal("NULL data", [](claimed_op& b) {
      for (auto& v : b.in) v.data = nullptr;
      for (auto& v : b.out) v.data = nullptr;
    }, false);
    expect_refusal("wrong device index 99", [](claimed_op&) {}, true, 99);
    // Memory of another device type than the plugin's own (CUDA for a host-memory
    // plugin, host for a device-memory plugin).
    const int32_t other_type = props.device.device_type == BP_DEVICE_CPU ? BP_DEVICE_CUDA : BP_DEVICE_CPU;
    expect_refusal("input 0 on device type " + std::to_string(other_type), [other_type](claimed_op& b) {
      if (b.in.empty()) b.out[0].device.device_type = other_type;
      else b.in[0].device.device_type = other_type;
    }, true);
    expect_refusal("NULL op descriptor", [](claimed_op&) {}, true, 0, true);
    expect_refusal("op descriptor struct_size 0", [](claimed_op& b) { b.desc.struct_size = 0; }, true);
    expect_refusal("unknown op kind 9999", [](claimed_op& b) { b.desc.kind = 9999; }, true);
    add_result(out, "errors.bad_arguments", problems.empty(),
               problems.empty() ? "9 malformed variants of '" + label + "' refused with a message, no crash"
                                : label + ": " + [&] {
                                    std::string s;
                                    for (auto& p : problems) s += (s.empty() ? "" : "; ") + p;
                                    return s;
                                  }());
    // Memory: a failing call must leave the plugin usable.
    st.last_error.clear();
    bp_status s = t->op_execute(ctx, 0, nullptr, &op.desc);
    add_result(out, "errors.recovers", s == BP_OK,
               s == BP_OK ? "'" + label + "' still runs after the refused calls"
                          : "'" + label + "' fails after the refused calls: " + st.last_error);
    const std::string bounds = bounds_problem(t, ctx, op.desc);
    add_result(out, "errors.bounds", bounds.empty(),
               bounds.empty() ? "'" + label + "' with every tensor at byte_offset 64 between guard bytes: same results, no guard byte written"
                              : label + ": " + bounds + (st.last_error.empty() ? "" : " (" + st.last_error + ")"));
  }
  for (void* p : allocations) t->mem_free(ctx, 0, p);
  const std::string declines = decline_problem(t, ctx, props.device);
  add_result(out, "errors.declines", declines.empty(), declines.empty() ? "no case declined with BP_ERR_INTERNAL" : declines);
  st.last_error.clear();
  const std::string alignment = alignment_problem(t, ctx);
  add_result(out, "errors.alignment", alignment.empty(),
             alignment.empty() ? "mem_alloc of 1 B to 1 MiB: every address 64-byte aligned"
                               : alignment + (st.last_error.empty() ? "" : " (" + st.last_error + ")"));
  // mem_free(NULL) is a documented no-op; a bad device index must be an error, not a crash.
  bp_status s_free = t->mem_free(ctx, 0, nullptr);
  void* p = nullptr;
  st.last_error.clear();
  bp_status s_bad = t->mem_alloc(ctx, 99, 16, &p);
  add_result(out, "errors.memory", s_free == BP_OK && s_bad != BP_OK && !st.last_error.empty(),
             s_free != BP_OK ? "mem_free(NULL) returned " + std::to_string(s_free) + " (must be a no-op)"
             : s_bad == BP_OK ? "mem_alloc on device 99 returned BP_OK"
             : st.last_error.empty() ? "mem_alloc on device 99 failed without set_error"
                                     : "mem_free(NULL) no-op; mem_alloc(device 99) refused: " + st.last_error);
  t->shutdown(ctx);
}

}  // namespace

void add_result(results& out, std::string name, bool ok, std::string detail) {
  check_result r{std::move(name), ok ? verdict::pass : verdict::fail, std::move(detail)};
  if (g_stream_fd >= 0) stream_result(r);
  else out.push_back(std::move(r));
}
void add_skip(results& out, std::string name, std::string detail) {
  check_result r{std::move(name), verdict::skip, std::move(detail)};
  if (g_stream_fd >= 0) stream_result(r);
  else out.push_back(std::move(r));
}

void run_raw_checks(const std::string& plugin_path, bool isolate, bool use_environment, results& out,
                    plugin_facts& facts) {
  g_use_environment = use_environment;
  isolated("abi", isolate, 120, out, [&](results& r) { abi_group(plugin_path, r); });
  isolated("errors", isolate, 120, out, [&](results& r) { errors_group(plugin_path, r); });
  // Facts for the runtime checks, read in this process without running plugin code
  // beyond the entry symbol (which must be side-effect free).
  library lib(plugin_path);
  if (lib.entry) {
    host_state st;
    bp_host_api host = make_host(st);
    if (const bp_plugin_api* t = lib.entry(&host); t && table_problems(t).empty()) {
      facts.loaded = true;
      facts.name = t->name;
      facts.device_kind = t->device_kind;
    }
  }
}

}  // namespace bp::conformance::detail
