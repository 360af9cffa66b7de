// soak_runner — N soak cycles over the plugin files given on the command
// line, for running under valgrind (memcheck): `soak_runner CYCLES PLUGIN...`.
// Exit 0 when every cycle succeeded; valgrind's --error-exitcode reports leaks
// and invalid accesses.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "soak_cycle.hpp"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s CYCLES PLUGIN_FILE_OR_DIR...\n", argv[0]);
    return 2;
  }
  const int cycles = std::atoi(argv[1]);
  std::vector<const char*> paths(argv + 2, argv + argc);
  bp_runtime_options o;
  bp_runtime_options_init(&o);
  o.plugin_paths = paths.data();
  o.num_plugin_paths = static_cast<uint32_t>(paths.size());
  o.use_environment = 1;  // BACKPLANE_CPU_THREADS=1 keeps valgrind from serialising spinning workers
  o.explicit_paths_only = 1;
  o.fallback = BP_FALLBACK_ALLOW;
  for (int i = 0; i < cycles; ++i) {
    std::string err = rel::soak_cycle(o, i);
    if (!err.empty()) {
      std::fprintf(stderr, "soak_runner: cycle %d: %s\n", i, err.c_str());
      return 1;
    }
  }
  std::printf("soak_runner: %d cycles over %zu plugin path(s) OK\n", cycles, paths.size());
  std::printf("bp-test: ran=%d skipped=0\n", cycles);  // read by scripts/check-test-counts.py
  return 0;
}
