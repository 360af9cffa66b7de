/*
 * backplane/runtime.h — the host-facing C API of the Backplane core library
 * (libbackplane). Host applications use this (or the C++ layer in
 * backplane/backplane.hpp); plugins never do.
 *
 * Every function returns a bp_status (or a value with a documented "invalid"
 * sentinel) and never throws. After a non-OK status,
 * bp_last_error_message() on the same thread returns a readable message
 * naming the plugin and call that produced it.
 *
 * Threading: all functions are thread-safe. A runtime may be used from any
 * thread, and from several at once; tensors may be shared between threads
 * as long as one thread does not destroy a tensor another is using.
 */
#ifndef BACKPLANE_RUNTIME_H
#define BACKPLANE_RUNTIME_H

#include "backplane/abi.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define BP_API __declspec(dllexport)
#else
#define BP_API __attribute__((visibility("default")))
#endif

typedef struct bp_runtime_s* bp_runtime_t; /* a loaded, selected backend */
typedef struct bp_tensor_s* bp_tensor_t;   /* an owning tensor on the runtime's device */
/* The same handle under a name that says what it is (since 1.1; bp_tensor_t
 * stays): an owning tensor, NOT a bp_tensor / bp_dltensor view of memory.
 * bp_tensor_view(handle) gives its view. */
typedef struct bp_tensor_s* bp_tensor_handle;

/* ---- versions and errors ------------------------------------------------ */

/* The core's ABI version (BP_ABI_VERSION_MAJOR/MINOR it was built with). */
BP_API void bp_abi_version(uint32_t* major, uint32_t* minor);
/* The library's release version string, e.g. "0.1.0". */
BP_API const char* bp_version_string(void);
/* Message of the last failed call on this thread ("" if none). Valid until
 * the next failing call on this thread. */
BP_API const char* bp_last_error_message(void);
/* Status of the last failed call on this thread (BP_OK if none). */
BP_API bp_status bp_last_error_status(void);
/* Stable names: "invalid_argument", "not_found" (cause), "ready" (state), "CONV2D_FWD"... */
BP_API const char* bp_status_name(bp_status status);
BP_API const char* bp_cause_name(bp_cause cause);
BP_API const char* bp_state_name(bp_plugin_state state);
BP_API const char* bp_op_kind_name(bp_op_kind kind);
/* One-line remedy for a cause code (generic; plugins may give a better one). */
BP_API const char* bp_cause_remedy(bp_cause cause);

/* ---- events and policy ---------------------------------------------------- */

typedef int32_t bp_fallback_policy;
enum {
  BP_FALLBACK_DEFAULT = -1, /* BACKPLANE_FALLBACK, else WARN */
  BP_FALLBACK_ALLOW = 0,    /* fall back; record it; print nothing */
  BP_FALLBACK_WARN = 1,     /* fall back; print one line per fallback to stderr */
  BP_FALLBACK_ERROR = 2     /* refuse: runtime creation / the op fails with the report */
};

typedef int32_t bp_event_kind;
enum {
  BP_EVENT_BACKEND_FALLBACK = 0, /* the preferred backend could not serve; another was selected */
  BP_EVENT_OP_FALLBACK = 1,      /* one op kind ran on the CPU fallback (first time per kind/reason) */
  BP_EVENT_RUNTIME_FAILURE = 2   /* an op failed on the selected backend after selection */
};

/* Where in loading a plugin failed. */
typedef int32_t bp_stage;
enum {
  BP_STAGE_DISCOVER = 0,
  BP_STAGE_LOAD = 1,
  BP_STAGE_ABI = 2,
  BP_STAGE_PROBE = 3,
  BP_STAGE_INIT = 4,
  BP_STAGE_EXECUTE = 5,
  BP_STAGE_POLICY = 6
};

typedef struct bp_event {
  uint32_t struct_size;
  bp_event_kind kind;
  const char* plugin;    /* the plugin that could not serve */
  const char* selected;  /* what runs instead ("" if nothing) */
  bp_stage stage;
  bp_cause cause;
  bp_op_kind op;         /* OP_FALLBACK / RUNTIME_FAILURE: the op kind */
  const char* message;   /* why, in words */
  const char* remedy;    /* what to do */
} bp_event;

