// The interleaved matrix: every cell against every server, over several
// rounds. Round r visits the cells in order and, inside each cell, the
// servers in an order rotated by r (and by the cell), so slow drift of a
// shared machine spreads over all servers instead of landing on one.
#pragma once

#include "cell_run.hpp"
#include "servers.hpp"

#include <functional>
#include <string>
#include <vector>

namespace ringo_bench {

struct MatrixResult {
    std::vector<Cell> cells;
    std::vector<ServerSpec> servers;
    // samples[cell][server]: one Sample per round.
    std::vector<std::vector<std::vector<Sample>>> samples;
    int rounds = 0;
};

struct Progress {
    int done = 0, total = 0, round = 0;
    const Cell* cell = nullptr;
    const ServerSpec* server = nullptr;
    const Sample* last = nullptr;  // the run just finished, or null before it
};

MatrixResult run_matrix(const std::vector<Cell>& cells, const std::vector<ServerSpec>& servers, int rounds,
                        const RunConfig& config, const std::function<void(const Progress&)>& progress);

}  // namespace ringo_bench
