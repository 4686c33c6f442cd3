#include "server_process.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <poll.h>
#include <sched.h>
#include <sstream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <utility>

namespace ringo_bench {
namespace {

using Ms = std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

int ms_left(SteadyClock::time_point deadline) {
    auto left = std::chrono::duration_cast<Ms>(deadline - SteadyClock::now()).count();
    return left > 0 ? static_cast<int>(left) : 0;
}

}  // namespace

ServerProcess::~ServerProcess() {
    if (running()) stop(Ms(2000));
}

std::string ServerProcess::start(std::vector<std::string> argv, int cpu, const std::string& work_dir,
                                 std::chrono::milliseconds timeout) {
    static int serial = 0;
    auto tag = work_dir + "/server" + std::to_string(++serial);
    stats_path_ = tag + ".stats";
    log_path_ = tag + ".log";
    argv.insert(argv.end(), {"--port", "0", "--stats", stats_path_});

    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0) return std::string("pipe: ") + std::strerror(errno);
    int log = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);

    pid_t pid = fork();
    if (pid < 0) return std::string("fork: ") + std::strerror(errno);
    if (pid == 0) {
        // The child: only async-signal-safe calls from here to exec.
        if (cpu >= 0) {
            cpu_set_t set;
            CPU_ZERO(&set);
            CPU_SET(cpu, &set);
            sched_setaffinity(0, sizeof set, &set);
        }
        dup2(out[1], STDOUT_FILENO);
        if (log >= 0) dup2(log, STDERR_FILENO);
        execv(args[0], args.data());
        _exit(127);
    }
    ::close(out[1]);
    if (log >= 0) ::close(log);
    pid_ = pid;

    // Read until "listening on HOST:PORT\n", bounded in time.
    std::string seen;
    auto deadline = SteadyClock::now() + timeout;
    std::string error;
    for (;;) {
        auto nl = seen.find('\n');
        if (nl != std::string::npos) {
            auto line = seen.substr(0, nl);
            seen.erase(0, nl + 1);
            const std::string key = "listening on ";
            if (line.rfind(key, 0) == 0) {
                auto colon = line.rfind(':');
                port_ = static_cast<std::uint16_t>(std::stoul(line.substr(colon + 1)));
                break;
            }
            continue;
        }
        pollfd p{out[0], POLLIN, 0};
        int left = ms_left(deadline);
        if (left == 0 || poll(&p, 1, left) <= 0) {
            error = "no \"listening on\" line within " + std::to_string(timeout.count()) + " ms";
            break;
        }
        char buf[256];
        auto n = read(out[0], buf, sizeof buf);
        if (n <= 0) {
            error = "exited before listening";
            break;
        }
        seen.append(buf, static_cast<std::size_t>(n));
    }
    stdout_fd_ = out[0];
    if (!error.empty()) {
        stop(Ms(1000));
        auto tail = log_tail(600);
        return argv[0] + ": " + error + (tail.empty() ? "" : "; its stderr: " + tail);
    }
    return {};
}

void ServerProcess::snapshot() const {
    if (running()) kill(pid_, SIGUSR1);
}

std::string ServerProcess::stop(std::chrono::milliseconds grace) {
    if (!running()) return {};
    kill(pid_, SIGTERM);
    int status = 0;
    auto deadline = SteadyClock::now() + grace;
    pid_t r = 0;
    while ((r = waitpid(pid_, &status, WNOHANG)) == 0 && SteadyClock::now() < deadline)
        std::this_thread::sleep_for(Ms(2));
    std::string error;
    if (r == 0) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
        error = "did not stop within " + std::to_string(grace.count()) + " ms of SIGTERM (killed)";
    } else if (WIFSIGNALED(status)) {
        error = std::string("killed by signal ") + strsignal(WTERMSIG(status));
    } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
        error = "exit status " + std::to_string(WEXITSTATUS(status));
    }
    pid_ = -1;
    if (stdout_fd_ >= 0) ::close(std::exchange(stdout_fd_, -1));
    return error;
}

std::vector<Counters> ServerProcess::counters() const {
    std::vector<Counters> lines;
    std::ifstream f(stats_path_);
    std::string line;
    while (std::getline(f, line)) {
        std::istringstream in(line);
        Counters c;
        std::string key;
        std::uint64_t value;
        while (in >> key >> value) c[key] = value;
        if (!c.empty()) lines.push_back(std::move(c));
    }
    return lines;
}

std::string ServerProcess::log_tail(std::size_t max_bytes) const {
    std::ifstream f(log_path_);
    std::stringstream ss;
    ss << f.rdbuf();
    auto s = ss.str();
    if (s.size() > max_bytes) s = s.substr(s.size() - max_bytes);
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

}  // namespace ringo_bench
