// The backend-neutral operation interface, as awaitables. net/ (and any user
// code that owns raw fds) builds on these; none of them knows which backend
// runs. Each awaits to a Result; raw results follow the CQE convention
// (>= 0 value, < 0 -errno) until they are mapped here.
#pragma once

#include <ringo/engine/borrowed_buffer.hpp>
#include <ringo/engine/op_awaiter.hpp>
#include <ringo/engine/result.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>

#include <sys/socket.h>

namespace ringo {

// Turns a raw op result (< 0) into an error_code: ringo's own for cancel,
// deadline and "no runtime", the system category for every errno.
std::error_code io_error(int raw) noexcept;

// Deadline as the runtime keeps it (steady clock, ns since its epoch).
inline std::int64_t to_deadline_ns(std::chrono::steady_clock::time_point t) noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

namespace detail {

// Maps a raw result to Result<std::size_t>, naming the operation on error.
struct SizeResult {
    const char* what;
    Result<std::size_t> operator()(int r) const {
        if (r >= 0) return static_cast<std::size_t>(r);
        return Result<std::size_t>(io_error(r), what);
    }
};
struct VoidResult {
    const char* what;
    Result<void> operator()(int r) const {
        if (r >= 0) return {};
        return Result<void>(io_error(r), what);
    }
};
struct FdResult {
    const char* what;
    Result<int> operator()(int r) const {
        if (r >= 0) return r;
        return Result<int>(io_error(r), what);
    }
};

// A borrowed read: awaits to Result<BorrowedBuffer> (empty at EOF).
class [[nodiscard]] PooledRecvOp : public OpAwaiter {
public:
    PooledRecvOp(int fd, int flags, std::int64_t deadline_ns, const char* what) noexcept;
    Result<BorrowedBuffer> await_resume() noexcept;

private:
    const char* what_;
};

using SizeOp = MappedOp<SizeResult>;

// connect: holds the destination address the kernel reads.
class [[nodiscard]] ConnectOp : public MappedOp<VoidResult> {
public:
    ConnectOp(int fd, const sockaddr* addr, socklen_t len, std::int64_t deadline_ns) noexcept;
    bool await_suspend(std::coroutine_handle<> h) noexcept;

private:
    sockaddr_storage addr_{};
    socklen_t len_ = 0;
};
using VoidOp = MappedOp<VoidResult>;
using FdOp = MappedOp<FdResult>;

}  // namespace detail

// Raw fd operations. The fd must be non-blocking (the epoll backend tries
// each syscall in place first). Buffers must stay valid until the await
// ends; if the awaiting frame is destroyed first, the engine cancels the op
// and waits for the kernel before the frame goes.
// Close an fd used here with io::close or close_detached while its runtime
// lives, never with close(2): the epoll backend registers each fd number
// once (as Go's netpoller does), and a close behind its back leaves that
// registration stale, with any op parked on the old file, for the next file
// given the same number. The backend resets it when that number comes back
// as a new file it can see: from accept, with SCM_RIGHTS in a recvmsg, as a
// socket net/ makes, or through io::opened.
namespace io {

// Tells the current runtime (if any) that fd was just opened outside ringo
// (socket(2), socketpair(2), pipe(2), open(2), ...), before its first op:
// whatever the runtime remembers about an earlier file of that number is
// dropped, and ops still parked on that file complete with
// operation_canceled. Costs no syscall. Needed only where the number may
// have been closed with close(2) behind ringo's back; never call it for an
// fd that is already in use with ringo (its parked ops would be cancelled).
void opened(int fd) noexcept;

detail::SizeOp recv(int fd, std::span<std::byte> buf, int flags = 0, std::int64_t deadline_ns = 0) noexcept;
// Borrowed read: the runtime lends a buffer from its pool
// (RuntimeOptions::read_buffers) only once data has arrived, so an idle
// connection waiting here holds no buffer. Awaits to a BorrowedBuffer (empty
// at EOF); give it back (destroy or reset) when done with the bytes. When
// every buffer is lent out the read waits for one: backpressure, not an
// error.
detail::PooledRecvOp recv_pooled(int fd, int flags = 0, std::int64_t deadline_ns = 0) noexcept;
detail::SizeOp send(int fd, std::span<const std::byte> buf, int flags = 0, std::int64_t deadline_ns = 0) noexcept;
// recv, recv_pooled and send as a stream socket issues them (net/'s
// streams): a short read tells the backend the socket was drained at that
// moment (op_hint::stream), and an error names the caller's operation
// (`what`, such as "read").
detail::SizeOp stream_recv(int fd, std::span<std::byte> buf, std::int64_t deadline_ns, const char* what) noexcept;
detail::PooledRecvOp stream_recv_pooled(int fd, std::int64_t deadline_ns, const char* what) noexcept;
detail::SizeOp stream_send(int fd, std::span<const std::byte> buf, std::int64_t deadline_ns, const char* what) noexcept;
detail::SizeOp recvmsg(int fd, msghdr* msg, int flags = 0, std::int64_t deadline_ns = 0) noexcept;
detail::SizeOp sendmsg(int fd, const msghdr* msg, int flags = 0, std::int64_t deadline_ns = 0) noexcept;
// File reads and writes. offset: file position; UINT64_MAX (-1) means "the
// current position". On the epoll backend an fd epoll cannot watch (a
// regular file) is served by a small blocking thread pool, and an op already
// handed to it is not interrupted by cancel or a deadline: it completes with
// its real result when the syscall returns, and its task waits until then.
// Pipes and sockets here wait for readiness like recv and send.
detail::SizeOp read(int fd, std::span<std::byte> buf, std::uint64_t offset, std::int64_t deadline_ns = 0) noexcept;
detail::SizeOp write(int fd, std::span<const std::byte> buf, std::uint64_t offset,
                     std::int64_t deadline_ns = 0) noexcept;
// Pending ops on fd complete with operation_canceled before the fd closes.
detail::VoidOp close(int fd) noexcept;
detail::VoidOp shutdown(int fd, int how) noexcept;
detail::VoidOp nop() noexcept;
// connect: the address is copied into the op; the socket must be non-blocking.
detail::ConnectOp connect(int fd, const sockaddr* addr, socklen_t len, std::int64_t deadline_ns = 0) noexcept;

// accept: the awaitable holds the peer address once it completes.
class [[nodiscard]] AcceptOp : public detail::OpAwaiter {
public:
    AcceptOp(int fd, std::int64_t deadline_ns) noexcept;
    bool await_suspend(std::coroutine_handle<> h) noexcept;
    // The new fd (non-blocking, close-on-exec) and, through peer(), its address.
    Result<int> await_resume() noexcept;
    // The peer's address. A backend that accepts many connections with one
    // request (io_uring multishot) learns no address; peer() then asks the
    // kernel (getpeername) on first use. peer_len() is 0 until it is known.
    const sockaddr_storage& peer() const noexcept;
    socklen_t peer_len() const noexcept { return peer_len_; }

private:
    mutable sockaddr_storage peer_{};
    mutable socklen_t peer_len_ = 0;
    int accepted_ = -1;
};
AcceptOp accept(int fd, std::int64_t deadline_ns = 0) noexcept;

// Closes fd without waiting: through the runtime when there is one (pending
// ops are cancelled first), else with close(2). For destructors.
void close_detached(int fd) noexcept;

}  // namespace io
}  // namespace ringo