/* Called synchronously on the thread that caused the event; strings valid
 * only during the call. Must not call back into the same runtime. */
typedef void (*bp_event_callback)(void* user_data, const bp_event* event);

/* ---- runtime ---------------------------------------------------------------- */

typedef struct bp_runtime_options {
  uint32_t struct_size;
  /* Folders or plugin files searched first (origin "host_api"). */
  const char* const* plugin_paths;
  uint32_t num_plugin_paths;
  /* Ordered comma-separated preference, e.g. "cudnn,openblas-cpu"; NULL =>
   * BACKPLANE_BACKEND, else by priority (GPU first). Only listed plugins are
   * candidates when given. */
  const char* backends;
  /* Comma-separated plugin names never to load (added to BACKPLANE_DISABLE). */
  const char* disable;
  bp_fallback_policy fallback;
  /* 0 => ignore every BACKPLANE_* variable (hermetic host apps, tests). */
  int32_t use_environment;
  /* Per-op fallback to the CPU plugin for ops the backend declines (default 1). */
  int32_t op_fallback;
  /* Receives fallback events, including those raised during creation. */
  bp_event_callback on_event;
  void* user_data;
  /* Fault-injection spec (same syntax as BACKPLANE_FAULT), added to the env's. */
  const char* fault;
  /* Skip the plugin folder next to the core library (only explicit paths). */
  int32_t explicit_paths_only;
  /* Plugin settings set by the host (since ABI 1.1): `num_plugin_settings`
   * strings "NAME=value", NAME as a plugin asks get_option for it (letters,
   * digits, '_'; without "BACKPLANE_"), e.g. "GPU_MEMORY_LIMIT=2G",
   * "CUDNN_PATH=/opt/cudnn/lib", "CPU_THREADS=4". A plugin's get_option
   * answers from these first, then from BACKPLANE_<NAME> when
   * use_environment is set (in secure mode never a setting that names a
   * location). A name given twice, a missing '=', or "fault" (use `fault`)
   * makes bp_runtime_create fail with BP_ERR_INVALID_ARGUMENT. Each runtime
   * answers its own plugins from its own settings. */
  const char* const* plugin_settings;
  uint32_t num_plugin_settings;
} bp_runtime_options;

/* Fill defaults: struct_size set, fallback DEFAULT, use_environment 1,
 * op_fallback 1. bp_runtime_options_init(&o) is a macro that passes the
 * caller's sizeof, so the core never writes past a struct compiled against an
 * older header (the struct grows by appended members). The function of the same
 * name is the 1.0 entry point kept for hosts built before 1.1: it fills the
 * 1.0 members only. */
BP_API void bp_runtime_options_init_sized(bp_runtime_options* options, size_t struct_size);
BP_API void bp_runtime_options_init(bp_runtime_options* options);
#define bp_runtime_options_init(options) bp_runtime_options_init_sized((options), sizeof *(options))

/* Discover, load, probe and select a backend. On BP_FALLBACK_ERROR with a
 * fallback, or when nothing is usable, fails with BP_ERR_UNAVAILABLE /
 * BP_ERR_POLICY and the message holds the full report. options may be NULL. */
BP_API bp_status bp_runtime_create(const bp_runtime_options* options, bp_runtime_t* runtime);
/* After bp_runtime_create failed on this thread because no backend could
 * serve (BP_ERR_UNAVAILABLE) or policy forbade the fallback (BP_ERR_POLICY):
 * the full report of that attempt, as bp_runtime_report_json would have
 * given it ("selected": null, "verdict": "nothing_usable" or the policy
 * refusal). BP_ERR_NOT_FOUND when the last creation on this thread did not
 * get that far. Same buffer protocol as bp_runtime_report_json. */
BP_API bp_status bp_last_failure_report_json(char* buffer, uint64_t size, uint64_t* needed);
/* Destroys the runtime. Tensors of this runtime must be destroyed first
 * (remaining ones are freed and reported as leaked at BP_LOG_WARN). */
BP_API void bp_runtime_destroy(bp_runtime_t runtime);

