/*
 * backplane/abi.h — the Backplane plugin ABI (plain C99, also valid C++).
 *
 * This is the ONLY header a plugin needs. It defines:
 *   - fixed-width status, cause, dtype and device codes;
 *   - the tensor descriptor (bp_tensor, layout-identical to DLPack's DLTensor);
 *   - op descriptors (op kind + versioned attribute struct + tensors);
 *   - the host table the core hands to a plugin (bp_host_api);
 *   - the function table a plugin returns (bp_plugin_api);
 *   - the single entry symbol every plugin exports (BP_PLUGIN_ENTRY_SYMBOL).
 *
 * Stability rules (see docs/abi.md for the full reference and changelog):
 *   - Every struct that crosses the boundary (except bp_tensor, which is
 *     frozen exactly like DLPack's DLTensor) starts with `uint32_t struct_size`
 *     and only ever grows at its end. Readers use BP_HAS_MEMBER() before
 *     touching a member that a peer built against an older header may lack.
 *   - Enum values are never renumbered or reused; new values are appended.
 *   - Function tables are append-only; members added in a minor version are
 *     OPTIONAL (may be NULL) so older peers keep working.
 *   - No C++ type, exception or allocator crosses this boundary. Strings
 *     passed across are NUL-terminated UTF-8, valid only for the call unless
 *     the member's comment says otherwise.
 */
#ifndef BACKPLANE_ABI_H
#define BACKPLANE_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Versioning                                                               */
/* ------------------------------------------------------------------------ */

/*
 * BP_ABI_VERSION_MAJOR — bump when an existing member is removed, reordered,
 *   retyped or its meaning changes, or a new REQUIRED table member appears.
 *   The core refuses a plugin whose major differs, naming both versions.
 * BP_ABI_VERSION_MINOR — bump when something is appended: a struct member,
 *   an optional table member, an enum value, an op kind or an attribute
 *   field. Plugins and cores of the same major but different minor load each
 *   other; both use min(core minor, plugin minor) as the negotiated minor.
 * Every bump gets an entry in docs/abi.md ("Changelog") and a new abidiff
 * baseline.
 */
#define BP_ABI_VERSION_MAJOR 1
#define BP_ABI_VERSION_MINOR 1

/* Name of the one C symbol every plugin exports (type bp_plugin_entry_fn). */
#define BP_PLUGIN_ENTRY_SYMBOL "bp_plugin_get_api"

/* True when a struct of reported size `size` contains `member` in full. */
#define BP_HAS_MEMBER(type, member, size) \
  ((size_t)(size) >= offsetof(type, member) + sizeof(((type*)0)->member))

#if defined(_WIN32)
#define BP_PLUGIN_EXPORT __declspec(dllexport)
#else
#define BP_PLUGIN_EXPORT __attribute__((visibility("default")))
#endif

/* ------------------------------------------------------------------------ */
/* Status and cause codes                                                   */
/* ------------------------------------------------------------------------ */

/* Every ABI call returns a bp_status; BP_OK is 0. A readable message
 * travels with every non-OK status (host: bp_last_error_message();
 * plugin: bp_host_api.set_error). */
typedef int32_t bp_status;
enum {
  BP_OK = 0,
  BP_ERR_INVALID_ARGUMENT = 1, /* bad shape, dtype, null pointer, struct_size */
  BP_ERR_UNSUPPORTED = 2,      /* valid request this backend does not implement */
  BP_ERR_OUT_OF_MEMORY = 3,    /* host or device allocation failed */
  BP_ERR_DEVICE = 4,           /* vendor/runtime failure while executing */
  BP_ERR_UNAVAILABLE = 5,      /* backend cannot serve (probe/init failed) */
  BP_ERR_INTERNAL = 6,         /* a bug; message says where */
  BP_ERR_ABI_MISMATCH = 7,     /* incompatible ABI major or struct layout */
  BP_ERR_NOT_FOUND = 8,        /* no such plugin, device, file */
  BP_ERR_POLICY = 9            /* refused by policy (BACKPLANE_FALLBACK=error) */
};

/* Stable cause codes for why a plugin or a dependency cannot serve.
 * Their string names (bp_cause_name) are part of the JSON schema. */
