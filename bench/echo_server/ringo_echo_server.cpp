// ringo-echo-server: the ringo side of ringo-bench. Written the way a user
// writes a ringo server (one task per connection, straight-line reads and
// writes) and run as a child process, as the raw baselines are, so every
// server is pinned, measured (/proc/PID) and torn down the same way.
//
//   ringo-echo-server --backend uring|epoll|auto [--port P] [--stats FILE]
//
// Prints "listening on 127.0.0.1:PORT" on stdout once it accepts. Signals
// come in through a signalfd read by an ordinary task, so no handler touches
// the runtime: SIGUSR1 appends a line of counters to the stats file (ringo-
// bench takes one at each edge of its window), SIGTERM/SIGINT stop the
// runtime and a last line is written after it has wound down.
#include <ringo/ringo.hpp>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <array>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <string>

#include <sys/signalfd.h>

using namespace ringo;

namespace {

// The same buffer size as the raw baselines (ECHO_BUF_SIZE).
constexpr std::size_t buffer_size = 16384;

// The default: borrowed reads, as examples/echo_server.cpp. A parked
// connection holds no read buffer.
Task<> echo_borrowed(net::TcpStream s) {
    for (;;) {
        auto buf = co_await s.read_borrowed();
        if (!buf || buf->empty()) break;
        if (!co_await s.write_all(buf->bytes())) break;
    }
    co_await s.close();
}

// --read owned: a buffer of its own in each connection's frame.
Task<> echo_owned(net::TcpStream s) {
    std::array<std::byte, buffer_size> buf;
    for (;;) {
        auto n = co_await s.read(buf);
        if (!n || *n == 0) break;
        if (!co_await s.write_all(std::span(buf).first(*n))) break;
    }
    co_await s.close();
}

// One line of "key value" pairs, the format the raw baselines write too.
void write_counters(const std::string& path, const Stats& st) {
    std::FILE* f = path.empty() ? stderr : std::fopen(path.c_str(), "a");
    if (!f) return;
    auto kind = [&](OpKind k) { return st.submitted[static_cast<std::size_t>(k)]; };
    auto now = std::chrono::steady_clock::now().time_since_epoch();
    fmt::print(f,
               "kernel_entries {} loop_turns {} inline_syscalls {} ops_inline {} recv {} send {} "
               "buffers_circulating {} buffer_waits {} clock_ns {}\n",
               st.kernel_entries, st.loop_turns, st.inline_syscalls, st.ops_inline,
               kind(OpKind::recv) + kind(OpKind::recv_pooled), kind(OpKind::send), st.buffers_circulating,
               st.buffer_waits, std::chrono::duration_cast<std::chrono::nanoseconds>(now).count());
    if (f != stderr) std::fclose(f);
}

Task<> watch_signals(Runtime& rt, int sfd, std::string stats_path) {
    signalfd_siginfo si{};
    auto bytes = std::as_writable_bytes(std::span(&si, 1));
    for (;;) {
        auto n = co_await io::read(sfd, bytes, UINT64_MAX);
        if (!n || *n != sizeof si) co_return;  // cancelled: the runtime is stopping
        if (si.ssi_signo == SIGUSR1) {
            write_counters(stats_path, rt.stats());
        } else {
            rt.stop();
            co_return;
        }
    }
}

Task<int> serve(Runtime& rt, std::uint16_t port, int sfd, std::string stats_path, bool borrowed) {
    net::ListenOptions lo;
    lo.backlog = 4096;  // as the raw baselines: 1000 connections arrive at once
    auto listener = net::TcpListener::bind(net::SocketAddr::v4_loopback(port), lo);
    if (!listener) {
        fmt::print(stderr, "ringo-echo-server: {}\n", listener.message());
        co_return 1;
    }
    spawn(watch_signals(rt, sfd, std::move(stats_path))).detach();
    fmt::print("listening on {}\n", listener->local_addr().value().to_string());
    std::fflush(stdout);
    for (;;) {
        auto conn = co_await listener->accept();
        if (!conn) {
            if (conn.error() == errc::operation_canceled) co_return 0;
            continue;  // EMFILE and friends: keep serving the others
        }
        spawn(borrowed ? echo_borrowed(std::move(*conn)) : echo_owned(std::move(*conn))).detach();
    }
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"ringo echo server for ringo-bench"};
    std::uint16_t port = 0;
    std::string backend = "auto";
    std::string stats_path;
    unsigned queue_depth = RuntimeOptions{}.queue_depth;
    bool speculative_send = RuntimeOptions{}.speculative_send;
    bool defer_taskrun = RuntimeOptions{}.defer_taskrun;
    app.add_option("--port,-p", port, "TCP port on 127.0.0.1 (0: any free port)");
    app.add_option("--backend,-b", backend, "auto, uring or epoll")->check(CLI::IsMember({"auto", "uring", "epoll"}));
    app.add_option("--stats", stats_path, "append counter lines here (SIGUSR1 and exit); default stderr at exit");
    std::string read_mode = "borrowed";
    app.add_option("--read", read_mode, "borrowed (a pool buffer lent per read, the default) or owned (a buffer per connection)")
        ->check(CLI::IsMember({"borrowed", "owned"}));
    app.add_option("--queue-depth", queue_depth, "RuntimeOptions::queue_depth (ringo's default unless asked)");
    app.add_option("--speculative-send", speculative_send, "RuntimeOptions::speculative_send");
    app.add_option("--defer-taskrun", defer_taskrun, "RuntimeOptions::defer_taskrun");
    CLI11_PARSE(app, argc, argv);

    // Blocked before the runtime exists, so they are only ever read.
    sigset_t mask;
    sigemptyset(&mask);
    for (int s : {SIGTERM, SIGINT, SIGUSR1}) sigaddset(&mask, s);
    sigprocmask(SIG_BLOCK, &mask, nullptr);
    int sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (sfd < 0) {
        std::perror("ringo-echo-server: signalfd");
        return 1;
    }

    RuntimeOptions options;
    options.backend = *parse_backend(backend);
    options.queue_depth = queue_depth;
    options.speculative_send = speculative_send;
    options.defer_taskrun = defer_taskrun;
    auto rt = Runtime::create(options);
    if (!rt) {
        fmt::print(stderr, "ringo-echo-server: {}\n", rt.message());
        return 1;
    }
    fmt::print(stderr, "ringo-echo-server: backend {}\n", (*rt)->backend_name());
    int rc = (*rt)->block_on(serve(**rt, port, sfd, stats_path, read_mode == "borrowed"));
    write_counters(stats_path, (*rt)->stats());
    return rc;
}
