// child_process.cpp — see child_process.hpp.
#include "child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>

namespace bp::cli {

namespace {
constexpr size_t kDiagnosticsKeep = 4096;  // bytes of child output kept for the report
constexpr int kToolSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

// The running child, for the signal handler (one child at a time).
volatile sig_atomic_t g_child_pid = 0;
volatile sig_atomic_t g_child_own_group = 1;

extern "C" void on_tool_signal(int signal_number, siginfo_t* info, void*) {
  const pid_t pid = g_child_pid;
  if (pid > 0 && !g_child_own_group) {
    // The child shares our group: a terminal's signal (SI_KERNEL) reached it
    // already; one sent to us alone by another process (SI_USER...) is passed on.
    if (info != nullptr && info->si_code <= 0) ::kill(pid, signal_number);
    return;  // we wait for the child and report how it ended
  }
  if (pid > 0) {
    ::kill(-pid, SIGKILL);
    ::kill(pid, SIGKILL);
  }
  ::signal(signal_number, SIG_DFL);
  ::raise(signal_number);  // delivered when the handler returns: the tool ends as the signal says
}

// Installs on_tool_signal for the lifetime of one child.
class signal_guard {
 public:
  signal_guard(pid_t child, bool own_group) {
    g_child_own_group = own_group ? 1 : 0;
    g_child_pid = child;
    struct sigaction action {};
    action.sa_sigaction = on_tool_signal;
    action.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&action.sa_mask);
    for (size_t i = 0; i < sizeof kToolSignals / sizeof kToolSignals[0]; ++i)
      ::sigaction(kToolSignals[i], &action, &previous_[i]);
  }
  ~signal_guard() {
    for (size_t i = 0; i < sizeof kToolSignals / sizeof kToolSignals[0]; ++i)
      ::sigaction(kToolSignals[i], &previous_[i], nullptr);
    g_child_pid = 0;
  }

 private:
  struct sigaction previous_[sizeof kToolSignals / sizeof kToolSignals[0]] {};
};

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// Reads what is available into sink (or hands it to on_data); false on EOF/error (and closes fd).
bool drain(int& fd, std::string& sink, size_t keep_tail, const std::function<void(const std::string&)>& on_data) {
  char buffer[8192];
  const ssize_t n = ::read(fd, buffer, sizeof buffer);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
  if (n <= 0) {
    close_fd(fd);
    return false;
  }
  if (on_data) {
    on_data(std::string(buffer, static_cast<size_t>(n)));
    return true;
  }
  sink.append(buffer, static_cast<size_t>(n));
  if (keep_tail && sink.size() > 2 * keep_tail) sink.erase(0, sink.size() - keep_tail);
  return true;
}

[[noreturn]] void child_main(const std::function<int(int)>& work, pid_t parent, int result_fd, int output_fd,
                             const child_options& options) {
  // Die with the tool; the check closes the race where it died before prctl.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(kChildInternalError);
  for (int s : kToolSignals) ::signal(s, SIG_DFL);
  if (options.own_process_group) ::setpgid(0, 0);
  if (options.capture_output) {
    ::dup2(output_fd, STDOUT_FILENO);
    ::dup2(output_fd, STDERR_FILENO);
  } else {
    ::dup2(STDERR_FILENO, STDOUT_FILENO);  // nothing a plugin prints reaches the tool's stdout
  }
  int code = kChildInternalError;
  try {
    code = work(result_fd);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "backplane: the child process failed: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "backplane: the child process failed: unknown exception\n");
  }
  std::fflush(stdout);
  std::fflush(stderr);
  ::_exit(code);  // no atexit handlers or static destructors of the parent's state
}

}  // namespace