typedef int32_t bp_cause;
enum {
  BP_CAUSE_NONE = 0,
  BP_CAUSE_NOT_FOUND = 1,           /* library/file not found in any searched folder */
  BP_CAUSE_MISSING_DEPENDENCY = 2,  /* found, but one of ITS dependencies is missing */
  BP_CAUSE_VERSION_MISMATCH = 3,    /* found, version violates the rule */
  BP_CAUSE_SYMBOL_MISSING = 4,      /* found, a required symbol is absent */
  BP_CAUSE_DRIVER_MISSING = 5,      /* GPU driver library absent */
  BP_CAUSE_DRIVER_TOO_OLD = 6,      /* driver older than the runtime needs */
  BP_CAUSE_NO_DEVICE = 7,           /* driver fine, zero usable devices */
  BP_CAUSE_OUT_OF_MEMORY = 8,       /* allocation failed during init */
  BP_CAUSE_INIT_FAILED = 9,         /* any other initialisation failure */
  BP_CAUSE_WRONG_ARCH = 10,         /* object built for another machine */
  BP_CAUSE_NOT_A_PLUGIN = 11,       /* not a shared object, or no entry symbol */
  BP_CAUSE_ABI_MISMATCH = 12,       /* ABI major differs / table malformed */
  BP_CAUSE_PROBE_CRASHED = 13,      /* probe died with a signal (isolated probe) */
  BP_CAUSE_PROBE_TIMEOUT = 14,      /* probe did not finish in time */
  BP_CAUSE_DISABLED = 15,           /* disabled by BACKPLANE_DISABLE / host */
  BP_CAUSE_UNSAFE_FILE = 16,        /* writable by others, relative path, ... */
  BP_CAUSE_NOT_ALLOWLISTED = 17,    /* allowlist present and file not pinned */
  BP_CAUSE_DUPLICATE = 18,          /* same plugin already loaded from elsewhere */
  BP_CAUSE_FAULT_INJECTED = 19,     /* reserved: fault injection marker */
  BP_CAUSE_PLUGIN_ERROR = 20,       /* plugin call threw / returned an error */
  BP_CAUSE_DAMAGED_FILE = 21,       /* file empty, truncated or not a shared object */
  BP_CAUSE_COUNT_                   /* not a cause; one past the last */
};

/* ------------------------------------------------------------------------ */
/* Tensors (layout-identical to DLPack's DLTensor; frozen)                   */
/* ------------------------------------------------------------------------ */

/* Same values as DLPack's DLDataTypeCode. */
enum { BP_DTYPE_INT = 0, BP_DTYPE_UINT = 1, BP_DTYPE_FLOAT = 2, BP_DTYPE_BFLOAT = 4 };
/* Same values as DLPack's DLDeviceType. */
enum { BP_DEVICE_CPU = 1, BP_DEVICE_CUDA = 2, BP_DEVICE_CUDA_HOST = 3 };

typedef struct bp_dtype {
  uint8_t code;   /* BP_DTYPE_* */
  uint8_t bits;   /* 32 for float32/int32 */
  uint16_t lanes; /* 1 */
} bp_dtype;

typedef struct bp_device {
  int32_t device_type; /* BP_DEVICE_* */
  int32_t device_id;   /* ordinal within the plugin */
} bp_device;

/* A view of memory. Same field order, types and meaning as DLTensor, so a
 * DLTensor* can be passed where a bp_tensor* is expected and vice versa. */
typedef struct bp_tensor {
  void* data;           /* base pointer (device pointer for GPU memory) */
  bp_device device;     /* where data lives */
  int32_t ndim;         /* number of dimensions, 0..BP_MAX_DIMS */
  bp_dtype dtype;       /* element type */
  int64_t* shape;       /* ndim extents, each >= 0 */
  int64_t* strides;     /* ndim strides in ELEMENTS, or NULL = compact row-major */
  uint64_t byte_offset; /* added to data before indexing */
} bp_tensor;
/* The same struct under a name that says what it is (since 1.1; bp_tensor
 * stays): a DLTensor-layout view that owns nothing. Not to be confused with
 * the host API's bp_tensor_t / bp_tensor_handle (runtime.h), an owning handle. */
typedef bp_tensor bp_dltensor;

#define BP_MAX_DIMS 8

