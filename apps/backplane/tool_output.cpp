// tool_output.cpp — see tool_output.hpp.
#include "tool_output.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "backplane/text.hpp"

namespace bp::cli {

using json = nlohmann::json;

namespace {
std::FILE* g_results = nullptr;  // nullptr: stdout
int g_results_on_terminal = -1;  // -1: not decided yet

std::string write_failure(const char* what) {
  return std::string("cannot write ") + what + ": " + std::strerror(errno ? errno : EIO);
}
}  // namespace

json printable_json(const json& value) {
  switch (value.type()) {
    case json::value_t::string:
      return bp::printable_utf8(value.get_ref<const std::string&>());
    case json::value_t::array: {
      json out = json::array();
      for (const json& item : value) out.push_back(printable_json(item));
      return out;
    }
    case json::value_t::object: {
      json out = json::object();
      for (auto it = value.begin(); it != value.end(); ++it) out[bp::printable_utf8(it.key())] = printable_json(*it);
      return out;
    }
    default:
      return value;
  }
}

std::string json_text(const json& value, int indent) { return printable_json(value).dump(indent); }

std::FILE* tool_stdout() { return g_results ? g_results : stdout; }

void set_tool_stdout(std::FILE* stream) {
  results_on_terminal();  // decide before stdout stops being the results stream
  g_results = stream;
}

bool results_on_terminal() {
  if (g_results_on_terminal < 0) g_results_on_terminal = ::isatty(STDOUT_FILENO) == 1 ? 1 : 0;
  return g_results_on_terminal == 1;
}

void write_text(std::FILE* stream, const std::string& text) {
  const std::string shown = bp::printable_utf8(text);
  errno = 0;
  if (std::fwrite(shown.data(), 1, shown.size(), stream) != shown.size() || std::ferror(stream))
    throw output_error(write_failure(stream == stderr ? "to stderr" : "the output"));
}

void print_result(const std::string& text) { write_text(tool_stdout(), text); }

void finish_results() {
  std::FILE* stream = tool_stdout();
  errno = 0;
  const bool flushed = std::fflush(stream) == 0 && !std::ferror(stream);
  if (!flushed) throw output_error(write_failure("the output"));
  errno = 0;
  const bool closed = std::fclose(stream) == 0;
  if (stream == g_results) g_results = nullptr;
  if (!closed) throw output_error(write_failure("the output"));
}

}  // namespace bp::cli
