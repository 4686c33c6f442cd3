// The table printed at the end of a run: one line per cell and server, then
// the ratios the performance targets are written in.
#include "cell_summary.hpp"
#include "report.hpp"

#include <cmath>

#include <fmt/format.h>

namespace ringo_bench {
namespace {

std::string num(double v, int decimals) {
    if (std::isnan(v)) return "-";
    return fmt::format("{:.{}f}", v, decimals);
}

std::string pct(double v) { return std::isnan(v) ? "-" : fmt::format("{:.0f}%", v * 100); }

std::string others_median(const MatrixResult& m) {
    std::vector<double> v;
    for (auto& cell : m.samples)
        for (auto& rounds : cell)
            for (auto& s : rounds)
                if (s.error.empty()) v.push_back(s.others_load);
    return pct(spread(v).median);
}

std::string cell_label(const Cell& c) { return fmt::format("{:>5} {:>5} {:>5}", c.connections, c.size, c.depth); }

}  // namespace

std::string si(double v) {
    if (std::isnan(v)) return "-";
    const char* unit = "";
    if (v >= 1e6) {
        v /= 1e6;
        unit = "M";
    } else if (v >= 1e3) {
        v /= 1e3;
        unit = "k";
    }
    int decimals = v >= 100 ? 0 : v >= 10 ? 1 : 2;
    return fmt::format("{:.{}f}{}", v, decimals, unit);
}

void print_table(std::FILE* out, const MatrixResult& m, const RunInfo& info) {
    const auto& cfg = info.config;
    fmt::print(out, "\nringo-bench: echo over loopback; server on cpu {}, client on cpu {}; {} round(s) of {:.1f} s "
                    "(after {:.1f} s warm-up) per cell and server\n",
               cfg.server_cpu, cfg.client_cpu, m.rounds, std::chrono::duration<double>(cfg.duration).count(),
               std::chrono::duration<double>(cfg.warmup).count());
    fmt::print(out, "kernel {}, {} cpus; load average {:.2f} before, {:.2f} after\n", info.kernel, info.cpus,
               info.load_before.empty() ? 0.0 : info.load_before[0],
               info.load_after.empty() ? 0.0 : info.load_after[0]);
    fmt::print(out, "figures: median of the rounds [min-max]; latency and CPU in microseconds; entries = the "
                    "server's syscalls per message\n\n");
    fmt::print(out, "{:>5} {:>5} {:>5}  {:<12} {:>8} {:>17} {:>7} {:>7} {:>7} {:>7} {:>8} {:>13} {:>7} {:>6} {:>6} {:>6} {:>6}\n",
               "conns", "size", "depth", "server", "msgs/s", "[min-max]", "MB/s", "p50", "p99", "p99.9", "cpu/msg",
               "[min-max]", "entries", "s.busy", "s.wait", "c.idle", "c.wait");
    for (std::size_t c = 0; c < m.cells.size(); ++c) {
        for (std::size_t s = 0; s < m.servers.size(); ++s) {
            auto sum = summarize(m.samples[c][s]);
            fmt::print(out, "{}  {:<12} {:>8} {:>17} {:>7} {:>7} {:>7} {:>7} {:>8} {:>13} {:>7} {:>6} {:>6} {:>6} {:>6}\n",
                       cell_label(m.cells[c]), m.servers[s].name, si(sum.msgs.median),
                       sum.msgs.n ? fmt::format("[{}-{}]", si(sum.msgs.min), si(sum.msgs.max)) : "",
                       num(sum.mb.median, 1), num(sum.p50.median, 0), num(sum.p99.median, 0),
                       num(sum.p999.median, 0), num(sum.cpu.median, 2),
                       sum.cpu.n ? fmt::format("[{}-{}]", num(sum.cpu.min, 2), num(sum.cpu.max, 2)) : "",
                       num(sum.entries.median, 2), pct(sum.server_busy.median), pct(sum.server_wait.median),
                       pct(sum.client_idle.median), pct(sum.client_wait.median));
            if (sum.stalled.n && sum.stalled.max > 0)
                fmt::print(out, "{:>19}  starved connections: up to {:.0f} of {} completed nothing in a window; "
                                "slowest message {:.0f} ms\n",
                           "", sum.stalled.max, m.cells[c].connections, sum.max.max / 1e3);
            if (sum.failed)
                fmt::print(out, "{:>19}  {} of {} rounds failed: {}\n", "", sum.failed, m.samples[c][s].size(),
                           sum.first_error);
        }
    }

    auto comparisons = standard_comparisons();
    fmt::print(out, "\nratios: median / median, msgs/s and CPU per message (the second server's CPU/msg over the "
                    "first's, so > 1 favours the first in both);\n\"within noise\" when the min-max ranges of the "
                    "two overlap\n\n{:>17}", "");
    for (auto& cmp : comparisons) fmt::print(out, "  {:<27}", cmp.label);
    fmt::print(out, "\n{:>5} {:>5} {:>5}", "conns", "size", "depth");
    for (std::size_t i = 0; i < comparisons.size(); ++i) fmt::print(out, "  {:>12} {:>14}", "msgs/s", "cpu/msg");
    fmt::print(out, "\n");
    for (std::size_t c = 0; c < m.cells.size(); ++c) {
        fmt::print(out, "{}", cell_label(m.cells[c]));
        for (auto& cmp : comparisons) {
            auto r = compare_in_cell(m, c, cmp);
            if (!r) fmt::print(out, "  {:>12} {:>14}", "n/a", "n/a");
            else fmt::print(out, "  {:>12} {:>14}", describe(r->msgs), describe(r->cpu));
        }
        fmt::print(out, "\n");
    }
    fmt::print(out, "\ns.busy: server CPU over the window (100% = one core); s.wait and c.wait: share of the window "
                    "server and client were\nrunnable but kept off their core by other programs; c.idle: share the "
                    "client was blocked, waiting for echoes (near 0%:\nthe client set the pace, so compare CPU/msg). "
                    "Other programs took {} of all cores during the windows (median).\n",
               others_median(m));
}

}  // namespace ringo_bench