/* Name of the selected backend ("" if none). Valid for the runtime's life. */
BP_API const char* bp_runtime_backend(bp_runtime_t runtime);
/* Properties of the selected device. */
BP_API bp_status bp_runtime_device_props(bp_runtime_t runtime, bp_device_props* props);
/* Wait for all queued work on the runtime's device. */
BP_API bp_status bp_runtime_synchronize(bp_runtime_t runtime);

typedef struct bp_plugin_info {
  uint32_t struct_size;
  const char* name;       /* plugin name, or the file name if it never loaded */
  const char* path;       /* file */
  const char* version;
  bp_plugin_state state;
  bp_cause cause;
  bp_stage stage;         /* where it failed (if it did) */
  const char* message;
  const char* remedy;
  int32_t priority;
  bp_device_kind device_kind;
  uint32_t device_count;
  int32_t selected;       /* 1 for the selected backend */
  uint32_t abi_major, abi_minor;
} bp_plugin_info;

/* Every candidate the discovery saw, in decision order. Strings valid for the runtime's life. */
BP_API uint32_t bp_runtime_plugin_count(bp_runtime_t runtime);
BP_API bp_status bp_runtime_plugin_info(bp_runtime_t runtime, uint32_t index, bp_plugin_info* info);

/* Fallback events recorded so far (backend and op fallbacks). */
BP_API uint32_t bp_runtime_event_count(bp_runtime_t runtime);
BP_API bp_status bp_runtime_event(bp_runtime_t runtime, uint32_t index, bp_event* event);

/* The full structured report (discovery, per-plugin probe and dependency
 * reports, environment, selection, events, placement) as JSON with a
 * "schema_version". Writes at most size bytes including the NUL; *needed
 * gets the full size. buffer may be NULL to query the size. */
BP_API bp_status bp_runtime_report_json(bp_runtime_t runtime, char* buffer, uint64_t size, uint64_t* needed);

/* Discovery only: which search paths and plugin files a runtime created with
 * `options` would consider, and the decision about each file that can be made
 * WITHOUT loading it (refused as unsafe, not allowlisted, disabled, duplicate).
 * No plugin code runs. JSON object {"schema_version", "discovery":
 * {"search_paths", "candidates"}, "refused": [plugin records]}; same buffer
 * protocol as bp_runtime_report_json. Tools use it to probe each accepted file
 * in an isolated child process. */
BP_API bp_status bp_discover_json(const bp_runtime_options* options, char* buffer, uint64_t size, uint64_t* needed);

/* The core's selection applied to plugin records gathered elsewhere (since
 * ABI 1.1; a tool that probes each plugin file in its own child process
 * merges the children's "plugins" entries into one report, in discovery
 * order, and asks the core to decide). `report` is a report JSON object (the
 * schema of bp_runtime_report_json); with the configuration of `options` plus
 * the environment, exactly as bp_runtime_create reads them, the core applies
 * its rules once more: disabled plugins, the duplicate rule across files (the
 * first file providing a name wins; its later copies become "refused" /
 * "duplicate", and so does their discovery candidate), the candidate order,
 * a "not_found" entry for each listed backend no file provides, the preferred
 * backend, the selected one (the first candidate whose state is "ready"), the
 * backend_fallback events and the verdict ("ready", "fell_back",
 * "nothing_usable"). "policy" and "environment" are replaced by the core's;
 * every other key is kept. BP_ERR_INVALID_ARGUMENT when `report` is not such
 * an object, or the configuration is refused (as bp_runtime_create would).
 * Same buffer protocol as bp_runtime_report_json. */
BP_API bp_status bp_select_report_json(const bp_runtime_options* options, const char* report, char* buffer,
                                       uint64_t size, uint64_t* needed);

/* The core's check of a plugin file before it is loaded, without loading it:
 * BP_OK when the file is a whole ELF object (its headers and loadable
 * segments lie inside the file); else BP_ERR_NOT_FOUND (cannot open) or
 * BP_ERR_INVALID_ARGUMENT (not ELF, truncated, corrupt) with the exact
 * problem in bp_last_error_message(). dlopen of a truncated file can fault
 * (SIGBUS) inside the dynamic linker: a tool that opens plugin files itself
 * (the backplane tool's isolated probes) calls this first. */
