// guarded_run.cpp — see guarded_run.hpp.
#include "guarded_run.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "child_process.hpp"
#include "cli_common.hpp"
#include "tool_output.hpp"

namespace bp::cli {

namespace {
constexpr const char* kDoneMarker = "done ";
}  // namespace

int run_guarded(const std::string& what, const std::function<int()>& work) {
  int done_pipe[2] = {-1, -1};
  if (::pipe2(done_pipe, O_CLOEXEC) != 0)
    throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));

  std::string relay_error;
  child_options options;
  options.timeout_seconds = 0;  // as long as the work takes; Ctrl-C and SIGTERM still reach it
  options.capture_output = false;
  options.own_process_group = false;
  options.on_result = [&](const std::string& bytes) {
    if (!relay_error.empty()) return;  // keep draining so the child never blocks
    try {
      write_text(stdout, bytes);
      std::fflush(stdout);
      if (std::ferror(stdout)) throw output_error(std::string("cannot write the output: ") + std::strerror(errno));
    } catch (const output_error& e) {
      relay_error = e.what();
    }
  };
  const child_outcome outcome = run_in_child(
      [&](int result_fd) {
        ::close(done_pipe[0]);
        std::FILE* results = ::fdopen(result_fd, "w");
        if (results == nullptr) return kChildInternalError;
        set_tool_stdout(results);
        int code = exit_error;
        try {
          code = work();
          finish_results();
        } catch (const output_error& e) {
          std::fprintf(stderr, "backplane: %s\n", e.what());
          code = exit_error;
        } catch (const std::exception& e) {
          std::fprintf(stderr, "backplane: internal error: %s\n", e.what());
          code = exit_error;
        }
        const std::string done = kDoneMarker + std::to_string(code) + "\n";
        return write_all(done_pipe[1], done) ? code : kChildInternalError;
      },
      options);
  ::close(done_pipe[1]);
  std::string done;
  char buffer[64];
  ::fcntl(done_pipe[0], F_SETFL, O_NONBLOCK);
  for (ssize_t n; (n = ::read(done_pipe[0], buffer, sizeof buffer)) > 0;) done.append(buffer, static_cast<size_t>(n));
  ::close(done_pipe[0]);

  if (!relay_error.empty()) throw output_error(relay_error);
  if (done.rfind(kDoneMarker, 0) == 0) return std::atoi(done.c_str() + std::strlen(kDoneMarker));
  if (outcome.how == child_outcome::end::signalled &&
      (outcome.signal == SIGINT || outcome.signal == SIGTERM || outcome.signal == SIGHUP)) {
    std::fprintf(stderr, "backplane: %s stopped by %s\n", what.c_str(), signal_name(outcome.signal).c_str());
    return 128 + outcome.signal;
  }
  throw std::runtime_error("the process running the " + what + " " + describe_child_end(outcome, 0) +
                           " before the tool finished: a plugin or a library it loads did this (a plugin must never "
                           "end its host process); the results above are incomplete");
}

}  // namespace bp::cli
