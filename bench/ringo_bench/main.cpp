// ringo-bench: runs the echo workload against ringo (io_uring and epoll) and
// the raw baselines, one server at a time, and reports throughput, latency,
// CPU and kernel entries per message with their spread over rounds. See
// docs/benchmarks.md for the method and how to read the output.
#include "idle_test.hpp"
#include "matrix.hpp"
#include "options.hpp"
#include "proc_stats.hpp"
#include "report.hpp"
#include "servers.hpp"

#include <ringo/net/socket_addr.hpp>

#include <fmt/format.h>

#include <arpa/inet.h>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

using namespace ringo_bench;

namespace {

std::string local_time() {
    std::time_t t = std::time(nullptr);
    char buf[64];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S%z", std::localtime(&t));
    return buf;
}

bool write_file(const std::string& path, const std::string& text) {
    std::error_code ec;
    auto dir = std::filesystem::path(path).parent_path();
    if (!dir.empty()) std::filesystem::create_directories(dir, ec);
    std::ofstream f(path);
    f << text;
    if (!f) {
        fmt::print(stderr, "ringo-bench: cannot write {}\n", path);
        return false;
    }
    fmt::print(stderr, "wrote {}\n", path);
    return true;
}

// 1000 connections each side need more than the usual 1024 descriptors;
// children inherit the raised limit.
void raise_fd_limit() {
    rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

// --target HOST:PORT, IPv4 loopback only: traffic never leaves the machine.
std::optional<ServerSpec> external_server(const Options& o) {
    auto addrs = ringo::net::SocketAddr::resolve(o.target);
    if (!addrs) {
        fmt::print(stderr, "ringo-bench: --target {}: {}\n", o.target, addrs.message());
        return std::nullopt;
    }
    for (auto& a : *addrs) {
        if (!a.is_v4()) continue;
        ServerSpec s{"external", "?", false, {}};
        std::memcpy(&s.target, a.data(), sizeof s.target);
        if ((ntohl(s.target.sin_addr.s_addr) >> 24) != 127) continue;
        s.target_pid = o.target_pid;
        return s;
    }
    fmt::print(stderr, "ringo-bench: --target {}: not an IPv4 loopback address (127.0.0.0/8)\n", o.target);
    return std::nullopt;
}

// Drops servers that cannot start here (no io_uring, a missing binary), saying why.
std::vector<ServerSpec> available(const std::vector<ServerSpec>& wanted, const RunConfig& cfg) {
    std::vector<ServerSpec> ok;
    for (auto& s : wanted) {
        ServerProcess p;
        auto err = p.start(s.argv, cfg.server_cpu, cfg.work_dir);
        if (err.empty()) err = p.stop();
        if (err.empty()) ok.push_back(s);
        else fmt::print(stderr, "ringo-bench: {} left out: {}\n", s.name, err);
    }
    return ok;
}

void show_progress(const Progress& p, bool tty) {
    if (p.last && !p.last->error.empty())
        fmt::print(stderr, "{}{} at {} conns, {} B, depth {}, round {}: {}\n", tty ? "\r\033[K" : "", p.server->name,
                   p.cell->connections, p.cell->size, p.cell->depth, p.round, p.last->error);
    if (!tty) return;
    if (p.last) {
        fmt::print(stderr, "\r\033[K[{:>3}/{}] round {}  {:>4} conns {:>5} B depth {:<3} {:<12} {:>8} msgs/s", p.done,
                   p.total, p.round, p.cell->connections, p.cell->size, p.cell->depth, p.server->name,
                   si(p.last->msgs_per_s));
    } else {
        fmt::print(stderr, "\r\033[K[{:>3}/{}] round {}  {:>4} conns {:>5} B depth {:<3} {:<12} ...", p.done,
                   p.total, p.round, p.cell->connections, p.cell->size, p.cell->depth, p.server->name);
    }
    std::fflush(stderr);
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    if (auto rc = parse_options(argc, argv, o)) return *rc;
    std::signal(SIGPIPE, SIG_IGN);  // sends use MSG_NOSIGNAL; this covers the rest
    raise_fd_limit();

    char tmpl[] = "/tmp/ringo-bench.XXXXXX";
    if (!o.work_dir.empty()) {
        std::error_code ec;
        std::filesystem::create_directories(o.work_dir, ec);
        o.run.work_dir = o.work_dir;
    } else if (mkdtemp(tmpl)) {
        o.run.work_dir = tmpl;
    } else {
        std::perror("ringo-bench: mkdtemp");
        return 1;
    }
    struct Cleanup {
        std::string dir;
        ~Cleanup() {
            std::error_code ec;
            if (!dir.empty()) std::filesystem::remove_all(dir, ec);
        }
    } cleanup{o.work_dir.empty() ? o.run.work_dir : std::string()};

    // The client runs on this thread; servers pin themselves before exec.
    pin_thread(o.run.client_cpu);

    std::vector<ServerSpec> servers;
    if (!o.target.empty()) {
        auto ext = external_server(o);
        if (!ext) return 2;
        servers.push_back(*ext);
    } else {
        auto bin_dir = o.bin_dir.empty() ? default_bin_dir() : o.bin_dir;
        for (auto& s : default_servers(bin_dir))
            if (std::find(o.servers.begin(), o.servers.end(), s.name) != o.servers.end()) servers.push_back(s);
        servers = available(servers, o.run);
        if (servers.empty()) {
            fmt::print(stderr, "ringo-bench: no server could start\n");
            return 1;
        }
    }

    RunInfo info;
    for (int i = 0; i < argc; ++i) {
        if (i) info.command += ' ';  // not `" " + std::string`: g++ 12 -O3 warns (-Wrestrict) on that
        info.command += argv[i];
    }
    utsname u{};
    uname(&u);
    info.kernel = u.release;
    info.cpus = online_cpus();
    info.config = o.run;
    info.started = local_time();
    info.load_before = load_average();

    if (o.idle > 0) {
        auto results = run_idle(servers, o.idle, o.rounds, o.run);
        print_idle(stdout, results, o.idle);
        if (!o.json_path.empty()) write_file(o.json_path, idle_json(results, o.idle));
        for (auto& r : results)
            for (auto& round : r.rounds)
                if (!round.error.empty()) return 1;
        return 0;
    }

    const bool tty = isatty(STDERR_FILENO);
    auto m = run_matrix(cells_of(o), servers, o.rounds, o.run, [&](const Progress& p) { show_progress(p, tty); });
    if (tty) fmt::print(stderr, "\r\033[K");
    info.finished = local_time();
    info.load_after = load_average();

    print_table(stdout, m, info);
    bool ok = true;
    if (!o.json_path.empty()) ok &= write_file(o.json_path, to_json(m, info));
    if (!o.csv_path.empty()) ok &= write_file(o.csv_path, to_csv(m));
    if (!o.svg_path.empty()) ok &= write_file(o.svg_path, to_svg(m, info));
    for (auto& cell : m.samples)
        for (auto& rounds : cell)
            for (auto& s : rounds) ok &= s.error.empty();
    return ok ? 0 : 1;
}
