// resolve_async: literals and syntax errors answer without a lookup thread;
// a name is looked up off the loop; a waiter cancelled by with_timeout or
// its JoinHandle returns at once with no fd left open, while the lookup
// thread, held up on purpose through the test seam, finishes alone and
// frees what it shared. Each case runs on every backend available here.
#include "harness.hpp"

#include <ringo/engine/spawn.hpp>
#include <ringo/net/resolve.hpp>
#include <ringo/net/socket_addr.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using ringo::errc;
using ringo::Task;
using ringo::net::SocketAddr;
using Addrs = ringo::Result<std::vector<SocketAddr>>;
using namespace std::chrono_literals;

namespace {

// A stand-in for getaddrinfo that counts its calls and, while the gate is
// shut, waits until the test opens it.
struct FakeResolver {
    static inline std::mutex mu;
    static inline std::condition_variable cv;
    static inline bool gate_open = true;
    static inline std::atomic<int> calls{0};

    static Addrs resolve(std::string_view) {
        ++calls;
        std::unique_lock lock(mu);
        cv.wait(lock, [] { return gate_open; });
        return std::vector<SocketAddr>{SocketAddr::v4_loopback(80)};
    }
    static void set_gate(bool open) {
        std::lock_guard lock(mu);
        gate_open = open;
        cv.notify_all();
    }
};

// Installs the fake for one test case, shut or open; on the way out opens
// the gate and waits (bounded) for every lookup thread to let go.
class FakeResolverScope {
public:
    explicit FakeResolverScope(bool gate_open) {
        FakeResolver::calls = 0;
        FakeResolver::set_gate(gate_open);
        previous_ = ringo::net::detail::set_blocking_resolve_for_testing(&FakeResolver::resolve);
    }
    ~FakeResolverScope() {
        FakeResolver::set_gate(true);
        ringo::net::detail::set_blocking_resolve_for_testing(previous_);
    }
    FakeResolverScope(const FakeResolverScope&) = delete;
    FakeResolverScope& operator=(const FakeResolverScope&) = delete;

private:
    ringo::net::detail::BlockingResolve previous_;
};

// The lookup threads hold their shared state until they end; nothing tells
// the test when that is, so wait for the count, up to a bound.
bool lookups_drain_within(std::chrono::seconds limit) {
    auto until = std::chrono::steady_clock::now() + limit;
    while (ringo::net::detail::lookups_in_flight() != 0) {
        if (std::chrono::steady_clock::now() > until) return false;
        std::this_thread::yield();
    }
    return true;
}

bool is_loopback(const SocketAddr& a) {
    if (a.is_v4()) return a.ip_string().rfind("127.", 0) == 0;
    return a.is_v6() && a.with_port(0) == SocketAddr::v6_loopback(0);
}

}  // namespace

TEST_CASE("resolve_async answers a literal at once and starts no lookup", "[net][addr]") {
    auto backend = GENERATE(from_range(ringo::test::backends()));
    ringo::test::FdLeakCheck fds;
    FakeResolverScope fake(false);  // a lookup would hang: there must be none
    ringo::test::run(backend, [&]() -> Task<void> {
        auto v6 = co_await ringo::net::resolve_async("[::1]:80");
        REQUIRE(v6.has_value());
        CHECK(*v6 == std::vector<SocketAddr>{SocketAddr::v6_loopback(80)});
        auto v4 = co_await ringo::net::resolve_async("127.0.0.1:8080");
        REQUIRE(v4.has_value());
        CHECK(*v4 == std::vector<SocketAddr>{SocketAddr::v4_loopback(8080)});
        auto bad = co_await ringo::net::resolve_async("1.2.3:80");
        REQUIRE_FALSE(bad.has_value());
        CHECK(bad.error() == errc::invalid_address);
        CHECK(bad.error_info().context().find("\"1.2.3:80\"") != std::string::npos);
    });
    CHECK(FakeResolver::calls == 0);
}

