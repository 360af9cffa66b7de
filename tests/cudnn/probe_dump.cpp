// probe_dump — runs the cudnn plugin's probe through a fake host and prints
// every dependency report and the verdict. Options: NAME=VALUE arguments are
// handed to the plugin as host options (CUDA_PATH, CUDNN_PATH, DEP_SEARCH, fault).
#include <cstdio>
#include <cstring>

#include "fake_host.hpp"

int main(int argc, char** argv) {
  bp_test::fake_host host;
  for (int i = 1; i < argc; ++i) {
    const char* eq = std::strchr(argv[i], '=');
    if (!eq) {
      std::fprintf(stderr, "usage: %s [NAME=VALUE]...\n", argv[0]);
      return 2;
    }
    host.options[std::string(argv[i], size_t(eq - argv[i]))] = eq + 1;
  }
  try {
    bp_test::plugin_file plugin(BP_CUDNN_PLUGIN_PATH, host.api());
    bp_status s = plugin.api().probe(host.api());
    for (const auto& d : host.deps) {
      std::printf("dependency %s (%s)%s: %s\n", d.name.c_str(), d.soname.c_str(), d.required ? "" : " [optional]",
                  d.cause == BP_CAUSE_NONE ? "ok" : "FAILED");
      std::printf("  cause %d; found '%s'; required '%s'\n  loaded: %s\n  message: %s\n", int(d.cause),
                  d.version_found.c_str(), d.version_required.c_str(), d.loaded_path.c_str(), d.message.c_str());
      if (!d.remedy.empty()) std::printf("  remedy: %s\n", d.remedy.c_str());
      for (const auto& e : d.searched)
        std::printf("  searched [%s] %s: %s\n", bp_test::origin_text(e.origin),
                    e.directory.empty() ? "<dynamic linker default>" : e.directory.c_str(), e.result.c_str());
    }
    std::printf("verdict: state %d cause %d devices %u\n  message: %s\n  remedy: %s\n", int(host.probe.state),
                int(host.probe.cause), host.probe.device_count, host.probe.message.c_str(), host.probe.remedy.c_str());
    return s == BP_OK && host.probe.reported ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "probe_dump: %s\n", e.what());
    return 1;
  }
}
