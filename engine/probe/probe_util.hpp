// Small tools the probe's experiments share: a throw-away ring, an owned fd,
// loopback and socketpair connections. Everything here cleans up after
// itself, so the probe leaks no fd and no ring, whichever step fails.
#pragma once

#include <ringo/engine/probe.hpp>

#include <liburing.h>

#include <netinet/in.h>

#include <cstdint>
#include <string>

namespace ringo::detail::probe {

// How long any one completion may take before the probe gives up on it.
// Everything the probe does completes in microseconds on a working kernel;
// this only bounds the probe where something swallows a request.
inline constexpr int cqe_timeout_ms = 1000;

struct Cqe {
    std::uint64_t user_data = 0;
    int res = 0;
    std::uint32_t flags = 0;
};

// A ring for one experiment. Tearing it down cancels whatever is still in
// flight, so declare the buffers a request uses before the Ring that runs
// it: they then outlive it.
class Ring {
public:
    Ring() = default;
    ~Ring();
    Ring(const Ring&) = delete;
    Ring& operator=(const Ring&) = delete;

    // 0, or the errno io_uring_setup gave. CQSIZE in flags sizes the CQ
    // at ring_cq_factor x entries.
    int init(unsigned entries, unsigned flags) noexcept;
    io_uring* get() noexcept { return &ring_; }
    int fd() const noexcept { return ring_.ring_fd; }
    unsigned features() const noexcept { return features_; }
    // Never nullptr: submits to make room when the SQ is full.
    io_uring_sqe* sqe() noexcept;
    // Submits what is queued and takes the next completion, waiting up to
    // timeout_ms. 0, ETIME when none came, or the errno of the wait.
    int next(Cqe& out, int timeout_ms = cqe_timeout_ms) noexcept;

private:
    io_uring ring_{};
    unsigned features_ = 0;
    bool ready_ = false;
};

class Fd {
public:
    explicit Fd(int fd = -1) noexcept : fd_(fd) {}
    ~Fd() { reset(); }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const noexcept { return fd_; }
    void reset(int fd = -1) noexcept;
    int release() noexcept {
        int fd = fd_;
        fd_ = -1;
        return fd;
    }

private:
    int fd_;
};

// A listening TCP socket on 127.0.0.1 and an ephemeral port. 0 or errno.
int tcp_listener(Fd& out, sockaddr_in& addr) noexcept;
// A TCP connection over loopback, made with plain blocking syscalls. Both
// ends are non-blocking afterwards. 0 or errno.
struct TcpPair {
    Fd listener, client, server;
};
int tcp_pair(TcpPair& out) noexcept;
// An AF_UNIX stream socketpair, non-blocking. 0 or errno.
int unix_pair(Fd& a, Fd& b) noexcept;

FeatureStatus supported() noexcept;
// Unsupported because of err (0 when it is not an errno matter), in words.
FeatureStatus unsupported(int err, std::string detail);
// "EINVAL"; "errno 1234" for one glibc has no name for.
std::string errno_name(int err);

}  // namespace ringo::detail::probe
