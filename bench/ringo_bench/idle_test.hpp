// --idle N: what an idle connection costs a server in memory. Each server
// gets N connections that make one echo round trip each and then sit; the
// growth of its resident set (VmRSS), divided by N, is the cost of one.
// One child process per server and round, so nothing another run left
// behind (a grown heap, a cached frame) is counted or hidden.
#pragma once

#include "cell_run.hpp"
#include "servers.hpp"

#include <cstdio>
#include <string>
#include <vector>

namespace ringo_bench {

struct IdleRound {
    double rss_before = 0, rss_after = 0;  // bytes
    double bytes_per_connection = 0;
    std::string error;
};

struct IdleResult {
    std::string server;
    std::vector<IdleRound> rounds;
};

std::vector<IdleResult> run_idle(const std::vector<ServerSpec>& servers, int connections, int rounds,
                                 const RunConfig& config);
void print_idle(std::FILE* out, const std::vector<IdleResult>& results, int connections);
std::string idle_json(const std::vector<IdleResult>& results, int connections);

}  // namespace ringo_bench
