// What ringo-bench reads from /proc: CPU time of a process or a thread, a
// process's resident memory, and how busy each core was. Every reader
// returns nullopt (or 0) rather than throwing when the file is gone: a
// server that died is reported by whoever started it.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include <sys/types.h>

namespace ringo_bench {

struct CpuTime {
    std::uint64_t ns = 0;        // on-CPU time, ns (schedstat: exact)
    std::uint64_t wait_ns = 0;   // runnable but waiting for a CPU, ns (schedstat)
    std::uint64_t user_ns = 0;   // utime, from /proc/.../stat (clock-tick resolution)
    std::uint64_t system_ns = 0; // stime, likewise
};

// Every thread of pid, summed (io_uring's iou-wrk threads belong to it too).
std::optional<CpuTime> process_cpu(pid_t pid);
// One thread of this process (the load client's own).
std::optional<CpuTime> thread_cpu(pid_t tid);
// VmRSS of pid, bytes.
std::optional<std::uint64_t> process_rss(pid_t pid);

// Busy and total jiffies per core from /proc/stat, to tell how much of the
// cores we run on went to other programs (the machine is shared).
struct CoreTimes {
    std::vector<std::uint64_t> busy, total;
};
CoreTimes core_times();
// Busy share of core `cpu` between two readings (0..1), or -1 if unknown.
double core_busy_share(const CoreTimes& a, const CoreTimes& b, int cpu);

// "0.52 0.61 0.70" from /proc/loadavg: 1, 5 and 15 minute load averages.
std::vector<double> load_average();

// Pins the calling thread to cpu; -1 or an absent core: leaves it free.
bool pin_thread(int cpu);
int online_cpus();

}  // namespace ringo_bench
