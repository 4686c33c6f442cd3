#include "tcp_support.hpp"

#include <ringo/engine/spawn.hpp>

#include <catch2/catch.hpp>

#include <vector>

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

}  // namespace ringo::test
