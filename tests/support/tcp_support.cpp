#include "tcp_support.hpp"

#include "harness.hpp"

#include <ringo/engine/io.hpp>
#include <ringo/engine/spawn.hpp>

#include <catch2/catch.hpp>

#include <vector>

#include <cerrno>
#include <sys/socket.h>

namespace ringo::test {

net::TcpListener listen_any() {
    auto l = net::TcpListener::bind(net::SocketAddr::v4_loopback(0));
    REQUIRE(l.has_value());
    return std::move(*l);
}

net::SocketAddr addr_of(const net::TcpListener& l) {
    auto a = l.local_addr();
    REQUIRE(a.has_value());
    return *a;
}

Task<> serve_each(net::TcpListener& l, int count, Task<> (*handler)(net::TcpStream)) {
    std::vector<JoinHandle<void>> conns;
    for (int i = 0; i < count; ++i) {
        auto c = co_await l.accept();
        REQUIRE(c.has_value());
        conns.push_back(spawn(handler(std::move(*c))));
    }
    for (auto& h : conns) (void)co_await h;
}

Task<StreamPair> connected_pair(net::TcpListener& l) {
    auto c = co_await net::TcpStream::connect(addr_of(l));
    REQUIRE(c.has_value());
    auto s = co_await l.accept();
    REQUIRE(s.has_value());
    co_return StreamPair{std::move(*c), std::move(*s)};
}

std::vector<ReadVariant> read_variants() {
    std::vector<ReadVariant> v;
    for (auto b : backends()) {
        v.push_back({b, true, ""});
        if (b != Backend::uring) continue;
        v.push_back({b, true, "multishot_recv"});
        v.push_back({b, false, "buf_ring"});
    }
    return v;
}

RuntimeOptions read_options(ReadVariant v, ReadBufferOptions buffers) {
    auto o = options_for(v.backend);
    o.read_buffers = buffers;
    o.disable = v.disable;
    return o;
}

std::string describe(ReadVariant v) {
    return std::string(backend_name(v.backend)) + (*v.disable ? std::string(" without ") + v.disable : "");
}

int raw_tcp_socket() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    io::opened(fd);
    return fd;
}

void raw_connect(int fd, const net::SocketAddr& to) {
    int r = ::connect(fd, to.data(), to.size());
    REQUIRE((r == 0 || errno == EINPROGRESS));
}

}  // namespace ringo::test
