// plugin_loader.cpp — load, ABI check, probe and init of one plugin file.
#include "plugin_loader.hpp"

#include <dlfcn.h>
#include <elf.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "backplane/text.hpp"
#include "discovery.hpp"
#include "errors.hpp"
#include "log.hpp"

namespace fs = std::filesystem;

namespace bp::core {

namespace {
std::string safe(const char* s) { return s ? std::string(s) : std::string(); }

// Why a file that dlopen refused cannot be a plugin: not ELF, wrong machine, truncated...
bp_cause classify_load_failure(const std::string& path, const std::string& dlerror_text) {
  std::ifstream in(path, std::ios::binary);
  unsigned char ident[EI_NIDENT + 4] = {0};
  in.read(reinterpret_cast<char*>(ident), sizeof ident);
  if (in.gcount() < static_cast<std::streamsize>(sizeof ident) || std::memcmp(ident, ELFMAG, SELFMAG) != 0)
    return BP_CAUSE_NOT_A_PLUGIN;
  uint16_t machine = static_cast<uint16_t>(ident[EI_NIDENT + 2] | (ident[EI_NIDENT + 3] << 8));
#if defined(__x86_64__)
  if (ident[EI_CLASS] != ELFCLASS64 || machine != EM_X86_64) return BP_CAUSE_WRONG_ARCH;
#elif defined(__aarch64__)
  if (ident[EI_CLASS] != ELFCLASS64 || machine != EM_AARCH64) return BP_CAUSE_WRONG_ARCH;
#endif
  if (dlerror_text.find("cannot open shared object file") != std::string::npos &&
      dlerror_text.find(path) == std::string::npos)
    return BP_CAUSE_MISSING_DEPENDENCY;
  if (dlerror_text.find("undefined symbol") != std::string::npos) return BP_CAUSE_SYMBOL_MISSING;
  return BP_CAUSE_NOT_A_PLUGIN;
}

}  // namespace

// dlopen maps segments straight from the file: a truncated or corrupt ELF can
// fault (SIGBUS) inside the dynamic linker instead of failing. So the headers
// are checked first: every program header and every PT_LOAD segment must lie
// inside the file. Returns "" when the file looks whole, else why not.
std::string elf_precheck(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return "cannot open " + path;
  const uint64_t size = static_cast<uint64_t>(in.tellg());
  in.seekg(0);
  Elf64_Ehdr eh{};
  in.read(reinterpret_cast<char*>(&eh), sizeof eh);
  if (static_cast<size_t>(in.gcount()) < EI_NIDENT || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0)
    return path + " is not an ELF file";
  if (eh.e_ident[EI_CLASS] != ELFCLASS64) return "";  // leave foreign classes to dlopen's own message (wrong_arch)
  if (static_cast<size_t>(in.gcount()) < sizeof eh) return path + " is truncated (" + std::to_string(size) + " bytes: no complete ELF header)";
  if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0)
    return path + " has no usable program headers (corrupt ELF)";
  const uint64_t ph_end = eh.e_phoff + uint64_t(eh.e_phnum) * sizeof(Elf64_Phdr);
  if (eh.e_phoff > size || ph_end > size)
    return path + " is truncated: its program headers end at byte " + std::to_string(ph_end) + " but the file has " +
           std::to_string(size) + " bytes";
  in.seekg(static_cast<std::streamoff>(eh.e_phoff));
  for (unsigned i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph{};
    in.read(reinterpret_cast<char*>(&ph), sizeof ph);
    if (!in) return path + " is truncated inside its program headers";
    if (ph.p_type != PT_LOAD) continue;
    if (ph.p_offset > size || ph.p_filesz > size - ph.p_offset)
      return path + " is truncated or corrupt: loadable segment " + std::to_string(i) + " ends at byte " +
             std::to_string(ph.p_offset + ph.p_filesz) + " but the file has " + std::to_string(size) + " bytes";
  }
  return "";
}

