#include "fd_support.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>

namespace ringo::test {

int tcp_socket() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    return fd;
}

int temp_file() {
    char path[] = "/tmp/ringo-epoll-test-XXXXXX";
    int fd = ::mkostemp(path, O_CLOEXEC);
    REQUIRE(fd >= 0);
    ::unlink(path);
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

}  // namespace ringo::test
