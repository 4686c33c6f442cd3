// The servers ringo-bench compares, and how to start each one. All four are
// child processes started the same way (ServerProcess); they differ only in
// the command line.
#pragma once

#include <string>
#include <vector>

#include <netinet/in.h>
#include <sys/types.h>

namespace ringo_bench {

struct ServerSpec {
    std::string name;               // "ringo-uring", "raw-epoll", ...
    std::string backend;            // "uring" or "epoll": which kernel interface it uses
    bool ringo = false;             // ringo, or a raw baseline
    std::vector<std::string> argv;  // argv[0] is the executable's path; empty: external
    // An external server (--target): where it listens, and its pid if known.
    sockaddr_in target{};
    pid_t target_pid = 0;
};

// ringo on io_uring, ringo on epoll, raw liburing, raw epoll. Executables
// are looked for in bin_dir (ringo-echo-server) and bin_dir/baselines.
std::vector<ServerSpec> default_servers(const std::string& bin_dir);
// The directory of this executable (from /proc/self/exe).
std::string own_directory();

// Where the servers are: beside this program (build tree) or, once
// installed, in libexecdir/ringo.
std::string default_bin_dir();

}  // namespace ringo_bench
