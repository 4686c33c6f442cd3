// Task<T>: laziness, values, exceptions, and constant stack depth over long
// chains of synchronously completing awaits.
#include "harness.hpp"

#include <stdexcept>

using ringo::Task;

namespace {

Task<int> add_one(int x) { co_return x + 1; }

Task<int> count_up(int n) {
    int v = 0;
    for (int i = 0; i < n; ++i) v = co_await add_one(v);
    co_return v;
}

Task<int> throws_after(int n) {
    co_await add_one(n);
    throw std::runtime_error("boom");
}

Task<int> nested(int depth) {
    if (depth == 0) co_return 0;
    co_return 1 + co_await nested(depth - 1);
}

}  // namespace

TEST_CASE("a task does not run until it is awaited", "[engine][task]") {
    bool ran = false;
    auto make = [&]() -> Task<void> {
        ran = true;
        co_return;
    };
    ringo::Runtime rt;
    auto t = make();
    CHECK_FALSE(ran);
    rt.block_on(std::move(t));
    CHECK(ran);
}

TEST_CASE("a million synchronously completing awaits do not grow the stack", "[engine][task]") {
    for (auto backend : ringo::test::backends()) {
        ringo::RuntimeOptions o;
        o.backend = backend;
        ringo::Runtime rt(o);
        CHECK(rt.block_on(count_up(1'000'000)) == 1'000'000);
    }
}

TEST_CASE("an exception thrown in a task reaches its awaiter", "[engine][task]") {
    ringo::Runtime rt;
    auto outer = []() -> Task<std::string> {
        try {
            co_await throws_after(3);
        } catch (const std::runtime_error& e) {
            co_return e.what();
        }
        co_return "no exception";
    };
    CHECK(rt.block_on(outer()) == "boom");
}

TEST_CASE("block_on rethrows the exception its task ended with", "[engine][task]") {
    ringo::Runtime rt;
    CHECK_THROWS_AS(rt.block_on(throws_after(1)), std::runtime_error);
}

TEST_CASE("nested tasks return values through every level", "[engine][task]") {
    ringo::Runtime rt;
    CHECK(rt.block_on(nested(500)) == 500);
}

TEST_CASE("a task is move-only and an empty task reports misuse", "[engine][task]") {
    static_assert(!std::is_copy_constructible_v<Task<int>>);
    static_assert(std::is_move_constructible_v<Task<int>>);
    ringo::Runtime rt;
    auto t = add_one(1);
    auto moved = std::move(t);
    CHECK_FALSE(t.valid());
    CHECK(rt.block_on(std::move(moved)) == 2);
}
