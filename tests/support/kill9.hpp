#pragma once

#include <csignal>
#include <functional>

#include <sys/wait.h>
#include <unistd.h>

namespace sluice::testing {

/// A forked child running `in_child` (then `_exit(0)`, or `_exit(1)` when it threw; `in_child`
/// may also exec or `_exit` itself). Killed with SIGKILL and reaped in the destructor if still
/// running.
class ChildProcess {
 public:
  explicit ChildProcess(const std::function<void()>& in_child) : pid_(::fork()) {
    if (pid_ == 0) {
      try {
        in_child();
      } catch (...) {
        ::_exit(1);
      }
      ::_exit(0);
    }
  }
  ~ChildProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  /// The child's pid; -1 when fork failed or once the child was reaped.
  pid_t pid() const { return pid_; }
  bool running() {
    int status = 0;
    if (pid_ > 0 && ::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      status_ = status;
    }
    return pid_ > 0;
  }
  /// Waits for the end: the exit code, or -1 when a signal ended it.
  int wait() {
    if (pid_ > 0) {
      ::waitpid(pid_, &status_, 0);
      pid_ = -1;
    }
    return WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
  }
  /// Sends SIGKILL, as `kill -9` does, and reaps the child; true when SIGKILL ended it.
  bool kill9() {
    if (pid_ <= 0)
      return false;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status_, 0);
    pid_ = -1;
    return WIFSIGNALED(status_) && WTERMSIG(status_) == SIGKILL;
  }

 private:
  pid_t pid_ = -1;
  int status_ = 0;
};

/// Forks a child that runs `work` and then waits; once `work` returned, kills the child with
/// SIGKILL, as `kill -9` kills a run in the middle of what `work` started. Returns whether the
/// child finished `work` (false when it threw or died first).
inline bool run_in_child_then_kill9(const std::function<void()>& work) {
  int ready[2];
  if (::pipe(ready) != 0)
    return false;
  ChildProcess child([&] {
    ::close(ready[0]);
    work();
    const char done = 1;
    (void)!::write(ready[1], &done, 1);
    ::pause();
  });
  ::close(ready[1]);
  if (child.pid() < 0) {
    ::close(ready[0]);
    return false;
  }
  char done = 0;
  const bool finished = ::read(ready[0], &done, 1) == 1;
  ::close(ready[0]);
  return child.kill9() && finished;
}

}  // namespace sluice::testing
