// backplane/sdk/library_file.hpp — is a file named like a shared library one
// at all? (header-only; used by the SDK's dependency loader).
//
// A zero-byte file, a text file or an ELF cut short inside its header is a
// damaged file (cause BP_CAUSE_DAMAGED_FILE: reinstall the package), not an
// object built for another machine (wrong_arch), whatever dlopen's message.
#pragma once

#include <sys/stat.h>

#include <cstdio>
#include <string>

namespace bp::sdk {

// Why a file named like a library cannot be one, from its bytes: "" when it
// starts like a whole ELF object (then dlopen's own message decides).
inline std::string damaged_file_problem(const std::string& path) {
  struct stat st {};
  if (path.empty() || path[0] != '/' || ::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return {};
  if (st.st_size == 0) return path + ": the file is empty (0 bytes)";
  unsigned char head[64] = {0};
  size_t got = 0;
  if (FILE* f = std::fopen(path.c_str(), "rb")) {
    got = std::fread(head, 1, sizeof head, f);
    std::fclose(f);
  }
  if (got < 4 || head[0] != 0x7f || head[1] != 'E' || head[2] != 'L' || head[3] != 'F') {
    std::string start;
    for (size_t i = 0; i < got && i < 16; ++i) {
      const unsigned char c = head[i];
      if (c >= 0x20 && c < 0x7f && c != '\\') {
        start += static_cast<char>(c);
      } else {
        static const char* hex = "0123456789abcdef";
        start += std::string("\\x") + hex[c >> 4] + hex[c & 15];
      }
    }
    return path + ": the file is not an ELF shared object (" + std::to_string(st.st_size) + " bytes, starting \"" +
           start + "\")";
  }
  const size_t header = head[4] == 2 ? 64 : 52;  // ELFCLASS64 : ELFCLASS32
  if (static_cast<size_t>(st.st_size) < header)
    return path + ": the file is truncated (" + std::to_string(st.st_size) + " bytes: no complete ELF header)";
  return {};
}

}  // namespace bp::sdk
