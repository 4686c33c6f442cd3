// ServerProcess: one echo server under test, as a child process. It is
// pinned to its core between fork and exec (so not one instruction of it
// runs elsewhere), announces its port on stdout ("listening on
// 127.0.0.1:PORT"), appends counter lines to a stats file when sent SIGUSR1
// and at exit, and is stopped with SIGTERM (SIGKILL if it will not go).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace ringo_bench {

// One stats line: "kernel_entries 12 loop_turns 7 ...".
using Counters = std::map<std::string, std::uint64_t>;

class ServerProcess {
public:
    ServerProcess() = default;
    ServerProcess(const ServerProcess&) = delete;
    ServerProcess& operator=(const ServerProcess&) = delete;
    ~ServerProcess();  // stops it if still running

    // Starts argv[0] with argv (plus --port 0 --stats FILE), pinned to cpu
    // (-1: not pinned). stderr goes to a log file next to the stats file.
    // Returns an error text, empty on success.
    std::string start(std::vector<std::string> argv, int cpu, const std::string& work_dir,
                      std::chrono::milliseconds timeout = std::chrono::seconds(10));
    // Asks for a counter line (asynchronous: the server writes it on its
    // next loop turn).
    void snapshot() const;
    // SIGTERM, wait up to `grace`, then SIGKILL. Returns an error text (an
    // exit status other than 0), empty on a clean exit.
    std::string stop(std::chrono::milliseconds grace = std::chrono::seconds(5));
    // The counter lines written so far, oldest first.
    std::vector<Counters> counters() const;
    // The server's stderr (for error messages).
    std::string log_tail(std::size_t max_bytes = 2000) const;

    pid_t pid() const noexcept { return pid_; }
    std::uint16_t port() const noexcept { return port_; }
    bool running() const noexcept { return pid_ > 0; }

private:
    pid_t pid_ = -1;
    int stdout_fd_ = -1;  // kept open while it runs: a late write must not meet EPIPE
    std::uint16_t port_ = 0;
    std::string stats_path_, log_path_;
};

}  // namespace ringo_bench