namespace {

// Why the name a plugin table declares cannot be its name, or "". A plugin is
// known by its file name (libbackplane-<name>.so): declaring another name
// would let it pose as another plugin (e.g. cudnn) or, with control
// characters, print lines of its own into a report.
std::string declared_name_problem(const char* declared, const std::string& path) {
  if (!declared || !declared[0]) return "plugin table has no name";
  const std::string name(declared, strnlen(declared, 256));
  const std::string from_file = plugin_name_from_file(path);
  if (name == from_file && is_plugin_name(name)) return "";
  return "plugin table declares the name '" + printable_line(name) + "' but its file is " +
         printable_line(fs::path(path).filename().string()) +
         ": a plugin's name must be its file's, libbackplane-<name>.so (letters, digits, '-', '_', '.')";
}

// Blocks of destroyed instances whose library may still be mapped, by library path.
std::mutex g_retired_mutex;
std::multimap<std::string, host_block*>& retired_blocks() {
  static auto* blocks = new std::multimap<std::string, host_block*>;  // never destroyed: used at exit
  return *blocks;
}

// Called after the instance unloaded its library: free every retired block of
// that library once no one has it mapped any more (then no pointer to them can be used).
void retire_host_block(host_block* block) {
  std::lock_guard<std::mutex> lock(g_retired_mutex);
  auto& blocks = retired_blocks();
  blocks.emplace(block->path, block);
  void* still = block->path.empty() ? nullptr : dlopen(block->path.c_str(), RTLD_LAZY | RTLD_LOCAL | RTLD_NOLOAD);
  if (still) {
    dlclose(still);
    return;
  }
  auto range = blocks.equal_range(block->path);
  for (auto it = range.first; it != range.second; ++it) delete it->second;
  blocks.erase(range.first, range.second);
}
}  // namespace

loaded_plugin::loaded_plugin(const config& cfg, plugin_record* record)
    : cfg_(cfg), record_(record), host_(new host_block) {
  bp_host_api& h = host_->table;
  h.struct_size = sizeof(bp_host_api);
  h.abi_major = BP_ABI_VERSION_MAJOR;
  h.abi_minor = BP_ABI_VERSION_MINOR;
  h.negotiated_minor = BP_ABI_VERSION_MINOR;
  h.host_context = host_;
  h.log = &host_log;
  h.set_error = &host_set_error;
  h.report_probe = &host_report_probe;
  h.report_dependency = &host_report_dependency;
  h.get_option = &host_get_option;
  host_->owner = this;
  host_->name = record_->name;
}

loaded_plugin::~loaded_plugin() {
  // Staged uploads must not be freed under a copy still in flight.
  if (context_ && staging_.bytes() > 0) api_.stream_synchronize(context_, 0, nullptr);
  if (context_ && api_.shutdown) api_.shutdown(context_);
  context_ = nullptr;
  {
    std::lock_guard<std::mutex> lock(host_->mutex);  // waits for callbacks in flight
    host_->owner = nullptr;
  }
  library_.unload();  // dlclose, refcounted by the dynamic linker: others may keep it mapped
  retire_host_block(host_);
}

namespace {
// Above this many bytes of staged uploads, the next upload synchronises first:
// the host may run this far ahead of the device (several training steps even at
// large batches), and the freed buffers are recycled (upload_staging's spares).
constexpr uint64_t kStagingLimit = 32ull << 20;
}  // namespace

bp_status loaded_plugin::upload(void* device_dst, const void* src, uint64_t bytes) {
  if (record_->device_kind == BP_DEVICE_KIND_CPU) {  // host memory: the copy is done when mem_copy returns
    bp_status s = api_.mem_copy(context_, 0, nullptr, device_dst, src, bytes, BP_MEMCPY_HOST_TO_DEVICE);
    return s == BP_OK ? api_.stream_synchronize(context_, 0, nullptr) : s;
  }
  if (staging_.bytes() + bytes > kStagingLimit) {
    if (bp_status s = synchronize(); s != BP_OK) return s;
  }
  upload_staging::handle copy = staging_.keep(src, bytes);
  bp_status s = api_.mem_copy(context_, 0, nullptr, device_dst, staging_.data(copy), bytes, BP_MEMCPY_HOST_TO_DEVICE);
  if (s == BP_OK)
    staging_.commit(copy);
  else
    staging_.drop(copy);
  return s;
}

bp_status loaded_plugin::synchronize() {
  const uint64_t mark = staging_.mark();
  bp_status s = api_.stream_synchronize(context_, 0, nullptr);
  if (s == BP_OK) staging_.release_covered(mark);
  return s;
}

bool loaded_plugin::fail_stage(bp_stage stage, bp_plugin_state state, bp_cause cause, std::string message) {
  record_->stage = stage;
  record_->state = state;
  record_->cause = cause;
  record_->message = std::move(message);
  if (record_->remedy.empty()) record_->remedy = bp_cause_remedy(cause);
  log_message(BP_LOG_INFO, "loader", record_->name + ": " + stage_name(stage) + ": " + record_->message);
  return false;
}