/* ------------------------------------------------------------------------ */
/* Op set v1 (append-only). Tensor order for each kind is fixed here.       */
/* NHWC means (N, H, W, C); its filter is OHWI (K, R, S, C).                */
/* NCHW means (N, C, H, W); its filter is OIHW (K, C, R, S).                */
/* All float tensors are float32 unless a plugin says otherwise.            */
/* ------------------------------------------------------------------------ */
typedef int32_t bp_op_kind;
enum {
  BP_OP_INVALID = 0,
  BP_OP_CONV2D_FWD = 1,        /* in: x, w [, bias(K)] ; out: y. attrs bp_conv2d_attrs (fused bias + activation allowed) */
  BP_OP_CONV2D_BWD_DATA = 2,   /* in: dy, w ; out: dx. attrs bp_conv2d_attrs */
  BP_OP_CONV2D_BWD_FILTER = 3, /* in: x, dy ; out: dw. attrs bp_conv2d_attrs */
  BP_OP_BIAS_ADD = 4,          /* in: x, b(C) ; out: y (may alias x). attrs bp_layout_attrs */
  BP_OP_BIAS_GRAD = 5,         /* in: dy ; out: db(C) = sum over all but channel. attrs bp_layout_attrs */
  BP_OP_ACTIVATION_FWD = 6,    /* in: x ; out: y. attrs bp_activation_attrs */
  BP_OP_ACTIVATION_BWD = 7,    /* in: y, dy ; out: dx (uses the forward OUTPUT y). attrs bp_activation_attrs */
  BP_OP_POOL2D_FWD = 8,        /* in: x ; out: y. attrs bp_pool2d_attrs */
  BP_OP_POOL2D_BWD = 9,        /* in: x, y, dy ; out: dx. attrs bp_pool2d_attrs */
  BP_OP_GEMM = 10,             /* in: a, b ; out: c = alpha*op(a)*op(b) + beta*c. attrs bp_gemm_attrs */
  BP_OP_SOFTMAX = 11,          /* in: x(N,C) ; out: y, over the last axis. attrs bp_softmax_attrs */
  BP_OP_SOFTMAX_BWD = 12,      /* in: y, dy ; out: dx. attrs bp_softmax_attrs */
  BP_OP_SOFTMAX_XENT_FWD = 13, /* in: logits(N,C), labels(N, int32) ; out: loss(scalar or (1)), probs(N,C). attrs bp_xent_attrs */
  BP_OP_SOFTMAX_XENT_BWD = 14, /* in: probs(N,C), labels(N, int32) ; out: dlogits(N,C). attrs bp_xent_attrs */
  BP_OP_ADAM_UPDATE = 15,      /* in: grad ; out: param, m, v (updated in place). attrs bp_adam_attrs */
  BP_OP_SGD_UPDATE = 16,       /* in: grad ; out: param [, velocity]. attrs bp_sgd_attrs */
  BP_OP_ADD = 17,              /* in: a, b ; out: c = a + b (same shape) */
  BP_OP_SUB = 18,              /* in: a, b ; out: c = a - b */
  BP_OP_MUL = 19,              /* in: a, b ; out: c = a * b */
  BP_OP_SCALE = 20,            /* in: x ; out: y = alpha * x. attrs bp_scalar_attrs */
  BP_OP_FILL = 21,             /* out: y = value. attrs bp_scalar_attrs */
  BP_OP_COPY = 22,             /* in: x ; out: y (any strides, same shape and dtype) */
  BP_OP_REDUCE = 23,           /* in: x ; out: y. attrs bp_reduce_attrs */
  BP_OP_ARGMAX = 24,           /* in: x(N,C) ; out: idx(N, int32), over the last axis */
  BP_OP_KIND_COUNT_            /* not an op; one past the last */
};

typedef int32_t bp_layout;
enum { BP_LAYOUT_NHWC = 0, BP_LAYOUT_NCHW = 1 };

typedef int32_t bp_padding;
enum {
  BP_PADDING_VALID = 0,   /* no padding */
  BP_PADDING_SAME = 1,    /* TF/Keras SAME: out = ceil(in/stride), extra pad at bottom/right */
  BP_PADDING_EXPLICIT = 2 /* pad_* members used */
};

typedef int32_t bp_activation;
enum { BP_ACTIVATION_NONE = 0, BP_ACTIVATION_RELU = 1, BP_ACTIVATION_SIGMOID = 2, BP_ACTIVATION_TANH = 3 };

