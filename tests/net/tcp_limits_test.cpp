// The limits a stream or listener can hit besides plain I/O errors: write
// deadlines, connect timeouts, a listener closed under a pending accept, and
// the socket options the API promises. On every backend; assertions are
// about order and error codes, never durations.
#include "harness.hpp"
#include "tcp_support.hpp"

#include <ringo/net/tcp_listener.hpp>
#include <ringo/net/tcp_stream.hpp>

#include <algorithm>
#include <cstring>
#include <vector>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace std::chrono_literals;
using ringo::Task;
using ringo::net::SocketAddr;
using ringo::net::TcpListener;
using ringo::net::TcpStream;
using ringo::test::addr_of;
using ringo::test::listen_any;

namespace {

int int_option(int fd, int level, int name) {
    int v = -1;
    socklen_t len = sizeof v;
    REQUIRE(::getsockopt(fd, level, name, &v, &len) == 0);
    return v;
}

// A loopback listener (plain sockets, outside ringo) whose accept queue is
// full, so the kernel drops every further SYN and a connect to it can only
// end by its timeout. listen(fd, 0) admits one established connection;
// the filler takes that place.
struct FullListener {
    int fd = -1;
    int filler = -1;
    SocketAddr addr;
    FullListener() {
        sockaddr_in a{};
        fd = ringo::test::tcp_listener(a, 0);
        addr = SocketAddr::v4_loopback(ntohs(a.sin_port));
        filler = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        REQUIRE(filler >= 0);
        // Blocking: returns once established, holding the queue's one place.
        REQUIRE(::connect(filler, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0);
    }
    ~FullListener() {
        ::close(filler);
        ::close(fd);
    }
};

}  // namespace

TEST_CASE("a write deadline fails the parked and later writes with timed_out and loses no byte", "[net][tcp][deadline]") {
    ringo::test::FdLeakCheck fds;
    auto backend = GENERATE(from_range(ringo::test::backends()));
    ringo::test::run(backend, [&]() -> Task<> {
        auto l = listen_any();
        auto [c, s] = co_await ringo::test::connected_pair(l);
        // Nobody reads s: writes fill both socket buffers, then one parks
        // until the deadline fails it.
        std::vector<std::byte> chunk(64 * 1024, std::byte{'w'});
        std::size_t sent = 0;
        std::error_code err;
        c.set_write_deadline(ringo::Clock::now() + 20ms);
        while (!err) {
            auto n = co_await c.write(chunk);
            if (n) sent += *n;
            else err = n.error();
        }
        CHECK(err == ringo::errc::timed_out);
        CHECK(sent > 0);
        // Expired: a later write fails at once, even one byte.
        auto again = co_await c.write(std::string_view("x"));
        CHECK(again.error() == ringo::errc::timed_out);
        // Cleared: the connection is intact. Everything written arrives,
        // then the tail, and nothing else.
        c.set_write_deadline({});
        auto reader = ringo::spawn([](TcpStream& st, std::size_t expect) -> Task<std::string> {
            std::vector<std::byte> buf(64 * 1024);
            std::size_t got = 0;
            while (got < expect) {
                auto n = co_await st.read(std::span(buf).first(std::min(buf.size(), expect - got)));
                if (!n) co_return "read failed after " + std::to_string(got) + " bytes: " + n.message();
                if (*n == 0) co_return "EOF after " + std::to_string(got) + " bytes";
                for (std::size_t i = 0; i < *n; ++i)
                    if (buf[i] != std::byte{'w'}) co_return "byte " + std::to_string(static_cast<int>(buf[i])) + " at offset " + std::to_string(got + i) + " of " + std::to_string(expect);
                got += *n;
            }
            std::array<char, 4> tail{};
            auto r = co_await st.read_exact(tail);
            if (!r) co_return "no tail: " + r.message();
            co_return std::string(tail.data(), 4);
        }(s, sent));
        auto w = co_await c.write_all(std::string_view("tail"));
        CHECK(w.has_value());
        auto got = co_await reader;
        CHECK(got.value() == "tail");
    });
}

TEST_CASE("a connect that gets no answer ends with timed_out at its timeout", "[net][tcp][deadline]") {
    ringo::test::FdLeakCheck fds;
    auto backend = GENERATE(from_range(ringo::test::backends()));
    FullListener full;
    ringo::test::run(backend, [&]() -> Task<> {
        ringo::net::ConnectOptions opts;
        opts.timeout = 20ms;
        auto c = co_await TcpStream::connect(full.addr, opts);
        REQUIRE_FALSE(c.has_value());
        CHECK(c.error() == ringo::errc::timed_out);
        CHECK(c.error_info().context().find(full.addr.to_string()) != std::string::npos);
    });
}

TEST_CASE("closing a listener wakes its pending accept with operation_canceled", "[net][tcp][cancel]") {
    ringo::test::FdLeakCheck fds;
    auto backend = GENERATE(from_range(ringo::test::backends()));
    auto multishot = GENERATE(true, false);
    auto opts = ringo::test::options_for(backend);
    opts.multishot_accept = multishot;
    ringo::test::run(backend, [&]() -> Task<> {
        auto l = listen_any();
        auto acceptor = ringo::spawn([](TcpListener& listener) -> Task<std::error_code> {
            auto c = co_await listener.accept();
            co_return c.error();
        }(l));
        co_await ringo::yield();  // let it park
        auto closed = co_await l.close();
        CHECK(closed.has_value());
        CHECK_FALSE(l.is_open());
        auto r = co_await acceptor;
        REQUIRE(r.has_value());
        CHECK(*r == ringo::errc::operation_canceled);
    }, opts);
}

TEST_CASE("set_nodelay and set_keepalive reach the socket, and accepted streams get the listener's nodelay", "[net][tcp]") {
    ringo::test::FdLeakCheck fds;
    auto backend = GENERATE(from_range(ringo::test::backends()));
    auto listener_nodelay = GENERATE(true, false);
    ringo::test::run(backend, [&]() -> Task<> {
        ringo::net::ListenOptions lo;
        lo.nodelay = listener_nodelay;
        auto l = TcpListener::bind(SocketAddr::v4_loopback(0), lo);
        REQUIRE(l.has_value());
        auto [c, s] = co_await ringo::test::connected_pair(*l);
        CHECK((int_option(s.native_handle(), IPPROTO_TCP, TCP_NODELAY) != 0) == listener_nodelay);

        REQUIRE(c.set_nodelay(true).has_value());
        CHECK(int_option(c.native_handle(), IPPROTO_TCP, TCP_NODELAY) != 0);
        REQUIRE(c.set_nodelay(false).has_value());
        CHECK(int_option(c.native_handle(), IPPROTO_TCP, TCP_NODELAY) == 0);
        REQUIRE(c.set_keepalive(true).has_value());
        CHECK(int_option(c.native_handle(), SOL_SOCKET, SO_KEEPALIVE) != 0);
        REQUIRE(c.set_keepalive(false).has_value());
        CHECK(int_option(c.native_handle(), SOL_SOCKET, SO_KEEPALIVE) == 0);
        // On a closed stream: an error that says so, not a call on fd -1.
        co_await c.close();
        auto closed = c.set_nodelay(true);
        CHECK_FALSE(closed.has_value());
    });
}

TEST_CASE("reuse_port lets two listeners share a port; without it the second bind names the address", "[net][tcp]") {
    ringo::test::FdLeakCheck fds;
    ringo::net::ListenOptions shared;
    shared.reuse_port = true;
    auto a = TcpListener::bind(SocketAddr::v4_loopback(0), shared);
    REQUIRE(a.has_value());
    auto port = a->local_addr().value().port();
    auto b = TcpListener::bind(SocketAddr::v4_loopback(port), shared);
    REQUIRE(b.has_value());
    CHECK(int_option(b->native_handle(), SOL_SOCKET, SO_REUSEPORT) != 0);

    auto lone = TcpListener::bind(SocketAddr::v4_loopback(0));
    REQUIRE(lone.has_value());
    auto taken = lone->local_addr().value();
    auto clash = TcpListener::bind(taken);
    REQUIRE_FALSE(clash.has_value());
    CHECK(clash.error() == std::errc::address_in_use);
    CHECK(clash.message().find(taken.to_string()) != std::string::npos);
}
