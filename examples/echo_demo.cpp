// ringo-echo-demo: the README's main job until ringo-bench lands. Runs the
// echo server on every backend available here, drives it with one fixed
// client (64-byte ping-pong over N connections, every echo verified), and
// prints msgs/s and server kernel entries per message. Server and client run
// on separate threads pinned to separate cores; backends are interleaved
// over several rounds and each cell reports the median and the min-max.
#include <ringo/ringo.hpp>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <thread>
#include <vector>

#include <pthread.h>
#include <sched.h>

using namespace ringo;
using namespace std::chrono_literals;

namespace {

struct Cell {
    Backend backend;
    int conns;
    std::vector<double> rate;      // msgs/s per round
    std::vector<double> entries;   // server kernel entries per message per round
};

void pin_to(int cpu) {
    if (cpu < 0 || static_cast<unsigned>(cpu) >= std::thread::hardware_concurrency()) return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

Task<> echo(net::TcpStream s) {
    std::array<std::byte, 4096> buf;
    for (;;) {
        auto n = co_await s.read(buf);
        if (!n || *n == 0) break;
        if (!co_await s.write_all(std::span(buf).first(*n))) break;
    }
    (void)co_await s.close();  // the peer is gone or done: nothing to report
}

Task<> serve(net::TcpListener& l) {
    for (;;) {
        auto c = co_await l.accept();
        if (!c) co_return;
        spawn(echo(std::move(*c))).detach();
    }
}

struct ClientResult {
    std::uint64_t messages = 0;
    std::uint64_t errors = 0;
    double seconds = 0;
};

Task<> ping_pong(net::SocketAddr a, int size, Clock::time_point start, Clock::time_point end,
                 std::uint64_t& count, std::uint64_t& errors) {
    auto c = co_await net::TcpStream::connect(a);
    if (!c) {
        ++errors;
        co_return;
    }
    std::vector<std::byte> out(static_cast<std::size_t>(size)), in(out.size());
    for (std::uint64_t i = 0;; ++i) {
        auto now = Clock::now();
        if (now >= end) break;
        std::fill(out.begin(), out.end(), static_cast<std::byte>(i));
        if (!co_await c->write_all(out) || !co_await c->read_exact(in) || in != out) {
            ++errors;
            break;
        }
        if (now >= start) ++count;
    }
    (void)co_await c->close();  // the counts are what this client reports
}

Task<ClientResult> drive(net::SocketAddr a, int conns, int size, std::chrono::milliseconds warmup,
                         std::chrono::milliseconds duration) {
    ClientResult r;
    auto start = Clock::now() + warmup;
    auto end = start + duration;
    std::vector<JoinHandle<void>> hs;
    for (int i = 0; i < conns; ++i) hs.push_back(spawn(ping_pong(a, size, start, end, r.messages, r.errors)));
    for (auto& h : hs) (void)co_await h;
    r.seconds = std::chrono::duration<double>(duration).count();
    co_return r;
}

// One round of one cell: a server thread on server_cpu, a client on client_cpu.
bool run_once(Backend backend, Backend client_backend, int conns, int size, int server_cpu, int client_cpu,
              std::chrono::milliseconds duration, double& rate, double& entries) {
    std::promise<Result<net::SocketAddr>> bound;
    auto bound_f = bound.get_future();
    std::atomic<Runtime*> server_rt{nullptr};
    Stats server_stats;
    std::thread server([&] {
        pin_to(server_cpu);
        RuntimeOptions o;
        o.backend = backend;
        auto rt = Runtime::create(o);
        if (!rt) {
            bound.set_value(Result<net::SocketAddr>(rt.error_info()));
            return;
        }
        auto l = net::TcpListener::bind(net::SocketAddr::v4_loopback(0));
        if (!l) {
            bound.set_value(Result<net::SocketAddr>(l.error_info()));
            return;
        }
        server_rt = rt->get();
        bound.set_value(l->local_addr());
        (*rt)->block_on(serve(*l));
        server_stats = (*rt)->stats();
    });
    auto addr = bound_f.get();
    if (!addr) {
        server.join();
        fmt::print(stderr, "server: {}\n", addr.message());
        return false;
    }
    ClientResult cr;
    std::thread client([&] {
        pin_to(client_cpu);
        RuntimeOptions o;
        o.backend = client_backend;
        Runtime rt(o);
        cr = rt.block_on(drive(*addr, conns, size, 300ms, duration));
    });
    client.join();
    // The clients are done; read the server's counters after it stops.
    server_rt.load()->stop();
    server.join();
    if (cr.errors) fmt::print(stderr, "{} client errors on {}\n", cr.errors, backend_name(backend));
    rate = static_cast<double>(cr.messages) / cr.seconds;
    entries = cr.messages ? static_cast<double>(server_stats.kernel_entries) / static_cast<double>(cr.messages) : 0;
    return cr.errors == 0;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"ringo echo demo: the echo server on every backend, driven by a built-in client"};
    std::vector<int> conns{1, 64};
    int size = 64;
    int rounds = 3;
    int duration_ms = 2000;
    int server_cpu = 0, client_cpu = 1;
    app.add_option("--conns", conns, "connection counts to run")->delimiter(',');
    app.add_option("--size", size, "message size in bytes")->check(CLI::Range(1, 1 << 20));
    app.add_option("--rounds", rounds, "interleaved rounds per cell")->check(CLI::Range(1, 100));
    app.add_option("--duration-ms", duration_ms, "measured time per round")->check(CLI::Range(100, 600000));
    app.add_option("--server-cpu", server_cpu, "core for the server (-1: no pinning)");
    app.add_option("--client-cpu", client_cpu, "core for the client (-1: no pinning)");
    CLI11_PARSE(app, argc, argv);

    std::vector<Backend> backends;
    for (Backend b : {Backend::uring, Backend::epoll}) {
        RuntimeOptions o;
        o.backend = b;
        auto rt = Runtime::create(o);
        if (rt) backends.push_back(b);
        else fmt::print("{}: not available here ({})\n", backend_name(b), rt.message());
    }
    if (backends.empty()) return 1;
    // One client for every server, so the client never favours one.
    Backend client_backend = backends.back();
    fmt::print("echo {}-byte ping-pong; client on {}; server cpu {}, client cpu {}; {} rounds of {} ms\n", size,
               backend_name(client_backend), server_cpu, client_cpu, rounds, duration_ms);

    std::vector<Cell> cells;
    for (int c : conns)
        for (Backend b : backends) cells.push_back({b, c, {}, {}});
    bool ok = true;
    for (int round = 0; round < rounds; ++round) {
        // Rotate the order each round so drift on a shared machine does not
        // always favour the same server.
        for (std::size_t k = 0; k < cells.size(); ++k) {
            auto& cell = cells[(k + static_cast<std::size_t>(round)) % cells.size()];
            double rate = 0, entries = 0;
            ok &= run_once(cell.backend, client_backend, cell.conns, size, server_cpu, client_cpu,
                           std::chrono::milliseconds(duration_ms), rate, entries);
            cell.rate.push_back(rate);
            cell.entries.push_back(entries);
            fmt::print("  round {} {:>8} conns={:<4} {:>10.0f} msgs/s\n", round + 1, backend_name(cell.backend),
                       cell.conns, rate);
        }
    }
    fmt::print("\n{:<9} {:>6} {:>12} {:>24} {:>16}\n", "backend", "conns", "msgs/s", "min-max", "server sys/msg");
    for (auto& cell : cells) {
        auto [lo, hi] = std::minmax_element(cell.rate.begin(), cell.rate.end());
        fmt::print("{:<9} {:>6} {:>12.0f} {:>11.0f}-{:<12.0f} {:>16.3f}\n", backend_name(cell.backend), cell.conns,
                   median(cell.rate), *lo, *hi, median(cell.entries));
    }
    return ok ? 0 : 1;
}
