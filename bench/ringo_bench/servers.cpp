#include "servers.hpp"

#include <climits>
#include <unistd.h>

namespace ringo_bench {

std::vector<ServerSpec> default_servers(const std::string& bin_dir) {
    const auto ringo = bin_dir + "/ringo-echo-server";
    return {
        {"ringo-uring", "uring", true, {ringo, "--backend", "uring"}},
        {"ringo-epoll", "epoll", true, {ringo, "--backend", "epoll"}},
        {"raw-uring", "uring", false, {bin_dir + "/baselines/uring-echo"}},
        {"raw-epoll", "epoll", false, {bin_dir + "/baselines/epoll-echo"}},
        // Not in the default list; built only where libuv1-dev is installed.
        {"libuv", "epoll", false, {bin_dir + "/baselines/libuv-echo"}},
    };
}

std::string own_directory() {
    char buf[PATH_MAX];
    auto n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0) return ".";
    std::string path(buf, static_cast<std::size_t>(n));
    auto slash = path.rfind('/');
    return slash == std::string::npos ? "." : path.substr(0, slash);
}

std::string default_bin_dir() {
    // In a build tree the servers sit beside ringo-bench; once installed,
    // ringo-bench is in bindir and the servers in libexecdir/ringo.
    auto own = own_directory();
    if (access((own + "/ringo-echo-server").c_str(), X_OK) == 0) return own;
#ifdef RINGO_BENCH_LIBEXEC_DIR
    if (access(RINGO_BENCH_LIBEXEC_DIR "/ringo-echo-server", X_OK) == 0) return RINGO_BENCH_LIBEXEC_DIR;
#endif
    return own;
}

}  // namespace ringo_bench
