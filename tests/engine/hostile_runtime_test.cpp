// Defects of the runtime itself found by hostile use (issue 11), on every
// backend: timers and shutdown, stray stops, options out of range, threads.
// Each test failed before its fix.
#include "harness.hpp"

#include <ringo/engine/spawn.hpp>

#include <array>
#include <chrono>
#include <coroutine>
#include <ctime>
#include <thread>

#include <sys/socket.h>

using namespace std::chrono_literals;
using ringo::Task;

namespace {

// A user's awaitable the runtime knows nothing of, that nobody completes.
struct Never {
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<>) const noexcept {}
    void await_resume() const noexcept {}
};

double thread_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

using Seconds = std::chrono::duration<double>;

}  // namespace

TEST_CASE("shutdown with a task in with_timeout around a foreign awaitable neither spins nor waits for the deadline",
          "[engine][time][hostile]") {
    auto backend = GENERATE(from_range(ringo::test::backends()));
    auto rt = ringo::Runtime::create(ringo::test::options_for(backend));
    REQUIRE(rt.has_value());
    const double cpu0 = thread_cpu_seconds();
    const auto t0 = ringo::Clock::now();
    (*rt)->block_on([]() -> Task<> {
        ringo::spawn([]() -> Task<> { (void)co_await ringo::with_timeout(2s, Never{}); }()).detach();
        co_await ringo::yield();
    }());
    const double wall = Seconds(ringo::Clock::now() - t0).count();
    const double cpu = thread_cpu_seconds() - cpu0;
    INFO("block_on took " << wall << " s, " << cpu << " s of CPU");
    CHECK(wall < 1.0);
    CHECK(cpu < 0.5);
}

TEST_CASE("stop() ends block_on even when the root task waits on something the runtime cannot cancel",
          "[engine][hostile]") {
    auto backend = GENERATE(from_range(ringo::test::backends()));
    auto rt = ringo::Runtime::create(ringo::test::options_for(backend));
    REQUIRE(rt.has_value());
    auto& runtime = **rt;
    std::thread stopper([&] {
        std::this_thread::sleep_for(50ms);
        runtime.stop();
    });
    const auto t0 = ringo::Clock::now();
    bool threw = false;
    try {
        runtime.block_on([]() -> Task<> { (void)co_await ringo::with_timeout(3s, Never{}); }());
    } catch (const ringo::ResultError& e) {
        threw = true;
        CHECK(e.code() == ringo::errc::operation_canceled);
    }
    stopper.join();
    CHECK(threw);
    CHECK(Seconds(ringo::Clock::now() - t0).count() < 1.0);
}

TEST_CASE("a stop() while no block_on runs does not cancel the next block_on", "[engine][hostile]") {
    auto backend = GENERATE(from_range(ringo::test::backends()));
    auto rt = ringo::Runtime::create(ringo::test::options_for(backend));
    REQUIRE(rt.has_value());
    (*rt)->stop();
    int v = (*rt)->block_on([]() -> Task<int> {
        auto r = co_await ringo::sleep_for(5ms);
        co_return r ? 42 : -1;
    }());
    CHECK(v == 42);
}

TEST_CASE("with_timeout keeps a plain value that completed in the turn its deadline expired", "[engine][time][hostile]") {
    auto backend = GENERATE(from_range(ringo::test::backends()));
    ringo::test::run(backend, []() -> Task<> {
        auto pair = ringo::test::socket_pair();
        const auto at = ringo::Clock::now() + 20ms;
        auto reader = ringo::spawn(ringo::with_deadline(at, [](int fd) -> Task<int> {
            std::array<std::byte, 16> buf{};
            auto n = co_await ringo::io::recv(fd, buf);
            co_return n ? static_cast<int>(*n) : -1;  // a plain value, not a Result
        }(pair.a)));
        co_await ringo::yield();  // the read is in flight
        REQUIRE(::send(pair.b, "xyz", 3, MSG_NOSIGNAL) == 3);
        // The loop is held past the deadline: its next wait brings the read's
        // completion and the expired deadline together.
        std::this_thread::sleep_until(at + 2ms);
        auto r = co_await reader;
        REQUIRE(r.has_value());
        REQUIRE(r->has_value());
        CHECK(**r == 3);
        co_await ringo::io::close(pair.a);
        co_await ringo::io::close(pair.b);
    });
}

TEST_CASE("durations past the clock's range mean never, not now", "[engine][time][hostile]") {
    auto backend = GENERATE(from_range(ringo::test::backends()));
    ringo::test::run(backend, []() -> Task<> {
        // Each "forever" sleep must still be asleep when a short deadline cuts it.
        auto forever = [](auto d) -> Task<bool> {
            auto r = co_await ringo::with_timeout(20ms, ringo::sleep_for(d));
            co_return !r && r.error() == ringo::errc::timed_out;
        };
        const bool hours = co_await forever(std::chrono::hours::max());
        const bool years = co_await forever(std::chrono::years(1000));
        const bool nanos = co_await forever(std::chrono::nanoseconds::max());
        const bool secs = co_await forever(std::chrono::seconds::max());
        CHECK(hours);
        CHECK(years);
        CHECK(nanos);
        CHECK(secs);
        // And a "forever" deadline never cuts what it wraps.
        auto r = co_await ringo::with_timeout(std::chrono::seconds::max(), ringo::sleep_for(5ms));
        CHECK(r.has_value());
        auto r2 = co_await ringo::with_timeout(std::chrono::hours::max(), ringo::sleep_for(5ms));
        CHECK(r2.has_value());
        // A negative one is already due.
        auto r3 = co_await ringo::with_timeout(std::chrono::hours::min(), ringo::sleep_for(1s));
        CHECK((!r3 && r3.error() == ringo::errc::timed_out));
    });
}
