#include "matrix.hpp"

namespace ringo_bench {

MatrixResult run_matrix(const std::vector<Cell>& cells, const std::vector<ServerSpec>& servers, int rounds,
                        const RunConfig& config, const std::function<void(const Progress&)>& progress) {
    MatrixResult m;
    m.cells = cells;
    m.servers = servers;
    m.rounds = rounds;
    m.samples.assign(cells.size(), std::vector<std::vector<Sample>>(servers.size()));
    Progress p;
    p.total = static_cast<int>(cells.size() * servers.size()) * rounds;
    for (int round = 0; round < rounds; ++round) {
        for (std::size_t c = 0; c < cells.size(); ++c) {
            for (std::size_t k = 0; k < servers.size(); ++k) {
                auto s = (k + static_cast<std::size_t>(round) + c) % servers.size();
                p.round = round + 1;
                p.cell = &cells[c];
                p.server = &servers[s];
                p.last = nullptr;
                if (progress) progress(p);
                m.samples[c][s].push_back(run_cell(servers[s], cells[c], config));
                ++p.done;
                p.last = &m.samples[c][s].back();
                if (progress) progress(p);
            }
        }
    }
    return m;
}

}  // namespace ringo_bench
