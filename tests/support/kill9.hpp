#pragma once

#include <csignal>
#include <functional>

#include <sys/wait.h>
#include <unistd.h>

namespace sluice::testing {

/// Forks a child that runs `work` and then waits; once `work` returned, kills the child with
/// SIGKILL, as `kill -9` kills a run in the middle of what `work` started. Returns whether the
/// child finished `work` (false when it threw or died first).
inline bool run_in_child_then_kill9(const std::function<void()>& work) {
  int ready[2];
  if (::pipe(ready) != 0)
    return false;
  const pid_t child = ::fork();
  if (child < 0)
    return false;
  if (child == 0) {
    ::close(ready[0]);
    try {
      work();
    } catch (...) {
      ::_exit(1);
    }
    const char done = 1;
    (void)!::write(ready[1], &done, 1);
    ::pause();
    ::_exit(0);
  }
  ::close(ready[1]);
  char done = 0;
  const bool finished = ::read(ready[0], &done, 1) == 1;
  ::close(ready[0]);
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  return finished && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

}  // namespace sluice::testing
