#include "idle_test.hpp"

#include "proc_stats.hpp"
#include "summary.hpp"

#include <arpa/inet.h>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace ringo_bench {
namespace {

using namespace std::chrono_literals;

IdleRound idle_round(const ServerSpec& spec, int connections, const RunConfig& config) {
    IdleRound r;
    ServerProcess server;
    if (auto err = server.start(spec.argv, config.server_cpu, config.work_dir); !err.empty()) {
        r.error = err;
        return r;
    }
    // Let start-up settle (a lazily mapped ring, stdio buffers) before the
    // baseline is read.
    std::this_thread::sleep_for(100ms);
    r.rss_before = static_cast<double>(process_rss(server.pid()).value_or(0));

    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(server.port());
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    LoadClient client(addr, {connections, 64, 1});
    r.error = client.connect(60s);
    if (r.error.empty()) {
        RunPlan plan;
        plan.duration = 60s;  // a bound only: the run ends when every connection has had its echo
        plan.messages_per_connection = 1;
        LoadResult lr;
        client.run(plan, lr);
        r.error = lr.error;
        if (r.error.empty() && lr.total_messages != static_cast<std::uint64_t>(connections))
            r.error = fmt::format("{} of {} round trips done", lr.total_messages, connections);
    }
    if (r.error.empty()) {
        // Every echo is back, so the server has handled each connection; give
        // it a moment to finish the turn it is in.
        std::this_thread::sleep_for(200ms);
        r.rss_after = static_cast<double>(process_rss(server.pid()).value_or(0));
        r.bytes_per_connection = (r.rss_after - r.rss_before) / connections;
    }
    client.close_all();
    auto stop_error = server.stop();
    if (r.error.empty() && !stop_error.empty()) r.error = stop_error;
    return r;
}

}  // namespace

std::vector<IdleResult> run_idle(const std::vector<ServerSpec>& servers, int connections, int rounds,
                                 const RunConfig& config) {
    std::vector<IdleResult> results;
    for (auto& s : servers) results.push_back({s.name, {}});
    for (int round = 0; round < rounds; ++round)
        for (std::size_t k = 0; k < servers.size(); ++k) {
            auto s = (k + static_cast<std::size_t>(round)) % servers.size();
            results[s].rounds.push_back(idle_round(servers[s], connections, config));
        }
    return results;
}

void print_idle(std::FILE* out, const std::vector<IdleResult>& results, int connections) {
    fmt::print(out, "\nidle connections: {} per server, one 64-byte echo each, then left open; server VmRSS growth\n\n",
               connections);
    fmt::print(out, "{:<12} {:>14} {:>21} {:>12} {:>12}\n", "server", "bytes/conn", "[min-max]", "RSS before",
               "RSS after");
    for (auto& r : results) {
        std::vector<double> per, before, after;
        std::string error;
        for (auto& round : r.rounds) {
            if (!round.error.empty()) {
                if (error.empty()) error = round.error;
                continue;
            }
            per.push_back(round.bytes_per_connection);
            before.push_back(round.rss_before);
            after.push_back(round.rss_after);
        }
        auto p = spread(per);
        if (p.n == 0) {
            fmt::print(out, "{:<12} failed: {}\n", r.server, error);
            continue;
        }
        fmt::print(out, "{:<12} {:>14.0f} {:>21} {:>10.1f}Mi {:>10.1f}Mi\n", r.server, p.median,
                   fmt::format("[{:.0f}-{:.0f}]", p.min, p.max), spread(before).median / (1 << 20),
                   spread(after).median / (1 << 20));
        if (!error.empty()) fmt::print(out, "{:<12} (a round failed: {})\n", "", error);
    }
}

std::string idle_json(const std::vector<IdleResult>& results, int connections) {
    nlohmann::json j;
    j["idle_connections"] = connections;
    for (auto& r : results) {
        auto& s = j["servers"][r.server];
        for (auto& round : r.rounds)
            s.push_back({{"rss_before", round.rss_before},
                         {"rss_after", round.rss_after},
                         {"bytes_per_connection", round.bytes_per_connection},
                         {"error", round.error}});
    }
    return j.dump(2) + "\n";
}

}  // namespace ringo_bench