typedef int32_t bp_pool_mode;
enum {
  BP_POOL_MAX = 0,
  BP_POOL_AVG = 1 /* average over the in-bounds elements of the window (Keras) */
};

typedef int32_t bp_reduce_mode;
enum { BP_REDUCE_SUM = 0, BP_REDUCE_MEAN = 1 };

typedef struct bp_conv2d_attrs {
  uint32_t struct_size;
  bp_layout layout;
  int32_t stride_h, stride_w;   /* >= 1 */
  int32_t dilation_h, dilation_w; /* >= 1 */
  bp_padding padding;
  int32_t pad_top, pad_bottom, pad_left, pad_right; /* BP_PADDING_EXPLICIT only */
  bp_activation activation;     /* CONV2D_FWD only: fused after bias */
} bp_conv2d_attrs;

typedef struct bp_layout_attrs {
  uint32_t struct_size;
  bp_layout layout; /* channel axis: last for NHWC (and any rank), 1 for NCHW */
} bp_layout_attrs;

typedef struct bp_activation_attrs {
  uint32_t struct_size;
  bp_activation activation;
} bp_activation_attrs;

typedef struct bp_pool2d_attrs {
  uint32_t struct_size;
  bp_layout layout;
  bp_pool_mode mode;
  int32_t window_h, window_w;
  int32_t stride_h, stride_w;
  bp_padding padding;
  int32_t pad_top, pad_bottom, pad_left, pad_right;
} bp_pool2d_attrs;

typedef struct bp_gemm_attrs {
  uint32_t struct_size;
  int32_t trans_a; /* 0 or 1 */
  int32_t trans_b; /* 0 or 1 */
  float alpha;
  float beta; /* 0 => c is write-only (its old contents may be NaN) */
} bp_gemm_attrs;

typedef struct bp_softmax_attrs {
  uint32_t struct_size;
  int32_t log; /* 1 => log-softmax */
} bp_softmax_attrs;

typedef struct bp_xent_attrs {
  uint32_t struct_size;
  bp_reduce_mode reduction; /* MEAN (Keras default) or SUM over the batch */
} bp_xent_attrs;

/* Keras Adam: lr_t = lr*sqrt(1-b2^t)/(1-b1^t); m = b1*m+(1-b1)*g;
 * v = b2*v+(1-b2)*g^2; p -= lr_t*m/(sqrt(v)+epsilon). Keras defaults:
 * lr 0.001, beta1 0.9, beta2 0.999, epsilon 1e-7. step is t, starting at 1. */
typedef struct bp_adam_attrs {
  uint32_t struct_size;
  float lr, beta1, beta2, epsilon;
  int64_t step;
} bp_adam_attrs;

/* v = momentum*v - lr*g; p += v (nesterov: p += momentum*v - lr*g).
 * momentum 0 => p -= lr*g and no velocity tensor is needed. */
typedef struct bp_sgd_attrs {
  uint32_t struct_size;
  float lr, momentum;
  int32_t nesterov;
} bp_sgd_attrs;

typedef struct bp_scalar_attrs {
  uint32_t struct_size;
  float value; /* SCALE: alpha; FILL: value */
} bp_scalar_attrs;

typedef struct bp_reduce_attrs {
  uint32_t struct_size;
  bp_reduce_mode mode;
  int32_t axis; /* -1 => all axes (out has one element); else that axis, which out has extent 1 or drops */
} bp_reduce_attrs;

/* One op invocation. attrs points at the attribute struct for `kind`
 * (its struct_size says which version); NULL for kinds without attributes. */
typedef struct bp_op_desc {
  uint32_t struct_size;
  bp_op_kind kind;
  const void* attrs;
  const bp_tensor* inputs;
  const bp_tensor* outputs;
  uint32_t num_inputs;
  uint32_t num_outputs;
  const void* next; /* extension chain; NULL in v1 */
} bp_op_desc;

/* ------------------------------------------------------------------------ */
/* Devices, streams, memory                                                  */
/* ------------------------------------------------------------------------ */

typedef int32_t bp_device_kind;
enum { BP_DEVICE_KIND_CPU = 0, BP_DEVICE_KIND_GPU = 1, BP_DEVICE_KIND_OTHER = 2 };