std::string loaded_plugin::take_error(const char* call, bp_status status) const {
  plugin_error& e = thread_plugin_error();
  std::string msg = "[" + record_->name + "] " + call + ": ";
  msg += e.message.empty() ? std::string("returned ") + bp_status_name(status) + " without a message" : e.message;
  e = plugin_error{};
  return msg;
}

bool loaded_plugin::load(const std::string& path) {
  record_->path = path;
  {
    std::lock_guard<std::mutex> lock(host_->mutex);
    host_->path = path;
  }
  record_->stage = BP_STAGE_LOAD;
  if (cfg_.find_fault(record_->name, "load_fail"))
    return fail_stage(BP_STAGE_LOAD, BP_STATE_LOAD_FAILED, BP_CAUSE_NOT_A_PLUGIN,
                      "load failure injected by BACKPLANE_FAULT (" + cfg_.find_fault(record_->name, "load_fail")->text + ")");
  if (std::string why = elf_precheck(path); !why.empty())
    return fail_stage(BP_STAGE_LOAD, BP_STATE_LOAD_FAILED, BP_CAUSE_NOT_A_PLUGIN, "cannot load " + path + ": " + why);
  boost::dll::fs::error_code ec;
  // RTLD_LOCAL: a plugin's symbols never leak into the host or other plugins.
  library_.load(boost::dll::fs::path(path), ec, boost::dll::load_mode::rtld_local | boost::dll::load_mode::rtld_now);
  if (ec) {
    const char* err = dlerror();  // Boost.DLL discards it; ask again for the precise text
    std::string text = err ? err : ec.message();
    if (!err) {
      void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
      if (h) dlclose(h);
      else if (const char* e2 = dlerror()) text = e2;
    }
    bp_cause cause = classify_load_failure(path, text);
    return fail_stage(BP_STAGE_LOAD, BP_STATE_LOAD_FAILED, cause, "cannot load " + path + ": " + text);
  }
  if (!library_.has(BP_PLUGIN_ENTRY_SYMBOL))
    return fail_stage(BP_STAGE_LOAD, BP_STATE_LOAD_FAILED, BP_CAUSE_NOT_A_PLUGIN,
                      path + " is a shared library but exports no '" BP_PLUGIN_ENTRY_SYMBOL "' symbol: not a Backplane plugin");
  auto entry = library_.get<const bp_plugin_api*(const bp_host_api*)>(BP_PLUGIN_ENTRY_SYMBOL);
  thread_plugin_error() = plugin_error{};
  const bp_plugin_api* table = nullptr;
  try {
    table = entry(&host_->table);
  } catch (...) {
    return fail_stage(BP_STAGE_ABI, BP_STATE_INCOMPATIBLE, BP_CAUSE_PLUGIN_ERROR,
                      "entry symbol threw a C++ exception across the C ABI (the plugin must catch at its edge)");
  }
  if (!table) {
    plugin_error& e = thread_plugin_error();
    return fail_stage(BP_STAGE_ABI, BP_STATE_INCOMPATIBLE, BP_CAUSE_ABI_MISMATCH,
                      "entry symbol returned no function table" + (e.message.empty() ? std::string() : ": " + e.message));
  }
  uint32_t major = table->abi_major;
  if (const fault_clause* f = cfg_.find_fault(record_->name, "abi_major")) {
    major = static_cast<uint32_t>(std::stoul(f->arg));
    record_->fault_injected = true;
  }
  record_->abi_major = major;
  record_->abi_minor = table->abi_minor;
  if (major != BP_ABI_VERSION_MAJOR)
    return fail_stage(BP_STAGE_ABI, BP_STATE_INCOMPATIBLE, BP_CAUSE_ABI_MISMATCH,
                      "plugin ABI " + std::to_string(major) + "." + std::to_string(table->abi_minor) +
                          " is incompatible with this core's ABI " + std::to_string(BP_ABI_VERSION_MAJOR) + "." +
                          std::to_string(BP_ABI_VERSION_MINOR) + " (major versions must match)" +
                          (record_->fault_injected ? " [injected by BACKPLANE_FAULT]" : ""));
  // Members up to `op_execute` are v1.0's required set; a table smaller than that is malformed.
  const size_t v10_size = offsetof(bp_plugin_api, op_execute) + sizeof(api_.op_execute);
  if (table->struct_size < offsetof(bp_plugin_api, device_kind) + sizeof(api_.device_kind))
    return fail_stage(BP_STAGE_ABI, BP_STATE_INCOMPATIBLE, BP_CAUSE_ABI_MISMATCH,
                      "plugin table struct_size " + std::to_string(table->struct_size) + " is too small to be a bp_plugin_api");
  // Copy what both sides know; newer members of a newer plugin are ignored, older plugins read as NULL.
  std::memcpy(&api_, table, std::min<size_t>(table->struct_size, sizeof api_));
  record_->negotiated_minor = std::min<uint32_t>(table->abi_minor, BP_ABI_VERSION_MINOR);
  host_->table.negotiated_minor = record_->negotiated_minor;
  if (std::string why = declared_name_problem(api_.name, path); !why.empty())
    return fail_stage(BP_STAGE_ABI, BP_STATE_INCOMPATIBLE, BP_CAUSE_ABI_MISMATCH, why);
  record_->version = safe(api_.version);
  record_->description = safe(api_.description);
  record_->priority = api_.priority;
  record_->device_kind = api_.device_kind;
  std::string missing;
  if (table->struct_size < v10_size) missing = "(table ends before op_execute)";
  const struct { const void* fn; const char* name; } required[] = {
      {reinterpret_cast<const void*>(api_.probe), "probe"},
      {reinterpret_cast<const void*>(api_.init), "init"},
      {reinterpret_cast<const void*>(api_.shutdown), "shutdown"},
      {reinterpret_cast<const void*>(api_.device_count), "device_count"},
      {reinterpret_cast<const void*>(api_.device_props), "device_props"},
      {reinterpret_cast<const void*>(api_.mem_alloc), "mem_alloc"},
      {reinterpret_cast<const void*>(api_.mem_free), "mem_free"},
      {reinterpret_cast<const void*>(api_.mem_copy), "mem_copy"},
      {reinterpret_cast<const void*>(api_.stream_synchronize), "stream_synchronize"},
      {reinterpret_cast<const void*>(api_.op_supports), "op_supports"},
      {reinterpret_cast<const void*>(api_.op_execute), "op_execute"}};
  for (auto& r : required)
    if (!r.fn) missing += std::string(missing.empty() ? "" : ", ") + r.name;
  if (!missing.empty())
    return fail_stage(BP_STAGE_ABI, BP_STATE_INCOMPATIBLE, BP_CAUSE_ABI_MISMATCH,
                      "plugin table lacks required members: " + missing);
  return true;
}

