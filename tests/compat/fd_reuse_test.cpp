// A socket closed with close(2) behind ringo's back, while a recv was parked
// on it, and its number given to a new socket that enters ringo: from an
// accept, as the socket TcpStream::connect makes, a socketpair announced
// with io::opened, or in an SCM_RIGHTS message a recvmsg takes in. The epoll backend's PollDesc for that number still said
// "registered" and held the dead socket's recv, so the new socket was never
// added to the epoll set and its ops queued behind the dead one: they hung
// where io_uring served them. Every wait here is bounded by with_timeout, so
// a regression fails instead of hanging. ringo's contract (io.hpp) still
// says to close through ringo; this is about never hanging silently.
#include "fd_support.hpp"
#include "fd_message.hpp"
#include "harness.hpp"
#include "tcp_support.hpp"

#include <ringo/engine/io.hpp>
#include <ringo/engine/runtime.hpp>
#include <ringo/engine/spawn.hpp>
#include <ringo/engine/time.hpp>
#include <ringo/net/tcp_stream.hpp>

#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstring>
#include <span>
#include <string>
#include <utility>

using namespace std::chrono_literals;
using ringo::Task;
using ringo::test::bytes_of;
using ringo::test::close_all;
using ringo::test::is_canceled;
using ringo::test::Pair;
namespace io = ringo::io;

namespace {

// Bounds every wait below: far beyond any loopback round trip, short
// enough that a hang shows as a failure.
constexpr auto bound = 5s;

// A recv parked on a socket that is then closed with close(2), behind the
// runtime's back: `old.a` is the number now free, `old.b` its peer, still
// open.
struct StaleRecv {
    Pair old;
    ringo::JoinHandle<ringo::Result<std::size_t>> recv;
};

Task<StaleRecv> park_then_close_behind_ringo() {
    StaleRecv s{ringo::test::socket_pair(), {}};
    s.recv = ringo::spawn(ringo::test::recv_one(s.old.a));
    co_await ringo::yield();  // the recv has started
    // On io_uring its SQE may still wait in the SQ, naming the fd by number
    // until submitted; the nop's round trip submits it, and from then on it
    // holds the socket itself.
    auto nop = co_await io::nop();
    REQUIRE(nop.has_value());
    CHECK_FALSE(s.recv.done());
    REQUIRE(::close(s.old.a) == 0);
    co_return s;
}

// One message each way between the socket that got the reused number and
// its peer, each wait bounded.
Task<void> exchange(int reused, int peer) {
    std::byte buf[8];
    auto sent = co_await ringo::with_timeout(bound, io::send(peer, bytes_of("ping")));
    REQUIRE(sent.has_value());
    auto got = co_await ringo::with_timeout(bound, io::recv(reused, buf));
    REQUIRE(got.has_value());  // timed_out here: the new socket's recv hung
    CHECK(ringo::test::text_of(std::span(buf, *got)) == "ping");

    sent = co_await ringo::with_timeout(bound, io::send(reused, bytes_of("pong")));
    REQUIRE(sent.has_value());
    got = co_await ringo::with_timeout(bound, io::recv(peer, buf));
    REQUIRE(got.has_value());
    CHECK(ringo::test::text_of(std::span(buf, *got)) == "pong");
}

// Takes in the fd send_fd passed, through ringo's recvmsg.
Task<int> recv_fd(int carrier) {
    ringo::test::FdMessage m;
    auto n = co_await ringo::with_timeout(bound, io::recvmsg(carrier, &m.msg, MSG_CMSG_CLOEXEC));
    REQUIRE(n.has_value());
    REQUIRE(*n == 1);
    const int fd = m.fd();
    REQUIRE(fd >= 0);
    co_return fd;
}

// The recv that was parked on the dead socket. epoll cancels it when the
// number comes back as a new file. io_uring's recv holds a reference to the
// old socket, so it is still waiting, and sees EOF once its peer closes.
Task<void> settle(StaleRecv& s) {
    co_await close_all(s.old.b);
    auto r = co_await ringo::with_timeout(bound, std::move(s.recv));
    REQUIRE(r.has_value());  // timed_out here: the dead socket's recv was never woken
    if (ringo::Runtime::current()->backend() == ringo::Backend::epoll) {
        REQUIRE_FALSE(r->has_value());
        CHECK(is_canceled(r->error()));
    } else {
        INFO("the stale recv gave " << (r->has_value() ? std::to_string(**r) + " bytes" : r->message()));
        const bool eof = r->has_value() && **r == 0;
        CHECK(eof);
    }
}

}  // namespace

TEST_CASE("a socket closed behind ringo's back with a recv parked, its number reused, serves the new socket",
          "[compat][epoll][fd_reuse]") {
    auto backend = GENERATE(from_range(ringo::test::backends()));
    ringo::test::FdLeakCheck leaks;

    SECTION("the number comes back from a ringo accept") {
        ringo::test::run(backend, [&]() -> Task<> {
            sockaddr_in addr{};
            int listener = ringo::test::tcp_listener(addr);
            int client = ringo::test::tcp_socket();
            auto connected = co_await ringo::with_timeout(
                bound, io::connect(client, reinterpret_cast<const sockaddr*>(&addr), sizeof addr));
            REQUIRE(connected.has_value());  // waits in the backlog until accepted
            auto stale = co_await park_then_close_behind_ringo();
            auto accepted = co_await ringo::with_timeout(bound, io::accept(listener));
            REQUIRE(accepted.has_value());
            REQUIRE(*accepted == stale.old.a);  // the lowest free number
            co_await exchange(*accepted, client);
            co_await settle(stale);
            co_await close_all(*accepted, client, listener);
        });
    }

    SECTION("the number comes back as the socket TcpStream::connect makes") {
        ringo::test::run(backend, [&]() -> Task<> {
            auto listener = ringo::test::listen_any();
            auto stale = co_await park_then_close_behind_ringo();
            auto addr = ringo::test::addr_of(listener);
            auto stream = co_await ringo::with_timeout(bound, ringo::net::TcpStream::connect(addr));
            REQUIRE(stream.has_value());  // timed_out here: the connect hung
            REQUIRE(stream->native_handle() == stale.old.a);
            auto server = co_await ringo::with_timeout(bound, listener.accept());
            REQUIRE(server.has_value());
            co_await exchange(stream->native_handle(), server->native_handle());
            co_await settle(stale);
            co_await stream->close();
            co_await server->close();
            co_await listener.close();
        });
    }

    SECTION("the number comes back as a socketpair announced with io::opened") {
        ringo::test::run(backend, [&]() -> Task<> {
            auto stale = co_await park_then_close_behind_ringo();
            Pair fresh = ringo::test::socket_pair();
            REQUIRE(fresh.a == stale.old.a);
            io::opened(fresh.a);
            io::opened(fresh.b);
            co_await exchange(fresh.a, fresh.b);
            co_await settle(stale);
            co_await close_all(fresh.a, fresh.b);
        });
    }

    SECTION("the number comes back in an SCM_RIGHTS message a ringo recvmsg takes in") {
        ringo::test::run(backend, [&]() -> Task<> {
            Pair carrier = ringo::test::socket_pair();
            Pair passed = ringo::test::socket_pair();
            auto stale = co_await park_then_close_behind_ringo();
            ringo::test::send_fd(carrier.a, passed.a);
            int got = co_await recv_fd(carrier.b);
            REQUIRE(got == stale.old.a);
            co_await exchange(got, passed.b);
            co_await settle(stale);
            co_await close_all(got, passed.a, passed.b, carrier.a, carrier.b);
        });
    }
}
