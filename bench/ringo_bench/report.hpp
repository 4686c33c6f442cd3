// The outputs of a matrix run: a table for people, JSON and CSV for tools,
// and an SVG plot. All read the same MatrixResult; none measures anything.
#pragma once

#include "cell_run.hpp"
#include "matrix.hpp"

#include <cstdio>
#include <string>
#include <vector>

namespace ringo_bench {

// Where and how the numbers were taken, printed above the table and kept in
// the JSON so a result file says which machine state it comes from.
struct RunInfo {
    std::string command;
    std::string kernel;
    int cpus = 0;
    std::vector<double> load_before, load_after;  // 1/5/15 min load averages
    std::string started, finished;                // local time, ISO 8601
    RunConfig config;
};

void print_table(std::FILE* out, const MatrixResult& m, const RunInfo& info);
std::string to_json(const MatrixResult& m, const RunInfo& info);
std::string to_csv(const MatrixResult& m);
// Throughput against connections (one line per server, a panel per size
// and depth), and latency percentiles beneath.
std::string to_svg(const MatrixResult& m, const RunInfo& info);

// "12.3k", "1.23M": three significant digits.
std::string si(double v);

}  // namespace ringo_bench
