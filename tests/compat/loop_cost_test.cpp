// What the loop costs, on every backend: 1000 idle fds with parked recvs
// add no loop turns or kernel entries to a busy pair, steady-state round
// trips allocate nothing on the loop thread, and on epoll the epoll_wait
// fallback (RINGO_EPOLL_PWAIT2=0) rounds sub-millisecond timeouts up, so a
// short sleep does not spin the loop. Counted from Runtime::stats() and the
// test's allocation counter, never from a clock; none leaks an fd.
#include "fd_support.hpp"
#include "harness.hpp"

#include <ringo/engine/io.hpp>
#include <ringo/engine/runtime.hpp>
#include <ringo/engine/spawn.hpp>
#include <ringo/engine/time.hpp>

#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <utility>
#include <vector>

using namespace std::chrono_literals;
using ringo::Task;
namespace io = ringo::io;

namespace {

using ringo::test::close_all;
using ringo::test::close_each;
using ringo::test::is_canceled;
using ringo::test::Pair;
using ringo::test::recv_one;
using ringo::test::run_on;
using ringo::test::socket_pair;

// Every coroutine here awaits first and asserts on the value after
// (fd_support.hpp says why).

// Raises the soft fd limit to want; fails the test if the hard limit is lower.
void ensure_fd_limit(rlim_t want) {
    rlimit rl{};
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &rl) == 0);
    if (rl.rlim_cur >= want) return;
    REQUIRE(rl.rlim_max >= want);
    rl.rlim_cur = want;
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &rl) == 0);
}

Task<void> echo_bytes(int fd) {
    std::byte c{};
    for (;;) {
        auto n = co_await io::recv(fd, std::span(&c, 1));
        if (!n || *n == 0) co_return;
        if (!(co_await io::send(fd, std::span(&c, 1)))) co_return;
    }
}

struct TurnCount {
    std::uint64_t turns;
    std::uint64_t kernel_entries;
};

// Loop turns and kernel entries of `messages` round trips on one busy pair
// while `idle` other pairs each have a recv parked.
TurnCount busy_among_idle(ringo::Backend backend, int idle, int messages) {
    TurnCount out{};
    run_on(backend, [&](ringo::Runtime& rt) -> Task<> {
        std::vector<Pair> idle_pairs;
        std::vector<ringo::JoinHandle<ringo::Result<std::size_t>>> waiters;
        for (int i = 0; i < idle; ++i) {
            idle_pairs.push_back(socket_pair());
            waiters.push_back(ringo::spawn(recv_one(idle_pairs.back().a)));
        }
        Pair busy = socket_pair();
        auto echo = ringo::spawn(echo_bytes(busy.b));
        std::byte c{1};
        auto round_trip = [&]() -> Task<bool> {
            auto s = co_await io::send(busy.a, std::span(&c, 1));
            auto r = co_await io::recv(busy.a, std::span(&c, 1));
            co_return s.has_value() && r.has_value() && *r == 1;
        };
        // The first round trips let every idle task park and the kernel
        // report the new fds' first (writable) edges.
        for (int i = 0; i < 20; ++i) {
            bool ok = co_await round_trip();
            REQUIRE(ok);
        }
        auto before = rt.stats();
        for (int i = 0; i < messages; ++i) {
            bool ok = co_await round_trip();
            REQUIRE(ok);
        }
        auto after = rt.stats();
        out = {after.loop_turns - before.loop_turns, after.kernel_entries - before.kernel_entries};

        for (auto& w : waiters) {
            CHECK_FALSE(w.done());
            w.cancel();
            auto r = co_await w;
            CHECK((r.has_value() && !r->has_value() && is_canceled(r->error())));
        }
        auto shut = co_await io::shutdown(busy.a, SHUT_WR);
        REQUIRE(shut.has_value());
        auto joined = co_await echo;
        CHECK(joined.has_value());
        std::vector<int> fds{busy.a, busy.b};
        for (auto& p : idle_pairs) {
            fds.push_back(p.a);
            fds.push_back(p.b);
        }
        co_await close_each(std::move(fds));
    });
    return out;
}

}  // namespace

