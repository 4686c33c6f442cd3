// Defects of the runtime itself found by hostile use (issue 11), on every
// backend: timers and shutdown, stray stops, options out of range, threads.
// Each test failed before its fix.
#include "harness.hpp"

#include <ringo/engine/spawn.hpp>

#include <array>
#include <chrono>
#include <coroutine>
#include <ctime>
#include <filesystem>
#include <span>
#include <string>
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

TEST_CASE("a Runtime created on one thread runs on another", "[engine][hostile][thread]") {
    auto backend = GENERATE(from_range(ringo::test::backends()));
    auto rt = ringo::Runtime::create(ringo::test::options_for(backend));
    REQUIRE(rt.has_value());
    auto job = []() -> Task<int> {
        auto n = co_await ringo::io::nop();
        auto s = co_await ringo::sleep_for(1ms);
        co_return n && s ? 42 : -1;
    };
    int first = 0;
    std::thread worker([&] { first = (*rt)->block_on(job()); });
    worker.join();
    CHECK(first == 42);
    // Back on the creating thread: io_uring's SINGLE_ISSUER ring now belongs
    // to the worker, which the error says; anything else runs here.
    int second = 0;
    std::string refusal;
    try {
        second = (*rt)->block_on(job());
    } catch (const ringo::ResultError& e) {
        refusal = e.what();
        CHECK(e.code() == ringo::errc::backend_unavailable);
    }
    INFO(refusal);
    if (refusal.empty()) {
        CHECK(second == 42);
    } else {
        CHECK((*rt)->backend() == ringo::Backend::uring);
        CHECK(refusal.find("thread") != std::string::npos);
    }
}

TEST_CASE("options out of range are refused at creation, naming the option and its range", "[engine][hostile]") {
    auto backend = GENERATE(from_range(ringo::test::backends()));
    struct Case {
        const char* name;
        void (*set)(ringo::RuntimeOptions&);
        const char* says;
    };
    const Case cases[] = {
        {"queue_depth 0", [](ringo::RuntimeOptions& o) { o.queue_depth = 0; }, "queue_depth = 0: must be 2 to 32768"},
        {"queue_depth 1", [](ringo::RuntimeOptions& o) { o.queue_depth = 1; }, "queue_depth = 1: must be 2 to 32768"},
        {"queue_depth 40000", [](ringo::RuntimeOptions& o) { o.queue_depth = 40000; }, "queue_depth = 40000"},
        {"size 0", [](ringo::RuntimeOptions& o) { o.read_buffers.size = 0; }, "read_buffers.size = 0"},
        {"count 0", [](ringo::RuntimeOptions& o) { o.read_buffers.count = 0; }, "read_buffers.count = 0"},
        {"count 40000", [](ringo::RuntimeOptions& o) { o.read_buffers.count = 40000; }, "read_buffers.count = 40000"},
        {"initial 0", [](ringo::RuntimeOptions& o) { o.read_buffers.initial = 0; }, "read_buffers.initial = 0"},
    };
    for (const auto& c : cases) {
        INFO(c.name);
        auto o = ringo::test::options_for(backend);
        c.set(o);
        auto rt = ringo::Runtime::create(o);
        REQUIRE_FALSE(rt.has_value());
        CHECK(rt.error() == std::errc::invalid_argument);
        CHECK(rt.error_info().context().find(c.says) != std::string::npos);
    }
    // The smallest queue still works, closes (a linked pair) included.
    auto o = ringo::test::options_for(backend);
    o.queue_depth = 2;
    auto rt = ringo::Runtime::create(o);
    REQUIRE(rt.has_value());
    int ok = (*rt)->block_on([]() -> Task<int> {
        int done = 0;
        for (int i = 0; i < 50; ++i) {
            auto p = ringo::test::socket_pair();
            auto w = co_await ringo::io::send(p.a, std::as_bytes(std::span("x", 1)));
            std::array<std::byte, 4> buf{};
            auto r = co_await ringo::io::recv(p.b, buf);
            auto c1 = co_await ringo::io::close(p.a);
            auto c2 = co_await ringo::io::close(p.b);
            done += w && r && *r == 1 && c1 && c2;
        }
        co_return done;
    }());
    CHECK(ok == 50);
}

TEST_CASE("the runtime's own wake-up fd cannot be closed through it, and stop() still wakes it", "[engine][hostile]") {
    auto backend = GENERATE(from_range(ringo::test::backends()));
    auto rt = ringo::Runtime::create(ringo::test::options_for(backend));
    REQUIRE(rt.has_value());
    auto& runtime = **rt;
    std::thread stopper;
    const auto t0 = ringo::Clock::now();
    bool threw = false;
    try {
        runtime.block_on([&]() -> Task<> {
            // A stale number that happens to name the runtime's eventfd.
            int refused = 0, eventfds = 0;
            for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
                std::error_code ec;
                auto target = std::filesystem::read_symlink(e.path(), ec).string();
                if (target != "anon_inode:[eventfd]") continue;
                ++eventfds;
                auto r = co_await ringo::io::close(std::stoi(e.path().filename().string()));
                if (!r && r.error() == std::errc::bad_file_descriptor) ++refused;
            }
            CHECK(eventfds >= 1);
            CHECK(refused == eventfds);
            stopper = std::thread([&] {
                std::this_thread::sleep_for(50ms);
                runtime.stop();
            });
            auto s = co_await ringo::sleep_for(10s);
            CHECK(!s);
        }());
    } catch (const ringo::ResultError&) {
        threw = true;
    }
    stopper.join();
    CHECK_FALSE(threw);
    CHECK(Seconds(ringo::Clock::now() - t0).count() < 5.0);
}
