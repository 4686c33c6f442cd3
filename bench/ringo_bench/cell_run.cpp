#include "cell_run.hpp"

#include "proc_stats.hpp"

#include <arpa/inet.h>
#include <cmath>
#include <limits>

namespace ringo_bench {
namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

// The edges of the window, as the hooks see them.
struct Edge {
    std::optional<CpuTime> server;
    CoreTimes cores;
};

Edge read_edge(pid_t pid) {
    Edge e;
    if (pid > 0) e.server = process_cpu(pid);
    e.cores = core_times();
    return e;
}

double others_share(const Edge& a, const Edge& b, double seconds, double ours_cpu_s) {
    std::uint64_t busy = 0, total = 0;
    for (std::size_t i = 0; i < a.cores.total.size() && i < b.cores.total.size(); ++i) {
        busy += b.cores.busy[i] - a.cores.busy[i];
        total += b.cores.total[i] - a.cores.total[i];
    }
    if (total == 0 || seconds <= 0) return nan;
    const double cores = static_cast<double>(a.cores.total.size());
    // /proc/stat counts in jiffies; the share is what matters.
    double busy_share = static_cast<double>(busy) / static_cast<double>(total);
    double ours_share = ours_cpu_s / (seconds * cores);
    return std::max(0.0, busy_share - ours_share);
}

Sample measure(pid_t pid, const sockaddr_in& addr, const Cell& cell, const RunConfig& config,
               ServerProcess* server) {
    Sample s;
    LoadClient client(addr, {cell.connections, cell.size, cell.depth});
    if (auto err = client.connect(); !err.empty()) {
        s.error = err;
        return s;
    }
    Edge start, end;
    RunPlan plan;
    plan.warmup = config.warmup;
    plan.duration = config.duration;
    plan.on_window_start = [&] {
        if (server) server->snapshot();
        start = read_edge(pid);
    };
    plan.on_window_end = [&] {
        if (server) server->snapshot();
        end = read_edge(pid);
    };
    LoadResult r;
    client.run(plan, r);
    client.close_all();
    s.error = r.error;
    s.messages = r.messages;
    s.seconds = r.window_seconds;
    if (r.messages == 0 || r.window_seconds <= 0) {
        if (s.error.empty()) s.error = "no message completed in the window";
        return s;
    }
    const double msgs = static_cast<double>(r.messages);
    s.msgs_per_s = msgs / r.window_seconds;
    s.mb_per_s = s.msgs_per_s * cell.size / 1e6;
    s.p50_us = static_cast<double>(r.latency.percentile(0.50)) / 1e3;
    s.p99_us = static_cast<double>(r.latency.percentile(0.99)) / 1e3;
    s.p999_us = static_cast<double>(r.latency.percentile(0.999)) / 1e3;
    s.max_us = static_cast<double>(r.max_latency_ns) / 1e3;
    s.stalled_connections = r.stalled_connections;
    s.client_idle = std::max(0.0, 1.0 - (r.client_cpu_seconds + r.client_wait_seconds) / r.window_seconds);
    s.client_wait = r.client_wait_seconds / r.window_seconds;
    double server_cpu_s = 0;
    if (start.server && end.server) {
        server_cpu_s = static_cast<double>(end.server->ns - start.server->ns) / 1e9;
        s.server_cpu_us_per_msg = server_cpu_s * 1e6 / msgs;
        s.server_busy = server_cpu_s / r.window_seconds;
        s.server_wait = static_cast<double>(end.server->wait_ns - start.server->wait_ns) / 1e9 / r.window_seconds;
        auto user = static_cast<double>(end.server->user_ns - start.server->user_ns);
        auto sys = static_cast<double>(end.server->system_ns - start.server->system_ns);
        s.server_sys_share = user + sys > 0 ? sys / (user + sys) : nan;
    } else {
        s.server_cpu_us_per_msg = s.server_busy = s.server_sys_share = s.server_wait = nan;
    }
    s.others_load = others_share(start, end, r.window_seconds, server_cpu_s + r.client_cpu_seconds);
    s.entries_per_msg = s.turns_per_msg = nan;
    return s;
}

// Counter lines: [0] at the window's start, [1] at its end, then the exit line.
void add_counters(Sample& s, const std::vector<Counters>& lines) {
    if (lines.size() < 2 || s.messages == 0) return;
    auto delta = [&](const char* key) {
        auto a = lines[0].find(key), b = lines[1].find(key);
        if (a == lines[0].end() || b == lines[1].end()) return nan;
        return static_cast<double>(b->second - a->second) / static_cast<double>(s.messages);
    };
    s.entries_per_msg = delta("kernel_entries");
    s.turns_per_msg = delta("loop_turns");
}

}  // namespace

Sample run_cell(const ServerSpec& spec, const Cell& cell, const RunConfig& config) {
    if (spec.argv.empty()) return measure(spec.target_pid, spec.target, cell, config, nullptr);
    ServerProcess server;
    if (auto err = server.start(spec.argv, config.server_cpu, config.work_dir); !err.empty()) {
        Sample s;
        s.error = err;
        return s;
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(server.port());
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    Sample s = measure(server.pid(), addr, cell, config, &server);
    auto stop_error = server.stop();
    add_counters(s, server.counters());
    if (s.error.empty() && !stop_error.empty()) s.error = spec.name + " " + stop_error;
    if (!s.error.empty()) {
        auto tail = server.log_tail(400);
        if (!tail.empty()) s.error += " (server stderr: " + tail + ")";
    }
    return s;
}

}  // namespace ringo_bench
