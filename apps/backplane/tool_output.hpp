// tool_output.hpp — the tool's own output (results on stdout, messages on
// stderr). Three rules live here and nowhere else:
//   * every string the tool prints or serialises is valid UTF-8 whatever its
//     bytes (environment values, file names, names a plugin declares):
//     bp::printable_utf8 (backplane/text.hpp) shows a foreign byte as `\xNN`;
//   * results go to tool_stdout(), which is the process's stdout, or inside a
//     guarded child (guarded_run.hpp) a private pipe to the parent, so a
//     plugin writing to fd 1 cannot corrupt machine-read output;
//   * a failed write (full disk, closed pipe) is an error with a message and
//     exit status 1, never a silent success.
#pragma once

#include <cstdio>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace bp::cli {

// Writing the results failed (ENOSPC, EPIPE...). main() prints it and exits 1.
struct output_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A copy of `value` whose strings and object keys are printable UTF-8.
nlohmann::json printable_json(const nlohmann::json& value);
// printable_json(value).dump(indent): never throws on foreign bytes.
std::string json_text(const nlohmann::json& value, int indent = -1);

// Where results go (stdout unless redirected by a guarded child).
std::FILE* tool_stdout();
void set_tool_stdout(std::FILE* stream);
// True when the results reach a terminal (decided once, before any redirection).
bool results_on_terminal();

// Writes printable text to `stream`; throws output_error when the write fails.
void write_text(std::FILE* stream, const std::string& text);
// write_text(tool_stdout(), text).
void print_result(const std::string& text);
// Flushes and closes the results stream, throwing output_error on any failure
// (called by main() once the command is done, so a late ENOSPC still counts).
void finish_results();

}  // namespace bp::cli
