// guarded_run.hpp — run a command that loads and runs plugins in the tool's
// own process (train) so that no plugin can change what the tool reports.
//
// A plugin can write to stdout, call exit(3), or _exit(0) — and no atexit
// guard can catch _exit. So the work runs in a child process (child_process.hpp,
// same process group, so a terminal's Ctrl-C reaches it and it can finish
// gracefully) whose fd 1 is pointed at stderr; the tool's results reach the
// real stdout only through tool_stdout() (tool_output.hpp), a private pipe this
// process copies to its stdout as the bytes come. The child's exit code counts
// only when the child itself says it finished (a separate completion pipe); a
// child that ended any other way — a plugin's exit/_exit, a crash — is an
// error with a message and exit status 1 (130/143 when the user interrupted it).
#pragma once

#include <functional>
#include <string>

namespace bp::cli {

// Runs `work` guarded and returns the exit code the tool should end with.
// `what` names the work in messages ("training").
int run_guarded(const std::string& what, const std::function<int()>& work);

}  // namespace bp::cli