typedef struct bp_device_props {
  uint32_t struct_size;
  bp_device_kind kind;
  bp_device device;          /* DLPack device this plugin's memory uses */
  char name[128];            /* "NVIDIA H100 80GB HBM3", "AMD Ryzen ... (2 threads)" */
  char capability[128];      /* vendor-specific: "sm_90", "avx512f avx2 fma" */
  uint64_t memory_total;     /* bytes; 0 = unknown */
  uint64_t memory_free;      /* bytes; 0 = unknown */
  int32_t compute_major;     /* GPU compute capability, else 0 */
  int32_t compute_minor;
  int32_t driver_version;    /* e.g. CUDA driver 13000; 0 if n/a */
  int32_t runtime_version;   /* e.g. CUDA runtime 13000; 0 if n/a */
  int32_t threads;           /* CPU worker threads; 0 if n/a */
  int32_t reserved_;
} bp_device_props;

/* Opaque ordering handle; NULL means the device's default stream. */
typedef struct bp_stream_s* bp_stream_t;

typedef int32_t bp_memcpy_kind;
enum {
  BP_MEMCPY_HOST_TO_DEVICE = 0,
  BP_MEMCPY_DEVICE_TO_HOST = 1,
  BP_MEMCPY_DEVICE_TO_DEVICE = 2
};

/* ------------------------------------------------------------------------ */
/* Probe reports (plugin -> host, through bp_host_api callbacks)             */
/* ------------------------------------------------------------------------ */

typedef int32_t bp_plugin_state;
enum {
  BP_STATE_READY = 0,
  BP_STATE_NO_DEVICE = 1,
  BP_STATE_UNAVAILABLE = 2, /* a dependency is missing/incompatible */
  BP_STATE_LOAD_FAILED = 3, /* core-side: file could not be loaded */
  BP_STATE_INCOMPATIBLE = 4,/* core-side: ABI mismatch */
  BP_STATE_INIT_FAILED = 5,
  BP_STATE_DISABLED = 6,
  BP_STATE_REFUSED = 7,     /* core-side: unsafe file, not allowlisted, duplicate */
  BP_STATE_PROBE_CRASHED = 8,
  BP_STATE_PROBE_TIMEOUT = 9
};

/* Where a searched folder came from. */
typedef int32_t bp_search_origin;
enum {
  BP_ORIGIN_HOST_API = 0,  /* given by the host application */
  BP_ORIGIN_ENV = 1,       /* a BACKPLANE_* environment variable */
  BP_ORIGIN_INSTALL = 2,   /* relative to the core/plugin install */
  BP_ORIGIN_BUILD = 3,     /* build tree / compile-time toolkit path */
  BP_ORIGIN_SYSTEM = 4,    /* dynamic linker default (ld.so.cache, LD_LIBRARY_PATH) */
  BP_ORIGIN_FAULT = 5      /* synthesised by fault injection */
};

typedef struct bp_search_entry {
  uint32_t struct_size;
  bp_search_origin origin;
  const char* directory; /* "" for the linker's default search */
  const char* result;    /* what happened there: "not present", "loaded", dlerror text */
} bp_search_entry;

/* One vendor dependency of a plugin, as the plugin's probe saw it. */
typedef struct bp_dependency_report {
  uint32_t struct_size;
  bp_cause cause;             /* BP_CAUSE_NONE when usable */
  const char* name;           /* "cuDNN", "CUDA driver" */
  const char* soname;         /* "libcudnn.so.9" */
  const char* loaded_path;    /* realpath actually loaded, or "" */
  const char* version_found;  /* "9.19.0", or "" */
  const char* version_required; /* "9.x, minor >= 19" */
  const char* rule;           /* the compatibility rule applied, in words */
  const char* message;        /* verbatim loader error or verdict */
  const char* remedy;         /* one line: what to do */
  const bp_search_entry* searched;
  uint32_t num_searched;
  int32_t required;           /* 1 if the plugin cannot serve without it */
} bp_dependency_report;

/* The plugin's overall verdict from probe(). */
typedef struct bp_probe_result {
  uint32_t struct_size;
  bp_plugin_state state;      /* READY, NO_DEVICE, UNAVAILABLE, INIT_FAILED */
  bp_cause cause;
  uint32_t device_count;
  const char* message;        /* one line in words */
  const char* remedy;         /* one line: what to do */
} bp_probe_result;

/* ------------------------------------------------------------------------ */
/* Host table: what the core offers a plugin. The plugin never links core    */
/* symbols; it calls the core only through this table.                       */
/* ------------------------------------------------------------------------ */

