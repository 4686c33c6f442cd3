// Runs a function in a forked child and brings back what it said and how it
// ended. For tests that change the process itself (a seccomp filter, a
// fresh probe): the change dies with the child, and the test process keeps
// its own. The child never returns into Catch2: it reports through a pipe
// and its exit status, and leaves with _exit, so nothing of the parent's
// (atexit handlers, Catch2's reporters, LeakSanitizer) runs twice.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ringo::test {

struct ChildResult {
    int exit_code = -1;  // -1: killed by a signal (signal holds which)
    int signal = 0;
    std::string output;  // everything the child wrote to `out`
};

// body writes its findings to `out` and returns the child's exit code
// (0: all as expected). An exception in body exits with 70.
ChildResult run_in_child(const std::function<int(std::string& out)>& body);

// Runs the program at `path` with `args` and collects its stdout, stderr
// and exit status. `env` sets (a value) or unsets (nullopt) variables in the
// child only; `before_exec` runs in the child just before the exec (to
// install a seccomp filter, say).
struct ProgramResult {
    int exit_code = -1;  // -1: it did not exit normally
    std::string out;
    std::string err;
};
using EnvChanges = std::vector<std::pair<std::string, std::optional<std::string>>>;
ProgramResult run_program(const std::string& path, const std::vector<std::string>& args,
                          const EnvChanges& env = {}, const std::function<void()>& before_exec = {});

// Installs a seccomp filter that answers io_uring_setup, io_uring_enter and
// io_uring_register with -err, as container runtimes do. Returns 0 or the
// errno of the failure.
int deny_io_uring(int err);

}  // namespace ringo::test
