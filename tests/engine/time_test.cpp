// Timers: sleep order, with_timeout on ops and on tasks, cancellation of a
// sleeping task. Assertions are about order and error codes, never about
// how long anything took.
#include "harness.hpp"

using namespace std::chrono_literals;
using ringo::Task;

TEST_CASE("sleeps wake in deadline order, not start order", "[engine][time]") {
    auto backend = GENERATE(from_range(ringo::test::backends()));
    ringo::test::run(backend, []() -> Task<> {
        std::vector<int> order;
        auto sleeper = [](std::vector<int>& o, int id, std::chrono::milliseconds d) -> Task<> {
            co_await ringo::sleep_for(d);
            o.push_back(id);
        };
        auto a = ringo::spawn(sleeper(order, 3, 30ms));
        auto b = ringo::spawn(sleeper(order, 1, 1ms));
        auto c = ringo::spawn(sleeper(order, 2, 10ms));
        (void)co_await a;
        (void)co_await b;
        (void)co_await c;
        CHECK(order == std::vector<int>{1, 2, 3});
    });
}

TEST_CASE("a sleep that already passed completes at once and successfully", "[engine][time]") {
    auto backend = GENERATE(from_range(ringo::test::backends()));
    ringo::test::run(backend, []() -> Task<> {
        auto r = co_await ringo::sleep_until(ringo::Clock::now() - 1s);
        CHECK(r.has_value());
        r = co_await ringo::sleep_for(0ms);
        CHECK(r.has_value());
    });
}

TEST_CASE("with_timeout gives timed_out when the awaitable outlasts it", "[engine][time]") {
    auto backend = GENERATE(from_range(ringo::test::backends()));
    ringo::test::run(backend, []() -> Task<> {
        auto r = co_await ringo::with_timeout(2ms, ringo::sleep_for(10s));
        CHECK(r.error() == ringo::errc::timed_out);
        auto ok = co_await ringo::with_timeout(10s, ringo::sleep_for(1ms));
        CHECK(ok.has_value());
    });
}

TEST_CASE("with_timeout around a task cancels whatever the task waits on", "[engine][time]") {
    auto backend = GENERATE(from_range(ringo::test::backends()));
    ringo::test::run(backend, []() -> Task<> {
        auto inner = []() -> Task<int> {
            co_await ringo::io::nop();
            auto r = co_await ringo::sleep_for(10s);
            co_return r ? 1 : -1;
        };
        auto r = co_await ringo::with_timeout(2ms, inner());
        CHECK(r.error() == ringo::errc::timed_out);
        // A value type the task returns normally when in time.
        auto v = co_await ringo::with_timeout(10s, []() -> Task<int> { co_return 5; }());
        CHECK(v.value() == 5);
        // After the scope ends, ops of the caller are not affected.
        auto slept = co_await ringo::sleep_for(1ms);
        CHECK(slept.has_value());
    });
}

TEST_CASE("nested with_timeout: the inner deadline fires first", "[engine][time]") {
    auto backend = GENERATE(from_range(ringo::test::backends()));
    ringo::test::run(backend, []() -> Task<> {
        auto outer = []() -> Task<ringo::Result<void>> {
            auto r = co_await ringo::with_timeout(1ms, ringo::sleep_for(10s));
            CHECK(r.error() == ringo::errc::timed_out);
            co_return co_await ringo::sleep_for(1ms);  // the outer scope is still alive
        };
        auto r = co_await ringo::with_timeout(10s, outer());
        CHECK(r.has_value());
    });
}
