// spawn(): join, cancel, detach, exceptions reported through the hook, and
// the runtime surviving a task that throws.
#include "harness.hpp"

#include <stdexcept>

using namespace std::chrono_literals;
using ringo::Task;

TEST_CASE("a spawned task runs and its join returns its value", "[engine][spawn]") {
    auto backend = GENERATE(from_range(ringo::test::backends()));
    ringo::test::run(backend, []() -> Task<> {
        auto h = ringo::spawn([]() -> Task<int> {
            co_await ringo::yield();
            co_return 7;
        }());
        auto r = co_await h;
        REQUIRE(r.has_value());
        CHECK(*r == 7);
        CHECK(h.done());
    });
}

TEST_CASE("spawned tasks run concurrently, not one after another", "[engine][spawn]") {
    auto backend = GENERATE(from_range(ringo::test::backends()));
    ringo::test::run(backend, []() -> Task<> {
        std::vector<int> order;
        auto a = ringo::spawn([](std::vector<int>& o) -> Task<> {
            o.push_back(1);
            co_await ringo::sleep_for(20ms);
            o.push_back(4);
        }(order));
        auto b = ringo::spawn([](std::vector<int>& o) -> Task<> {
            o.push_back(2);
            co_await ringo::sleep_for(5ms);
            o.push_back(3);
        }(order));
        (void)co_await a;
        (void)co_await b;
        CHECK(order == std::vector<int>{1, 2, 3, 4});
    });
}

TEST_CASE("join rethrows the exception a task ended with", "[engine][spawn]") {
    auto backend = GENERATE(from_range(ringo::test::backends()));
    ringo::test::run(backend, []() -> Task<> {
        auto h = ringo::spawn([]() -> Task<int> {
            co_await ringo::io::nop();
            throw std::runtime_error("task failed");
        }());
        bool threw = false;
        try {
            (void)co_await h;
        } catch (const std::runtime_error& e) {
            threw = std::string(e.what()) == "task failed";
        }
        CHECK(threw);
    });
}

TEST_CASE("a detached task's exception goes to the hook and the runtime goes on", "[engine][spawn]") {
    auto backend = GENERATE(from_range(ringo::test::backends()));
    std::vector<std::string> reported;
    auto opts = ringo::test::options_for(backend);
    opts.on_task_exception = [&](std::exception_ptr e) {
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            reported.emplace_back(ex.what());
        }
    };
    ringo::test::run(backend, []() -> Task<> {
        ringo::spawn([]() -> Task<> {
            co_await ringo::io::nop();
            throw std::runtime_error("detached boom");
        }()).detach();
        co_await ringo::yield();  // the detached task runs and throws
        // Still running: more work completes normally.
        auto h = ringo::spawn([]() -> Task<int> { co_return 1; }());
        auto joined = co_await h;
        CHECK(joined.value() == 1);
    }, opts);
    CHECK(reported == std::vector<std::string>{"detached boom"});
}

TEST_CASE("cancel makes the task's pending op and later ops fail with operation_canceled", "[engine][spawn][cancel]") {
    auto backend = GENERATE(from_range(ringo::test::backends()));
    ringo::test::run(backend, []() -> Task<> {
        auto h = ringo::spawn([]() -> Task<std::vector<std::error_code>> {
            std::vector<std::error_code> seen;
            seen.push_back((co_await ringo::sleep_for(10s)).error());
            seen.push_back((co_await ringo::sleep_for(1ms)).error());
            seen.push_back((co_await ringo::io::nop()).error());
            co_return seen;
        }());
        co_await ringo::io::nop();
        h.cancel();
        auto r = co_await h;
        REQUIRE(r.has_value());
        REQUIRE(r->size() == 3);
        for (auto& e : *r) CHECK(e == ringo::errc::operation_canceled);
    });
}

TEST_CASE("a dropped handle detaches the task, which still runs to the end", "[engine][spawn]") {
    auto backend = GENERATE(from_range(ringo::test::backends()));
    bool finished = false;
    ringo::test::run(backend, [&]() -> Task<> {
        {
            auto h = ringo::spawn([](bool& f) -> Task<> {
                co_await ringo::sleep_for(2ms);
                f = true;
            }(finished));
        }
        co_await ringo::sleep_for(20ms);
    });
    CHECK(finished);
}

TEST_CASE("a joining task that is cancelled stops waiting with operation_canceled", "[engine][spawn][cancel]") {
    auto backend = GENERATE(from_range(ringo::test::backends()));
    ringo::test::run(backend, []() -> Task<> {
        auto slow = ringo::spawn([]() -> Task<int> {
            co_await ringo::sleep_for(50ms);
            co_return 1;
        }());
        auto joiner = ringo::spawn([](ringo::JoinHandle<int>& s) -> Task<std::error_code> {
            auto r = co_await s;
            co_return r.error();
        }(slow));
        co_await ringo::io::nop();
        joiner.cancel();
        auto r = co_await joiner;
        REQUIRE(r.has_value());
        CHECK(*r == ringo::errc::operation_canceled);
        // The slow task itself was not cancelled.
        auto s = co_await slow;
        CHECK(s.value() == 1);
    });
}

TEST_CASE("spawn outside a runtime is a clear error", "[engine][spawn]") {
    CHECK_THROWS_AS(ringo::spawn([]() -> Task<> { co_return; }()), std::logic_error);
}

TEST_CASE("block_on inside a task is refused", "[engine][spawn]") {
    ringo::Runtime rt;
    rt.block_on([&]() -> Task<> {
        ringo::Runtime inner;
        CHECK_THROWS_AS(inner.block_on([]() -> Task<> { co_return; }()), std::logic_error);
        co_return;
    }());
}
