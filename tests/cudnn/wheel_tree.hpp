// wheel_tree.hpp — folder trees shaped like what users have (a virtual
// environment with pip's nvidia-* wheels, a conda environment), built in a
// temporary folder from the emulated CUDA stack or the fake vendor libraries,
// and an environment that sees only them (VIRTUAL_ENV, CONDA_PREFIX, PATH,
// HOME). Used by dep_search_test.cpp.
#pragma once

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <fstream>
#include <string>
#include <vector>

#include "doctest/doctest.h"

namespace bp_test::wheels {

inline void make_dirs(const std::string& path) {
  for (size_t pos = 1; pos <= path.size(); ++pos)
    if (pos == path.size() || path[pos] == '/') ::mkdir(path.substr(0, pos).c_str(), 0755);
}

inline void write_file(const std::string& path, const std::string& text, mode_t mode = 0644) {
  make_dirs(path.substr(0, path.find_last_of('/')));
  std::ofstream(path, std::ios::binary) << text;
  ::chmod(path.c_str(), mode);
}

inline void copy_file(const std::string& from, const std::string& to) {
  std::ifstream in(from, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "cannot read " << from);
  make_dirs(to.substr(0, to.find_last_of('/')));
  std::ofstream out(to, std::ios::binary);
  out << in.rdbuf();
  REQUIRE(out.good());
}

struct tree {
  std::string root;
  tree() {
    char tmpl[] = "/tmp/bp-wheels-XXXXXX";
    const char* d = ::mkdtemp(tmpl);
    REQUIRE(d != nullptr);
    root = d;
  }
  ~tree() {  // the libraries stay mapped: removing their files is fine on Linux
    ::nftw(root.c_str(), [](const char* p, const struct stat*, int, FTW*) { return ::remove(p); }, 16,
           FTW_DEPTH | FTW_PHYS);
  }
  tree(const tree&) = delete;
  tree& operator=(const tree&) = delete;
  // <prefix>: a venv (pyvenv.cfg, bin/python3) with an empty site-packages.
  std::string venv(const std::string& name) const {
    const std::string prefix = root + "/" + name;
    write_file(prefix + "/pyvenv.cfg", "home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.12.3\n");
    write_file(prefix + "/bin/python3", "#!/bin/sh\nexit 1\n", 0755);
    make_dirs(site(prefix));
    return prefix;
  }
  static std::string site(const std::string& prefix) { return prefix + "/lib/python3.12/site-packages"; }
  // Installs a wheel-shaped package: site/nvidia/<dir>/lib/<files from `from`>,
  // and <dist>.dist-info/RECORD listing them, as pip does.
  static std::string wheel(const std::string& prefix, const std::string& dir, const std::string& dist,
                           const std::string& from, const std::vector<std::string>& files,
                           const std::vector<std::string>& names = {}) {
    const std::string lib = site(prefix) + "/nvidia/" + dir + "/lib";
    std::string record;
    for (size_t i = 0; i < files.size(); ++i) {
      const std::string name = i < names.size() ? names[i] : files[i];
      copy_file(from + "/" + files[i], lib + "/" + name);
      record += "nvidia/" + dir + "/lib/" + name + ",sha256=x,1\n";
    }
    write_file(site(prefix) + "/" + dist + ".dist-info/RECORD", record + dist + ".dist-info/RECORD,,\n");
    return lib;
  }
  // A conda environment: conda-meta/ and lib/ with `files` copied from `from`.
  std::string conda(const std::string& name, const std::string& from, const std::vector<std::string>& files) const {
    const std::string prefix = root + "/" + name;
    make_dirs(prefix + "/conda-meta");
    for (const std::string& f : files) copy_file(from + "/" + f, prefix + "/lib/" + f);
    return prefix;
  }
  // Only what the test builds is seen: no VIRTUAL_ENV/CONDA_PREFIX, PATH and HOME inside the tree.
  void hermetic_environment() const {
    ::unsetenv("VIRTUAL_ENV");
    ::unsetenv("CONDA_PREFIX");
    ::unsetenv("BACKPLANE_SECURE_MODE");
    ::setenv("PATH", (root + "/no-bin").c_str(), 1);
    ::setenv("HOME", (root + "/home").c_str(), 1);
  }
};

// The emulated stack's cuDNN and cuBLAS files (tests/cudnn/emulator).
inline std::vector<std::string> emu_cudnn_files() {
  return {"libcudnn.so.9", "libcudnn_graph.so.9", "libcudnn_engines_precompiled.so.9", "libcudnn_ops.so.9",
          "libcudnn_cnn.so.9"};
}
inline std::vector<std::string> emu_cublas_files() { return {"libcublas.so.13", "libcublasLt.so.13"}; }

}  // namespace bp_test::wheels
