// One measurement: one server, one cell (connections x size x depth), one
// round. Starts the server, connects, drives the load, reads the server's
// CPU and kernel-entry counters at the two edges of the window, stops it.
#pragma once

#include "load_client.hpp"
#include "server_process.hpp"
#include "servers.hpp"

#include <chrono>
#include <string>

#include <sys/types.h>

namespace ringo_bench {

struct Cell {
    int connections = 1;
    int size = 64;
    int depth = 1;
};

struct RunConfig {
    std::chrono::nanoseconds warmup = std::chrono::milliseconds(500);
    std::chrono::nanoseconds duration = std::chrono::seconds(2);
    int server_cpu = 0;
    int client_cpu = 1;
    std::string work_dir;  // stats and log files of the servers
};

// What one run measured. NaN where a figure is unknown (an external server
// gives no counters).
struct Sample {
    double msgs_per_s = 0;
    double mb_per_s = 0;  // payload, one direction, 10^6 bytes
    double p50_us = 0, p99_us = 0, p999_us = 0, max_us = 0;
    std::uint64_t stalled_connections = 0;  // completed nothing in the window
    double server_cpu_us_per_msg = 0;  // on-CPU time of all its threads / messages
    double server_sys_share = 0;       // of that, time in the kernel (stime / (utime + stime))
    double entries_per_msg = 0;        // the server's own count of syscalls
    double turns_per_msg = 0;          // its loop turns
    double server_busy = 0;            // server CPU / window (1 = a full core)
    double server_wait = 0;            // share of the window it was runnable but off the CPU
    double client_idle = 0;            // share of the window it was blocked (neither on nor waiting for a CPU)
    double client_wait = 0;            // share of the window it was runnable but off the CPU
    double others_load = 0;            // CPU used by other programs, share of all cores
    std::uint64_t messages = 0;
    double seconds = 0;
    std::string error;
};

// An external server (empty argv) is only connected to; its CPU is read when
// its pid is known, and it gives no kernel-entry counters.
Sample run_cell(const ServerSpec& server, const Cell& cell, const RunConfig& config);

}  // namespace ringo_bench
