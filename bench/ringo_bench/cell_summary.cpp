#include "cell_summary.hpp"

namespace ringo_bench {

ServerSummary summarize(const std::vector<Sample>& rounds) {
    ServerSummary s;
    std::vector<double> msgs, mb, p50, p99, p999, max, stalled, cpu, sys, entries, turns, busy, swait, idle, cwait, others;
    for (const auto& r : rounds) {
        if (!r.error.empty()) {
            if (s.failed++ == 0) s.first_error = r.error;
            continue;
        }
        msgs.push_back(r.msgs_per_s);
        mb.push_back(r.mb_per_s);
        p50.push_back(r.p50_us);
        p99.push_back(r.p99_us);
        p999.push_back(r.p999_us);
        max.push_back(r.max_us);
        stalled.push_back(static_cast<double>(r.stalled_connections));
        cpu.push_back(r.server_cpu_us_per_msg);
        sys.push_back(r.server_sys_share);
        entries.push_back(r.entries_per_msg);
        turns.push_back(r.turns_per_msg);
        busy.push_back(r.server_busy);
        swait.push_back(r.server_wait);
        idle.push_back(r.client_idle);
        cwait.push_back(r.client_wait);
        others.push_back(r.others_load);
    }
    s.msgs = spread(msgs);
    s.mb = spread(mb);
    s.p50 = spread(p50);
    s.p99 = spread(p99);
    s.p999 = spread(p999);
    s.max = spread(max);
    s.stalled = spread(stalled);
    s.cpu = spread(cpu);
    s.sys_share = spread(sys);
    s.entries = spread(entries);
    s.turns = spread(turns);
    s.server_busy = spread(busy);
    s.server_wait = spread(swait);
    s.client_idle = spread(idle);
    s.client_wait = spread(cwait);
    s.others = spread(others);
    return s;
}

std::vector<Comparison> standard_comparisons() {
    return {
        {"ringo-uring / raw-uring", "ringo-uring", "raw-uring"},
        {"ringo-epoll / raw-epoll", "ringo-epoll", "raw-epoll"},
        {"raw-uring / raw-epoll", "raw-uring", "raw-epoll"},
        {"ringo-uring / ringo-epoll", "ringo-uring", "ringo-epoll"},
    };
}

std::optional<ComparisonResult> compare_in_cell(const MatrixResult& m, std::size_t cell, const Comparison& c) {
    auto find = [&](const std::string& name) -> const std::vector<Sample>* {
        for (std::size_t i = 0; i < m.servers.size(); ++i)
            if (m.servers[i].name == name) return &m.samples[cell][i];
        return nullptr;
    };
    auto* a = find(c.first);
    auto* b = find(c.second);
    if (!a || !b) return std::nullopt;
    auto sa = summarize(*a), sb = summarize(*b);
    return ComparisonResult{compare(sa.msgs, sb.msgs, true), compare(sa.cpu, sb.cpu, false)};
}

}  // namespace ringo_bench
