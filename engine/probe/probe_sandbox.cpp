// Evidence for why io_uring_setup fails, and the failure told in words.
//
// One errno has several causes, so the probe combines what it can see:
//   EPERM   kernel.io_uring_disabled=2 (linux 6.6), or =1 and not in
//           kernel.io_uring_group; or a seccomp profile (Docker >= 25 and
//           containerd >= 2.0 deny io_uring by default); or an LSM.
//   ENOSYS  a kernel without CONFIG_IO_URING; or a seccomp filter that
//           answers ENOSYS (Podman, CRI-O); or gVisor.
//   ENOMEM  RLIMIT_MEMLOCK too small for the rings (kernels before 5.12
//           charge rings to it; later ones to the memory cgroup).
// io_uring_enter(-1, ...) tells a filter from the kernel: a real kernel
// looks the fd up and answers EBADF; a filter answers first, with its errno.
#include "engine/probe/probe_parts.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

namespace ringo::detail::probe {
namespace {

std::optional<long> read_sysctl(const char* path) {
    std::ifstream in(path);
    long v = 0;
    if (!(in >> v)) return std::nullopt;
    return v;
}

bool in_group(long gid) {
    if (gid < 0) return false;
    if (static_cast<long>(::getegid()) == gid) return true;
    int n = ::getgroups(0, nullptr);
    if (n <= 0) return false;
    std::vector<gid_t> groups(static_cast<std::size_t>(n));
    n = ::getgroups(n, groups.data());
    for (int i = 0; i < n; ++i)
        if (static_cast<long>(groups[static_cast<std::size_t>(i)]) == gid) return true;
    return false;
}

std::string bytes(std::uint64_t v) {
    if (v == Limit::unlimited) return "unlimited";
    if (v >= (1u << 20) && v % (1u << 20) == 0) return std::to_string(v >> 20) + " MiB";
    if (v >= 1024 && v % 1024 == 0) return std::to_string(v >> 10) + " KiB";
    return std::to_string(v) + " bytes";
}

std::string explain_eperm(const SandboxReport& sb) {
    if (sb.io_uring_disabled == 2)
        return "kernel.io_uring_disabled=2 switches io_uring off for every process on this host";
    if (sb.io_uring_disabled == 1 && !sb.in_io_uring_group)
        return "kernel.io_uring_disabled=1 allows io_uring only to kernel.io_uring_group (" +
               (sb.io_uring_group < 0 ? std::string("none set")
                                      : "gid " + std::to_string(sb.io_uring_group)) +
               ") and CAP_SYS_ADMIN, and this process has neither";
    if (sb.seccomp_mode == 2 || sb.enter_error == EPERM)
        return "a seccomp filter denies io_uring (Seccomp: " + std::to_string(sb.seccomp_mode) +
               "; io_uring_enter answers " + errno_name(sb.enter_error) +
               "); Docker >= 25 and containerd >= 2.0 deny it by default: allow io_uring_setup, "
               "io_uring_enter and io_uring_register in the container's seccomp profile";
    return "no sysctl or seccomp filter explains it; a security module (SELinux, AppArmor) may deny io_uring";
}

std::string explain_enosys(const SandboxReport& sb) {
    if (sb.seccomp_mode == 2 || (sb.enter_error != EBADF && sb.enter_error != 0))
        return "a seccomp filter answers ENOSYS for io_uring (Seccomp: " + std::to_string(sb.seccomp_mode) +
               "; io_uring_enter answers " + errno_name(sb.enter_error) +
               "); Podman and CRI-O profiles do this, and gVisor without io_uring enabled";
    return "the kernel has no io_uring (built without CONFIG_IO_URING), or this is gVisor";
}

}  // namespace

SandboxReport probe_sandbox() {
    SandboxReport sb;
    if (auto v = read_sysctl("/proc/sys/kernel/io_uring_disabled"))
        sb.io_uring_disabled = static_cast<int>(*v);
    if (auto v = read_sysctl("/proc/sys/kernel/io_uring_group")) sb.io_uring_group = *v;
    sb.in_io_uring_group = in_group(sb.io_uring_group);

    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("Seccomp:", 0) == 0) sb.seccomp_mode = std::atoi(line.c_str() + 8);
        else if (line.rfind("Seccomp_filters:", 0) == 0) sb.seccomp_filters = std::atoi(line.c_str() + 16);
    }

    // fd -1 never names a ring: only the answer's origin matters.
    long r = ::syscall(__NR_io_uring_enter, -1, 0, 0, 0, nullptr, 0);
    sb.enter_error = r < 0 ? errno : 0;
    return sb;
}

std::string explain_setup_error(int err, const ProbeReport& report) {
    const SandboxReport& sb = report.sandbox;
    std::string why;
    switch (err) {
    case EPERM: why = explain_eperm(sb); break;
    case ENOSYS: why = explain_enosys(sb); break;
    case ENOMEM:
        why = "not enough locked memory for the ring: RLIMIT_MEMLOCK is " + bytes(report.memlock.soft) +
              " (hard " + bytes(report.memlock.hard) + "); raise it (ulimit -l)";
        break;
    case EMFILE:
    case ENFILE:
        why = "out of file descriptors (RLIMIT_NOFILE " + std::to_string(report.nofile.soft) + ")";
        break;
    case EINVAL:
        why = "the kernel refused every setup the engine tries; it is older than ringo needs (5.19)";
        break;
    default: why = std::strerror(err); break;
    }
    return "io_uring_setup failed with " + errno_name(err) + ": " + why;
}

}  // namespace ringo::detail::probe
