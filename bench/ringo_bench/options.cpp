#include "options.hpp"

#include <CLI/CLI.hpp>

#include <cmath>

namespace ringo_bench {
namespace {

// "2s", "500ms", "1.5s", "2" (seconds).
std::optional<std::chrono::nanoseconds> parse_duration(std::string s) {
    double scale = 1e9;
    if (s.size() > 2 && s.ends_with("ms")) {
        scale = 1e6;
        s.resize(s.size() - 2);
    } else if (s.size() > 2 && s.ends_with("us")) {
        scale = 1e3;
        s.resize(s.size() - 2);
    } else if (s.size() > 1 && s.back() == 's') {
        s.pop_back();
    }
    try {
        std::size_t used = 0;
        double v = std::stod(s, &used);
        if (used != s.size() || v < 0 || !std::isfinite(v)) return std::nullopt;
        return std::chrono::nanoseconds(static_cast<std::int64_t>(v * scale));
    } catch (...) {
        return std::nullopt;
    }
}

void add_duration(CLI::App& app, const char* name, std::chrono::nanoseconds& into, const char* what) {
    app.add_option_function<std::string>(
           name,
           [&into, name](const std::string& v) {
               auto d = parse_duration(v);
               if (!d) throw CLI::ValidationError(name, "expected a duration such as 2s or 500ms");
               into = *d;
           },
           what)
        ->type_name("DURATION");
}

}  // namespace

std::optional<int> parse_options(int argc, char** argv, Options& o) {
    CLI::App app{
        "ringo-bench: echo throughput, latency, CPU and syscalls per message of ringo (io_uring and epoll) "
        "against raw liburing and raw epoll servers, over loopback.\nWith no options it runs the full matrix."};
    app.add_option("--conns", o.conns, "connection counts (default 1,64,1000)")->delimiter(',')->check(CLI::Range(1, 100000));
    app.add_option("--size", o.sizes, "message sizes in bytes (default 64,4096)")->delimiter(',')->check(CLI::Range(1, 1 << 20));
    app.add_option("--depth", o.depths, "messages in flight per connection, 1 = ping-pong (default 1,16)")
        ->delimiter(',')
        ->check(CLI::Range(1, 4096));
    add_duration(app, "--duration", o.run.duration, "measured window per run (default 2s)");
    add_duration(app, "--warmup", o.run.warmup, "warm-up before each window (default 500ms)");
    app.add_option("--rounds", o.rounds, "interleaved rounds; each cell reports median and min-max (default 3)")
        ->check(CLI::Range(1, 1000));
    app.add_option("--servers", o.servers, "which servers (default ringo-uring,ringo-epoll,raw-uring,raw-epoll; libuv too where it was built)")
        ->delimiter(',')
        ->check(CLI::IsMember({"ringo-uring", "ringo-epoll", "raw-uring", "raw-epoll", "libuv"}));
    app.add_option("--server-cpu", o.run.server_cpu, "core the server is pinned to, -1: none (default 0)");
    app.add_option("--client-cpu", o.run.client_cpu, "core the load client is pinned to, -1: none (default 1)");
    app.add_flag("--quick", o.quick, "a short matrix (3 cells, 3 rounds of 0.6 s) that ends within a minute");
    app.add_option("--target", o.target, "drive an external server at HOST:PORT (loopback only) instead");
    app.add_option("--target-pid", o.target_pid, "pid of the --target server, to read its CPU time");
    app.add_option("--idle", o.idle, "measure memory per idle connection with N connections per server")
        ->check(CLI::Range(1, 1000000));
    app.add_option("--json", o.json_path, "write every round and the summaries as JSON");
    app.add_option("--csv", o.csv_path, "write the summaries as CSV");
    app.add_option("--svg", o.svg_path, "write the plot (default: next to --json or --csv, as .svg)");
    app.add_option("--bin-dir", o.bin_dir, "where ringo-echo-server and baselines/ are (default: beside this program, else the installed libexec dir)");
    app.add_option("--work-dir", o.work_dir, "keep the servers' stats and stderr files here (default: a temporary directory)");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    if (o.quick) {
        auto explicitly = [&](const char* name) { return app.count(name) > 0; };
        if (!explicitly("--conns") && !explicitly("--size") && !explicitly("--depth")) {
            o.conns.clear();  // the cells come from cells_of()
        }
        if (!explicitly("--rounds")) o.rounds = 3;
        if (!explicitly("--duration")) o.run.duration = std::chrono::milliseconds(600);
        if (!explicitly("--warmup")) o.run.warmup = std::chrono::milliseconds(200);
    }
    if (o.svg_path.empty()) {
        auto base = !o.json_path.empty() ? o.json_path : o.csv_path;
        if (!base.empty()) {
            auto dot = base.rfind('.');
            auto slash = base.rfind('/');
            if (dot != std::string::npos && (slash == std::string::npos || dot > slash)) base.resize(dot);
            o.svg_path = base + ".svg";
        }
    }
    return std::nullopt;
}

std::vector<Cell> cells_of(const Options& o) {
    if (o.quick && o.conns.empty()) {
        // Ping-pong latency at one connection, bulk pipelining, and the
        // many-connection pipelined cell the kernel-entry target is set at.
        return {{1, 64, 1}, {64, 4096, 16}, {1000, 64, 16}};
    }
    std::vector<Cell> cells;
    for (int size : o.sizes)
        for (int depth : o.depths)
            for (int c : o.conns) cells.push_back({c, size, depth});
    return cells;
}

}  // namespace ringo_bench
