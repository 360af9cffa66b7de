// child_process.hpp — run a piece of work in a forked child with a deadline.
//
// The child gets a result pipe for its answer; its stdout and stderr go to a
// second pipe that the parent keeps (the last few KiB) for the report, or
// straight to the parent's stderr. A child that dies from a signal or
// overruns the deadline is reported as such; the parent never waits longer
// than the deadline (plus the kill).
//
// Children die with the tool: each child asks the kernel for SIGKILL when its
// parent dies (PR_SET_PDEATHSIG, checked against the fork race), and while a
// child runs, SIGINT/SIGTERM/SIGHUP/SIGQUIT of the tool first kill the
// child's process group, then end the tool as the signal would have. So
// Ctrl-C or the SIGTERM of a job never leaves a hung probe behind.
#pragma once

#include <functional>
#include <string>

namespace bp::cli {

struct child_outcome {
  enum class end { exited, signalled, timed_out, spawn_failed };
  end how = end::spawn_failed;
  int exit_status = 0;      // end::exited
  int signal = 0;           // end::signalled
  double seconds = 0.0;     // wall time until the child ended or was killed
  std::string result;       // everything the child wrote to its result pipe (unless streamed)
  std::string diagnostics;  // tail of the child's stdout+stderr (when captured)
  std::string error;        // end::spawn_failed: why
};

struct child_options {
  double timeout_seconds = 10.0;  // <= 0: no deadline
  // true: the child's stdout+stderr are kept (tail) in child_outcome::diagnostics;
  // false: both go to the parent's stderr as they come (stdout never reaches ours).
  bool capture_output = true;
  // true: the child runs in its own process group, killed as a whole at the
  // deadline or when the tool is interrupted. false: it stays in the tool's
  // group (a terminal's Ctrl-C reaches it directly) and the tool passes on
  // the SIGINT/SIGTERM/SIGHUP that another process sends the tool itself,
  // then waits for the child: used when the child must finish gracefully.
  bool own_process_group = true;
  // When set, result-pipe bytes are passed here as they arrive instead of
  // being kept in child_outcome::result.
  std::function<void(const std::string&)> on_result;
};

// Exit status of a child whose work threw (EX_SOFTWARE); its message is on its stderr.
constexpr int kChildInternalError = 70;

// Writes everything to fd, retrying on EINTR/short writes. False on error.
bool write_all(int fd, const std::string& text);

// Forks; in the child calls work(result_fd) and _exit()s with its return
// value (an escaping exception is written to stderr and exits with 70).
child_outcome run_in_child(const std::function<int(int result_fd)>& work, const child_options& options);

// "SIGSEGV", "SIGABRT", ... ("signal N" when unknown).
std::string signal_name(int signal_number);

// How a child ended, for messages: "was killed by SIGSEGV (signal 11) after
// 0.12 s", "did not finish within 10 s and was killed", "ended the process
// with exit status 3 (exit() or _exit() was called)", "could not be started (fork: ...)".
std::string describe_child_end(const child_outcome& outcome, double timeout_seconds);

}  // namespace bp::cli
