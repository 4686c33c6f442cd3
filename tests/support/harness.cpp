#include "harness.hpp"

#include <dirent.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include <cstdlib>
#include <random>

namespace ringo::test {

namespace {

// RINGO_BACKEND, or nullptr when it is unset or empty.
const char* backend_env() {
    const char* env = std::getenv("RINGO_BACKEND");
    return env && *env ? env : nullptr;
}

}  // namespace

std::vector<Backend> backends() {
    if (const char* env = backend_env()) {
        auto b = parse_backend(env);
        if (b && *b != Backend::automatic) return {*b};
    }
    std::vector<Backend> out;
    for (Backend b : {Backend::uring, Backend::epoll})
        if (Runtime::create(options_for(b))) out.push_back(b);
    return out;
}

Preflight preflight() {
    const char* env = backend_env();
    if (!env) return {};
    auto b = parse_backend(env);
    if (!b) {
        // An automatic runtime reads the same variable and fails with the
        // engine's message, which quotes a hostile value and cuts a long one.
        auto rt = Runtime::create();
        return {Preflight::fail, rt ? std::string("RINGO_BACKEND names no backend") : rt.message()};
    }
    if (*b == Backend::automatic) return {};
    auto rt = Runtime::create(options_for(*b));
    if (rt) return {};
    const std::string pin = std::string("RINGO_BACKEND=") + env;
    if (rt.error() == errc::backend_unavailable)
        return {Preflight::skip, pin + " cannot run here: " + rt.message()};
    return {Preflight::fail, pin + ": cannot create the runtime: " + rt.message()};
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

std::vector<std::byte> random_bytes(std::size_t n, std::uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<std::byte> v(n);
    for (auto& b : v) b = static_cast<std::byte>(rng() & 0xff);
    return v;
}

}  // namespace ringo::test
