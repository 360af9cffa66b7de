// discovery.hpp — which plugin files to consider, in which order, and which
// to refuse before any of their code runs (safety, allowlist, disable list,
// duplicates). Order: host paths, BACKPLANE_PLUGIN_PATH, the plugins folder
// next to the core library (<libdir>/backplane/plugins — also the build
// tree's layout). The current directory is never searched implicitly.
#pragma once

#include <string>
#include <vector>

#include "config.hpp"
#include "records.hpp"

namespace bp::core {

struct discovery_result {
  std::vector<search_path_record> search_paths;
  std::vector<candidate_record> candidates;
  std::vector<std::string> to_load;          // accepted files, in search order
  std::vector<plugin_record> refused;        // refused/disabled files, as records for the report
};

discovery_result discover(const config& cfg);

// "libbackplane-openblas-cpu.so" -> "openblas-cpu"; "" if the name does not follow the pattern.
std::string plugin_name_from_file(const std::string& path);

// The name a record shows for a file before (or without) loading it: the
// plugin name from the file name, else the file name, as one printable line.
std::string plugin_record_name(const std::string& path);

// Folder of the core library itself (for the install-relative plugins folder).
std::string core_library_dir();

// Largest file the allowlist check hashes: a bigger one is refused unread, so
// a huge (or sparse) file cannot stall discovery.
constexpr unsigned long long kMaxHashedFileBytes = 256ull << 20;

// Hex SHA-256 of a regular file of at most kMaxHashedFileBytes; "" and `why`
// when it cannot be read, is not a regular file or is too large.
std::string sha256_file(const std::string& path, std::string* why);

}  // namespace bp::core
