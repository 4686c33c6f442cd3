// Runs a function in a forked child and brings back what it said and how it
// ended. For tests that change the process itself (a seccomp filter, a
// fresh probe): the change dies with the child, and the test process keeps
// its own. The child never returns into Catch2: it reports through a pipe
// and its exit status, and leaves with _exit, so nothing of the parent's
// (atexit handlers, Catch2's reporters, LeakSanitizer) runs twice.
#pragma once

#include <functional>
#include <string>

namespace ringo::test {

struct ChildResult {
    int exit_code = -1;  // -1: killed by a signal (signal holds which)
    int signal = 0;
    std::string output;  // everything the child wrote to `out`
};

// body writes its findings to `out` and returns the child's exit code
// (0: all as expected). An exception in body exits with 70.
ChildResult run_in_child(const std::function<int(std::string& out)>& body);

// Installs a seccomp filter that answers io_uring_setup, io_uring_enter and
// io_uring_register with -err, as container runtimes do. Returns 0 or the
// errno of the failure.
int deny_io_uring(int err);

}  // namespace ringo::test
