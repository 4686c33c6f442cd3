#include "compat/epoll/op_syscall.hpp"

#include "engine/backend/buf_pool.hpp"

#include <cerrno>
#include <cstdint>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

namespace ringo::detail {
namespace {

constexpr std::uint64_t current_position = UINT64_MAX;

bool done(Op& op, int result) noexcept {
    op.result = result;
    return true;
}

// A non-blocking connect is two steps: connect(2) starts it, and once the
// socket turns writable SO_ERROR tells how it ended. Calling connect(2)
// again instead would restart a failed attempt on some stacks.
bool connect_step(Op& op) noexcept {
    if (op.backend_word & connect_started) {
        int err = 0;
        socklen_t len = sizeof err;
        if (::getsockopt(op.fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
        return done(op, -err);
    }
    if (::connect(op.fd, op.addr, op.addrlen) == 0) return done(op, 0);
    switch (errno) {
    case EINPROGRESS:
    case EALREADY:
    case EINTR:  // the handshake carries on without us: wait for it like EINPROGRESS
        op.backend_word |= connect_started;
        return false;
    default:
        // EAGAIN included: an AF_UNIX listener with a full backlog. Its
        // socket never turns writable for that, so waiting would hang (Go
        // reports it too).
        return done(op, -errno);
    }
}

ssize_t read_at(Op& op) noexcept {
    if (op.offset != current_position) {
        ssize_t n = ::pread(op.fd, op.buf, op.len, static_cast<off_t>(op.offset));
        // A pipe or socket has no position; io_uring ignores the offset on
        // those, and so do we.
        if (n >= 0 || errno != ESPIPE) return n;
    }
    return ::read(op.fd, op.buf, op.len);
}

ssize_t write_at(Op& op) noexcept {
    if (op.offset != current_position) {
        ssize_t n = ::pwrite(op.fd, op.buf, op.len, static_cast<off_t>(op.offset));
        if (n >= 0 || errno != ESPIPE) return n;
    }
    return ::write(op.fd, op.buf, op.len);
}

}  // namespace

bool run_syscall(Op& op, BufPool* pool) noexcept {
    // MSG_DONTWAIT: an fd left blocking by mistake must not stall the loop.
    for (;;) {
        ssize_t n = -1;
        socklen_t socklen = 0;
        switch (op.kind) {
        case OpKind::nop: return done(op, 0);
        case OpKind::accept:
            // op.addrlen holds the size of the awaiter's buffer; the retry
            // after ECONNABORTED needs it again.
            socklen = op.addrlen;
            n = ::accept4(op.fd, op.addr, &socklen, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (n >= 0) op.addrlen = socklen;
            // A connection reset while it sat in the backlog: take the next.
            if (n < 0 && errno == ECONNABORTED) continue;
            break;
        case OpKind::connect: return connect_step(op);
        case OpKind::recv: n = ::recv(op.fd, op.buf, op.len, op.msg_flags | MSG_DONTWAIT); break;
        case OpKind::recv_pooled:
            // Readiness first, then a buffer, held only if bytes landed.
            if (!pool) return done(op, -EINVAL);
            return recv_into_pool(op, *pool);
        case OpKind::send: n = ::send(op.fd, op.buf, op.len, op.msg_flags | MSG_NOSIGNAL | MSG_DONTWAIT); break;
        case OpKind::recvmsg: n = ::recvmsg(op.fd, op.msg, op.msg_flags | MSG_DONTWAIT); break;
        case OpKind::sendmsg: n = ::sendmsg(op.fd, op.msg, op.msg_flags | MSG_NOSIGNAL | MSG_DONTWAIT); break;
        case OpKind::read: n = read_at(op); break;
        case OpKind::write: n = write_at(op); break;
        case OpKind::shutdown: n = ::shutdown(op.fd, op.msg_flags); break;
        case OpKind::close:  // the backend's own protocol, not a single syscall
        case OpKind::timeout:
        case OpKind::wait:
        case OpKind::count_: return done(op, -EINVAL);
        }
        if (n >= 0) return done(op, static_cast<int>(n));
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return false;
        return done(op, -errno);
    }
}

}  // namespace ringo::detail
