#include "harness.hpp"

#include <dirent.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include <cstdlib>
#include <random>

namespace ringo::test {

std::vector<Backend> backends() {
    if (const char* env = std::getenv("RINGO_BACKEND"); env && *env) {
        auto b = parse_backend(env);
        if (b && *b != Backend::automatic) return {*b};
    }
    std::vector<Backend> out;
    for (Backend b : {Backend::uring, Backend::epoll}) {
        RuntimeOptions o;
        o.backend = b;
        if (Runtime::create(o)) out.push_back(b);
    }
    return out;
}

RuntimeOptions options_for(Backend b) {
    RuntimeOptions o;
    o.backend = b;
    return o;
}

int open_fd_count() {
    int n = 0;
    if (DIR* d = opendir("/proc/self/fd")) {
        while (dirent* e = readdir(d))
            if (e->d_name[0] != '.') ++n;
        closedir(d);
        --n;  // the directory's own fd
    }
    return n;
}

std::array<int, 2> stream_socketpair() {
    std::array<int, 2> sv{-1, -1};
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv.data()) == 0);
    return sv;
}

RawListener raw_loopback_listener(int backlog) {
    RawListener l;
    l.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    REQUIRE(l.fd >= 0);
    l.addr.sin_family = AF_INET;
    l.addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof l.addr;
    REQUIRE(::bind(l.fd, reinterpret_cast<sockaddr*>(&l.addr), len) == 0);
    REQUIRE(::listen(l.fd, backlog) == 0);
    REQUIRE(::getsockname(l.fd, reinterpret_cast<sockaddr*>(&l.addr), &len) == 0);
    return l;
}

std::vector<std::byte> random_bytes(std::size_t n, std::uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<std::byte> v(n);
    for (auto& b : v) b = static_cast<std::byte>(rng() & 0xff);
    return v;
}

}  // namespace ringo::test
