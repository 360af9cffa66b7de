// backplane/dep_search_words.hpp — the words shared by the core, the plugins
// and the tool about a vendor-library search (header-only, installed with the
// core headers, nothing here crosses the ABI; the SDK re-exports it as
// backplane/sdk/dep_search_words.hpp):
//   - BACKPLANE_DEP_SEARCH: a ','-separated list of words, each turning some
//     locations off. The core checks the value (a typo is a configuration
//     error), plugins apply it; both call dep_search_mode::parse.
//   - the "fix: " clause a plugin puts at the end of a dependency's remedy:
//     the one command or variable that would make it usable. `backplane
//     doctor --fix` prints those lines (and never runs them).
#pragma once

#include <string>

namespace bp::contract {

struct dep_search_mode {
  bool python = true;  // Python environments' nvidia/*/lib wheel folders
  bool conda = true;   // conda environments' lib folders
  bool build = true;   // the toolkit folder seen at build time
  bool system = true;  // the dynamic linker's default (LD_LIBRARY_PATH, ldconfig cache, default folders)
  std::string error;   // set when the value holds a word that is not known

  static const char* known_words() { return "override_only, no_python, no_conda, no_environments"; }

  // "" = everything; override_only = only the BACKPLANE_*_PATH folders;
  // no_python / no_conda / no_environments (both) = without those extra locations.
  static dep_search_mode parse(const std::string& value) {
    dep_search_mode m;
    size_t pos = 0;
    while (pos <= value.size() && !value.empty()) {
      size_t end = value.find(',', pos);
      if (end == std::string::npos) end = value.size();
      std::string word = value.substr(pos, end - pos);
      pos = end + 1;
      const size_t b = word.find_first_not_of(" \t"), e = word.find_last_not_of(" \t");
      word = b == std::string::npos ? std::string() : word.substr(b, e - b + 1);
      if (word.empty()) {
        m.error = "BACKPLANE_DEP_SEARCH='" + value + "' has an empty item (known words: " + known_words() + ")";
        return m;
      }
      if (word == "override_only") {
        m.python = m.conda = m.build = m.system = false;
      } else if (word == "no_python") {
        m.python = false;
      } else if (word == "no_conda") {
        m.conda = false;
      } else if (word == "no_environments") {
        m.python = m.conda = false;
      } else {
        m.error = "BACKPLANE_DEP_SEARCH='" + value + "' is not a search mode: '" + word + "' is not one of " +
                  known_words() + " (unset for the default search)";
        return m;
      }
    }
    return m;
  }
  bool override_only() const { return !python && !conda && !build && !system; }
};

// The clause that ends a remedy with its one fix line ("...; fix: BACKPLANE_CUDNN_PATH=/x").
inline const char* dep_fix_marker() { return "fix: "; }

// The fix line of a remedy ("" when it has none): the text after the last "fix: ".
inline std::string dep_fix_line(const std::string& remedy) {
  const size_t at = remedy.rfind(dep_fix_marker());
  if (at == std::string::npos || (at != 0 && (at < 2 || remedy.compare(at - 2, 2, "; ") != 0))) return {};
  return remedy.substr(at + std::string(dep_fix_marker()).size());
}

// A remedy with its fix line appended.
inline std::string dep_with_fix(const std::string& remedy, const std::string& line) {
  if (line.empty()) return remedy;
  return (remedy.empty() ? std::string() : remedy + "; ") + dep_fix_marker() + line;
}

}  // namespace bp::contract
