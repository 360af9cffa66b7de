// child_process.hpp — run a piece of work in a forked child with a deadline.
//
// The child gets a result pipe for its answer; its stdout and stderr go to a
// second pipe that the parent keeps (the last few KiB) for the report. A child
// that dies from a signal or overruns the deadline is reported as such; the
// parent never waits longer than the deadline (plus the kill).
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
  std::string result;       // everything the child wrote to its result pipe
  std::string diagnostics;  // tail of the child's stdout+stderr
  std::string error;        // end::spawn_failed: why
};

// Writes everything to fd, retrying on EINTR/short writes. False on error.
bool write_all(int fd, const std::string& text);

// Forks; in the child calls work(result_fd) and _exit()s with its return
// value (an escaping exception is written to stderr and exits with 70).
// The child runs in its own process group so a timeout kills its helpers too.
child_outcome run_in_child(const std::function<int(int result_fd)>& work, double timeout_seconds);

// "SIGSEGV", "SIGABRT", ... ("signal N" when unknown).
std::string signal_name(int signal_number);

}  // namespace bp::cli