TEST_CASE("1000 idle fds with parked recvs add no loop turns to a busy pair", "[compat][epoll]") {
    auto backend = GENERATE(from_range(ringo::test::backends()));
    ensure_fd_limit(4096);
    ringo::test::FdLeakCheck leaks;
    constexpr int messages = 2000;
    auto alone = busy_among_idle(backend, 0, messages);
    auto crowded = busy_among_idle(backend, 1000, messages);
    INFO("turns alone " << alone.turns << ", among 1000 idle " << crowded.turns << "; kernel entries "
                        << alone.kernel_entries << " vs " << crowded.kernel_entries);
    // A round trip is a few turns, however many fds sit idle.
    CHECK(alone.turns <= 3 * messages);
    CHECK(crowded.turns <= 3 * messages);
    CHECK(crowded.turns <= alone.turns + alone.turns / 10 + 10);
    CHECK(crowded.kernel_entries <= alone.kernel_entries + alone.kernel_entries / 10 + 10);
}

TEST_CASE("steady-state round trips allocate nothing on the loop thread", "[compat][epoll]") {
    auto backend = GENERATE(from_range(ringo::test::backends()));
    ringo::test::FdLeakCheck leaks;
    ringo::test::run(backend, [&]() -> Task<> {
        Pair p = socket_pair();
        auto echo = ringo::spawn(echo_bytes(p.b));
        std::byte c{7};
        // Awaiters only, no sub-task: under ASan every coroutine frame comes
        // from operator new, and this counts the engine's allocations alone.
        // Counted inside, so this coroutine's own frame is not.
        std::uint64_t allocations = 0;
        auto round_trips = [&](int n) -> Task<bool> {
            bool ok = true;
            auto before = ringo::test::allocation_count();
            for (int i = 0; i < n; ++i) {
                auto s = co_await io::send(p.a, std::span(&c, 1));
                auto r = co_await io::recv(p.a, std::span(&c, 1));
                ok = ok && s.has_value() && r.has_value() && *r == 1;
            }
            allocations = ringo::test::allocation_count() - before;
            co_return ok;
        };
        bool warm = co_await round_trips(100);  // slabs, queues and PollDescs reach their size
        REQUIRE(warm);
        bool ok = co_await round_trips(2000);
        REQUIRE(ok);
        CHECK(allocations == 0);
        auto shut = co_await io::shutdown(p.a, SHUT_WR);
        REQUIRE(shut.has_value());
        auto echo_done = co_await echo;
        CHECK(echo_done.has_value());
        co_await close_all(p.a, p.b);
    });
}

TEST_CASE("the epoll_wait fallback rounds sub-millisecond timeouts up, so the loop does not spin",
          "[compat][epoll]") {
    ringo::test::FdLeakCheck leaks;
    auto backends = ringo::test::backends();
    if (std::find(backends.begin(), backends.end(), ringo::Backend::epoll) == backends.end()) {
        WARN("epoll backend not selected: nothing to check");
        return;
    }
    auto mode = GENERATE("1", "0");  // epoll_pwait2, then the epoll_wait fallback
    REQUIRE(::setenv("RINGO_EPOLL_PWAIT2", mode, 1) == 0);
    struct Unset {
        ~Unset() { ::unsetenv("RINGO_EPOLL_PWAIT2"); }
    } unset;
    constexpr int sleeps = 50;
    run_on(ringo::Backend::epoll, [&](ringo::Runtime& rt) -> Task<> {
        auto before = rt.stats().loop_turns;
        for (int i = 0; i < sleeps; ++i) {
            auto slept = co_await ringo::sleep_for(300us);
            REQUIRE(slept.has_value());
        }
        auto turns = rt.stats().loop_turns - before;
        INFO("RINGO_EPOLL_PWAIT2=" << mode << ": " << turns << " turns for " << sleeps << " sleeps");
        CHECK(turns <= 3 * sleeps);
    });
}
