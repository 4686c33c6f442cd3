// The test binary itself, pinned to one backend as meson runs each I/O area
// (tests/meson.build): where that backend cannot run, here io_uring denied
// by a seccomp filter as container runtimes deny it, the run exits 77
// (meson's skip) with one line on stderr saying why, and runs no case; the
// same run pinned to epoll goes ahead under the same filter; and a pin that
// names no backend, or a runtime that fails for a reason that is not the
// machine's (an unknown RINGO_DISABLE name), fails the run instead of
// passing for a skip. Each run is a child (child.hpp) of this process.
#include "child.hpp"
#include "harness.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <string>

using ringo::test::EnvChanges;
using ringo::test::ProgramResult;

namespace {

bool contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

std::string self_exe() {
    char path[PATH_MAX];
    ssize_t n = ::readlink("/proc/self/exe", path, sizeof path);
    REQUIRE(n > 0);
    return std::string(path, static_cast<std::size_t>(n));
}

// Runs the [engine][task] cases (quick, and on a runtime) in a child with
// the given environment; io_uring denied there when deny is set.
ProgramResult run_pinned(const EnvChanges& env, bool deny) {
    auto before_exec = [deny] {
        if (deny && ringo::test::deny_io_uring(EPERM) != 0) ::_exit(126);
    };
    return ringo::test::run_program(self_exe(), {"[engine][task]"}, env, before_exec);
}

}  // namespace

TEST_CASE("a run pinned to io_uring where it is denied exits 77 with one line why, running no case",
          "[probe][skip]") {
    ringo::test::FdLeakCheck fds;
    auto run = run_pinned({{"RINGO_BACKEND", "uring"}, {"RINGO_DISABLE", std::nullopt}}, true);
    INFO("stdout: " << run.out << "\nstderr: " << run.err);
    CHECK(run.exit_code == 77);
    CHECK(run.out.empty());  // Catch2 never started: not even a header
    CHECK(std::count(run.err.begin(), run.err.end(), '\n') == 1);
    CHECK(run.err.back() == '\n');
    CHECK(contains(run.err, "skipped: RINGO_BACKEND=uring cannot run here"));
    CHECK(contains(run.err, "seccomp"));
}

TEST_CASE("a run pinned to epoll runs its cases where io_uring is denied", "[probe][skip]") {
    ringo::test::FdLeakCheck fds;
    auto run = run_pinned({{"RINGO_BACKEND", "epoll"}, {"RINGO_DISABLE", std::nullopt}}, true);
    INFO("stdout: " << run.out << "\nstderr: " << run.err);
    CHECK(run.exit_code == 0);
    CHECK(contains(run.out, "All tests passed"));
}

TEST_CASE("a pin that names no backend, or a runtime that fails otherwise, fails the run", "[probe][skip]") {
    ringo::test::FdLeakCheck fds;
    SECTION("RINGO_BACKEND=bogus") {
        auto run = run_pinned({{"RINGO_BACKEND", "bogus"}, {"RINGO_DISABLE", std::nullopt}}, false);
        INFO("stdout: " << run.out << "\nstderr: " << run.err);
        CHECK(run.exit_code == 1);
        CHECK(run.out.empty());
        CHECK(contains(run.err, "RINGO_BACKEND=\"bogus\""));
    }
    SECTION("RINGO_DISABLE with an unknown name") {
        auto run = run_pinned({{"RINGO_BACKEND", "epoll"}, {"RINGO_DISABLE", "no_such_feature"}}, false);
        INFO("stdout: " << run.out << "\nstderr: " << run.err);
        CHECK(run.exit_code == 1);
        CHECK(run.out.empty());
        CHECK(contains(run.err, "no_such_feature"));
    }
}
