// ringo-bench's command line, parsed into one plain struct.
#pragma once

#include "cell_run.hpp"

#include <optional>
#include <string>
#include <vector>

namespace ringo_bench {

struct Options {
    std::vector<int> conns{1, 64, 1000};
    std::vector<int> sizes{64, 4096};
    std::vector<int> depths{1, 16};
    std::vector<std::string> servers{"ringo-uring", "ringo-epoll", "raw-uring", "raw-epoll"};
    int rounds = 3;
    RunConfig run;
    bool quick = false;
    std::string target;  // HOST:PORT of an external server
    int target_pid = 0;
    int idle = 0;        // --idle N
    std::string json_path, csv_path, svg_path, bin_dir;
    std::string work_dir;  // kept after the run when given (servers' stats and stderr)
};

// Parses argv; returns the exit code to end with when it should not run
// (help, a bad option), after printing why.
std::optional<int> parse_options(int argc, char** argv, Options& o);
// The cells of the matrix the options ask for.
std::vector<Cell> cells_of(const Options& o);

}  // namespace ringo_bench