bool write_all(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

std::string signal_name(int signal_number) {
  if (const char* abbrev = sigabbrev_np(signal_number)) return std::string("SIG") + abbrev;
  return "signal " + std::to_string(signal_number);
}

std::string describe_child_end(const child_outcome& outcome, double timeout_seconds) {
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.2f", outcome.seconds);
  char limit[32];
  std::snprintf(limit, sizeof limit, "%g", timeout_seconds);
  switch (outcome.how) {
    case child_outcome::end::signalled:
      return "was killed by " + signal_name(outcome.signal) + " (signal " + std::to_string(outcome.signal) +
             ") after " + seconds + " s";
    case child_outcome::end::timed_out:
      return std::string("did not finish within ") + limit + " s and was killed";
    case child_outcome::end::spawn_failed:
      return "could not be started (" + outcome.error + ")";
    case child_outcome::end::exited:
      if (outcome.exit_status == kChildInternalError)
        return "failed with an internal error (exit status 70; its message is in the output)";
      return "ended the process with exit status " + std::to_string(outcome.exit_status) +
             " (exit() or _exit() was called)";
  }
  return "ended";
}

child_outcome run_in_child(const std::function<int(int result_fd)>& work, const child_options& options) {
  child_outcome out;
  int result_pipe[2] = {-1, -1};
  int output_pipe[2] = {-1, -1};
  if (::pipe2(result_pipe, O_CLOEXEC) != 0 || (options.capture_output && ::pipe2(output_pipe, O_CLOEXEC) != 0)) {
    out.error = std::string("pipe: ") + std::strerror(errno);
    close_fd(result_pipe[0]), close_fd(result_pipe[1]), close_fd(output_pipe[0]), close_fd(output_pipe[1]);
    return out;
  }
  std::fflush(stdout);  // buffered output must not be written twice
  std::fflush(stderr);
  const auto start = std::chrono::steady_clock::now();
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    out.error = std::string("fork: ") + std::strerror(errno);
    close_fd(result_pipe[0]), close_fd(result_pipe[1]), close_fd(output_pipe[0]), close_fd(output_pipe[1]);
    return out;
  }
  if (pid == 0) {
    ::close(result_pipe[0]);
    if (output_pipe[0] >= 0) ::close(output_pipe[0]);
    child_main(work, parent, result_pipe[1], output_pipe[1], options);
  }
  if (options.own_process_group) ::setpgid(pid, pid);  // also done here so the group exists before any kill
  signal_guard interrupts(pid, options.own_process_group);
  close_fd(result_pipe[1]);
  close_fd(output_pipe[1]);

  const bool has_deadline = options.timeout_seconds > 0;
  const auto deadline = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                    std::chrono::duration<double>(has_deadline ? options.timeout_seconds : 0.0));
  int status = 0;
  bool reaped = false;
  bool timed_out = false;
  while (!reaped) {
    const auto now = std::chrono::steady_clock::now();
    if (has_deadline && now >= deadline) {
      timed_out = true;
      break;
    }
    int wait_ms = 100;
    if (has_deadline) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count() + 1;
      if (left < wait_ms) wait_ms = static_cast<int>(left);
    }
    pollfd fds[2];
    nfds_t count = 0;
    if (result_pipe[0] >= 0) fds[count++] = {result_pipe[0], POLLIN, 0};
    if (output_pipe[0] >= 0) fds[count++] = {output_pipe[0], POLLIN, 0};
    if (count > 0) {
      // Poll in short slices once the pipes are closed, so exit is noticed promptly.
      const int ready = ::poll(fds, count, wait_ms);
      if (ready < 0 && errno != EINTR) break;
      for (nfds_t i = 0; i < count && ready > 0; ++i) {
        if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        if (fds[i].fd == result_pipe[0]) drain(result_pipe[0], out.result, 0, options.on_result);
        else drain(output_pipe[0], out.diagnostics, kDiagnosticsKeep, nullptr);
      }
    } else {
      ::poll(nullptr, 0, wait_ms < 20 ? wait_ms : 20);
    }
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) reaped = true;
  }
  if (!reaped) {
    if (options.own_process_group) ::kill(-pid, SIGKILL);
    ::kill(pid, SIGKILL);
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  // Collect whatever is still buffered in the pipes (non-blocking: writers are gone or killed).
  for (int* fd : {&result_pipe[0], &output_pipe[0]}) {
    if (*fd < 0) continue;
    ::fcntl(*fd, F_SETFL, O_NONBLOCK);
    const bool is_result = fd == &result_pipe[0];
    std::string& sink = is_result ? out.result : out.diagnostics;
    while (*fd >= 0) {
      char buffer[8192];
      const ssize_t n = ::read(*fd, buffer, sizeof buffer);
      if (n > 0) {
        if (is_result && options.on_result) options.on_result(std::string(buffer, static_cast<size_t>(n)));
        else sink.append(buffer, static_cast<size_t>(n));
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else {
        close_fd(*fd);
      }
    }
  }
  if (out.diagnostics.size() > kDiagnosticsKeep) out.diagnostics.erase(0, out.diagnostics.size() - kDiagnosticsKeep);
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  if (timed_out) {
    out.how = child_outcome::end::timed_out;
  } else if (WIFSIGNALED(status)) {
    out.how = child_outcome::end::signalled;
    out.signal = WTERMSIG(status);
  } else {
    out.how = child_outcome::end::exited;
    out.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  return out;
}

}  // namespace bp::cli
