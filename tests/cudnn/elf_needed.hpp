// elf_needed.hpp — reads the DT_NEEDED entries of a 64-bit ELF shared object
// from its section headers (.dynamic and the string table it links to), so
// the test does not depend on readelf being installed.
#pragma once

#include <elf.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

namespace bp_test {

inline std::vector<std::string> elf_needed(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  const std::vector<char> file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (file.size() < sizeof(Elf64_Ehdr) || std::memcmp(file.data(), ELFMAG, SELFMAG) != 0 ||
      file[EI_CLASS] != ELFCLASS64)
    throw std::runtime_error(path + " is not a 64-bit ELF file");
  Elf64_Ehdr eh;
  std::memcpy(&eh, file.data(), sizeof eh);
  auto section = [&](size_t i) {
    Elf64_Shdr sh;
    const size_t off = eh.e_shoff + i * eh.e_shentsize;
    if (off + sizeof sh > file.size()) throw std::runtime_error(path + ": section header out of range");
    std::memcpy(&sh, file.data() + off, sizeof sh);
    return sh;
  };
  std::vector<std::string> needed;
  for (size_t i = 0; i < eh.e_shnum; ++i) {
    const Elf64_Shdr dyn = section(i);
    if (dyn.sh_type != SHT_DYNAMIC) continue;
    const Elf64_Shdr strtab = section(dyn.sh_link);
    for (size_t off = dyn.sh_offset; off + sizeof(Elf64_Dyn) <= dyn.sh_offset + dyn.sh_size; off += sizeof(Elf64_Dyn)) {
      Elf64_Dyn d;
      std::memcpy(&d, file.data() + off, sizeof d);
      if (d.d_tag == DT_NULL) break;
      if (d.d_tag != DT_NEEDED) continue;
      const size_t name = strtab.sh_offset + d.d_un.d_val;
      if (name >= file.size()) throw std::runtime_error(path + ": DT_NEEDED name out of range");
      needed.emplace_back(file.data() + name);
    }
  }
  return needed;
}

}  // namespace bp_test
