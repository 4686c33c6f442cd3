#include "engine/probe/probe_util.hpp"

#include "engine/probe/ring_ladder.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ringo::detail::probe {

Ring::~Ring() {
    if (ready_) io_uring_queue_exit(&ring_);
}

int Ring::init(unsigned entries, unsigned flags) noexcept {
    io_uring_params p{};
    p.flags = flags;
    if (flags & IORING_SETUP_CQSIZE) p.cq_entries = entries * ring_cq_factor;
    int r = io_uring_queue_init_params(entries, &ring_, &p);
    if (r < 0) return -r;
    features_ = p.features;
    ready_ = true;
    return 0;
}

io_uring_sqe* Ring::sqe() noexcept {
    for (;;) {
        if (io_uring_sqe* s = io_uring_get_sqe(&ring_)) return s;
        io_uring_submit(&ring_);
    }
}

int Ring::next(Cqe& out, int timeout_ms) noexcept {
    io_uring_cqe* cqe = nullptr;
    // Enter only when something is queued or nothing has arrived: on a
    // DEFER_TASKRUN ring completions appear only when we enter to wait.
    if (io_uring_sq_ready(&ring_) > 0 || io_uring_peek_cqe(&ring_, &cqe) != 0) {
        __kernel_timespec ts{};
        ts.tv_sec = timeout_ms / 1000;
        ts.tv_nsec = static_cast<long long>(timeout_ms % 1000) * 1'000'000;
        int r;
        do {
            cqe = nullptr;
            r = io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
        } while (r == -EINTR);
        if (io_uring_peek_cqe(&ring_, &cqe) != 0) return r < 0 && r != -ETIME ? -r : ETIME;
    }
    out = {cqe->user_data, cqe->res, cqe->flags};
    io_uring_cqe_seen(&ring_, cqe);
    return 0;
}

void Fd::reset(int fd) noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
}

int tcp_listener(Fd& out, sockaddr_in& addr) noexcept {
    out.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (out.get() < 0) return errno;
    addr = {};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(out.get(), reinterpret_cast<sockaddr*>(&addr), len) != 0) return errno;
    if (::listen(out.get(), 8) != 0) return errno;
    if (::getsockname(out.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) return errno;
    return 0;
}

int tcp_pair(TcpPair& out) noexcept {
    sockaddr_in addr{};
    if (int err = tcp_listener(out.listener, addr)) return err;
    out.client.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (out.client.get() < 0) return errno;
    // A connect to a listening loopback socket completes at once (the
    // backlog takes it), so blocking calls never wait here.
    if (::connect(out.client.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return errno;
    out.server.reset(::accept4(out.listener.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (out.server.get() < 0) return errno;
    int fl = ::fcntl(out.client.get(), F_GETFL);
    if (fl < 0 || ::fcntl(out.client.get(), F_SETFL, fl | O_NONBLOCK) != 0) return errno;
    return 0;
}

int unix_pair(Fd& a, Fd& b) noexcept {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0) return errno;
    a.reset(sv[0]);
    b.reset(sv[1]);
    return 0;
}

FeatureStatus supported() noexcept { return FeatureStatus{true, 0, {}}; }

FeatureStatus unsupported(int err, std::string detail) {
    if (err != 0) detail = errno_name(err) + (detail.empty() ? "" : ": " + detail);
    return FeatureStatus{false, err, std::move(detail)};
}

std::string errno_name(int err) {
    if (const char* n = strerrorname_np(err)) return n;
    return "errno " + std::to_string(err);
}

}  // namespace ringo::detail::probe
