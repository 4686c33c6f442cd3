// Ops that park, on every backend: a send on a full socket buffer parks
// until the peer drains it (and the loop turns meanwhile), or fails with
// EPIPE when the peer closes; two recvs parked on one fd are served in the
// order they parked (epoll's promise; on io_uring each gets one byte); a
// parked recv ends with operation_canceled when its fd is closed or its
// task cancelled, and with timed_out at a deadline, and after a cancel or a
// deadline the socket still works. Closing under the other kinds of parked
// op is parked_close_test.cpp. No test waits on a sleep; none leaks an fd.
#include "fd_support.hpp"
#include "harness.hpp"

#include <ringo/engine/io.hpp>
#include <ringo/engine/runtime.hpp>
#include <ringo/engine/spawn.hpp>
#include <ringo/engine/time.hpp>

#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <span>
#include <system_error>

using namespace std::chrono_literals;
using ringo::Task;
namespace io = ringo::io;

namespace {

using ringo::test::bytes_of;
using ringo::test::close_all;
using ringo::test::is_canceled;
using ringo::test::is_timed_out;
using ringo::test::Pair;
using ringo::test::recv_one;
using ringo::test::recv_to_eof;
using ringo::test::run_on;
using ringo::test::send_all;
using ringo::test::socket_pair;

// Every coroutine here awaits first and asserts on the value after
// (fd_support.hpp says why).

}  // namespace

TEST_CASE("a send that fills the socket buffer parks until the peer drains it", "[compat][epoll]") {
    auto backend = GENERATE(from_range(ringo::test::backends()));
    ringo::test::FdLeakCheck leaks;
    auto data = ringo::test::random_bytes(4 << 20, 2);
    run_on(backend, [&](ringo::Runtime& rt) -> Task<> {
        Pair p = socket_pair();
        std::span<const std::byte> rest(data);
        auto first = co_await io::send(p.a, rest);
        REQUIRE(first.has_value());
        CHECK(*first > 0);
        CHECK(*first < rest.size());  // short: the buffer is full now
        rest = rest.subspan(*first);

        // The reader starts on the next turn; until then the send cannot
        // move a byte, so it must park and the loop must turn.
        auto reader = ringo::spawn(recv_to_eof(p.b));
        auto turns = rt.stats().loop_turns;
        auto sent = co_await send_all(p.a, rest);
        REQUIRE(sent.has_value());
        CHECK(rt.stats().loop_turns > turns);
        auto shut = co_await io::shutdown(p.a, SHUT_WR);
        REQUIRE(shut.has_value());

        auto got = co_await reader;
        REQUIRE(got.has_value());
        REQUIRE(got->has_value());
        CHECK((*got)->size() == data.size());
        CHECK((**got == data));
        co_await close_all(p.a, p.b);
    });
}

TEST_CASE("a send parked on a full buffer fails with EPIPE when the peer closes", "[compat][epoll]") {
    auto backend = GENERATE(from_range(ringo::test::backends()));
    ringo::test::FdLeakCheck leaks;
    auto data = ringo::test::random_bytes(4 << 20, 5);
    ringo::test::run(backend, [&]() -> Task<> {
        Pair p = socket_pair();
        auto sender = ringo::spawn(send_all(p.a, data));  // fills the buffer, then parks
        co_await ringo::yield();
        CHECK_FALSE(sender.done());
        co_await close_all(p.b);
        auto r = co_await sender;
        REQUIRE(r.has_value());
        REQUIRE_FALSE(r->has_value());
        CHECK(r->error() == std::error_code(EPIPE, std::system_category()));
        co_await close_all(p.a);
    });
}