typedef int32_t bp_log_level;
enum { BP_LOG_ERROR = 0, BP_LOG_WARN = 1, BP_LOG_INFO = 2, BP_LOG_DEBUG = 3 };

typedef struct bp_host_api {
  uint32_t struct_size;
  uint32_t abi_major;       /* the core's major */
  uint32_t abi_minor;       /* the core's minor */
  uint32_t negotiated_minor;/* min(core, plugin); set before probe/init */
  void* host_context;       /* pass back as the first argument of every call */
  /* Log a line under the plugin's name (thread-safe). */
  void (*log)(void* host_context, bp_log_level level, const char* message);
  /* Attach a message to the status the current call is about to return
   * (thread-local to the calling thread; the last one wins). */
  void (*set_error)(void* host_context, bp_status status, const char* message);
  /* Record the overall probe verdict (call once per probe). */
  void (*report_probe)(void* host_context, const bp_probe_result* result);
  /* Record one dependency of the plugin (call once per dependency). */
  void (*report_dependency)(void* host_context, const bp_dependency_report* dep);
  /* Read a setting by name: "fault" (the BACKPLANE_FAULT clauses for this
   * plugin, ';'-separated, or NULL), "CUDNN_PATH", "CUDA_PATH",
   * "GPU_MEMORY_LIMIT", ... (= BACKPLANE_<NAME> or a host override).
   * Returns NULL when unset; the string lives as long as the plugin. */
  const char* (*get_option)(void* host_context, const char* name);
} bp_host_api;

/* ------------------------------------------------------------------------ */
/* Plugin table: what a plugin offers the core. Returned by the entry       */
/* symbol; must stay valid until the library is unloaded.                    */
/* Threading: probe/init/shutdown are called once, serialised by the core.  */
/* Every other member must be safe to call from several threads at once     */
/* (streams are externally synchronised: one thread per stream at a time).  */
/* ------------------------------------------------------------------------ */

typedef struct bp_plugin_api {
  uint32_t struct_size;       /* sizeof(bp_plugin_api) the plugin was built with */
  uint32_t abi_major;         /* BP_ABI_VERSION_MAJOR the plugin was built with */
  uint32_t abi_minor;         /* BP_ABI_VERSION_MINOR the plugin was built with */
  int32_t priority;           /* higher is preferred; GPU plugins ~100, CPU ~10 */
  const char* name;           /* unique short name: "cudnn", "openblas-cpu" */
  const char* version;        /* plugin's own semver */
  const char* description;    /* one line */
  bp_device_kind device_kind; /* kind of devices it serves */

  /* Check whether the plugin can serve, WITHOUT allocating device resources.
   * Reports through host->report_probe and host->report_dependency.
   * Returns BP_OK even when the answer is "cannot serve"; returns
   * BP_ERR_INVALID_ARGUMENT (with a message naming the setting) when a setting
   * it reads through get_option is malformed: the core then refuses to start,
   * as for any configuration error, instead of falling back (since ABI 1.1;
   * from a 1.0 plugin any error is a plugin_error and the core falls back). */
  bp_status (*probe)(const bp_host_api* host);
  /* Initialise; on success *context is passed to every call below. */
  bp_status (*init)(const bp_host_api* host, void** context);
  /* Release everything init created. */
  void (*shutdown)(void* context);

  /* Number of devices (>= 1 after a successful init). */
  bp_status (*device_count)(void* context, uint32_t* count);
  /* Properties of device `index`; props->struct_size is set by the caller. */
  bp_status (*device_props)(void* context, uint32_t index, bp_device_props* props);

  /* Allocate `bytes` (>= 0; 0 gives a unique non-NULL pointer or NULL) on a device, 64-byte aligned. */
  bp_status (*mem_alloc)(void* context, uint32_t device, uint64_t bytes, void** ptr);
  /* Free memory from mem_alloc (NULL is a no-op). */
  bp_status (*mem_free)(void* context, uint32_t device, void* ptr);
  /* Copy `bytes`; ordered on `stream`. Host pointers are ordinary memory. */
  bp_status (*mem_copy)(void* context, uint32_t device, bp_stream_t stream, void* dst, const void* src,
                        uint64_t bytes, bp_memcpy_kind kind);

  /* Create/destroy an ordering handle (optional: NULL => default stream only). */
  bp_status (*stream_create)(void* context, uint32_t device, bp_stream_t* stream);
  bp_status (*stream_destroy)(void* context, uint32_t device, bp_stream_t stream);
  /* Wait until all work queued on `stream` (NULL: default) has finished. */
  bp_status (*stream_synchronize)(void* context, uint32_t device, bp_stream_t stream);

  /* Capability query. Tensor data pointers may be NULL. Returns BP_OK if
   * execute() would accept `op`, else BP_ERR_UNSUPPORTED (or
   * BP_ERR_INVALID_ARGUMENT) with a reason written to reason[0..reason_size). */
  bp_status (*op_supports)(void* context, uint32_t device, const bp_op_desc* op, char* reason,
                           uint64_t reason_size);
  /* Run `op` on `stream`. The core has validated shapes and dtypes. */
  bp_status (*op_execute)(void* context, uint32_t device, bp_stream_t stream, const bp_op_desc* op);
} bp_plugin_api;

