// file_check_api.cpp — bp_plugin_file_check: the loader's ELF pre-check
// (elf_precheck in plugin_loader.cpp) for tools that open plugin files
// themselves, so there is one pre-check and not a copy per caller.
#include <cerrno>
#include <cstring>
#include <fstream>

#include "backplane/runtime.h"
#include "entry_guard.hpp"
#include "errors.hpp"
#include "plugin_loader.hpp"

static bp_status bp_plugin_file_check_unguarded(const char* path) {
  using bp::core::fail;
  if (path == nullptr || path[0] == '\0') return fail(BP_ERR_INVALID_ARGUMENT, "bp_plugin_file_check: path is NULL or empty");
  try {
    if (!std::ifstream(path, std::ios::binary)) return fail(BP_ERR_NOT_FOUND, std::string("cannot open ") + path + ": " + std::strerror(errno));
    const std::string why = bp::core::elf_precheck(path);
    if (!why.empty()) return fail(BP_ERR_INVALID_ARGUMENT, why);
  } catch (const std::exception& e) {
    return fail(BP_ERR_INTERNAL, std::string("bp_plugin_file_check: ") + e.what());
  }
  bp::core::clear_error();
  return BP_OK;
}

extern "C" BP_API bp_status bp_plugin_file_check(const char* path) {
  return bp::core::guarded("bp_plugin_file_check", [&] { return bp_plugin_file_check_unguarded(path); });
}
