// discovery_fuzzer — plugin discovery and loading over generated folders of
// odd files. Each input describes up to 8 entries (regular files with given
// bytes, empty files, copies and truncated copies of real plugins, copies of
// the fake-plugin zoo, foreign-arch ELF headers, symlinks - to entries,
// dangling, to themselves -, folders, FIFOs) with names (mostly matching
// libbackplane-*.so, colliding on purpose) and permissions (unreadable,
// world-writable file or folder). The folder is created in a fresh temp dir
// and bp_runtime_create runs with plugin_paths = that dir (sometimes also an
// entry file or a relative path) and explicit_paths_only = 1.
// Invariants: no crash, status OK or UNAVAILABLE with a message, every
// plugin record readable, the JSON report available, no fd left open.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "backplane/runtime.h"
#include "fuzz_input.hpp"

namespace fs = std::filesystem;

namespace {

[[noreturn]] void violated(const char* what, const std::string& detail) {
  std::fprintf(stderr, "discovery_fuzzer: invariant violated: %s: %s\n", what, detail.c_str());
  std::abort();
}

std::vector<char> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<char>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

const std::vector<char>& openblas_bytes() {
  static const std::vector<char> b = read_bytes(BACKPLANE_OPENBLAS_PLUGIN);
  return b;
}

// Fakes that fail in every way short of crashing on purpose (crash/hang/abort
// fakes are excluded: killing the host is their documented job).
const char* const kFakes[] = {"cpu",         "gpu",        "gpu_unavailable", "gpu_no_device", "gpu_init_fails",
                              "gpu_init_throws", "no_entry", "null_table",      "missing_required", "wrong_major",
                              "newer_minor", "older_minor", "dup_a"};

const std::vector<char>& fake_bytes(size_t which) {
  static std::vector<std::vector<char>> cache(sizeof kFakes / sizeof *kFakes);
  std::vector<char>& b = cache[which];
  if (b.empty()) {
#ifdef BACKPLANE_FAKES_DIR
    for (auto& e : fs::directory_iterator(std::string(BACKPLANE_FAKES_DIR) + "/" + kFakes[which]))
      if (e.path().extension() == ".so") b = read_bytes(e.path().string());
#endif
    if (b.empty()) b = openblas_bytes();
  }
  return b;
}

std::string random_part(fuzz::input& in) {
  std::string r;
  for (uint32_t n = 1 + in.below(6); n > 0; --n) r += "abcxyz-_.0"[in.below(10)];
  return r;
}

std::string pick_name(fuzz::input& in) {
  static const char* const names[] = {"openblas-cpu", "cudnn", "x", "fakecpu", "fakegpu", "a.b", "dupe", "UPPER"};
  const uint8_t sel = in.byte();
  switch (sel % 8) {
    case 0: case 1: case 2: case 3: return std::string("libbackplane-") + names[(sel >> 3) % 8] + ".so";
    case 4: return "libbackplane-" + random_part(in) + ".so";
    case 5: return random_part(in);
    case 6: return (sel & 0x80) ? "libbackplane-.so" : "libbackplane-" + random_part(in) + ".so.1";
    default: return (sel & 0x80) ? ".libbackplane-h.so" : "libbackplane-sp ace.so";
  }
}

void write_file(const std::string& path, const char* data, size_t size) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data, std::streamsize(size));
}

void remove_all(const std::string& root) {
  std::error_code ec;
  // Make everything removable again (unreadable files, read-only folders).
  for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_symlink()) ::chmod(it->path().c_str(), 0700);
  }
  fs::remove_all(root, ec);
}

