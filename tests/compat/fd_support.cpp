#include "fd_support.hpp"

#include <ringo/engine/spawn.hpp>

#include <arpa/inet.h>
#include <sys/socket.h>

namespace ringo::test {

Pair socket_pair() {
    int sv[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0);
    return {sv[0], sv[1]};
}

int tcp_listener(sockaddr_in& addr, int backlog) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    addr = {};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) == 0);
    REQUIRE(::listen(fd, backlog) == 0);
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    return fd;
}

int tcp_socket() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    return fd;
}

Task<void> close_each(std::vector<int> fds) {
    for (int fd : fds) {
        auto r = co_await io::close(fd);
        CHECK(r.has_value());
    }
}

Task<Result<void>> send_all(int fd, std::span<const std::byte> data) {
    while (!data.empty()) {
        auto n = co_await io::send(fd, data);
        if (!n) co_return n.error_info();
        data = data.subspan(*n);
    }
    co_return Result<void>{};
}

Task<Result<std::vector<std::byte>>> recv_to_eof(int fd) {
    std::vector<std::byte> out;
    std::byte buf[4096];
    for (;;) {
        auto n = co_await io::recv(fd, buf);
        if (!n) co_return n.error_info();
        if (*n == 0) co_return out;
        out.insert(out.end(), buf, buf + *n);
    }
}

Task<Result<std::size_t>> recv_one(int fd) {
    std::byte c{};
    co_return co_await io::recv(fd, std::span(&c, 1));
}

namespace {
Task<void> nothing() { co_return; }
}  // namespace

Task<void> yield_turn() { (void)co_await spawn(nothing()); }

}  // namespace ringo::test
