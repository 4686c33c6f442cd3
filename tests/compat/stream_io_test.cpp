// Data through the op interface on raw fds, on every backend: a socketpair
// echoes 1 MiB byte-exact, a TCP peer that sends and closes at once gives
// its data and then EOF (which stays EOF), a connect to a closed port is
// refused, and bad fds (numbers nobody opened, a directory, a file that is
// not a socket) give error results, never a crash. None leaks an fd.
#include "fd_support.hpp"
#include "harness.hpp"

#include <ringo/engine/io.hpp>
#include <ringo/engine/spawn.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <system_error>

using ringo::Task;
namespace io = ringo::io;

namespace {

using ringo::test::bytes_of;
using ringo::test::close_all;
using ringo::test::Pair;
using ringo::test::recv_one;
using ringo::test::recv_to_eof;
using ringo::test::send_all;
using ringo::test::socket_pair;
using ringo::test::tcp_listener;
using ringo::test::tcp_socket;
using ringo::test::text_of;

// Every coroutine here awaits first and asserts on the value after
// (fd_support.hpp says why).

}  // namespace

TEST_CASE("a socketpair echoes every byte back", "[compat][epoll]") {
    auto backend = GENERATE(from_range(ringo::test::backends()));
    ringo::test::FdLeakCheck leaks;
    auto data = ringo::test::random_bytes(1 << 20, 1);
    ringo::test::run(backend, [&]() -> Task<> {
        Pair p = socket_pair();
        auto echo = ringo::spawn([](int fd) -> Task<> {
            std::byte buf[8192];
            for (;;) {
                auto n = co_await io::recv(fd, buf);
                REQUIRE(n.has_value());
                if (*n == 0) break;
                auto sent = co_await send_all(fd, std::span(buf, *n));
                REQUIRE(sent.has_value());
            }
            auto shut = co_await io::shutdown(fd, SHUT_WR);
            REQUIRE(shut.has_value());
        }(p.b));
        auto writer = ringo::spawn([](int fd, std::span<const std::byte> d) -> Task<> {
            auto sent = co_await send_all(fd, d);
            REQUIRE(sent.has_value());
            auto shut = co_await io::shutdown(fd, SHUT_WR);
            REQUIRE(shut.has_value());
        }(p.a, data));
        auto got = co_await recv_to_eof(p.a);
        REQUIRE(got.has_value());
        CHECK(got->size() == data.size());
        CHECK((*got == data));
        auto writer_done = co_await writer;
        CHECK(writer_done.has_value());
        auto echo_done = co_await echo;
        CHECK(echo_done.has_value());
        co_await close_all(p.a, p.b);
    });
}

TEST_CASE("a TCP peer that sends and closes at once gives the data, then EOF", "[compat][epoll]") {
    auto backend = GENERATE(from_range(ringo::test::backends()));
    ringo::test::FdLeakCheck leaks;
    ringo::test::run(backend, [&]() -> Task<> {
        sockaddr_in addr{};
        int listener = tcp_listener(addr);
        auto server = ringo::spawn([](int lfd) -> Task<> {
            auto acc = io::accept(lfd);
            auto fd = co_await acc;
            REQUIRE(fd.has_value());
            auto& peer = reinterpret_cast<const sockaddr_in&>(acc.peer());
            CHECK(peer.sin_family == AF_INET);
            CHECK(peer.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
            auto sent = co_await send_all(*fd, bytes_of("hello, then nothing"));
            CHECK(sent.has_value());
            auto closed = co_await io::close(*fd);
            CHECK(closed.has_value());
        }(listener));
        int client = tcp_socket();
        auto c = co_await io::connect(client, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
        REQUIRE(c.has_value());
        auto got = co_await recv_to_eof(client);
        REQUIRE(got.has_value());
        CHECK(text_of(*got) == "hello, then nothing");
        // EOF stays EOF.
        auto again = co_await recv_one(client);
        REQUIRE(again.has_value());
        CHECK(*again == 0);
        auto joined = co_await server;
        CHECK(joined.has_value());
        co_await close_all(client, listener);
    });
}

TEST_CASE("connect to a port nobody listens on reports connection refused", "[compat][epoll]") {
    auto backend = GENERATE(from_range(ringo::test::backends()));
    ringo::test::FdLeakCheck leaks;
    ringo::test::run(backend, [&]() -> Task<> {
        sockaddr_in addr{};
        int listener = tcp_listener(addr);
        co_await close_all(listener);  // the port is now free, and nobody listens on it
        int client = tcp_socket();
        auto c = co_await io::connect(client, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
        REQUIRE_FALSE(c.has_value());
        CHECK(c.error() == std::error_code(ECONNREFUSED, std::system_category()));
        co_await close_all(client);
    });
}

TEST_CASE("bad fds give an error result, never a crash", "[compat][epoll]") {
    auto backend = GENERATE(from_range(ringo::test::backends()));
    ringo::test::FdLeakCheck leaks;
    const std::error_code ebadf(EBADF, std::system_category());
    ringo::test::run(backend, [&]() -> Task<> {
        std::byte buf[16];
        for (int fd : {-1, 1 << 29}) {
            auto r = co_await io::recv(fd, buf);
            CHECK(r.error() == ebadf);
            auto s = co_await io::send(fd, buf);
            CHECK(s.error() == ebadf);
            auto rd = co_await io::read(fd, buf, 0);
            CHECK(rd.error() == ebadf);
            auto a = co_await io::accept(fd);
            CHECK(a.error() == ebadf);
            auto c = co_await io::close(fd);
            CHECK(c.error() == ebadf);
        }
        // A directory: epoll refuses it, the pool reads it, read says EISDIR.
        int dir = ::open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        REQUIRE(dir >= 0);
        auto rd = co_await io::read(dir, buf, 0);
        CHECK(rd.error() == std::error_code(EISDIR, std::system_category()));
        // recv on something that is not a socket.
        auto r = co_await io::recv(dir, buf);
        CHECK(r.error() == std::error_code(ENOTSOCK, std::system_category()));
        co_await close_all(dir);
    });
}
