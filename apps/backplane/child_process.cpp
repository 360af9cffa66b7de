// child_process.cpp — see child_process.hpp.
#include "child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
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
constexpr int kChildInternalError = 70;    // EX_SOFTWARE

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// Reads what is available; false on EOF/error (and closes fd).
bool drain(int& fd, std::string& sink, size_t keep_tail) {
  char buffer[8192];
  const ssize_t n = ::read(fd, buffer, sizeof buffer);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
  if (n <= 0) {
    close_fd(fd);
    return false;
  }
  sink.append(buffer, static_cast<size_t>(n));
  if (keep_tail && sink.size() > 2 * keep_tail) sink.erase(0, sink.size() - keep_tail);
  return true;
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

child_outcome run_in_child(const std::function<int(int result_fd)>& work, double timeout_seconds) {
  child_outcome out;
  int result_pipe[2] = {-1, -1};
  int output_pipe[2] = {-1, -1};
  if (::pipe2(result_pipe, O_CLOEXEC) != 0 || ::pipe2(output_pipe, O_CLOEXEC) != 0) {
    out.error = std::string("pipe: ") + std::strerror(errno);
    close_fd(result_pipe[0]), close_fd(result_pipe[1]), close_fd(output_pipe[0]), close_fd(output_pipe[1]);
    return out;
  }
  std::fflush(stdout);  // buffered output must not be written twice
  std::fflush(stderr);
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  if (pid < 0) {
    out.error = std::string("fork: ") + std::strerror(errno);
    close_fd(result_pipe[0]), close_fd(result_pipe[1]), close_fd(output_pipe[0]), close_fd(output_pipe[1]);
    return out;
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    ::dup2(output_pipe[1], STDOUT_FILENO);
    ::dup2(output_pipe[1], STDERR_FILENO);
    ::close(result_pipe[0]);
    ::close(output_pipe[0]);
    int code = kChildInternalError;
    try {
      code = work(result_pipe[1]);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "isolated probe: %s\n", e.what());
    } catch (...) {
      std::fprintf(stderr, "isolated probe: unknown exception\n");
    }
    std::fflush(stdout);
    std::fflush(stderr);
    ::_exit(code);  // no atexit handlers or static destructors of the parent's state
  }
  ::setpgid(pid, pid);  // also done here so the group exists before any kill
  close_fd(result_pipe[1]);
  close_fd(output_pipe[1]);

  const auto deadline = start + std::chrono::duration<double>(timeout_seconds);
  int status = 0;
  bool reaped = false;
  bool timed_out = false;
  while (!reaped) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      timed_out = true;
      break;
    }
    const int wait_ms =
        static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count()) + 1;
    pollfd fds[2];
    nfds_t count = 0;
    if (result_pipe[0] >= 0) fds[count++] = {result_pipe[0], POLLIN, 0};
    if (output_pipe[0] >= 0) fds[count++] = {output_pipe[0], POLLIN, 0};
    if (count > 0) {
      // Poll in short slices once the pipes are closed, so exit is noticed promptly.
      const int ready = ::poll(fds, count, wait_ms < 100 ? wait_ms : 100);
      if (ready < 0 && errno != EINTR) break;
      for (nfds_t i = 0; i < count && ready > 0; ++i) {
        if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        if (fds[i].fd == result_pipe[0]) drain(result_pipe[0], out.result, 0);
        else drain(output_pipe[0], out.diagnostics, kDiagnosticsKeep);
      }
    } else {
      ::poll(nullptr, 0, wait_ms < 20 ? wait_ms : 20);
    }
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) reaped = true;
  }
  if (timed_out) {
    ::kill(-pid, SIGKILL);
    ::kill(pid, SIGKILL);
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  // Collect whatever is still buffered in the pipes (non-blocking: writers are gone or killed).
  for (int* fd : {&result_pipe[0], &output_pipe[0]}) {
    if (*fd < 0) continue;
    ::fcntl(*fd, F_SETFL, O_NONBLOCK);
    std::string& sink = (fd == &result_pipe[0]) ? out.result : out.diagnostics;
    while (*fd >= 0) {
      char buffer[8192];
      const ssize_t n = ::read(*fd, buffer, sizeof buffer);
      if (n > 0) sink.append(buffer, static_cast<size_t>(n));
      else if (n < 0 && errno == EINTR) continue;
      else close_fd(*fd);
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