int open_fds() {
  int n = 0;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (dirent* e = readdir(d)) n += e->d_name[0] != '.';
    closedir(d);
  }
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::input in(data, size);
  const char* tmp = std::getenv("TMPDIR");
  std::string root = std::string(tmp && *tmp ? tmp : "/tmp") + "/bp-discovery-fuzz-XXXXXX";
  if (!mkdtemp(root.data())) violated("setup", "mkdtemp failed");
  std::vector<std::string> made;
  const uint32_t entries = in.below(9);
  for (uint32_t i = 0; i < entries; ++i) {
    const uint8_t type = in.byte();
    const uint8_t mode = in.byte();
    std::string path = root + "/" + pick_name(in);
    std::error_code ec;
    if (fs::exists(fs::symlink_status(path, ec))) continue;  // name taken: keep the first
    switch (type % 12) {
      case 0: {
        std::string bytes;
        for (uint32_t n = in.below(64); n > 0 && !in.empty(); --n) bytes += char(in.byte());
        write_file(path, bytes.data(), bytes.size());
        break;
      }
      case 1: write_file(path, "", 0); break;
      case 2: write_file(path, openblas_bytes().data(), openblas_bytes().size()); break;
      case 3: {  // a partial copy: an interrupted install
        const auto& b = openblas_bytes();
        const size_t cut = b.size() * (in.byte() + 1u) / 257u;
        write_file(path, b.data(), cut);
        break;
      }
      case 4:
        if (!made.empty()) fs::create_symlink(made[in.below(uint32_t(made.size()))], path, ec);
        break;
      case 5: fs::create_symlink(root + "/does-not-exist.so", path, ec); break;
      case 6: fs::create_symlink(path, path, ec); break;
      case 7: fs::create_directory(path, ec); break;
      case 8: {
        const auto& b = fake_bytes(in.below(sizeof kFakes / sizeof *kFakes));
        write_file(path, b.data(), b.size());
        break;
      }
      case 9: {  // a foreign-architecture ELF header (EM_AARCH64, ELFCLASS64)
        char hdr[64] = {0x7f, 'E', 'L', 'F', 2, 1, 1};
        hdr[16] = 3;     // ET_DYN
        hdr[18] = 0xb7;  // EM_AARCH64
        write_file(path, hdr, sizeof hdr);
        break;
      }
      case 10: ::mkfifo(path.c_str(), 0600); break;
      default: write_file(path, openblas_bytes().data(), std::min<size_t>(64, openblas_bytes().size())); break;
    }
    if (mode & 1) ::chmod(path.c_str(), 0);
    if (mode & 2) ::chmod(path.c_str(), 0666);
    made.push_back(path);
  }
  const uint8_t path_sel = in.byte();
  if (path_sel & 1) ::chmod(root.c_str(), 0777);  // a world-writable plugin folder
  std::vector<std::string> paths{root};
  if ((path_sel & 2) && !made.empty()) paths.push_back(made[(path_sel >> 4) % made.size()]);
  if (path_sel & 4) paths.push_back("relative/plugins");
  if (path_sel & 8) paths.push_back(root);  // the same folder twice
  std::vector<const char*> ptrs;
  for (auto& p : paths) ptrs.push_back(p.c_str());

  const int fds_before = open_fds();
  bp_runtime_options o;
  bp_runtime_options_init(&o);
  o.plugin_paths = ptrs.data();
  o.num_plugin_paths = uint32_t(ptrs.size());
  o.use_environment = 0;
  o.explicit_paths_only = 1;
  o.fallback = BP_FALLBACK_ALLOW;
  bp_runtime_t rt = nullptr;
  const bp_status s = bp_runtime_create(&o, &rt);
  if (s != BP_OK && s != BP_ERR_UNAVAILABLE)
    violated("bp_runtime_create status", std::to_string(s) + ": " + bp_last_error_message());
  if (s != BP_OK && std::string(bp_last_error_message()).empty()) violated("bp_runtime_create", "failure without a message");
  if (s == BP_OK) {
    if (std::string(bp_runtime_backend(rt)).empty()) violated("selected backend", "empty name");
    for (uint32_t i = 0, n = bp_runtime_plugin_count(rt); i < n; ++i) {
      bp_plugin_info info{};
      info.struct_size = sizeof info;
      if (bp_runtime_plugin_info(rt, i, &info) != BP_OK || !info.name || !info.path || !info.message)
        violated("plugin info", bp_last_error_message());
    }
    uint64_t needed = 0;
    if (bp_runtime_report_json(rt, nullptr, 0, &needed) != BP_OK || needed < 2) violated("report", bp_last_error_message());
    bp_runtime_destroy(rt);
  }
  const int fds_after = open_fds();
  if (fds_after != fds_before)
    violated("file descriptors", std::to_string(fds_before) + " before, " + std::to_string(fds_after) + " after");
  remove_all(root);
  return 0;
}
