// Closing an fd through ringo while an op is parked on it, for each kind of
// op that parks: a send on a full socket buffer, an accept with nobody
// connecting, a connect whose SYN the listener drops (its accept queue is
// full). Each op must complete with operation_canceled, and no fd may leak
// (no late accept, no socket left behind). Recvs are covered in
// parked_ops_test.cpp. Last, a half-closed TCP connection: the side whose
// peer shut down its write side keeps writing, and the peer reads it all.
// Every case runs on every backend; every wait is bounded.
#include "fd_support.hpp"
#include "harness.hpp"
#include "tcp_support.hpp"

#include <ringo/engine/io.hpp>
#include <ringo/engine/spawn.hpp>
#include <ringo/engine/time.hpp>
#include <ringo/net/tcp_stream.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <chrono>
#include <cstddef>
#include <span>
#include <thread>
#include <utility>
#include <vector>

using namespace std::chrono_literals;
using ringo::Task;
using ringo::test::close_all;
using ringo::test::is_canceled;
namespace io = ringo::io;

namespace {

// Far beyond any loopback step; short enough that a hang shows as a failure.
constexpr auto bound = 5s;

// Joins a task whose one op was parked when its fd was closed: the op must
// have ended with operation_canceled.
template <class T>
Task<void> expect_canceled(ringo::JoinHandle<ringo::Result<T>> task) {
    auto r = co_await ringo::with_timeout(bound, std::move(task));
    REQUIRE(r.has_value());  // timed_out here: the close left the op parked
    REQUIRE_FALSE(r->has_value());
    CHECK(is_canceled(r->error()));
}

Task<ringo::Result<std::size_t>> send_once(int fd, std::span<const std::byte> data) {
    co_return co_await io::send(fd, data);
}

Task<ringo::Result<int>> accept_once(int fd) { co_return co_await io::accept(fd); }

Task<ringo::Result<void>> connect_once(int fd, sockaddr_in addr) {
    co_return co_await io::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
}

// A listener's accept queue: connections waiting for accept, and the most
// it holds (TCP_INFO reuses two fields for these on a listening socket).
bool accept_queue_full(int listener) {
    tcp_info info{};
    socklen_t len = sizeof info;
    REQUIRE(::getsockopt(listener, IPPROTO_TCP, TCP_INFO, &info, &len) == 0);
    return info.tcpi_unacked > info.tcpi_sacked;
}

}  // namespace

TEST_CASE("closing an fd wakes a send parked on a full socket buffer with operation_canceled",
          "[compat][close_parked]") {
    auto backend = GENERATE(from_range(ringo::test::backends()));
    ringo::test::FdLeakCheck leaks;
    auto data = ringo::test::random_bytes(4 << 20, 7);
    ringo::test::run(backend, [&]() -> Task<> {
        auto p = ringo::test::socket_pair();
        auto first = co_await io::send(p.a, data);
        REQUIRE(first.has_value());
        REQUIRE(*first < data.size());  // short: the buffer is full, and nobody reads
        auto sender = ringo::spawn(send_once(p.a, std::span(data).subspan(*first)));
        co_await ringo::yield();  // its send is parked
        CHECK_FALSE(sender.done());
        auto closed = co_await io::close(p.a);
        CHECK(closed.has_value());
        co_await expect_canceled(std::move(sender));
        co_await close_all(p.b);
    });
}

TEST_CASE("closing a listener wakes an accept parked on it with operation_canceled", "[compat][close_parked]") {
    auto backend = GENERATE(from_range(ringo::test::backends()));
    ringo::test::FdLeakCheck leaks;
    ringo::test::run(backend, [&]() -> Task<> {
        sockaddr_in addr{};
        int listener = ringo::test::tcp_listener(addr);
        auto acceptor = ringo::spawn(accept_once(listener));
        co_await ringo::yield();  // its accept is parked: nobody connects
        CHECK_FALSE(acceptor.done());
        auto closed = co_await io::close(listener);
        CHECK(closed.has_value());
        co_await expect_canceled(std::move(acceptor));
    });
}

TEST_CASE("closing a socket wakes a connect parked on a full accept queue with operation_canceled",
          "[compat][close_parked]") {
    auto backend = GENERATE(from_range(ringo::test::backends()));
    ringo::test::FdLeakCheck leaks;
    ringo::test::run(backend, [&]() -> Task<> {
        // listen(fd, 0): the queue holds one connection nobody accepts; once
        // it does, the kernel drops every further SYN, and a connect stays
        // in SYN_SENT (its first retry is a second away).
        sockaddr_in addr{};
        int listener = ringo::test::tcp_listener(addr, 0);
        std::vector<int> fillers;
        while (!accept_queue_full(listener)) {
            REQUIRE(fillers.size() < 4);
            fillers.push_back(ringo::test::tcp_socket());
            auto c = co_await ringo::with_timeout(bound, connect_once(fillers.back(), addr));
            REQUIRE(c.has_value());
            // The client is connected once the SYN-ACK is in; the listener
            // queues the connection when the ACK is, a moment later.
            for (int i = 0; i < 100000 && !accept_queue_full(listener); ++i) std::this_thread::yield();
        }
        int victim = ringo::test::tcp_socket();
        auto connector = ringo::spawn(connect_once(victim, addr));
        co_await ringo::yield();  // its connect is parked: the SYN was dropped
        CHECK_FALSE(connector.done());
        auto closed = co_await io::close(victim);
        CHECK(closed.has_value());
        co_await expect_canceled(std::move(connector));
        fillers.push_back(listener);
        co_await ringo::test::close_each(std::move(fillers));
    });
}

TEST_CASE("a TCP stream keeps writing after its peer shut down its write side, and the peer reads it all",
          "[compat][half_close]") {
    auto backend = GENERATE(from_range(ringo::test::backends()));
    ringo::test::FdLeakCheck leaks;
    auto data = ringo::test::random_bytes(1 << 20, 8);
    ringo::test::run(backend, [&]() -> Task<> {
        auto listener = ringo::test::listen_any();
        auto pair = co_await ringo::test::connected_pair(listener);
        auto& client = pair.client;
        auto& server = pair.server;

        // The server is done talking: the client reads EOF.
        auto shut = co_await server.shutdown(ringo::net::Shutdown::write);
        REQUIRE(shut.has_value());
        std::byte b{};
        auto eof = co_await ringo::with_timeout(bound, client.read(std::span(&b, 1)));
        REQUIRE(eof.has_value());
        CHECK(*eof == 0);

        // The client still talks, more than the socket buffers hold, so its
        // writes park and resume while the server reads.
        auto reader = ringo::spawn([](ringo::net::TcpStream& s, std::size_t n) -> Task<std::vector<std::byte>> {
            std::vector<std::byte> got(n);
            auto r = co_await s.read_exact(got);
            REQUIRE(r.has_value());
            co_return got;
        }(server, data.size()));
        auto sent = co_await ringo::with_timeout(bound, client.write_all(data));
        REQUIRE(sent.has_value());
        auto got = co_await ringo::with_timeout(bound, std::move(reader));
        REQUIRE(got.has_value());
        CHECK((*got == data));

        // Then the client ends too, and the server sees its EOF.
        shut = co_await client.shutdown(ringo::net::Shutdown::write);
        REQUIRE(shut.has_value());
        auto end = co_await ringo::with_timeout(bound, server.read(std::span(&b, 1)));
        REQUIRE(end.has_value());
        CHECK(*end == 0);
        co_await client.close();
        co_await server.close();
        co_await listener.close();
    });
}
