// One CSV row per cell and server: the medians and ranges of the summary,
// for a spreadsheet or a plotting script.
#include "cell_summary.hpp"
#include "report.hpp"

#include <cmath>

#include <fmt/format.h>

namespace ringo_bench {
namespace {

std::string field(double v) { return std::isnan(v) ? "" : fmt::format("{:.6g}", v); }

}  // namespace

std::string to_csv(const MatrixResult& m) {
    std::string out = "connections,size,depth,server,rounds,failed_rounds";
    const char* metrics[] = {"msgs_per_s", "mb_per_s", "p50_us", "p99_us", "p999_us", "server_cpu_us_per_msg",
                             "kernel_entries_per_msg", "loop_turns_per_msg", "server_busy", "server_wait",
                             "client_idle", "client_wait", "others_load"};
    for (auto* name : metrics) out += fmt::format(",{0}_median,{0}_min,{0}_max", name);
    out += "\n";
    for (std::size_t c = 0; c < m.cells.size(); ++c) {
        for (std::size_t s = 0; s < m.servers.size(); ++s) {
            auto sum = summarize(m.samples[c][s]);
            const auto& cell = m.cells[c];
            out += fmt::format("{},{},{},{},{},{}", cell.connections, cell.size, cell.depth, m.servers[s].name,
                               m.samples[c][s].size(), sum.failed);
            for (const Spread* sp : {&sum.msgs, &sum.mb, &sum.p50, &sum.p99, &sum.p999, &sum.cpu, &sum.entries,
                                     &sum.turns, &sum.server_busy, &sum.server_wait, &sum.client_idle,
                                     &sum.client_wait, &sum.others})
                out += fmt::format(",{},{},{}", field(sp->median), field(sp->min), field(sp->max));
            out += "\n";
        }
    }
    return out;
}

}  // namespace ringo_bench