TEST_CASE("resolve_async of localhost gives loopback addresses off the loop", "[net][addr]") {
    auto backend = GENERATE(from_range(ringo::test::backends()));
    ringo::test::FdLeakCheck fds;
    ringo::test::run(backend, [&]() -> Task<void> {
        // Bounded, so a slow resolver fails the test instead of hanging it.
        auto r = co_await ringo::with_timeout(10s, ringo::net::resolve_async("localhost:80"));
        REQUIRE(r.has_value());
        REQUIRE_FALSE(r->empty());
        for (const auto& a : *r) {
            INFO(a.to_string());
            CHECK(is_loopback(a));
            CHECK(a.port() == 80);
        }
    });
    CHECK(lookups_drain_within(5s));
}

TEST_CASE("resolve_async passes the lookup's answer through from its thread", "[net][addr]") {
    auto backend = GENERATE(from_range(ringo::test::backends()));
    ringo::test::FdLeakCheck fds;
    FakeResolverScope fake(true);
    ringo::test::run(backend, [&]() -> Task<void> {
        std::string input = "fake.test:80";
        auto task = ringo::net::resolve_async(input);
        input.assign("the caller's string is gone");  // the task holds its own copy
        auto r = co_await std::move(task);
        REQUIRE(r.has_value());
        CHECK(*r == std::vector<SocketAddr>{SocketAddr::v4_loopback(80)});
    });
    CHECK(FakeResolver::calls == 1);
    CHECK(lookups_drain_within(5s));
}

TEST_CASE("resolve_async cut short by with_timeout returns timed_out and leaks no fd", "[net][addr]") {
    auto backend = GENERATE(from_range(ringo::test::backends()));
    {
        ringo::test::FdLeakCheck fds;
        FakeResolverScope fake(false);  // the lookup stays in flight throughout
        ringo::test::run(backend, [&]() -> Task<void> {
            auto start = std::chrono::steady_clock::now();
            auto r = co_await ringo::with_timeout(20ms, ringo::net::resolve_async("slow.test:80"));
            auto took = std::chrono::steady_clock::now() - start;
            REQUIRE_FALSE(r.has_value());
            CHECK(r.error() == errc::timed_out);
            CHECK(r.error_info().context().find("\"slow.test:80\"") != std::string::npos);
            CHECK(took < 2s);
            CHECK(ringo::net::detail::lookups_in_flight() == 1);  // the thread still holds it
        });
        // The fake's scope ends here: it opens the gate, the thread answers
        // into the void and lets go.
    }
    CHECK(lookups_drain_within(5s));
}

TEST_CASE("resolve_async cancelled through its JoinHandle returns operation_canceled at once", "[net][addr]") {
    auto backend = GENERATE(from_range(ringo::test::backends()));
    {
        ringo::test::FdLeakCheck fds;
        FakeResolverScope fake(false);
        ringo::test::run(backend, [&]() -> Task<void> {
            auto handle = ringo::spawn(ringo::net::resolve_async("slow.test:443"));
            // One round trip through the backend lets the spawned task run up
            // to its wait on the eventfd.
            (void)co_await ringo::io::nop();
            auto start = std::chrono::steady_clock::now();
            handle.cancel();
            auto joined = co_await handle;
            REQUIRE(joined.has_value());
            const Addrs& r = *joined;
            REQUIRE_FALSE(r.has_value());
            CHECK(r.error() == errc::operation_canceled);
            CHECK(r.error_info().context().find("\"slow.test:443\"") != std::string::npos);
            CHECK(std::chrono::steady_clock::now() - start < 2s);
        });
    }
    CHECK(lookups_drain_within(5s));
}

TEST_CASE("block_on returning cancels a resolve_async left running and closes its eventfd", "[net][addr]") {
    auto backend = GENERATE(from_range(ringo::test::backends()));
    {
        ringo::test::FdLeakCheck fds;
        FakeResolverScope fake(false);
        ringo::test::run(backend, [&]() -> Task<void> {
            ringo::spawn(ringo::net::resolve_async("slow.test:80")).detach();
            (void)co_await ringo::io::nop();
        });
    }
    CHECK(lookups_drain_within(5s));
}
