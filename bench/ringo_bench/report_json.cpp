// Machine-readable results: every round of every run, the summaries and the
// ratios, with the machine state they were taken in.
#include "cell_summary.hpp"
#include "report.hpp"

#include <cmath>

#include <nlohmann/json.hpp>

namespace ringo_bench {
namespace {

using nlohmann::json;

// JSON has no NaN: unknown figures are null.
json number(double v) { return std::isnan(v) || std::isinf(v) ? json(nullptr) : json(v); }

json spread_json(const Spread& s) { return {{"median", number(s.median)}, {"min", number(s.min)}, {"max", number(s.max)}, {"n", s.n}}; }

json sample_json(const Sample& s) {
    return {{"msgs_per_s", number(s.msgs_per_s)},
            {"mb_per_s", number(s.mb_per_s)},
            {"p50_us", number(s.p50_us)},
            {"p99_us", number(s.p99_us)},
            {"p999_us", number(s.p999_us)},
            {"max_us", number(s.max_us)},
            {"stalled_connections", s.stalled_connections},
            {"server_cpu_us_per_msg", number(s.server_cpu_us_per_msg)},
            {"server_sys_share", number(s.server_sys_share)},
            {"kernel_entries_per_msg", number(s.entries_per_msg)},
            {"loop_turns_per_msg", number(s.turns_per_msg)},
            {"server_busy", number(s.server_busy)},
            {"server_wait", number(s.server_wait)},
            {"client_idle", number(s.client_idle)},
            {"client_wait", number(s.client_wait)},
            {"others_load", number(s.others_load)},
            {"messages", s.messages},
            {"seconds", number(s.seconds)},
            {"error", s.error}};
}

json ratio_json(const Ratio& r) {
    return {{"value", number(r.value)}, {"lo", number(r.lo)}, {"hi", number(r.hi)}, {"within_noise", r.noise}};
}

}  // namespace

std::string to_json(const MatrixResult& m, const RunInfo& info) {
    json j;
    j["tool"] = "ringo-bench";
    j["command"] = info.command;
    j["started"] = info.started;
    j["finished"] = info.finished;
    j["machine"] = {{"kernel", info.kernel}, {"cpus", info.cpus}, {"load_before", info.load_before},
                    {"load_after", info.load_after}};
    j["config"] = {{"warmup_s", std::chrono::duration<double>(info.config.warmup).count()},
                   {"duration_s", std::chrono::duration<double>(info.config.duration).count()},
                   {"rounds", m.rounds},
                   {"server_cpu", info.config.server_cpu},
                   {"client_cpu", info.config.client_cpu}};
    for (auto& s : m.servers)
        j["servers"].push_back({{"name", s.name}, {"backend", s.backend}, {"ringo", s.ringo}, {"argv", s.argv}});
    for (std::size_t c = 0; c < m.cells.size(); ++c) {
        const auto& cell = m.cells[c];
        json jc = {{"connections", cell.connections}, {"size", cell.size}, {"depth", cell.depth}};
        for (std::size_t s = 0; s < m.servers.size(); ++s) {
            json rounds = json::array();
            for (auto& sample : m.samples[c][s]) rounds.push_back(sample_json(sample));
            auto sum = summarize(m.samples[c][s]);
            jc["servers"][m.servers[s].name] = {
                {"rounds", rounds},
                {"summary",
                 {{"msgs_per_s", spread_json(sum.msgs)},
                  {"mb_per_s", spread_json(sum.mb)},
                  {"p50_us", spread_json(sum.p50)},
                  {"p99_us", spread_json(sum.p99)},
                  {"p999_us", spread_json(sum.p999)},
                  {"max_us", spread_json(sum.max)},
                  {"stalled_connections", spread_json(sum.stalled)},
                  {"server_cpu_us_per_msg", spread_json(sum.cpu)},
                  {"server_sys_share", spread_json(sum.sys_share)},
                  {"kernel_entries_per_msg", spread_json(sum.entries)},
                  {"loop_turns_per_msg", spread_json(sum.turns)},
                  {"server_busy", spread_json(sum.server_busy)},
                  {"server_wait", spread_json(sum.server_wait)},
                  {"client_idle", spread_json(sum.client_idle)},
                  {"client_wait", spread_json(sum.client_wait)},
                  {"others_load", spread_json(sum.others)},
                  {"failed_rounds", sum.failed}}}};
        }
        for (auto& cmp : standard_comparisons()) {
            if (auto r = compare_in_cell(m, c, cmp))
                jc["ratios"][cmp.label] = {{"msgs_per_s", ratio_json(r->msgs)}, {"cpu_per_msg", ratio_json(r->cpu)}};
        }
        j["cells"].push_back(std::move(jc));
    }
    return j.dump(2) + "\n";
}

}  // namespace ringo_bench
