// echo_server: one task per connection, straight-line code, on whichever
// backend runs here. Stops cleanly on SIGINT/SIGTERM: stop() cancels every
// task (accept and reads fail with operation_canceled) and block_on returns
// once they have unwound.
//
//   echo_server --port 7000 --backend auto|uring|epoll
#include <ringo/ringo.hpp>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <array>
#include <csignal>

using namespace ringo;

namespace {

Runtime* running = nullptr;  // for the signal handler; stop() is async-signal-safe

// Borrowed reads: a connection waiting for bytes holds no buffer, only
// its coroutine frame; the runtime lends one from its pool when data comes.
Task<> serve(net::TcpStream s) {
    for (;;) {
        auto buf = co_await s.read_borrowed();
        if (!buf || buf->empty()) break;
        if (!co_await s.write_all(buf->bytes())) break;
    }
    (void)co_await s.close();  // the peer is gone or done: nothing to report
}

Task<int> server(net::SocketAddr addr) {
    auto listener = net::TcpListener::bind(addr);
    if (!listener) {
        fmt::print(stderr, "echo_server: {}\n", listener.message());
        co_return 1;
    }
    fmt::print("listening on {}\n", listener->local_addr().value().to_string());
    std::fflush(stdout);
    for (;;) {
        auto conn = co_await listener->accept();
        if (!conn) {
            if (conn.error() == errc::operation_canceled) co_return 0;  // stop()
            fmt::print(stderr, "echo_server: {}\n", conn.message());
            continue;  // EMFILE and friends: keep serving the others
        }
        spawn(serve(std::move(*conn))).detach();
    }
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"ringo echo server"};
    std::uint16_t port = 7000;
    std::string host = "127.0.0.1";
    std::string backend = "auto";
    app.add_option("--port,-p", port, "TCP port (0: any free port)");
    app.add_option("--host", host, "address to listen on");
    app.add_option("--backend,-b", backend, "auto, uring or epoll")->check(CLI::IsMember({"auto", "uring", "epoll"}));
    CLI11_PARSE(app, argc, argv);

    auto addr = net::SocketAddr::parse_ip(host, port);
    if (!addr) {
        fmt::print(stderr, "echo_server: {}\n", addr.message());
        return 2;
    }
    RuntimeOptions options;
    options.backend = *parse_backend(backend);
    auto rt = Runtime::create(options);
    if (!rt) {
        fmt::print(stderr, "echo_server: {}\n", rt.message());
        return 1;
    }
    fmt::print("backend {}\n", (*rt)->backend_name());
    running = rt->get();
    std::signal(SIGINT, [](int) { running->stop(); });
    std::signal(SIGTERM, [](int) { running->stop(); });
    int rc = (*rt)->block_on(server(*addr));
    // The runtime goes when main returns: a late signal must not reach it.
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    fmt::print("stopped\n");
    return rc;
}
