// recvmsg and sendmsg through the operation interface, on every backend:
// scatter/gather byte-exact, a recvmsg that parks until data arrives, and
// EPIPE (never SIGPIPE) from sendmsg to a closed peer.
#include "harness.hpp"

#include <cstring>
#include <string>

#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

using ringo::Task;

namespace {

// Closes what is left of a pair through ringo, which may have registered it.
Task<> close_pair(ringo::test::Pair p) {
    for (int fd : {p.a, p.b})
        if (fd >= 0) co_await ringo::io::close(fd);
}

msghdr gather(iovec* iov, std::size_t n) {
    msghdr m{};
    m.msg_iov = iov;
    m.msg_iovlen = n;
    return m;
}

}  // namespace

TEST_CASE("sendmsg gathers and recvmsg scatters, byte-exact", "[engine][msg]") {
    ringo::test::FdLeakCheck fds;
    auto backend = GENERATE(from_range(ringo::test::backends()));
    ringo::test::run(backend, [&]() -> Task<> {
        auto p = ringo::test::socket_pair();
        std::string head = "ringo ", body = "scatter-gather";
        iovec out[2] = {{head.data(), head.size()}, {body.data(), body.size()}};
        auto m = gather(out, 2);
        auto sent = co_await ringo::io::sendmsg(p.a, &m);
        REQUIRE(sent.has_value());
        CHECK(*sent == head.size() + body.size());

        char x[4], y[64];
        iovec in[2] = {{x, sizeof x}, {y, sizeof y}};
        auto r = gather(in, 2);
        auto got = co_await ringo::io::recvmsg(p.b, &r);
        REQUIRE(got.has_value());
        REQUIRE(*got == head.size() + body.size());
        CHECK(std::string(x, 4) + std::string(y, *got - 4) == head + body);
        co_await close_pair(p);
    });
}

TEST_CASE("a recvmsg on an empty socket parks and completes when data arrives", "[engine][msg]") {
    ringo::test::FdLeakCheck fds;
    auto backend = GENERATE(from_range(ringo::test::backends()));
    ringo::test::run(backend, [&]() -> Task<> {
        auto p = ringo::test::socket_pair();
        auto reader = ringo::spawn([](int fd) -> Task<std::string> {
            char buf[16];
            iovec in{buf, sizeof buf};
            auto m = gather(&in, 1);
            auto n = co_await ringo::io::recvmsg(fd, &m);
            if (!n) co_return "error: " + n.message();
            co_return std::string(buf, *n);
        }(p.b));
        co_await ringo::yield();  // the reader finds nothing and parks
        std::string word = "late";
        iovec out{word.data(), word.size()};
        auto m = gather(&out, 1);
        auto sent = co_await ringo::io::sendmsg(p.a, &m);
        REQUIRE(sent.has_value());
        auto got = co_await reader;
        REQUIRE(got.has_value());
        CHECK(*got == "late");
        co_await close_pair(p);
    });
}

TEST_CASE("sendmsg to a closed peer fails with EPIPE and raises no SIGPIPE", "[engine][msg]") {
    ringo::test::FdLeakCheck fds;
    auto backend = GENERATE(from_range(ringo::test::backends()));
    ringo::test::run(backend, [&]() -> Task<> {
        auto p = ringo::test::socket_pair();
        co_await ringo::io::close(std::exchange(p.b, -1));
        char byte = 'x';
        iovec out{&byte, 1};
        auto m = gather(&out, 1);
        auto sent = co_await ringo::io::sendmsg(p.a, &m);
        REQUIRE_FALSE(sent.has_value());
        CHECK(sent.error() == std::errc::broken_pipe);
        CHECK(sent.error_info().context() == "sendmsg");
        co_await close_pair(p);
    });
}
