// A minimal ringo consumer: an echo server on a free loopback port, and a
// client in the same runtime that sends one message through it and checks
// that the same bytes come back. Exits 0 on a good round trip.
#include <ringo/ringo.hpp>

#include <fmt/core.h>

#include <array>
#include <string_view>

using namespace ringo;

constexpr std::string_view message = "hello through ringo";

// Echoes what it reads until the client closes.
Task<> serve(net::TcpListener& listener) {
    auto conn = co_await listener.accept();
    if (!conn) co_return;
    std::array<std::byte, 4096> buf;
    for (;;) {
        auto n = co_await conn->read(buf);
        if (!n || *n == 0) break;
        if (!co_await conn->write_all(std::span(buf).first(*n))) break;
    }
    co_await conn->close();
}

Task<int> round_trip() {
    auto listener = net::TcpListener::bind(net::SocketAddr::v4_loopback(0));  // port 0: any free port
    if (!listener) {
        fmt::print(stderr, "bind: {}\n", listener.message());
        co_return 1;
    }
    auto addr = listener->local_addr().value();
    auto server = spawn(serve(*listener));

    auto client = co_await net::TcpStream::connect(addr);
    if (!client) {
        fmt::print(stderr, "connect: {}\n", client.message());
        co_return 1;
    }
    std::array<char, message.size()> back{};
    auto echoed = co_await client->write_all(message);
    if (echoed) echoed = co_await client->read_exact(back);
    co_await client->close();  // the server reads EOF and ends
    auto joined = co_await server;
    if (!echoed || !joined) {
        fmt::print(stderr, "echo: {}\n", echoed ? joined.message() : echoed.message());
        co_return 1;
    }
    std::string_view got(back.data(), back.size());
    if (got != message) {
        fmt::print(stderr, "echo: sent \"{}\", got back \"{}\"\n", message, got);
        co_return 1;
    }
    fmt::print("echoed \"{}\" through {}\n", message, addr);
    co_return 0;
}

int main() {
    Runtime rt;
    fmt::print("backend {}\n", rt.backend_name());
    return rt.block_on(round_trip());
}
