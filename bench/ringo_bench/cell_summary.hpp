// The rounds of one server in one cell, reduced to spreads, and the
// comparisons the report makes between servers.
#pragma once

#include "cell_run.hpp"
#include "matrix.hpp"
#include "summary.hpp"

#include <optional>
#include <string>
#include <vector>

namespace ringo_bench {

struct ServerSummary {
    Spread msgs, mb, p50, p99, p999, max, stalled, cpu, sys_share, entries, turns, server_busy, server_wait, client_idle, client_wait, others;
    int failed = 0;           // rounds with an error (left out of the spreads)
    std::string first_error;
};

ServerSummary summarize(const std::vector<Sample>& rounds);

// A pair the report compares: "first / second".
struct Comparison {
    std::string label;  // "ringo-uring / raw-uring"
    std::string first, second;
};
// ringo vs raw on each backend, then io_uring vs epoll raw and in ringo.
std::vector<Comparison> standard_comparisons();

struct ComparisonResult {
    Ratio msgs;  // first / second
    Ratio cpu;   // second's CPU per message / first's: > 1 favours first
};
// nullopt when either server is not in the matrix.
std::optional<ComparisonResult> compare_in_cell(const MatrixResult& m, std::size_t cell, const Comparison& c);

}  // namespace ringo_bench