void loaded_plugin::apply_probe_faults() {
  const std::string& n = record_->name;
  if (const fault_clause* f = cfg_.find_fault(n, "crash_in_probe")) {
    log_message(BP_LOG_WARN, "loader", n + ": crashing in probe as asked by BACKPLANE_FAULT (" + f->text + ")");
    std::raise(SIGSEGV);
  }
  if (const fault_clause* f = cfg_.find_fault(n, "abort_in_probe")) {
    log_message(BP_LOG_WARN, "loader", n + ": aborting in probe as asked by BACKPLANE_FAULT (" + f->text + ")");
    std::abort();
  }
  if (const fault_clause* f = cfg_.find_fault(n, "hang_in_probe")) {
    log_message(BP_LOG_WARN, "loader", n + ": hanging in probe as asked by BACKPLANE_FAULT (" + f->text + ")");
    for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

bool loaded_plugin::probe() {
  record_->stage = BP_STAGE_PROBE;
  apply_probe_faults();
  probe_reported_ = false;
  malformed_probe_report_.clear();
  thread_plugin_error() = plugin_error{};
  bp_status s = BP_ERR_INTERNAL;
  try {
    s = api_.probe(&host_->table);
  } catch (...) {
    return fail_stage(BP_STAGE_PROBE, BP_STATE_INIT_FAILED, BP_CAUSE_PLUGIN_ERROR,
                      "probe threw a C++ exception across the C ABI");
  }
  if (s != BP_OK) {
    // Only settings reach a probe, so INVALID_ARGUMENT means one of them is
    // malformed: a configuration error for the whole runtime, never a fallback
    // (the probe contract of ABI 1.1; a 1.0 plugin never promised it).
    record_->configuration_error = s == BP_ERR_INVALID_ARGUMENT && record_->negotiated_minor >= 1;
    return fail_stage(BP_STAGE_PROBE, BP_STATE_UNAVAILABLE, BP_CAUSE_PLUGIN_ERROR, take_error("probe", s));
  }
  if (!malformed_probe_report_.empty())
    return fail_stage(BP_STAGE_PROBE, BP_STATE_INCOMPATIBLE, BP_CAUSE_ABI_MISMATCH, malformed_probe_report_);
  if (!probe_reported_) {
    // A plugin that reports nothing but returns OK is taken as ready.
    record_->state = BP_STATE_READY;
  }
  if (const fault_clause* f = cfg_.find_fault(record_->name, "no_device")) {
    if (record_->state == BP_STATE_READY) {
      record_->fault_injected = true;
      record_->device_count = 0;
      return fail_stage(BP_STAGE_PROBE, BP_STATE_NO_DEVICE, BP_CAUSE_NO_DEVICE,
                        "no usable device [injected by BACKPLANE_FAULT " + f->text + "]");
    }
  }
  if (record_->state != BP_STATE_READY) {
    record_->stage = BP_STAGE_PROBE;
    if (record_->cause == BP_CAUSE_NONE)
      record_->cause = record_->state == BP_STATE_NO_DEVICE ? BP_CAUSE_NO_DEVICE : BP_CAUSE_INIT_FAILED;
    if (record_->remedy.empty()) record_->remedy = bp_cause_remedy(record_->cause);
    return false;
  }
  return true;
}

bool loaded_plugin::init() {
  record_->stage = BP_STAGE_INIT;
  const std::string& n = record_->name;
  thread_plugin_error() = plugin_error{};
  void* ctx = nullptr;
  bp_status s = BP_ERR_INTERNAL;
  try {
    s = api_.init(&host_->table, &ctx);
  } catch (...) {
    return fail_stage(BP_STAGE_INIT, BP_STATE_INIT_FAILED, BP_CAUSE_PLUGIN_ERROR, "init threw a C++ exception across the C ABI");
  }
  if (s != BP_OK) {
    bp_cause cause = s == BP_ERR_OUT_OF_MEMORY ? BP_CAUSE_OUT_OF_MEMORY : BP_CAUSE_INIT_FAILED;
    if (record_->cause != BP_CAUSE_NONE && record_->state != BP_STATE_READY) cause = record_->cause;
    return fail_stage(BP_STAGE_INIT, BP_STATE_INIT_FAILED, cause, take_error("init", s));
  }
  context_ = ctx;
  // Plugins that ignore the generic init faults still rehearse them: the core fails them here.
  for (const char* fault : {"init_fail", "oom_at_init"}) {
    if (const fault_clause* f = cfg_.find_fault(n, fault)) {
      if (api_.shutdown) api_.shutdown(context_);
      context_ = nullptr;
      record_->fault_injected = true;
      bool oom = std::string(fault) == "oom_at_init";
      return fail_stage(BP_STAGE_INIT, BP_STATE_INIT_FAILED, oom ? BP_CAUSE_OUT_OF_MEMORY : BP_CAUSE_INIT_FAILED,
                        std::string(oom ? "out of memory during init" : "init failed") + " [injected by BACKPLANE_FAULT " + f->text + "]");
    }
  }
  uint32_t count = 0;
  try {
    s = api_.device_count(context_, &count);
  } catch (...) {
    return fail_after_init("device_count threw a C++ exception across the C ABI (the plugin must catch at its edge)");
  }
  if (s != BP_OK || count == 0) {
    std::string why = s != BP_OK ? take_error("device_count", s) : "plugin initialised but reports 0 devices";
    api_.shutdown(context_);
    context_ = nullptr;
    return fail_stage(BP_STAGE_INIT, s != BP_OK ? BP_STATE_INIT_FAILED : BP_STATE_NO_DEVICE,
                      s != BP_OK ? BP_CAUSE_INIT_FAILED : BP_CAUSE_NO_DEVICE, why);
  }
  record_->device_count = count;
  record_->devices.clear();
  for (uint32_t i = 0; i < count; ++i) {
    bp_device_props props{};
    props.struct_size = sizeof props;
    bp_status ps = BP_ERR_INTERNAL;
    try {
      ps = api_.device_props(context_, i, &props);
    } catch (...) {
      return fail_after_init("device_props threw a C++ exception across the C ABI (the plugin must catch at its edge)");
    }
    if (ps == BP_OK) {
      props.name[sizeof props.name - 1] = '\0';
      props.capability[sizeof props.capability - 1] = '\0';
      record_->devices.push_back(props);
    } else {
      thread_plugin_error() = plugin_error{};
    }
  }
  record_->state = BP_STATE_READY;
  record_->cause = BP_CAUSE_NONE;
  return true;
}

// A plugin that broke the contract after init: shut it down (guarded: it has
// thrown once) and record why, so selection moves on to the next candidate.
bool loaded_plugin::fail_after_init(std::string why) {
  try {
    api_.shutdown(context_);
  } catch (...) {
  }
  context_ = nullptr;
  return fail_stage(BP_STAGE_INIT, BP_STATE_INIT_FAILED, BP_CAUSE_PLUGIN_ERROR, std::move(why));
}

// ---- host table callbacks --------------------------------------------------

void loaded_plugin::host_log(void* ctx, bp_log_level level, const char* message) {
  auto* block = static_cast<host_block*>(ctx);
  if (!block || !message) return;
  std::string name;
  {
    std::lock_guard<std::mutex> lock(block->mutex);
    name = block->name;
  }
  log_message(level, "plugin", name + ": " + message);
}

void loaded_plugin::host_set_error(void*, bp_status status, const char* message) {
  plugin_error& e = thread_plugin_error();
  e.status = status;
  e.message = message ? message : "";
}

void loaded_plugin::host_report_probe(void* ctx, const bp_probe_result* result) {
  auto* block = static_cast<host_block*>(ctx);
  if (!block) return;
  std::lock_guard<std::mutex> lock(block->mutex);
  loaded_plugin* self = block->owner;
  if (!self) return;
  self->probe_reported_ = true;
  // A report the core cannot read is a broken contract, never "no report" (which
  // would be taken as ready): the probe then fails naming it.
  const size_t needed = offsetof(bp_probe_result, device_count) + sizeof(uint32_t);
  if (!result || result->struct_size < needed || result->struct_size > (1u << 16)) {
    self->malformed_probe_report_ =
        !result ? "probe called report_probe with a NULL report"
                : "probe called report_probe with struct_size " + std::to_string(result->struct_size) +
                      " (a bp_probe_result is at least " + std::to_string(needed) + " bytes): its verdict cannot be read";
    return;
  }
  plugin_record& r = *self->record_;
  r.state = result->state;
  r.cause = result->cause;
  r.device_count = result->device_count;
  if (BP_HAS_MEMBER(bp_probe_result, message, result->struct_size)) r.message = safe(result->message);
  if (BP_HAS_MEMBER(bp_probe_result, remedy, result->struct_size)) r.remedy = safe(result->remedy);
  if (r.state != BP_STATE_READY && r.remedy.empty()) r.remedy = bp_cause_remedy(r.cause);
}

void loaded_plugin::host_report_dependency(void* ctx, const bp_dependency_report* dep) {
  auto* block = static_cast<host_block*>(ctx);
  if (!block) return;
  std::lock_guard<std::mutex> lock(block->mutex);
  loaded_plugin* self = block->owner;
  if (!self || !dep || dep->struct_size < offsetof(bp_dependency_report, required)) return;
  dependency_record d;
  d.cause = dep->cause;
  d.name = safe(dep->name);
  d.soname = safe(dep->soname);
  d.loaded_path = safe(dep->loaded_path);
  d.version_found = safe(dep->version_found);
  d.version_required = safe(dep->version_required);
  d.rule = safe(dep->rule);
  d.message = safe(dep->message);
  d.remedy = safe(dep->remedy);
  if (BP_HAS_MEMBER(bp_dependency_report, required, dep->struct_size)) d.required = dep->required != 0;
  for (uint32_t i = 0; dep->searched && i < dep->num_searched && i < 256; ++i) {
    const bp_search_entry& s = dep->searched[i];
    d.searched.push_back({s.origin, safe(s.directory), safe(s.result)});
  }
  self->record_->dependencies.push_back(std::move(d));
}

const char* loaded_plugin::host_get_option(void* ctx, const char* name) {
  auto* block = static_cast<host_block*>(ctx);
  if (!block) return nullptr;
  std::lock_guard<std::mutex> block_lock(block->mutex);
  loaded_plugin* self = block->owner;
  if (!self || !name) return nullptr;
  const std::string key = name;
  const std::string value = self->cfg_.plugin_setting(self->record_->name, key);  // the rule: config.cpp
  if (value.empty()) return nullptr;
  std::lock_guard<std::mutex> lock(self->options_mutex_);
  auto it = self->options_.find(key);
  if (it != self->options_.end() && *it->second == value) return it->second->c_str();
  // Every value ever returned stays alive for the plugin's lifetime (deque keeps addresses).
  self->option_store_.push_back(value);
  self->options_[key] = &self->option_store_.back();
  return self->option_store_.back().c_str();
}

}  // namespace bp::core
