// file_safety.hpp — may code be loaded from this file? And what is this path?
//
// Unsafe means anyone but the owner (or root) could change the code we would
// run: the rule sudo and ssh apply. The plugin file, the target of every
// symlink on the way, and every folder above either must be owned by root or
// by the effective user and writable by no one else (no group or world write
// bit). The one exception is a folder such as /tmp: world- or group-writable
// with the sticky bit and owned by root, nobody can rename or remove what
// another user put in it.
#pragma once

#include <string>

namespace bp::core {

// "" when `path` is safe to load code from, else which file or folder breaks
// the rule and how (e.g. "/opt/p is writable by its group (gid 50)").
std::string unsafe_file_reason(const std::string& path);

// What is at `path`, said the way a report should say it: "folder",
// "regular file", "missing", "symlink loop", "FIFO", "socket", "device",
// "dangling symlink", "unreadable (Permission denied)"... Follows symlinks.
struct path_kind {
  enum kind_t { folder, regular_file, missing, other } kind = missing;
  std::string text;  // as above
};
path_kind describe_path(const std::string& path);

}  // namespace bp::core
