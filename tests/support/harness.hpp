// Test harness: run a coroutine on a fresh runtime for a given backend, and
// count fds and allocations. Every I/O test case runs once per backend:
//
//   auto backend = GENERATE(from_range(ringo::test::backends()));
//   ringo::test::run(backend, [&]() -> ringo::Task<> { ... });
//
// meson registers each I/O area once per backend with RINGO_BACKEND=uring or
// epoll in its environment (tests/meson.build), and backends() is then that
// one backend. Unset (a developer running ringo-tests by hand), empty or
// "auto", backends() lists every backend that can run here.
#pragma once

#include <ringo/engine/runtime.hpp>
#include <ringo/engine/time.hpp>
#include <ringo/engine/io.hpp>

#include <catch2/catch.hpp>

#include <netinet/in.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace ringo::test {

std::vector<Backend> backends();

// What main() decides before the first case. A run pinned to a backend that
// cannot run here (Runtime::create says backend_unavailable: io_uring
// denied by a sysctl or a seccomp filter) is meson's skip, never a run of
// fewer cases. A RINGO_BACKEND that names no backend, or any other failure
// to create the runtime (an unknown RINGO_DISABLE name), is the run's own
// error and fails it: a broken test environment must not pass for a skip.
struct Preflight {
    enum Outcome { run, skip, fail };
    Outcome outcome = run;
    std::string reason;  // one line, for stderr, unless outcome is run
};
Preflight preflight();

RuntimeOptions options_for(Backend b);

// Runs make() on a fresh runtime of backend b and fails the test if the
// runtime cannot be created. The runtime is gone when run() returns.
template <class F>
void run(Backend b, F&& make, RuntimeOptions opts) {
    opts.backend = b;
    auto rt = Runtime::create(std::move(opts));
    REQUIRE(rt.has_value());
    INFO("backend: " << (*rt)->backend_name());
    (*rt)->block_on(make());
}
template <class F>
void run(Backend b, F&& make) {
    run(b, std::forward<F>(make), options_for(b));
}

// Open file descriptors of this process (from /proc/self/fd).
int open_fd_count();

// Plain sockets for tests that drive raw fds or need the kernel's own
// behaviour (a full accept queue): non-blocking and close-on-exec, as every
// ringo op expects; each fails the test if the kernel refuses.
struct Pair {
    int a = -1;
    int b = -1;
};
// A connected AF_UNIX stream pair.
Pair socket_pair();
// A TCP listener on 127.0.0.1 and an ephemeral port, with the given
// backlog; addr receives its address.
int tcp_listener(sockaddr_in& addr, int backlog = 64);

// Checks at scope exit that no fd was leaked.
class FdLeakCheck {
public:
    FdLeakCheck() : before_(open_fd_count()) {}
    ~FdLeakCheck() { CHECK(open_fd_count() == before_); }
    FdLeakCheck(const FdLeakCheck&) = delete;
    FdLeakCheck& operator=(const FdLeakCheck&) = delete;

private:
    int before_;
};

// Global operator new calls made by this thread since the program started
// (tests/support/alloc_counter.cpp replaces operator new).
std::uint64_t allocation_count() noexcept;

// Random bytes from a fixed seed, for byte-exact transfer checks.
std::vector<std::byte> random_bytes(std::size_t n, std::uint32_t seed);

}  // namespace ringo::test
