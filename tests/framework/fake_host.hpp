// fake_host.hpp — THE fake host table of the tests (tests/framework): drives a
// plugin file directly, without the core. Records dependency reports, the
// probe verdict, log lines and error messages (the last one per thread too:
// plugins call set_error from their worker threads), and answers get_option
// from a map. Also: plugin_file (dlopen + entry symbol) and origin_text.
#pragma once

#include <dlfcn.h>

#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "backplane/abi.h"

namespace bp_test {

struct recorded_search {
  bp_search_origin origin;
  std::string directory, result;
};

struct recorded_dependency {
  bp_cause cause = BP_CAUSE_NONE;
  std::string name, soname, loaded_path, version_found, version_required, rule, message, remedy;
  std::vector<recorded_search> searched;
  bool required = false;
};

struct recorded_probe {
  bool reported = false;
  uint32_t reports = 0;  // a plugin reports once per probe
  bp_plugin_state state = BP_STATE_UNAVAILABLE;
  bp_cause cause = BP_CAUSE_NONE;
  uint32_t device_count = 0;
  std::string message, remedy;
};

class fake_host {
 public:
  fake_host() {
    api_.struct_size = sizeof(api_);
    api_.abi_major = BP_ABI_VERSION_MAJOR;
    api_.abi_minor = BP_ABI_VERSION_MINOR;
    api_.negotiated_minor = BP_ABI_VERSION_MINOR;
    api_.host_context = this;
    api_.log = [](void* c, bp_log_level, const char* m) {
      auto* h = static_cast<fake_host*>(c);
      std::lock_guard<std::mutex> lock(h->mutex_);
      h->logs.push_back(m ? m : "");
    };
    api_.set_error = [](void* c, bp_status s, const char* m) {
      auto* h = static_cast<fake_host*>(c);
      thread_error() = m ? m : "";
      std::lock_guard<std::mutex> lock(h->mutex_);
      h->last_error_status = s;
      h->last_error = m ? m : "";
    };
    api_.report_probe = [](void* c, const bp_probe_result* r) {
      auto* h = static_cast<fake_host*>(c);
      std::lock_guard<std::mutex> lock(h->mutex_);
      auto& p = h->probe;
      ++p.reports;
      if (!r) return;  // a plugin bug the tests look for: counted, never dereferenced
      p.reported = true;
      p.state = r->state, p.cause = r->cause, p.device_count = r->device_count;
      p.message = r->message ? r->message : "";
      p.remedy = r->remedy ? r->remedy : "";
    };
    api_.report_dependency = [](void* c, const bp_dependency_report* d) {
      if (!d) return;
      recorded_dependency r;
      r.cause = d->cause;
      r.name = d->name, r.soname = d->soname, r.loaded_path = d->loaded_path, r.version_found = d->version_found;
      r.version_required = d->version_required, r.rule = d->rule, r.message = d->message, r.remedy = d->remedy;
      r.required = d->required != 0;
      for (uint32_t i = 0; i < d->num_searched; ++i)
        r.searched.push_back({d->searched[i].origin, d->searched[i].directory, d->searched[i].result});
      auto* h = static_cast<fake_host*>(c);
      std::lock_guard<std::mutex> lock(h->mutex_);
      h->deps.push_back(r);
    };
    api_.get_option = [](void* c, const char* name) -> const char* {
      auto& opts = static_cast<fake_host*>(c)->options;
      auto it = opts.find(name);
      return it == opts.end() ? nullptr : it->second.c_str();
    };
  }
  fake_host(const fake_host&) = delete;
  fake_host& operator=(const fake_host&) = delete;

  const bp_host_api* api() const { return &api_; }
  // The last message set_error got on the calling thread (any fake_host).
  static std::string& thread_error() {
    static thread_local std::string message;
    return message;
  }
  // The dependency report whose soname matches, or nullptr.
  const recorded_dependency* dep(const std::string& soname) const {
    for (const auto& d : deps)
      if (d.soname == soname) return &d;
    return nullptr;
  }
  // The message the plugin attached to its last failing call ("" if none), then cleared.
  std::string take_error() {
    std::lock_guard<std::mutex> lock(mutex_);
    std::string e = last_error;
    last_error.clear();
    last_error_status = BP_OK;
    return e;
  }
  void clear() {
    deps.clear();
    probe = recorded_probe{};
    logs.clear();
    last_error.clear();
    last_error_status = BP_OK;
  }

  std::map<std::string, std::string> options;
  std::vector<recorded_dependency> deps;
  recorded_probe probe;
  std::vector<std::string> logs;
  std::string last_error;
  bp_status last_error_status = BP_OK;

 private:
  bp_host_api api_{};
  std::mutex mutex_;
};

// dlopen()s a plugin file and fetches its table through the entry symbol.
class plugin_file {
 public:
  plugin_file(const std::string& path, const bp_host_api* host) {
    handle_ = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle_) {
      const char* e = ::dlerror();
      throw std::runtime_error("dlopen(" + path + ") failed: " + (e ? e : "?"));
    }
    auto entry = reinterpret_cast<bp_plugin_entry_fn>(::dlsym(handle_, BP_PLUGIN_ENTRY_SYMBOL));
    if (!entry) throw std::runtime_error(path + " has no " BP_PLUGIN_ENTRY_SYMBOL);
    api_ = entry(host);
    if (!api_) throw std::runtime_error(path + ": entry returned NULL");
  }
  // Never dlclose'd: vendor libraries loaded by the plugin stay mapped for the process.
  const bp_plugin_api& api() const { return *api_; }

 private:
  void* handle_ = nullptr;
  const bp_plugin_api* api_ = nullptr;
};

inline const char* origin_text(bp_search_origin o) {
  switch (o) {
    case BP_ORIGIN_HOST_API: return "host";
    case BP_ORIGIN_ENV: return "env";
    case BP_ORIGIN_INSTALL: return "install";
    case BP_ORIGIN_BUILD: return "build";
    case BP_ORIGIN_SYSTEM: return "system";
    case BP_ORIGIN_FAULT: return "fault";
    default: return "?";
  }
}

}  // namespace bp_test