// epoll serves a direction's parked ops in the order they parked. io_uring
// makes no such promise for two reads of one socket (its poll wake-ups run
// newest first), and neither does ringo: like Go, which lets one reader at a
// time in, it expects one reader per stream. There the test checks that
// each read got exactly one of the bytes.
TEST_CASE("two recvs parked on one fd are served in the order they parked", "[compat][epoll]") {
    auto backend = GENERATE(from_range(ringo::test::backends()));
    ringo::test::FdLeakCheck leaks;
    ringo::test::run(backend, [&]() -> Task<> {
        Pair p = socket_pair();
        auto first = ringo::spawn([](int fd) -> Task<char> {
            char c = 0;
            auto n = co_await io::recv(fd, std::as_writable_bytes(std::span(&c, 1)));
            REQUIRE(n.has_value());
            co_return c;
        }(p.a));
        auto second = ringo::spawn([](int fd) -> Task<char> {
            char c = 0;
            auto n = co_await io::recv(fd, std::as_writable_bytes(std::span(&c, 1)));
            REQUIRE(n.has_value());
            co_return c;
        }(p.a));
        co_await ringo::yield();  // both are parked now, in spawn order
        auto sent = co_await send_all(p.b, bytes_of("xy"));
        REQUIRE(sent.has_value());
        auto x = co_await first;
        auto y = co_await second;
        REQUIRE(x.has_value());
        REQUIRE(y.has_value());
        if (ringo::Runtime::current()->backend() == ringo::Backend::epoll) {
            CHECK(*x == 'x');
            CHECK(*y == 'y');
        } else {
            const bool one_each = (*x == 'x' && *y == 'y') || (*x == 'y' && *y == 'x');
            CHECK(one_each);
        }
        co_await close_all(p.a, p.b);
    });
}

TEST_CASE("closing an fd wakes a recv parked on it with operation_canceled", "[compat][epoll]") {
    auto backend = GENERATE(from_range(ringo::test::backends()));
    ringo::test::FdLeakCheck leaks;
    ringo::test::run(backend, [&]() -> Task<> {
        Pair p = socket_pair();
        auto waiter = ringo::spawn(recv_one(p.a));
        co_await ringo::yield();  // its recv is parked
        CHECK_FALSE(waiter.done());
        auto closed = co_await io::close(p.a);
        CHECK(closed.has_value());
        auto r = co_await waiter;
        REQUIRE(r.has_value());
        REQUIRE_FALSE(r->has_value());
        CHECK(is_canceled(r->error()));
        co_await close_all(p.b);
    });
}

TEST_CASE("cancelling a task wakes its parked recv, and the socket still works", "[compat][epoll]") {
    auto backend = GENERATE(from_range(ringo::test::backends()));
    ringo::test::FdLeakCheck leaks;
    ringo::test::run(backend, [&]() -> Task<> {
        Pair p = socket_pair();
        auto waiter = ringo::spawn(recv_one(p.a));
        co_await ringo::yield();
        CHECK_FALSE(waiter.done());
        waiter.cancel();
        auto r = co_await waiter;
        REQUIRE(r.has_value());  // the task ended normally, its recv did not
        REQUIRE_FALSE(r->has_value());
        CHECK(is_canceled(r->error()));

        auto sent = co_await send_all(p.b, bytes_of("z"));
        REQUIRE(sent.has_value());
        char c = 0;
        auto n = co_await io::recv(p.a, std::as_writable_bytes(std::span(&c, 1)));
        REQUIRE(n.has_value());
        CHECK(*n == 1);
        CHECK(c == 'z');
        co_await close_all(p.a, p.b);
    });
}

TEST_CASE("with_timeout on a recv gives timed_out and leaves the socket usable", "[compat][epoll]") {
    auto backend = GENERATE(from_range(ringo::test::backends()));
    ringo::test::FdLeakCheck leaks;
    ringo::test::run(backend, [&]() -> Task<> {
        Pair p = socket_pair();
        char c = 0;
        auto buf = std::as_writable_bytes(std::span(&c, 1));
        auto r = co_await ringo::with_timeout(20ms, io::recv(p.a, buf));
        REQUIRE_FALSE(r.has_value());
        CHECK(is_timed_out(r.error()));

        auto sent = co_await send_all(p.b, bytes_of("k"));
        REQUIRE(sent.has_value());
        auto again = co_await ringo::with_timeout(10s, io::recv(p.a, buf));
        REQUIRE(again.has_value());
        CHECK(*again == 1);
        CHECK(c == 'k');
        co_await close_all(p.a, p.b);
    });
}