/* The one exported symbol: `const bp_plugin_api* bp_plugin_get_api(const bp_host_api*)`.
 * Must not allocate device resources or throw; may return NULL on failure
 * after host->set_error(). */
typedef const bp_plugin_api* (*bp_plugin_entry_fn)(const bp_host_api* host);

/* ------------------------------------------------------------------------ */
/* Layout pins: these offsets are ABI. Compiled as C11/C++11 static asserts. */
/* ------------------------------------------------------------------------ */
#if defined(__cplusplus)
#define BP_STATIC_ASSERT(c, m) static_assert(c, m)
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define BP_STATIC_ASSERT(c, m) _Static_assert(c, m)
#else
/* C99: redeclaring the same extern array is legal; a false condition makes its size negative. */
#define BP_STATIC_ASSERT(c, m) extern char bp_static_assert_c99[(c) ? 1 : -1]
#endif
#if UINTPTR_MAX == 0xffffffffffffffffu
BP_STATIC_ASSERT(sizeof(bp_tensor) == 48, "bp_tensor must match DLTensor");
BP_STATIC_ASSERT(offsetof(bp_tensor, ndim) == 16, "bp_tensor.ndim");
BP_STATIC_ASSERT(offsetof(bp_tensor, shape) == 24, "bp_tensor.shape");
BP_STATIC_ASSERT(offsetof(bp_tensor, byte_offset) == 40, "bp_tensor.byte_offset");
BP_STATIC_ASSERT(offsetof(bp_op_desc, inputs) == 16, "bp_op_desc.inputs");
BP_STATIC_ASSERT(offsetof(bp_op_desc, next) == 40, "bp_op_desc.next");
BP_STATIC_ASSERT(sizeof(bp_op_desc) == 48, "bp_op_desc size");
BP_STATIC_ASSERT(offsetof(bp_host_api, host_context) == 16, "bp_host_api.host_context");
BP_STATIC_ASSERT(offsetof(bp_host_api, get_option) == 56, "bp_host_api.get_option");
BP_STATIC_ASSERT(sizeof(bp_host_api) == 64, "bp_host_api size v1.0");
BP_STATIC_ASSERT(offsetof(bp_plugin_api, name) == 16, "bp_plugin_api.name");
BP_STATIC_ASSERT(offsetof(bp_plugin_api, probe) == 48, "bp_plugin_api.probe");
BP_STATIC_ASSERT(offsetof(bp_plugin_api, op_execute) == 144, "bp_plugin_api.op_execute");
BP_STATIC_ASSERT(sizeof(bp_plugin_api) == 152, "bp_plugin_api size v1.0");
BP_STATIC_ASSERT(sizeof(bp_device_props) == 312, "bp_device_props size v1.0");
BP_STATIC_ASSERT(sizeof(bp_conv2d_attrs) == 48, "bp_conv2d_attrs size v1.0");
BP_STATIC_ASSERT(sizeof(bp_pool2d_attrs) == 48, "bp_pool2d_attrs size v1.0");
BP_STATIC_ASSERT(sizeof(bp_adam_attrs) == 32, "bp_adam_attrs size v1.0");
BP_STATIC_ASSERT(sizeof(bp_dependency_report) == 88, "bp_dependency_report size v1.0");
#endif

#ifdef __cplusplus
} /* extern "C" */
#endif
#endif /* BACKPLANE_ABI_H */
