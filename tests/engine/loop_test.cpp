// The loop itself: one kernel entry per turn however many ops a turn
// carries, a queue far smaller than the ops in flight (SQ full, CQ
// overflow), and stop() from a signal handler. On every backend.
#include "harness.hpp"

#include <atomic>
#include <cstring>
#include <csignal>
#include <thread>
#include <vector>

#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace std::chrono_literals;
using ringo::Task;

TEST_CASE("a turn carrying many ops enters the kernel once, not once per op", "[engine][loop]") {
    auto backend = GENERATE(from_range(ringo::test::backends()));
    ringo::test::run(backend, [&]() -> Task<> {
        constexpr int n = 100;  // well under the queue depth: no early flush
        std::vector<ringo::JoinHandle<void>> tasks;
        tasks.reserve(n);
        auto before = ringo::Runtime::current()->stats();
        for (int i = 0; i < n; ++i) tasks.push_back(ringo::spawn([]() -> Task<> { (void)co_await ringo::io::nop(); }()));
        for (auto& t : tasks) (void)co_await t;
        auto after = ringo::Runtime::current()->stats();
        auto entries = after.kernel_entries - before.kernel_entries;
        auto turns = after.loop_turns - before.loop_turns;
        INFO("kernel entries " << entries << ", loop turns " << turns << " for " << n << " ops");
        CHECK(after.completed[static_cast<std::size_t>(ringo::OpKind::nop)] -
                  before.completed[static_cast<std::size_t>(ringo::OpKind::nop)] == n);
        CHECK(entries <= turns);
        CHECK(turns < 10);
    });
}

TEST_CASE("hundreds of ops in flight on a queue of depth 2 all complete with their own results", "[engine][loop]") {
    // io_uring: the SQ fills on every few ops (submit and retry) and the
    // completions overflow the CQ (kept by the kernel, fetched later);
    // epoll: two events per wait. Nothing may be lost or mixed up.
    ringo::test::FdLeakCheck fds;
    auto backend = GENERATE(from_range(ringo::test::backends()));
    auto opts = ringo::test::options_for(backend);
    opts.queue_depth = 2;
    constexpr int n = 200;
    std::vector<ringo::test::Pair> pairs(n);
    for (auto& p : pairs) p = ringo::test::socket_pair();
    ringo::test::run(backend, [&]() -> Task<> {
        std::vector<ringo::JoinHandle<int>> readers;
        readers.reserve(n);
        for (int i = 0; i < n; ++i)
            readers.push_back(ringo::spawn([](int fd) -> Task<int> {
                std::array<char, 16> buf{};
                auto r = co_await ringo::io::recv(fd, std::as_writable_bytes(std::span(buf)));
                if (!r || *r != sizeof(int)) co_return -1;
                int v;
                std::memcpy(&v, buf.data(), sizeof v);
                co_return v;
            }(pairs[i].a)));
        co_await ringo::yield();  // every reader parks
        // All readers turn readable in the same instant.
        for (int i = 0; i < n; ++i) REQUIRE(::send(pairs[i].b, &i, sizeof i, MSG_NOSIGNAL) == sizeof i);
        int right = 0;
        for (int i = 0; i < n; ++i) {
            auto v = co_await readers[i];
            if (v.has_value() && *v == i) ++right;
        }
        CHECK(right == n);
        auto st = ringo::Runtime::current()->stats();
        CHECK(st.total_submitted() == st.total_completed());
        for (auto& p : pairs) {
            co_await ringo::io::close(p.a);
            co_await ringo::io::close(p.b);
        }
    }, opts);
}

namespace {

std::atomic<ringo::Runtime*> signalled_runtime{nullptr};

extern "C" void stop_on_signal(int) {
    if (auto* rt = signalled_runtime.load(std::memory_order_relaxed)) rt->stop();
}

}  // namespace

TEST_CASE("stop() from a signal handler wakes a loop blocked in the kernel and block_on returns", "[engine][loop][shutdown]") {
    ringo::test::FdLeakCheck fds;
    auto backend = GENERATE(from_range(ringo::test::backends()));
    auto rt = ringo::Runtime::create(ringo::test::options_for(backend));
    REQUIRE(rt.has_value());
    struct sigaction sa{}, old{};
    sa.sa_handler = stop_on_signal;
    sigemptyset(&sa.sa_mask);
    REQUIRE(::sigaction(SIGUSR1, &sa, &old) == 0);
    signalled_runtime = rt->get();
    const pthread_t loop_thread = ::pthread_self();
    std::atomic<bool> parked{false};
    std::thread signaller;
    auto result = (*rt)->block_on([&]() -> Task<std::error_code> {
        auto sleeper = ringo::spawn([]() -> Task<std::error_code> { co_return (co_await ringo::sleep_for(1h)).error(); }());
        co_await ringo::yield();
        parked = true;
        signaller = std::thread([&] {
            while (!parked) std::this_thread::yield();
            ::pthread_kill(loop_thread, SIGUSR1);
        });
        // The root waits with nothing due for an hour: only the signal can end it.
        auto r = co_await sleeper;
        co_return r.has_value() ? *r : r.error();
    }());
    signaller.join();
    signalled_runtime = nullptr;
    REQUIRE(::sigaction(SIGUSR1, &old, nullptr) == 0);
    CHECK(result == ringo::errc::operation_canceled);
    CHECK((*rt)->stats().total_submitted() == (*rt)->stats().total_completed());
}
