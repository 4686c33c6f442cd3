// The one translation unit that defines Catch2's runner. Catch2 v2 exits
// with the number of failed assertions, and meson reads 77 as "skipped":
// any failure is mapped to 1 so a failing run can never pass for a skip,
// and 77 means only that the backend this run is pinned to cannot run here.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "harness.hpp"

#include <csignal>
#include <iostream>

namespace {

// Every test case must leave the process with the fds it found, whether or
// not it opts into FdLeakCheck: an fd leaked on an error path is exactly the
// bug a test that only checks results misses. Catch2 v2 cannot fail a test
// case once it has ended, so a leak fails the run instead, naming the case.
int leaking_cases = 0;

struct FdCountListener : Catch::TestEventListenerBase {
    using TestEventListenerBase::TestEventListenerBase;

    void testCaseStarting(const Catch::TestCaseInfo& info) override {
        before_ = ringo::test::open_fd_count();
        TestEventListenerBase::testCaseStarting(info);
    }
    void testCaseEnded(const Catch::TestCaseStats& stats) override {
        int after = ringo::test::open_fd_count();
        if (after != before_) {
            ++leaking_cases;
            std::cerr << "fd leak: test case \"" << stats.testInfo.name << "\" began with " << before_
                      << " open fds and ended with " << after << "\n";
        }
        TestEventListenerBase::testCaseEnded(stats);
    }

private:
    int before_ = 0;
};

}  // namespace

CATCH_REGISTER_LISTENER(FdCountListener)

int main(int argc, char** argv) {
    // Decided before any case runs, so a skipped run has run nothing and a
    // run that goes ahead runs every case of its area (harness.hpp).
    const auto pre = ringo::test::preflight();
    if (pre.outcome == ringo::test::Preflight::skip) {
        std::cerr << "ringo-tests: skipped: " << pre.reason << "\n";
        return 77;
    }
    if (pre.outcome == ringo::test::Preflight::fail) {
        std::cerr << "ringo-tests: " << pre.reason << "\n";
        return 1;
    }
    // A test that writes to a closed peer must see EPIPE from ringo (which
    // always sends with MSG_NOSIGNAL), not die: keep SIGPIPE at its default
    // so a missing MSG_NOSIGNAL would kill the run and be noticed.
    int failed = Catch::Session().run(argc, argv);
    if (leaking_cases > 0) std::cerr << leaking_cases << " test case(s) leaked fds\n";
    return failed == 0 && leaking_cases == 0 ? 0 : 1;
}
