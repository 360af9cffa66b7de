// plugin_loader.hpp — one loaded plugin: the library (Boost.DLL), the host
// table we hand it, the table it returns (copied into a full-size, zeroed
// struct so members an older plugin lacks read as NULL), and its context.
#pragma once

#include <boost/dll/shared_library.hpp>

#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "config.hpp"
#include "records.hpp"
#include "upload_staging.hpp"

namespace bp::core {

class loaded_plugin;

// "" when `path` looks like a whole ELF object (headers and loadable segments inside
// the file), else why not; run before every dlopen of a plugin (also exposed as
// bp_plugin_file_check for the tool's isolated children).
std::string elf_precheck(const std::string& path);

// The host table handed to one plugin instance, and what its callbacks need.
// A plugin may cache the table pointer process-wide (the SDK's set_host does),
// and another runtime may keep the library loaded after this instance is
// gone, so the block outlives its loaded_plugin until the library is unmapped
// (see retire_host_block in plugin_loader.cpp). Callbacks through an orphaned
// block still log and set errors; probe reports and options read as absent.
struct host_block {
  bp_host_api table{};
  std::mutex mutex;                // guards owner and name against callbacks from other threads
  loaded_plugin* owner = nullptr;  // nullptr once the loaded_plugin is destroyed
  std::string name;                // plugin name for log lines
  std::string path;                // library file, to know when it is unmapped
};

class loaded_plugin {
 public:
  loaded_plugin(const config& cfg, plugin_record* record);
  ~loaded_plugin();
  loaded_plugin(const loaded_plugin&) = delete;
  loaded_plugin& operator=(const loaded_plugin&) = delete;

  // Stages; each fills the record (state, cause, stage, message) and returns false on failure.
  bool load(const std::string& path);
  bool probe();
  bool init();

  const bp_plugin_api& api() const { return api_; }
  void* context() const { return context_; }
  const std::string& name() const { return record_->name; }
  plugin_record& record() { return *record_; }
  bool initialised() const { return context_ != nullptr; }
  // Host-to-device copy into device memory of this plugin on its default
  // stream. CPU plugins copy synchronously; for the others the bytes are
  // staged (upload_staging.hpp) and the call returns without waiting.
  bp_status upload(void* device_dst, const void* src, uint64_t bytes);
  // Waits for the default stream, then frees the staged uploads it covered.
  bp_status synchronize();
  // The plugin's own message for the call that just failed on this thread,
  // prefixed with the plugin and call names.
  std::string take_error(const char* call, bp_status status) const;

  // Host-table callbacks (static trampolines; host_context is `this`).
  static void host_log(void* ctx, bp_log_level level, const char* message);
  static void host_set_error(void* ctx, bp_status status, const char* message);
  static void host_report_probe(void* ctx, const bp_probe_result* result);
  static void host_report_dependency(void* ctx, const bp_dependency_report* dep);
  static const char* host_get_option(void* ctx, const char* name);

 private:
  bool fail_stage(bp_stage stage, bp_plugin_state state, bp_cause cause, std::string message);
  bool fail_after_init(std::string why);
  void apply_probe_faults();

  const config& cfg_;
  plugin_record* record_;
  boost::dll::shared_library library_;
  host_block* host_;  // owned through retire_host_block, not deleted here
  bp_plugin_api api_{};
  void* context_ = nullptr;
  bool probe_reported_ = false;
  std::string malformed_probe_report_;  // why a report_probe call could not be read ("" when none)
  std::mutex options_mutex_;
  std::deque<std::string> option_store_;              // strings handed to get_option live here
  std::map<std::string, const std::string*> options_;  // latest value per key
  upload_staging staging_;  // destroyed after the destructor's shutdown (which drains the stream)
};

}  // namespace bp::core
