#include "proc_stats.hpp"

#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <sched.h>
#include <sstream>
#include <string>
#include <unistd.h>

namespace ringo_bench {
namespace {

// utime and stime (fields 14 and 15) of a stat file, in ns. The command name
// (field 2) may hold spaces, so parse from the last ')'.
std::optional<std::pair<std::uint64_t, std::uint64_t>> stat_times(const std::string& path) {
    std::ifstream f(path);
    std::string line;
    if (!std::getline(f, line)) return std::nullopt;
    auto close = line.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::istringstream in(line.substr(close + 2));
    std::string field;
    std::uint64_t utime = 0, stime = 0;
    // Field 3 is the first after ')'; utime is field 14.
    for (int i = 3; i <= 15 && in >> field; ++i) {
        if (i == 14) utime = std::stoull(field);
        if (i == 15) stime = std::stoull(field);
    }
    const auto tick_ns = 1'000'000'000ull / static_cast<std::uint64_t>(sysconf(_SC_CLK_TCK));
    return std::make_pair(utime * tick_ns, stime * tick_ns);
}

// schedstat: "on-cpu-ns runqueue-wait-ns timeslices".
bool read_schedstat(const std::string& path, std::uint64_t& on_cpu, std::uint64_t& waiting) {
    std::ifstream f(path);
    std::uint64_t a = 0, b = 0;
    if (!(f >> a >> b)) return false;
    on_cpu += a;
    waiting += b;
    return true;
}

}  // namespace

std::optional<CpuTime> process_cpu(pid_t pid) {
    auto base = "/proc/" + std::to_string(pid);
    auto times = stat_times(base + "/stat");
    if (!times) return std::nullopt;
    CpuTime t;
    t.user_ns = times->first;
    t.system_ns = times->second;
    // schedstat is per thread: sum the threads that are alive now. A thread
    // that already exited is lost here but kept in stat's totals, so fall
    // back to those if the sum comes out smaller.
    if (DIR* d = opendir((base + "/task").c_str())) {
        while (dirent* e = readdir(d)) {
            if (e->d_name[0] == '.') continue;
            read_schedstat(base + "/task/" + e->d_name + "/schedstat", t.ns, t.wait_ns);
        }
        closedir(d);
    }
    if (t.ns == 0) t.ns = t.user_ns + t.system_ns;
    return t;
}

std::optional<CpuTime> thread_cpu(pid_t tid) {
    auto base = "/proc/self/task/" + std::to_string(tid);
    auto times = stat_times(base + "/stat");
    if (!times) return std::nullopt;
    CpuTime t;
    t.user_ns = times->first;
    t.system_ns = times->second;
    if (!read_schedstat(base + "/schedstat", t.ns, t.wait_ns)) t.ns = t.user_ns + t.system_ns;
    return t;
}

std::optional<std::uint64_t> process_rss(pid_t pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/status");
    std::string key;
    while (f >> key) {
        if (key == "VmRSS:") {
            std::uint64_t kb = 0;
            f >> kb;
            return kb * 1024;
        }
        f.ignore(1 << 20, '\n');
    }
    return std::nullopt;
}

CoreTimes core_times() {
    CoreTimes t;
    std::ifstream f("/proc/stat");
    std::string line;
    while (std::getline(f, line)) {
        // "cpuN user nice system idle iowait irq softirq steal ..."
        if (line.rfind("cpu", 0) != 0 || line.size() < 4 || line[3] == ' ') continue;
        std::istringstream in(line);
        std::string name;
        in >> name;
        std::uint64_t v[8] = {};
        for (auto& x : v) in >> x;
        const auto idle = v[3] + v[4];
        const auto total = v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
        auto cpu = static_cast<std::size_t>(std::stoi(name.substr(3)));
        if (t.busy.size() <= cpu) {
            t.busy.resize(cpu + 1);
            t.total.resize(cpu + 1);
        }
        t.busy[cpu] = total - idle;
        t.total[cpu] = total;
    }
    return t;
}

double core_busy_share(const CoreTimes& a, const CoreTimes& b, int cpu) {
    auto c = static_cast<std::size_t>(cpu);
    if (cpu < 0 || c >= a.total.size() || c >= b.total.size()) return -1;
    auto total = b.total[c] - a.total[c];
    if (total == 0) return -1;
    return static_cast<double>(b.busy[c] - a.busy[c]) / static_cast<double>(total);
}

std::vector<double> load_average() {
    std::ifstream f("/proc/loadavg");
    std::vector<double> v(3, 0.0);
    f >> v[0] >> v[1] >> v[2];
    return v;
}

bool pin_thread(int cpu) {
    if (cpu < 0 || cpu >= online_cpus()) return false;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof set, &set) == 0;
}

int online_cpus() { return static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN)); }

}  // namespace ringo_bench
