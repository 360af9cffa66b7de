// file_safety.cpp — the unsafe-file rule (see file_safety.hpp) and path kinds.
#include "file_safety.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>
#include <vector>

namespace fs = std::filesystem;

namespace bp::core {
namespace {

// Who besides the owner (or root) may change `path`? "" when nobody.
std::string others_may_change(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return path + " cannot be checked (" + std::strerror(errno) + ")";
  const uid_t me = ::geteuid();
  if (st.st_uid != 0 && st.st_uid != me)
    return path + " is owned by uid " + std::to_string(st.st_uid) + ", neither root nor this process's user (uid " +
           std::to_string(me) + ")";
  // A sticky folder owned by root (like /tmp): others may add entries, but not
  // rename or remove ours.
  if (S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX) && st.st_uid == 0) return "";
  if (st.st_mode & S_IWOTH) return path + " is writable by every user";
  if (st.st_mode & S_IWGRP) return path + " is writable by its group (gid " + std::to_string(st.st_gid) + ")";
  return "";
}

// `path` and every folder above it, nearest first.
void add_with_folders_above(const fs::path& path, std::vector<std::string>* out) {
  for (fs::path p = path;; p = p.parent_path()) {
    out->push_back(p.string());
    if (p == p.root_path() || p.empty()) break;
  }
}

}  // namespace

std::string unsafe_file_reason(const std::string& path) {
  std::vector<std::string> to_check;
  std::error_code ec;
  // Each hop of a symlink chain: the folders holding a link could swap it.
  fs::path hop = fs::absolute(path, ec).lexically_normal();
  for (int hops = 0; hops < 40; ++hops) {
    add_with_folders_above(hop.parent_path(), &to_check);
    if (!fs::is_symlink(hop, ec)) break;
    fs::path target = fs::read_symlink(hop, ec);
    if (ec) break;
    hop = (target.is_absolute() ? target : hop.parent_path() / target).lexically_normal();
  }
  // The file itself and the real folders above it.
  fs::path real = fs::canonical(path, ec);
  if (ec) return path + " cannot be resolved (" + ec.message() + ")";
  std::vector<std::string> real_chain;
  add_with_folders_above(real, &real_chain);
  to_check.insert(to_check.begin(), real_chain.begin(), real_chain.end());
  std::set<std::string> checked;
  for (const std::string& p : to_check) {
    if (!checked.insert(p).second) continue;
    if (std::string why = others_may_change(p); !why.empty()) return why;
  }
  return "";
}

path_kind describe_path(const std::string& path) {
  path_kind k;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    const int err = errno;
    struct stat link {};
    k.kind = path_kind::missing;
    if (err == ELOOP) k.text = "symlink loop", k.kind = path_kind::other;
    else if (err == ENOENT && ::lstat(path.c_str(), &link) == 0 && S_ISLNK(link.st_mode)) k.text = "dangling symlink";
    else if (err == ENOENT) k.text = "missing";
    else if (err == ENOTDIR) k.text = "missing (a component of the path is not a folder)";
    else if (err == EACCES)
      k.text = "cannot be examined (Permission denied: a folder above it cannot be searched)", k.kind = path_kind::other;
    else k.text = std::string("cannot be examined (") + std::strerror(err) + ")", k.kind = path_kind::other;
    return k;
  }
  if (S_ISDIR(st.st_mode)) k.kind = path_kind::folder, k.text = "folder";
  else if (S_ISREG(st.st_mode)) k.kind = path_kind::regular_file, k.text = "regular file";
  else {
    k.kind = path_kind::other;
    k.text = S_ISFIFO(st.st_mode) ? "FIFO (named pipe)" : S_ISSOCK(st.st_mode) ? "socket"
             : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "device file" : "not a regular file";
  }
  return k;
}

}  // namespace bp::core