BP_API bp_status bp_plugin_file_check(const char* path);

typedef struct bp_placement_stats {
  uint32_t struct_size;
  uint32_t reserved_;
  uint64_t ops_on_backend;  /* ops executed by the selected backend */
  uint64_t ops_on_fallback; /* ops executed by the CPU fallback plugin */
  uint64_t bytes_moved;     /* bytes copied to/from the fallback */
} bp_placement_stats;
BP_API bp_status bp_runtime_placement(bp_runtime_t runtime, bp_placement_stats* stats);

/* ---- tensors ---------------------------------------------------------------- */

/* Allocate a compact tensor on the runtime's device (contents undefined). */
BP_API bp_status bp_tensor_create(bp_runtime_t runtime, bp_dtype dtype, int32_t ndim, const int64_t* shape,
                                  bp_tensor_t* tensor);
/* NULL is a no-op. */
BP_API void bp_tensor_destroy(bp_tensor_t tensor);
/* Copy host memory in/out; bytes must equal the tensor's size.
 * write returns as soon as src may be reused; the copy is ordered before every
 * later op and read of this runtime (on a GPU it may still be in flight, so
 * call bp_runtime_synchronize before other code reads the device memory
 * directly, e.g. through DLPack). read returns when dst holds the data. */
BP_API bp_status bp_tensor_write(bp_tensor_t tensor, const void* src, uint64_t bytes);
BP_API bp_status bp_tensor_read(bp_tensor_t tensor, void* dst, uint64_t bytes);
/* The DLTensor-compatible view (valid while the tensor lives); NULL for an invalid handle. */
BP_API const bp_tensor* bp_tensor_view(bp_tensor_t tensor);
/* Size in bytes; 0 for an invalid handle. */
BP_API uint64_t bp_tensor_nbytes(bp_tensor_t tensor);
/* Change the shape in place without moving data (e.g. Flatten); the element
 * count must stay the same. */
BP_API bp_status bp_tensor_reshape(bp_tensor_t tensor, int32_t ndim, const int64_t* shape);

/* Called once when an imported tensor is destroyed (memory was never ours). */
typedef void (*bp_external_deleter)(void* context);

/* Zero-copy import of memory the host owns (e.g. a DLPack tensor): `view`
 * must be compact (strides NULL or row-major), on the runtime's device type
 * (CPU memory for a CPU backend, CUDA memory for a CUDA backend), and stay
 * valid until the returned tensor is destroyed, which calls
 * deleter(deleter_context) (deleter may be NULL). Fails with
 * BP_ERR_UNSUPPORTED when the memory is not directly usable (another device
 * type): copy it in with bp_tensor_create + bp_tensor_write instead. */
BP_API bp_status bp_tensor_import(bp_runtime_t runtime, const bp_tensor* view, bp_external_deleter deleter,
                                  void* deleter_context, bp_tensor_t* tensor);

/* ---- ops -------------------------------------------------------------------- */

/* Validate, place and run one op. Tensors must belong to `runtime`.
 * If the backend declines the op and op_fallback is on, it runs on the CPU
 * plugin (tensors are moved and moved back), an event is raised once per
 * op kind, and placement counters are updated. */
BP_API bp_status bp_op_run(bp_runtime_t runtime, bp_op_kind kind, const void* attrs, const bp_tensor_t* inputs,
                           uint32_t num_inputs, const bp_tensor_t* outputs, uint32_t num_outputs);
/* Ask the selected backend whether it runs this op itself (BP_OK) or not
 * (BP_ERR_UNSUPPORTED, reason written). Does not execute. */
BP_API bp_status bp_op_supported(bp_runtime_t runtime, bp_op_kind kind, const void* attrs,
                                 const bp_tensor_t* inputs, uint32_t num_inputs, const bp_tensor_t* outputs,
                                 uint32_t num_outputs, char* reason, uint64_t reason_size);

#ifdef __cplusplus
}
#endif
#endif /* BACKPLANE_RUNTIME_H */
