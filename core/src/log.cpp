// log.cpp — level/category filter and a single locked writer to stderr.
#include "log.hpp"

#include <atomic>
#include <cstdio>
#include <mutex>

#include "backplane/text.hpp"
#include "config.hpp"

namespace bp::core {
namespace {
std::atomic<int> g_level{BP_LOG_WARN};
std::atomic<unsigned> g_categories{~0u};
std::mutex g_write_mutex;
const char* const category_names[] = {"loader", "plugin", "dependency", "op"};

unsigned category_bit(const char* name) {
  for (unsigned i = 0; i < sizeof(category_names) / sizeof(*category_names); ++i)
    if (std::string(name) == category_names[i]) return 1u << i;
  return 0;
}
const char* level_name(bp_log_level level) {
  switch (level) {
    case BP_LOG_ERROR: return "error";
    case BP_LOG_WARN: return "warning";
    case BP_LOG_INFO: return "info";
    default: return "debug";
  }
}
}  // namespace

bool configure_logging(const std::string& spec, std::string* why) {
  int level = BP_LOG_WARN;
  unsigned cats = 0;
  for (const std::string& item : split_list(spec, ",")) {
    if (item == "error") level = BP_LOG_ERROR;
    else if (item == "warn" || item == "warning") level = BP_LOG_WARN;
    else if (item == "info") level = BP_LOG_INFO;
    else if (item == "debug" || item == "all") level = BP_LOG_DEBUG;
    else if (unsigned bit = category_bit(item.c_str())) cats |= bit;
    else {
      *why = "BACKPLANE_LOG='" + spec + "': unknown item '" + item +
             "' (levels: error, warn, info, debug, all; categories: loader, plugin, dependency, op)";
      return false;
    }
  }
  g_level = level;
  g_categories = cats ? cats : ~0u;
  return true;
}

bool log_enabled(bp_log_level level, const char* category) {
  if (level > g_level.load()) return false;
  unsigned bit = category_bit(category);
  return level <= BP_LOG_WARN || bit == 0 || (g_categories.load() & bit);
}

void log_message(bp_log_level level, const char* category, const std::string& message) {
  if (!log_enabled(level, category)) return;
  std::lock_guard<std::mutex> lock(g_write_mutex);
  std::fprintf(stderr, "backplane: %s: [%s] %s\n", level_name(level), category, printable_utf8(message).c_str());
}

}  // namespace bp::core
